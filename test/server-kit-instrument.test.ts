import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, CallToolResultSchema, ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { DEFAULT_FLAG_VALUES, type FlagValues } from '../lib/shared/feature-flags';
import { checkEmfLine } from '../lib/server-kit/emf-checker';
import { ServerKit, type ToolCallTracker } from '../lib/server-kit/server-kit';
import type { ToolInputSchema } from '../lib/server-kit/enum-arguments';

const T = 1764000000000;
const ok = (tool: string) =>
  `{"_aws":{"Timestamp":${T},"CloudWatchMetrics":[{"Namespace":"MCP/HierarchicalTools","Dimensions":[["Environment","Slot"],["Environment","Slot","Tool"]],"Metrics":[{"Name":"ToolCalls","Unit":"Count"},{"Name":"ToolCallSuccesses","Unit":"Count"}]}]},"Environment":"production","Slot":"canary","Tool":"${tool}","ToolCalls":1,"ToolCallSuccesses":1}`;
const failed = (tool: string, category: string) =>
  `{"_aws":{"Timestamp":${T},"CloudWatchMetrics":[{"Namespace":"MCP/HierarchicalTools","Dimensions":[["Environment","Slot"],["Environment","Slot","Tool"]],"Metrics":[{"Name":"ToolCalls","Unit":"Count"},{"Name":"ToolCallSuccesses","Unit":"Count"}]},{"Namespace":"MCP/HierarchicalTools","Dimensions":[["Environment","Slot"],["Environment","Slot","Tool"],["Environment","Slot","ErrorCategory"]],"Metrics":[{"Name":"ToolCallErrors","Unit":"Count"}]}]},"Environment":"production","Slot":"canary","Tool":"${tool}","ErrorCategory":"${category}","ToolCalls":1,"ToolCallSuccesses":0,"ToolCallErrors":1}`;

interface Harness {
  readonly client: Client;
  readonly lines: string[];
  readonly tracker: ToolCallTracker;
  readonly serverTransport: InMemoryTransport;
  close(): Promise<void>;
}

// The exact lines below leave out durationMs; one test turns performance_monitoring on.
const QUIET: FlagValues = { ...DEFAULT_FLAG_VALUES, performance_monitoring: false };
let flags: FlagValues = QUIET;
const harnesses: Harness[] = [];
afterEach(async () => {
  flags = QUIET;
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

function newKit(lines: string[]): ServerKit {
  return new ServerKit({ environment: 'production', slot: 'canary', tools: ['echo', 'fail', 'slow', 'pick', 'raw'], flags: { get: () => flags }, write: (l) => lines.push(l), now: () => T, monotonicMs: () => 0 });
}

/** The kit around an McpServer, the way most servers are written. */
async function mcpServerHarness(): Promise<Harness> {
  const lines: string[] = [];
  const kit = newKit(lines);
  const server = new McpServer({ name: 'test', version: '1.0.0' });
  server.registerTool('echo', { inputSchema: { text: z.string() } }, ({ text }) => ({ content: [{ type: 'text', text }] }));
  server.registerTool('fail', {}, () => ({ content: [{ type: 'text', text: 'backend down' }], isError: true }));
  server.registerTool('slow', {}, (extra) => new Promise((resolve) => extra.signal.addEventListener('abort', () => resolve({ content: [] }))));
  return connect(kit, server, lines, kit.toolCalls());
}

async function connect(kit: ServerKit, server: McpServer | Server, lines: string[], tracker: ToolCallTracker): Promise<Harness> {
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  tracker.observe(serverTransport);
  const client = new Client({ name: 'jest', version: '1.0.0' });
  await client.connect(clientTransport);
  const harness = { client, lines, tracker, serverTransport, close: async () => void (await client.close()) };
  harnesses.push(harness);
  void kit;
  return harness;
}

describe('the instrumented transport writes one line per tools/call', () => {
  test('a successful call', async () => {
    const h = await mcpServerHarness();
    await h.client.callTool({ name: 'echo', arguments: { text: 'hi' } });
    expect(h.lines).toEqual([ok('echo')]);
  });

  test('initialize, tools/list and notifications write nothing', async () => {
    const h = await mcpServerHarness();
    await h.client.listTools();
    await h.client.ping();
    expect(h.lines).toEqual([]);
  });

  test('a result with isError is a tool_error', async () => {
    const h = await mcpServerHarness();
    await h.client.callTool({ name: 'fail', arguments: {} });
    expect(h.lines).toEqual([failed('fail', 'tool_error')]);
  });

  test('an unknown tool (the SDK answers isError) counts as a tool_error under Tool=_OTHER', async () => {
    const h = await mcpServerHarness();
    const result = await h.client.callTool({ name: 'made_up_tool', arguments: {} });
    expect(result.isError).toBe(true);
    expect(h.lines).toEqual([failed('_OTHER', 'tool_error')]);
  });

  test('arguments the SDK rejects against the input schema count as a tool_error for that tool', async () => {
    const h = await mcpServerHarness();
    const result = await h.client.callTool({ name: 'echo', arguments: { text: 42 } });
    expect(result.isError).toBe(true);
    expect(h.lines).toEqual([failed('echo', 'tool_error')]);
  });

  test('a malformed tools/call request gets the JSON-RPC code the SDK answers (McpServer: -32603)', async () => {
    const h = await mcpServerHarness();
    await expect(h.client.request({ method: 'tools/call', params: { arguments: {} } } as never, CallToolResultSchema)).rejects.toThrow(/-32603/);
    expect(h.lines).toEqual([failed('_OTHER', '-32603')]);
  });

  test('a call the client cancels (e.g. its timeout) is cancelled', async () => {
    const h = await mcpServerHarness();
    await expect(h.client.callTool({ name: 'slow', arguments: {} }, undefined, { timeout: 50 })).rejects.toThrow(/timed out/);
    await new Promise((r) => setTimeout(r, 20));
    expect(h.lines).toEqual([failed('slow', 'cancelled')]);
  });

  test('a call still open when the transport closes is cancelled', async () => {
    const h = await mcpServerHarness();
    const call = h.client.callTool({ name: 'slow', arguments: {} }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 20));
    await h.serverTransport.close();
    await call;
    expect(h.lines).toEqual([failed('slow', 'cancelled')]);
  });

  test('with performance_monitoring on, the line also carries durationMs (a property, not a metric); off, it does not; the metrics stay', async () => {
    const h = await mcpServerHarness();
    flags = { ...DEFAULT_FLAG_VALUES, performance_monitoring: true };
    await h.client.callTool({ name: 'echo', arguments: { text: 'a' } });
    flags = { ...DEFAULT_FLAG_VALUES, performance_monitoring: false };
    await h.client.callTool({ name: 'echo', arguments: { text: 'b' } });
    expect(h.lines).toEqual([ok('echo').replace(/}$/, ',"durationMs":0}'), ok('echo')]);
    expect(h.lines.map(checkEmfLine)).toEqual([{ kind: 'conforms' }, { kind: 'conforms' }]);
  });

  test('observe before connect is refused: connect would replace the wrapped callbacks', () => {
    const kit = newKit([]);
    const [, serverTransport] = InMemoryTransport.createLinkedPair();
    expect(() => kit.toolCalls().observe(serverTransport)).toThrow(
      'observe(transport) must be called after server.connect(transport): the transport has no onmessage yet',
    );
  });
});

describe('JSON-RPC errors and enum counts, on the low-level Server', () => {
  const PICK: ToolInputSchema = {
    type: 'object',
    properties: {
      operation: { type: 'string', enum: ['search', 'get'], enumDescriptions: ['Find documents', 'Read one document'] },
    },
    required: ['operation'],
  };

  async function lowLevelHarness(): Promise<Harness> {
    const lines: string[] = [];
    const kit = newKit(lines);
    const tracker = kit.toolCalls();
    const server = new Server({ name: 'test', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.setRequestHandler(CallToolRequestSchema, (request, extra) => {
      if (request.params.name === 'raw') {
        const code = Number((request.params.arguments as { code: number }).code);
        throw new McpError(code, 'refused');
      }
      const checked = tracker.checkArguments(extra.requestId, PICK, request.params.arguments);
      return { content: [{ type: 'text', text: JSON.stringify(checked.arguments) }], isError: checked.failures.length > 0 };
    });
    return connect(kit, server, lines, tracker);
  }

  test.each([
    [ErrorCode.MethodNotFound, '-32601'],
    [ErrorCode.InternalError, '-32603'],
    [ErrorCode.UrlElicitationRequired, '-32042'],
    [-32099, '_OTHER'],
  ])('a JSON-RPC error %d is category %s', async (code, category) => {
    const h = await lowLevelHarness();
    await expect(h.client.callTool({ name: 'raw', arguments: { code } })).rejects.toThrow(/refused/);
    expect(h.lines).toEqual([failed('raw', category)]);
  });

  test('enum counts ride on the call\'s line: a corrected near miss, a failure, a new pattern only once', async () => {
    const h = await lowLevelHarness();
    await h.client.callTool({ name: 'pick', arguments: { operation: 'serch' } });
    await h.client.callTool({ name: 'pick', arguments: { operation: 'frobnicate' } });
    await h.client.callTool({ name: 'pick', arguments: { operation: 'Frobnicate' } });
    flags = { ...QUIET, auto_correction_enabled: false };
    await h.client.callTool({ name: 'pick', arguments: { operation: 'serch' } });
    flags = { ...QUIET, enumdescriptions_validation: false };
    await h.client.callTool({ name: 'pick', arguments: { operation: 'frobnicate' } });

    const enumPart = (v: number, f: number, c: number, n: number) =>
      `,"EnumValidations":${v},"EnumValidationFailures":${f},"AutoCorrections":${c},"NewEnumPatterns":${n}}`;
    const enumDirective =
      '{"Namespace":"MCP/HierarchicalTools","Dimensions":[["Environment","Slot"]],"Metrics":[{"Name":"EnumValidations","Unit":"Count"},{"Name":"EnumValidationFailures","Unit":"Count"},{"Name":"AutoCorrections","Unit":"Count"},{"Name":"NewEnumPatterns","Unit":"Count"}]}';
    const withEnums = (line: string, counts: string) => line.replace('}]},"Environment"', `},${enumDirective}]},"Environment"`).replace(/}$/, counts);
    expect(h.lines).toEqual([
      withEnums(ok('pick'), enumPart(1, 0, 1, 0)),
      withEnums(failed('pick', 'tool_error'), enumPart(1, 1, 0, 1)),
      withEnums(failed('pick', 'tool_error'), enumPart(1, 1, 0, 0)),
      withEnums(failed('pick', 'tool_error'), enumPart(1, 1, 0, 0)),
      ok('pick'),
    ]);
    expect(h.lines.every((l) => checkEmfLine(l).kind === 'conforms')).toBe(true);
  });
});

describe('ServerKit options', () => {
  test.each([
    [{ environment: 'dev' }, 'environment must be one of staging, production, got "dev"'],
    [{ slot: 'blue' }, 'slot must be one of stable, canary, got "blue"'],
    [{ tools: ['ok', 'has space'] }, 'tools: "has space" is not a tool name the kit can count: use 1 to 128 letters, digits, "_", "-" or ".", and not "_OTHER"'],
    [{ tools: ['_OTHER'] }, 'tools: "_OTHER" is not a tool name the kit can count'],
  ])('fails when %j', (override, message) => {
    expect(() => new ServerKit({ environment: 'staging', slot: 'stable', tools: ['ok'], ...(override as object) })).toThrow(message);
  });
});

test('a stdout that went away (EPIPE) does not end the server: the default writer listens for the error', () => {
  const kit = new ServerKit({ environment: 'production', slot: 'canary', tools: ['echo'] });
  expect(kit.environment).toBe('production');
  const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    expect(() => process.stdout.emit('error', epipe)).not.toThrow();
    expect(stderr).toHaveBeenCalledWith('server-kit: cannot write EMF lines to stdout (write EPIPE); the calls go on without metrics\n');
  } finally {
    stderr.mockRestore();
  }
});
