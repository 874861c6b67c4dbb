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
 * must be a top-level member of the line; a metric without `Unit` is recorded as `None`. Each
 * directive's metrics are extracted once per dimension set of that directive, so a metric declared
 * twice with the same set in one line publishes its value twice: the counts the alarms divide
 * would be off.
 *
 * Memory and output are bounded whatever the log's size: the checker keeps the first
 * MAX_REPORTED_PROBLEMS problems and counts the others by reason.
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

/** Why a line does not conform, one reason per kind of problem (the report counts them). */
export const EMF_PROBLEM_REASONS = {
  'invalid-json': 'an EMF-looking line that is not valid JSON',
  malformed: 'an _aws member of the wrong shape',
  timestamp: 'a Timestamp missing or not in milliseconds',
  namespace: 'a wrong namespace',
  'unknown-dimension': 'a dimension outside the contract',
  'unknown-metric': 'an unknown metric',
  unit: 'a unit other than Count',
  'storage-resolution': 'a StorageResolution other than 1 or 60',
  'dimension-set': 'a dimension set outside the contract',
  'duplicate-declaration': 'a metric declared twice with the same dimension set',
  'alarm-set-missing': "a metric without the alarms' dimension set",
  'metric-value': 'a metric value missing or not a number',
  'negative-count': 'a negative count',
  'dimension-value-missing': 'a missing dimension value',
  'dimension-value': 'a dimension value outside the contract',
} as const;

export type EmfProblemReason = keyof typeof EMF_PROBLEM_REASONS;

interface EmfProblem {
  readonly reason: EmfProblemReason;
  readonly message: string;
}

export interface EmfViolation {
  /** The file (or `<stdin>`) the line is in. */
  readonly source: string;
  /** 1-based line number within the source. */
  readonly line: number;
  readonly problems: readonly string[];
}

export interface EmfCheckResult {
  readonly emfLines: number;
  readonly skippedLines: number;
  /** EMF lines with at least one problem. */
  readonly violatingLines: number;
  /** Problems found, reported or not. */
  readonly problems: number;
  /** Problems found by reason (reasons that occurred only). */
  readonly problemsByReason: Readonly<Partial<Record<EmfProblemReason, number>>>;
  /** The lines with the first MAX_REPORTED_PROBLEMS problems, in order. */
  readonly violations: readonly EmfViolation[];
  /** Problems found after the first MAX_REPORTED_PROBLEMS: counted, not kept. */
  readonly omittedProblems: number;
}

/** How many problems a check keeps and prints; the rest are counted by reason. */
export const MAX_REPORTED_PROBLEMS = 100;

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
  const problems = lineProblems(text);
  if (problems === undefined) return { kind: 'not-emf' };
  return problems.length === 0 ? { kind: 'conforms' } : { kind: 'violates', problems: problems.map((p) => p.message) };
}

/** The problems of one line, or undefined when it is not EMF. */
function lineProblems(text: string): EmfProblem[] | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return trimmed.includes('"_aws"') ? [{ reason: 'invalid-json', message: 'names "_aws" but is not valid JSON (a truncated EMF line?)' }] : undefined;
  }
  if (!isRecord(parsed) || !('_aws' in parsed)) return undefined;
  return emfProblems(parsed);
}

function emfProblems(line: Record<string, unknown>): EmfProblem[] {
  const problems: EmfProblem[] = [];
  const add = (reason: EmfProblemReason, message: string) => problems.push({ reason, message });
  const aws = line._aws;
  if (!isRecord(aws)) return [{ reason: 'malformed', message: `_aws must be an object, got ${describe(aws)}` }];
  if (typeof aws.Timestamp !== 'number' || !Number.isFinite(aws.Timestamp)) {
    add('timestamp', `_aws.Timestamp must be a number (milliseconds since the epoch), got ${describe(aws.Timestamp)}`);
  } else if (aws.Timestamp < MIN_TIMESTAMP_MS) {
    // Read as milliseconds, a value in seconds lies in January 1970: CloudWatch drops it (14 days at most in the past).
    add('timestamp', `_aws.Timestamp must be milliseconds since the epoch, got ${aws.Timestamp} (seconds?)`);
  }
  const directives = aws.CloudWatchMetrics;
  if (!Array.isArray(directives)) {
    add('malformed', `_aws.CloudWatchMetrics must be an array of metric directives, got ${describe(directives)}`);
    return problems;
  }

  // What each metric is emitted with, over every directive of the line.
  const setsByMetric = new Map<AppMetricName, Set<string>>();
  const usedDimensions = new Set<string>();
  const unknownDimensions = new Set<string>();
  directives.forEach((directive, d) => {
    const at = `CloudWatchMetrics[${d}]`;
    if (!isRecord(directive)) {
      add('malformed', `${at}: must be an object with Namespace, Dimensions and Metrics, got ${describe(directive)}`);
      return;
    }
    if (directive.Namespace !== METRICS_NAMESPACE) {
      add('namespace', `${at}.Namespace: wrong namespace ${describe(directive.Namespace)}; the contract's is "${METRICS_NAMESPACE}"`);
    }

    const sets: { readonly index: number; readonly names: readonly string[] }[] = [];
    const dimensions = directive.Dimensions;
    if (!Array.isArray(dimensions)) {
      add('malformed', `${at}.Dimensions: must be an array of dimension sets, got ${describe(dimensions)}`);
    } else {
      dimensions.forEach((set, s) => {
        if (!Array.isArray(set) || !set.every((n): n is string => typeof n === 'string')) {
          add('malformed', `${at}.Dimensions[${s}]: must be an array of dimension names, got ${describe(set)}`);
          return;
        }
        const unknown = set.filter((n) => !DIMENSION_NAMES.includes(n));
        for (const name of unknown) {
          if (unknownDimensions.has(name)) continue;
          unknownDimensions.add(name);
          add('unknown-dimension', `${at}.Dimensions[${s}]: dimension "${name}" is outside the contract; allowed: ${DIMENSION_NAMES.join(', ')}`);
        }
        set.forEach((n) => usedDimensions.add(n));
        if (unknown.length === 0) sets.push({ index: s, names: set });
      });
    }

    const metrics = directive.Metrics;
    if (!Array.isArray(metrics)) {
      add('malformed', `${at}.Metrics: must be an array of metric definitions, got ${describe(metrics)}`);
      return;
    }
    metrics.forEach((metric, m) => {
      const name = isRecord(metric) ? metric.Name : undefined;
      if (!isMetricName(name)) {
        add('unknown-metric', `${at}.Metrics[${m}]: unknown metric ${describe(name)}; the contract's metrics are ${METRIC_NAMES.join(', ')}`);
        return;
      }
      const unit = (metric as Record<string, unknown>).Unit;
      if (unit !== COUNT_UNIT) {
        const got = unit === undefined ? 'none (EMF then records "None")' : describe(unit);
        add('unit', `${at}.Metrics[${m}]: unit of "${name}" must be "${COUNT_UNIT}", got ${got}`);
      }
      const resolution = (metric as Record<string, unknown>).StorageResolution;
      if (resolution !== undefined && resolution !== 1 && resolution !== 60) {
        add('storage-resolution', `${at}.Metrics[${m}]: StorageResolution of "${name}" must be 1 or 60, got ${describe(resolution)}`);
      }
      const seen = setsByMetric.get(name) ?? new Set<string>();
      setsByMetric.set(name, seen);
      for (const set of sets) {
        const key = setKey(set.names);
        if (seen.has(key)) {
          add('duplicate-declaration', `${at}.Metrics[${m}]: "${name}" with dimension set ${showSet(set.names)} is declared a second time in this line; CloudWatch would count its value twice`);
          continue;
        }
        seen.add(key);
        if (!CONTRACT_SET_KEYS[name].has(key)) {
          const allowed = APP_METRIC_DIMENSION_SETS[name].map(showSet).join(', ');
          add('dimension-set', `${at}.Dimensions[${set.index}]: dimension set ${showSet(set.names)} is outside the contract for "${name}"; allowed: ${allowed}`);
        }
      }
    });
  });

  for (const [name, keys] of setsByMetric) {
    if (!keys.has(ALARM_SET_KEY)) add('alarm-set-missing', `"${name}" lacks the dimension set ${showSet(ALARM_SET)} that the alarms read`);
    const value = line[name];
    const numeric = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
    if (!(numeric(value) || (Array.isArray(value) && value.length > 0 && value.every(numeric)))) {
      add('metric-value', `"${name}" must have a number (or an array of numbers) at the top level of the line, got ${describe(value)}`);
    } else if ((Array.isArray(value) ? value : [value]).some((v) => (v as number) < 0)) {
      add('negative-count', `"${name}" must be a count (a number of 0 or more, or an array of them), got ${describe(value)}`);
    }
  }
  for (const name of DIMENSION_NAMES.filter((n) => usedDimensions.has(n))) {
    const value = line[name];
    if (typeof value !== 'string' || value.length === 0) {
      add('dimension-value-missing', `missing dimension value: "${name}" must be a non-empty string at the top level of the line, got ${describe(value)}`);
      continue;
    }
    const closed = CLOSED_VALUES[name];
    if (closed && !closed.values.includes(value)) add('dimension-value', `${name} must be ${closed.describe}, got ${describe(value)}`);
  }
  return problems;
}

export interface EmfLineCheckerOptions {
  /** The name of the first source, for the report (`startSource` names the next ones). @default '<stdin>' */
  readonly source?: string;
  /** How many problems to keep for the report. @default MAX_REPORTED_PROBLEMS */
  readonly maxReportedProblems?: number;
}

/**
 * Checks lines one at a time, from one source or several in turn; line numbers start at 1 in each.
 * It keeps the first problems and counts, whatever the number of lines: a log may be larger than
 * memory, and a report of a million problems helps no one.
 */
export class EmfLineChecker {
  private source: string;
  private readonly maxReported: number;
  private lineNumber = 0;
  private emfLines = 0;
  private skippedLines = 0;
  private violatingLines = 0;
  private problems = 0;
  private readonly byReason = new Map<EmfProblemReason, number>();
  private readonly violations: EmfViolation[] = [];

  constructor(options: EmfLineCheckerOptions = {}) {
    this.source = options.source ?? '<stdin>';
    this.maxReported = options.maxReportedProblems ?? MAX_REPORTED_PROBLEMS;
  }

  /** The lines added from now on come from `source`, numbered from 1. */
  startSource(source: string): void {
    this.source = source;
    this.lineNumber = 0;
  }

  add(text: string): void {
    this.lineNumber++;
    const problems = lineProblems(text);
    if (problems === undefined) {
      this.skippedLines++;
      return;
    }
    this.emfLines++;
    if (problems.length === 0) return;
    this.violatingLines++;
    for (const { reason } of problems) this.byReason.set(reason, (this.byReason.get(reason) ?? 0) + 1);
    const room = this.maxReported - Math.min(this.problems, this.maxReported);
    this.problems += problems.length;
    if (room > 0) this.violations.push({ source: this.source, line: this.lineNumber, problems: problems.slice(0, room).map((p) => p.message) });
  }

  result(): EmfCheckResult {
    const reported = this.violations.reduce((n, v) => n + v.problems.length, 0);
    // In the order of EMF_PROBLEM_REASONS, so the document reads the same from run to run.
    const problemsByReason = Object.fromEntries(
      (Object.keys(EMF_PROBLEM_REASONS) as EmfProblemReason[]).filter((r) => this.byReason.has(r)).map((r) => [r, this.byReason.get(r)!]),
    ) as Partial<Record<EmfProblemReason, number>>;
    return {
      emfLines: this.emfLines,
      skippedLines: this.skippedLines,
      violatingLines: this.violatingLines,
      problems: this.problems,
      problemsByReason,
      violations: [...this.violations],
      omittedProblems: this.problems - reported,
    };
  }
}

/** Checks every line of one source; line numbers start at 1. */
export function checkEmfLines(lines: Iterable<string>, source = '<stdin>'): EmfCheckResult {
  const checker = new EmfLineChecker({ source });
  for (const text of lines) checker.add(text);
  return checker.result();
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The report: one `<source>:<line>: <problem>` per kept problem, how many more there were, the
 * counts by reason, then a summary.
 */
export function formatEmfReport(result: EmfCheckResult): string[] {
  const skipped = `(${plural(result.skippedLines, 'other line')} skipped)`;
  if (result.emfLines === 0) return [`no EMF lines found ${skipped}: nothing to check`];
  if (result.violatingLines === 0) {
    const verb = result.emfLines === 1 ? 'conforms' : 'conform';
    return [`${plural(result.emfLines, 'EMF line')} ${verb} to the metrics contract ${skipped}`];
  }
  const out = result.violations.flatMap((v) => v.problems.map((p) => `${v.source}:${v.line}: ${p}`));
  if (result.omittedProblems > 0) out.push(`... and ${result.omittedProblems} more problems (the first ${out.length} are shown above)`);
  const counts = (Object.entries(result.problemsByReason) as [EmfProblemReason, number][]).sort(([, a], [, b]) => b - a);
  const width = Math.max(...counts.map(([, n]) => String(n).length));
  out.push('problems by reason:', ...counts.map(([reason, n]) => `  ${String(n).padStart(width)}  ${EMF_PROBLEM_REASONS[reason]}`));
  const verb = result.violatingLines === 1 ? 'does not conform' : 'do not conform';
  out.push(`${result.violatingLines} of ${plural(result.emfLines, 'EMF line')} ${verb} to the metrics contract ${skipped}`);
  return out;
}
