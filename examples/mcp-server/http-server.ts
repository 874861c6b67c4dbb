/**
 * The example server's HTTP side: Streamable HTTP on `/mcp`, stateless (no `Mcp-Session-Id`: any
 * request may land on any task of either slot, README "MCP sessions"), and `/health`.
 *
 * `/mcp` refuses a browser page of another origin (403, the MCP specification's Origin rule), and
 * any call before the flags have been read once (503): the load balancer routes to every target
 * of a target group whose targets are all unhealthy (it fails open,
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html),
 * so a starting canary may get requests that /health alone would not keep away.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { HealthCheck, ServerKit } from '../../lib/server-kit';
import { isLoopbackHost, originPolicy, originProblem, type OriginPolicy } from '../../lib/server-kit/origin';
import { createMcpServer } from './mcp-server';

export const MCP_PATH = '/mcp';

export interface ExampleServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly kit: ServerKit;
  readonly health: HealthCheck;
  /** Which browser pages may call /mcp. @default - pages of this machine when `host` is loopback, none otherwise */
  readonly origins?: OriginPolicy;
}

export interface RunningExampleServer {
  /** `http://host:port` */
  readonly origin: string;
  readonly port: number;
  /** Answers 503 on /health, stops accepting connections and waits for the requests in flight. */
  close(): Promise<void>;
}

function jsonRpcError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

export async function startExampleServer(options: ExampleServerOptions): Promise<RunningExampleServer> {
  const { kit, health } = options;
  // Bound to loopback, refuse other Host headers (DNS rebinding), as the SDK's createMcpExpressApp does.
  const checkHost = isLoopbackHost(options.host);
  const origins = options.origins ?? originPolicy(options.host);

  const handleMcp = async (req: IncomingMessage, res: ServerResponse) => {
    const calls = kit.toolCalls();
    const server = createMcpServer(kit, calls);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    calls.observe(transport);
    await transport.handleRequest(req, res);
  };

  const http = createServer((req, res) => {
    if (checkHost) {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '');
      if (!isLoopbackHost(host)) {
        jsonRpcError(res, 403, `Host ${JSON.stringify(req.headers.host ?? '')} is not allowed on a loopback server`);
        return;
      }
    }
    if (health.handle(req, res)) return;
    const path = (req.url ?? '').split('?')[0];
    if (path !== MCP_PATH) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `no route for ${path}; MCP is on ${MCP_PATH}, health on ${health.path}` }));
      return;
    }
    const forbidden = originProblem(req.headers.origin, origins);
    if (forbidden !== undefined) {
      jsonRpcError(res, 403, `Forbidden: ${forbidden}`);
      return;
    }
    if (req.method !== 'POST') {
      // Stateless: no SSE stream to GET, no session to DELETE.
      jsonRpcError(res, 405, 'Method not allowed: this server is stateless, use POST.', { allow: 'POST' });
      return;
    }
    if (!health.ready) {
      jsonRpcError(res, 503, 'Service starting: the feature flags have not been read yet; try again shortly', { 'retry-after': '1' });
      return;
    }
    handleMcp(req, res).catch((error: unknown) => {
      process.stderr.write(`example server: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      if (!res.headersSent) jsonRpcError(res, 500, 'Internal server error');
      else res.end();
    });
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const { port } = http.address() as AddressInfo;
  const hostInUrl = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    origin: `http://${hostInUrl}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        health.drain();
        http.close((error) => (error ? reject(error) : resolve()));
        http.closeIdleConnections();
      }),
  };
}
