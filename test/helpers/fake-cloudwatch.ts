/**
 * A stateful fake of the CloudWatch calls a metric window needs, enforcing the documented rules
 * instead of answering any call (DESIGN.md D7):
 *  - GetMetricData (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html):
 *    at most 500 queries with unique Ids that start with a lowercase letter and hold letters, digits
 *    and underscores; StartTime inclusive and rounded down to the minute, EndTime exclusive; a
 *    period without data has no datapoint; at most MaxDatapoints (default 100,800) datapoints a
 *    page, a query cut short says PartialData and the answer carries a NextToken; a NextToken only
 *    continues the same request.
 *  - DescribeAlarmHistory: items between StartDate and EndDate, oldest first with
 *    TimestampAscending, MaxRecords a page.
 *  - DescribeAlarms: AlarmNamePrefix and StateValue filters, MaxRecords (default 50) a page.
 */
import {
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  InvalidNextToken,
  InvalidParameterValueException,
  type AlarmHistoryItem,
  type CloudWatchClient,
  type DescribeAlarmHistoryCommandInput,
  type DescribeAlarmsCommandInput,
  type GetMetricDataCommandInput,
  type GetMetricDataCommandOutput,
  type MetricAlarm,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { SLOT_NAMES } from '../../lib/shared/environment-names';
import { APP_METRICS } from '../../lib/shared/metrics-contract';
import { P95_SERIES, WINDOW_SERIES, windowStartMs, type MetricWindow } from '../../lib/shared/metric-window';
import type { WindowTargets } from '../../lib/shared/metric-window-reader';

type Dimensions = Readonly<Record<string, string>>;

function metricKey(namespace: string, metricName: string, dimensions: Dimensions): string {
  const dims = Object.entries(dimensions)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${namespace}|${metricName}|${dims}`;
}

const MINUTE = 60_000;

export class FakeCloudWatch {
  /** Per metric: minute start -> summed value. */
  private readonly sums = new Map<string, Map<number, number>>();
  /** Per metric: minute start -> p95 (seconds). */
  private readonly p95s = new Map<string, Map<number, number>>();
  private readonly history: AlarmHistoryItem[] = [];
  private readonly alarms: MetricAlarm[] = [];
  /** Every GetMetricData input, in order. */
  readonly metricRequests: GetMetricDataCommandInput[] = [];

  /** Adds to a count metric's value in the minute of `atMs`. */
  putCount(namespace: string, metricName: string, dimensions: Dimensions, atMs: number, value: number): void {
    const key = metricKey(namespace, metricName, dimensions);
    const minute = Math.floor(atMs / MINUTE) * MINUTE;
    const series = this.sums.get(key) ?? new Map<number, number>();
    series.set(minute, (series.get(minute) ?? 0) + value);
    this.sums.set(key, series);
  }

  /** Sets a latency metric's p95 (seconds) for the minute of `atMs`. */
  putP95(namespace: string, metricName: string, dimensions: Dimensions, atMs: number, seconds: number): void {
    const key = metricKey(namespace, metricName, dimensions);
    const series = this.p95s.get(key) ?? new Map<number, number>();
    series.set(Math.floor(atMs / MINUTE) * MINUTE, seconds);
    this.p95s.set(key, series);
  }

  /** Records an alarm's state change, and makes it the alarm's current state. */
  alarmChanged(name: string, from: string, to: string, atMs: number): void {
    this.history.push({
      AlarmName: name,
      AlarmType: 'MetricAlarm',
      Timestamp: new Date(atMs),
      HistoryItemType: 'StateUpdate',
      HistorySummary: `Alarm updated from ${from} to ${to}`,
      HistoryData: JSON.stringify({ version: '1.0', oldState: { stateValue: from }, newState: { stateValue: to } }),
    });
    const existing = this.alarms.find((a) => a.AlarmName === name);
    if (existing) {
      existing.StateValue = to as MetricAlarm['StateValue'];
      existing.StateUpdatedTimestamp = new Date(atMs);
    } else {
      this.alarms.push({ AlarmName: name, StateValue: to as MetricAlarm['StateValue'], StateUpdatedTimestamp: new Date(atMs) });
    }
  }

  /** Answers the mocked client's calls from this state. */
  install(mock: AwsClientStub<CloudWatchClient>): void {
    mock.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => this.getMetricData(input));
    mock.on(DescribeAlarmHistoryCommand).callsFake((input: DescribeAlarmHistoryCommandInput) => this.describeAlarmHistory(input));
    mock.on(DescribeAlarmsCommand).callsFake((input: DescribeAlarmsCommandInput) => this.describeAlarms(input));
  }

  getMetricData(input: GetMetricDataCommandInput): Partial<GetMetricDataCommandOutput> {
    this.metricRequests.push(input);
    const queries = input.MetricDataQueries ?? [];
    const invalid = (message: string) => new InvalidParameterValueException({ message, $metadata: {} });
    if (queries.length < 1 || queries.length > 500) throw invalid(`The collection MetricDataQueries must not have a size greater than 500 or less than 1, got ${queries.length}.`);
    const ids = new Set<string>();
    for (const q of queries) {
      if (!/^[a-z][a-zA-Z0-9_]*$/.test(q.Id ?? '')) throw invalid(`The value ${q.Id} for parameter MetricDataQueries.member.Id is not valid.`);
      if (ids.has(q.Id!)) throw invalid(`The values for parameter id in MetricDataQueries are not unique: ${q.Id}.`);
      ids.add(q.Id!);
      if (!q.MetricStat || (q.MetricStat.Period ?? 0) % 60 !== 0) throw invalid(`The parameter MetricDataQueries.member.MetricStat.Period must be a multiple of 60.`);
    }
    const start = Math.floor(input.StartTime!.getTime() / MINUTE) * MINUTE;
    const end = input.EndTime!.getTime();
    if (!(start < end)) throw invalid('The parameter StartTime must be less than the parameter EndTime.');

    // Every datapoint of every query, in query order, oldest first.
    const all: { id: string; t: number; v: number }[] = [];
    for (const q of queries) {
      const stat = q.MetricStat!;
      const m = stat.Metric!;
      const dims = Object.fromEntries((m.Dimensions ?? []).map((d) => [d.Name!, d.Value!]));
      const key = metricKey(m.Namespace!, m.MetricName!, dims);
      const periodMs = stat.Period! * 1000;
      for (let t = start; t < end; t += periodMs) {
        let value: number | undefined;
        if (stat.Stat === 'p95') {
          if (stat.Period !== 60) throw invalid('this fake keeps p95 per minute only');
          value = this.p95s.get(key)?.get(t);
        } else if (stat.Stat === 'Sum') {
          for (const [minute, v] of this.sums.get(key) ?? []) if (minute >= t && minute < t + periodMs) value = (value ?? 0) + v;
        } else {
          throw invalid(`this fake does not model the statistic ${String(stat.Stat)}`);
        }
        if (value !== undefined) all.push({ id: q.Id!, t, v: value });
      }
    }
    const requestKey = JSON.stringify({ q: queries, s: input.StartTime, e: input.EndTime, m: input.MaxDatapoints });
    let offset = 0;
    if (input.NextToken !== undefined) {
      const token = JSON.parse(Buffer.from(input.NextToken, 'base64').toString()) as { key: string; offset: number };
      if (token.key !== requestKey) throw new InvalidNextToken({ message: 'The service cannot accept the NextToken for a different request.', $metadata: {} });
      offset = token.offset;
    }
    const pageSize = input.MaxDatapoints ?? 100_800;
    const page = all.slice(offset, offset + pageSize);
    const more = offset + pageSize < all.length;
    const results: MetricDataResult[] = queries.map((q) => {
      const points = page.filter((p) => p.id === q.Id);
      const remaining = all.slice(offset + pageSize).some((p) => p.id === q.Id);
      return { Id: q.Id, Label: q.Id, Timestamps: points.map((p) => new Date(p.t)), Values: points.map((p) => p.v), StatusCode: remaining ? 'PartialData' : 'Complete' };
    });
    return {
      MetricDataResults: results,
      ...(more ? { NextToken: Buffer.from(JSON.stringify({ key: requestKey, offset: offset + pageSize })).toString('base64') } : {}),
      Messages: [],
    };
  }

  describeAlarmHistory(input: DescribeAlarmHistoryCommandInput) {
    const from = input.StartDate?.getTime() ?? -Infinity;
    const to = input.EndDate?.getTime() ?? Infinity;
    const items = this.history
      .filter((h) => (input.HistoryItemType === undefined || h.HistoryItemType === input.HistoryItemType) && h.Timestamp!.getTime() >= from && h.Timestamp!.getTime() <= to)
      .sort((a, b) => (input.ScanBy === 'TimestampAscending' ? 1 : -1) * (a.Timestamp!.getTime() - b.Timestamp!.getTime()));
    return paginate(items, input.NextToken, input.MaxRecords ?? 50, (page) => ({ AlarmHistoryItems: page }));
  }

  describeAlarms(input: DescribeAlarmsCommandInput) {
    const alarms = this.alarms.filter((a) => a.AlarmName!.startsWith(input.AlarmNamePrefix ?? '') && (input.StateValue === undefined || a.StateValue === input.StateValue));
    return paginate(alarms, input.NextToken, input.MaxRecords ?? 50, (page) => ({ MetricAlarms: page, CompositeAlarms: [] }));
  }
}

function paginate<T, R>(items: T[], token: string | undefined, size: number, wrap: (page: T[]) => R): R & { NextToken?: string } {
  const offset = token === undefined ? 0 : Number(token);
  const page = items.slice(offset, offset + size);
  return { ...wrap(page), ...(offset + size < items.length ? { NextToken: String(offset + size) } : {}) };
}

const APP_METRIC_NAMES: ReadonlySet<string> = new Set(Object.values(APP_METRICS));

/**
 * Puts a window's datapoints into the fake as the server (EMF) and the load balancer would have
 * published them, 17 seconds into each minute; its alarms become state changes.
 */
export function publishWindow(fake: FakeCloudWatch, window: MetricWindow, targets: WindowTargets): void {
  const start = windowStartMs(window);
  for (const slot of SLOT_NAMES) {
    const alb = { TargetGroup: targets.targetGroups[slot], LoadBalancer: targets.loadBalancer };
    for (const series of WINDOW_SERIES) {
      window.slots[slot][series].forEach((v, i) => {
        if (v === null) return;
        const at = start + i * window.periodSeconds * 1000 + 17_000;
        if (series === P95_SERIES) fake.putP95('AWS/ApplicationELB', 'TargetResponseTime', alb, at, v / 1000);
        else if (APP_METRIC_NAMES.has(series)) fake.putCount('MCP/HierarchicalTools', series, { Environment: window.environment, Slot: slot }, at, v);
        else fake.putCount('AWS/ApplicationELB', series, alb, at, v);
      });
    }
  }
}
