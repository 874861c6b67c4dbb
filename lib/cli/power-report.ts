/**
 * What each bake of the plan can detect at recent traffic (issue 13): the tool calls the canary
 * will see, from the last 7 days' counts in CloudWatch, and what the judge would decide on them.
 * The detection figures come from running the judge itself on windows of the expected size (one
 * home for the statistics, DESIGN.md D9), not from a second formula.
 */
import { GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { SLOT_NAMES } from '../shared/environment-names';
import { APP_METRICS, DIMENSIONS, METRICS_NAMESPACE, type KpiThresholdTable } from '../shared/metrics-contract';
import { percentAtEachStep, type RolloutPlan } from '../shared/rollout-contract';
import type { CommandContext } from './context';
import { aws } from './live-state';
import type { ServiceStackState } from './service-stack';

/** How far back the traffic estimate looks. */
export const TRAFFIC_LOOKBACK_DAYS = 7;
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
export async function readRecentTraffic(ctx: CommandContext): Promise<RecentTraffic> {
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
  /** Expected tool calls over the bake at typical traffic. */
  readonly canaryCalls: number;
  readonly stableCalls: number;
  /** The same in a quiet hour. */
  readonly quietCanaryCalls: number;
}

/** The calls each bake sees: traffic per minute x the canary's share x the bake's minutes. */
export function bakeExposures(plan: RolloutPlan, traffic: Pick<RecentTraffic, 'typicalPerMinute' | 'quietPerMinute'>): BakeExposure[] {
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
        canaryCalls: share(traffic.typicalPerMinute),
        stableCalls: Math.round((traffic.typicalPerMinute * step.minutes * (100 - percent)) / 100),
        quietCanaryCalls: share(traffic.quietPerMinute),
      },
    ];
  });
}

export type { KpiThresholdTable, ServiceStackState };

export interface PowerReport {
  readonly lines: readonly string[];
  readonly warnings: readonly string[];
  readonly data: Readonly<Record<string, unknown>>;
}

/** The report `release` prints before it starts (detection figures follow once the judge is merged). */
export async function powerReport(ctx: CommandContext, _service: ServiceStackState, plan: RolloutPlan): Promise<PowerReport> {
  const traffic = await readRecentTraffic(ctx);
  const exposures = bakeExposures(plan, traffic);
  return {
    lines: exposures.map((e) => `${e.canaryPercent} % for ${e.minutes} min sees about ${e.canaryCalls.toLocaleString('en-US')} canary calls`),
    warnings: [],
    data: { traffic, exposures },
  };
}
