/**
 * The rollback function against the stateful fake (test/fakes/aws-state.ts): AppConfig's one
 * deployment per environment, StopDeployment's AllowRevert rule, what a stopped deployment returns
 * to, the rule's weights, the latch's versions. Races and concurrent runs: rollback-races.test.ts.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { InternalServerException } from '@aws-sdk/client-appconfig';
import { performRollback, RollbackFailed } from '../lambda/rollback/rollback';
import { readConfig } from '../lambda/rollback/config';
import { parseRollbackEvent, RejectedInput, type Acceptance } from '../lambda/rollback/events';
import {
  buildFlagDocument,
  DEFAULT_FLAG_VALUES,
  parseFlagDocument,
  rolledBackDocument,
  withValues,
} from '../lib/shared/feature-flags';
import { parseLatch, type RollbackResult } from '../lib/shared/rollback-contract';
import { AwsState } from './fakes/aws-state';
import { functionDeps, seedEnvironment, startFlagDeployment, type FunctionRun, type SeededEnvironment } from './fakes/environment';

const MINUTE = 60_000;
const stubs = new AwsState().install();
let fake: AwsState;
let env: SeededEnvironment;
let run: FunctionRun;

beforeEach(() => {
  for (const s of Object.values(stubs)) s.reset();
  fake = new AwsState();
  fake.install(stubs);
  env = seedEnvironment(fake, { canaryTraffic: 10 });
  run = functionDeps(fake, env);
});

const TRIGGER = 'mcp-rollout-production-canary-error-rate-trigger';
const alarmRequest = { kind: 'alarm' as const, alarmName: TRIGGER, reason: 'Threshold Crossed', via: 'lambda-action' as const, dryRun: false as const };
const ON = buildFlagDocument(DEFAULT_FLAG_VALUES);
const ROLLBACK_FLAGS = ['hierarchical_tools_enabled', 'enumdescriptions_validation'] as const;

const weights = () => fake.weights(env.outputs.trafficRuleArn, env.outputs.stableTargetGroupArn, env.outputs.canaryTargetGroupArn);
const served = () => parseFlagDocument(fake.servedDocument(env.outputs.flagsEnvironmentId)!);
const latch = () => parseLatch(fake.parameter(env.outputs.latchParameterName).value);
const commands = () => fake.calls.map(([, command]) => command.replace(/Command$/, ''));
// PutParameter writes the latch, and last of all the release history record (test/rollback-history.test.ts).
const WRITES = new Set(['ModifyRule', 'CreateHostedConfigurationVersion', 'StartDeployment', 'StopDeployment', 'PutParameter', 'PutEvents', 'Publish']);
const writes = () => commands().filter((c) => WRITES.has(c));
const deployment = (n: number) => fake.deploymentsOf(env.outputs.flagsEnvironmentId).find((d) => d.number === n)!;

/** A gradual `flags set auto_correction_enabled=false` (version 2, deployment #2) that has run for `minutes`. */
function gradualChangeRunning(minutes: number): void {
  startFlagDeployment(fake, env, withValues(ON, { auto_correction_enabled: false }), 'gradual', 'flags set');
  fake.advance(minutes * MINUTE);
}

describe('a full rollback', () => {
  test('moves traffic first, then flags, then the latch, reads back and reports; the environment ends rolled back', async () => {
    const result = await performRollback(alarmRequest, run.deps);

    expect(writes()).toEqual(['ModifyRule', 'CreateHostedConfigurationVersion', 'StartDeployment', 'PutParameter', 'PutEvents', 'Publish', 'PutParameter']);
    expect(result.outcome).toBe('rolled_back');
    expect(result.steps.map((s) => [s.step, s.status])).toEqual([
      ['traffic', 'done'],
      ['flags', 'done'],
      ['latch', 'done'],
      ['verify', 'done'],
      ['report', 'done'],
    ]);
    expect(result.before?.weights).toEqual({ stable: 90, canary: 10 });
    expect(result.after?.weights).toEqual({ stable: 100, canary: 0 });
    expect(weights()).toEqual({ stable: 100, canary: 0 });
    expect(result.flags).toEqual({ sourceDeployment: 1, sourceVersion: '1', version: '2', deployment: 2 });

    // The immediate deployment reaches every target at once.
    fake.advance(1000);
    expect(deployment(2).state).toBe('COMPLETE');
    expect(served()).toEqual(rolledBackDocument(ON, ROLLBACK_FLAGS));
    expect(latch()).toEqual({
      latched: true,
      raw: expect.any(String),
      record: { state: 'latched', reason: 'Threshold Crossed', requestedBy: TRIGGER, time: '2026-11-24T10:00:00.000Z' },
    });
    expect(run.metrics.map(([name]) => name)).toEqual(['TimeToStableMs', 'RollbackCompleted']);
  });

  test('the notification and the event say what was before and after', async () => {
    await performRollback(alarmRequest, run.deps);
    const [message] = fake.published;
    expect(message).toMatchObject({ topicArn: env.outputs.criticalTopicArn, subject: '[mcp-rollout production] rolled back to stable' });
    expect(message!.message).toContain(`Trigger: alarm ${TRIGGER}: Threshold Crossed`);
    expect(message!.message).toContain('Before: stable 90 / canary 10, latch clear');
    expect(message!.message).toContain('After:  stable 100 / canary 0, latch set');
    expect(message!.message).toContain('traffic: done - weights stable 90 / canary 10 -> stable 100 / canary 0');
    expect(fake.putEvents).toEqual([{ source: 'mcp-rollout', detailType: 'rollback_completed', detail: expect.objectContaining({ outcome: 'rolled_back' }), bus: 'default', at: expect.any(Number) }]);
  });
});

describe('idempotence and dry run', () => {
  test('already rolled back: reads only, changes nothing and says so', async () => {
    await performRollback(alarmRequest, run.deps);
    fake.advance(1000);
    fake.calls.length = 0;
    const again = functionDeps(fake, env);
    const result = await performRollback(alarmRequest, again.deps);
    expect(result.outcome).toBe('already_rolled_back');
    expect(result.steps.map((s) => s.status)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(writes()).toEqual([]);
    expect(again.metrics).toEqual([['RollbackAlreadyDone', 1]]);
  });

  test('traffic already on stable but flags on: only the flags and the latch change', async () => {
    fake.runStackUpdate(env.stack.name, { CanaryTraffic: '0' });
    fake.calls.length = 0;
    const result = await performRollback(alarmRequest, run.deps);
    expect(result.steps.map((s) => [s.step, s.status])).toEqual([
      ['traffic', 'unchanged'],
      ['flags', 'done'],
      ['latch', 'done'],
      ['verify', 'done'],
      ['report', 'done'],
    ]);
    expect(writes()).not.toContain('ModifyRule');
  });

  test('dry run: reads the state, reports the plan, writes nothing', async () => {
    gradualChangeRunning(12);
    const result = await performRollback({ kind: 'manual', requestedBy: 'alice', reason: 'game day', dryRun: true }, run.deps);
    expect(result.outcome).toBe('dry_run');
    expect(result.steps).toEqual([
      { step: 'traffic', status: 'skipped', detail: 'would move traffic from canary 10 % to stable' },
      { step: 'flags', status: 'skipped', detail: 'would stop deployment #2 (BAKING, with AllowRevert), then turn off the rollback flags in version 1 (deployment #1 COMPLETE) with the immediate strategy' },
      { step: 'latch', status: 'skipped', detail: `would set ${env.outputs.latchParameterName}` },
    ]);
    expect(writes()).toEqual([]);
  });
});

describe('a flag deployment in progress (issue 11 items 3 and 4)', () => {
  test.each([
    ['DEPLOYING', 2, false],
    ['BAKING', 12, true],
  ])('%s (at minute %i): it is stopped, AllowRevert %s, and the rolled-back document comes from the last COMPLETED one, not the half-finished change', async (state, minutes, allowRevert) => {
    gradualChangeRunning(minutes);
    expect(deployment(2).state).toBe(state);

    const result = await performRollback(alarmRequest, run.deps);

    const stop = fake.calls.find(([, c]) => c === 'StopDeploymentCommand')?.[2];
    expect(stop).toEqual({ ApplicationId: 'app1234', EnvironmentId: 'env1234', DeploymentNumber: 2, ...(allowRevert ? { AllowRevert: true } : {}) });
    expect(deployment(2).state).toBe('ROLLED_BACK');
    expect(result.outcome).toBe('rolled_back');
    fake.advance(1000);
    // auto_correction_enabled=false was being tried on some tasks: it is not spread to all of them.
    expect(served()).toEqual(rolledBackDocument(ON, ROLLBACK_FLAGS));
    expect(served().values.auto_correction_enabled.enabled).toBe(true);
    // The record says which version it started from, and what it stopped.
    expect(result.flags).toEqual({
      sourceDeployment: 1,
      sourceVersion: '1',
      stopped: { number: 2, stateBefore: state, stateAfter: 'ROLLED_BACK', allowRevert },
      version: '3',
      deployment: 3,
    });
    expect(result.steps[1]!.detail).toBe(
      `hosted version 3 with hierarchical_tools_enabled, enumdescriptions_validation off, from version 1 (the last completed deployment, #1), deployment 3 (immediate); stopped deployment #2 first (${state} -> ROLLED_BACK${allowRevert ? ', AllowRevert' : ''}); actions of mcp-rollout-production-service-any-rollback-trigger-trigger disabled first, so AppConfig does not roll it back while a trigger fires`,
    );
  });

  test('a deployment that leaves DEPLOYING between the read and the stop is stopped again with AllowRevert', async () => {
    gradualChangeRunning(9.5);
    expect(deployment(2).state).toBe('DEPLOYING');
    // The traffic step and the reads take a moment: the deployment reaches its bake meanwhile.
    fake.before('StopDeploymentCommand', () => fake.advance(MINUTE));
    const result = await performRollback(alarmRequest, run.deps);
    const stops = fake.calls.filter(([, c]) => c === 'StopDeploymentCommand').map(([, , input]) => input);
    expect(stops).toEqual([
      { ApplicationId: 'app1234', EnvironmentId: 'env1234', DeploymentNumber: 2 },
      { ApplicationId: 'app1234', EnvironmentId: 'env1234', DeploymentNumber: 2, AllowRevert: true },
    ]);
    expect(result.flags?.stopped).toEqual({ number: 2, stateBefore: 'DEPLOYING', stateAfter: 'ROLLED_BACK', allowRevert: true });
    expect(result.outcome).toBe('rolled_back');
  });

  test('a completed change that is still the newest is not reverted: the rollback derives from it', async () => {
    gradualChangeRunning(21);
    expect(deployment(2).state).toBe('COMPLETE');
    const result = await performRollback(alarmRequest, run.deps);
    expect(commands()).not.toContain('StopDeployment');
    expect(result.flags).toMatchObject({ sourceDeployment: 2, sourceVersion: '2' });
    fake.advance(1000);
    expect(served()).toEqual(rolledBackDocument(withValues(ON, { auto_correction_enabled: false }), ROLLBACK_FLAGS));
  });

  test('ConflictException: a deployment that started meanwhile is stopped and the start tried again', async () => {
    fake.before('StartDeploymentCommand', () => {
      startFlagDeployment(fake, env, ON, 'gradual', 'cloudformation');
    });
    const result = await performRollback(alarmRequest, run.deps);
    expect(writes()).toEqual(['ModifyRule', 'CreateHostedConfigurationVersion', 'StartDeployment', 'StopDeployment', 'StartDeployment', 'PutParameter', 'PutEvents', 'Publish', 'PutParameter']);
    expect(run.warnings).toEqual(['another flag deployment is in progress: looking again']);
    expect(result.flags).toMatchObject({ version: '2', deployment: 3, stopped: { number: 2, stateBefore: 'DEPLOYING', stateAfter: 'ROLLED_BACK', allowRevert: false } });
    fake.advance(1000);
    expect(served()).toEqual(rolledBackDocument(ON, ROLLBACK_FLAGS));
  });

  test('the flags already off in the last completed document: the deployment in progress is only stopped', async () => {
    await performRollback(alarmRequest, run.deps);
    fake.advance(1000);
    // Someone turns a rollback flag back on, gradually, while the environment is latched.
    startFlagDeployment(fake, env, ON, 'gradual');
    fake.calls.length = 0;
    const result = await performRollback({ kind: 'manual', requestedBy: 'alice', reason: 'again', dryRun: false }, functionDeps(fake, env).deps);
    expect(writes()).toEqual(['StopDeployment', 'PutEvents', 'Publish', 'PutParameter']);
    expect(result.steps[1]).toEqual({ step: 'flags', status: 'done', detail: 'targets return to version 2, which has hierarchical_tools_enabled, enumdescriptions_validation off; stopped deployment #3 first (DEPLOYING -> ROLLED_BACK)' });
  });
});

describe('failures', () => {
  test('throttling is retried with backoff, then succeeds', async () => {
    const throttled = () => {
      throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    };
    fake.before('ModifyRuleCommand', throttled);
    fake.before('ModifyRuleCommand', throttled);
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    const startedAt = fake.now();
    const result = await performRollback(alarmRequest, run.deps);
    jest.restoreAllMocks();
    expect(result.outcome).toBe('rolled_back');
    expect(commands().filter((c) => c === 'ModifyRule')).toHaveLength(3);
    // 100 ms, then 200 ms of the fake's clock.
    expect(run.warnings).toEqual(['throttled, retrying', 'throttled, retrying']);
    expect(fake.now() - startedAt).toBeGreaterThanOrEqual(300);
  });

  test('the ELB call failing: the flags and the latch still change, the failure is reported and thrown', async () => {
    fake.before('ModifyRuleCommand', () => {
      throw Object.assign(new Error('not authorized to perform elasticloadbalancing:ModifyRule'), { name: 'AccessDenied' });
    });
    const error = await performRollback(alarmRequest, run.deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RollbackFailed);
    const result = (error as RollbackFailed).result;
    expect(result.steps.map((s) => [s.step, s.status])).toEqual([
      ['traffic', 'failed'],
      ['flags', 'done'],
      ['latch', 'done'],
      ['verify', 'failed'],
      ['report', 'done'],
    ]);
    expect(result.steps[0]!.detail).toBe('AccessDenied: not authorized to perform elasticloadbalancing:ModifyRule');
    expect(fake.published[0]!.subject).toBe('[mcp-rollout production] rollback incomplete');
    expect(fake.putEvents[0]!.detailType).toBe('rollback_failed');
    expect(run.errors).toEqual(['rollback step traffic failed']);
    expect(latch().latched).toBe(true);
  });

  test('AppConfig failing after traffic moved: the weights stay on stable, the latch is set, the failure is thrown', async () => {
    // A server fault is retried (retry.ts); this one outlasts every attempt.
    fake.before(
      'CreateHostedConfigurationVersionCommand',
      () => {
        throw new InternalServerException({ message: 'internal error', $metadata: { httpStatusCode: 500 } });
      },
      false,
    );
    const error = (await performRollback(alarmRequest, run.deps).catch((e: unknown) => e)) as RollbackFailed;
    expect(error.message).toMatch(/^rollback of production incomplete: flags: InternalServerException: internal error; verify: read back: weights stable 100 \/ canary 0, latch set, flag deployment 1 COMPLETE has a rollback flag on$/);
    expect(error.result.steps.map((s) => [s.step, s.status])).toEqual([
      ['traffic', 'done'],
      ['flags', 'failed'],
      ['latch', 'done'],
      ['verify', 'failed'],
      ['report', 'done'],
    ]);
    expect(commands().filter((c) => c === 'ModifyRule')).toHaveLength(1);
    expect(commands().filter((c) => c === 'CreateHostedConfigurationVersion')).toHaveLength(5);
    expect(commands()).not.toContain('StartDeployment');
    expect(weights()).toEqual({ stable: 100, canary: 0 });
  });
});

const accept: Acceptance = { triggerAlarms: new Set([TRIGGER]), serviceStackName: 'Production-Service', flagEnvironmentId: 'env1234' };
const STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Production-Service/0b3c9a40-aa11-11ef-8f4e-0a1b2c3d4e5f';
/** The shape of CloudFormation's "Stack Status Change" event (CloudFormation events detail reference). */
const stackEvent = (status: string, stackId = STACK_ID) => ({
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'CloudFormation Stack Status Change',
  source: 'aws.cloudformation',
  account: '123456789012',
  time: '2026-11-24T10:05:00Z',
  region: 'eu-west-1',
  resources: [stackId],
  detail: { 'stack-id': stackId, 'status-details': { status, 'status-reason': '' }, 'client-request-token': '' },
});
/** The AppConfig EventBridge extension's sample event (AppConfig user guide). */
const appConfigEvent = (detailType: string, environmentId = 'env1234', number: unknown = 7) => ({
  version: '0',
  id: 'c53dbd72-c1a0-2302-9ed6-c076e9128277',
  'detail-type': detailType,
  source: 'aws.appconfig',
  account: '123456789012',
  time: '2026-11-24T10:05:00Z',
  region: 'eu-west-1',
  resources: ['arn:aws:appconfig:eu-west-1:123456789012:extensionassociation/z763ff5'],
  detail: {
    InvocationId: '5tfjcig',
    Parameters: {},
    Type: 'OnDeploymentComplete',
    Application: { Id: 'app1234', Name: 'mcp-rollout-production' },
    Environment: { Id: environmentId, Name: 'production' },
    ConfigurationProfile: { Id: 'prof123', Name: 'feature-flags' },
    DeploymentNumber: number,
    ConfigurationVersion: '1',
  },
});

describe('accepted inputs', () => {
  test('the CloudWatch alarm Lambda action', () => {
    expect(
      parseRollbackEvent(
        {
          source: 'aws.cloudwatch',
          alarmArn: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${TRIGGER}`,
          alarmData: { alarmName: TRIGGER, state: { value: 'ALARM', reason: 'Threshold Crossed' }, previousState: { value: 'OK' } },
        },
        accept,
      ),
    ).toEqual({ kind: 'alarm', alarmName: TRIGGER, reason: 'Threshold Crossed', via: 'lambda-action', dryRun: false });
  });

  test('the same alarm through SNS', () => {
    const message = JSON.stringify({ AlarmName: TRIGGER, NewStateValue: 'ALARM', OldStateValue: 'OK', NewStateReason: 'Threshold Crossed' });
    expect(parseRollbackEvent({ Records: [{ EventSource: 'aws:sns', Sns: { Message: message } }] }, accept)).toEqual({
      kind: 'alarm',
      alarmName: TRIGGER,
      reason: 'Threshold Crossed',
      via: 'sns',
      dryRun: false,
    });
  });

  test('the EventBridge alarm state change', () => {
    expect(
      parseRollbackEvent(
        {
          source: 'aws.cloudwatch',
          'detail-type': 'CloudWatch Alarm State Change',
          detail: { alarmName: TRIGGER, state: { value: 'ALARM', reason: 'Threshold Crossed' }, previousState: { value: 'INSUFFICIENT_DATA' } },
        },
        accept,
      ),
    ).toEqual({ kind: 'alarm', alarmName: TRIGGER, reason: 'Threshold Crossed', via: 'eventbridge', dryRun: false });
  });

  test('a manual request, with and without dry run', () => {
    expect(parseRollbackEvent({ action: 'rollback', reason: 'bad canary', requestedBy: 'alice' }, accept)).toEqual({
      kind: 'manual',
      reason: 'bad canary',
      requestedBy: 'alice',
      dryRun: false,
    });
    expect(parseRollbackEvent({ action: 'rollback', reason: 'drill', requestedBy: 'bob', dryRun: true }, accept)).toMatchObject({ dryRun: true });
  });

  test.each(['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'UPDATE_ROLLBACK_FAILED'])(
    'the Service stack reaching %s: an enforce request',
    (status) => {
      expect(parseRollbackEvent(stackEvent(status), accept)).toEqual({
        kind: 'enforce',
        name: 'Production-Service',
        reason: `Production-Service ${status}`,
        cause: { type: 'stack', status },
        dryRun: false,
      });
    },
  );

  test.each(['On Deployment Start', 'On Deployment Complete', 'On Deployment Rollback'])('the AppConfig extension event "%s" of this environment: an enforce request', (detailType) => {
    expect(parseRollbackEvent(appConfigEvent(detailType), accept)).toEqual({
      kind: 'enforce',
      name: 'flag deployment #7',
      reason: `flag deployment #7 ${detailType}`,
      cause: { type: 'flags', detailType, deploymentNumber: 7 },
      dryRun: false,
    });
  });
});

describe('refused inputs change nothing', () => {
  const alarmAction = (alarmName: string, value: string, previous = 'OK') => ({
    source: 'aws.cloudwatch',
    alarmData: { alarmName, state: { value, reason: 'r' }, previousState: { value: previous } },
  });

  test.each([
    ['an OK transition', alarmAction(TRIGGER, 'OK', 'ALARM'), `alarm "${TRIGGER}" moved to OK, not ALARM: nothing to do`],
    ['INSUFFICIENT_DATA', alarmAction(TRIGGER, 'INSUFFICIENT_DATA'), `alarm "${TRIGGER}" moved to INSUFFICIENT_DATA, not ALARM: nothing to do`],
    ['an unknown alarm', alarmAction('someone-elses-alarm', 'ALARM'), `alarm "someone-elses-alarm" is not a rollback trigger of this environment (known: ${TRIGGER})`],
    ['bad JSON in SNS', { Records: [{ EventSource: 'aws:sns', Sns: { Message: '{not json' } }] }, 'Records[0].Sns.Message is not JSON: {not json'],
    ['two SNS records', { Records: [{}, {}] }, 'SNS event must hold exactly one record, got 2'],
    ['an alarm without a name', { source: 'aws.cloudwatch', alarmData: { state: { value: 'ALARM' } } }, 'alarmData.alarmName must be a non-empty string, got nothing'],
    ['a wrong action', { action: 'deploy', reason: 'x', requestedBy: 'y' }, 'action must be "rollback", got "deploy"'],
    ['a manual request without a reason', { action: 'rollback', requestedBy: 'alice' }, 'manual request.reason must be a non-empty string, got nothing'],
    ['an unknown manual field', { action: 'rollback', reason: 'x', requestedBy: 'y', force: true }, 'manual request has unknown field(s) force; allowed: action, reason, requestedBy, dryRun'],
    ['dryRun as a string', { action: 'rollback', reason: 'x', requestedBy: 'y', dryRun: 'yes' }, 'manual request.dryRun must be true or false, got "yes"'],
    ['not an object', 'rollback please', 'event must be a JSON object, got "rollback please"'],
    ['another stack', stackEvent('UPDATE_COMPLETE', 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Production-State/1111'), "stack Production-State is not this environment's Service stack (Production-Service): nothing to do"],
    ['a stack operation still running', stackEvent('UPDATE_IN_PROGRESS'), 'stack Production-Service is UPDATE_IN_PROGRESS, not an end of an operation: nothing to do'],
    ['a flag deployment of another environment', appConfigEvent('On Deployment Complete', 'env9999'), 'flag deployment of AppConfig environment env9999, not this one (env1234): nothing to do'],
    ['a flag deployment without a number', appConfigEvent('On Deployment Complete', 'env1234', '7'), 'detail.DeploymentNumber must be an integer, got "7"'],
    [
      'an unrelated event',
      { source: 'aws.s3', detail: {} },
      'event is none of: a CloudWatch alarm action, an SNS alarm notification, an EventBridge alarm state change, a CloudFormation stack status change, an AppConfig deployment event, or { action: "rollback", reason, requestedBy }',
    ],
  ])('%s', (_name, event, message) => {
    expect(() => parseRollbackEvent(event, accept)).toThrow(new RejectedInput(message));
  });
});

describe('the handler', () => {
  let handler: (event: unknown) => Promise<RollbackResult>;
  beforeAll(() => {
    const seeded = seedEnvironment(new AwsState());
    Object.assign(process.env, seeded.functionEnv);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after the environment is set, as Lambda does
    handler = (require('../lambda/rollback/index') as typeof import('../lambda/rollback/index')).handler;
  });

  test('refuses a bad input with a result, not a throw, and calls nothing', async () => {
    const result = await handler({ action: 'rollback' });
    expect(result).toEqual({ outcome: 'rejected', environment: 'production', steps: [], durationMs: 0, error: 'manual request.reason must be a non-empty string, got nothing' });
    expect(fake.calls).toEqual([]);
  });

  test('rolls back on an alarm delivered through SNS', async () => {
    const message = JSON.stringify({ AlarmName: TRIGGER, NewStateValue: 'ALARM', OldStateValue: 'OK', NewStateReason: 'Threshold Crossed' });
    const result = await handler({ Records: [{ EventSource: 'aws:sns', Sns: { Message: message } }] });
    expect(result.outcome).toBe('rolled_back');
    expect(result.trigger).toEqual({ kind: 'alarm', name: TRIGGER, reason: 'Threshold Crossed' });
    expect(weights()).toEqual({ stable: 100, canary: 0 });
  });

  test("answers CloudFormation's own stack event: nothing to enforce while no rollback is in force", async () => {
    const result = await handler(stackEvent('UPDATE_COMPLETE', env.stack.id));
    expect(result).toMatchObject({ outcome: 'not_latched', steps: [], trigger: { kind: 'event', name: 'Production-Service', reason: 'Production-Service UPDATE_COMPLETE' } });
    expect(writes()).toEqual([]);
  });

  test('throws when the rollback is incomplete, so the retries and the on-failure destination run', async () => {
    fake.before('ModifyRuleCommand', () => {
      throw Object.assign(new Error('denied'), { name: 'AccessDenied' });
    });
    await expect(handler({ action: 'rollback', reason: 'bad canary', requestedBy: 'alice' })).rejects.toThrow(/^rollback of production incomplete: traffic: AccessDenied: denied/);
  });

  test('docs/RUNBOOK.md says what `aws lambda invoke` shows then: the thrown error is the errorType and errorMessage of the result file', async () => {
    fake.before('ModifyRuleCommand', () => {
      throw Object.assign(new Error('denied'), { name: 'AccessDenied' });
    });
    const error = (await handler({ action: 'rollback', reason: 'bad canary', requestedBy: 'alice' }).catch((e: unknown) => e)) as Error;
    const runbook = readFileSync(path.join(__dirname, '..', 'docs', 'RUNBOOK.md'), 'utf8');
    expect(runbook).toContain('"FunctionError": "Unhandled"');
    expect(runbook).toContain(`{"errorType": "${error.name}", "errorMessage": "${error.message.slice(0, 'rollback of production incomplete: '.length)}`);
    expect(runbook).not.toMatch(/"outcome": "failed"/);
  });
});

describe('configuration', () => {
  test('names every missing or bad variable at once', () => {
    expect(() => readConfig({ ...env.functionEnv, TRAFFIC_RULE_ARN: undefined, ROLLBACK_FLAGS: 'hierarchical_tools', MCP_ENVIRONMENT: 'dev', SERVICE_STACK_NAME: '' })).toThrow(
      [
        'rollback function misconfigured (redeploy the Service stack):',
        '  - MCP_ENVIRONMENT must be one of staging, production, got "dev"',
        '  - TRAFFIC_RULE_ARN is not set',
        '  - SERVICE_STACK_NAME is not set',
        '  - ROLLBACK_FLAGS: unknown flag "hierarchical_tools"; the flags are hierarchical_tools_enabled, enumdescriptions_validation, auto_correction_enabled, enhanced_error_messages, performance_monitoring',
      ].join('\n'),
    );
  });
});
