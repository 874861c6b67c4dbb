/**
 * A stand-in for the AppConfig Agent sidecar on 127.0.0.1 (an ephemeral port): it serves one
 * feature-flag profile the way the agent does, in AppConfig's retrieval-time format
 * (`{"flag": {"enabled": true}}`, `Content-Type: application/json`, `Configuration-Version`), and
 * 404 for any other path. Tests change what it serves, slow it down, or stop it (unreachable).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const AGENT_PATH = '/applications/mcp-rollout-staging/environments/staging/configurations/feature-flags';

export class AgentStandIn {
  /** Requests the stand-in answered. */
  requests = 0;
  private body: unknown = {};
  private version = '1';
  private status = 200;
  private delayMs = 0;
  private constructor(private readonly server: Server, readonly url: string) {}

  /** Starts on `port` (default: an ephemeral one), e.g. a port a server was told before the agent came up. */
  static async start(body: unknown, version = '1', port = 0): Promise<AgentStandIn> {
    let self: AgentStandIn | undefined;
    const server = createServer((req, res) => {
      const agent = self!;
      agent.requests++;
      const reply = () => {
        if (req.url !== AGENT_PATH) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
        } else if (agent.status !== 200) {
          res.writeHead(agent.status, { 'content-type': 'text/plain' }).end('ResourceNotFoundException');
        } else {
          res.writeHead(200, { 'content-type': 'application/json', 'configuration-version': agent.version }).end(JSON.stringify(agent.body));
        }
      };
      if (agent.delayMs > 0) setTimeout(reply, agent.delayMs);
      else reply();
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    self = new AgentStandIn(server, agentUrl((server.address() as AddressInfo).port));
    self.serve(body, version);
    return self;
  }

  serve(body: unknown, version: string): void {
    this.body = body;
    this.version = version;
    this.status = 200;
  }

  fail(status: number): void {
    this.status = status;
  }

  slowDown(ms: number): void {
    this.delayMs = ms;
  }

  /** Stops listening: from now on the agent is unreachable (connection refused). */
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The flags URL of a stand-in on `port` of 127.0.0.1. */
export function agentUrl(port: number): string {
  return `http://127.0.0.1:${port}${AGENT_PATH}`;
}

/** A port of 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The retrieval-time document for these values. */
export function simplifiedFlags(values: Record<string, boolean>): Record<string, { enabled: boolean }> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { enabled: v }]));
}
