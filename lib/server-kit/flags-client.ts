/**
 * Reads the feature flags from the AppConfig Agent sidecar (`MCP_FEATURE_FLAGS_URL`, e.g.
 * `http://localhost:2772/applications/<app>/environments/<env>/configurations/<profile>`).
 *
 * - `get()` never blocks and never throws: it answers the values it holds and, when they are older
 *   than `maxAgeMs`, starts one background read.
 * - Before the first good read it answers the seed's defaults (every flag on) and is not `ready()`:
 *   a server must not serve then, since the defaults turn on the flags a rollback turned off
 *   (DESIGN.md D2). `waitForFirstRead` retries the first read until a deadline.
 * - When the agent is unreachable, slow (`timeoutMs`) or serves something invalid, it keeps the
 *   last good values and says so once on stderr; it reads again at most once per `maxAgeMs`.
 *
 * What the agent serves for a feature-flag profile is AppConfig's retrieval-time format: one
 * member per flag with `enabled` and its attributes, e.g. `{"auto_correction_enabled":{"enabled":true}}`,
 * content type `application/json`, the version in the `Configuration-Version` header
 * (https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-agent-how-to-use-local-development-samples.html,
 * https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-integration-containers-agent-retrieving-data.html).
 * The full definition document (`version`, `flags`, `values`) is read too, in case a profile is
 * served raw.
 */
import { DEFAULT_FLAG_VALUES, FLAG_NAMES, type FlagName, type FlagValues } from '../shared/feature-flags';
import type { FlagSource } from './server-kit';

export interface AgentFlagsOptions {
  /** The agent URL of the profile; without it the client answers the seed's defaults. */
  readonly url?: string;
  /** @default 1000 */
  readonly timeoutMs?: number;
  /** How old the values may get before `get()` reads again. @default 5000 */
  readonly maxAgeMs?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** @default Date.now */
  readonly now?: () => number;
  /** Where changes of state (first read, agent lost, agent back) are reported. @default stderr */
  readonly log?: (message: string) => void;
}

export type FlagsSource = 'defaults' | 'agent' | 'last-good';

export interface FlagsStatus {
  /** `defaults`: no good read yet; `agent`: the last read succeeded; `last-good`: it failed, the values are from an earlier read. */
  readonly source: FlagsSource;
  readonly values: FlagValues;
  /** `Configuration-Version` of the values, when the agent gave one. */
  readonly version?: string;
  /** When the values were read (ms since the epoch). */
  readonly readAt?: number;
  /** Why the last read failed, while it does. */
  readonly lastError?: string;
}

export interface FirstReadOptions {
  /** How long to keep trying, in milliseconds (FLAGS_START_DEADLINE_MS in a task). */
  readonly deadlineMs: number;
  /** The pause between two attempts. @default 250 */
  readonly retryDelayMs?: number;
}

export class FlagsReadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FlagsReadError';
  }
}

/** The flag values in an agent response body; flags it leaves out keep their `previous` value. */
export function parseAgentFlags(body: unknown, previous: FlagValues): FlagValues {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new FlagsReadError(`the agent served ${JSON.stringify(body)}, not a JSON object of flags`);
  }
  const record = body as Record<string, unknown>;
  // A full AWS.AppConfig.FeatureFlags definition document keeps the values under `values`.
  const values = record.version !== undefined && typeof record.values === 'object' && record.values !== null ? (record.values as Record<string, unknown>) : record;
  const problems: string[] = [];
  const out: Record<FlagName, boolean> = { ...previous };
  for (const name of FLAG_NAMES) {
    if (!(name in values)) continue;
    const flag = values[name];
    const enabled = typeof flag === 'object' && flag !== null ? (flag as Record<string, unknown>).enabled : undefined;
    if (typeof enabled !== 'boolean') problems.push(`${name}: must be an object like {"enabled": true}, got ${JSON.stringify(flag)}`);
    else out[name] = enabled;
  }
  if (problems.length > 0) throw new FlagsReadError(`the agent served invalid flags: ${problems.join('; ')}`);
  return out;
}

export class AppConfigAgentFlags implements FlagSource {
  private readonly url?: string;
  private readonly timeoutMs: number;
  private readonly maxAgeMs: number;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;
  private readonly log: (message: string) => void;
  private current: FlagsStatus = { source: 'defaults', values: DEFAULT_FLAG_VALUES };
  private lastAttemptAt = -Infinity;
  private inFlight?: Promise<FlagsStatus>;

  constructor(options: AgentFlagsOptions = {}) {
    if (options.url !== undefined) {
      let parsed: URL;
      try {
        parsed = new URL(options.url);
      } catch (error) {
        throw new FlagsReadError(`the feature flags URL must be an http:// URL of the AppConfig Agent, got ${JSON.stringify(options.url)}`, { cause: error });
      }
      if (parsed.protocol !== 'http:') {
        throw new FlagsReadError(`the feature flags URL must be an http:// URL of the AppConfig Agent, got ${JSON.stringify(options.url)}`);
      }
    }
    const positive = (name: string, value: number | undefined, fallback: number) => {
      const v = value ?? fallback;
      if (!Number.isFinite(v) || v <= 0) throw new FlagsReadError(`${name} must be a number of milliseconds above 0, got ${String(value)}`);
      return v;
    };
    this.url = options.url;
    this.timeoutMs = positive('timeoutMs', options.timeoutMs, 1000);
    this.maxAgeMs = positive('maxAgeMs', options.maxAgeMs, 5000);
    this.fetch = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? Date.now;
    this.log = options.log ?? ((message) => process.stderr.write(`${message}\n`));
  }

  get(): FlagValues {
    if (this.url !== undefined && this.inFlight === undefined && this.now() - this.lastAttemptAt >= this.maxAgeMs) {
      void this.refresh();
    }
    return this.current.values;
  }

  status(): FlagsStatus {
    return this.current;
  }

  /** Whether the values are the agent's (now or from an earlier read), or no agent is configured. */
  ready(): boolean {
    return this.url === undefined || this.current.source !== 'defaults';
  }

  /**
   * Reads until the first good read or the deadline, whichever comes first (a read in flight at
   * the deadline may add up to `timeoutMs`); resolves with the status then, never rejects. At
   * start-up the agent may not answer yet: its container is started before the server's, but it
   * needs a moment to fetch the flags from AppConfig.
   */
  async waitForFirstRead(options: FirstReadOptions): Promise<FlagsStatus> {
    const deadline = Date.now() + options.deadlineMs;
    const pause = options.retryDelayMs ?? 250;
    for (;;) {
      const status = await this.refresh();
      const left = deadline - Date.now();
      if (this.ready() || left <= 0) return status;
      await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
    }
  }

  /** Reads the agent now (one read at a time); resolves with the resulting status, never rejects. */
  refresh(): Promise<FlagsStatus> {
    if (this.url === undefined) return Promise.resolve(this.current);
    this.inFlight ??= this.read(this.url).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async read(url: string): Promise<FlagsStatus> {
    this.lastAttemptAt = this.now();
    const before = this.current;
    try {
      const { values, version } = await this.fetchFlags(url);
      this.current = { source: 'agent', values, ...(version !== undefined ? { version } : {}), readAt: this.now() };
      if (before.source !== 'agent') this.log(`feature flags: read${version !== undefined ? ` version ${version}` : ''} from the AppConfig Agent`);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const { lastError: _previousError, ...kept } = before;
      this.current = { ...kept, source: before.source === 'defaults' ? 'defaults' : 'last-good', lastError: reason };
      if (before.lastError === undefined) {
        const keeping = before.source === 'defaults' ? "the seed's defaults (every flag on)" : `the last good values${before.version !== undefined ? ` (version ${before.version})` : ''}`;
        this.log(`feature flags: ${reason}; keeping ${keeping}`);
      }
    }
    return this.current;
  }

  private async fetchFlags(url: string): Promise<{ values: FlagValues; version?: string }> {
    let response: Response;
    try {
      response = await this.fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new FlagsReadError(`the AppConfig Agent did not answer within ${this.timeoutMs} ms`, { cause: error });
      }
      const code = (error as { cause?: { code?: string } }).cause?.code;
      throw new FlagsReadError(`the AppConfig Agent is unreachable${code ? ` (${code})` : ''}`, { cause: error });
    }
    const text = await response.text();
    if (!response.ok) throw new FlagsReadError(`the AppConfig Agent answered HTTP ${response.status}: ${text.slice(0, 200)}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new FlagsReadError(`the AppConfig Agent served something that is not JSON: ${text.slice(0, 100)}`, { cause: error });
    }
    const version = response.headers.get('configuration-version') ?? undefined;
    return { values: parseAgentFlags(body, this.current.values), ...(version !== undefined ? { version } : {}) };
  }
}
