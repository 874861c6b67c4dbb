/**
 * The loop end to end (issue 14): the official MCP SDK client calls the example server, started
 * as `npm run example-server` starts it, with the environment the stack sets; a stand-in for the
 * AppConfig Agent serves the flags, changes them, then becomes unreachable. Every line the server
 * writes to stdout must be EMF that passes `check-emf` (the CLI's bin), and the counts must match the
 * calls made. Loopback only, ephemeral ports, every process and server stopped, bounded in time.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { DEFAULT_FLAG_VALUES } from '../lib/shared/feature-flags';
import { STEP_TIMEOUT_MS, until } from './helpers/until';
import { AgentStandIn, simplifiedFlags } from './helpers/appconfig-agent-stand-in';

const ROOT = path.join(__dirname, '..');

interface Expected {
  readonly tool: string;
  /** Undefined for a success. */
  readonly category?: string;
  readonly enums?: readonly [validations: number, failures: number, corrections: number, newPatterns: number];
}

/**
 * `npx mcp-rollout check-emf --json --min-lines <n> -` as a server team's CI runs it: the CLI's bin
 * in a child process, the log on its standard input, killed if it takes longer than the step.
 */
async function checkEmf(log: string, minLines: number): Promise<{ code: number | null; report: Record<string, unknown>; stderr: string }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'mcp-rollout.js'), 'check-emf', '--json', '--min-lines', String(minLines), '-'], { cwd: ROOT });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), STEP_TIMEOUT_MS);
  const code = new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  child.stdin.end(log);
  try {
    const exitCode = await code;
    return { code: exitCode, report: JSON.parse(out) as Record<string, unknown>, stderr: err };
  } finally {
    clearTimeout(timer);
  }
}

describe('example server, SDK client, stand-in AppConfig Agent, EMF checker', () => {
  let agent: AgentStandIn;
  let server: ChildProcessWithoutNullStreams;
  let exit: Promise<number | null>;
  let origin: string;
  let client: Client;
  let stdout = '';
  let stderr = '';
  const expected: Expected[] = [];

  beforeAll(async () => {
    agent = await AgentStandIn.start(simplifiedFlags({ ...DEFAULT_FLAG_VALUES, enhanced_error_messages: false }), '1');
    // What `npm run example-server` runs (tsx), in one process so the test can signal it directly.
    server = spawn(process.execPath, ['--import', 'tsx', 'examples/mcp-server/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOST: '127.0.0.1',
        PORT: '0',
        MCP_ENVIRONMENT: 'production',
        MCP_SLOT: 'canary',
        MCP_METRICS_NAMESPACE: 'MCP/HierarchicalTools',
        MCP_FEATURE_FLAGS_URL: agent.url,
        MCP_FEATURE_FLAGS_MAX_AGE_MS: '100',
      },
    });
    exit = new Promise((resolve) => server.once('exit', (code) => resolve(code)));
    server.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    server.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    origin = await until(`the server to listen (stderr so far: ${stderr})`, () => /MCP on (http:\/\/127\.0\.0\.1:\d+)\/mcp/.exec(stderr)?.[1]);
    client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${origin}/mcp`)));
  }, 60_000);

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    if (server && server.exitCode === null) server.kill('SIGKILL');
    await agent?.stop().catch(() => undefined);
  });

  const health = async () => (await (await fetch(`${origin}/health`)).json()) as { flags: { source: string; version?: string; lastError?: string } };
  const call = async (name: string, args: Record<string, unknown>, expect: Omit<Expected, 'tool'> & { tool?: string }): Promise<CallToolResult> => {
    expected.push({ tool: expect.tool ?? name, ...expect });
    return (await client.callTool({ name, arguments: args })) as CallToolResult;
  };
  const textOf = (result: CallToolResult) => (result.content[0] as { text: string }).text;

  test('phase 1: the agent serves the flags (auto-correction on, plain error messages)', async () => {
    expect((await health()).flags).toEqual({ source: 'agent', version: '1', ageSeconds: expect.any(Number) });
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toEqual(['documents', 'projects', 'help']);
    const operation = (tools.tools[0]!.inputSchema.properties as Record<string, { enum: string[]; enumDescriptions: string[] }>).operation!;
    expect(operation.enum).toEqual(['search', 'get', 'summarize', 'list_recent']);
    expect(operation.enumDescriptions).toHaveLength(4);

    expect((await call('help', {}, {})).isError).toBeUndefined();
    expect(textOf(await call('documents', { operation: 'search', query: 'canary' }, { enums: [1, 0, 0, 0] }))).toContain('doc-1');
    const corrected = await call('documents', { operation: 'Serch', query: 'canary' }, { enums: [1, 0, 1, 0] });
    expect(corrected._meta).toEqual({ autoCorrections: ['operation: "Serch" -> "search"'] });
    const unknownValue = await call('documents', { operation: 'frobnicate' }, { category: 'tool_error', enums: [1, 1, 0, 1] });
    expect(unknownValue).toMatchObject({ isError: true, content: [{ type: 'text', text: 'Invalid value for parameter "operation".' }] });
    await call('documents', { operation: 'frobnicate' }, { category: 'tool_error', enums: [1, 1, 0, 0] });
    expect(textOf(await call('projects', { operation: 'list', status: 'archivd' }, { enums: [2, 0, 1, 0] }))).toContain('prj-2');
    expect((await call('weather', {}, { tool: '_OTHER', category: 'tool_error' })).isError).toBe(true);
    expect((await call('documents', { operation: 'get' }, { category: 'tool_error', enums: [1, 0, 0, 0] })).isError).toBe(true);
    expect((await call('documents', { operation: 'search', query: 5 }, { category: 'tool_error', enums: [1, 0, 0, 0] })).isError).toBe(true);
    // A request without a tool name: the SDK cannot parse it and answers a JSON-RPC error.
    expected.push({ tool: '_OTHER', category: '-32603' });
    await expect(client.request({ method: 'tools/call', params: { arguments: {} } } as never, CallToolResultSchema)).rejects.toThrow(/-32603/);
  });

  test('phase 2: a new flag version (flat tools, no auto-correction) reaches the server', async () => {
    agent.serve(simplifiedFlags({ ...DEFAULT_FLAG_VALUES, hierarchical_tools_enabled: false, auto_correction_enabled: false }), '2');
    await until('flag version 2', async () => ((await health()).flags.version === '2' ? true : undefined));
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual([
      'documents_search',
      'documents_get',
      'documents_summarize',
      'documents_list_recent',
      'projects_list',
      'projects_get',
      'projects_tasks',
      'help',
    ]);
    const nearMiss = await call('documents', { operation: 'serch', query: 'x' }, { category: 'tool_error', enums: [1, 1, 0, 0] });
    expect(textOf(nearMiss)).toBe('Parameter "operation" got "serch", which is not one of the allowed values: "search" (Find documents whose title or text contains the query.), "get" (Read one document by id.), "summarize" (The first sentence of one document.), "list_recent" (The most recently updated documents first.). Did you mean "search"?');
  });

  test('phase 3: the agent is unreachable, the server keeps the last good values', async () => {
    await agent.stop();
    const flags = await until('the server to notice the agent is gone', async () => {
      const h = await health();
      return h.flags.lastError !== undefined ? h.flags : undefined;
    });
    expect(flags).toEqual({ source: 'last-good', version: '2', ageSeconds: expect.any(Number), lastError: 'the AppConfig Agent is unreachable (ECONNREFUSED)' });
    // The seed's defaults would correct this; the last good values (auto-correction off) do not.
    expect((await call('documents', { operation: 'serch', query: 'x' }, { category: 'tool_error', enums: [1, 1, 0, 0] })).isError).toBe(true);
    expect(textOf(await call('documents_search', { query: 'rollback' }, {}))).toContain('doc-2');
    expect(stderr).toContain('feature flags: the AppConfig Agent is unreachable (ECONNREFUSED); keeping the last good values (version 2)');
  });

  test('a plain GET on /mcp is 405 (why the load balancer probes /health)', async () => {
    const res = await fetch(`${origin}/mcp`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  test('SIGTERM stops the server; every stdout line is EMF that conforms, one per call, with the right counts', async () => {
    await client.close();
    server.kill('SIGTERM');
    expect(await exit).toBe(0);

    const lines = stdout.split('\n').filter((l) => l !== '');
    // Every line is EMF, checked by the real `check-emf` command, and there is one per call.
    const check = await checkEmf(stdout, expected.length);
    expect(check).toEqual({
      code: 0,
      report: expect.objectContaining({ command: 'check-emf', exitCode: 0, emfLines: expected.length, skippedLines: 0, violatingLines: 0, problems: 0, minLines: expected.length }),
      stderr: '',
    });

    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const sum = (metric: string, where: (r: Record<string, unknown>) => boolean = () => true) =>
      records.filter(where).reduce((n, r) => n + (typeof r[metric] === 'number' ? (r[metric] as number) : 0), 0);
    const count = (where: (e: Expected) => boolean) => expected.filter(where).length;
    const enumSum = (i: number) => expected.reduce((n, e) => n + (e.enums?.[i] ?? 0), 0);

    expect(records.every((r) => r.Environment === 'production' && r.Slot === 'canary')).toBe(true);
    expect({
      ToolCalls: sum('ToolCalls'),
      ToolCallSuccesses: sum('ToolCallSuccesses'),
      ToolCallErrors: sum('ToolCallErrors'),
      EnumValidations: sum('EnumValidations'),
      EnumValidationFailures: sum('EnumValidationFailures'),
      AutoCorrections: sum('AutoCorrections'),
      NewEnumPatterns: sum('NewEnumPatterns'),
    }).toEqual({
      ToolCalls: expected.length,
      ToolCallSuccesses: count((e) => e.category === undefined),
      ToolCallErrors: count((e) => e.category !== undefined),
      EnumValidations: enumSum(0),
      EnumValidationFailures: enumSum(1),
      AutoCorrections: enumSum(2),
      NewEnumPatterns: enumSum(3),
    });
    // Per tool and per error category, as the dashboards' SEARCH graphs read them.
    for (const tool of new Set(expected.map((e) => e.tool))) {
      expect([tool, sum('ToolCalls', (r) => r.Tool === tool)]).toEqual([tool, count((e) => e.tool === tool)]);
    }
    for (const category of new Set(expected.flatMap((e) => (e.category ? [e.category] : [])))) {
      expect([category, sum('ToolCallErrors', (r) => r.ErrorCategory === category)]).toEqual([category, count((e) => e.category === category)]);
    }
    // The exact numbers, so a wrong expectation above cannot hide a wrong count.
    expect([sum('ToolCalls'), sum('ToolCallErrors'), sum('EnumValidations'), sum('AutoCorrections'), sum('NewEnumPatterns')]).toEqual([13, 8, 10, 2, 1]);
  });
});
