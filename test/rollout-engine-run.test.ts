/**
 * The rollout state machine's definition, run in the ASL interpreter against the stateful fake
 * (test/fakes): what it asks CloudFormation, the judge and the rollback function, and how each run
 * ends. The definition is the one `rolloutDefinition` builds; rollout-engine-template.test.ts shows
 * the synthesized template carries exactly that definition.
 */
import { STATE_NAMES } from '../lib/constructs/private/rollout-definition';
import { progressFromHistory, stepLabels } from '../lib/cli/rollouts';
import { parseLatch, serializeLatch } from '../lib/shared/rollback-contract';
import type { ReleaseSummary } from '../lib/shared/release-history';
import { HISTORY_EVENTS, ROLLOUT_ERRORS, ROLLOUT_EVENT_TYPES, SEED_ROLLOUT_PLAN, worstCaseHistoryEvents } from '../lib/shared/rollout-contract';
import { judgeBake } from '../lambda/rollout-judge/bake-check';
import { alignedRange } from '../lib/shared/metric-window-reader';
import { SEED_THRESHOLDS } from '../lib/shared/metrics-contract';
import { APPROVAL_PLAN, HISTORY, LATCH, LOCK_TABLE, MACHINE_ARN, STACK, engineWorld } from './helpers/rollout-world';
import { windowOf } from './helpers/windows';

const T0 = Date.parse('2026-11-28T10:00:00.000Z');
const MIN = 60_000;
const INPUT = { canaryImage: 'v1.5.0', requestedBy: 'alice', reason: 'CHG-42' };

function setup(options: Parameters<typeof engineWorld>[1] = {}) {
  const clock = { current: T0, now() { return this.current; } };
  return { clock, ...engineWorld(clock, options) };
}

const params = (request: { Parameters?: readonly { ParameterKey?: string }[] }) =>
  Object.fromEntries((request.Parameters ?? []).map((p) => [p.ParameterKey, p]));

describe('the seed plan, healthy canary', () => {
  const run = (async () => {
    const s = setup();
    const execution = await s.start(INPUT, 'v1-5-0');
    await s.world.runFor(4 * 60 * MIN);
    return { ...s, execution };
  })();

  test('promotes: stable runs the canary image, the canary gets 0 %', async () => {
    const { execution, world } = await run;
    expect(execution.status).toBe('SUCCEEDED');
    expect(world.stacks.get(STACK)?.values).toMatchObject({ CanaryTraffic: '0', StableImageTag: 'v1.5.0', CanaryImageTag: 'v1.5.0' });
    expect(world.weights).toEqual({ stable: 100, canary: 0 });
    expect(execution.output).toMatchObject({ outcome: 'promoted', canaryImage: 'v1.5.0', previousStableImage: 'v1.4.0', requestedBy: 'alice' });
  });

  test('each weight step is one UpdateStack with the previous template, only the changed values and UsePreviousValue for the rest, no RoleARN', async () => {
    const { world } = await run;
    const updates = world.stacks.get(STACK)?.updates.map((u) => u.request) ?? [];
    expect(updates.map((u) => params(u).CanaryTraffic)).toEqual([
      { ParameterKey: 'CanaryTraffic', ParameterValue: '10' },
      { ParameterKey: 'CanaryTraffic', ParameterValue: '50' },
      { ParameterKey: 'CanaryTraffic', ParameterValue: '100' },
      { ParameterKey: 'CanaryTraffic', ParameterValue: '0' },
    ]);
    expect(updates[0]).toEqual({
      StackName: STACK,
      UsePreviousTemplate: true,
      Parameters: [
        { ParameterKey: 'CanaryTraffic', ParameterValue: '10' },
        { ParameterKey: 'StableImageTag', UsePreviousValue: true },
        { ParameterKey: 'CanaryImageTag', ParameterValue: 'v1.5.0' },
        { ParameterKey: 'RollbackLatch', UsePreviousValue: true },
        { ParameterKey: 'BootstrapVersion', UsePreviousValue: true },
      ],
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
    });
    expect(params(updates[3]!).StableImageTag).toEqual({ ParameterKey: 'StableImageTag', ParameterValue: 'v1.5.0' });
    expect(updates.every((u) => u.RoleARN === undefined)).toBe(true);
  });

  test('judges every minute and passes each bake once its minutes are over: 30, 60 and 60 judgements', async () => {
    const { world } = await run;
    const perStep = new Map<number, number>();
    for (const r of world.judgeRequests) perStep.set(r.step, (perStep.get(r.step) ?? 0) + 1);
    expect(Object.fromEntries(perStep)).toEqual({ 1: 30, 3: 60, 5: 60 });
    const first = world.judgeRequests[0]!;
    expect(first).toMatchObject({ environment: 'production', step: 1, canaryPercent: 10 });
    expect(Date.parse(first.bakeEnd) - Date.parse(first.windowStart)).toBe(30 * MIN);
    expect(Date.parse(first.holdUntil) - Date.parse(first.bakeEnd)).toBe(30 * MIN);
    expect(Date.parse(first.windowEnd) - Date.parse(first.windowStart)).toBe(MIN);
  });

  test('announces every transition and the seed info events with the contract detail', async () => {
    const { world } = await run;
    expect(world.eventsOf('traffic_percentage_changed').map((e) => [e.detail.previousPercent, e.detail.canaryPercent])).toEqual([
      [0, 10],
      [10, 50],
      [50, 100],
      [100, 0],
    ]);
    expect(world.eventsOf('deployment_completed')[0]?.detail).toMatchObject({ environment: 'production', stackName: STACK, canaryPercent: 10, images: { stable: 'v1.4.0', canary: 'v1.5.0' }, requestedBy: 'alice', durationSeconds: 180 });
    const steps = world.eventsOf(ROLLOUT_EVENT_TYPES.step).map((e) => `${e.detail.stepType}:${e.detail.phase}`);
    expect(steps).toEqual(['start:started', 'weight:done', 'bake:started', 'bake:passed', 'weight:done', 'bake:started', 'bake:passed', 'weight:done', 'bake:started', 'bake:passed', 'promote:done']);
    expect(world.eventsOf(ROLLOUT_EVENT_TYPES.finished).map((e) => e.detail.outcome)).toEqual(['promoted']);
  });

  test('leaves one release history entry', async () => {
    const { world } = await run;
    const entries = world.parameterHistory(HISTORY).Parameters.slice(1).map((p) => JSON.parse(p.Value) as ReleaseSummary);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ outcome: 'promoted', canaryImage: 'v1.5.0', previousStableImage: 'v1.4.0', requestedBy: 'alice', environment: 'production' });
  });

  test('takes the plan time plus the stack updates: 150 minutes of bakes and four 3-minute updates, read back every 20 s', async () => {
    const { execution } = await run;
    expect(((execution.stopDate?.getTime() ?? 0) - T0) / MIN).toBe(150 + 4 * 3);
  });
});

test('with the real judge on windows rounded out to whole minutes, each bake is judged final exactly once, and that look passes', async () => {
  const s = setup();
  s.world.updateDurationMs = 3 * MIN + 7_000; // bakes start mid-minute
  const finals: { step: number; final: boolean; verdict: string }[] = [];
  s.world.judge = (request) => {
    const range = alignedRange({ startMs: Date.parse(request.windowStart), endMs: Date.parse(request.windowEnd) });
    const window = windowOf({ minutes: range.periods, start: new Date(range.startMs).toISOString(), canaryPercent: request.canaryPercent });
    const j = judgeBake(window, request, { thresholds: SEED_THRESHOLDS, minimumSamplesPerMinute: 10 });
    finals.push({ step: request.step, final: j.look.final, verdict: j.verdict });
    return { verdict: j.verdict, reasons: j.reasons };
  };
  const execution = await s.start(INPUT);
  await s.world.runFor(4 * 60 * MIN);
  expect(execution.status).toBe('SUCCEEDED');
  for (const step of [1, 3, 5]) {
    const looks = finals.filter((f) => f.step === step);
    expect(looks.filter((f) => f.final)).toEqual([{ step, final: true, verdict: 'pass' }]);
    expect(looks.at(-1)).toEqual({ step, final: true, verdict: 'pass' });
  }
});

describe('a failed judgement rolls back through the rollback function and ends failed', () => {
  test('at 50 %, minute 12', async () => {
    const s = setup();
    s.world.judge = (r) => (r.canaryPercent === 50 && Date.parse(r.windowEnd) - Date.parse(r.windowStart) >= 12 * MIN ? { verdict: 'fail', reasons: ['canary LLM success 81.0 % < 85 %'] } : { verdict: 'hold', reasons: ['too few calls'] });
    s.world.judge = ((judge) => (r: Parameters<typeof judge>[0]) => (r.canaryPercent === 10 && Date.parse(r.windowEnd) >= Date.parse(r.bakeEnd) ? { verdict: 'pass' as const, reasons: [] } : judge(r)))(s.world.judge);
    const execution = await s.start(INPUT, 'bad-canary');
    await s.world.runFor(3 * 60 * MIN);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe(ROLLOUT_ERRORS.rolledBack);
    expect(execution.cause).toBe('Step 4 bake 60 min: the judge failed the canary at 50 %: canary LLM success 81.0 % < 85 %');
    expect(s.world.rollbackRequests).toEqual([
      {
        action: 'rollback',
        reason: 'rollout: Step 4 bake 60 min: the judge failed the canary at 50 %: canary LLM success 81.0 % < 85 %',
        requestedBy: 'mcp-rollout-production-rollout/bad-canary',
        dryRun: false,
      },
    ]);
    expect(s.world.weights).toEqual({ stable: 100, canary: 0 });
    expect(s.world.latch(LATCH).latched).toBe(true);
    expect(s.world.stacks.get(STACK)?.updates).toHaveLength(2);
    const history = JSON.parse(s.world.getParameter(HISTORY).Parameter.Value) as ReleaseSummary;
    expect(history).toMatchObject({ outcome: 'rolled_back', canaryImage: 'v1.5.0', detail: 'Step 4 bake 60 min: the judge failed the canary at 50 %: canary LLM success 81.0 % < 85 %' });
    expect(s.world.eventsOf(ROLLOUT_EVENT_TYPES.finished).map((e) => e.detail.outcome)).toEqual(['rolled_back']);
  });

  test('a hold past its deadline is a fail: 30 min bake + 30 min hold at 10 %', async () => {
    const s = setup();
    s.world.judge = () => ({ verdict: 'hold', reasons: ['the canary saw 40 tool calls, fewer than 300'] });
    const execution = await s.start(INPUT);
    await s.world.runFor(2 * 60 * MIN);
    expect(execution.error).toBe(ROLLOUT_ERRORS.rolledBack);
    expect(execution.cause).toBe('Step 2 bake 30 min: still hold 30 min after the 30 min bake (a hold past its deadline is a fail): the canary saw 40 tool calls, fewer than 300');
    expect(s.world.judgeRequests).toHaveLength(60);
  });

  test('a judge that keeps failing is a hold, never a pass, and ends in a rollback at the deadline', async () => {
    const s = setup();
    s.world.judge = () => {
      throw new Error('GetMetricData throttled');
    };
    const execution = await s.start(INPUT);
    await s.world.runFor(2 * 60 * MIN);
    expect(execution.error).toBe(ROLLOUT_ERRORS.rolledBack);
    expect(execution.cause).toMatch(/^Step 2 bake 30 min: still hold .*: the judge failed: /);
  });

  test('a stack update that CloudFormation rolls back (circuit breaker) rolls the release back', async () => {
    const s = setup();
    s.world.failNextUpdate = true;
    const execution = await s.start(INPUT);
    await s.world.runFor(30 * MIN);
    expect(execution.error).toBe(ROLLOUT_ERRORS.rolledBack);
    expect(execution.cause).toMatch(/^Step 1 canary 10 %: the update of Production-Service ended UPDATE_ROLLBACK_COMPLETE without the requested parameters/);
    expect(s.world.rollbackRequests).toHaveLength(1);
  });

  test('when the rollback function itself fails, the run ends RollbackFailed and says how to roll back by hand', async () => {
    const s = setup();
    s.world.judge = () => ({ verdict: 'fail', reasons: ['error rate 12 % > 10 %'] });
    s.world.rollbackFails = true;
    const execution = await s.start(INPUT);
    await s.world.runFor(30 * MIN);
    expect(execution.error).toBe(ROLLOUT_ERRORS.rollbackFailed);
    expect(execution.cause).toMatch(/the rollback function failed: Error: .*rollback incomplete.*Roll back by hand: npx mcp-rollout rollback --environment production --confirm$/);
    expect(s.world.rollbackRequests).toHaveLength(3); // idempotent: tried three times
  });

  test('a rollback function that answers "rejected" has not rolled back: the run ends RollbackFailed', async () => {
    const s = setup();
    s.world.judge = () => ({ verdict: 'fail', reasons: ['error rate 12 % > 10 %'] });
    s.world.rollbackRejects = true;
    const execution = await s.start(INPUT);
    await s.world.runFor(30 * MIN);
    expect(execution.error).toBe(ROLLOUT_ERRORS.rollbackFailed);
    expect(execution.cause).toMatch(/the rollback function failed: rejected: manual request.reason must be a non-empty string/);
  });
});

test('EventBridge refusing the events does not stop a healthy rollout: the changes are done, the history records them', async () => {
  const s = setup();
  s.world.eventsFail = true;
  const execution = await s.start(INPUT);
  await s.world.runFor(4 * 60 * MIN);
  expect(execution.status).toBe('SUCCEEDED');
  expect(s.world.events).toEqual([]);
  expect(execution.history.filter((e) => e.taskFailedEventDetails?.error === 'EventBridge.FailedEntry').length).toBeGreaterThan(10);
});

describe('the latch wins, whoever sets it', () => {
  test('set by an alarm during a bake: the run stops within a minute and re-asserts the rollback', async () => {
    const s = setup();
    const execution = await s.start(INPUT);
    await s.world.runFor(10 * MIN);
    s.world.invokeRollback(LATCH, { action: 'rollback', reason: 'alarm', requestedBy: 'mcp-rollout-production-canary-error-rate-trigger' });
    const at = s.clock.current;
    await s.world.runFor(5 * MIN);
    expect(execution.error).toBe(ROLLOUT_ERRORS.stoppedByLatch);
    expect((execution.stopDate?.getTime() ?? 0) - at).toBeLessThanOrEqual(MIN);
    expect(s.world.rollbackRequests.map((r) => r.requestedBy)).toEqual(['mcp-rollout-production-canary-error-rate-trigger', 'mcp-rollout-production-rollout/run-1']);
    expect(parseLatch(s.world.getParameter(LATCH).Parameter.Value)).toMatchObject({ record: { requestedBy: 'mcp-rollout-production-canary-error-rate-trigger' } });
  });

  test('set while its own stack update runs: CloudFormation applies the weights it resolved at the start, the run puts traffic back on stable', async () => {
    const s = setup();
    const execution = await s.start(INPUT);
    await s.world.runFor(35 * MIN); // 10 % baked, the update to 50 % is running
    expect(s.world.stacks.get(STACK)?.status).toBe('UPDATE_IN_PROGRESS');
    const latchedAt = s.clock.current;
    s.world.invokeRollback(LATCH, { action: 'rollback', reason: 'alarm', requestedBy: 'alarm' });
    await s.world.runFor(5 * MIN);
    const after = s.world.weightHistory.filter((w) => w.at >= latchedAt);
    // The drift D2 describes, then the run's own rollback within one read-back interval.
    expect(after.map((w) => [w.weights.canary, w.by])).toEqual([
      [0, 'rollback function'],
      [50, 'update of Production-Service'],
      [0, 'rollback function'],
    ]);
    expect(after[2]!.at - after[1]!.at).toBeLessThanOrEqual(20_000);
    expect(execution.error).toBe(ROLLOUT_ERRORS.stoppedByLatch);
    expect(s.world.weights).toEqual({ stable: 100, canary: 0 });
  });

  test('set before the run: it refuses and changes nothing', async () => {
    const s = setup();
    s.world.putParameter(LATCH, serializeLatch({ state: 'latched', reason: 'r', requestedBy: 'x', time: '2026-11-28T09:00:00Z' }), 'x');
    const execution = await s.start(INPUT);
    expect(execution.error).toBe(ROLLOUT_ERRORS.latchedAtStart);
    expect(s.world.stacks.get(STACK)?.updates).toEqual([]);
  });
});

describe('before any traffic moves', () => {
  test.each([
    [{ canaryImage: '-bad', requestedBy: 'alice' }],
    [{ canaryImage: 'v1.5.0' }],
    [{ canaryImage: 'v1.5.0', requestedBy: 'alice', reason: 'x'.repeat(1001) }],
    [{ canaryImage: 42, requestedBy: 'alice' }],
    // The schema says additionalProperties: false; a misspelt field must not pass silently.
    [{ canaryImage: 'v1.5.0', requestedBy: 'alice', reson: 'CHG-42' }],
    [{ canaryImage: 'v1.5.0', requestedBy: 'alice', reason: 'CHG-42', dryRun: true }],
    [['v1.5.0']],
  ])('an invalid input %j fails at once', async (input) => {
    const s = setup();
    const execution = await s.start(input);
    expect(execution.error).toBe(ROLLOUT_ERRORS.invalidInput);
    expect(execution.history.filter((e) => e.type === 'TaskScheduled')).toEqual([]);
  });

  test('one rollout at a time even when ListExecutions lags: of two runs started a second apart, exactly one proceeds', async () => {
    const s = setup();
    s.world.listExecutionsLagMs = 10_000;
    const first = await s.start(INPUT, 'first');
    s.clock.current += 1_000;
    const second = await s.start({ ...INPUT, canaryImage: 'v1.6.0' }, 'second');
    await s.world.runFor(10 * MIN);
    expect(second.error).toBe(ROLLOUT_ERRORS.alreadyRunning);
    expect(first.status).toBe('RUNNING');
    expect(s.world.stacks.get(STACK)?.updates.map((u) => params(u.request).CanaryImageTag)).toEqual([{ ParameterKey: 'CanaryImageTag', ParameterValue: 'v1.5.0' }]);
  });

  test('the lock names its run while it runs, and every end releases it', async () => {
    const lockItem = (s: ReturnType<typeof setup>) => s.world.tables.get(LOCK_TABLE)?.items.get('production');
    const ends: [string, (s: ReturnType<typeof setup>) => void, number, string | undefined][] = [
      ['promoted', () => undefined, 4 * 60 * MIN, undefined],
      ['rolled back', (s) => (s.world.judge = () => ({ verdict: 'fail', reasons: ['error rate 12 %'] })), 30 * MIN, ROLLOUT_ERRORS.rolledBack],
      ['rollback failed', (s) => ((s.world.judge = () => ({ verdict: 'fail', reasons: ['x'] })), (s.world.rollbackFails = true)), 30 * MIN, ROLLOUT_ERRORS.rollbackFailed],
    ];
    for (const [, arrange, minutes, error] of ends) {
      const s = setup();
      arrange(s);
      const execution = await s.start(INPUT);
      expect(lockItem(s)).toMatchObject({ environment: { S: 'production' }, execution: { S: execution.context.executionArn }, canaryImage: { S: 'v1.5.0' }, requestedBy: { S: 'alice' } });
      await s.world.runFor(minutes);
      expect(execution.error).toBe(error);
      expect(execution.status).not.toBe('RUNNING');
      expect(lockItem(s)).toBeUndefined();
    }
  });

  test('released when the latch stops the run, when the latch refuses it at the start, and when it fails before traffic', async () => {
    const lockItem = (s: ReturnType<typeof setup>) => s.world.tables.get(LOCK_TABLE)?.items.get('production');
    const latchedDuring = setup();
    const first = await latchedDuring.start(INPUT);
    await latchedDuring.world.runFor(10 * MIN);
    latchedDuring.world.invokeRollback(LATCH, { action: 'rollback', reason: 'alarm', requestedBy: 'alarm' });
    await latchedDuring.world.runFor(2 * MIN);
    expect(first.error).toBe(ROLLOUT_ERRORS.stoppedByLatch);
    expect(lockItem(latchedDuring)).toBeUndefined();
    const refused = await latchedDuring.start(INPUT);
    expect(refused.error).toBe(ROLLOUT_ERRORS.latchedAtStart);
    expect(lockItem(latchedDuring)).toBeUndefined();

    const noRole = setup({ stack: { roleArn: null } });
    const failed = await noRole.start(INPUT);
    await noRole.world.runFor(5 * MIN);
    expect(failed.error).toBe(ROLLOUT_ERRORS.failedBeforeTraffic);
    expect(lockItem(noRole)).toBeUndefined();
  });

  test('a run stopped from outside keeps the lock, which the next run takes over: its holder is no longer RUNNING', async () => {
    const s = setup();
    const stopped = await s.start(INPUT, 'stopped');
    stopped.stop('States.Aborted', 'stopped in the console');
    const next = await s.start({ ...INPUT, canaryImage: 'v1.6.0' }, 'next');
    expect(next.status).toBe('RUNNING');
    expect(s.world.tables.get(LOCK_TABLE)?.items.get('production')?.execution).toEqual({ S: next.context.executionArn });
    expect(next.history.some((e) => e.stateEnteredEventDetails?.name === STATE_NAMES.takeOverLock)).toBe(true);
  });

  test('a lock naming an execution that no longer exists (history expired) is taken over too', async () => {
    const s = setup();
    s.world.putItem({ TableName: LOCK_TABLE, Item: { environment: { S: 'production' }, execution: { S: `${MACHINE_ARN.replace(':stateMachine:', ':execution:')}:long-gone` } } });
    const execution = await s.start(INPUT);
    expect(execution.status).toBe('RUNNING');
    expect(s.world.tables.get(LOCK_TABLE)?.items.get('production')?.execution).toEqual({ S: execution.context.executionArn });
  });

  test('one rollout at a time: a second run stops before touching the stack', async () => {
    const s = setup();
    const first = await s.start(INPUT, 'first');
    const second = await s.start({ ...INPUT, canaryImage: 'v1.6.0' }, 'second');
    expect(second.error).toBe(ROLLOUT_ERRORS.alreadyRunning);
    expect(first.status).toBe('RUNNING');
    await s.world.runFor(10 * MIN);
    expect(s.world.stacks.get(STACK)?.updates.map((u) => params(u.request).CanaryImageTag)).toEqual([{ ParameterKey: 'CanaryImageTag', ParameterValue: 'v1.5.0' }]);
  });

  test('a stack without a CloudFormation role: nothing is updated and nothing rolled back', async () => {
    const s = setup({ stack: { roleArn: null } });
    const execution = await s.start(INPUT);
    await s.world.runFor(5 * MIN);
    expect(execution.error).toBe(ROLLOUT_ERRORS.failedBeforeTraffic);
    expect(execution.cause).toMatch(/has no CloudFormation service role \(RoleARN\).*\(no traffic had moved\)|has no CloudFormation service role \(RoleARN\)/);
    expect(s.world.stacks.get(STACK)?.updates).toEqual([]);
    expect(s.world.rollbackRequests).toEqual([]);
  });

  test('a stack another deploy is updating: the run waits for it, then updates', async () => {
    const s = setup();
    s.world.updateStack({ StackName: STACK, UsePreviousTemplate: true, Parameters: [{ ParameterKey: 'CanaryTraffic', ParameterValue: '0' }, { ParameterKey: 'StableImageTag', ParameterValue: 'v1.4.1' }, { ParameterKey: 'CanaryImageTag', UsePreviousValue: true }, { ParameterKey: 'RollbackLatch', UsePreviousValue: true }, { ParameterKey: 'BootstrapVersion', UsePreviousValue: true }], Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'] });
    const execution = await s.start(INPUT);
    await s.world.runFor(10 * MIN);
    const updates = s.world.stacks.get(STACK)?.updates ?? [];
    expect(updates).toHaveLength(2);
    expect(updates[1]!.at - T0).toBeGreaterThanOrEqual(3 * MIN);
    expect(params(updates[1]!.request).StableImageTag).toEqual({ ParameterKey: 'StableImageTag', UsePreviousValue: true });
    expect(execution.status).toBe('RUNNING');
  });

  test('"No updates are to be performed" means the step is already applied: the run goes on', async () => {
    const s = setup({ stack: { canaryTraffic: 10, canary: 'v1.5.0' } });
    const execution = await s.start(INPUT);
    await s.world.runFor(2 * MIN);
    expect(execution.status).toBe('RUNNING');
    expect(execution.current).toMatch(/^Step 2 bake 30 min: /);
    expect(execution.history.some((e) => e.taskFailedEventDetails?.cause?.startsWith('No updates are to be performed.'))).toBe(true);
    expect(s.world.stacks.get(STACK)?.updates).toEqual([]);
  });
});

/** The token of the approval wait running now: the request's, or its latest renewal's. */
function newestToken(world: ReturnType<typeof setup>['world']): string {
  const events = [...world.eventsOf(ROLLOUT_EVENT_TYPES.approvalRequested), ...world.eventsOf(ROLLOUT_EVENT_TYPES.approvalRenewed)].sort((a, b) => a.at - b.at);
  return events.at(-1)!.detail.taskToken as string;
}

describe('manual approval steps', () => {
  const waiting = async () => {
    const s = setup({ plan: APPROVAL_PLAN });
    const execution = await s.start(INPUT);
    await s.world.runFor(15 * MIN);
    return { s, execution };
  };

  test('wait on a task token sent in the approval event; approving goes on to promotion', async () => {
    const { s, execution } = await waiting();
    expect(execution.current).toBe('Step 3 approval: wait for approval');
    const request = s.world.eventsOf(ROLLOUT_EVENT_TYPES.approvalRequested)[0]!.detail;
    expect(request).toMatchObject({ environment: 'production', step: 2, canaryPercent: 10, canaryImage: 'v1.5.0', approveWith: 'npx mcp-rollout approve --environment production' });
    s.world.sendTask(newestToken(s.world), { output: { approvedBy: 'bob' } });
    await s.world.runFor(30 * MIN);
    expect(execution.status).toBe('SUCCEEDED');
    expect(s.world.eventsOf(ROLLOUT_EVENT_TYPES.step).find((e) => e.detail.stepType === 'approval')?.detail.message).toBe('approved by bob');
  });

  test('abort (SendTaskFailure mcp-rollout.Aborted) rolls back', async () => {
    const { s, execution } = await waiting();
    const token = newestToken(s.world);
    s.world.sendTask(token, { error: ROLLOUT_ERRORS.aborted, cause: 'bob: wrong image' });
    await s.world.runFor(MIN);
    expect(execution.error).toBe(ROLLOUT_ERRORS.rolledBack);
    expect(execution.cause).toBe('Step 3 approval: aborted by bob: wrong image');
    expect(() => s.world.sendTask(token, { output: {} })).toThrow(/Task does not exist/);
  });

  test('a latch set while it waits stops the run within one approval wait (5 minutes), re-asserting the rollback', async () => {
    const { s, execution } = await waiting();
    const at = s.clock.current;
    s.world.invokeRollback(LATCH, { action: 'rollback', reason: 'alarm', requestedBy: 'mcp-rollout-production-canary-error-rate-trigger' });
    await s.world.runFor(6 * MIN);
    expect(execution.error).toBe(ROLLOUT_ERRORS.stoppedByLatch);
    expect((execution.stopDate?.getTime() ?? Infinity) - at).toBeLessThanOrEqual(5 * MIN);
    expect(s.world.rollbackRequests.map((r) => r.requestedBy)).toEqual(['mcp-rollout-production-canary-error-rate-trigger', 'mcp-rollout-production-rollout/run-1']);
  });

  test('the wait is renewed every 5 minutes with a new token; the renewals do not reach the info topic rule, the old token is refused', async () => {
    const { s, execution } = await waiting();
    const requested = s.world.eventsOf(ROLLOUT_EVENT_TYPES.approvalRequested);
    const renewed = s.world.eventsOf(ROLLOUT_EVENT_TYPES.approvalRenewed);
    expect(requested).toHaveLength(1);
    expect(renewed.length).toBeGreaterThanOrEqual(1);
    expect(renewed.map((e) => e.at - requested[0]!.at)).toEqual(renewed.map((_, i) => (i + 1) * 5 * MIN));
    expect(renewed[0]!.detail).toMatchObject({ ...requested[0]!.detail, taskToken: expect.not.stringMatching(requested[0]!.detail.taskToken as string), time: expect.any(String) });
    expect(() => s.world.sendTask(requested[0]!.detail.taskToken as string, { output: { approvedBy: 'bob' } })).toThrow(/Task does not exist/);
    // status: waiting since the approval began (not since the last renewal), the newest token, the step's deadline.
    const progress = progressFromHistory({ executionArn: 'x', name: 'run-1', status: 'RUNNING' }, stepLabels(JSON.stringify(execution.definition)), execution.history);
    expect(progress.pendingApproval).toEqual({
      step: 2,
      taskToken: renewed.at(-1)!.detail.taskToken,
      since: new Date(requested[0]!.at),
      expiresAt: new Date(requested[0]!.at + 60 * MIN).toISOString(),
    });
    s.world.sendTask(renewed.at(-1)!.detail.taskToken as string, { output: { approvedBy: 'bob' } });
    await s.world.runFor(30 * MIN);
    expect(execution.status).toBe('SUCCEEDED');
  });

  test('nobody approving within the timeout rolls back', async () => {
    const { s, execution } = await waiting();
    await s.world.runFor(61 * MIN);
    expect(execution.error).toBe(ROLLOUT_ERRORS.rolledBack);
    expect(execution.cause).toBe('Step 3 approval: nobody approved within 60 minutes');
    expect(s.world.weights).toEqual({ stable: 100, canary: 0 });
  });
});

describe('the history budget the plan rule counts with', () => {
  const eventsBetween = (history: readonly { timestamp?: Date }[], from: number, to: number) => history.filter((h) => h.timestamp!.getTime() > from && h.timestamp!.getTime() <= to).length;

  test('a judged minute, an approval wait and a minute of stack update write what HISTORY_EVENTS says', async () => {
    const s = setup({ plan: APPROVAL_PLAN });
    s.world.updateDurationMs = 10 * MIN;
    s.world.judge = (r) => (Date.parse(r.windowEnd) >= Date.parse(r.bakeEnd) ? { verdict: 'pass', reasons: [] } : { verdict: 'hold', reasons: ['bake running'] });
    const execution = await s.start(INPUT);
    await s.world.runFor(3 * MIN); // the first update runs until minute 10
    expect(eventsBetween(execution.history, T0 + MIN, T0 + 2 * MIN)).toBe(HISTORY_EVENTS.stackUpdateMinute);
    await s.world.runFor(10 * MIN); // the bake runs from minute 10 to 15
    expect(eventsBetween(execution.history, T0 + 11 * MIN, T0 + 12 * MIN)).toBe(HISTORY_EVENTS.judgedMinute);
    await s.world.runFor(20 * MIN); // the approval waits from minute 15
    expect(execution.current).toBe('Step 3 approval: wait for approval');
    expect(eventsBetween(execution.history, T0 + 20 * MIN, T0 + 25 * MIN)).toBe(HISTORY_EVENTS.approvalWait);
  });

  test('the seed plan, run healthy, stays within its worst case', async () => {
    const s = setup();
    const execution = await s.start(INPUT);
    await s.world.runFor(4 * 60 * MIN);
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.history.length).toBeLessThan(worstCaseHistoryEvents(SEED_ROLLOUT_PLAN));
  });
});

test('state names the CLI and the RUNBOOK refer to exist', () => {
  expect(STATE_NAMES.rollBack).toBe('Roll back');
});
