/**
 * The operator CLI's safety-path commands against the stateful fake (test/fakes/aws-state.ts):
 * `flags set --immediate` with a deployment in progress (issue 11 items 3 and 4), "rollback,
 * resume, deploy, deploy" (item 8) and `status` showing drift from the latched state (item 5).
 * The CLI's clock is the fake's, so waits let AppConfig deployments and stack operations progress.
 */
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { performRollback } from '../lambda/rollback/rollback';
import { EXIT_CODES } from '../lib/cli/errors';
import type { Toolkit } from '../lib/cli/context';
import { buildFlagDocument, DEFAULT_FLAG_VALUES, parseFlagDocument, rolledBackDocument, withValues } from '../lib/shared/feature-flags';
import { AwsState, type ServiceTemplateModel, type StackTimings } from './fakes/aws-state';
import { FakeAwsClock, FakeCdk } from './fakes/cli-on-fake';
import { functionDeps, seedEnvironment, startFlagDeployment, type SeededEnvironment } from './fakes/environment';
import { mocks, outputsFor, resetMocks, runCommand } from './helpers/cli';

const MINUTE = 60_000;
const ON = buildFlagDocument(DEFAULT_FLAG_VALUES);
const OFF = rolledBackDocument(ON, ['hierarchical_tools_enabled', 'enumdescriptions_validation']);
const TRIGGER = 'mcp-rollout-production-canary-error-rate-trigger';

let fake: AwsState;
let env: SeededEnvironment;

function setup(canaryTraffic = 10, timings: Partial<StackTimings> = {}, model: Partial<ServiceTemplateModel> = {}): void {
  resetMocks();
  fake = new AwsState();
  fake.install({ appconfig: mocks.appconfig, elb: mocks.elb, ssm: mocks.ssm, events: mocks.events, cloudformation: mocks.cloudformation, cloudwatch: mocks.cloudwatch });
  env = seedEnvironment(fake, { canaryTraffic, timings, outputs: outputsFor('production'), model });
}

const cli = (argv: string[], toolkit: Toolkit = new FakeCdk(() => fake)) => runCommand([...argv, '--environment', 'production'], { clock: new FakeAwsClock(() => fake), toolkit });
const weights = () => fake.weights(env.outputs.trafficRuleArn, env.outputs.stableTargetGroupArn, env.outputs.canaryTargetGroupArn);
const served = () => parseFlagDocument(fake.servedDocument(env.outputs.flagsEnvironmentId)!);
const deployment = (n: number) => fake.deploymentsOf(env.outputs.flagsEnvironmentId).find((d) => d.number === n)!;

/** A gradual `auto_correction_enabled=false` (deployment #2) that has run for `minutes`. */
function gradualChangeRunning(minutes: number): void {
  startFlagDeployment(fake, env, withValues(ON, { auto_correction_enabled: false }), 'gradual');
  fake.advance(minutes * MINUTE);
}

describe('flags set --immediate with a flag deployment in progress (issue 11 items 3 and 4)', () => {
  beforeEach(() => setup());

  test.each([
    ['DEPLOYING', 2, false],
    ['BAKING', 12, true],
  ])('%s (minute %i): stopped (AllowRevert %s), and the change applies to the last completed document', async (state, minutes, allowRevert) => {
    gradualChangeRunning(minutes);
    expect(deployment(2).state).toBe(state);

    const run = await cli(['flags', 'set', 'performance_monitoring=false', '--immediate']);

    expect(run.stderr).not.toContain('error:');
    expect(run.code).toBe(0);
    const stop = fake.calls.find(([, c]) => c === 'StopDeploymentCommand')?.[2];
    expect(stop).toEqual({ ApplicationId: 'abc1234', EnvironmentId: 'env5678', DeploymentNumber: 2, ...(allowRevert ? { AllowRevert: true } : {}) });
    expect(deployment(2).state).toBe('ROLLED_BACK');
    // The half-finished auto_correction_enabled=false is not spread to every task with this change.
    expect(served()).toEqual(withValues(ON, { performance_monitoring: false }));
    expect(run.stdout).toContain('Deployment #3 is COMPLETE; every task has performance_monitoring=false');
  });
});

describe('rollback, resume, deploy, deploy (issue 11 item 8)', () => {
  test.each([
    [10, true],
    [10, false],
    [0, true],
    [0, false],
  ])(
    'canary at %i % when the rollback comes; CloudFormation waits for flag deployments: %s. Every step succeeds, the flags come back, and each step takes what the docs say',
    async (canaryTraffic, waitsForFlagDeployment) => {
      setup(canaryTraffic, { waitsForFlagDeployment, serviceUpdateMs: 5 * MINUTE });
      const took: Record<string, number> = {};
      const timed = async <T>(step: string, run: () => Promise<T>): Promise<T> => {
        const start = fake.now();
        const result = await run();
        took[step] = fake.now() - start;
        return result;
      };

      // 1. A trigger fires; the function rolls back.
      env.setTrigger(TRIGGER, 'ALARM');
      const rolledBack = await timed('rollback', () => performRollback({ kind: 'alarm', alarmName: TRIGGER, reason: 'Threshold Crossed', via: 'lambda-action', dryRun: false }, functionDeps(fake, env).deps));
      expect(rolledBack.outcome).toBe('rolled_back');
      fake.advance(30 * MINUTE); // the cause is found and fixed
      env.setTrigger(TRIGGER, 'OK');

      // 2. resume: a stack update while still latched, then the latch is cleared.
      const resume = await timed('resume', () => cli(['resume', '--confirm']));
      expect(resume.stderr).not.toContain('error:');
      expect(resume.code).toBe(0);
      expect(env.stack.deployed.resolvedLatch).not.toBe('clear');
      expect(served()).toEqual(OFF);

      // 3. deploy a fixed canary at 10 %: the flags come back with the gradual strategy.
      const first = await timed('deploy', () => cli(['deploy', '--traffic', '10', '--canary-image', 'v1.5.1']));
      expect(first.stderr).not.toContain('error:');
      expect(first.code).toBe(0);
      // 4. and again, right away, at 50 %.
      const second = await timed('deploy again', () => cli(['deploy', '--traffic', '50']));
      expect(second.stderr).not.toContain('error:');
      expect(second.code).toBe(0);

      fake.advance(25 * MINUTE);
      expect(env.stack.status).toBe('UPDATE_COMPLETE');
      expect(fake.awsEvents.filter((e) => /ROLLBACK/.test(JSON.stringify(e.detail['status-details'] ?? '')))).toEqual([]);
      expect(weights()).toEqual({ stable: 50, canary: 50 });
      expect(served()).toEqual(ON);

      // What README "Resume and redeploy" and docs/RUNBOOK.md say each step takes.
      expect(took.rollback).toBeLessThan(10_000);
      expect(took.resume).toBeLessThanOrEqual(2 * MINUTE);
      // With the flags restored gradually, CloudFormation waits for that deployment (10 + 10 min).
      expect(took.deploy).toBe(waitsForFlagDeployment ? 20 * MINUTE : 5 * MINUTE);
      // Weights only, no flag change: done by the CLI's first stack poll (10 s).
      expect(took['deploy again']).toBeLessThanOrEqual(10_000);
    },
  );
  test('negative control: with the template of before (the latched document deployed gradually), the first deploy after resume meets ConflictException and rolls back', async () => {
    setup(10, { waitsForFlagDeployment: false }, { immediateStrategyId: outputsFor('production').flagsGradualStrategyId });
    await performRollback({ kind: 'manual', requestedBy: 'alice', reason: 'p95', dryRun: false }, functionDeps(fake, env).deps);
    fake.advance(30 * MINUTE);
    expect((await cli(['resume', '--confirm'])).code).toBe(0);
    const first = await cli(['deploy', '--traffic', '10', '--canary-image', 'v1.5.1']);
    expect(first.code).toBe(1);
    expect(first.stderr).toContain('error: the update of Production-Service ended UPDATE_ROLLBACK_COMPLETE: CloudFormation rolled the whole change back');
    expect(fake.stack(env.stack.name).operation?.failure).toMatch(/ConflictException/);
  });
});

describe('status shows drift from the latched state (issue 11 item 5)', () => {
  beforeEach(() => {
    setup(10);
    mocks.elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [{ TargetHealth: { State: 'healthy' } }] });
    mocks.ecs.on(DescribeServicesCommand).resolves({ services: [] });
  });

  test('a deploy in flight wrote its weights back after the rollback: status says drift and exits 4 (needs attention)', async () => {
    const op = fake.beginStackUpdate(env.stack.name, { CanaryTraffic: '50', CanaryImageTag: 'v1.6.0' });
    fake.advance(MINUTE);
    await performRollback({ kind: 'manual', requestedBy: 'alice', reason: 'p95', dryRun: false }, functionDeps(fake, env).deps);
    fake.advanceUntil(() => op.finished);

    const run = await cli(['status']);
    expect(run.code).toBe(EXIT_CODES.needsAttention);
    expect(run.stdout).toContain('  - drift: live weights stable 50 / canary 50 differ from the latched stable 100 / canary 0; the rollback function drives them back when the stack operation ends (else run npx mcp-rollout rollback --environment production --confirm)');
  });

  test('a rollback flag is on while latched: status says drift', async () => {
    await performRollback({ kind: 'manual', requestedBy: 'alice', reason: 'p95', dryRun: false }, functionDeps(fake, env).deps);
    fake.advance(1000);
    startFlagDeployment(fake, env, ON, 'immediate');
    fake.advance(1000);

    const run = await cli(['status']);
    expect(run.code).toBe(EXIT_CODES.needsAttention);
    expect(run.stdout).toContain('  - drift: hierarchical_tools_enabled, enumdescriptions_validation on while rolled back (flag deployment #3 COMPLETE); the rollback function turns them off when a flag deployment ends (else run npx mcp-rollout rollback --environment production --confirm)');
  });

  test('no drift while rolled back as it should be', async () => {
    await performRollback({ kind: 'manual', requestedBy: 'alice', reason: 'p95', dryRun: false }, functionDeps(fake, env).deps);
    fake.advance(1000);
    const run = await cli(['status']);
    expect(run.stdout).not.toContain('drift');
  });
});
