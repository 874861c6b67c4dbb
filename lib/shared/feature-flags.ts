/**
 * The feature flags of the seed, and the AppConfig feature-flag documents that carry them.
 *
 * Pure TypeScript (DESIGN.md D4): the CDK app builds the initial document with it, the rollback
 * Lambda derives the rolled-back document with it, and the CLI validates `flags set` with it.
 * Documents follow the AWS.AppConfig.FeatureFlags schema
 * (https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-type-reference-feature-flags.html).
 */

export interface FlagDefinition {
  /** Display name, 1 to 64 characters. */
  readonly name: string;
  /** Up to 1024 characters. */
  readonly description: string;
}

/** The seed's five flags. Their keys are the contract with the MCP server. */
export const FLAG_DEFINITIONS = {
  hierarchical_tools_enabled: {
    name: 'Hierarchical tools',
    description: 'Serve the hierarchical tool tree instead of the flat tool list.',
  },
  enumdescriptions_validation: {
    name: 'enumDescriptions validation',
    description: 'Validate tool parameters against the seven enumDescriptions before calling a tool.',
  },
  auto_correction_enabled: {
    name: 'Auto-correction',
    description: 'Correct near-miss enum values and parameter names instead of failing the call.',
  },
  enhanced_error_messages: {
    name: 'Enhanced error messages',
    description: 'Return error messages that name the parameter, the value and the allowed values.',
  },
  performance_monitoring: {
    name: 'Performance monitoring',
    description: 'Emit per-tool latency and usage metrics.',
  },
} as const satisfies Record<string, FlagDefinition>;

export type FlagName = keyof typeof FLAG_DEFINITIONS;

export const FLAG_NAMES = Object.keys(FLAG_DEFINITIONS) as FlagName[];

/** Flags a rollback turns off unless the config says otherwise (the seed's `rollback()`). */
export const DEFAULT_ROLLBACK_FLAGS: readonly FlagName[] = ['hierarchical_tools_enabled', 'enumdescriptions_validation'];

export type FlagValues = Readonly<Record<FlagName, boolean>>;

/** The seed's defaults: every flag on. */
export const DEFAULT_FLAG_VALUES: FlagValues = Object.fromEntries(FLAG_NAMES.map((n) => [n, true])) as Record<
  FlagName,
  boolean
>;

/** An AWS.AppConfig.FeatureFlags document holding exactly the seed's flags. */
export interface FlagDocument {
  readonly version: '1';
  readonly flags: Readonly<Record<FlagName, FlagDefinitionInDocument>>;
  readonly values: Readonly<Record<FlagName, FlagValueInDocument>>;
}

export interface FlagDefinitionInDocument {
  readonly name: string;
  readonly description?: string;
  /** Fields AppConfig itself adds when a flag is edited in the console; kept as they are. */
  readonly _createdAt?: string;
  readonly _updatedAt?: string;
  readonly _deprecation?: { readonly status: 'planned'; readonly date?: string };
}

export interface FlagValueInDocument {
  readonly enabled: boolean;
  readonly _createdAt?: string;
  readonly _updatedAt?: string;
}

/** AppConfig's flag key rule: a lowercase letter, then up to 63 letters, digits, `_` or `-`. */
export const FLAG_KEY_PATTERN = /^[a-z][a-zA-Z\d_-]{0,63}$/;
const MAX_NAME_LENGTH = 64;
const MAX_DESCRIPTION_LENGTH = 1024;

export class FlagDocumentError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid feature flag document:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'FlagDocumentError';
  }
}

export function isFlagName(value: unknown): value is FlagName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(FLAG_DEFINITIONS, value);
}

/** A problem with a flag key given by a person, or undefined when it names one of the five flags. */
export function flagNameProblem(key: string): string | undefined {
  if (!FLAG_KEY_PATTERN.test(key)) {
    return `"${key}" is not a valid flag key: it must start with a lowercase letter and contain only letters, digits, "_" or "-" (at most 64 characters)`;
  }
  if (!isFlagName(key)) return `unknown flag "${key}"; the flags are ${FLAG_NAMES.join(', ')}`;
  return undefined;
}

/** Builds the document for the given values (all five flags, each with its name and description). */
export function buildFlagDocument(values: FlagValues): FlagDocument {
  for (const name of FLAG_NAMES) {
    if (typeof values[name] !== 'boolean') {
      throw new FlagDocumentError([`values.${name}: must be true or false, got ${JSON.stringify(values[name])}`]);
    }
  }
  return {
    version: '1',
    flags: Object.fromEntries(
      FLAG_NAMES.map((n) => [n, { name: FLAG_DEFINITIONS[n].name, description: FLAG_DEFINITIONS[n].description }]),
    ) as FlagDocument['flags'],
    values: Object.fromEntries(FLAG_NAMES.map((n) => [n, { enabled: values[n] }])) as FlagDocument['values'],
  };
}

/** The on/off value of every flag in a document. */
export function flagValuesOf(document: FlagDocument): FlagValues {
  return Object.fromEntries(FLAG_NAMES.map((n) => [n, document.values[n].enabled])) as Record<FlagName, boolean>;
}

/**
 * The same document with the rollback flags off; everything else (names, descriptions, the other
 * values, AppConfig's own fields) unchanged. Applying it twice gives the same document.
 */
export function rolledBackDocument(document: FlagDocument, rollbackFlags: readonly FlagName[]): FlagDocument {
  const unknown = rollbackFlags.filter((f) => !isFlagName(f));
  if (unknown.length > 0) {
    throw new FlagDocumentError(unknown.map((f) => `rollback flag ${flagNameProblem(f) ?? f}`));
  }
  return withValues(document, Object.fromEntries(rollbackFlags.map((f) => [f, false])) as Partial<FlagValues>);
}

/** The same document with some values changed. */
export function withValues(document: FlagDocument, changes: Partial<FlagValues>): FlagDocument {
  const values = { ...document.values } as Record<FlagName, FlagValueInDocument>;
  for (const [name, enabled] of Object.entries(changes) as [FlagName, boolean][]) {
    values[name] = { ...values[name], enabled };
  }
  return { ...document, values };
}

/** Flags whose value differs between two documents. */
export function changedFlags(before: FlagDocument, after: FlagDocument): FlagName[] {
  return FLAG_NAMES.filter((n) => before.values[n].enabled !== after.values[n].enabled);
}

/**
 * Parses and validates a document by AppConfig's rules (version "1", key pattern, lengths, no
 * unknown fields) and ours (exactly the five flags, each with a boolean value).
 */
export function parseFlagDocument(input: unknown): FlagDocument {
  const problems: string[] = [];
  const doc = typeof input === 'string' ? parseJson(input, problems) : input;
  if (problems.length > 0) throw new FlagDocumentError(problems);
  if (!isRecord(doc)) throw new FlagDocumentError([`document must be a JSON object, got ${describe(doc)}`]);

  unknownKeys(doc, ['version', 'flags', 'values'], '', problems);
  if (doc.version !== '1') problems.push(`version: must be "1", got ${describe(doc.version)}`);

  const flags = isRecord(doc.flags) ? doc.flags : undefined;
  const values = isRecord(doc.values) ? doc.values : undefined;
  if (!flags) problems.push(`flags: must be an object, got ${describe(doc.flags)}`);
  if (!values) problems.push(`values: must be an object, got ${describe(doc.values)}`);

  for (const key of Object.keys(flags ?? {})) {
    const keyProblem = flagNameProblem(key);
    if (keyProblem) {
      problems.push(`flags: ${keyProblem}`);
      continue;
    }
    const flag = flags![key];
    if (!isRecord(flag)) {
      problems.push(`flags.${key}: must be an object, got ${describe(flag)}`);
      continue;
    }
    unknownKeys(flag, ['name', 'description', '_createdAt', '_updatedAt', '_deprecation', 'attributes'], `flags.${key}`, problems);
    if (typeof flag.name !== 'string' || flag.name.length < 1 || flag.name.length > MAX_NAME_LENGTH) {
      problems.push(`flags.${key}.name: must be a string of 1 to ${MAX_NAME_LENGTH} characters, got ${describe(flag.name)}`);
    }
    if (flag.description !== undefined && (typeof flag.description !== 'string' || flag.description.length > MAX_DESCRIPTION_LENGTH)) {
      problems.push(`flags.${key}.description: must be a string of at most ${MAX_DESCRIPTION_LENGTH} characters`);
    }
    if (flag.attributes !== undefined) {
      problems.push(`flags.${key}.attributes: flag attributes are not used by this server; remove them`);
    }
  }
  for (const key of Object.keys(values ?? {})) {
    const keyProblem = flagNameProblem(key);
    if (keyProblem) {
      problems.push(`values: ${keyProblem}`);
      continue;
    }
    const value = values![key];
    if (!isRecord(value)) {
      problems.push(`values.${key}: must be an object like {"enabled": true}, got ${describe(value)}`);
      continue;
    }
    unknownKeys(value, ['enabled', '_createdAt', '_updatedAt'], `values.${key}`, problems);
    if (typeof value.enabled !== 'boolean') {
      problems.push(`values.${key}.enabled: must be true or false, got ${describe(value.enabled)}`);
    }
  }
  if (flags && values) {
    for (const name of FLAG_NAMES) {
      if (!(name in flags)) problems.push(`flags: missing flag "${name}"`);
      if (!(name in values)) problems.push(`values: missing value for flag "${name}"`);
    }
  }
  if (problems.length > 0) throw new FlagDocumentError(problems);
  return doc as unknown as FlagDocument;
}

/** The document as AppConfig stores it: compact JSON. */
export function serializeFlagDocument(document: FlagDocument): string {
  return JSON.stringify(document);
}

function parseJson(text: string, problems: string[]): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    problems.push(`document is not valid JSON: ${(error as Error).message}`);
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unknownKeys(obj: Record<string, unknown>, allowed: readonly string[], at: string, problems: string[]): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) problems.push(`${at ? `${at}: ` : ''}unknown field "${key}"; allowed: ${allowed.join(', ')}`);
  }
}

function describe(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}
