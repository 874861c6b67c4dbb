/**
 * Checks CloudWatch embedded metric format (EMF) log lines against the metrics contract: the
 * namespace, the metrics and their unit, the dimension sets each metric may have, and the
 * dimension values. `npx mcp-rollout check-emf` runs it over a server's log; server teams run that
 * in their CI. Pure: no I/O, nothing from aws-cdk-lib.
 *
 * Why it matters (DESIGN.md D10): a line in another namespace or with another dimension set is
 * stored as a different metric, so every alarm reads no data, and missing data is not breaching.
 *
 * EMF rules from the specification
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
 * `_aws.Timestamp` (milliseconds since the epoch) and `_aws.CloudWatchMetrics` (directives of
 * Namespace, Dimensions and Metrics) are required; each dimension named in a set and each metric
 * must be a top-level member of the line; a metric without `Unit` is recorded as `None`.
 */
import { ENVIRONMENT_NAMES, SLOT_NAMES } from '../shared/environment-names';
import {
  APP_METRIC_DIMENSION_SETS,
  APP_METRICS,
  DIMENSIONS,
  ERROR_CATEGORIES,
  METRICS_NAMESPACE,
  type AppMetricName,
} from '../shared/metrics-contract';

export type EmfLineCheck =
  | { readonly kind: 'not-emf' }
  | { readonly kind: 'conforms' }
  | { readonly kind: 'violates'; readonly problems: readonly string[] };

export interface EmfViolation {
  /** 1-based line number. */
  readonly line: number;
  readonly problems: readonly string[];
}

export interface EmfCheckResult {
  readonly emfLines: number;
  readonly skippedLines: number;
  readonly violations: readonly EmfViolation[];
}

/** 2001-09-09 in milliseconds; as seconds it is the year 33658: anything below is a timestamp in seconds. */
const MIN_TIMESTAMP_MS = 1e12;
/** The unit every contract metric has. */
const COUNT_UNIT = 'Count';
const METRIC_NAMES = Object.values(APP_METRICS) as AppMetricName[];
const DIMENSION_NAMES = Object.values(DIMENSIONS) as string[];
/** The set the alarms read: every metric must be emitted with it. */
const ALARM_SET = [DIMENSIONS.environment, DIMENSIONS.slot];
/** Allowed values of the dimensions whose values the contract closes. */
const CLOSED_VALUES: Readonly<Record<string, { readonly values: readonly string[]; readonly describe: string }>> = {
  [DIMENSIONS.environment]: { values: ENVIRONMENT_NAMES, describe: `one of ${ENVIRONMENT_NAMES.join(', ')}` },
  [DIMENSIONS.slot]: { values: SLOT_NAMES, describe: `one of ${SLOT_NAMES.join(', ')}` },
  [DIMENSIONS.errorCategory]: {
    values: Object.keys(ERROR_CATEGORIES),
    describe: `one of the closed list (${Object.keys(ERROR_CATEGORIES).join(', ')})`,
  },
};

/** Order-insensitive key of a dimension set: CloudWatch treats a set's names as a set. */
const setKey = (names: readonly string[]): string => [...names].sort().join('\u0000');
const showSet = (names: readonly string[]): string => `[${names.join(', ')}]`;
const CONTRACT_SET_KEYS: Readonly<Record<AppMetricName, ReadonlySet<string>>> = Object.fromEntries(
  METRIC_NAMES.map((m) => [m, new Set(APP_METRIC_DIMENSION_SETS[m].map(setKey))]),
) as unknown as Record<AppMetricName, ReadonlySet<string>>;
const ALARM_SET_KEY = setKey(ALARM_SET);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

function isMetricName(name: unknown): name is AppMetricName {
  return typeof name === 'string' && (METRIC_NAMES as string[]).includes(name);
}

/** Checks one log line. Lines that are not EMF (no `_aws` member) are `not-emf`. */
export function checkEmfLine(text: string): EmfLineCheck {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return { kind: 'not-emf' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return trimmed.includes('"_aws"')
      ? { kind: 'violates', problems: ['names "_aws" but is not valid JSON (a truncated EMF line?)'] }
      : { kind: 'not-emf' };
  }
  if (!isRecord(parsed) || !('_aws' in parsed)) return { kind: 'not-emf' };
  const problems = emfProblems(parsed);
  return problems.length === 0 ? { kind: 'conforms' } : { kind: 'violates', problems };
}

function emfProblems(line: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const aws = line._aws;
  if (!isRecord(aws)) return [`_aws must be an object, got ${describe(aws)}`];
  if (typeof aws.Timestamp !== 'number' || !Number.isFinite(aws.Timestamp)) {
    problems.push(`_aws.Timestamp must be a number (milliseconds since the epoch), got ${describe(aws.Timestamp)}`);
  } else if (aws.Timestamp < MIN_TIMESTAMP_MS) {
    // Read as milliseconds, a value in seconds lies in January 1970: CloudWatch drops it (14 days at most in the past).
    problems.push(`_aws.Timestamp must be milliseconds since the epoch, got ${aws.Timestamp} (seconds?)`);
  }
  const directives = aws.CloudWatchMetrics;
  if (!Array.isArray(directives)) {
    problems.push(`_aws.CloudWatchMetrics must be an array of metric directives, got ${describe(directives)}`);
    return problems;
  }

  // What each metric is emitted with, over every directive of the line.
  const setsByMetric = new Map<AppMetricName, Set<string>>();
  const usedDimensions = new Set<string>();
  const unknownDimensions = new Set<string>();
  directives.forEach((directive, d) => {
    const at = `CloudWatchMetrics[${d}]`;
    if (!isRecord(directive)) {
      problems.push(`${at}: must be an object with Namespace, Dimensions and Metrics, got ${describe(directive)}`);
      return;
    }
    if (directive.Namespace !== METRICS_NAMESPACE) {
      problems.push(`${at}.Namespace: wrong namespace ${describe(directive.Namespace)}; the contract's is "${METRICS_NAMESPACE}"`);
    }

    const sets: { readonly index: number; readonly names: readonly string[] }[] = [];
    const dimensions = directive.Dimensions;
    if (!Array.isArray(dimensions)) {
      problems.push(`${at}.Dimensions: must be an array of dimension sets, got ${describe(dimensions)}`);
    } else {
      dimensions.forEach((set, s) => {
        if (!Array.isArray(set) || !set.every((n): n is string => typeof n === 'string')) {
          problems.push(`${at}.Dimensions[${s}]: must be an array of dimension names, got ${describe(set)}`);
          return;
        }
        const unknown = set.filter((n) => !DIMENSION_NAMES.includes(n));
        for (const name of unknown) {
          if (unknownDimensions.has(name)) continue;
          unknownDimensions.add(name);
          problems.push(`${at}.Dimensions[${s}]: dimension "${name}" is outside the contract; allowed: ${DIMENSION_NAMES.join(', ')}`);
        }
        set.forEach((n) => usedDimensions.add(n));
        if (unknown.length === 0) sets.push({ index: s, names: set });
      });
    }

    const metrics = directive.Metrics;
    if (!Array.isArray(metrics)) {
      problems.push(`${at}.Metrics: must be an array of metric definitions, got ${describe(metrics)}`);
      return;
    }
    metrics.forEach((metric, m) => {
      const name = isRecord(metric) ? metric.Name : undefined;
      if (!isMetricName(name)) {
        problems.push(`${at}.Metrics[${m}]: unknown metric ${describe(name)}; the contract's metrics are ${METRIC_NAMES.join(', ')}`);
        return;
      }
      const unit = (metric as Record<string, unknown>).Unit;
      if (unit !== COUNT_UNIT) {
        const got = unit === undefined ? 'none (EMF then records "None")' : describe(unit);
        problems.push(`${at}.Metrics[${m}]: unit of "${name}" must be "${COUNT_UNIT}", got ${got}`);
      }
      const resolution = (metric as Record<string, unknown>).StorageResolution;
      if (resolution !== undefined && resolution !== 1 && resolution !== 60) {
        problems.push(`${at}.Metrics[${m}]: StorageResolution of "${name}" must be 1 or 60, got ${describe(resolution)}`);
      }
      const seen = setsByMetric.get(name) ?? new Set<string>();
      setsByMetric.set(name, seen);
      for (const set of sets) {
        const key = setKey(set.names);
        seen.add(key);
        if (!CONTRACT_SET_KEYS[name].has(key)) {
          const allowed = APP_METRIC_DIMENSION_SETS[name].map(showSet).join(', ');
          problems.push(`${at}.Dimensions[${set.index}]: dimension set ${showSet(set.names)} is outside the contract for "${name}"; allowed: ${allowed}`);
        }
      }
    });
  });

  for (const [name, keys] of setsByMetric) {
    if (!keys.has(ALARM_SET_KEY)) problems.push(`"${name}" lacks the dimension set ${showSet(ALARM_SET)} that the alarms read`);
    const value = line[name];
    const numeric = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
    if (!(numeric(value) || (Array.isArray(value) && value.length > 0 && value.every(numeric)))) {
      problems.push(`"${name}" must have a number (or an array of numbers) at the top level of the line, got ${describe(value)}`);
    } else if ((Array.isArray(value) ? value : [value]).some((v) => (v as number) < 0)) {
      problems.push(`"${name}" must be a count (a number of 0 or more, or an array of them), got ${describe(value)}`);
    }
  }
  for (const name of DIMENSION_NAMES.filter((n) => usedDimensions.has(n))) {
    const value = line[name];
    if (typeof value !== 'string' || value.length === 0) {
      problems.push(`missing dimension value: "${name}" must be a non-empty string at the top level of the line, got ${describe(value)}`);
      continue;
    }
    const closed = CLOSED_VALUES[name];
    if (closed && !closed.values.includes(value)) problems.push(`${name} must be ${closed.describe}, got ${describe(value)}`);
  }
  return problems;
}

/** Checks lines one at a time (a log may be larger than memory); line numbers start at 1. */
export class EmfLineChecker {
  private lineNumber = 0;
  private emfLines = 0;
  private skippedLines = 0;
  private readonly violations: EmfViolation[] = [];

  add(text: string): void {
    this.lineNumber++;
    const check = checkEmfLine(text);
    if (check.kind === 'not-emf') {
      this.skippedLines++;
      return;
    }
    this.emfLines++;
    if (check.kind === 'violates') this.violations.push({ line: this.lineNumber, problems: check.problems });
  }

  result(): EmfCheckResult {
    return { emfLines: this.emfLines, skippedLines: this.skippedLines, violations: [...this.violations] };
  }
}

/** Checks every line; line numbers start at 1. */
export function checkEmfLines(lines: Iterable<string>): EmfCheckResult {
  const checker = new EmfLineChecker();
  for (const text of lines) checker.add(text);
  return checker.result();
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The report: one `<source>:<line>: <problem>` per problem, then a summary. */
export function formatEmfReport(result: EmfCheckResult, source: string): string[] {
  const skipped = `(${plural(result.skippedLines, 'other line')} skipped)`;
  if (result.emfLines === 0) return [`no EMF lines found ${skipped}: nothing to check`];
  const out = result.violations.flatMap((v) => v.problems.map((p) => `${source}:${v.line}: ${p}`));
  if (result.violations.length === 0) {
    const verb = result.emfLines === 1 ? 'conforms' : 'conform';
    out.push(`${plural(result.emfLines, 'EMF line')} ${verb} to the metrics contract ${skipped}`);
  } else {
    const verb = result.violations.length === 1 ? 'does not conform' : 'do not conform';
    out.push(`${result.violations.length} of ${plural(result.emfLines, 'EMF line')} ${verb} to the metrics contract ${skipped}`);
  }
  return out;
}
