import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeRulesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { parseMetricWindowJson, serializeMetricWindow } from '../lib/shared/metric-window';
import type { WindowTargets } from '../lib/shared/metric-window-reader';
import { FakeCloudWatch, publishWindow } from './helpers/fake-cloudwatch';
import { describeStacks, FakeClock, LATCHED, mocks, NOW, resetMocks, rules, runCommand } from './helpers/cli';
import { canaryMinute, windowOf, type MinuteValues } from './helpers/windows';

// The Service stack's load balancer and target groups, as test/helpers/cli.ts describes them.
const TARGETS: WindowTargets = {
  loadBalancer: 'app/Produ-McpLo-1A2B3C/50dc6c495c0c9188',
  targetGroups: { stable: 'targetgroup/Produ-McpSt-STABLE/6d0ecf831eec9f09', canary: 'targetgroup/Produ-McpCa-CANARY/7e1fdf942ffd0a1a' },
};
const START = new Date(NOW).toISOString();
const FIXTURES = path.join(__dirname, 'fixtures');

/** 54 tool errors in 30 minutes (3 %) instead of 15: the relative regression of issue 13. */
const threePercent = (i: number): MinuteValues => {
  const errors = i % 5 === 0 ? 1 : 2;
  return { ...canaryMinute(i), ToolCallErrors: errors, ToolCallSuccesses: 60 - errors };
};

let fake: FakeCloudWatch;

/** The deployed stack at `percent`, a clear latch, and CloudWatch holding `minutes` of these metrics. */
function deployed(percent: number, canary: (i: number) => MinuteValues = canaryMinute, minutes = 60) {
  mocks.cloudformation.on(DescribeStacksCommand).resolves(describeStacks('production', { canaryTraffic: percent }));
  mocks.elb.on(DescribeRulesCommand).resolves(rules('production', 100 - percent, percent));
  mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'clear' } });
  publishWindow(fake, windowOf({ minutes, canary, start: START }), TARGETS);
}

function scratch(): string {
  return mkdtempSync(path.join(tmpdir(), 'mcp-rollout-gate-'));
}

beforeEach(() => {
  resetMocks();
  fake = new FakeCloudWatch();
  fake.install(mocks.cloudwatch);
});

describe('gate', () => {
  test('judges every minute of the 30-minute bake at 10 % and passes a healthy canary, printing the checks', async () => {
    deployed(10);
    const clock = new FakeClock();
    const run = await runCommand(['gate', '--environment', 'production'], { clock });

    expect(run.code).toBe(0);
    expect(clock.sleeps).toEqual(Array(30).fill(60_000));
    // One window read a minute, from the start to the end of the bake, each in one request.
    expect(fake.metricRequests).toHaveLength(31);
    expect(fake.metricRequests[30]).toMatchObject({ StartTime: new Date(NOW), EndTime: new Date(NOW + 30 * 60_000) });
    expect(run.stdout.split('\n')).toEqual([
      'Gate on production: canary at 10 %, baking 30m 00s until 2026-11-24T10:30:00.000Z; judged every minute against stable and the KPI table (false-rollback budget 5 %), needs >= 300 canary tool calls and requests, no critical or trigger alarm.',
      'Gate production: PASS after 30m 00s of a 30m 00s window (canary at 10 %)',
      '',
      'check                                 compared with  canary                     p-value  alpha   result',
      'LLM success rate vs stable            stable 99.1 %  99.2 % (15 of 1800)        0.69     0.0052  ok',
      'error rate vs stable                  stable 0.9 %   0.8 % (15 of 1800)         0.69     0.0052  ok',
      'p95 per minute vs stable              stable + 20 %  worse in 0 of 30 min       1        0.0052  ok',
      'LLM success rate vs target            >= 95 %        99.2 % (15 of 1800)        1        0.0052  ok',
      'error rate vs target                  <= 1 %         0.8 % (15 of 1800)         0.94     0.0052  ok',
      'enumDescription validation vs target  >= 98 %        100.0 % (0 of 1080)        1        0.0052  ok',
      'availability vs target                >= 99.9 %      100.0 % (0 of 1800)        1        0.0052  ok',
      'p95 per minute vs target              <= 100 ms      above in 0 of 30 min       1        0.0052  ok',
      'canary samples                        >= 300         1800 calls, 1800 requests                   ok',
      'critical and trigger alarms           none in ALARM  none                                        ok',
      'rollback latch                        clear          clear                                       ok',
      '',
      'KPI over the window                stable   canary   canary level  target',
      'LLM success rate                   99.1 %   99.2 %   ok            >= 95 %',
      'response time p95 (median minute)  75 ms    80 ms    ok            <= 100 ms',
      'error rate                         0.9 %    0.8 %    ok            <= 1 %',
      'enumDescription validation         99.7 %   100.0 %  ok            >= 98 %',
      'availability                       100.0 %  100.0 %  ok            >= 99.9 %',
      'requests                           16200    1800',
      '',
      'CloudWatch delivers metrics 1 to 3 minutes late: the newest minutes of the window may be missing.',
      'Next: npx mcp-rollout deploy --environment production --traffic 50',
    ]);
    expect(run.stderr.split('\n')[0]).toBe(
      'gate production [------------------------] 0 ms/30m 00s | canary 98.3 % of 60 calls, p95 80 ms, errors 1.7 % | stable 99.1 % of 540 calls, p95 75 ms, errors 0.9 % | alarms quiet | inconclusive',
    );
  });

  test('--json adds the verdict and the numbers behind it', async () => {
    deployed(10);
    const run = await runCommand(['gate', '--environment', 'production', '--json']);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- the documented JSON
    expect(result).toMatchObject({
      command: 'gate',
      environment: 'production',
      exitCode: 0,
      verdict: 'pass',
      reasons: [],
      criteria: { windowMs: 1_800_000, canaryPercent: 10, successTarget: 95, minimumSamples: 300, falseRollbackBudget: 0.05 },
      elapsedMs: 1_800_000,
      look: { periods: 30, bakePeriods: 30, final: true, minimumSamples: 300 },
      slots: { canary: { counts: { toolCalls: 1800, toolCallErrors: 15, requests: 1800 } } },
      alarms: [],
      latchedDuring: false,
    });
    expect(result.checks).toHaveLength(8);
    expect(result.checks[1]).toMatchObject({ kpi: 'errorRate', kind: 'vs-stable', result: 'ok', canary: { bad: 15, of: 1800 }, stable: { bad: 150, of: 16200 } });
  });

  test('fails as soon as the judge sees the tool-error rate go from 1 % to 3 %, which the success target alone misses', async () => {
    deployed(10, threePercent);
    const clock = new FakeClock();
    const run = await runCommand(['gate', '--environment', 'production', '--json'], { clock });
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout) as { verdict: string; reasons: string[]; look: { periods: number; final: boolean } };
    expect(result.verdict).toBe('fail');
    // Stopped at the 14th minute's look of 30: each look after the first follows a one-minute sleep.
    expect(result.look).toMatchObject({ periods: 14, final: false });
    expect(clock.sleeps).toHaveLength(14);
    // Fisher 25/840 vs 70/7560: scipy.stats.fisher_exact(..., alternative='greater') = 4.216e-6; the 14th look of 30
    // spends (spending(14/30) - spending(13/30)) / 8 = 8.96e-6 a check.
    expect(result.reasons).toEqual([
      'canary LLM success rate 97.02 % (25 failed of 840) vs stable 99.07 % (70 of 7560): one-sided Fisher exact p = 4.2e-6 <= alpha 9.0e-6',
      'canary error rate 2.98 % (25 failed of 840) vs stable 0.93 % (70 of 7560): one-sided Fisher exact p = 4.2e-6 <= alpha 9.0e-6',
    ]);
  });

  test('fails as soon as a trigger alarm fires, without waiting out the window', async () => {
    deployed(10);
    fake.alarmChanged('mcp-rollout-production-canary-error-rate-trigger', 'OK', 'ALARM', NOW + 90_000);
    fake.alarmChanged('mcp-rollout-production-canary-error-rate-warning', 'OK', 'ALARM', NOW + 60_000);
    fake.alarmChanged('mcp-rollout-staging-canary-error-rate-trigger', 'OK', 'ALARM', NOW + 60_000);
    const clock = new FakeClock();
    const run = await runCommand(['gate', '--environment', 'production', '--json'], { clock });
    expect(run.code).toBe(1);
    expect(clock.sleeps).toEqual([60_000, 60_000]);
    const result = JSON.parse(run.stdout) as { verdict: string; reasons: string[] };
    expect(result.verdict).toBe('fail');
    expect(result.reasons).toEqual(['mcp-rollout-production-canary-error-rate-trigger was in ALARM at 2026-11-24T10:01:30.000Z']);
  });

  test('fails at the first look when a critical alarm is already in ALARM', async () => {
    deployed(10);
    fake.alarmChanged('mcp-rollout-production-service-availability-critical', 'OK', 'ALARM', NOW - 600_000);
    const clock = new FakeClock();
    const run = await runCommand(['gate', '--environment', 'production'], { clock });
    expect(run.code).toBe(1);
    expect(clock.sleeps).toEqual([]);
    expect(run.stdout).toContain('  - mcp-rollout-production-service-availability-critical was in ALARM at 2026-11-24T10:00:00.000Z');
  });

  test('judges the success rate against --min-success', async () => {
    deployed(10);
    const run = await runCommand(['gate', '--environment', 'production', '--window', '10m', '--min-success', '99.9']);
    expect(run.code).toBe(1);
    // scipy.stats.binom.sf(4, 600, 0.001) = 3.89e-4; a 10-minute bake's final look spends (0.05 - spending(9/10)) / 8 = 0.00542 a check.
    expect(run.stdout).toContain('  - canary LLM success rate 99.17 % (5 failed of 600) vs the target 99.9 % (tested at 99.88 %, 20 % worse): exact binomial p = 8.8e-4 <= alpha 0.0054, significantly below it');
  });

  test('is inconclusive when the canary saw too few tool calls by the end of the bake', async () => {
    deployed(10, () => ({ ToolCalls: 5, ToolCallSuccesses: 5, RequestCount: 5, TargetResponseTimeP95Ms: 80 }));
    const run = await runCommand(['gate', '--environment', 'production', '--window', '30m']);
    expect(run.code).toBe(2);
    expect(run.stdout.split('\n')[1]).toBe('Gate production: INCONCLUSIVE after 30m 00s of a 30m 00s window (canary at 10 %)');
    expect(run.stdout).toContain('  - the canary saw 150 tool calls and 150 requests in 30 minutes, fewer than the 300 needed to judge');
  });

  test('bakes 60 minutes at 50 % and takes --min-requests as the window minimum', async () => {
    deployed(50);
    const clock = new FakeClock();
    const run = await runCommand(['gate', '--environment', 'production', '--min-requests=3600', '--json'], { clock });
    expect(run.code).toBe(0);
    expect(clock.sleeps).toHaveLength(60);
    expect(JSON.parse(run.stdout)).toMatchObject({ verdict: 'pass', criteria: { minimumSamples: 3600 }, look: { periods: 60, minimumSamples: 3600 } });
  });

  test('started mid-minute, the gate judges at the targets only at the bake\'s end, not at the look before it', async () => {
    // Both slots at 2 % errors: nothing against stable, below the 5 % critical level, above the 1 % target.
    const twoPercentStable = { ToolCalls: 540, ToolCallSuccesses: 529, ToolCallErrors: 11, EnumValidations: 324, EnumValidationFailures: 1, RequestCount: 540, TargetResponseTimeP95Ms: 75 };
    const twoPercent = (i: number): MinuteValues => ({ ...canaryMinute(i), ToolCallErrors: i % 5 === 0 ? 2 : 1, ToolCallSuccesses: 60 - (i % 5 === 0 ? 2 : 1) });
    mocks.cloudformation.on(DescribeStacksCommand).resolves(describeStacks('production', { canaryTraffic: 10 }));
    mocks.elb.on(DescribeRulesCommand).resolves(rules('production', 90, 10));
    mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'clear' } });
    publishWindow(fake, windowOf({ minutes: 40, canary: twoPercent, stable: () => twoPercentStable, start: START }), TARGETS);
    const clock = new FakeClock(NOW + 20_000);
    const run = await runCommand(['gate', '--environment', 'production', '--json'], { clock });
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout) as { elapsedMs: number; look: { final: boolean }; reasons: string[] };
    expect(result.elapsedMs).toBe(30 * 60_000);
    expect(result.look.final).toBe(true);
    expect(result.reasons).toEqual([expect.stringMatching(/^canary error rate 2\.04 % \(38 failed of 1860\) vs the target 1 % \(tested at 1\.2 %, 20 % worse\): exact binomial p = .* <= alpha 0\.0052, significantly above it$/)]);
    expect(run.stderr.split('\n').find((l) => l.includes(' 29m 00s/30m 00s '))).toMatch(/\| inconclusive$/);
  });

  test('at 100 % a pass leads to promote', async () => {
    deployed(100);
    const run = await runCommand(['gate', '--environment', 'production', '--window', '5m', '--min-requests', '100']);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n').pop()).toBe('Next: npx mcp-rollout promote --environment production');
  });

  test('is inconclusive at once when the canary gets no traffic', async () => {
    deployed(0);
    const run = await runCommand(['gate', '--environment', 'production', '--window', '30m', '--json']);
    expect(run.code).toBe(2);
    expect(mocks.cloudwatch.calls()).toHaveLength(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ verdict: 'inconclusive', reasons: ['the canary gets 0 % of traffic: there is nothing to judge. Deploy a phase first (deploy --traffic 10).'] });
  });

  test('fails at once when the environment is rolled back', async () => {
    deployed(10);
    mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: LATCHED } });
    const run = await runCommand(['gate', '--environment', 'production']);
    expect(run.code).toBe(1);
    expect(run.stdout.split('\n')[0]).toBe('Gate production: FAIL before the window started (canary at 10 %)');
  });

  test('fails when the environment is rolled back during the bake', async () => {
    deployed(10);
    // Clear before the bake and at its first look; latched at the second.
    mocks.ssm.on(GetParameterCommand).resolvesOnce({ Parameter: { Value: 'clear' } }).resolvesOnce({ Parameter: { Value: 'clear' } }).resolves({ Parameter: { Value: LATCHED } });
    const clock = new FakeClock();
    const during = await runCommand(['gate', '--environment', 'production'], { clock });
    expect(during.code).toBe(1);
    expect(clock.sleeps).toEqual([60_000]);
    expect(during.stdout).toContain('  - production was rolled back during the window');
  });

  test('Ctrl-C during the wait exits 130 and has changed nothing', async () => {
    deployed(10);
    const controller = new AbortController();
    const run = await runCommand(['gate', '--environment', 'production'], { controller, clock: new FakeClock(NOW, { count: 3, controller }) });
    expect(run.code).toBe(130);
    expect(run.stderr).toContain('error: interrupted (Ctrl-C)\nnext: Nothing was changed after the interrupt.\n');
  });

  test('an AWS error reading the window says what failed and what to do', async () => {
    deployed(10);
    mocks.cloudwatch.on(GetMetricDataCommand).rejects(Object.assign(new Error('User is not authorized to perform: cloudwatch:GetMetricData'), { name: 'AccessDenied' }));
    const run = await runCommand(['gate', '--environment', 'production']);
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n')[0]).toBe(
      'error: access denied while reading the metric window (cloudwatch:GetMetricData, DescribeAlarmHistory, DescribeAlarms): AccessDenied: User is not authorized to perform: cloudwatch:GetMetricData',
    );
  });

  test.each([
    [['gate', '--environment', 'production', '--window', '30'], 'error: --window must be a duration from 1m to 24h written like 90s, 30m or 1h, got "30"'],
    [['gate', '--environment', 'production', '--window', '25h'], 'error: --window must be a duration from 1m to 24h written like 90s, 30m or 1h, got "25h"'],
    [['gate', '--environment', 'production', '--min-success', '101'], 'error: --min-success must be a percent from 0 to 100 (decimals allowed), got "101"'],
    [['gate', '--environment', 'production', '--min-requests', '-1'], 'error: --min-requests needs a value: --min-requests <count>'],
    [['gate', '--environment', 'production', '--record', 'a.json', '--replay', 'b.json'], 'error: --record and --replay cannot be used together: --record writes the window the gate reads from AWS, --replay judges a written one'],
    [['gate', '--environment', 'production', '--record', '/no/such/dir/w.json'], "error: --record: cannot write /no/such/dir/w.json: ENOENT: no such file or directory, access '/no/such/dir'"],
  ])('refuses %j before calling AWS', async (argv, message) => {
    const run = await runCommand(argv);
    expect(run.code).toBe(64);
    expect(run.stderr.split('\n')[0]).toBe(message);
    expect(mocks.cloudformation.calls()).toHaveLength(0);
  });

  test('needs --window when the canary is not at a seed phase', async () => {
    deployed(25);
    const run = await runCommand(['gate', '--environment', 'production']);
    expect(run.code).toBe(64);
    expect(run.stderr.split('\n')[0]).toBe("error: --window is required when the canary serves 25 %: the seed's phases bake 30m at 10 % and 60m at 50 %");
  });
});

describe('gate --record and --replay', () => {
  const allCalls = () => Object.values(mocks).reduce((n, m) => n + m.calls().length, 0);

  test('--record writes the window it judged; --replay judges it again offline with the same verdict and exit code', async () => {
    deployed(10, threePercent);
    const file = path.join(scratch(), 'bake.json');
    const live = await runCommand(['gate', '--environment', 'production', '--record', file, '--json']);
    expect(live.code).toBe(1);
    const recorded = parseMetricWindowJson(readFileSync(file, 'utf8'));
    expect(recorded).toMatchObject({ environment: 'production', canaryPercent: 10, start: START, periodSeconds: 60 });
    const liveResult = JSON.parse(live.stdout) as { recordedTo: string; look: { periods: number }; reasons: string[] };
    expect(liveResult.recordedTo).toBe(file);
    expect(recorded.slots.canary.ToolCalls).toHaveLength(liveResult.look.periods);

    resetMocks();
    const replayed = await runCommand(['gate', '--environment', 'production', '--replay', file, '--window', '30m', '--json']);
    expect(allCalls()).toBe(0);
    expect(replayed.code).toBe(1);
    const replayResult = JSON.parse(replayed.stdout) as { verdict: string; reasons: string[]; replayedFrom: string };
    expect(replayResult).toMatchObject({ verdict: 'fail', replayedFrom: file });
    expect(replayResult.reasons).toEqual(liveResult.reasons);
  });

  test.each([
    ['gate-replay-healthy.json', 0, 'pass'],
    ['gate-replay-regression.json', 1, 'fail'],
    ['gate-replay-quiet.json', 2, 'inconclusive'],
    ['gate-replay-alarm.json', 1, 'fail'],
  ])('--replay %s exits %d (%s) with no AWS call', async (name, code, verdict) => {
    const run = await runCommand(['gate', '--environment', 'production', '--replay', path.join(FIXTURES, name), '--json']);
    expect(allCalls()).toBe(0);
    expect(run.code).toBe(code);
    expect((JSON.parse(run.stdout) as { verdict: string }).verdict).toBe(verdict);
  });

  test('--replay takes the environment from the file when --environment is absent, as issue 13 writes the call', async () => {
    const run = await runCommand(['gate', '--replay', path.join(FIXTURES, 'gate-replay-regression.json'), '--json']);
    expect(allCalls()).toBe(0);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ command: 'gate', environment: 'production', verdict: 'fail' });
    const human = await runCommand(['gate', '--replay', path.join(FIXTURES, 'gate-replay-healthy.json')]);
    expect(human.code).toBe(0);
    expect(human.stdout.split('\n')[0]).toMatch(/^Gate production: PASS on the window replayed from /);
  });

  test('without --environment, a file that cannot be read or names no known environment is refused (exit 64)', async () => {
    const missing = await runCommand(['gate', '--replay', '/no/such/file.json']);
    expect(missing.code).toBe(64);
    expect(missing.stderr).toMatch(/^error: --replay: cannot read \/no\/such\/file\.json: ENOENT/);
    const file = path.join(scratch(), 'dev.json');
    writeFileSync(file, serializeMetricWindow(windowOf({ minutes: 3 })).replace('"environment": "production"', '"environment": "dev"'));
    const unknown = await runCommand(['gate', '--replay', file]);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain('  - environment: must be one of staging, production, got "dev"');
  });

  test('without --environment or --replay, --environment is still required', async () => {
    const run = await runCommand(['gate', '--window', '30m']);
    expect(run.code).toBe(64);
    expect(run.stderr.split('\n')[0]).toBe('error: --environment is required (or --replay FILE, whose window names it); allowed: staging, production');
  });

  test('help says where gate finds its environment', async () => {
    const run = await runCommand(['gate', '--help']);
    expect(run.stdout.replace(/\s+/g, ' ')).toContain('--environment <name> the environment: staging or production (required, or --replay FILE, whose window names it)');
  });

  test("--replay of the issue's example says it did not count the trigger alarm that fired after the window, and why", async () => {
    const run = await runCommand(['gate', '--replay', path.join(FIXTURES, 'issue-13-window.json')]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Not counted: mcp-rollout-production-canary-error-rate-trigger went into ALARM at 2026-11-28T10:14:00.000Z, after the window ended at 2026-11-28T10:03:00.000Z.');
    const json = await runCommand(['gate', '--replay', path.join(FIXTURES, 'issue-13-window.json'), '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ verdict: 'pass', alarms: [], ignoredAlarms: [{ name: 'mcp-rollout-production-canary-error-rate-trigger', at: '2026-11-28T10:14:00.000Z' }] });
  });

  test('--replay prints the checks and says nothing came from AWS', async () => {
    const file = path.join(FIXTURES, 'gate-replay-regression.json');
    const run = await runCommand(['gate', '--environment', 'production', '--replay', file]);
    const lines = run.stdout.split('\n');
    expect(lines.slice(0, 4)).toEqual([
      `Gate production: FAIL on the window replayed from ${file} (30m 00s of a 30m 00s bake) (canary at 10 %)`,
      '  - canary LLM success rate 97.00 % (54 failed of 1800) vs stable 99.07 % (150 of 16200): one-sided Fisher exact p = 1.4e-11 <= alpha 0.0052',
      '  - canary error rate 3.00 % (54 failed of 1800) vs stable 0.93 % (150 of 16200): one-sided Fisher exact p = 1.4e-11 <= alpha 0.0052',
      '  - canary error rate 3.00 % (54 failed of 1800) vs the target 1 % (tested at 1.2 %, 20 % worse): exact binomial p = 2.5e-9 <= alpha 0.0052, significantly above it',
    ]);
    expect(lines.at(-1)).toBe('Replayed offline: nothing was read from AWS.');
    expect(run.stdout).not.toContain('rollback latch');
  });

  test('--window makes a short recording an early look of a longer bake', async () => {
    // The first 10 minutes of the regression: too little evidence for an early stop, so it holds.
    const dir = scratch();
    const file = path.join(dir, 'early.json');
    writeFileSync(file, serializeMetricWindow(windowOf({ minutes: 10, canary: threePercent, start: START })));
    const run = await runCommand(['gate', '--environment', 'production', '--replay', file, '--window', '30m', '--json']);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ verdict: 'inconclusive', look: { periods: 10, bakePeriods: 30, final: false } });
  });

  test.each([
    ['a missing file', () => '/no/such/file.json', /^error: --replay: cannot read \/no\/such\/file\.json: ENOENT/],
    ['a file that is not a window', (dir: string) => {
      const file = path.join(dir, 'bad.json');
      writeFileSync(file, JSON.stringify({ format: 'something-else', environment: 'production' }));
      return file;
    }, /^error: Invalid metric window in .*bad\.json:\n {2}- format: must be "mcp-rollout\.metric-window\/v1", got "something-else"\n {2}- canaryPercent: must be an integer from 0 to 100, got nothing\n/],
    ['a window of another environment', (dir: string) => {
      const file = path.join(dir, 'staging.json');
      writeFileSync(file, serializeMetricWindow(windowOf({ minutes: 3, environment: 'staging' })));
      return file;
    }, /^error: --replay .*staging\.json holds a window of staging, not production: it is judged with that environment's thresholds\nnext: Run it with --environment staging\.\n$/],
  ])('--replay refuses %s (exit 64)', async (_name, make, message) => {
    const run = await runCommand(['gate', '--environment', 'production', '--replay', make(scratch())]);
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(message);
    expect(allCalls()).toBe(0);
  });
});
