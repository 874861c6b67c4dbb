/**
 * The MCP server of one request (the server runs stateless: a new Server and transport per HTTP
 * request). It uses the SDK's low-level `Server` so that `tools/list` shows each schema exactly as
 * written, `enumDescriptions` included, and so that near-miss values reach the auto-correction
 * before any schema check rejects them (McpServer validates with zod before the handler runs).
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv-provider.js';
import type { JsonSchemaType } from '@modelcontextprotocol/sdk/validation/types.js';
import { enumFailureMessage, enumSchemaProblems, type ServerKit, type ToolCallTracker } from '../../lib/server-kit';
import type { FlagValues } from '../../lib/shared/feature-flags';
import { ALL_TOOLS, DOMAINS, DOCUMENTS, FLAT_TOOLS, HIERARCHICAL_TOOLS, PROJECTS, type Domain, type DomainName, type ToolDefinition } from './catalog';

export const SERVER_INFO = { name: 'mcp-rollout-example', version: '1.0.0' } as const;

// A schema whose enums lack their enumDescriptions stops the server at start, not at the first call.
const schemaProblems = [...ALL_TOOLS.values()].flatMap((t) => enumSchemaProblems(t.inputSchema, `${t.name}.inputSchema`));
if (schemaProblems.length > 0) throw new Error(`Invalid tool schemas:\n${schemaProblems.map((p) => `  - ${p}`).join('\n')}`);

const validator = new AjvJsonSchemaValidator();
/** Compiled once per tool, not per request. */
const schemaValidators = new Map([...ALL_TOOLS.values()].map((t) => [t.name, validator.getValidator<Record<string, unknown>>(t.inputSchema as unknown as JsonSchemaType)]));

class ToolError extends Error {}

const text = (value: unknown): CallToolResult => ({ content: [{ type: 'text', text: typeof value === 'string' ? value : JSON.stringify(value, null, 2) }] });
const failure = (message: string): CallToolResult => ({ content: [{ type: 'text', text: message }], isError: true });

export function createMcpServer(kit: ServerKit, calls: ToolCallTracker): Server {
  const server = new Server(SERVER_INFO, { capabilities: { tools: {} } });

  server.setRequestHandler(ListToolsRequestSchema, () => {
    const tools = kit.flags().hierarchical_tools_enabled ? HIERARCHICAL_TOOLS : FLAT_TOOLS;
    return { tools: tools.map(({ name, description, inputSchema }) => ({ name, description, inputSchema })) };
  });

  server.setRequestHandler(CallToolRequestSchema, (request, extra) => {
    const flags = kit.flags();
    const tool = ALL_TOOLS.get(request.params.name);
    if (!tool) {
      const known = (flags.hierarchical_tools_enabled ? HIERARCHICAL_TOOLS : FLAT_TOOLS).map((t) => t.name).join(', ');
      return failure(flags.enhanced_error_messages ? `Unknown tool "${request.params.name}". The tools are: ${known}.` : `Tool ${request.params.name} not found`);
    }
    // Enum values and parameter names first: a near miss is corrected before the schema sees it.
    const checked = calls.checkArguments(extra.requestId, tool.inputSchema, request.params.arguments);
    if (checked.failures.length > 0) {
      return failure(checked.failures.map((f) => enumFailureMessage(f, flags.enhanced_error_messages)).join('\n'));
    }
    const valid = schemaValidators.get(tool.name)!(checked.arguments);
    if (!valid.valid) {
      return failure(flags.enhanced_error_messages ? `Invalid arguments for "${tool.name}": ${valid.errorMessage}. Call "help" for the parameters.` : 'Invalid arguments.');
    }
    try {
      const result = run(tool, valid.data, flags);
      const corrected = checked.corrections.map((c) => `${c.kind === 'value' ? `${c.parameter}: "${c.from}"` : `parameter "${c.from}"`} -> "${c.to}"`);
      return corrected.length > 0 ? { ...text(result), _meta: { autoCorrections: corrected } } : text(result);
    } catch (error) {
      if (!(error instanceof ToolError)) throw error;
      return failure(error.message);
    }
  });
  return server;
}

function run(tool: ToolDefinition, args: Record<string, unknown>, flags: FlagValues): unknown {
  if (tool.target.kind === 'help') return help(String(args.topic ?? 'all'), args.detail === 'full', flags);
  const { domain } = tool.target;
  const operation = tool.target.operation ?? String(args.operation);
  const d: Domain = DOMAINS[domain];
  const missing = (d.operations[operation]?.needs ?? []).filter((p) => args[p] === undefined);
  if (missing.length > 0) {
    throw new ToolError(
      flags.enhanced_error_messages
        ? `Operation "${operation}" of "${domain}" needs ${missing.map((m) => `"${m}"`).join(' and ')}: ${missing.map((m) => d.parameters[m]?.description ?? '').join(' ')}`
        : 'Invalid arguments.',
    );
  }
  return domain === 'documents' ? documents(operation, args) : projects(operation, args);
}

function documents(operation: string, args: Record<string, unknown>): unknown {
  const limit = typeof args.limit === 'number' ? args.limit : 5;
  const render = (doc: (typeof DOCUMENTS)[number]) => (args.format === 'text' ? doc.text : `# ${doc.title}\n\n${doc.text}`);
  const byId = () => {
    const doc = DOCUMENTS.find((d) => d.id === args.id);
    if (!doc) throw new ToolError(`No document "${String(args.id)}". The documents are ${DOCUMENTS.map((d) => d.id).join(', ')}.`);
    return doc;
  };
  switch (operation) {
    case 'search': {
      const q = String(args.query).toLowerCase();
      return DOCUMENTS.filter((d) => `${d.title} ${d.text}`.toLowerCase().includes(q))
        .slice(0, limit)
        .map((d) => ({ id: d.id, title: d.title }));
    }
    case 'get':
      return render(byId());
    case 'summarize':
      return byId().text.split('. ')[0]!.replace(/\.?$/, '.');
    case 'list_recent':
      return [...DOCUMENTS].sort((a, b) => b.updated.localeCompare(a.updated)).slice(0, limit).map((d) => ({ id: d.id, title: d.title, updated: d.updated }));
    default:
      // Reached only with enum validation off (the rollback flag): the old behaviour.
      throw new ToolError(`Unknown operation "${operation}".`);
  }
}

function projects(operation: string, args: Record<string, unknown>): unknown {
  const byId = () => {
    const project = PROJECTS.find((p) => p.id === args.id);
    if (!project) throw new ToolError(`No project "${String(args.id)}". The projects are ${PROJECTS.map((p) => p.id).join(', ')}.`);
    return project;
  };
  switch (operation) {
    case 'list': {
      const status = args.status ?? 'active';
      const list = PROJECTS.filter((p) => status === 'all' || p.status === status);
      const sorted = args.sort === 'updated' ? [...list].sort((a, b) => b.updated.localeCompare(a.updated)) : [...list].sort((a, b) => a.name.localeCompare(b.name));
      return sorted.map((p) => ({ id: p.id, name: p.name, status: p.status }));
    }
    case 'get': {
      const { tasks: _tasks, ...project } = byId();
      return project;
    }
    case 'tasks':
      return byId().tasks;
    default:
      throw new ToolError(`Unknown operation "${operation}".`);
  }
}

function help(topic: string, full: boolean, flags: FlagValues): unknown {
  const domains = (topic === 'all' ? Object.keys(DOMAINS) : [topic]) as DomainName[];
  return {
    mode: flags.hierarchical_tools_enabled ? 'hierarchical: one tool per domain, pick the "operation"' : 'flat: one tool per operation, named <domain>_<operation>',
    domains: domains.map((name) => {
      const d: Domain = DOMAINS[name];
      return {
        tool: name,
        description: d.description,
        operations: Object.entries(d.operations).map(([op, o]) => (full ? { operation: op, description: o.description, needs: o.needs } : `${op}: ${o.description}`)),
        ...(full ? { parameters: Object.fromEntries(Object.entries(d.parameters).map(([p, s]) => [p, s.description])) } : {}),
      };
    }),
    features: { validation: flags.enumdescriptions_validation, autoCorrection: flags.auto_correction_enabled, enhancedErrors: flags.enhanced_error_messages },
  };
}
