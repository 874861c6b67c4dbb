import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeAlarmHistoryCommand, DescribeAlarmsCommand, GetMetricDataCommand, type GetMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { DescribeRulesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { sent, sentNames } from './helpers/aws-mocks';
import { describeStacks, FakeClock, LATCHED, mocks, NOW, resetMocks, rules, runCommand } from './helpers/cli';

/** Per-minute values of each slot's metrics, by query id suffix. */
type Minute = Partial<Record<'toolCalls' | 'toolCallSuccesses' | 'toolCallErrors' | 'enumValidations' | 'enumValidationFailures' | 'requests' | 'target5xx' | 'connectionErrors' | 'p95', number>>;

const STABLE: Minute = { toolCalls: 450, toolCallSuccesses: 441, toolCallErrors: 2, enumValidations: 300, enumValidationFailures: 3, requests: 540, target5xx: 0, connectionErrors: 0, p95: 0.075 };
const HEALTHY_CANARY: Minute = { toolCalls: 50, toolCallSuccesses: 49, toolCallErrors: 0, enumValidations: 40, enumValidationFailures: 0, requests: 60, target5xx: 0, connectionErrors: 0, p95: 0.082 };

/** GetMetricData answers one point per minute from StartTime to EndTime, as CloudWatch does. */
function metrics(canary: Minute, stable: Minute = STABLE) {
  mocks.cloudwatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => {
    const start = input.StartTime!.getTime();
    const minutes = Math.max(0, Math.round((input.EndTime!.getTime() - start) / 60_000));
    const timestamps = Array.from({ length: minutes }, (_, i) => new Date(start + i * 60_000));
    return {
      MetricDataResults: (input.MetricDataQueries ?? []).map((q) => {
        const [slot, id] = (q.Id ?? '').split('_') as ['stable' | 'canary', keyof Minute];
        const value = (slot === 'canary' ? canary : stable)[id] ?? 0;
        return { Id: q.Id, Timestamps: timestamps, Values: timestamps.map(() => value), StatusCode: 'Complete' as const };
      }),
    };
  });
}

function canaryAt(percent: number) {
  mocks.cloudformation.on(DescribeStacksCommand).resolves(describeStacks('production', { canaryTraffic: percent }));
  mocks.elb.on(DescribeRulesCommand).resolves(rules('production', 100 - percent, percent));
  mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'clear' } });
  mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
  mocks.cloudwatch.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [] });
}

beforeEach(resetMocks);

describe('gate', () => {
  test('passes after the 30-minute window at 10 % when the canary meets the target, printing the summary', async () => {
    canaryAt(10);
    metrics(HEALTHY_CANARY);
    const clock = new FakeClock();
    const run = await runCommand(['gate', '--environment', 'production'], { clock });

    expect(run.code).toBe(0);
    // One look a minute, from the start to the end of the window.
    expect(clock.sleeps).toEqual(Array(30).fill(60_000));
    expect(sentNames(mocks.cloudwatch).filter((n) => n === 'GetMetricDataCommand')).toHaveLength(31);
    const first = sent(mocks.cloudwatch).find(([name]) => name === 'GetMetricDataCommand')?.[1] as GetMetricDataCommandInput;
    expect(first.MetricDataQueries).toHaveLength(18);
    expect(first.MetricDataQueries).toContainEqual({
      Id: 'canary_toolCalls',
      MetricStat: {
        Metric: { Namespace: 'MCP/HierarchicalTools', MetricName: 'ToolCalls', Dimensions: [{ Name: 'Environment', Value: 'production' }, { Name: 'Slot', Value: 'canary' }] },
        Period: 60,
        Stat: 'Sum',
      },
      ReturnData: true,
    });
    expect(first.MetricDataQueries).toContainEqual({
      Id: 'canary_p95',
      MetricStat: {
        Metric: {
          Namespace: 'AWS/ApplicationELB',
          MetricName: 'TargetResponseTime',
          Dimensions: [
            { Name: 'TargetGroup', Value: 'targetgroup/Produ-McpCa-CANARY/7e1fdf942ffd0a1a' },
            { Name: 'LoadBalancer', Value: 'app/Produ-McpLo-1A2B3C/50dc6c495c0c9188' },
          ],
        },
        Period: 60,
        Stat: 'p95',
      },
      ReturnData: true,
    });
    const history = sent(mocks.cloudwatch).filter(([name]) => name === 'DescribeAlarmHistoryCommand');
    expect(history[30]?.[1]).toEqual({
      HistoryItemType: 'StateUpdate',
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
      StartDate: new Date(NOW),
      EndDate: new Date(NOW + 30 * 60_000),
      ScanBy: 'TimestampAscending',
      MaxRecords: 100,
    });
    expect(run.stdout.split('\n')).toEqual([
      'Gate on production: canary at 10 %, baking 30m 00s until 2026-11-24T10:30:00.000Z; needs LLM success >= 95 % over >= 300 canary tool calls, no critical or trigger alarm.',
      'Gate production: PASS after 30m 00s of a 30m 00s window (canary at 10 %)',
      '',
      'check                        required    seen    result',
      'canary LLM success rate      >= 95 %     98.0 %  pass',
      'canary tool calls            >= 300      1500    pass',
      'critical and trigger alarms  none fired  none    pass',
      'rollback latch               clear       clear   pass',
      '',
      'KPI over the window               stable   canary   canary level  target',
      'LLM success rate                  98.0 %   98.0 %   ok            >= 95 %',
      'response time p95 (worst minute)  75 ms    82 ms    ok            <= 100 ms',
      'error rate                        0.4 %    0.0 %    ok            <= 1 %',
      'enumDescription validation        99.0 %   100.0 %  ok            >= 98 %',
      'availability                      100.0 %  100.0 %  ok            >= 99.9 %',
      'requests                          16200    1800',
      '',
      'CloudWatch delivers metrics 1 to 3 minutes late: the newest minutes of the window may be missing.',
      'Next: npx mcp-rollout deploy --environment production --traffic 50',
    ]);
    expect(run.stderr.split('\n')[0]).toBe(
      'gate production [------------------------] 0 ms/30m 00s | canary n/a of 0 calls, p95 n/a, errors n/a | stable n/a of 0 calls, p95 n/a, errors n/a | alarms quiet',
    );
  });

  test('fails as soon as a trigger alarm fires, without waiting out the window', async () => {
    canaryAt(10);
    metrics(HEALTHY_CANARY);
    mocks.cloudwatch
      .on(DescribeAlarmHistoryCommand)
      .resolvesOnce({ AlarmHistoryItems: [] })
      .resolvesOnce({ AlarmHistoryItems: [] })
      .resolves({
        AlarmHistoryItems: [
          {
            AlarmName: 'mcp-rollout-production-canary-error-rate-trigger',
            Timestamp: new Date(NOW + 90_000),
            HistoryItemType: 'StateUpdate',
            HistoryData: JSON.stringify({ version: '1.0', oldState: { stateValue: 'OK' }, newState: { stateValue: 'ALARM' } }),
          },
          {
            AlarmName: 'mcp-rollout-production-canary-error-rate-warning',
            Timestamp: new Date(NOW + 60_000),
            HistoryItemType: 'StateUpdate',
            HistoryData: JSON.stringify({ version: '1.0', oldState: { stateValue: 'OK' }, newState: { stateValue: 'ALARM' } }),
          },
          {
            AlarmName: 'mcp-rollout-staging-canary-error-rate-trigger',
            Timestamp: new Date(NOW + 60_000),
            HistoryItemType: 'StateUpdate',
            HistoryData: JSON.stringify({ version: '1.0', oldState: { stateValue: 'OK' }, newState: { stateValue: 'ALARM' } }),
          },
        ],
      });
    const clock = new FakeClock();
    const run = await runCommand(['gate', '--environment', 'production', '--json'], { clock });
    expect(run.code).toBe(1);
    expect(clock.sleeps).toEqual([60_000, 60_000]);
    const result = JSON.parse(run.stdout) as { verdict: string; reasons: string[] };
    expect(result.verdict).toBe('fail');
    expect(result.reasons).toEqual(['mcp-rollout-production-canary-error-rate-trigger went into ALARM at 2026-11-24T10:01:30.000Z']);
  });

  test('fails when the canary success rate over the window is below --min-success', async () => {
    canaryAt(10);
    metrics({ ...HEALTHY_CANARY, toolCallSuccesses: 47 });
    const run = await runCommand(['gate', '--environment', 'production', '--window', '10m', '--min-success', '95']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("  - the canary's LLM success rate was 94.0 %, below 95 %");
    expect(run.stdout).toContain('canary LLM success rate      >= 95 %     94.0 %  fail');
  });

  test('is inconclusive when the canary saw too few tool calls', async () => {
    canaryAt(10);
    metrics({ ...HEALTHY_CANARY, toolCalls: 5, toolCallSuccesses: 5 });
    const run = await runCommand(['gate', '--environment', 'production', '--window', '30m']);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('  - the canary saw 150 tool calls, fewer than the 300 needed to judge');
  });

  test('bakes 60 minutes at 50 % and takes --min-requests', async () => {
    canaryAt(50);
    metrics(HEALTHY_CANARY);
    const clock = new FakeClock();
    const run = await runCommand(['gate', '--environment', 'production', '--min-requests=3000'], { clock });
    expect(run.code).toBe(0);
    expect(clock.sleeps).toHaveLength(60);
    expect(run.stdout).toContain('canary tool calls            >= 3000     3000    pass');
    expect(run.stdout).toContain('Next: npx mcp-rollout deploy --environment production --traffic 100');
  });

  test('at 100 % a pass leads to promote', async () => {
    canaryAt(100);
    metrics(HEALTHY_CANARY);
    const run = await runCommand(['gate', '--environment', 'production', '--window', '5m', '--min-requests', '100']);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n').pop()).toBe('Next: npx mcp-rollout promote --environment production');
  });

  test('is inconclusive at once when the canary gets no traffic', async () => {
    canaryAt(0);
    const run = await runCommand(['gate', '--environment', 'production', '--window', '30m']);
    expect(run.code).toBe(2);
    expect(sentNames(mocks.cloudwatch)).toEqual([]);
    expect(run.stdout.split('\n')[1]).toBe('  - the canary gets 0 % of traffic: there is nothing to judge. Deploy a phase first (deploy --traffic 10).');
  });

  test('fails at once when the environment is rolled back', async () => {
    canaryAt(10);
    mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: LATCHED } });
    const run = await runCommand(['gate', '--environment', 'production']);
    expect(run.code).toBe(1);
    expect(run.stdout.split('\n')[0]).toBe('Gate production: FAIL before the window started (canary at 10 %)');
  });

  test('Ctrl-C during the wait exits 130 and has changed nothing', async () => {
    canaryAt(10);
    metrics(HEALTHY_CANARY);
    const controller = new AbortController();
    const run = await runCommand(['gate', '--environment', 'production'], { controller, clock: new FakeClock(NOW, { count: 3, controller }) });
    expect(run.code).toBe(130);
    expect(run.stderr).toContain('error: interrupted (Ctrl-C)\nnext: Nothing was changed after the interrupt.\n');
  });

  test.each([
    [['gate', '--environment', 'production', '--window', '30'], 'error: --window must be a duration from 1m to 24h written like 90s, 30m or 1h, got "30"'],
    [['gate', '--environment', 'production', '--window', '25h'], 'error: --window must be a duration from 1m to 24h written like 90s, 30m or 1h, got "25h"'],
    [['gate', '--environment', 'production', '--min-success', '101'], 'error: --min-success must be a percent from 0 to 100 (decimals allowed), got "101"'],
    [['gate', '--environment', 'production', '--min-requests', '-1'], 'error: --min-requests needs a value: --min-requests <count>'],
  ])('refuses %j before calling AWS', async (argv, message) => {
    const run = await runCommand(argv);
    expect(run.code).toBe(64);
    expect(run.stderr.split('\n')[0]).toBe(message);
    expect(mocks.cloudformation.calls()).toHaveLength(0);
  });

  test('needs --window when the canary is not at a seed phase', async () => {
    canaryAt(25);
    const run = await runCommand(['gate', '--environment', 'production']);
    expect(run.code).toBe(64);
    expect(run.stderr.split('\n')[0]).toBe("error: --window is required when the canary serves 25 %: the seed's phases bake 30m at 10 % and 60m at 50 %");
  });
});
