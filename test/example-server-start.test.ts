/**
 * How the example server starts, as `npm run example-server` starts it in a task: it serves no
 * MCP call before it has read the flags (a task that starts while the AppConfig Agent is not ready
 * must not serve the seed's defaults, rolled-back flags included: DESIGN.md D2), gives up when
 * the agent never answers, and says which variable is wrong when it cannot start. Loopback only,
 * every process stopped, bounded in time.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { DEFAULT_FLAG_VALUES } from '../lib/shared/feature-flags';
import { until } from './helpers/until';
import { AgentStandIn, agentUrl, freePort, simplifiedFlags } from './helpers/appconfig-agent-stand-in';

const ROOT = path.join(__dirname, '..');

const STACK_ENV = {
  MCP_ENVIRONMENT: 'production',
  MCP_SLOT: 'canary',
  MCP_METRICS_NAMESPACE: 'MCP/HierarchicalTools',
};

class ExampleServer {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  private constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static start(env: Record<string, string>): ExampleServer {
    return new ExampleServer(
      spawn(process.execPath, ['--import', 'tsx', 'examples/mcp-server/main.ts'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ...env } }),
    );
  }

  /** The origin it listens on, once it says so. */
  async origin(): Promise<string> {
    return until(`the server to listen (stderr so far: ${this.stderr})`, () => /(?:listening on|MCP on) (http:\/\/127\.0\.0\.1:\d+)/.exec(this.stderr)?.[1]);
  }

  /** Its exit code, or fails when it is still running after `ms`. */
  async exitWithin(ms: number): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still running after ${ms} ms; stderr: ${this.stderr}`)), ms)));
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  stop(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

const initialize = (origin: string) =>
  fetch(`${origin}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
  });

const started: ExampleServer[] = [];
const agents: AgentStandIn[] = [];
afterEach(async () => {
  for (const server of started.splice(0)) server.stop();
  for (const agent of agents.splice(0)) await agent.stop().catch(() => undefined);
});

describe('the first flag read (a task starts while its AppConfig Agent is not ready)', () => {
  test('/health answers 503 and /mcp refuses until the first good read; the first call then sees the deployed flags, not the defaults', async () => {
    const port = await freePort();
    const server = ExampleServer.start({ ...STACK_ENV, MCP_FEATURE_FLAGS_URL: agentUrl(port) });
    started.push(server);
    const origin = await server.origin();

    const starting = await fetch(`${origin}/health`);
    expect(starting.status).toBe(503);
    expect(await starting.json()).toMatchObject({ status: 'starting', flags: { source: 'defaults', lastError: 'the AppConfig Agent is unreachable (ECONNREFUSED)' } });
    const refused = await initialize(origin);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toEqual({ jsonrpc: '2.0', error: { code: -32000, message: 'Service starting: the feature flags have not been read yet; try again shortly' }, id: null });

    // The agent comes up with the flags the environment has (hierarchical tools rolled back).
    agents.push(await AgentStandIn.start(simplifiedFlags({ ...DEFAULT_FLAG_VALUES, hierarchical_tools_enabled: false }), '7', port));
    await until('the server to become ready', async () => ((await fetch(`${origin}/health`)).status === 200 ? true : undefined));
    const client = new Client({ name: 'start', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${origin}/mcp`)));
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toContain('documents_search');
    } finally {
      await client.close();
    }
    expect(server.stderr).toContain('feature flags: read version 7 from the AppConfig Agent');
  }, 30_000);

  test('no good read before the deadline: the server exits 1 and says why, rather than serve the seed defaults', async () => {
    const port = await freePort();
    const server = ExampleServer.start({ ...STACK_ENV, MCP_FEATURE_FLAGS_URL: agentUrl(port), MCP_FEATURE_FLAGS_START_DEADLINE_MS: '1500' });
    started.push(server);
    expect(await server.exitWithin(10_000)).toBe(1);
    expect(server.stderr).toContain(
      "example server: no feature flags from the AppConfig Agent within 1.5 s (the AppConfig Agent is unreachable (ECONNREFUSED)); exiting so that ECS starts a new task: serving the seed's defaults would turn rolled-back flags back on\n",
    );
    expect(server.stdout).toBe('');
  }, 30_000);
});

describe('start-up errors name the variable', () => {
  let busy: Server;
  beforeAll(async () => {
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => busy.close(resolve));
  });

  test('a PORT in use', async () => {
    const port = (busy.address() as AddressInfo).port;
    const server = ExampleServer.start({ PORT: String(port) });
    started.push(server);
    expect(await server.exitWithin(10_000)).toBe(1);
    expect(server.stderr.split('\n').filter((l) => l.startsWith('example server: cannot'))).toEqual([
      `example server: cannot listen on 127.0.0.1:${port}: the port is in use (EADDRINUSE); set PORT to a free port (0 picks one)`,
    ]);
    expect(server.stderr).not.toMatch(/\n\s+at /);
  }, 30_000);

  test('a HOST that is not an address of this machine', async () => {
    const server = ExampleServer.start({ HOST: '192.0.2.1' });
    started.push(server);
    expect(await server.exitWithin(10_000)).toBe(1);
    expect(server.stderr).toContain(
      'example server: cannot listen on 192.0.2.1:0: HOST is not an address of this machine (EADDRNOTAVAIL); set HOST to one of its addresses, 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)\n',
    );
    expect(server.stderr).not.toMatch(/\n\s+at /);
  }, 30_000);

  test('on ECS without MCP_ENVIRONMENT and MCP_SLOT', async () => {
    const server = ExampleServer.start({ ECS_CONTAINER_METADATA_URI_V4: 'http://169.254.170.2/v4/abc' });
    started.push(server);
    expect(await server.exitWithin(10_000)).toBe(1);
    expect(server.stderr).toContain('  - MCP_ENVIRONMENT is required on ECS (ECS_CONTAINER_METADATA_URI_V4 is set): one of staging, production');
    expect(server.stderr).toContain('  - MCP_SLOT is required on ECS (ECS_CONTAINER_METADATA_URI_V4 is set): one of stable, canary');
  }, 30_000);
});
