/**
 * The judge function: reads the bake's window with the shared reader from a stateful CloudWatch
 * fake, finds the load balancer in the Service stack's outputs, and answers with the one judge.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { checkBake, InvalidRequest, parseRequest } from '../lambda/rollout-judge/bake-check';
import { ConfigurationError, readConfig, type JudgeConfig } from '../lambda/rollout-judge/config';
import { SLOT_NAMES } from '../lib/shared/environment-names';
import { WINDOW_SERIES, type MetricWindow } from '../lib/shared/metric-window';
import { SEED_THRESHOLDS } from '../lib/shared/metrics-contract';
import type { BakeCheckRequest } from '../lib/shared/rollout-contract';
import { describeStacks, outputsFor } from './helpers/cli';
import { FakeCloudWatch } from './helpers/fake-cloudwatch';
import { canaryMinute, windowOf, WINDOW_START, type MinuteValues } from './helpers/windows';

const cw = mockClient(CloudWatchClient);
const cfn = mockClient(CloudFormationClient);
const clients = { cloudwatch: new CloudWatchClient({ region: 'eu-west-1' }), cloudformation: new CloudFormationClient({ region: 'eu-west-1' }) };
const config: JudgeConfig = { environment: 'production', serviceStackName: 'Production-Service', thresholds: SEED_THRESHOLDS, minimumSamplesPerMinute: 10 };
const START = Date.parse(WINDOW_START);
const MIN = 60_000;
const o = outputsFor('production');
const ALB = {
  stable: { TargetGroup: 'targetgroup/Produ-McpSt-STABLE/6d0ecf831eec9f09', LoadBalancer: 'app/Produ-McpLo-1A2B3C/50dc6c495c0c9188' },
  canary: { TargetGroup: 'targetgroup/Produ-McpCa-CANARY/7e1fdf942ffd0a1a', LoadBalancer: 'app/Produ-McpLo-1A2B3C/50dc6c495c0c9188' },
};
const APP = new Set(['ToolCalls', 'ToolCallSuccesses', 'ToolCallErrors', 'EnumValidations', 'EnumValidationFailures']);

let fake: FakeCloudWatch;
beforeEach(() => {
  cw.reset();
  cfn.reset();
  fake = new FakeCloudWatch();
  fake.install(cw);
  cfn.on(DescribeStacksCommand, { StackName: 'Production-Service' }).resolves(describeStacks('production', { canaryTraffic: 10 }));
});

/** What the server and the load balancer published, minute by minute. */
function publish(window: MetricWindow): void {
  for (const slot of SLOT_NAMES) {
    for (const series of WINDOW_SERIES) {
      window.slots[slot][series].forEach((v, i) => {
        if (v === null) return;
        const at = START + i * MIN + 17_000;
        if (series === 'TargetResponseTimeP95Ms') fake.putP95('AWS/ApplicationELB', 'TargetResponseTime', ALB[slot], at, v / 1000);
        else if (APP.has(series)) fake.putCount('MCP/HierarchicalTools', series, { Environment: 'production', Slot: slot }, at, v);
        else fake.putCount('AWS/ApplicationELB', series, ALB[slot], at, v);
      });
    }
  }
}

const request = (minutes: number, extra: Partial<BakeCheckRequest> = {}): BakeCheckRequest => ({
  environment: 'production',
  step: 1,
  canaryPercent: 10,
  windowStart: WINDOW_START,
  windowEnd: new Date(START + minutes * MIN).toISOString(),
  bakeEnd: new Date(START + 30 * MIN).toISOString(),
  holdUntil: new Date(START + 60 * MIN).toISOString(),
  ...extra,
});

describe('checkBake', () => {
  test('a healthy canary holds while the bake runs and passes once the 30 minutes are seen', async () => {
    publish(windowOf({ minutes: 30 }));
    const early = await checkBake(request(12), { ...clients, config });
    expect(early.verdict).toBe('hold');
    expect(early.reasons).toEqual(['the bake runs until 2026-11-28T10:30:00.000Z: 12 of 30 minutes seen, no check failed so far']);
    const done = await checkBake(request(30), { ...clients, config });
    expect(done).toMatchObject({ verdict: 'pass', reasons: [], numbers: { canary: { counts: { toolCalls: 1800 } }, failedChecks: [] } });
  });

  test('reads the window of the load balancer and target groups in the stack outputs', async () => {
    publish(windowOf({ minutes: 30 }));
    await checkBake(request(30), { ...clients, config });
    expect(cfn.commandCalls(DescribeStacksCommand).map((c) => c.args[0].input)).toEqual([{ StackName: 'Production-Service' }]);
    const queries = cw.commandCalls(GetMetricDataCommand)[0]!.args[0].input.MetricDataQueries ?? [];
    const dims = new Set(queries.flatMap((q) => (q.MetricStat?.Metric?.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`)));
    expect(dims).toContain(`TargetGroup=${o.canaryTargetGroupArn.split(':').pop()}`);
    expect(dims).toContain('LoadBalancer=app/Produ-McpLo-1A2B3C/50dc6c495c0c9188');
  });

  test('a canary whose LLM success falls to 80 % fails before the bake is over', async () => {
    const bad = (i: number): MinuteValues => ({ ...canaryMinute(i), ToolCallSuccesses: 48 });
    publish(windowOf({ minutes: 30, canary: bad }));
    const result = await checkBake(request(15), { ...clients, config });
    expect(result.verdict).toBe('fail');
    expect(result.reasons.join(' ')).toMatch(/LLM success/i);
  });

  test('a low-traffic canary that holds at the end of the bake passes once it has the bake\'s samples, before the hold deadline', async () => {
    // 9 canary calls a minute at 10 %: 270 at minute 30 of a bake that needs 10 x 30 = 300.
    const quiet = (): MinuteValues => ({ ...canaryMinute(0), ToolCalls: 9, ToolCallSuccesses: 9, ToolCallErrors: 0, EnumValidations: 5, RequestCount: 9 });
    publish(windowOf({ minutes: 60, canary: quiet }));
    const atEnd = await checkBake(request(30), { ...clients, config });
    expect(atEnd).toMatchObject({ verdict: 'hold', reasons: ['the canary saw 270 tool calls and 270 requests in 30 minutes, fewer than the 300 needed to judge'] });
    expect((await checkBake(request(33), { ...clients, config })).reasons).toEqual(['the canary saw 297 tool calls and 297 requests in 33 minutes, fewer than the 300 needed to judge']);
    const later = await checkBake(request(34), { ...clients, config });
    expect(later).toMatchObject({ verdict: 'pass', reasons: [], numbers: { look: { final: true, minimumSamples: 300 }, canary: { counts: { toolCalls: 306 } } } });
  });

  test('a look one minute before the end of a bake that started mid-minute is not final: it holds; the look after the end decides', async () => {
    // The reader rounds the window out to whole minutes (10:00 to 10:30 for a look at 10:29:21.5);
    // the look itself is still before the bake's end at 10:30:20.
    publish(windowOf({ minutes: 40 }));
    const bake = { windowStart: '2026-11-28T10:00:20.000Z', bakeEnd: '2026-11-28T10:30:20.000Z', holdUntil: '2026-11-28T11:00:20.000Z' };
    const before = await checkBake({ ...request(0), ...bake, windowEnd: '2026-11-28T10:29:21.500Z' }, { ...clients, config });
    expect(before).toMatchObject({ verdict: 'hold', numbers: { look: { final: false, periods: 30, bakePeriods: 30, elapsedPeriods: 29 } } });
    expect(before.reasons).toEqual(['the bake runs until 2026-11-28T10:30:20.000Z: 29 of 30 minutes seen, no check failed so far']);
    const after = await checkBake({ ...request(0), ...bake, windowEnd: '2026-11-28T10:30:21.000Z' }, { ...clients, config });
    expect(after).toMatchObject({ verdict: 'pass', numbers: { look: { final: true } } });
  });

  test('no data is a hold, and a hold at the deadline is a fail', async () => {
    expect((await checkBake(request(31), { ...clients, config })).verdict).toBe('hold');
    const late = await checkBake(request(60), { ...clients, config });
    expect(late.verdict).toBe('fail');
    expect(late.reasons[0]).toMatch(/^still inconclusive at the deadline 2026-11-28T11:00:00.000Z: /);
  });
});

describe('the request and the configuration', () => {
  test.each([
    [{ ...request(5), environment: 'staging' }, 'environment must be "production", got "staging"'],
    [{ ...request(5), canaryPercent: 0 }, 'canaryPercent must be an integer from 1 to 100, got 0'],
    [{ ...request(5), windowEnd: 'soon' }, 'windowEnd must be an ISO 8601 time, got "soon"'],
    [{ ...request(5), windowEnd: WINDOW_START }, 'windowEnd must be after windowStart'],
  ])('refuses %j', (event, message) => {
    expect(() => parseRequest(event, config)).toThrow(InvalidRequest);
    expect(() => parseRequest(event, config)).toThrow(message);
  });

  test('reads its environment once and names every bad variable', () => {
    expect(readConfig({ MCP_ENVIRONMENT: 'production', SERVICE_STACK_NAME: 'Production-Service', KPI_THRESHOLDS: JSON.stringify(SEED_THRESHOLDS), MINIMUM_SAMPLES_PER_MINUTE: '10' })).toEqual(config);
    expect(() => readConfig({ MCP_ENVIRONMENT: 'prod', KPI_THRESHOLDS: '{', MINIMUM_SAMPLES_PER_MINUTE: 'x' })).toThrow(ConfigurationError);
    expect(() => readConfig({ MCP_ENVIRONMENT: 'prod', KPI_THRESHOLDS: '{', MINIMUM_SAMPLES_PER_MINUTE: 'x' })).toThrow(
      /MCP_ENVIRONMENT must be one of staging, production, got "prod"\n {2}- SERVICE_STACK_NAME is not set\n {2}- MINIMUM_SAMPLES_PER_MINUTE must be a whole number of 1 or more, got "x"\n {2}- KPI_THRESHOLDS must be the KPI table as JSON/,
    );
  });
});
