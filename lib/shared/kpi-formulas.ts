/**
 * The one home of each KPI's math (DESIGN.md D3, D9): which counts it reads, how they combine, and
 * the minimum-sample rule. It is rendered twice from the same definition:
 *  - as CloudWatch metric math for the alarms and dashboards (`kpiExpression`, used by
 *    lib/constructs/private/kpi-metrics.ts),
 *  - as a function over counts for the gate and the judge (`kpiValue`, `alarmReading`).
 * test/kpi-formulas.test.ts evaluates the synthesized alarms against the function on the same
 * counts, so the two renderings cannot drift.
 *
 * Pure TypeScript, no aws-cdk-lib (D4): the CLI and the judge Lambda import it.
 */
import { APP_METRICS, KPIS, type AppMetricName, type KpiId, type KpiScope } from './metrics-contract';

/** The load balancer's namespace (target group and load balancer metrics). */
export const ALB_NAMESPACE = 'AWS/ApplicationELB';

/**
 * The load balancer metrics the KPIs count, all with statistic Sum. Definitions:
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html
 */
const ALB_COUNT_METRICS = {
  /** Requests for which the load balancer chose a target: dimensions TargetGroup or LoadBalancer. */
  requestCount: 'RequestCount',
  /** 5xx responses the targets generated. */
  target5xx: 'HTTPCode_Target_5XX_Count',
  /** Connections the load balancer could not establish with a target. */
  targetConnectionErrors: 'TargetConnectionErrorCount',
  /** 5xx responses the load balancer generated itself; reported per load balancer only. */
  elb5xx: 'HTTPCode_ELB_5XX_Count',
} as const;

export type AlbCountMetric = (typeof ALB_COUNT_METRICS)[keyof typeof ALB_COUNT_METRICS];

/** The latency metric (seconds) whose p95 is the response-time KPI. */
export const ALB_RESPONSE_TIME_METRIC = 'TargetResponseTime';

/** TargetResponseTime is in seconds; the KPI table's latencies are milliseconds. */
export const MS_PER_SECOND = 1000;

/** A CloudWatch metric that feeds a count: an app metric (summed over the scope's slots) or an ALB count. */
export type CountSource = AppMetricName | AlbCountMetric;

/** The counts the KPIs are built from, over one period of one scope. */
const COUNT_NAMES = [
  'toolCalls',
  'toolCallSuccesses',
  'toolCallErrors',
  'enumValidations',
  'enumValidationFailures',
  'requests',
  'httpFailures',
] as const;
export type CountName = (typeof COUNT_NAMES)[number];

export type KpiCounts = Readonly<Record<CountName, number>>;

/** `slot` for stable or canary alone, `service` for the whole load balancer. */
export type ScopeKind = 'slot' | 'service';

export function scopeKind(scope: KpiScope): ScopeKind {
  return scope === 'service' ? 'service' : 'slot';
}

/**
 * The metrics each count sums, per scope.
 *
 * `httpFailures` are the requests the HTTP layer failed. For the whole service that is the
 * targets' 5xx plus the load balancer's own 5xx. `HTTPCode_ELB_5XX_Count` has no TargetGroup
 * dimension, so a slot counts its share of them by their cause instead: connections to its targets
 * that could not be established, which the load balancer answers with a 502 ("The load balancer
 * received a TCP RST from the target when attempting to establish a connection",
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-troubleshooting.html#http-502-issues).
 * The service does not add its connection errors: its ELB 5xx already hold those 502s.
 */
export const COUNT_SOURCES = {
  toolCalls: { slot: [APP_METRICS.toolCalls], service: [APP_METRICS.toolCalls] },
  toolCallSuccesses: { slot: [APP_METRICS.toolCallSuccesses], service: [APP_METRICS.toolCallSuccesses] },
  toolCallErrors: { slot: [APP_METRICS.toolCallErrors], service: [APP_METRICS.toolCallErrors] },
  enumValidations: { slot: [APP_METRICS.enumValidations], service: [APP_METRICS.enumValidations] },
  enumValidationFailures: { slot: [APP_METRICS.enumValidationFailures], service: [APP_METRICS.enumValidationFailures] },
  requests: { slot: [ALB_COUNT_METRICS.requestCount], service: [ALB_COUNT_METRICS.requestCount] },
  httpFailures: {
    slot: [ALB_COUNT_METRICS.target5xx, ALB_COUNT_METRICS.targetConnectionErrors],
    service: [ALB_COUNT_METRICS.target5xx, ALB_COUNT_METRICS.elb5xx],
  },
} as const satisfies Readonly<Record<CountName, Readonly<Record<ScopeKind, readonly CountSource[]>>>>;

/** A metric a single slot's counts read (the load balancer's own 5xx are not one of them). */
export type SlotCountSource = (typeof COUNT_SOURCES)[CountName]['slot'][number];

/** The metrics of one slot that its counts need: what a recorded metric window holds per slot. */
export const SLOT_COUNT_SOURCES: readonly SlotCountSource[] = [...new Set(COUNT_NAMES.flatMap((c): readonly SlotCountSource[] => COUNT_SOURCES[c].slot))];

/** Adds up a scope's counts from the value of each source metric (missing counts are zero). */
export function countsFrom(kind: ScopeKind, valueOf: (source: CountSource) => number | undefined): KpiCounts {
  return Object.fromEntries(
    COUNT_NAMES.map((name) => [name, (COUNT_SOURCES[name][kind] as readonly CountSource[]).reduce((sum, source) => sum + (valueOf(source) ?? 0), 0)]),
  ) as Record<CountName, number>;
}

/** A named sum of counts; the name becomes the metric-math id of that sum. */
export interface CountTerm {
  readonly name: string;
  readonly counts: readonly CountName[];
}

/** A percentage of a sample count: of the `part` (`100 x part / samples`) or of the rest (`100 - 100 x part / samples`). */
export interface RateFormula {
  readonly kind: 'rate';
  readonly samples: CountTerm;
  readonly part: CountTerm;
  readonly percentOf: 'part' | 'rest';
}

/** A per-period percentile of the response time, in milliseconds, judged once enough requests came. */
export interface LatencyFormula {
  readonly kind: 'latency';
  readonly samples: CountTerm;
  /** The metric-math id of the percentile. */
  readonly name: string;
  readonly statistic: 'p95';
}

export type KpiFormula = RateFormula | LatencyFormula;

/**
 * The KPI table's math. Every rate is capped at 100 % (`MIN(part, samples)`): CloudWatch delivers
 * the counts of one minute independently, so a period can briefly hold more successes than calls.
 */
export const KPI_FORMULAS: Readonly<Record<KpiId, KpiFormula>> = {
  llmSuccessRate: {
    kind: 'rate',
    samples: { name: 'calls', counts: ['toolCalls'] },
    part: { name: 'ok', counts: ['toolCallSuccesses'] },
    percentOf: 'part',
  },
  responseTimeP95: { kind: 'latency', samples: { name: 'requests', counts: ['requests'] }, name: 'p95', statistic: 'p95' },
  errorRate: {
    kind: 'rate',
    samples: { name: 'requests', counts: ['requests'] },
    part: { name: 'errors', counts: ['toolCallErrors', 'httpFailures'] },
    percentOf: 'part',
  },
  enumValidationSuccess: {
    kind: 'rate',
    samples: { name: 'checks', counts: ['enumValidations'] },
    part: { name: 'failed', counts: ['enumValidationFailures'] },
    percentOf: 'rest',
  },
  availability: {
    kind: 'rate',
    samples: { name: 'requests', counts: ['requests'] },
    part: { name: 'failed', counts: ['httpFailures'] },
    percentOf: 'rest',
  },
};

/**
 * The minimum-sample rule: a period needs `minimumSamplesPerMinute` samples per minute of its
 * length (at least one) before its KPI counts. The alarms apply it to each period they evaluate;
 * the judge to each minute it compares and to the whole window.
 */
export function minimumSamples(minimumSamplesPerMinute: number, periodSeconds: number): number {
  return Math.max(1, Math.round((minimumSamplesPerMinute * periodSeconds) / 60));
}

/** What a KPI reads while it has too few samples to count: healthy (100 % success, 0 % errors, 0 ms). */
function healthyValue(id: KpiId): number {
  return KPIS[id].higherIsBetter ? 100 : 0;
}

function termTotal(term: CountTerm, counts: KpiCounts): number {
  return term.counts.reduce((sum, c) => sum + counts[c], 0);
}

/** The metrics whose sum is a KPI's sample count in a scope (RequestCount for the latency). */
export function sampleSources(id: KpiId, kind: ScopeKind): readonly CountSource[] {
  return KPI_FORMULAS[id].samples.counts.flatMap((c): readonly CountSource[] => COUNT_SOURCES[c][kind]);
}

/**
 * A rate KPI's samples split into good and bad: `bad` is what makes the KPI worse (failed calls,
 * errors, failed validations, failed requests), capped at the samples as the expression caps it.
 */
export function rateOutcomes(id: KpiId, counts: KpiCounts): { readonly samples: number; readonly bad: number } {
  const f = KPI_FORMULAS[id];
  if (f.kind !== 'rate') throw new Error(`${id} is not a rate`);
  const samples = termTotal(f.samples, counts);
  const part = Math.min(termTotal(f.part, counts), samples);
  const valueCount = f.percentOf === 'part' ? part : samples - part;
  return { samples, bad: KPIS[id].higherIsBetter ? samples - valueCount : valueCount };
}

/**
 * The KPI over one period (a minute, or a whole window): percent, or milliseconds for latency
 * (`p95Seconds` is the period's TargetResponseTime p95). Undefined while the period has fewer
 * samples than `minimum`, or no latency datapoint.
 */
export function kpiValue(id: KpiId, counts: KpiCounts, minimum: number, p95Seconds?: number): number | undefined {
  const f = KPI_FORMULAS[id];
  const samples = termTotal(f.samples, counts);
  if (samples < minimum) return undefined;
  if (f.kind === 'latency') return p95Seconds === undefined ? undefined : MS_PER_SECOND * p95Seconds;
  const part = Math.min(termTotal(f.part, counts), samples);
  return f.percentOf === 'part' ? (100 * part) / samples : 100 - (100 * part) / samples;
}

/** What the KPI's alarm evaluates for one period: its value, or healthy below the minimum. */
export function alarmReading(id: KpiId, counts: KpiCounts, minimum: number, p95Seconds?: number): number | undefined {
  const f = KPI_FORMULAS[id];
  if (termTotal(f.samples, counts) < minimum) return healthyValue(id);
  return kpiValue(id, counts, minimum, p95Seconds);
}

/** The metric-math ids of a KPI's terms, by term name (as given in `KPI_FORMULAS`). */
export type TermIds = Readonly<Record<string, string>>;

/**
 * The KPI as a CloudWatch metric-math expression over ids that hold each term (the sum of its
 * counts, zero-filled) and, for latency, the percentile in seconds. Reads healthy below `minimum`.
 * Functions: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html
 */
export function kpiExpression(id: KpiId, ids: TermIds, minimum: number): string {
  const f = KPI_FORMULAS[id];
  const idOf = (name: string) => {
    const found = ids[name];
    if (found === undefined) throw new Error(`kpiExpression(${id}): no id for term "${name}"`);
    return found;
  };
  const samples = idOf(f.samples.name);
  const otherwise = healthyValue(id);
  if (f.kind === 'latency') return `IF(${samples} >= ${minimum}, ${MS_PER_SECOND} * ${idOf(f.name)}, ${otherwise})`;
  const part = idOf(f.part.name);
  const share = `100 * MIN([${part}, ${samples}]) / ${samples}`;
  return `IF(${samples} >= ${minimum}, ${f.percentOf === 'part' ? share : `100 - ${share}`}, ${otherwise})`;
}

/** The formula for people (alarm descriptions, docs), from the same definition. */
export function kpiFormulaText(id: KpiId): string {
  const f = KPI_FORMULAS[id];
  const term = (t: CountTerm) => (t.counts.length === 1 ? COUNT_LABELS[t.counts[0]!] : `(${t.counts.map((c) => COUNT_LABELS[c]).join(' + ')})`);
  if (f.kind === 'latency') return `${MS_PER_SECOND} x ALB ${ALB_RESPONSE_TIME_METRIC} ${f.statistic} (seconds)`;
  const share = `100 x ${term(f.part)} / ${term(f.samples)}`;
  return f.percentOf === 'part' ? share : `100 - ${share}`;
}

const COUNT_LABELS: Readonly<Record<CountName, string>> = {
  toolCalls: APP_METRICS.toolCalls,
  toolCallSuccesses: APP_METRICS.toolCallSuccesses,
  toolCallErrors: APP_METRICS.toolCallErrors,
  enumValidations: APP_METRICS.enumValidations,
  enumValidationFailures: APP_METRICS.enumValidationFailures,
  requests: ALB_COUNT_METRICS.requestCount,
  httpFailures: 'HTTP 5xx',
};
