/**
 * The example server's tools: one hierarchical tool per domain, whose `operation` enum dispatches,
 * and a `help` tool for discovery. With `hierarchical_tools_enabled` off the server lists the flat
 * tools it had before (`documents_search`, ...): the rollback flag's "previous behaviour". Both sets
 * stay callable, so a client that cached the other list keeps working.
 *
 * Seven enum parameters, each with one `enumDescriptions` entry per value (VS Code's JSON schema
 * keyword), as the seed's seven enumDescriptions.
 */
import type { ToolInputSchema } from '../../lib/server-kit';

export interface Operation {
  readonly description: string;
  /** Parameters this operation needs beyond `operation`. */
  readonly needs: readonly string[];
}

export interface Domain {
  readonly description: string;
  readonly operations: Readonly<Record<string, Operation>>;
  /** The domain's parameters other than `operation`. */
  readonly parameters: NonNullable<ToolInputSchema['properties']>;
}

export const DOMAINS = {
  documents: {
    description: 'Find and read the team documents.',
    operations: {
      search: { description: 'Find documents whose title or text contains the query.', needs: ['query'] },
      get: { description: 'Read one document by id.', needs: ['id'] },
      summarize: { description: 'The first sentence of one document.', needs: ['id'] },
      list_recent: { description: 'The most recently updated documents first.', needs: [] },
    },
    parameters: {
      query: { type: 'string', minLength: 1, description: 'Words to look for (search).' },
      id: { type: 'string', minLength: 1, description: 'A document id such as "doc-1" (get, summarize).' },
      format: { type: 'string', enum: ['markdown', 'text'], enumDescriptions: ['Markdown with a title line', 'Plain text only'], description: 'How to render a document.' },
      limit: { type: 'integer', minimum: 1, maximum: 20, description: 'How many documents at most (search, list_recent). Default 5.' },
    },
  },
  projects: {
    description: 'Look up projects and their tasks.',
    operations: {
      list: { description: 'Projects, filtered by status and sorted.', needs: [] },
      get: { description: 'One project by id.', needs: ['id'] },
      tasks: { description: 'The open tasks of one project.', needs: ['id'] },
    },
    parameters: {
      id: { type: 'string', minLength: 1, description: 'A project id such as "prj-1" (get, tasks).' },
      status: { type: 'string', enum: ['active', 'archived', 'all'], enumDescriptions: ['Projects in progress', 'Finished or stopped projects', 'Every project'], description: 'Which projects to list.' },
      sort: { type: 'string', enum: ['name', 'updated'], enumDescriptions: ['Alphabetically by name', 'Most recently updated first'], description: 'Order of the list.' },
    },
  },
} as const satisfies Record<string, Domain>;

export type DomainName = keyof typeof DOMAINS;
export const DOMAIN_NAMES = Object.keys(DOMAINS) as DomainName[];

export const HELP_TOOL = 'help';

export interface ToolDefinition {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: ToolInputSchema;
  /** What a call runs: a domain and an operation (fixed for a flat tool), or the help. */
  readonly target: { readonly kind: 'domain'; readonly domain: DomainName; readonly operation?: string } | { readonly kind: 'help' };
}

function operationsOf(domain: DomainName): [string, Operation][] {
  return Object.entries(DOMAINS[domain].operations);
}

function hierarchicalTool(domain: DomainName): ToolDefinition {
  const d: Domain = DOMAINS[domain];
  const ops = operationsOf(domain);
  return {
    name: domain,
    description: `${d.description} Choose what to do with "operation"; call "${HELP_TOOL}" for the details of each operation.`,
    inputSchema: {
      type: 'object',
      properties: {
        operation: {
          type: 'string',
          enum: ops.map(([name]) => name),
          enumDescriptions: ops.map(([, op]) => op.description),
          description: `What to do in ${domain}.`,
        },
        ...d.parameters,
      },
      required: ['operation'],
      additionalProperties: false,
    },
    target: { kind: 'domain', domain },
  };
}

function flatTools(domain: DomainName): ToolDefinition[] {
  const d: Domain = DOMAINS[domain];
  return operationsOf(domain).map(([operation, op]) => ({
    name: `${domain}_${operation}`,
    description: op.description,
    inputSchema: { type: 'object', properties: d.parameters, required: [...op.needs], additionalProperties: false },
    target: { kind: 'domain', domain, operation },
  }));
}

const HELP: ToolDefinition = {
  name: HELP_TOOL,
  description: 'Discover the tools: each domain, its operations and their parameters, and which features are on.',
  inputSchema: {
    type: 'object',
    properties: {
      topic: {
        type: 'string',
        enum: [...DOMAIN_NAMES, 'all'],
        enumDescriptions: [...DOMAIN_NAMES.map((n) => `The ${n} tool: ${DOMAINS[n].description}`), 'Every domain'],
        description: 'What to explain. Default all.',
      },
      detail: { type: 'string', enum: ['brief', 'full'], enumDescriptions: ['Names and one line each', 'Every operation and parameter'], description: 'How much to say. Default brief.' },
    },
    additionalProperties: false,
  },
  target: { kind: 'help' },
};

/** The tools the server lists in each mode. */
export const HIERARCHICAL_TOOLS: readonly ToolDefinition[] = [...DOMAIN_NAMES.map(hierarchicalTool), HELP];
export const FLAT_TOOLS: readonly ToolDefinition[] = [...DOMAIN_NAMES.flatMap(flatTools), HELP];

/** Every tool the server can serve, by name (the kit's Tool dimension values). */
export const ALL_TOOLS: ReadonlyMap<string, ToolDefinition> = new Map([...HIERARCHICAL_TOOLS, ...FLAT_TOOLS].map((t) => [t.name, t]));

// Fixture data: small and fixed, so tests can assert results.
export const DOCUMENTS = [
  { id: 'doc-1', title: 'Canary release checklist', updated: '2026-11-20', text: 'Deploy the canary at 10 percent and watch the success rate. Promote after the gate passes.' },
  { id: 'doc-2', title: 'Rollback runbook', updated: '2026-11-22', text: 'A trigger alarm rolls back on its own. Resume only after the cause is fixed.' },
  { id: 'doc-3', title: 'Feature flag guide', updated: '2026-11-18', text: 'Flags change through AppConfig. The agent sidecar serves them to the server.' },
] as const;

export const PROJECTS = [
  { id: 'prj-1', name: 'Hierarchical tools', status: 'active', updated: '2026-11-21', tasks: ['Write the enumDescriptions', 'Measure the success rate'] },
  { id: 'prj-2', name: 'Flat tools', status: 'archived', updated: '2026-06-01', tasks: [] },
  { id: 'prj-3', name: 'Auto-correction', status: 'active', updated: '2026-11-23', tasks: ['Tune the edit distance'] },
] as const;
