/**
 * undo and history against the stateful fake (test/fakes/operator-world.ts): the history the
 * commands write is the history undo reads, through SSM's own version rules.
 */
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { FakeClock, LATCHED, mocks, NOW, resetMocks, runCommand, USER } from './helpers/cli';
import { CALLER_ARN, OperatorWorld } from './fakes/operator-world';

const HISTORY = '/mcp-rollout/production/release-history';

const promoted = (from: string, to: string, by = 'bob', time = '2026-11-23T15:00:00.000Z') =>
  JSON.stringify({ kind: 'promote', environment: 'production', time, by, outcome: 'done', images: { stable: to, canary: to }, previousStableImage: from, weights: { stable: 100, canary: 0 } });
const undone = (from: string, to: string) =>
  JSON.stringify({ kind: 'undo', environment: 'production', time: '2026-11-24T09:00:00.000Z', by: 'carol', outcome: 'done', images: { stable: to, canary: from }, previousStableImage: from, reason: 'p95 regression' });
/** What the rollout engine writes when a rollout promotes (its ReleaseSummary, without a kind). */
const rolloutPromoted = (from: string, to: string) =>
  JSON.stringify({
    execution: 'arn:aws:states:eu-west-1:123456789012:execution:mcp-rollout-production-rollout:r-42',
    environment: 'production',
    outcome: 'promoted',
    canaryImage: to,
    previousStableImage: from,
    requestedBy: 'pipeline-1234',
    startedAt: '2026-11-23T12:00:00.000Z',
    endedAt: '2026-11-23T15:10:00.000Z',
    detail: 'promoted v1.5.0 after 6 steps',
  });

function world(options: ConstructorParameters<typeof OperatorWorld>[0] = {}): OperatorWorld {
  return new OperatorWorld({ stableImageTag: 'v1.5.0', canaryImageTag: 'v1.5.0', ...options }).install();
}

beforeEach(() => {
  resetMocks();
  mocks.events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
  mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });
});

describe('undo', () => {
  test('without --confirm: the plan from the history, exit 3, nothing changed', async () => {
    const w = world({ history: [promoted('v1.4.0', 'v1.5.0')] });
    const run = await runCommand(['undo', '--environment', 'production']);
    expect(run.code).toBe(3);
    expect(run.stdout.split('\n')).toEqual([
      'The release history says stable ran v1.4.0 before bob promoted v1.5.0 at 2026-11-23T15:00:00.000Z.',
      'Not confirmed: nothing changed. Undoing production would put v1.4.0 back on stable (now v1.5.0):',
      '1. update Production-Service with its deployed template: StableImageTag v1.5.0 -> v1.4.0; every other parameter keeps its deployed value',
      '2. the stable service rolls to v1.4.0 and must be steady before the weights move to stable 100 / canary 0; if its tasks never get healthy, CloudFormation rolls the whole change back',
      'Run again with --confirm: npx mcp-rollout undo --environment production --confirm',
    ]);
    expect(w.updates).toEqual([]);
    expect(w.historyValues()).toHaveLength(1);
  });

  test('--confirm: one parameters-only update to the previous stable image with the canary at 0 %, verified and recorded', async () => {
    const w = world({ canaryTraffic: 10, canaryImageTag: 'v1.6.0', history: [promoted('v1.4.0', 'v1.5.0')] });
    const run = await runCommand(['undo', '--environment', 'production', '--confirm', '--reason', 'p95 regression after promotion']);
    expect(run.code).toBe(0);
    expect(w.updates).toEqual([
      expect.objectContaining({
        StackName: 'Production-Service',
        UsePreviousTemplate: true,
        Parameters: [
          { ParameterKey: 'CanaryTraffic', ParameterValue: '0' },
          { ParameterKey: 'StableImageTag', ParameterValue: 'v1.4.0' },
          { ParameterKey: 'CanaryImageTag', UsePreviousValue: true },
          { ParameterKey: 'RollbackLatch', UsePreviousValue: true },
          { ParameterKey: 'BootstrapVersion', UsePreviousValue: true },
        ],
      }),
    ]);
    expect(w.stackParameters).toMatchObject({ StableImageTag: 'v1.4.0', CanaryTraffic: '0', CanaryImageTag: 'v1.6.0' });
    expect(w.weights).toEqual({ stable: 100, canary: 0 });
    expect(JSON.parse(w.historyValues()[1] ?? '{}')).toEqual({
      kind: 'undo',
      environment: 'production',
      time: new Date(NOW + 20_000).toISOString(),
      by: USER,
      outcome: 'done',
      images: { stable: 'v1.4.0', canary: 'v1.6.0' },
      previousStableImage: 'v1.5.0',
      weights: { stable: 100, canary: 0 },
      reason: 'p95 regression after promotion',
    });
    expect(run.stdout.split('\n').slice(-2)).toEqual([
      'production: stable runs v1.4.0 again and gets 100 %; the canary (v1.6.0) gets 0 %.',
      'Next: npx mcp-rollout status --environment production; a fixed release starts again with deploy --traffic 10 --canary-image <tag>',
    ]);
  });

  test('goes ahead while rolled back and while a critical alarm fires: that is when it is needed; the latch keeps the canary at 0 %', async () => {
    const w = world({ latch: LATCHED, history: [promoted('v1.4.0', 'v1.5.0')] });
    mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'mcp-rollout-production-stable-llm-success-rate-critical', StateValue: 'ALARM' }] });
    const plan = await runCommand(['undo', '--environment', 'production']);
    expect(plan.stdout).toContain('   the environment stays rolled back (latch set by mcp-rollout-production-canary-llm-success-rate-trigger at 2026-11-24T09:41:07.000Z');
    expect(plan.stdout).toContain('   firing now: mcp-rollout-production-stable-llm-success-rate-critical');
    const run = await runCommand(['undo', '--environment', 'production', '--confirm']);
    expect(run.code).toBe(0);
    expect(w.stackParameters.StableImageTag).toBe('v1.4.0');
    expect(w.weights).toEqual({ stable: 100, canary: 0 });
    expect(run.stdout).toContain('Next: the environment is still rolled back; find the cause of the regression in v1.5.0, then npx mcp-rollout resume --environment production --confirm');
  });

  test('takes a promotion by the rollout engine (its summary, without a kind) as the one to undo', async () => {
    const w = world({ history: [rolloutPromoted('v1.4.0', 'v1.5.0')] });
    const run = await runCommand(['undo', '--environment', 'production', '--confirm']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('The release history says stable ran v1.4.0 before pipeline-1234 promoted v1.5.0 at 2026-11-23T15:10:00.000Z.');
    expect(w.stackParameters.StableImageTag).toBe('v1.4.0');
  });

  test('never goes forward: after an undo, another one needs the image named, and says which one is next', async () => {
    const w = world({ stableImageTag: 'v1.4.0', history: [promoted('v1.3.0', 'v1.4.0'), promoted('v1.4.0', 'v1.5.0'), undone('v1.5.0', 'v1.4.0')] });
    const run = await runCommand(['undo', '--environment', 'production', '--confirm']);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      'error: stable runs v1.4.0 because carol undid a promotion at 2026-11-24T09:00:00.000Z; another undo would go further back, so it needs the image named\n' +
        'next: To go back to v1.3.0, the stable image before v1.4.0 was promoted: npx mcp-rollout undo --environment production --to v1.3.0\n',
    );
    expect(w.updates).toEqual([]);
  });

  test('refuses without a recorded promotion and says how to name the image; --to then works, with a warning for an image the history never saw', async () => {
    const w = world({ history: [] });
    const refused = await runCommand(['undo', '--environment', 'production', '--confirm']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toBe(
      'error: the release history records no promotion that brought v1.5.0 to stable, so the image before it is not known\n' +
        'next: Name the image: npx mcp-rollout undo --environment production --to <tag> (npx mcp-rollout history --environment production lists the images stable ran).\n',
    );
    const run = await runCommand(['undo', '--environment', 'production', '--to', 'v1.3.9', '--confirm']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('warning: v1.3.9 is not a stable image in the release history: check the tag (a tag that does not exist fails the update, and CloudFormation rolls it back).\n');
    expect(w.stackParameters.StableImageTag).toBe('v1.3.9');
  });

  test('refuses when stable was changed outside the history', async () => {
    world({ stableImageTag: 'v1.5.1', history: [promoted('v1.4.0', 'v1.5.0')] });
    const run = await runCommand(['undo', '--environment', 'production']);
    expect(run.code).toBe(3);
    expect(run.stderr.split('\n')[0]).toBe(
      'error: stable runs v1.5.1, but the newest stable change in the release history made it v1.5.0: it was changed outside this tool, so the image before it is not known',
    );
  });

  test('an image whose tasks never get healthy: CloudFormation rolls back, stable keeps its image, the failed undo is recorded', async () => {
    const w = world({ history: [promoted('v1.4.0', 'v1.5.0')] });
    w.brokenImages.add('v1.4.0');
    const run = await runCommand(['undo', '--environment', 'production', '--confirm']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error: the update of Production-Service ended UPDATE_ROLLBACK_COMPLETE: CloudFormation rolled the whole change back');
    expect(w.stackParameters.StableImageTag).toBe('v1.5.0');
    expect(JSON.parse(w.historyValues()[1] ?? '{}')).toMatchObject({ kind: 'undo', outcome: 'failed', images: { stable: 'v1.5.0' }, previousStableImage: 'v1.5.0' });
  });

  test('refuses while CloudFormation applies another change', async () => {
    const w = world({ history: [promoted('v1.4.0', 'v1.5.0')] });
    w.stackStatus = 'UPDATE_ROLLBACK_IN_PROGRESS';
    const run = await runCommand(['undo', '--environment', 'production', '--confirm']);
    expect(run.code).toBe(3);
    expect(run.stderr.split('\n')[0]).toBe('error: stack Production-Service is UPDATE_ROLLBACK_IN_PROGRESS: CloudFormation is still applying another change');
  });

  test.each([
    [['undo', '--environment', 'production', '--to=-bad'], 'error: --to must be an image tag: 1 to 128 letters, digits, "_", "." or "-", not starting with "." or "-", got "-bad"'],
    [['undo', '--environment', 'production', '--reason', ' '], 'error: --reason must be 1 to 1000 characters, got 0'],
  ])('refuses a bad command line %j before calling AWS', async (argv, message) => {
    const run = await runCommand(argv);
    expect(run.code).toBe(64);
    expect(run.stderr.split('\n')[0]).toBe(message);
    expect(mocks.cloudformation.calls()).toHaveLength(0);
  });
});

describe('a release, its regression and the undo, read back with history', () => {
  test('deploy 10 %, promote, undo: each one record, newest first, in a table and in JSON', async () => {
    const clock = new FakeClock();
    const w = new OperatorWorld({ stableImageTag: 'v1.4.0', canaryImageTag: 'v1.4.0', clock }).install();
    expect((await runCommand(['deploy', '--environment', 'production', '--traffic', '100', '--canary-image', 'v1.5.0'], { clock })).code).toBe(0);
    expect((await runCommand(['promote', '--environment', 'production'], { clock })).code).toBe(0);
    expect((await runCommand(['undo', '--environment', 'production', '--confirm', '--reason', 'errors up'], { clock })).code).toBe(0);
    expect(w.stackParameters.StableImageTag).toBe('v1.4.0');

    const table = await runCommand(['history', '--environment', 'production'], { clock });
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')).toEqual([
      '#  time                  what     by     stable            canary  traffic     result',
      '4  2026-11-24 10:01:00Z  undo     alice  v1.5.0 -> v1.4.0  v1.5.0  0 %         done: errors up',
      '3  2026-11-24 10:00:40Z  promote  alice  v1.4.0 -> v1.5.0  v1.5.0  0 %         done',
      '2  2026-11-24 10:00:20Z  deploy   alice  v1.4.0            v1.5.0  0 -> 100 %  done, weights 0/100',
      '',
      `3 of 3 record(s), newest first. SSM keeps the last 100 versions of ${HISTORY}: older records are gone.`,
    ]);

    const json = JSON.parse((await runCommand(['history', '--environment', 'production', '--json', '--limit', '1'], { clock })).stdout);
    expect(json).toEqual({
      command: 'history',
      environment: 'production',
      exitCode: 0,
      parameterName: HISTORY,
      exists: true,
      records: [
        {
          version: 4,
          kind: 'undo',
          storedAt: '2026-11-24T10:01:00.000Z',
          identity: CALLER_ARN,
          record: {
            kind: 'undo',
            environment: 'production',
            time: '2026-11-24T10:01:00.000Z',
            by: USER,
            outcome: 'done',
            images: { stable: 'v1.4.0', canary: 'v1.5.0' },
            previousStableImage: 'v1.5.0',
            weights: { stable: 100, canary: 0 },
            reason: 'errors up',
          },
        },
      ],
    });
  });

  test('reads the engine summaries, gate verdicts, rollbacks, resumes and values it does not know', async () => {
    const gate = JSON.stringify({ kind: 'gate', environment: 'production', time: '2026-11-24T08:30:00.000Z', by: 'alice', verdict: 'pass', canaryPercent: 10, images: { stable: 'v1.4.0', canary: 'v1.5.0' }, windowMinutes: 30, canarySuccessPercent: 97.9, canaryCalls: 1440, reasons: [] });
    const rollback = JSON.stringify({ kind: 'rollback', environment: 'production', time: '2026-11-24T08:40:00.000Z', by: 'mcp-rollout-production-canary-llm-success-rate-trigger', outcome: 'rolled_back', trigger: { kind: 'alarm', name: 'mcp-rollout-production-canary-llm-success-rate-trigger', reason: 'Threshold Crossed' }, weightsBefore: { stable: 50, canary: 50 }, weightsAfter: { stable: 100, canary: 0 } });
    const resume = JSON.stringify({ kind: 'resume', environment: 'production', time: '2026-11-24T09:10:00.000Z', by: 'alice', rollback: { by: 'mcp-rollout-production-canary-llm-success-rate-trigger', reason: 'Threshold Crossed' }, images: { stable: 'v1.4.0', canary: 'v1.5.0' } });
    world({ history: [rolloutPromoted('v1.3.0', 'v1.4.0'), gate, rollback, resume, 'set by hand'] });
    const run = await runCommand(['history', '--environment', 'production']);
    expect(run.stdout.split('\n').slice(0, 6)).toEqual([
      '#  time                  what      by                                                          stable            canary  traffic    result',
      '6  2026-11-24 09:59:00Z  unknown   arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role                                       not a record of this tool: set by hand',
      '5  2026-11-24 09:10:00Z  resume    alice                                                       v1.4.0            v1.5.0  0 %        latch cleared (rollback by mcp-rollout-production-canary-llm-success-rate-trigg…',
      '4  2026-11-24 08:40:00Z  rollback  mcp-rollout-production-canary-llm-success-rate-trigger                                50 -> 0 %  rolled_back (alarm mcp-rollout-production-canary-llm-success-rate-trigger): Thr…',
      '3  2026-11-24 08:30:00Z  gate      alice                                                       v1.4.0            v1.5.0  10 %       pass (97.9 % of 1440 calls, 30 min)',
      '2  2026-11-23 15:10:00Z  rollout   pipeline-1234                                               v1.3.0 -> v1.4.0  v1.4.0             promoted: promoted v1.5.0 after 6 steps',
    ]);
  });

  test('a gate verdict is recorded with the images it judged', async () => {
    const w = world({ canaryTraffic: 0, canaryImageTag: 'v1.6.0' });
    const run = await runCommand(['gate', '--environment', 'production', '--window', '30m']);
    expect(run.code).toBe(2);
    expect(JSON.parse(w.historyValues()[0] ?? '{}')).toEqual({
      kind: 'gate',
      environment: 'production',
      time: new Date(NOW).toISOString(),
      by: USER,
      verdict: 'inconclusive',
      canaryPercent: 0,
      images: { stable: 'v1.5.0', canary: 'v1.6.0' },
      windowMinutes: 30,
      reasons: ['the canary gets 0 % of traffic: there is nothing to judge. Deploy a phase first (deploy --traffic 10).'],
    });
  });

  test('a State stack that predates the history: says how to create it, exit 0', async () => {
    world({ historyExists: false });
    const run = await runCommand(['history', '--environment', 'production']);
    expect(run).toEqual({
      code: 0,
      stdout: `No release history for production: ${HISTORY} does not exist.\nThe State stack creates it: npx cdk deploy Production/State`,
      stderr: '',
    });
  });

  test('reads all 100 versions in pages of 50 and shows the newest 20 unless --limit says otherwise', async () => {
    const values = Array.from({ length: 99 }, (_, i) => promoted(`v1.${i}.0`, `v1.${i + 1}.0`));
    world({ history: values });
    const run = await runCommand(['history', '--environment', 'production', '--json', '--limit', '100']);
    expect(JSON.parse(run.stdout).records).toHaveLength(99);
    expect(mocks.ssm.calls().map((c) => c.args[0].input)).toEqual([
      { Name: HISTORY, MaxResults: 50 },
      { Name: HISTORY, MaxResults: 50, NextToken: '50' },
    ]);
    const table = await runCommand(['history', '--environment', 'production']);
    expect(table.stdout).toContain('20 of 99 record(s), newest first.');
  });

  test.each(['0', '101', 'ten'])('refuses --limit %s', async (limit) => {
    const run = await runCommand(['history', '--environment', 'production', '--limit', limit]);
    expect(run.code).toBe(64);
    expect(run.stderr.split('\n')[0]).toBe(`error: --limit must be a whole number from 1 to 100, got ${JSON.stringify(limit)}`);
  });
});
