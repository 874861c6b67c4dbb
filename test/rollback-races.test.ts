/**
 * The latch wins in every order of events (DESIGN.md D2, issue 11 items 5 and 6), against the
 * stateful fake: a Service stack update in flight when the rollback runs, a flag deployment that
 * ends while rolled back, and two rollbacks at once (an alarm and a person) with no reserved
 * concurrency to serialize them. AWS's own events (CloudFormation stack status changes, the
 * AppConfig extension's deployment events) are delivered to the function as EventBridge would.
 */
import { performRollback } from '../lambda/rollback/rollback';
import { parseRollbackEvent, RejectedInput, type Acceptance, type RollbackRequest } from '../lambda/rollback/events';
import { buildFlagDocument, DEFAULT_FLAG_VALUES, parseFlagDocument, rolledBackDocument } from '../lib/shared/feature-flags';
import { LATCH_CLEAR, parseLatch, type RollbackResult } from '../lib/shared/rollback-contract';
import { AwsState, type StackTimings } from './fakes/aws-state';
import { functionDeps, seedEnvironment, startFlagDeployment, type SeededEnvironment } from './fakes/environment';

const MINUTE = 60_000;
const stubs = new AwsState().install();
let fake: AwsState;
let env: SeededEnvironment;
/** The next AWS event not yet delivered to the function. */
let cursor = 0;

function setup(canaryTraffic = 10, timings: Partial<StackTimings> = {}): void {
  for (const s of Object.values(stubs)) s.reset();
  fake = new AwsState();
  fake.install(stubs);
  env = seedEnvironment(fake, { canaryTraffic, timings });
  cursor = fake.awsEvents.length;
}

const TRIGGER = 'mcp-rollout-production-canary-error-rate-trigger';
const ON = buildFlagDocument(DEFAULT_FLAG_VALUES);
const OFF = rolledBackDocument(ON, ['hierarchical_tools_enabled', 'enumdescriptions_validation']);
const alarm: RollbackRequest = { kind: 'alarm', alarmName: TRIGGER, reason: 'Threshold Crossed', via: 'lambda-action', dryRun: false };
const manual: RollbackRequest = { kind: 'manual', requestedBy: 'alice', reason: 'p95 regression', dryRun: false };

const weights = () => fake.weights(env.outputs.trafficRuleArn, env.outputs.stableTargetGroupArn, env.outputs.canaryTargetGroupArn);
const served = () => parseFlagDocument(fake.servedDocument(env.outputs.flagsEnvironmentId)!);
const latch = () => parseLatch(fake.parameter(env.outputs.latchParameterName).value);
const rollback = (request: RollbackRequest) => performRollback(request, functionDeps(fake, env).deps);
const drifts = () => fake.published.filter((p) => /drift/.test(p.subject ?? ''));

const accept = (): Acceptance => ({ triggerAlarms: new Set(env.triggers), serviceStackName: env.stack.name, flagEnvironmentId: env.outputs.flagsEnvironmentId });
/** Delivers every AWS event sent since the last delivery to the function, once each, as EventBridge does. */
async function deliver(): Promise<RollbackResult[]> {
  const results: RollbackResult[] = [];
  while (cursor < fake.awsEvents.length) {
    const event = fake.awsEvents[cursor++];
    let request: RollbackRequest;
    try {
      request = parseRollbackEvent(event, accept());
    } catch (error) {
      if (error instanceof RejectedInput) continue;
      throw error;
    }
    results.push(await rollback(request));
  }
  return results;
}

/**
 * Lets time pass a second at a time until `done`, delivering each AWS event to the function within
 * that second: EventBridge rules invoke it asynchronously, in seconds.
 */
async function live(done: () => boolean, limitMs = 2 * 60 * MINUTE): Promise<RollbackResult[]> {
  const results: RollbackResult[] = [];
  const start = fake.now();
  results.push(...(await deliver()));
  while (!done()) {
    if (fake.now() - start > limitMs) throw new Error('live: condition not reached');
    fake.advance(1000);
    results.push(...(await deliver()));
  }
  fake.advance(1000);
  results.push(...(await deliver()));
  return results;
}

/** As resume leaves an environment: the template last deployed while latched (flags off, canary 0), the latch clear. */
function resumed(): void {
  fake.putParameter(env.outputs.latchParameterName, JSON.stringify({ state: 'latched', reason: 'r', requestedBy: 'x', time: '2026-11-24T09:00:00Z' }), true);
  fake.runStackUpdate(env.stack.name, { CanaryImageTag: 'v1.5.1' });
  fake.putParameter(env.outputs.latchParameterName, LATCH_CLEAR, true);
  cursor = fake.awsEvents.length;
  expect(served()).toEqual(OFF);
}

describe('a stack update in flight when the rollback runs (issue 11 item 5)', () => {
  beforeEach(() => setup(10));

  test('the issue: the update resolved "clear", the rollback runs, then CloudFormation writes 50/50; the end of the update drives it back and pages', async () => {
    const op = fake.beginStackUpdate(env.stack.name, { CanaryTraffic: '50', CanaryImageTag: 'v1.6.0' });
    await live(() => fake.now() - op.startedAt >= 2 * MINUTE); // the canary service is still rolling
    env.setTrigger(TRIGGER, 'ALARM');
    await rollback(alarm);
    expect(weights()).toEqual({ stable: 100, canary: 0 });

    const writesBefore = fake.ruleWrites.length;
    const results = await live(() => op.finished);
    // CloudFormation wrote the weights it resolved at the start, undoing the rollback; the function set them back.
    expect(fake.ruleWrites.slice(writesBefore).map((w) => `${w.by} ${w.weights.join('/')}`)).toEqual(['cloudformation 50/50', 'api 100/0']);
    // ...and the alarm stays in ALARM, so it would never invoke the function again. The stack's own events do.
    expect(results.map((r) => `${r.trigger?.reason}: ${r.outcome}`)).toEqual([
      'flag deployment #2 On Deployment Start: in_sync',
      'flag deployment #2 On Deployment Complete: in_sync',
      'Production-Service UPDATE_COMPLETE_CLEANUP_IN_PROGRESS: drift_corrected',
      'Production-Service UPDATE_COMPLETE: in_sync',
    ]);
    expect(weights()).toEqual({ stable: 100, canary: 0 });
    expect(latch()).toMatchObject({ latched: true, record: { requestedBy: TRIGGER } });
    // The drift is reported on the critical path, once.
    expect(drifts()).toEqual([expect.objectContaining({ topicArn: env.outputs.criticalTopicArn, subject: '[mcp-rollout production] drift from the rollback corrected' })]);
    expect(drifts()[0]!.message).toContain('Drift from the rollback corrected: production is rolled back, but Production-Service UPDATE_COMPLETE_CLEANUP_IN_PROGRESS changed live state');
    expect(drifts()[0]!.message).toContain('traffic: done - weights stable 50 / canary 50 -> stable 100 / canary 0');
    expect(fake.putEvents.map((e) => e.detailType)).toEqual(['rollback_completed', 'rollback_drift_corrected']);
  });

  test('the rollback after CloudFormation wrote the weights: nothing drifts, nothing is reported twice', async () => {
    const op = fake.beginStackUpdate(env.stack.name, { CanaryTraffic: '50' });
    expect((await live(() => op.finished)).map((r) => r.outcome)).toEqual(['not_latched', 'not_latched']);
    await rollback(alarm);
    // The start and the completion of its own immediate flag deployment.
    expect((await live(() => true)).map((r) => r.outcome)).toEqual(['in_sync', 'in_sync']);
    expect(weights()).toEqual({ stable: 100, canary: 0 });
    expect(drifts()).toEqual([]);
  });

  test('the rollback before the update starts: CloudFormation resolves the latch and keeps stable 100 / canary 0 and the flags off', async () => {
    await rollback(alarm);
    await live(() => true);
    const op = fake.beginStackUpdate(env.stack.name, { CanaryTraffic: '50', CanaryImageTag: 'v1.6.0' });
    const results = await live(() => op.finished);
    expect(env.stack.status).toBe('UPDATE_COMPLETE');
    expect(weights()).toEqual({ stable: 100, canary: 0 });
    expect(served()).toEqual(OFF);
    expect(results.map((r) => r.outcome)).toEqual(['in_sync', 'in_sync', 'in_sync', 'in_sync']);
    expect(drifts()).toEqual([]);
  });

  test.each([true, false])(
    'the first deploy after a resume restores the flags gradually; a rollback in its bake stops it with AllowRevert (CloudFormation waits for the flag deployment: %s)',
    async (waitsForFlagDeployment) => {
      setup(0, { waitsForFlagDeployment });
      resumed();
      const op = fake.beginStackUpdate(env.stack.name, { CanaryTraffic: '10', CanaryImageTag: 'v1.6.0' });
      await live(() => fake.now() - op.startedAt >= 12 * MINUTE); // weights written at minute 5; the flags bake from minute 10
      expect(weights()).toEqual({ stable: 90, canary: 10 });
      const flagDeployment = fake.deploymentsOf(env.outputs.flagsEnvironmentId).at(-1)!;
      expect(flagDeployment.state).toBe('BAKING');

      const result = await rollback(manual);
      expect(result.flags?.stopped).toEqual({ number: flagDeployment.number, stateBefore: 'BAKING', stateAfter: 'ROLLED_BACK', allowRevert: true });
      const results = await live(() => op.finished);

      // When CloudFormation waits for it, the stopped deployment fails the update, which rolls back.
      expect(env.stack.status).toBe(waitsForFlagDeployment ? 'UPDATE_ROLLBACK_COMPLETE' : 'UPDATE_COMPLETE');
      expect(weights()).toEqual({ stable: 100, canary: 0 });
      expect(served()).toEqual(OFF);
      expect(latch()).toMatchObject({ latched: true, record: { requestedBy: 'alice' } });
      expect(results.every((r) => r.outcome === 'in_sync' || r.outcome === 'not_latched')).toBe(true);
    },
  );

  test('a person rolls back while the canary service rolls and no alarm fires: the flag deployment CloudFormation started is stopped, the weights it writes are driven back', async () => {
    setup(0, { waitsForFlagDeployment: false });
    resumed();
    const op = fake.beginStackUpdate(env.stack.name, { CanaryTraffic: '10', CanaryImageTag: 'v1.6.0' });
    await live(() => fake.now() - op.startedAt >= 3 * MINUTE);
    const result = await rollback(manual);
    expect(result.flags?.stopped).toMatchObject({ stateBefore: 'DEPLOYING', stateAfter: 'ROLLED_BACK', allowRevert: false });
    const results = await live(() => op.finished);
    expect(results.map((r) => r.outcome)).toEqual(['in_sync', 'drift_corrected', 'in_sync']);
    expect(weights()).toEqual({ stable: 100, canary: 0 });
    expect(served()).toEqual(OFF);
    expect(drifts()).toHaveLength(1);
  });
});

describe('a flag deployment that ends while rolled back (issue 11 item 5)', () => {
  beforeEach(() => setup(10));

  test('a deployment turning a rollback flag on completes while latched (its start event was lost: delivery is best effort): its completion event drives the flags back off and pages', async () => {
    await rollback(manual);
    await live(() => true);
    // Started by hand in the console, gradually; no alarm fires, so AppConfig lets it complete.
    const d = startFlagDeployment(fake, env, ON, 'gradual', 'console');
    cursor = fake.awsEvents.length;
    const on = Number(d.version);
    let servedAtCompletion: unknown;
    fake.before('ListDeploymentsCommand', () => {
      servedAtCompletion = served();
    });
    const results = await live(() => d.state === 'COMPLETE');
    expect(servedAtCompletion).toEqual(ON);
    expect(results.map((r) => `${r.trigger?.reason}: ${r.outcome}`)).toEqual([
      'flag deployment #3 On Deployment Complete: drift_corrected',
      'flag deployment #4 On Deployment Start: in_sync',
      'flag deployment #4 On Deployment Complete: in_sync',
    ]);
    expect(results[0]!.flags).toEqual({ sourceDeployment: 3, sourceVersion: String(on), version: String(on + 1), deployment: 4 });
    expect(served()).toEqual(OFF);
    expect(drifts()).toHaveLength(1);
    expect(drifts()[0]!.message).toContain('flag deployment #3 On Deployment Complete changed live state');
  });

  test('while no rollback is in force, the enforce path changes nothing', async () => {
    startFlagDeployment(fake, env, OFF, 'immediate');
    const calls = fake.calls.length;
    expect((await live(() => true)).map((r) => r.outcome)).toEqual(['not_latched', 'not_latched']);
    expect(fake.calls.slice(calls).map(([, c]) => c)).not.toContain('ModifyRuleCommand');
    expect(fake.published).toEqual([]);
  });

  test('AppConfig rolling back the immediate deployment again and again: no loop, a person is paged', async () => {
    await rollback(manual);
    fake.advance(1000);
    const d = startFlagDeployment(fake, env, ON, 'gradual');
    fake.advance(21 * MINUTE);
    expect(d.state).toBe('COMPLETE');
    // As if a monitor rolled back even immediate deployments: three in a row, just now.
    for (let i = 0; i < 3; i++) {
      const bounced = startFlagDeployment(fake, env, ON, 'immediate');
      fake.stopDeployment(env.outputs.flagsApplicationId, env.outputs.flagsEnvironmentId, bounced.number, false);
    }
    const error = await rollback({ kind: 'enforce', name: `flag deployment #${d.number}`, reason: 'x', cause: { type: 'flags', detailType: 'On Deployment Complete', deploymentNumber: d.number }, dryRun: false }).catch(
      (e: unknown) => e,
    );
    expect(String(error)).toMatch(
      /^RollbackFailed: enforcing the rollback of production incomplete: flags: Error: AppConfig rolled back 3 immediate flag deployments in the last 15 minutes \(#6, #5, #4\): .*not deploying again, a person must turn hierarchical_tools_enabled, enumdescriptions_validation off/,
    );
    expect(fake.published.at(-1)?.subject).toBe('[mcp-rollout production] drift from the rollback NOT corrected');
    expect(fake.deploymentsOf(env.outputs.flagsEnvironmentId)).toHaveLength(6);
  });
});

describe('a flag deployment that starts while rolled back (issue 11 review, item 6)', () => {
  beforeEach(() => setup(10));
  const hosts = () => fake.deploymentsOf(env.outputs.flagsEnvironmentId);

  test('turning a rollback flag on, from the console: its "On Deployment Start" makes the function stop it within seconds, not 20 minutes later', async () => {
    await rollback(manual);
    await live(() => true);
    const d = startFlagDeployment(fake, env, ON, 'gradual', 'console');
    const results = await live(() => d.state !== 'DEPLOYING');
    expect(d.state).toBe('ROLLED_BACK');
    expect(fake.now() - d.startedAt).toBeLessThanOrEqual(2000);
    expect(d.percentage).toBeLessThanOrEqual(env.config.flags.gradual.growthFactorPercent);
    expect(results.map((r) => `${r.trigger?.reason}: ${r.outcome}`)).toEqual([
      `flag deployment #${d.number} On Deployment Start: drift_corrected`,
      `flag deployment #${d.number} On Deployment Rollback: in_sync`,
    ]);
    expect(results[0]!.flags?.stopped).toEqual({ number: d.number, stateBefore: 'DEPLOYING', stateAfter: 'ROLLED_BACK', allowRevert: false });
    expect(served()).toEqual(OFF);
    expect(drifts()).toHaveLength(1);
    expect(drifts()[0]!.message).toContain(`flag deployment #${d.number} On Deployment Start changed live state`);
  });

  test("the function's own immediate deployment and CloudFormation's latched one: their start events change nothing (no loop)", async () => {
    env.setTrigger(TRIGGER, 'ALARM');
    await rollback(alarm);
    const own = await live(() => true);
    expect(own.map((r) => r.outcome)).toEqual(['in_sync', 'in_sync']);
    const byFunction = () => hosts().filter((d) => d.description?.startsWith('rollback:')).length;
    expect(byFunction()).toBe(1);
    // A deploy while latched: CloudFormation deploys the latched document with the immediate strategy.
    const op = fake.beginStackUpdate(env.stack.name, { CanaryTraffic: '50', CanaryImageTag: 'v1.6.0' });
    const results = await live(() => op.finished);
    expect(results.map((r) => r.trigger?.reason).filter((r) => /On Deployment Start/.test(r ?? ''))).toHaveLength(1);
    expect(byFunction()).toBe(1);
    expect(results.every((r) => r.outcome === 'in_sync')).toBe(true);
    expect(fake.calls.map(([, c]) => c)).not.toContain('StopDeploymentCommand');
    expect(drifts()).toEqual([]);
  });

  test('a gradual change that keeps the rollback flags off is left to run while rolled back', async () => {
    await rollback(manual);
    await live(() => true);
    const d = startFlagDeployment(fake, env, { ...OFF, values: { ...OFF.values, auto_correction_enabled: { enabled: false } } }, 'gradual', 'flags set');
    const results = await live(() => d.state === 'COMPLETE');
    expect(results.map((r) => r.outcome)).toEqual(['in_sync', 'in_sync']);
    expect(fake.calls.map(([, c]) => c)).not.toContain('StopDeploymentCommand');
  });
});

describe('two rollbacks at once, no reserved concurrency (issue 11 item 6)', () => {
  beforeEach(() => setup(10));

  test('an alarm and a person at the same moment: both succeed, one flag deployment turns the flags off, the latch keeps the first record', async () => {
    env.setTrigger(TRIGGER, 'ALARM');
    const [automatic, byHand] = await Promise.all([rollback(alarm), rollback(manual)]);
    expect([automatic.outcome, byHand.outcome]).toEqual(['rolled_back', 'rolled_back']);
    expect(weights()).toEqual({ stable: 100, canary: 0 });
    fake.advance(1000);
    expect(served()).toEqual(OFF);
    // Exactly one rollback deployment ran; the other run found it and left its own version undeployed.
    const started = fake.deploymentsOf(env.outputs.flagsEnvironmentId).filter((d) => d.description?.startsWith('rollback:'));
    expect(started).toHaveLength(1);
    expect(started[0]!.state).toBe('COMPLETE');
    expect(byHand.steps.find((s) => s.step === 'flags')).toMatchObject({ status: 'unchanged', detail: expect.stringMatching(/^deployment #2 of a concurrent rollback \(immediate\) already turns/) });
    // The alarm's write was first; the person's run keeps it and says so.
    expect(latch()).toMatchObject({ latched: true, record: { requestedBy: TRIGGER, reason: 'Threshold Crossed' } });
    expect(byHand.steps.find((s) => s.step === 'latch')).toEqual({ step: 'latch', status: 'unchanged', detail: `already latched by ${TRIGGER} at 2026-11-24T10:00:00.000Z: it keeps its first record` });
  });

  test('a person rolls back between the automatic run reading "clear" and writing the latch: the first record wins', async () => {
    let byHand: Promise<RollbackResult> | undefined;
    fake.before('PutParameterCommand', async () => {
      byHand = rollback(manual);
      await byHand;
    });
    const automatic = await rollback(alarm);
    expect((await byHand!).outcome).toBe('rolled_back');
    expect(automatic.outcome).toBe('rolled_back');
    expect(latch()).toMatchObject({ record: { requestedBy: 'alice' } });
    expect(automatic.steps.find((s) => s.step === 'latch')?.detail).toBe('latched concurrently by alice: the latch keeps that first record');
    const history = fake.parameters.get(env.outputs.latchParameterName)!.map((v) => parseLatch(v.value));
    expect(history.map((h) => (h.latched ? h.record?.requestedBy : 'clear'))).toEqual(['clear', 'alice', TRIGGER, 'alice']);
  });

  test('a retried or repeated rollback finds the latch set and keeps its record', async () => {
    await rollback(alarm);
    fake.advance(1000);
    const again = await rollback(manual);
    expect(again.outcome).toBe('already_rolled_back');
    expect(latch()).toMatchObject({ record: { requestedBy: TRIGGER } });
  });

  test('an enforce run and a rollback at once: no conflict, no failure', async () => {
    const op = fake.beginStackUpdate(env.stack.name, { CanaryTraffic: '50', CanaryImageTag: 'v1.6.0' });
    await live(() => fake.now() - op.startedAt >= 2 * MINUTE);
    await rollback(alarm);
    fake.advanceUntil(() => op.finished);
    const cleanup = fake.awsEvents.find((e) => (e.detail['status-details'] as { status?: string } | undefined)?.status === 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
    const results = await Promise.all([rollback(parseRollbackEvent(cleanup, accept())), rollback(manual)]);
    // Both see the 50/50 CloudFormation wrote and set it back: ModifyRule to the same weights is idempotent.
    expect(results.map((r) => r.outcome)).toEqual(['drift_corrected', 'rolled_back']);
    expect(weights()).toEqual({ stable: 100, canary: 0 });
    expect(latch()).toMatchObject({ record: { requestedBy: TRIGGER } });
  });
});
