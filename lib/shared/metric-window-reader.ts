/**
 * Fills a metric window (metric-window.ts) from CloudWatch for an environment and a time range:
 * GetMetricData for both slots' series, DescribeAlarmHistory and DescribeAlarms for the alarms.
 * The CLI's gate and the rollout engine's judge Lambda both read windows with it, so both see the
 * same numbers. Pure TypeScript and the CloudWatch client, no aws-cdk-lib (D4).
 *
 * Retries: the client's own (the SDK's standard mode retries throttling and transient errors);
 * every call also stops when `signal` aborts or after `timeoutMs`. AWS errors reach the caller as
 * the SDK throws them.
 *
 * AWS behaviour relied on (GetMetricData API reference,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html):
 *  - up to 500 MetricDataQuery per call; an Id starts with a lowercase letter and holds letters,
 *    digits and underscores;
 *  - StartTime is inclusive and EndTime exclusive; with a start less than 15 days ago CloudWatch
 *    rounds it down to the minute, so the window starts on a whole period;
 *  - a period without data has no datapoint: the result omits its timestamp (the window says null);
 *    ALB counts are only reported while requests flow
 *    (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html);
 *  - StatusCode PartialData comes with a NextToken to fetch the rest; InternalError and Forbidden
 *    mean the values cannot be trusted (MetricDataResult API reference).
 */
import {
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type CloudWatchClient,
  type MetricDataQuery,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import { SLOT_NAMES, type EnvironmentName, type SlotName } from './environment-names';
import { ALB_NAMESPACE, ALB_RESPONSE_TIME_METRIC, MS_PER_SECOND } from './kpi-formulas';
import { APP_METRICS, DIMENSIONS, METRICS_NAMESPACE } from './metrics-contract';
import { alarmNamePrefix, parseAlarmName } from './names';
import {
  ALARM_STATES,
  METRIC_WINDOW_FORMAT,
  P95_SERIES,
  slotSeries,
  WINDOW_SERIES,
  type AlarmStateValue,
  type MetricWindow,
  type SlotSeries,
  type WindowAlarm,
  type WindowSeriesName,
} from './metric-window';

/** The ALB dimension values of the environment's load balancer and target groups. */
export interface WindowTargets {
  /** `app/<name>/<id>`: the LoadBalancer dimension. */
  readonly loadBalancer: string;
  /** `targetgroup/<name>/<id>`: each slot's TargetGroup dimension. */
  readonly targetGroups: Readonly<Record<SlotName, string>>;
}

/** The LoadBalancer dimension from a load balancer, listener or listener rule ARN. */
export function loadBalancerDimension(arn: string): string {
  const match = /:loadbalancer\/(app\/[^/]+\/[^/]+)$|:listener(?:-rule)?\/(app\/[^/]+\/[^/]+)\//.exec(arn);
  const value = match?.[1] ?? match?.[2];
  if (!value) throw new Error(`not an Application Load Balancer, listener or rule ARN: ${arn}`);
  return value;
}

/** The TargetGroup dimension from a target group ARN. */
export function targetGroupDimension(arn: string): string {
  const match = /:(targetgroup\/[^/]+\/[^/]+)$/.exec(arn);
  if (!match?.[1]) throw new Error(`not a target group ARN: ${arn}`);
  return match[1];
}

export interface ReadWindowRequest {
  readonly environment: EnvironmentName;
  /** The canary's share of traffic, written into the window. */
  readonly canaryPercent: number;
  readonly targets: WindowTargets;
  /** From this time (rounded down to a whole period)... */
  readonly startMs: number;
  /** ...to this one (rounded up to a whole period). */
  readonly endMs: number;
  /** @default 60 */
  readonly periodSeconds?: number;
  /** Aborts the read (Ctrl-C, a Lambda running out of time). */
  readonly signal?: AbortSignal;
  /** The longest one call may take. @default 30000 */
  readonly timeoutMs?: number;
}

/** CloudWatch answered, but said its values for a query cannot be trusted (InternalError, Forbidden). */
export class MetricReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetricReadError';
  }
}

const DEFAULT_TIMEOUT_MS = 30_000;
const APP_METRIC_NAMES: ReadonlySet<string> = new Set(Object.values(APP_METRICS));

/** The metrics and the alarms of a window. */
export async function readMetricWindow(client: CloudWatchClient, request: ReadWindowRequest): Promise<MetricWindow> {
  const range = alignedRange(request);
  const slots = await readWindowSlots(client, request);
  const alarms = await readWindowAlarms(client, { ...request, startMs: range.startMs, endMs: range.endMs });
  return {
    format: METRIC_WINDOW_FORMAT,
    environment: request.environment,
    canaryPercent: request.canaryPercent,
    start: new Date(range.startMs).toISOString(),
    periodSeconds: range.periodSeconds,
    slots,
    alarms,
  };
}

/** The range on whole periods: start rounded down, end rounded up, at least one period. */
export function alignedRange(request: Pick<ReadWindowRequest, 'startMs' | 'endMs' | 'periodSeconds'>): { startMs: number; endMs: number; periods: number; periodSeconds: number } {
  const periodSeconds = request.periodSeconds ?? 60;
  const periodMs = periodSeconds * 1000;
  const startMs = Math.floor(request.startMs / periodMs) * periodMs;
  const periods = Math.max(1, Math.ceil((request.endMs - startMs) / periodMs));
  return { startMs, endMs: startMs + periods * periodMs, periods, periodSeconds };
}

/** The GetMetricData queries of a window: every series of both slots. */
function windowQueries(environment: EnvironmentName, targets: WindowTargets, periodSeconds: number): MetricDataQuery[] {
  return SLOT_NAMES.flatMap((slot) => {
    const app = [
      { Name: DIMENSIONS.environment, Value: environment },
      { Name: DIMENSIONS.slot, Value: slot },
    ];
    const alb = [
      { Name: 'TargetGroup', Value: targets.targetGroups[slot] },
      { Name: 'LoadBalancer', Value: targets.loadBalancer },
    ];
    return WINDOW_SERIES.map((series): MetricDataQuery => {
      const metric =
        series === P95_SERIES
          ? { Namespace: ALB_NAMESPACE, MetricName: ALB_RESPONSE_TIME_METRIC, Dimensions: alb }
          : APP_METRIC_NAMES.has(series)
            ? { Namespace: METRICS_NAMESPACE, MetricName: series, Dimensions: app }
            : { Namespace: ALB_NAMESPACE, MetricName: series, Dimensions: alb };
      return { Id: queryId(slot, series), MetricStat: { Metric: metric, Period: periodSeconds, Stat: series === P95_SERIES ? 'p95' : 'Sum' }, ReturnData: true };
    });
  });
}

function queryId(slot: SlotName, series: WindowSeriesName): string {
  return `${slot}_${series}`;
}

/** Both slots' series over the aligned range; null where CloudWatch has no datapoint. */
async function readWindowSlots(client: CloudWatchClient, request: ReadWindowRequest): Promise<Record<SlotName, SlotSeries>> {
  const range = alignedRange(request);
  const queries = windowQueries(request.environment, request.targets, range.periodSeconds);
  const values = new Map<string, (number | null)[]>(queries.map((q) => [q.Id!, Array<number | null>(range.periods).fill(null)]));
  const periodMs = range.periodSeconds * 1000;
  let nextToken: string | undefined;
  do {
    const page = await send(request, () =>
      client.send(
        new GetMetricDataCommand({
          MetricDataQueries: queries,
          StartTime: new Date(range.startMs),
          EndTime: new Date(range.endMs),
          ScanBy: 'TimestampAscending',
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
        { abortSignal: callSignal(request) },
      ),
    );
    for (const result of page.MetricDataResults ?? []) {
      const series = values.get(result.Id ?? '');
      if (!series) continue;
      checkStatus(result);
      const isP95 = result.Id?.endsWith(`_${P95_SERIES}`) ?? false;
      (result.Timestamps ?? []).forEach((t, i) => {
        const index = Math.floor((t.getTime() - range.startMs) / periodMs);
        const v = result.Values?.[i];
        if (index < 0 || index >= range.periods || v === undefined || !Number.isFinite(v)) return;
        // Counts are whole; latency in ms to the microsecond, without float noise from the unit change.
        series[index] = isP95 ? Math.round(v * MS_PER_SECOND * 1000) / 1000 : Math.max(0, Math.round(v));
      });
    }
    nextToken = page.NextToken;
  } while (nextToken);
  const slot = (name: SlotName) => slotSeries((series) => values.get(queryId(name, series))!);
  return { stable: slot('stable'), canary: slot('canary') };
}

function checkStatus(result: MetricDataResult): void {
  if (result.StatusCode === 'InternalError' || result.StatusCode === 'Forbidden') {
    const messages = (result.Messages ?? []).map((m) => `${m.Code ?? ''} ${m.Value ?? ''}`.trim()).join('; ');
    throw new MetricReadError(`CloudWatch answered ${result.StatusCode} for ${result.Id ?? 'a query'}${messages ? `: ${messages}` : ''}`);
  }
}

export interface ReadAlarmsRequest {
  readonly environment: EnvironmentName;
  readonly startMs: number;
  readonly endMs: number;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

/**
 * The alarm states of the environment over [start, end): every state change in the alarm history
 * (DescribeAlarmHistory keeps them even when an alarm fired and recovered between two looks), an
 * ALARM at the start for an alarm whose first change in the window leaves ALARM, and an alarm in
 * ALARM now with no change in the window, from the time it entered ALARM (DescribeAlarms).
 * Only names of this environment's alarm scheme are kept.
 */
async function readWindowAlarms(client: CloudWatchClient, request: ReadAlarmsRequest): Promise<WindowAlarm[]> {
  const ours = (name: string | undefined): name is string => name !== undefined && parseAlarmName(name)?.environment === request.environment;
  const changes: WindowAlarm[] = [];
  const leftAlarm = new Set<string>();
  let nextToken: string | undefined;
  do {
    const page = await send(request, () =>
      client.send(
        new DescribeAlarmHistoryCommand({
          HistoryItemType: 'StateUpdate',
          AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
          StartDate: new Date(request.startMs),
          EndDate: new Date(request.endMs),
          ScanBy: 'TimestampAscending',
          MaxRecords: 100,
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
        { abortSignal: callSignal(request) },
      ),
    );
    for (const item of page.AlarmHistoryItems ?? []) {
      if (!ours(item.AlarmName) || !item.Timestamp) continue;
      const states = stateChange(item.HistoryData);
      if (!states) continue;
      if (states.old === 'ALARM' && !changes.some((c) => c.name === item.AlarmName)) leftAlarm.add(item.AlarmName);
      changes.push({ name: item.AlarmName, state: states.new, at: item.Timestamp.toISOString() });
    }
    nextToken = page.NextToken;
  } while (nextToken);

  const start = new Date(request.startMs).toISOString();
  const alarms: WindowAlarm[] = [...leftAlarm].map((name) => ({ name, state: 'ALARM', at: start }));
  nextToken = undefined;
  do {
    const page = await send(request, () =>
      client.send(
        new DescribeAlarmsCommand({
          AlarmNamePrefix: alarmNamePrefix(request.environment),
          AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
          StateValue: 'ALARM',
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
        { abortSignal: callSignal(request) },
      ),
    );
    for (const a of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
      if (!ours(a.AlarmName) || changes.some((c) => c.name === a.AlarmName)) continue;
      alarms.push({ name: a.AlarmName, state: 'ALARM', at: (a.StateUpdatedTimestamp ?? new Date(request.startMs)).toISOString() });
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return [...alarms, ...changes].sort((a, b) => a.at.localeCompare(b.at) || a.name.localeCompare(b.name));
}

/** The old and new state in an alarm history item's HistoryData JSON. */
function stateChange(historyData: string | undefined): { old?: AlarmStateValue; new: AlarmStateValue } | undefined {
  let parsed: { oldState?: { stateValue?: unknown }; newState?: { stateValue?: unknown } };
  try {
    parsed = JSON.parse(historyData ?? '{}') as typeof parsed;
  } catch {
    return undefined;
  }
  const state = (v: unknown) => ((ALARM_STATES as readonly unknown[]).includes(v) ? (v as AlarmStateValue) : undefined);
  const next = state(parsed.newState?.stateValue);
  if (!next) return undefined;
  const old = state(parsed.oldState?.stateValue);
  return old ? { old, new: next } : { new: next };
}

function callSignal(request: { signal?: AbortSignal; timeoutMs?: number }): AbortSignal {
  const timeout = AbortSignal.timeout(request.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  return request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
}

/**
 * One call, refused at once when the read is already aborted. AWS errors propagate as the SDK
 * throws them, so callers can tell throttling from access denied (and a Step Functions Retry can
 * match the error name).
 */
function send<T>(request: { signal?: AbortSignal }, call: () => Promise<T>): Promise<T> {
  request.signal?.throwIfAborted();
  return call();
}
