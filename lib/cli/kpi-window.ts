/**
 * The KPIs of each slot over a time window, read with one GetMetricData call, from the same
 * metrics the alarms use (the metrics contract and the target groups' ALB metrics). Rates come
 * from summed counts, so they are exact over the window and never exceed 100 %.
 */
import { DescribeAlarmHistoryCommand, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { SLOT_NAMES, type SlotName } from '../shared/environment-names';
import { APP_METRICS, DIMENSIONS, METRICS_NAMESPACE, type KpiId } from '../shared/metrics-contract';
import type { CommandContext } from './context';
import { alarmPrefix, aws, isPagingAlarm } from './live-state';
import type { ServiceStackState } from './service-stack';

/** Summed counts of one slot over the window, and its response-time p95s. */
export interface SlotCounts {
  readonly toolCalls: number;
  readonly toolCallSuccesses: number;
  readonly toolCallErrors: number;
  readonly enumValidations: number;
  readonly enumValidationFailures: number;
  readonly requests: number;
  readonly target5xx: number;
  readonly connectionErrors: number;
  /** The worst one-minute p95 in the window, in ms. */
  readonly worstP95Ms?: number;
  /** The newest one-minute p95, in ms. */
  readonly latestP95Ms?: number;
}

export type SlotKpis = Readonly<Record<KpiId, number | undefined>>;

/** The KPI table's math over summed counts; undefined where there was nothing to divide by. */
export function kpisOf(c: SlotCounts): SlotKpis {
  const rate = (part: number, whole: number) => (whole > 0 ? Math.min(100, Math.max(0, (100 * part) / whole)) : undefined);
  return {
    llmSuccessRate: rate(c.toolCallSuccesses, c.toolCalls),
    responseTimeP95: c.worstP95Ms,
    errorRate: rate(c.toolCallErrors + c.target5xx, c.requests),
    enumValidationSuccess: rate(c.enumValidations - c.enumValidationFailures, c.enumValidations),
    availability: rate(c.requests - c.target5xx - c.connectionErrors, c.requests),
  };
}

const COUNTS = {
  toolCalls: APP_METRICS.toolCalls,
  toolCallSuccesses: APP_METRICS.toolCallSuccesses,
  toolCallErrors: APP_METRICS.toolCallErrors,
  enumValidations: APP_METRICS.enumValidations,
  enumValidationFailures: APP_METRICS.enumValidationFailures,
} as const;

const ALB_COUNTS = {
  requests: 'RequestCount',
  target5xx: 'HTTPCode_Target_5XX_Count',
  connectionErrors: 'TargetConnectionErrorCount',
} as const;

/** `targetgroup/name/id` and `app/name/id`: the ALB metric dimension values, from the ARNs. */
function albDimensions(stack: ServiceStackState, slot: SlotName): { Name: string; Value: string }[] {
  const resource = (arn: string) => arn.split(':').slice(5).join(':');
  const targetGroup = resource(slot === 'stable' ? stack.outputs.stableTargetGroupArn : stack.outputs.canaryTargetGroupArn);
  const loadBalancer = resource(stack.outputs.listenerArn).replace(/^listener\//, '').split('/').slice(0, 3).join('/');
  return [
    { Name: 'TargetGroup', Value: targetGroup },
    { Name: 'LoadBalancer', Value: loadBalancer },
  ];
}

function windowQueries(ctx: CommandContext, stack: ServiceStackState): MetricDataQuery[] {
  return SLOT_NAMES.flatMap((slot) => {
    const app = [
      { Name: DIMENSIONS.environment, Value: ctx.environment },
      { Name: DIMENSIONS.slot, Value: slot },
    ];
    const alb = albDimensions(stack, slot);
    const query = (id: string, namespace: string, metricName: string, dimensions: { Name: string; Value: string }[], stat: string): MetricDataQuery => ({
      Id: `${slot}_${id}`,
      MetricStat: { Metric: { Namespace: namespace, MetricName: metricName, Dimensions: dimensions }, Period: 60, Stat: stat },
      ReturnData: true,
    });
    return [
      ...Object.entries(COUNTS).map(([id, name]) => query(id, METRICS_NAMESPACE, name, app, 'Sum')),
      ...Object.entries(ALB_COUNTS).map(([id, name]) => query(id, 'AWS/ApplicationELB', name, alb, 'Sum')),
      query('p95', 'AWS/ApplicationELB', 'TargetResponseTime', alb, 'p95'),
    ];
  });
}

/** Each slot's counts from `startMs` to `endMs` (one-minute data, summed). */
export async function readWindow(ctx: CommandContext, stack: ServiceStackState, startMs: number, endMs: number): Promise<Record<SlotName, SlotCounts>> {
  const series = new Map<string, { t: number; v: number }[]>();
  let nextToken: string | undefined;
  do {
    const page = await aws('reading the KPI metrics (cloudwatch:GetMetricData)', () =>
      ctx.clients.cloudwatch.send(
        new GetMetricDataCommand({
          MetricDataQueries: windowQueries(ctx, stack),
          StartTime: new Date(Math.floor(startMs / 60_000) * 60_000),
          EndTime: new Date(Math.ceil(endMs / 60_000) * 60_000),
          ScanBy: 'TimestampAscending',
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      ),
    );
    for (const r of page.MetricDataResults ?? []) {
      const points = series.get(r.Id ?? '') ?? [];
      (r.Timestamps ?? []).forEach((t, i) => points.push({ t: t.getTime(), v: r.Values?.[i] ?? 0 }));
      series.set(r.Id ?? '', points);
    }
    nextToken = page.NextToken;
  } while (nextToken);

  const sum = (id: string) => (series.get(id) ?? []).reduce((a, p) => a + p.v, 0);
  const slotCounts = (slot: SlotName): SlotCounts => {
    const p95 = [...(series.get(`${slot}_p95`) ?? [])].sort((a, b) => a.t - b.t);
    const counts = Object.fromEntries([...Object.keys(COUNTS), ...Object.keys(ALB_COUNTS)].map((id) => [id, sum(`${slot}_${id}`)]));
    // TargetResponseTime is in seconds; the KPI is in milliseconds.
    const worst = p95.length > 0 ? Math.max(...p95.map((p) => p.v)) * 1000 : undefined;
    const latest = p95.length > 0 ? (p95[p95.length - 1]?.v ?? 0) * 1000 : undefined;
    return { ...(counts as Omit<SlotCounts, 'worstP95Ms' | 'latestP95Ms'>), ...(worst !== undefined ? { worstP95Ms: worst } : {}), ...(latest !== undefined ? { latestP95Ms: latest } : {}) };
  };
  return { stable: slotCounts('stable'), canary: slotCounts('canary') };
}

export interface FiredAlarm {
  readonly name: string;
  readonly at: Date;
}

/**
 * Critical and trigger alarms of the environment that went into ALARM since `startMs`, from the
 * alarm history: it also catches an alarm that fired and recovered between two looks.
 */
export async function alarmsFiredSince(ctx: CommandContext, startMs: number, endMs: number): Promise<FiredAlarm[]> {
  const fired: FiredAlarm[] = [];
  let nextToken: string | undefined;
  do {
    const page = await aws('reading the alarm history (cloudwatch:DescribeAlarmHistory)', () =>
      ctx.clients.cloudwatch.send(
        new DescribeAlarmHistoryCommand({
          HistoryItemType: 'StateUpdate',
          AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
          StartDate: new Date(startMs),
          EndDate: new Date(endMs),
          ScanBy: 'TimestampAscending',
          MaxRecords: 100,
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      ),
    );
    for (const item of page.AlarmHistoryItems ?? []) {
      const name = item.AlarmName ?? '';
      if (!name.startsWith(alarmPrefix(ctx)) || !isPagingAlarm(name)) continue;
      if (newState(item.HistoryData) === 'ALARM') fired.push({ name, at: item.Timestamp ?? new Date(startMs) });
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return fired;
}

/** The new state in an alarm history item's HistoryData JSON. */
function newState(historyData: string | undefined): string | undefined {
  try {
    return (JSON.parse(historyData ?? '{}') as { newState?: { stateValue?: string } }).newState?.stateValue;
  } catch {
    return undefined;
  }
}
