/**
 * Enum validation with auto-correction (the seed's "enumDescriptions validation" and
 * "auto-correction"). Pure functions over a tool's JSON Schema and a call's arguments; the
 * instrumentation counts the results (README "Enum validation" holds the exact definitions).
 *
 * An enum parameter is a top-level string property of the tool's input schema with `enum` and
 * `enumDescriptions`: one description per value, in the same order, as VS Code's JSON schema
 * extension defines the keyword. MCP clients show the descriptions to the model, which is why each
 * value needs one.
 */

/** The part of a JSON Schema property this module reads. */
export interface EnumSchemaProperty {
  readonly type?: string | readonly string[];
  readonly enum?: readonly unknown[];
  readonly enumDescriptions?: readonly string[];
  readonly description?: string;
  readonly [keyword: string]: unknown;
}

/** A tool's `inputSchema` (an object schema, as MCP requires). */
export interface ToolInputSchema {
  readonly type: 'object';
  readonly properties?: Readonly<Record<string, EnumSchemaProperty>>;
  readonly required?: readonly string[];
  readonly [keyword: string]: unknown;
}

export interface EnumCheckOptions {
  /** `enumdescriptions_validation`: check enum parameters at all. */
  readonly validate: boolean;
  /** `auto_correction_enabled`: correct near-miss values and parameter names. */
  readonly autoCorrect: boolean;
}

export interface EnumFailure {
  readonly parameter: string;
  readonly value: unknown;
  readonly allowed: readonly string[];
  readonly descriptions: readonly string[];
  /** The value auto-correction would pick (it was off); undefined when nothing is close. */
  readonly suggestion?: string;
}

export interface Correction {
  readonly kind: 'value' | 'parameter';
  /** The parameter (after a name correction: its corrected name). */
  readonly parameter: string;
  readonly from: string;
  readonly to: string;
}

export interface EnumCheckResult {
  /** The arguments with every correction applied (a copy; the input is not changed). */
  readonly arguments: Readonly<Record<string, unknown>>;
  /** Enum parameters present in the call and checked. */
  readonly validations: number;
  readonly failures: readonly EnumFailure[];
  readonly corrections: readonly Correction[];
}

interface EnumParameter {
  readonly allowed: readonly string[];
  readonly descriptions: readonly string[];
}

const parsedSchemas = new WeakMap<ToolInputSchema, ReadonlyMap<string, EnumParameter>>();

/** The enum parameters of a schema (parsed once per schema object); throws when one breaks the enumDescriptions rules. */
export function enumParameters(schema: ToolInputSchema): ReadonlyMap<string, EnumParameter> {
  const cached = parsedSchemas.get(schema);
  if (cached) return cached;
  const problems = enumSchemaProblems(schema);
  if (problems.length > 0) throw new Error(`Invalid enum parameters:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  const params = new Map<string, EnumParameter>();
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    if (property.enum !== undefined) {
      params.set(name, { allowed: property.enum as string[], descriptions: property.enumDescriptions ?? [] });
    }
  }
  parsedSchemas.set(schema, params);
  return params;
}

/** Problems with a schema's enum parameters: string values only, one description per value. */
export function enumSchemaProblems(schema: ToolInputSchema, path = 'inputSchema'): string[] {
  const problems: string[] = [];
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    if (property.enum === undefined) continue;
    const at = `${path}.properties.${name}`;
    const values = property.enum;
    if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'string')) {
      problems.push(`${at}.enum: must be a non-empty array of strings`);
      continue;
    }
    if (new Set(values.map(normalize)).size !== values.length) {
      problems.push(`${at}.enum: values must differ after normalization (case, spaces, "-" and "_"), or a correction would be ambiguous`);
    }
    const descriptions = property.enumDescriptions;
    if (!Array.isArray(descriptions) || descriptions.length !== values.length || !descriptions.every((d) => typeof d === 'string' && d.length > 0)) {
      problems.push(`${at}.enumDescriptions: must hold one non-empty description per enum value (${values.length}), in the same order`);
    }
  }
  return problems;
}

/** Lower case, trimmed, runs of spaces and "-" as "_": "Search-Documents " -> "search_documents". */
export function normalize(value: string): string {
  return value.trim().toLowerCase().replace(/[\s-]+/g, '_');
}

/**
 * The allowed value a near miss means, or undefined. A near miss is a string that (1) equals an
 * allowed value after normalization, or (2) is within 1 edit (values up to 4 characters) or
 * 2 edits (longer values) of exactly one allowed value, after normalization. An edit inserts,
 * deletes or replaces a character, or swaps two adjacent ones. A tie is not corrected.
 */
export function nearMiss(value: string, allowed: readonly string[]): string | undefined {
  const v = normalize(value);
  const exact = allowed.find((a) => normalize(a) === v);
  if (exact !== undefined) return exact;
  let best: string | undefined;
  let bestDistance = Infinity;
  let tie = false;
  for (const a of allowed) {
    const target = normalize(a);
    const limit = target.length <= 4 ? 1 : 2;
    const d = editDistance(v, target, limit);
    if (d > limit) continue;
    if (d < bestDistance) {
      best = a;
      bestDistance = d;
      tie = false;
    } else if (d === bestDistance) {
      tie = true;
    }
  }
  return tie ? undefined : best;
}

/** Optimal string alignment distance, stopping early once every path exceeds `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      row.push(d);
      rowMin = Math.min(rowMin, d);
    }
    if (rowMin > limit) return limit + 1;
    prev2 = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * Checks a call's arguments against the schema's enum parameters, correcting what the options
 * allow. Parameter names are corrected first (an unknown argument whose name is a near miss of
 * exactly one schema property the call left out), so a corrected name's value is checked too.
 */
export function checkEnumArguments(schema: ToolInputSchema, args: Readonly<Record<string, unknown>> | undefined, options: EnumCheckOptions): EnumCheckResult {
  const properties = schema.properties ?? {};
  const params = enumParameters(schema);
  const out: Record<string, unknown> = { ...(args ?? {}) };
  const corrections: Correction[] = [];
  const failures: EnumFailure[] = [];

  if (options.autoCorrect) {
    const names = Object.keys(properties);
    for (const key of Object.keys(out)) {
      if (Object.prototype.hasOwnProperty.call(properties, key)) continue;
      const to = nearMiss(key, names.filter((n) => !(n in out)));
      if (to === undefined) continue;
      out[to] = out[key];
      delete out[key];
      corrections.push({ kind: 'parameter', parameter: to, from: key, to });
    }
  }

  let validations = 0;
  if (options.validate) {
    for (const [name, param] of params) {
      if (!(name in out)) continue;
      validations++;
      const value = out[name];
      if (typeof value === 'string' && param.allowed.includes(value)) continue;
      const suggestion = typeof value === 'string' ? nearMiss(value, param.allowed) : undefined;
      if (suggestion !== undefined && options.autoCorrect) {
        out[name] = suggestion;
        corrections.push({ kind: 'value', parameter: name, from: value as string, to: suggestion });
        continue;
      }
      failures.push({ parameter: name, value, allowed: param.allowed, descriptions: param.descriptions, ...(suggestion !== undefined ? { suggestion } : {}) });
    }
  }
  return { arguments: out, validations, failures, corrections };
}

/**
 * The error text for a failed value. Enhanced (`enhanced_error_messages`): the parameter, the
 * value, every allowed value with its description, and the near miss when there is one. Plain: the
 * parameter only, as the server answered before the enumDescriptions work.
 */
export function enumFailureMessage(failure: EnumFailure, enhanced: boolean): string {
  if (!enhanced) return `Invalid value for parameter "${failure.parameter}".`;
  const allowed = failure.allowed.map((v, i) => `"${v}" (${failure.descriptions[i] ?? ''})`).join(', ');
  const hint = failure.suggestion !== undefined ? ` Did you mean "${failure.suggestion}"?` : '';
  const shown = JSON.stringify(failure.value) ?? String(failure.value);
  const value = shown.length > 80 ? `${shown.slice(0, 77)}...` : shown;
  return `Parameter "${failure.parameter}" got ${value}, which is not one of the allowed values: ${allowed}.${hint}`;
}
