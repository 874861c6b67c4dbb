/**
 * `release`, `approve` and `abort` against the stateful fake world: the engine's definition really
 * runs, so each test checks what the command did to the rollout, not only what it sent.
 */
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { StartExecutionCommand, SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { serializeLatch } from '../lib/shared/rollback-contract';
import { ROLLOUT_ERRORS, ROLLOUT_EVENT_TYPES } from '../lib/shared/rollout-contract';
import { cliWorld } from './helpers/cli-world';
import { mocks, runCommand, USER } from './helpers/cli';
import { APPROVAL_PLAN, LATCH, MACHINE_ARN, STACK } from './helpers/rollout-world';

const MIN = 60_000;
describe('release', () => {
  test('starts the engine with the documented input; the rollout runs in AWS and the first update starts', async () => {
    const { world, clock } = cliWorld();
    const run = await runCommand(['release', '--environment', 'production', '--canary-image', 'v1.5.0', '--reason', 'CHG-42'], { clock });
    expect(run.code).toBe(0);
    expect(mocks.sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input)).toEqual([
      { stateMachineArn: MACHINE_ARN, name: 'v1-5-0-20261124T100000Z', input: JSON.stringify({ canaryImage: 'v1.5.0', requestedBy: USER, reason: 'CHG-42' }) },
    ]);
    expect(run.stdout).toContain('Started rollout v1-5-0-20261124T100000Z of v1.5.0 on production');
    expect(run.stdout).toMatch(/^ {2}1\. canary 10 %$/m);
    expect(run.stdout).toMatch(/^ {2}7\. promote: v1\.5\.0 becomes stable's image, canary 0 %$/m);
    expect(world.stacks.get(STACK)?.status).toBe('UPDATE_IN_PROGRESS');
    await world.runFor(4 * 60 * MIN);
    expect(world.executions[0]?.status).toBe('SUCCEEDED');
    expect(world.stacks.get(STACK)?.values.StableImageTag).toBe('v1.5.0');
  });

  test('one at a time: a second release is refused while the first runs, and nothing starts', async () => {
    const { clock } = cliWorld();
    await runCommand(['release', '--environment', 'production', '--canary-image', 'v1.5.0'], { clock });
    const second = await runCommand(['release', '--environment', 'production', '--canary-image', 'v1.6.0'], { clock });
    expect(second.code).toBe(3);
    expect(second.stderr).toContain('error: a rollout of production is already running: v1-5-0-20261124T100000Z (started 2026-11-24T10:00:00.000Z); one at a time');
    expect(mocks.sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  test('refused while the environment is rolled back', async () => {
    const { world, clock } = cliWorld();
    world.putParameter(LATCH, serializeLatch({ state: 'latched', reason: 'error rate', requestedBy: 'alarm', time: '2026-11-24T09:00:00.000Z' }), 'fn');
    const run = await runCommand(['release', '--environment', 'production', '--canary-image', 'v1.5.0'], { clock });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('error: production is rolled back (latch set by alarm at 2026-11-24T09:00:00.000Z: error rate): a rollout cannot start');
    expect(mocks.sfn.commandCalls(StartExecutionCommand)).toEqual([]);
  });

  test('refused while CloudFormation updates the stack', async () => {
    const { world, clock } = cliWorld();
    world.updateStack({ StackName: STACK, UsePreviousTemplate: true, Parameters: [{ ParameterKey: 'CanaryTraffic', ParameterValue: '5' }, { ParameterKey: 'StableImageTag', UsePreviousValue: true }, { ParameterKey: 'CanaryImageTag', UsePreviousValue: true }, { ParameterKey: 'RollbackLatch', UsePreviousValue: true }, { ParameterKey: 'BootstrapVersion', UsePreviousValue: true }], Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'] });
    const run = await runCommand(['release', '--environment', 'production', '--canary-image', 'v1.5.0'], { clock });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('is UPDATE_IN_PROGRESS: CloudFormation is still applying another change');
  });

  test.each([
    [['--canary-image=.x'], '--canary-image must be an image tag: 1 to 128 letters, digits, "_", "." or "-", not starting with "." or "-", got ".x"'],
    [[], '--canary-image is required: the image tag the canary runs'],
    [['--canary-image', 'v1', '--reason', ''], '--reason must be 1 to 1000 characters, got 0'],
  ])('bad command line %j: exit 64, nothing called', async (args, message) => {
    const { clock } = cliWorld();
    const run = await runCommand(['release', '--environment', 'production', ...args], { clock });
    expect(run.code).toBe(64);
    expect(run.stderr).toContain(`error: ${message}`);
    expect(mocks.sfn.calls()).toEqual([]);
  });

  test('abort refuses a --reason that leaves no room for its own prefix in the latch: exit 64, nothing called', async () => {
    const { clock } = cliWorld();
    const run = await runCommand(['abort', '--environment', 'production', '--confirm', '--reason', 'x'.repeat(901)], { clock });
    expect(run.code).toBe(64);
    expect(run.stderr).toContain('error: --reason must be 1 to 900 characters, got 901');
    expect(mocks.sfn.calls()).toEqual([]);
  });

  test('--dry-run shows the plan and the report and starts nothing; --json gives the same as data', async () => {
    const { clock } = cliWorld();
    const run = await runCommand(['release', '--environment', 'production', '--canary-image', 'v1.5.0', '--dry-run', '--json'], { clock });
    expect(run.code).toBe(0);
    const data = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(data).toMatchObject({ command: 'release', environment: 'production', started: false, input: { canaryImage: 'v1.5.0', requestedBy: USER } });
    expect(mocks.sfn.commandCalls(StartExecutionCommand)).toEqual([]);
  });
});

describe('approve', () => {
  const waiting = async () => {
    const w = cliWorld({ plan: APPROVAL_PLAN });
    await runCommand(['release', '--environment', 'production', '--canary-image', 'v1.5.0'], { clock: w.clock });
    await w.world.runFor(15 * MIN);
    expect(w.world.executions[0]?.current).toBe('Step 3 approval: wait for approval');
    return w;
  };

  test('sends the newest task token of the waiting approval step (renewed every 5 minutes), read from the run history; the rollout goes on to promotion', async () => {
    const { world, clock } = await waiting();
    expect(world.eventsOf(ROLLOUT_EVENT_TYPES.approvalRenewed)).toHaveLength(1);
    const token = world.eventsOf(ROLLOUT_EVENT_TYPES.approvalRenewed)[0]?.detail.taskToken;
    const run = await runCommand(['approve', '--environment', 'production', '--comment', 'dashboards look fine'], { clock });
    expect(run.code).toBe(0);
    expect(mocks.sfn.commandCalls(SendTaskSuccessCommand).map((c) => c.args[0].input)).toEqual([{ taskToken: token, output: JSON.stringify({ approvedBy: USER, comment: 'dashboards look fine' }) }]);
    expect(run.stdout).toContain('Approved rollout v1-5-0-20261124T100000Z (step 3) as alice');
    await world.runFor(30 * MIN);
    expect(world.executions[0]?.status).toBe('SUCCEEDED');
  });

  test('refused when the rollout is not at an approval step', async () => {
    const { clock } = cliWorld({ plan: APPROVAL_PLAN });
    await runCommand(['release', '--environment', 'production', '--canary-image', 'v1.5.0'], { clock });
    const run = await runCommand(['approve', '--environment', 'production'], { clock });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/error: rollout v1-5-0-20261124T100000Z is not waiting for an approval \(it is in "Step 1 canary 10 %: wait for the update"\)/);
    expect(mocks.sfn.commandCalls(SendTaskSuccessCommand)).toEqual([]);
  });

  test('refused when no rollout runs', async () => {
    const { clock } = cliWorld();
    const run = await runCommand(['approve', '--environment', 'production'], { clock });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('error: no rollout of production is running');
  });

  test('refused once the environment is rolled back: abort is the way out', async () => {
    const { world, clock } = await waiting();
    world.invokeRollback(LATCH, { action: 'rollback', reason: 'alarm', requestedBy: 'alarm' });
    const run = await runCommand(['approve', '--environment', 'production'], { clock });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('next: End the rollout: npx mcp-rollout abort --environment production --confirm.');
  });

  test('a round that ends as the token is sent: approve finds the renewed token and sends it', async () => {
    const { world, clock } = await waiting();
    const first = world.eventsOf(ROLLOUT_EVENT_TYPES.approvalRenewed)[0]?.detail.taskToken;
    // The wait times out just before SendTaskSuccess arrives; the engine renews it.
    mocks.sfn
      .on(SendTaskSuccessCommand)
      .callsFakeOnce(async () => {
        clock.current += 3 * MIN;
        await world.catchUp();
        throw Object.assign(new Error('Task Timed Out'), { name: 'TaskTimedOut' });
      })
      .callsFake(async (i: { taskToken: string; output: string }) => {
        await world.catchUp();
        world.sendTask(i.taskToken, { output: JSON.parse(i.output) });
        return {};
      });
    const run = await runCommand(['approve', '--environment', 'production'], { clock });
    expect(run.code).toBe(0);
    const sent = mocks.sfn.commandCalls(SendTaskSuccessCommand).map((c) => c.args[0].input.taskToken);
    const renewed = world.eventsOf(ROLLOUT_EVENT_TYPES.approvalRenewed).at(-1)?.detail.taskToken;
    expect(sent).toEqual([first, renewed]);
    expect(renewed).not.toBe(first);
    await world.runFor(30 * MIN);
    expect(world.executions[0]?.status).toBe('SUCCEEDED');
  });

  test('an approval that timed out meanwhile is reported, not retried', async () => {
    const { world, clock } = await waiting();
    mocks.sfn.on(SendTaskSuccessCommand).rejects(Object.assign(new Error('Task Timed Out'), { name: 'TaskTimedOut' }));
    const run = await runCommand(['approve', '--environment', 'production'], { clock });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('is no longer open (TaskTimedOut)');
    expect(world.executions[0]?.status).toBe('RUNNING');
  });
});

describe('abort', () => {
  test('without --confirm: says what it would do and changes nothing', async () => {
    const { world, clock } = cliWorld();
    await runCommand(['release', '--environment', 'production', '--canary-image', 'v1.5.0'], { clock });
    const run = await runCommand(['abort', '--environment', 'production'], { clock });
    expect(run.code).toBe(3);
    expect(run.stdout).toContain('Not confirmed: nothing changed.');
    expect(world.rollbackRequests).toEqual([]);
  });

  test('during a bake: rolls back at once (verified), then the rollout sees the latch and stops itself', async () => {
    const { world, clock } = cliWorld();
    await runCommand(['release', '--environment', 'production', '--canary-image', 'v1.5.0'], { clock });
    await world.runFor(10 * MIN);
    expect(world.weights).toEqual({ stable: 90, canary: 10 });
    const run = await runCommand(['abort', '--environment', 'production', '--confirm', '--reason', 'customer reports'], { clock });
    expect(run.code).toBe(0);
    expect(world.rollbackRequests[0]).toEqual({ action: 'rollback', reason: 'rollout v1-5-0-20261124T100000Z aborted by alice: customer reports', requestedBy: USER, dryRun: false });
    expect(world.weights).toEqual({ stable: 100, canary: 0 });
    expect(world.executions[0]).toMatchObject({ status: 'FAILED', error: ROLLOUT_ERRORS.stoppedByLatch });
    expect(run.stdout).toContain('Rollout v1-5-0-20261124T100000Z ended FAILED (mcp-rollout.StoppedByLatch).');
    expect(mocks.sfn.commandCalls(SendTaskFailureCommand)).toEqual([]);
  });

  test('at an approval step: fails the approval with mcp-rollout.Aborted, and the rollout ends rolled back', async () => {
    const w = cliWorld({ plan: APPROVAL_PLAN });
    await runCommand(['release', '--environment', 'production', '--canary-image', 'v1.5.0'], { clock: w.clock });
    await w.world.runFor(15 * MIN);
    const run = await runCommand(['abort', '--environment', 'production', '--confirm'], { clock: w.clock });
    expect(run.code).toBe(0);
    expect(mocks.sfn.commandCalls(SendTaskFailureCommand).map((c) => c.args[0].input)).toEqual([
      { taskToken: expect.stringMatching(/^token-/), error: 'mcp-rollout.Aborted', cause: 'rollout v1-5-0-20261124T100000Z aborted by alice' },
    ]);
    expect(w.world.executions[0]).toMatchObject({ status: 'FAILED', error: ROLLOUT_ERRORS.rolledBack, cause: 'Step 3 approval: aborted by rollout v1-5-0-20261124T100000Z aborted by alice' });
  });

  test('with no rollout running: refused, use rollback instead', async () => {
    const { clock } = cliWorld();
    const run = await runCommand(['abort', '--environment', 'production', '--confirm'], { clock });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('error: no rollout of production is running');
  });
});

describe('the power report', () => {
  test('says what each bake detects at the last 7 days of traffic, from the judge itself (the example of issue 13: 1,800 calls at 10 % for 30 min)', async () => {
    const { world, clock } = cliWorld();
    world.hourlyToolCalls = Array.from({ length: 7 * 24 }, (_, h) => (h % 24 < 6 ? 6_000 : 36_000));
    const run = await runCommand(['release', '--environment', 'production', '--canary-image', 'v1.5.0', '--dry-run'], { clock });
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    const from = lines.findIndex((l) => l.startsWith('What each bake can detect'));
    expect(lines.slice(from, from + 4)).toEqual([
      "What each bake can detect at the last 7 days' traffic (typical hour 36,000 tool calls, quiet hour 6,000):",
      '  10 % for 30 min sees about 1,800 canary calls: it detects success below 92.5 %; it detects an error rate doubling from 1 %',
      '  50 % for 60 min sees about 18,000 canary calls: it detects success below 93.5 %; it detects an error rate doubling from 1 %',
      '  100 % for 60 min sees about 36,000 canary calls: it detects success below 93.7 %; it detects an error rate doubling from 1 %',
    ]);
    // A quiet hour (the 10th percentile, 6,000 calls) gives the 10 % bake exactly its 300-call minimum: no warning.
    expect(run.stderr).toBe('');
    expect(mocks.cloudwatch.commandCalls(GetMetricDataCommand)[0]?.args[0].input).toMatchObject({
      StartTime: new Date('2026-11-17T10:00:00.000Z'),
      EndTime: new Date('2026-11-24T10:00:00.000Z'),
      MetricDataQueries: [
        { Id: 'calls_stable', MetricStat: { Metric: { Namespace: 'MCP/HierarchicalTools', MetricName: 'ToolCalls', Dimensions: [{ Name: 'Environment', Value: 'production' }, { Name: 'Slot', Value: 'stable' }] }, Period: 3600, Stat: 'Sum' } },
        { Id: 'calls_canary', MetricStat: { Metric: { Namespace: 'MCP/HierarchicalTools', MetricName: 'ToolCalls', Dimensions: [{ Name: 'Environment', Value: 'production' }, { Name: 'Slot', Value: 'canary' }] }, Period: 3600, Stat: 'Sum' } },
      ],
    });
  });

  test('warns when a bake cannot judge at all, and when it cannot see an error rate doubling says so', async () => {
    const { world, clock } = cliWorld();
    world.hourlyToolCalls = Array.from({ length: 7 * 24 }, () => 1_200);
    const run = await runCommand(['release', '--environment', 'production', '--canary-image', 'v1.5.0', '--dry-run'], { clock });
    expect(run.stdout).toContain('  10 % for 30 min sees about 60 canary calls: too few to judge (a healthy canary holds, and a hold past its deadline rolls back)');
    expect(run.stdout).toContain('  50 % for 60 min sees about 600 canary calls: it detects success below 91.2 %; it cannot detect an error rate doubling from 1 %');
    expect(run.stderr).toContain('warning: the bake at 10 % cannot judge the canary at recent traffic (60 calls in 30 min): it will hold and then roll back. Lengthen the bake or release at a busier time.');
  });

  test('a bake too quiet to judge in its minutes but judged within its hold says so, instead of a rollback', async () => {
    const { world, clock } = cliWorld();
    world.hourlyToolCalls = Array.from({ length: 7 * 24 }, () => 3_600); // 6 canary calls a minute at 10 %
    const run = await runCommand(['release', '--environment', 'production', '--canary-image', 'v1.5.0', '--dry-run'], { clock });
    expect(run.stdout).toContain('  10 % for 30 min sees about 180 canary calls: too few to judge (a healthy canary holds, and a hold past its deadline rolls back)');
    expect(run.stderr).toContain(
      'warning: the bake at 10 % cannot judge the canary in its 30 min at recent traffic (180 calls, 300 needed): it holds, and is judged at about minute 50, within its 30 min of hold. Lengthen the bake or release at a busier time.',
    );
  });

  test('no traffic in 7 days: every bake is too weak, and the report says so before anything starts', async () => {
    const { clock } = cliWorld();
    const run = await runCommand(['release', '--environment', 'production', '--canary-image', 'v1.5.0'], { clock });
    expect(run.code).toBe(0);
    expect(run.stderr.match(/cannot judge the canary at recent traffic/g)).toHaveLength(3);
  });
});

describe('status shows the rollout', () => {
  test('its steps, where it is, the judge\'s last verdict, and the release history once it ends', async () => {
    const { world, clock } = cliWorld();
    world.judge = (r) => ({ verdict: Date.parse(r.windowEnd) >= Date.parse(r.bakeEnd) ? 'pass' : 'hold', reasons: [`canary ${r.canaryPercent} %: 96.1 % success over 410 calls`] });
    await runCommand(['release', '--environment', 'production', '--canary-image', 'v1.5.0'], { clock });
    await world.runFor(35 * MIN);
    const run = await runCommand(['status', '--environment', 'production'], { clock });
    const lines = run.stdout.split('\n');
    const from = lines.findIndex((l) => l.startsWith('rollout v1-5-0'));
    expect(lines.slice(from, from + 9)).toEqual([
      'rollout v1-5-0-20261124T100000Z: RUNNING, canary image v1.5.0 by alice, started 2026-11-24T10:00:00.000Z',
      '  [x] Step 1 canary 10 % (from 2026-11-24T10:00:00.000Z to 2026-11-24T10:03:00.000Z)',
      '  [x] Step 2 bake 30 min (from 2026-11-24T10:03:00.000Z to 2026-11-24T10:33:00.000Z)',
      '  [>] Step 3 canary 50 % (from 2026-11-24T10:33:00.000Z)',
      '  [ ] Step 4 bake 60 min',
      '  [ ] Step 5 canary 100 %',
      '  [ ] Step 6 bake 60 min',
      '  [ ] Promote',
      '  last verdict (Step 2 bake 30 min, 2026-11-24T10:33:00.000Z): PASS: canary 10 %: 96.1 % success over 410 calls',
    ]);
    const json = JSON.parse((await runCommand(['status', '--environment', 'production', '--json'], { clock })).stdout) as { rollout: { running: { steps: { status: string }[] } } };
    expect(json.rollout.running.steps.map((s) => s.status)).toEqual(['done', 'done', 'running', 'pending', 'pending', 'pending', 'pending']);

    await world.runFor(4 * 60 * MIN);
    const after = await runCommand(['status', '--environment', 'production'], { clock });
    expect(after.stdout).toContain('rollout v1-5-0-20261124T100000Z: SUCCEEDED');
    expect(after.stdout).toMatch(/^ {2}\[x\] Promote \(from/m);
    expect(after.stdout).toMatch(/^rollouts \(newest first; npx mcp-rollout history --environment production shows every record\):\n {2}2026-11-24T12:42:00\.000Z {2}promoted {9}v1\.5\.0 by alice: promoted v1\.5\.0 after 6 steps$/m);
  });
});
