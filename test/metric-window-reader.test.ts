import { CloudWatchClient, GetMetricDataCommand, InvalidNextToken, type GetMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import {
  alignedRange,
  loadBalancerDimension,
  MetricReadError,
  readMetricWindow,
  targetGroupDimension,
  type WindowTargets,
} from '../lib/shared/metric-window-reader';
import { WINDOW_SERIES, type MetricWindow } from '../lib/shared/metric-window';
import { SLOT_NAMES } from '../lib/shared/environment-names';
import { FakeCloudWatch, publishWindow } from './helpers/fake-cloudwatch';
import { canaryMinute, windowOf, WINDOW_START, type MinuteValues } from './helpers/windows';

const cw = mockClient(CloudWatchClient);
const client = new CloudWatchClient({ region: 'eu-west-1' });
const ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012';
const TARGETS: WindowTargets = {
  loadBalancer: 'app/Produ-McpLo-1A2B3C/50dc6c495c0c9188',
  targetGroups: { stable: 'targetgroup/Produ-McpSt-STABLE/6d0ecf831eec9f09', canary: 'targetgroup/Produ-McpCa-CANARY/7e1fdf942ffd0a1a' },
};
const START = Date.parse(WINDOW_START);
const publish = (fake: FakeCloudWatch, window: MetricWindow) => publishWindow(fake, window, TARGETS);

let fake: FakeCloudWatch;
beforeEach(() => {
  cw.reset();
  fake = new FakeCloudWatch();
  fake.install(cw);
});

// Minutes with gaps: a quiet canary minute (no datapoints at all) and a minute without 5xx.
const canary = (i: number): MinuteValues => (i === 7 ? {} : { ...canaryMinute(i), TargetResponseTimeP95Ms: 80.125, HTTPCode_Target_5XX_Count: i === 3 ? 2 : null });
const EXPECTED = windowOf({ minutes: 30, canary });

describe('readMetricWindow', () => {
  test('reads back what CloudWatch holds: both slots per minute, null where there is no datapoint', async () => {
    publish(fake, EXPECTED);
    const window = await readMetricWindow(client, { environment: 'production', canaryPercent: 10, targets: TARGETS, startMs: START, endMs: START + 30 * 60_000 });
    expect(window).toEqual(EXPECTED);
    expect(window.slots.canary.ToolCalls[7]).toBeNull();
    expect(window.slots.canary.TargetResponseTimeP95Ms[0]).toBe(80.125);
  });

  test('asks for every series of both slots in one request, with the contract and target group dimensions', async () => {
    await readMetricWindow(client, { environment: 'production', canaryPercent: 10, targets: TARGETS, startMs: START, endMs: START + 30 * 60_000 });
    expect(fake.metricRequests).toHaveLength(1);
    const input = fake.metricRequests[0]!;
    expect(input.StartTime).toEqual(new Date('2026-11-28T10:00:00.000Z'));
    expect(input.EndTime).toEqual(new Date('2026-11-28T10:30:00.000Z'));
    expect(input.ScanBy).toBe('TimestampAscending');
    expect(input.MetricDataQueries!.map((q) => q.Id)).toEqual(SLOT_NAMES.flatMap((slot) => WINDOW_SERIES.map((s) => `${slot}_${s}`)));
    const query = (id: string) => input.MetricDataQueries!.find((q) => q.Id === id);
    expect(query('canary_ToolCalls')).toEqual({
      Id: 'canary_ToolCalls',
      MetricStat: { Metric: { Namespace: 'MCP/HierarchicalTools', MetricName: 'ToolCalls', Dimensions: [{ Name: 'Environment', Value: 'production' }, { Name: 'Slot', Value: 'canary' }] }, Period: 60, Stat: 'Sum' },
      ReturnData: true,
    });
    const alb = [{ Name: 'TargetGroup', Value: TARGETS.targetGroups.stable }, { Name: 'LoadBalancer', Value: TARGETS.loadBalancer }];
    expect(query('stable_TargetConnectionErrorCount')!.MetricStat).toEqual({ Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'TargetConnectionErrorCount', Dimensions: alb }, Period: 60, Stat: 'Sum' });
    expect(query('stable_TargetResponseTimeP95Ms')!.MetricStat).toEqual({ Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'TargetResponseTime', Dimensions: alb }, Period: 60, Stat: 'p95' });
  });

  test('rounds the range out to whole periods', async () => {
    expect(alignedRange({ startMs: START + 30_000, endMs: START + 29 * 60_000 + 10_000 })).toEqual({ startMs: START, endMs: START + 30 * 60_000, periods: 30, periodSeconds: 60 });
    expect(alignedRange({ startMs: START, endMs: START })).toEqual({ startMs: START, endMs: START + 60_000, periods: 1, periodSeconds: 60 });
    const window = await readMetricWindow(client, { environment: 'production', canaryPercent: 10, targets: TARGETS, startMs: START + 30_000, endMs: START + 90_000 });
    expect(window.start).toBe('2026-11-28T10:00:00.000Z');
    expect(window.slots.canary.ToolCalls).toEqual([null, null]);
  });

  test('follows NextToken until CloudWatch has sent every datapoint', async () => {
    fake = new FakeCloudWatch();
    fake.install(cw);
    publish(fake, EXPECTED);
    cw.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => fake.getMetricData({ ...input, MaxDatapoints: 100 }));
    const window = await readMetricWindow(client, { environment: 'production', canaryPercent: 10, targets: TARGETS, startMs: START, endMs: START + 30 * 60_000 });
    expect(window).toEqual(EXPECTED);
    // 30 minutes x 17 series with data, less the quiet minute and the missing 5xx: 100 datapoints a page.
    expect(fake.metricRequests.length).toBeGreaterThan(4);
    expect(fake.metricRequests.slice(1).every((r) => typeof r.NextToken === 'string')).toBe(true);
  });

  test('refuses values CloudWatch says it could not read', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'canary_ToolCalls', StatusCode: 'Forbidden', Messages: [{ Code: 'Forbidden', Value: 'Access denied to MCP/HierarchicalTools' }] }],
    });
    await expect(readMetricWindow(client, { environment: 'production', canaryPercent: 10, targets: TARGETS, startMs: START, endMs: START + 60_000 })).rejects.toThrow(
      new MetricReadError('CloudWatch answered Forbidden for canary_ToolCalls: Forbidden Access denied to MCP/HierarchicalTools'),
    );
  });

  test('lets an AWS error through as the SDK threw it', async () => {
    const error = new InvalidNextToken({ message: 'The service cannot accept the NextToken.', $metadata: {} });
    cw.on(GetMetricDataCommand).rejects(error);
    await expect(readMetricWindow(client, { environment: 'production', canaryPercent: 10, targets: TARGETS, startMs: START, endMs: START + 60_000 })).rejects.toBe(error);
  });

  test('stops before calling AWS once aborted, and gives every call a signal the caller can abort', async () => {
    const controller = new AbortController();
    controller.abort(new Error('interrupted'));
    await expect(readMetricWindow(client, { environment: 'production', canaryPercent: 10, targets: TARGETS, startMs: START, endMs: START + 60_000, signal: controller.signal })).rejects.toThrow('interrupted');
    expect(cw.calls()).toHaveLength(0);

    const live = new AbortController();
    await readMetricWindow(client, { environment: 'production', canaryPercent: 10, targets: TARGETS, startMs: START, endMs: START + 60_000, signal: live.signal });
    const signals = cw.calls().map((c) => ((c.args as unknown[])[1] as { abortSignal?: AbortSignal } | undefined)?.abortSignal);
    expect(signals).toHaveLength(3);
    live.abort();
    expect(signals.every((s) => s?.aborted)).toBe(true);
  });
});

describe('the alarms of the window', () => {
  const at = (minute: number) => START + minute * 60_000;
  const read = () => readMetricWindow(client, { environment: 'production', canaryPercent: 10, targets: TARGETS, startMs: START, endMs: START + 30 * 60_000 });

  test('every state change of this environment in the window, what was in ALARM at its start, and what still is', async () => {
    fake.alarmChanged('mcp-rollout-production-service-availability-critical', 'OK', 'ALARM', at(-20)); // still in ALARM, no change in the window
    fake.alarmChanged('mcp-rollout-production-canary-llm-success-rate-critical', 'OK', 'ALARM', at(-3));
    fake.alarmChanged('mcp-rollout-production-canary-llm-success-rate-critical', 'ALARM', 'OK', at(4)); // left ALARM inside the window
    fake.alarmChanged('mcp-rollout-production-canary-error-rate-trigger', 'OK', 'ALARM', at(14));
    fake.alarmChanged('mcp-rollout-production-canary-error-rate-trigger', 'ALARM', 'OK', at(16));
    fake.alarmChanged('mcp-rollout-production-canary-error-rate-warning', 'OK', 'ALARM', at(12));
    fake.alarmChanged('mcp-rollout-staging-canary-error-rate-trigger', 'OK', 'ALARM', at(5));
    fake.alarmChanged('someone-elses-alarm', 'OK', 'ALARM', at(5));
    expect((await read()).alarms).toEqual([
      { name: 'mcp-rollout-production-service-availability-critical', state: 'ALARM', at: '2026-11-28T09:40:00.000Z' },
      { name: 'mcp-rollout-production-canary-llm-success-rate-critical', state: 'ALARM', at: '2026-11-28T10:00:00.000Z' },
      { name: 'mcp-rollout-production-canary-llm-success-rate-critical', state: 'OK', at: '2026-11-28T10:04:00.000Z' },
      { name: 'mcp-rollout-production-canary-error-rate-warning', state: 'ALARM', at: '2026-11-28T10:12:00.000Z' },
      { name: 'mcp-rollout-production-canary-error-rate-trigger', state: 'ALARM', at: '2026-11-28T10:14:00.000Z' },
      { name: 'mcp-rollout-production-canary-error-rate-trigger', state: 'OK', at: '2026-11-28T10:16:00.000Z' },
    ]);
    expect(cw.commandCalls(GetMetricDataCommand)).toHaveLength(1);
  });
});

describe('dimension values from ARNs', () => {
  test.each([
    [`${ARN}:loadbalancer/app/Produ-McpLo-1A2B3C/50dc6c495c0c9188`, 'app/Produ-McpLo-1A2B3C/50dc6c495c0c9188'],
    [`${ARN}:listener/app/Produ-McpLo-1A2B3C/50dc6c495c0c9188/f2f7dc8efc522ab2`, 'app/Produ-McpLo-1A2B3C/50dc6c495c0c9188'],
    [`${ARN}:listener-rule/app/Produ-McpLo-1A2B3C/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`, 'app/Produ-McpLo-1A2B3C/50dc6c495c0c9188'],
  ])('LoadBalancer of %s', (arn, value) => expect(loadBalancerDimension(arn)).toBe(value));

  test('TargetGroup of a target group ARN', () => {
    expect(targetGroupDimension(`${ARN}:targetgroup/Produ-McpCa-CANARY/7e1fdf942ffd0a1a`)).toBe('targetgroup/Produ-McpCa-CANARY/7e1fdf942ffd0a1a');
  });

  test.each([
    [() => loadBalancerDimension(`${ARN}:targetgroup/x/1`), `not an Application Load Balancer, listener or rule ARN: ${ARN}:targetgroup/x/1`],
    [() => targetGroupDimension(`${ARN}:loadbalancer/app/x/1`), `not a target group ARN: ${ARN}:loadbalancer/app/x/1`],
  ])('names what it cannot read', (call, message) => expect(call).toThrow(message));
});
