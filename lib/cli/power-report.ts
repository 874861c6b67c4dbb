/**
 * What each bake of the plan can detect at recent traffic (issue 13): the tool calls the canary
 * will see, from the last 7 days' counts in CloudWatch, and what the judge would decide on them.
 * The detection figures come from running the judge itself (lib/shared/canary-judge.ts) on
 * windows of the expected counts at the end of the bake, not from a second formula (one home for
 * the statistics, DESIGN.md D9). Expected counts are the typical run: a canary exactly at the
 * reported boundary fails about half the time, one well past it nearly always.
 */
import { GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { SLOT_NAMES } from '../shared/environment-names';
import { judge, type Verdict } from '../shared/canary-judge';
import { METRIC_WINDOW_FORMAT, slotSeries, type MetricWindow, type WindowSeriesName } from '../shared/metric-window';
import { minimumSamples } from '../shared/kpi-formulas';
import { APP_METRICS, DIMENSIONS, METRICS_NAMESPACE, type KpiThresholdTable } from '../shared/metrics-contract';
import { percentAtEachStep, type RolloutPlan } from '../shared/rollout-contract';
import type { CommandContext } from './context';
import { aws } from './live-state';

/** How far back the traffic estimate looks. */
const TRAFFIC_LOOKBACK_DAYS = 7;
const HOUR_MS = 3_600_000;

export interface RecentTraffic {
  /** Tool calls per hour of the whole service (both slots), oldest first, one entry per hour with data. */
  readonly hourlyCalls: readonly number[];
  /** The median hour, in calls per minute: what a bake usually sees. */
  readonly typicalPerMinute: number;
  /** The 10th-percentile hour, in calls per minute: a quiet hour. */
  readonly quietPerMinute: number;
}

/** The last 7 days of ToolCalls, summed over both slots, per hour (one GetMetricData call, paginated). */
async function readRecentTraffic(ctx: CommandContext): Promise<RecentTraffic> {
  const end = Math.floor(ctx.clock.now() / HOUR_MS) * HOUR_MS;
  const start = end - TRAFFIC_LOOKBACK_DAYS * 24 * HOUR_MS;
  const queries: MetricDataQuery[] = SLOT_NAMES.map((slot) => ({
    Id: `calls_${slot}`,
    MetricStat: {
      Metric: {
        Namespace: METRICS_NAMESPACE,
        MetricName: APP_METRICS.toolCalls,
        Dimensions: [
          { Name: DIMENSIONS.environment, Value: ctx.environment },
          { Name: DIMENSIONS.slot, Value: slot },
        ],
      },
      Period: 3600,
      Stat: 'Sum',
    },
    ReturnData: true,
  }));
  const byHour = new Map<number, number>();
  let nextToken: string | undefined;
  do {
    const page = await aws('reading the last 7 days of tool calls (cloudwatch:GetMetricData)', () =>
      ctx.clients.cloudwatch.send(
        new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: new Date(start), EndTime: new Date(end), ScanBy: 'TimestampAscending', ...(nextToken ? { NextToken: nextToken } : {}) }),
      ),
    );
    for (const result of page.MetricDataResults ?? []) {
      (result.Timestamps ?? []).forEach((t, i) => byHour.set(t.getTime(), (byHour.get(t.getTime()) ?? 0) + (result.Values?.[i] ?? 0)));
    }
    nextToken = page.NextToken;
  } while (nextToken);
  const hourlyCalls = [...byHour.entries()].sort(([a], [b]) => a - b).map(([, v]) => v);
  return { hourlyCalls, typicalPerMinute: quantile(hourlyCalls, 0.5) / 60, quietPerMinute: quantile(hourlyCalls, 0.1) / 60 };
}

/** The q-quantile (nearest rank) of the values; 0 for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

export interface BakeExposure {
  /** 0-based plan step of the bake. */
  readonly step: number;
  readonly canaryPercent: number;
  readonly minutes: number;
  /** How long a hold may run on after the bake before it is a fail. */
  readonly holdMinutes: number;
  /** Expected tool calls over the bake at typical traffic. */
  readonly canaryCalls: number;
  readonly stableCalls: number;
  /** The same in a quiet hour. */
  readonly quietCanaryCalls: number;
}

/** The calls each bake sees: traffic per minute x the canary's share x the bake's minutes. */
function bakeExposures(plan: RolloutPlan, traffic: Pick<RecentTraffic, 'typicalPerMinute' | 'quietPerMinute'>): BakeExposure[] {
  const percents = percentAtEachStep(plan);
  return plan.steps.flatMap((step, i) => {
    if (step.type !== 'bake') return [];
    const percent = percents[i] ?? 0;
    const share = (calls: number) => Math.round((calls * step.minutes * percent) / 100);
    return [
      {
        step: i,
        canaryPercent: percent,
        minutes: step.minutes,
        holdMinutes: step.judge.holdMinutes,
        canaryCalls: share(traffic.typicalPerMinute),
        stableCalls: Math.round((traffic.typicalPerMinute * step.minutes * (100 - percent)) / 100),
        quietCanaryCalls: share(traffic.quietPerMinute),
      },
    ];
  });
}



/** The error rate the relative check is reported for: the seed's target, doubled. */
const DOUBLING_BASELINE_PERCENT = 1;

/** One slot's minute in an expected window: its traffic and how much of it goes wrong. */
interface MinuteRates {
  readonly callsPerMinute: number;
  /** Percent of tool calls without a usable result (the LLM success rate is 100 minus this). */
  readonly unsuccessfulPercent: number;
  /** Percent of tool calls that are errors (the error rate); they are unsuccessful too. */
  readonly errorPercent: number;
}

/** Spreads a total over the minutes in whole counts (cumulative rounding keeps the total exact). */
function spread(total: number, minutes: number): number[] {
  return Array.from({ length: minutes }, (_, i) => Math.round((total * (i + 1)) / minutes) - Math.round((total * i) / minutes));
}

/** A window of expected counts: both slots healthy but for the given rates. */
function expectedWindow(environment: MetricWindow['environment'], canaryPercent: number, minutes: number, canary: MinuteRates, stable: MinuteRates): MetricWindow {
  const slot = (rates: MinuteRates) => {
    const calls = spread(rates.callsPerMinute * minutes, minutes);
    const unsuccessful = spread((rates.callsPerMinute * minutes * Math.max(rates.unsuccessfulPercent, rates.errorPercent)) / 100, minutes);
    const errors = spread((rates.callsPerMinute * minutes * rates.errorPercent) / 100, minutes);
    const values: Partial<Record<WindowSeriesName, number[]>> = {
      ToolCalls: calls,
      ToolCallSuccesses: calls.map((c, i) => c - (unsuccessful[i] ?? 0)),
      ToolCallErrors: errors,
      EnumValidations: calls,
      EnumValidationFailures: calls.map(() => 0),
      RequestCount: calls,
      HTTPCode_Target_5XX_Count: calls.map(() => 0),
      TargetConnectionErrorCount: calls.map(() => 0),
      TargetResponseTimeP95Ms: calls.map(() => 80),
    };
    return slotSeries((name) => values[name] ?? calls.map(() => 0));
  };
  return {
    format: METRIC_WINDOW_FORMAT,
    environment,
    canaryPercent,
    start: '2026-01-01T00:00:00.000Z',
    periodSeconds: 60,
    slots: { stable: slot(stable), canary: slot(canary) },
    alarms: [],
  };
}

export interface BakePower extends BakeExposure {
  /** The judge fails a canary whose LLM success rate is below this (percent, one decimal), with stable just as bad; undefined when it cannot judge. */
  readonly detectsSuccessBelow?: number;
  /** The judge fails a canary whose error rate is twice stable's 1 %. */
  readonly detectsErrorDoubling: boolean;
  /** The judge fails a canary at the seed's critical levels (success and error rate). */
  readonly detectsCritical: boolean;
  /** What the judge says on a healthy canary at this traffic (hold: too few calls to judge). */
  readonly healthyVerdict: Verdict;
}

export interface PowerOptions {
  readonly environment: MetricWindow['environment'];
  readonly thresholds: KpiThresholdTable;
  readonly minimumSamplesPerMinute: number;
}

/** Runs the judge on expected windows of one bake at the given traffic. */
function bakePower(exposure: BakeExposure, perMinute: { canary: number; stable: number }, options: PowerOptions): Omit<BakePower, keyof BakeExposure> {
  const { thresholds } = options;
  const rates = (calls: number, unsuccessfulPercent: number, errorPercent: number): MinuteRates => ({ callsPerMinute: calls, unsuccessfulPercent, errorPercent });
  const verdict = (canary: MinuteRates, stable: MinuteRates) =>
    judge(expectedWindow(options.environment, exposure.canaryPercent, exposure.minutes, canary, stable), {
      thresholds,
      minimumSamplesPerMinute: options.minimumSamplesPerMinute,
    }).verdict;
  // Healthy: half the error target, both slots alike.
  const healthy = thresholds.errorRate.target / 2;
  const both = (unsuccessful: number, errors: number) => verdict(rates(perMinute.canary, unsuccessful, errors), rates(perMinute.stable, unsuccessful, errors));
  const healthyVerdict = both(healthy, healthy);
  // The lowest success rate the judge lets pass, to 0.1 %: with stable just as bad, only the
  // absolute check against the KPI table can fail it.
  let detectsSuccessBelow: number | undefined;
  if (both(100, healthy) === 'fail') {
    let ok = healthy;
    let bad = 100;
    while (bad - ok > 0.05) {
      const mid = (ok + bad) / 2;
      if (both(mid, healthy) === 'fail') bad = mid;
      else ok = mid;
    }
    detectsSuccessBelow = Math.round((100 - bad) * 10) / 10;
  }
  const baseline = DOUBLING_BASELINE_PERCENT;
  const againstHealthy = (unsuccessful: number, errors: number) => verdict(rates(perMinute.canary, unsuccessful, errors), rates(perMinute.stable, healthy, healthy));
  return {
    ...(detectsSuccessBelow !== undefined ? { detectsSuccessBelow } : {}),
    detectsErrorDoubling: verdict(rates(perMinute.canary, 2 * baseline, 2 * baseline), rates(perMinute.stable, baseline, baseline)) === 'fail',
    detectsCritical: againstHealthy(100 - thresholds.llmSuccessRate.critical, healthy) === 'fail' && againstHealthy(thresholds.errorRate.critical, thresholds.errorRate.critical) === 'fail',
    healthyVerdict,
  };
}

export interface PowerReport {
  readonly lines: readonly string[];
  readonly warnings: readonly string[];
  readonly data: { readonly traffic: RecentTraffic; readonly bakes: readonly BakePower[] };
}

const count = (n: number) => n.toLocaleString('en-US');

/** The report `release` prints before it starts, and the warnings for bakes too weak to judge. */
export async function powerReport(ctx: CommandContext, plan: RolloutPlan): Promise<PowerReport> {
  const traffic = await readRecentTraffic(ctx);
  const options: PowerOptions = { environment: ctx.environment, thresholds: ctx.config.thresholds, minimumSamplesPerMinute: ctx.config.minimumSamplesPerMinute };
  return powerFromTraffic(traffic, plan, options);
}

/** The report from traffic already read (pure: the tests and the bench call it). */
function powerFromTraffic(traffic: RecentTraffic, plan: RolloutPlan, options: PowerOptions): PowerReport {
  const { thresholds } = options;
  const perMinute = (rate: number, percent: number) => ({ canary: (rate * percent) / 100, stable: (rate * (100 - percent)) / 100 });
  const bakes = bakeExposures(plan, traffic).map((e): BakePower => ({ ...e, ...bakePower(e, perMinute(traffic.typicalPerMinute, e.canaryPercent), options) }));
  const lines = [
    `What each bake can detect at the last ${TRAFFIC_LOOKBACK_DAYS} days' traffic (typical hour ${count(Math.round(traffic.typicalPerMinute * 60))} tool calls, quiet hour ${count(Math.round(traffic.quietPerMinute * 60))}):`,
  ];
  const warnings: string[] = [];
  for (const b of bakes) {
    const head = `${b.canaryPercent} % for ${b.minutes} min sees about ${count(b.canaryCalls)} canary calls`;
    if (b.healthyVerdict === 'hold' || b.detectsSuccessBelow === undefined) {
      lines.push(`  ${head}: too few to judge (a healthy canary holds, and a hold past its deadline rolls back)`);
      // After the bake the judge keeps the bake's bar, so the hold ends once the canary reaches it.
      const needed = minimumSamples(options.minimumSamplesPerMinute, b.minutes * 60);
      const canaryPerMinute = (traffic.typicalPerMinute * b.canaryPercent) / 100;
      const judgedAt = canaryPerMinute > 0 ? Math.ceil(needed / canaryPerMinute) : Infinity;
      warnings.push(
        judgedAt <= b.minutes + b.holdMinutes
          ? `the bake at ${b.canaryPercent} % cannot judge the canary in its ${b.minutes} min at recent traffic (${count(b.canaryCalls)} calls, ${count(needed)} needed): it holds, and is judged at about minute ${judgedAt}, within its ${b.holdMinutes} min of hold. Lengthen the bake or release at a busier time.`
          : `the bake at ${b.canaryPercent} % cannot judge the canary at recent traffic (${count(b.canaryCalls)} calls in ${b.minutes} min): it will hold and then roll back. Lengthen the bake or release at a busier time.`,
      );
      continue;
    }
    lines.push(
      `  ${head}: it detects success below ${b.detectsSuccessBelow.toFixed(1)} %; it ${b.detectsErrorDoubling ? 'detects' : 'cannot detect'} an error rate doubling from ${DOUBLING_BASELINE_PERCENT} %`,
    );
    if (!b.detectsCritical) {
      warnings.push(
        `the bake at ${b.canaryPercent} % cannot detect the seed's critical levels (success below ${thresholds.llmSuccessRate.critical} %, errors above ${thresholds.errorRate.critical} %) with ${count(b.canaryCalls)} calls: only the alarms guard it. Lengthen the bake or raise its traffic.`,
      );
    } else if (b.detectsSuccessBelow < (thresholds.llmSuccessRate.warning ?? thresholds.llmSuccessRate.critical)) {
      warnings.push(`the bake at ${b.canaryPercent} % cannot detect success at the seed's warning level (${thresholds.llmSuccessRate.warning} %): it detects below ${b.detectsSuccessBelow.toFixed(1)} % only.`);
    }
    const quiet = bakePower(b, perMinute(traffic.quietPerMinute, b.canaryPercent), options);
    if (quiet.healthyVerdict === 'hold') {
      warnings.push(`in a quiet hour the bake at ${b.canaryPercent} % sees about ${count(b.quietCanaryCalls)} canary calls, too few to judge: release at a busier time.`);
    }
  }
  return { lines, warnings, data: { traffic, bakes } };
}
