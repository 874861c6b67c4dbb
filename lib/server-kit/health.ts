/**
 * The `/health` endpoint the target groups probe (DESIGN.md: an MCP endpoint answers a plain GET
 * with 405 or 406, so the load balancer needs its own path).
 *
 * It answers 503 (`starting`) until the flags client has read the flags once: a task that served
 * the seed's defaults would turn the flags a rollback turned off back on (DESIGN.md D2). From then
 * on it answers 200 while the process serves, whatever the AppConfig Agent does: the flags client
 * keeps the last good values, and failing every task's health check because a sidecar hiccups
 * would turn a flag read into an outage. After `drain()` (on SIGTERM) it answers 503, so the
 * load balancer stops sending new requests while in-flight ones finish.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HEALTH_CHECK_PATH } from '../shared/metrics-contract';
import type { FlagsStatus } from './flags-client';
import type { ServerKit } from './server-kit';

export interface HealthBody {
  /** `starting`: no flags read yet (503); `ok` (200); `draining`: stopping (503). */
  readonly status: 'starting' | 'ok' | 'draining';
  readonly environment: string;
  readonly slot: string;
  readonly flags: {
    readonly source: FlagsStatus['source'];
    readonly version?: string;
    readonly ageSeconds?: number;
    readonly lastError?: string;
  };
}

export class HealthCheck {
  /** The path it answers on (the stack's default health check path). */
  readonly path = HEALTH_CHECK_PATH;
  private draining = false;

  constructor(
    private readonly kit: ServerKit,
    /** Without `ready()`, the flags count as read (a source that never has to wait). */
    private readonly flags?: { status(): FlagsStatus; get(): unknown; ready?(): boolean },
    private readonly now: () => number = Date.now,
  ) {}

  /** From now on answer 503, so the load balancer takes the task out before it stops. */
  drain(): void {
    this.draining = true;
  }

  /** The flags have been read once: the server may serve MCP calls. */
  get ready(): boolean {
    return this.flags?.ready?.() ?? true;
  }

  /** 200 while serving, 503 while starting or draining. */
  statusCode(): 200 | 503 {
    return this.draining || !this.ready ? 503 : 200;
  }

  body(): HealthBody {
    // The probe also keeps the flags fresh while no call arrives (get() reads again when stale, in the background).
    this.flags?.get();
    const status = this.flags?.status();
    return {
      status: this.draining ? 'draining' : this.ready ? 'ok' : 'starting',
      environment: this.kit.environment,
      slot: this.kit.slot,
      flags: {
        source: status?.source ?? 'defaults',
        ...(status?.version !== undefined ? { version: status.version } : {}),
        ...(status?.readAt !== undefined ? { ageSeconds: Math.max(0, Math.round((this.now() - status.readAt) / 1000)) } : {}),
        ...(status?.lastError !== undefined ? { lastError: status.lastError } : {}),
      },
    };
  }

  /**
   * Answers a request for the health path: GET and HEAD get the status, other methods 405.
   * Returns false (and writes nothing) for any other path, so it can sit in front of a router.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const path = (req.url ?? '').split('?')[0];
    if (path !== this.path) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' }).end(JSON.stringify({ error: `method ${req.method} not allowed on ${this.path}; use GET` }));
      return true;
    }
    const body = JSON.stringify(this.body());
    res.writeHead(this.statusCode(), {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'content-length': Buffer.byteLength(body),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  }
}
