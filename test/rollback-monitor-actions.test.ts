/**
 * AppConfig rolls back a flag deployment while a monitor with its actions enabled is in ALARM, the
 * immediate strategy's included: https://docs.aws.amazon.com/appconfig/latest/userguide/monitoring-deployments.html
 * documents no exemption, and "a deployment doesn't automatically roll back if actions have been
 * disabled in an associated CloudWatch alarm". The environment's monitor is the composite of every
 * trigger, in ALARM exactly when a rollback starts its immediate deployment. So the function
 * disables the monitor's actions before StartDeployment (the rollback and the enforce path alike),
 * `flags set --immediate` does the same while rolled back, `resume` enables them again after the
 * latch is cleared, and `status` says when they are disabled (issue 11 review, item 2).
 */
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { performRollback } from '../lambda/rollback/rollback';
import { EXIT_CODES } from '../lib/cli/errors';
import { buildFlagDocument, DEFAULT_FLAG_VALUES, parseFlagDocument, rolledBackDocument } from '../lib/shared/feature-flags';
import { AwsState } from './fakes/aws-state';
import { FakeAwsClock, FakeCdk } from './fakes/cli-on-fake';
import { functionDeps, seedEnvironment, startFlagDeployment, type SeededEnvironment } from './fakes/environment';
import { mocks, outputsFor, resetMocks, runCommand } from './helpers/cli';

const ON = buildFlagDocument(DEFAULT_FLAG_VALUES);
const OFF = rolledBackDocument(ON, ['hierarchical_tools_enabled', 'enumdescriptions_validation']);
const TRIGGER = 'mcp-rollout-production-canary-error-rate-trigger';
const MONITOR = 'mcp-rollout-production-service-any-rollback-trigger-trigger';

let fake: AwsState;
let env: SeededEnvironment;
beforeEach(() => {
  resetMocks();
  fake = new AwsState();
  fake.install({ appconfig: mocks.appconfig, elb: mocks.elb, ssm: mocks.ssm, events: mocks.events, cloudformation: mocks.cloudformation, cloudwatch: mocks.cloudwatch });
  env = seedEnvironment(fake, { canaryTraffic: 10, outputs: outputsFor('production') });
  mocks.elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [{ TargetHealth: { State: 'healthy' } }] });
  mocks.ecs.on(DescribeServicesCommand).resolves({ services: [] });
});

const cli = (argv: string[]) => runCommand([...argv, '--environment', 'production'], { clock: new FakeAwsClock(() => fake), toolkit: new FakeCdk(() => fake) });
const served = () => parseFlagDocument(fake.servedDocument(env.outputs.flagsEnvironmentId)!);
const newest = () => fake.deploymentsOf(env.outputs.flagsEnvironmentId).at(-1)!;
const commands = () => fake.calls.map(([, c]) => c.replace(/Command$/, ''));
const rollback = (kind: 'alarm' | 'manual' = 'alarm') =>
  performRollback(
    kind === 'alarm'
      ? { kind: 'alarm', alarmName: TRIGGER, reason: 'Threshold Crossed', via: 'lambda-action', dryRun: false }
      : { kind: 'manual', requestedBy: 'alice', reason: 'p95', dryRun: false },
    functionDeps(fake, env).deps,
  );

describe('the rollback function', () => {
  test("a trigger fires: the monitor's actions are disabled before the immediate deployment, which completes and stays", async () => {
    env.setTrigger(TRIGGER, 'ALARM');
    const result = await rollback();
    expect(result.outcome).toBe('rolled_back');
    const order = commands().filter((c) => c === 'DisableAlarmActions' || c === 'StartDeployment');
    expect(order).toEqual(['DisableAlarmActions', 'StartDeployment']);
    expect(fake.calls.find(([, c]) => c === 'DisableAlarmActionsCommand')?.[2]).toEqual({ AlarmNames: [MONITOR] });
    fake.advance(60_000);
    expect(newest().state).toBe('COMPLETE');
    expect(served()).toEqual(OFF);
    expect(fake.alarmActionsEnabled(MONITOR)).toBe(false);
    expect(result.steps[1]!.detail).toContain(`actions of ${MONITOR} disabled first`);
  });

  test('the enforce path disables them too before it deploys (here CloudFormation re-enabled them by updating the composite alarm)', async () => {
    await rollback('manual');
    fake.advance(1000);
    fake.setAlarmActions([MONITOR], true);
    // A rollback flag turned on in the console, immediately, while no trigger fired; then one fires.
    const console = startFlagDeployment(fake, env, ON, 'immediate', 'console');
    fake.advance(1000);
    expect(console.state).toBe('COMPLETE');
    env.setTrigger(TRIGGER, 'ALARM');
    const result = await performRollback(
      { kind: 'enforce', name: `flag deployment #${console.number}`, reason: `flag deployment #${console.number} On Deployment Complete`, cause: { type: 'flags', detailType: 'On Deployment Complete', deploymentNumber: console.number }, dryRun: false },
      functionDeps(fake, env).deps,
    );
    expect(result.outcome).toBe('drift_corrected');
    fake.advance(1000);
    expect(newest().state).toBe('COMPLETE');
    expect(served()).toEqual(OFF);
  });

  test('DisableAlarmActions refused: the deployment still starts, the flags step fails and says why, so the run is retried and pages', async () => {
    env.setTrigger(TRIGGER, 'ALARM');
    fake.before('DisableAlarmActionsCommand', () => {
      throw Object.assign(new Error('User is not authorized to perform: cloudwatch:DisableAlarmActions'), { name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } });
    });
    const error = (await rollback().catch((e: unknown) => e)) as { result: { steps: { step: string; status: string; detail: string }[] } };
    expect(commands()).toContain('StartDeployment');
    expect(error.result.steps[1]).toMatchObject({ step: 'flags', status: 'failed' });
    expect(error.result.steps[1]!.detail).toContain(`the actions of ${MONITOR} could not be disabled (AccessDenied: User is not authorized to perform: cloudwatch:DisableAlarmActions): AppConfig rolls the deployment back while a trigger fires`);
  });

  test('nothing to deploy, nothing disabled', async () => {
    await rollback();
    fake.advance(1000);
    fake.setAlarmActions([MONITOR], true);
    fake.calls.length = 0;
    expect((await rollback('manual')).outcome).toBe('already_rolled_back');
    expect(commands()).not.toContain('DisableAlarmActions');
  });
});

describe('resume', () => {
  test('enables the monitor after the latch is cleared, never before', async () => {
    env.setTrigger(TRIGGER, 'ALARM');
    await rollback();
    fake.advance(30 * 60_000);
    env.setTrigger(TRIGGER, 'OK');
    fake.calls.length = 0;
    const run = await cli(['resume', '--confirm']);
    expect(run.stderr).not.toContain('error:');
    expect(run.code).toBe(0);
    const order = commands().filter((c) => ['UpdateStack', 'PutParameter', 'EnableAlarmActions'].includes(c));
    expect(order.slice(0, 3)).toEqual(['UpdateStack', 'PutParameter', 'EnableAlarmActions']);
    expect(fake.calls.find(([, c]) => c === 'EnableAlarmActionsCommand')?.[2]).toEqual({ AlarmNames: [MONITOR] });
    expect(fake.alarmActionsEnabled(MONITOR)).toBe(true);
    expect(run.stdout).toContain(`Enabled the actions of ${MONITOR} again: AppConfig rolls a flag deployment back while a trigger fires.`);
  });

  test('a resume stopped after clearing the latch: running it again enables the monitor, and only then says there is nothing to resume', async () => {
    await rollback('manual');
    fake.advance(1000);
    fake.putParameter(env.outputs.latchParameterName, 'clear', true);
    const run = await cli(['resume', '--confirm']);
    expect(run.code).toBe(0);
    expect(fake.alarmActionsEnabled(MONITOR)).toBe(true);
    expect(run.stdout).toContain(`production is not rolled back (latch clear): nothing to resume. Enabled the actions of ${MONITOR} again`);
    fake.calls.length = 0;
    const again = await cli(['resume', '--confirm']);
    expect(again.stdout).toContain('production is not rolled back (latch clear): nothing to resume.');
    expect(commands()).not.toContain('EnableAlarmActions');
  });
});

describe('status', () => {
  test("while rolled back, the monitor's actions disabled are expected: shown, nothing needs attention for it", async () => {
    await rollback('manual');
    fake.advance(1000);
    const run = await cli(['status']);
    expect(run.stdout).toContain(`  rollback monitor ${MONITOR}: actions disabled (expected while rolled back; resume enables them)`);
    expect(run.code).toBe(EXIT_CODES.ok);
  });

  test('not rolled back and the actions disabled: needs attention, with the fix', async () => {
    await rollback('manual');
    fake.advance(1000);
    fake.putParameter(env.outputs.latchParameterName, 'clear', true);
    const run = await cli(['status']);
    expect(run.code).toBe(EXIT_CODES.needsAttention);
    expect(run.stdout).toContain(
      `  - the actions of ${MONITOR} are disabled while no rollback is in force: AppConfig does not roll a flag deployment back when a trigger fires (run npx mcp-rollout resume --environment production --confirm)`,
    );
  });

  test('enabled, not rolled back: nothing to say', async () => {
    const run = await cli(['status']);
    expect(run.stdout).not.toContain('rollback monitor');
    expect(run.code).toBe(EXIT_CODES.ok);
  });
});

describe("the RUNBOOK's manual fallback: flags set --immediate", () => {
  test('while rolled back and a trigger fires: the monitor is disabled first, and the change stays', async () => {
    await rollback('manual');
    fake.advance(1000);
    fake.setAlarmActions([MONITOR], true);
    env.setTrigger(TRIGGER, 'ALARM');
    const run = await cli(['flags', 'set', 'auto_correction_enabled=false', '--immediate']);
    expect(run.stderr).not.toContain('error:');
    expect(run.code).toBe(0);
    expect(newest().state).toBe('COMPLETE');
    expect(commands().filter((c) => c === 'DisableAlarmActions' || c === 'StartDeployment').slice(-2)).toEqual(['DisableAlarmActions', 'StartDeployment']);
  });

  test('not rolled back: the monitor is left alone (a firing trigger rolls the change back, and the CLI says so)', async () => {
    env.setTrigger(TRIGGER, 'ALARM');
    const run = await cli(['flags', 'set', 'auto_correction_enabled=false', '--immediate']);
    expect(commands()).not.toContain('DisableAlarmActions');
    expect(run.code).toBe(EXIT_CODES.failed);
    expect(run.stdout).toContain('ended ROLLED_BACK');
  });
});
