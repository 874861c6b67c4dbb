/**
 * The fake enforces AWS's documented rules (test/fakes/aws-state.ts cites each page): if it
 * accepted what AWS refuses, every test built on it could pass against behaviour AWS does not have.
 */
import {
  AppConfigClient,
  BadRequestException,
  ConflictException,
  ListDeploymentsCommand,
  StartDeploymentCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-appconfig';
import { CloudFormationClient, DescribeStacksCommand, UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmsCommand, DisableAlarmActionsCommand, EnableAlarmActionsCommand } from '@aws-sdk/client-cloudwatch';
import { ElasticLoadBalancingV2Client, ModifyRuleCommand, TargetGroupNotFoundException } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetParameterHistoryCommand, ParameterAlreadyExists, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { buildFlagDocument, DEFAULT_FLAG_VALUES, serializeFlagDocument, withValues } from '../lib/shared/feature-flags';
import { AwsState } from './fakes/aws-state';
import { seedEnvironment, type SeededEnvironment } from './fakes/environment';

const MINUTE = 60_000;
let fake: AwsState;
let env: SeededEnvironment;
const stubs = new AwsState().install();
const appconfig = new AppConfigClient({ region: 'eu-west-1' });
const ssm = new SSMClient({ region: 'eu-west-1' });
const elb = new ElasticLoadBalancingV2Client({ region: 'eu-west-1' });
const cfn = new CloudFormationClient({ region: 'eu-west-1' });
const cloudwatch = new CloudWatchClient({ region: 'eu-west-1' });

beforeEach(() => {
  for (const s of Object.values(stubs)) s.reset();
  fake = new AwsState();
  fake.install(stubs);
  env = seedEnvironment(fake);
});

const ids = () => ({ ApplicationId: env.outputs.flagsApplicationId, EnvironmentId: env.outputs.flagsEnvironmentId });
const newVersion = (auto: boolean) =>
  fake.createHostedVersion(env.outputs.flagsProfileId, serializeFlagDocument(withValues(buildFlagDocument(DEFAULT_FLAG_VALUES), { auto_correction_enabled: auto })));
const start = (version: number, strategy = env.outputs.flagsGradualStrategyId) =>
  appconfig.send(new StartDeploymentCommand({ ...ids(), ConfigurationProfileId: env.outputs.flagsProfileId, ConfigurationVersion: String(version), DeploymentStrategyId: strategy }));
const states = async () => ((await appconfig.send(new ListDeploymentsCommand(ids()))).Items ?? []).map((d) => `${d.DeploymentNumber}:${d.State}`);

describe('AppConfig', () => {
  test('a gradual deployment is DEPLOYING for its duration, BAKING for its bake, then COMPLETE; the targets then serve it', async () => {
    const v = newVersion(false);
    const { DeploymentNumber } = await start(v);
    expect(DeploymentNumber).toBe(2);
    fake.advance(9 * MINUTE);
    expect(await states()).toEqual(['2:DEPLOYING', '1:COMPLETE']);
    fake.advance(2 * MINUTE);
    expect(await states()).toEqual(['2:BAKING', '1:COMPLETE']);
    expect(fake.servedVersion(env.outputs.flagsEnvironmentId)).toBe('1');
    fake.advance(10 * MINUTE);
    expect(await states()).toEqual(['2:COMPLETE', '1:COMPLETE']);
    expect(fake.servedVersion(env.outputs.flagsEnvironmentId)).toBe(String(v));
  });

  test('one deployment per environment: StartDeployment meanwhile is a ConflictException, whatever the strategy', async () => {
    await start(newVersion(false));
    await expect(start(newVersion(true), env.outputs.flagsImmediateStrategyId)).rejects.toBeInstanceOf(ConflictException);
    fake.advance(15 * MINUTE); // BAKING is still in progress
    await expect(start(newVersion(true))).rejects.toThrow(ConflictException);
  });

  test.each([
    ['DEPLOYING', 1, false, 'ROLLED_BACK'],
    ['DEPLOYING', 1, true, 'ROLLED_BACK'],
    ['BAKING', 12, true, 'ROLLED_BACK'],
  ])('StopDeployment on %s (minute %i, AllowRevert %s) ends %s and the targets return to the previous version', async (_state, minutes, allowRevert, end) => {
    await start(newVersion(false));
    fake.advance(Number(minutes) * MINUTE);
    const stopped = await appconfig.send(new StopDeploymentCommand({ ...ids(), DeploymentNumber: 2, ...(allowRevert ? { AllowRevert: true } : {}) }));
    expect(stopped.State).toBe(end);
    expect(fake.servedVersion(env.outputs.flagsEnvironmentId)).toBe('1');
  });

  test('StopDeployment on BAKING without AllowRevert is a BadRequestException and changes nothing', async () => {
    await start(newVersion(false));
    fake.advance(12 * MINUTE);
    await expect(appconfig.send(new StopDeploymentCommand({ ...ids(), DeploymentNumber: 2 }))).rejects.toBeInstanceOf(BadRequestException);
    expect(await states()).toEqual(['2:BAKING', '1:COMPLETE']);
  });

  test('a COMPLETE deployment reverts only with AllowRevert and within 72 hours', async () => {
    const v = newVersion(false);
    await start(v);
    fake.advance(21 * MINUTE);
    await expect(appconfig.send(new StopDeploymentCommand({ ...ids(), DeploymentNumber: 2 }))).rejects.toBeInstanceOf(BadRequestException);
    expect((await appconfig.send(new StopDeploymentCommand({ ...ids(), DeploymentNumber: 2, AllowRevert: true }))).State).toBe('REVERTED');
    expect(fake.servedVersion(env.outputs.flagsEnvironmentId)).toBe('1');

    await start(v);
    fake.advance(21 * MINUTE + 72 * 60 * MINUTE + 1000);
    await expect(appconfig.send(new StopDeploymentCommand({ ...ids(), DeploymentNumber: 3, AllowRevert: true }))).rejects.toThrow(/72 hours/);
  });

  test('a monitor in ALARM rolls back a gradual deployment and an immediate one alike; with its actions disabled it rolls back neither', async () => {
    await start(newVersion(false));
    env.setTrigger(env.triggers[0]!, 'ALARM');
    fake.advance(1000);
    expect(await states()).toEqual(['2:ROLLED_BACK', '1:COMPLETE']);
    // The monitoring page documents no exemption for a 0-minute, 0-bake deployment.
    await start(newVersion(false), env.outputs.flagsImmediateStrategyId);
    fake.advance(1000);
    expect((await states())[0]).toBe('3:ROLLED_BACK');
    // "A deployment doesn't automatically roll back if actions have been disabled in an associated CloudWatch alarm."
    await cloudwatch.send(new DisableAlarmActionsCommand({ AlarmNames: [env.monitor] }));
    await start(newVersion(false), env.outputs.flagsImmediateStrategyId);
    fake.advance(1000);
    expect((await states())[0]).toBe('4:COMPLETE');
    await start(newVersion(true));
    fake.advance(21 * MINUTE);
    expect((await states())[0]).toBe('5:COMPLETE');
    // Enabled again, the monitor rolls deployments back again.
    await cloudwatch.send(new EnableAlarmActionsCommand({ AlarmNames: [env.monitor] }));
    await start(newVersion(false), env.outputs.flagsImmediateStrategyId);
    fake.advance(1000);
    expect((await states())[0]).toBe('6:ROLLED_BACK');
  });

  test('INSUFFICIENT_DATA rolls back like ALARM; DescribeAlarms returns the composite monitor only when asked for composite alarms, with ActionsEnabled', async () => {
    fake.setAlarm(env.monitor, 'INSUFFICIENT_DATA');
    await start(newVersion(false), env.outputs.flagsImmediateStrategyId);
    fake.advance(1000);
    expect((await states())[0]).toBe('2:ROLLED_BACK');
    await cloudwatch.send(new DisableAlarmActionsCommand({ AlarmNames: [env.monitor] }));
    const metricOnly = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [env.monitor] }));
    expect([metricOnly.MetricAlarms, metricOnly.CompositeAlarms]).toEqual([[], []]);
    const both = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [env.monitor], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }));
    expect(both.CompositeAlarms).toEqual([{ AlarmName: env.monitor, StateValue: 'INSUFFICIENT_DATA', StateReason: '', ActionsEnabled: false }]);
  });

  test('ListDeployments lists newest first, ten at a time with a NextToken', async () => {
    for (let i = 0; i < 11; i++) {
      await start(newVersion(i % 2 === 0), env.outputs.flagsImmediateStrategyId);
      fake.advance(1000);
    }
    const first = await appconfig.send(new ListDeploymentsCommand({ ...ids(), MaxResults: 10 }));
    expect(first.Items?.map((d) => d.DeploymentNumber)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3]);
    const second = await appconfig.send(new ListDeploymentsCommand({ ...ids(), MaxResults: 10, NextToken: first.NextToken! }));
    expect(second.Items?.map((d) => d.DeploymentNumber)).toEqual([2, 1]);
    expect(second.NextToken).toBeUndefined();
  });
});

describe('SSM', () => {
  const name = () => env.outputs.latchParameterName;
  test('PutParameter without Overwrite refuses an existing parameter; with it, each write is a version in the history, oldest first', async () => {
    await expect(ssm.send(new PutParameterCommand({ Name: name(), Value: 'x' }))).rejects.toBeInstanceOf(ParameterAlreadyExists);
    expect((await ssm.send(new PutParameterCommand({ Name: name(), Value: 'a', Overwrite: true }))).Version).toBe(2);
    expect((await ssm.send(new PutParameterCommand({ Name: name(), Value: 'b', Overwrite: true }))).Version).toBe(3);
    const history = await ssm.send(new GetParameterHistoryCommand({ Name: name() }));
    expect(history.Parameters?.map((p) => [p.Version, p.Value])).toEqual([[1, 'clear'], [2, 'a'], [3, 'b']]);
  });

  test('Parameter Store keeps the 100 newest versions', () => {
    for (let i = 0; i < 120; i++) fake.putParameter(name(), `v${i}`, true);
    expect(fake.parameters.get(name())?.length).toBe(100);
    expect(fake.parameters.get(name())?.[0]?.version).toBe(22);
  });
});

describe('ELBv2', () => {
  test('ModifyRule replaces the actions whole; a target group the rule does not know is refused', async () => {
    await elb.send(
      new ModifyRuleCommand({
        RuleArn: env.outputs.trafficRuleArn,
        Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: env.outputs.stableTargetGroupArn, Weight: 70 }, { TargetGroupArn: env.outputs.canaryTargetGroupArn, Weight: 30 }] } }],
      }),
    );
    expect(fake.weights(env.outputs.trafficRuleArn, env.outputs.stableTargetGroupArn, env.outputs.canaryTargetGroupArn)).toEqual({ stable: 70, canary: 30 });
    await expect(
      elb.send(new ModifyRuleCommand({ RuleArn: env.outputs.trafficRuleArn, Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/other/9', Weight: 1 }] } }] })),
    ).rejects.toBeInstanceOf(TargetGroupNotFoundException);
  });
});

describe('CloudFormation', () => {
  const weights = () => fake.weights(env.outputs.trafficRuleArn, env.outputs.stableTargetGroupArn, env.outputs.canaryTargetGroupArn);

  test('an update resolves the latch when it starts: a latch set later is not seen, and the rule gets the weights resolved at the start', () => {
    const op = fake.beginStackUpdate(env.stack.name, { CanaryTraffic: '50', CanaryImageTag: 'v1.6.0' });
    fake.putParameter(env.outputs.latchParameterName, '{"state":"latched"}', true);
    fake.advanceUntil(() => op.finished);
    expect(env.stack.status).toBe('UPDATE_COMPLETE');
    expect(weights()).toEqual({ stable: 50, canary: 50 });
    // The next update sees it.
    fake.runStackUpdate(env.stack.name, { CanaryTraffic: '100' });
    expect(weights()).toEqual({ stable: 100, canary: 0 });
  });

  test('the rule is written only once the changed services are steady, and each status reaches EventBridge', () => {
    fake.beginStackUpdate(env.stack.name, { CanaryTraffic: '50', CanaryImageTag: 'v1.6.0' });
    fake.advance(4 * MINUTE);
    expect(weights()).toEqual({ stable: 90, canary: 10 });
    fake.advance(2 * MINUTE);
    expect(weights()).toEqual({ stable: 50, canary: 50 });
    expect(fake.awsEvents.filter((e) => e.source === 'aws.cloudformation').map((e) => (e.detail['status-details'] as { status: string }).status)).toEqual([
      'UPDATE_IN_PROGRESS',
      'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
      'UPDATE_COMPLETE',
    ]);
  });

  test('UpdateStack is refused while an operation runs, and when nothing changes', async () => {
    const parameters = [{ ParameterKey: 'CanaryTraffic', ParameterValue: '20' }];
    await cfn.send(new UpdateStackCommand({ StackName: env.stack.name, UsePreviousTemplate: true, Parameters: parameters }));
    await expect(cfn.send(new UpdateStackCommand({ StackName: env.stack.name, UsePreviousTemplate: true, Parameters: parameters }))).rejects.toThrow(/is in UPDATE_IN_PROGRESS state and can not be updated/);
    fake.advance(MINUTE);
    await expect(cfn.send(new UpdateStackCommand({ StackName: env.stack.name, UsePreviousTemplate: true, Parameters: parameters }))).rejects.toThrow('No updates are to be performed.');
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: env.stack.name }))).Stacks?.[0];
    expect(stack?.StackStatus).toBe('UPDATE_COMPLETE');
    expect(stack?.Parameters).toContainEqual({ ParameterKey: 'RollbackLatch', ParameterValue: env.outputs.latchParameterName, ResolvedValue: 'clear' });
  });

  test('a flag deployment that conflicts fails the update, which rolls the rule back to the previous weights', async () => {
    await start(newVersion(false));
    fake.putParameter(env.outputs.latchParameterName, '{"state":"latched"}', true);
    // Latched: the template's document changes, so its deployment starts and meets the one in progress.
    const op = fake.beginStackUpdate(env.stack.name, { CanaryTraffic: '10' });
    fake.advanceUntil(() => op.finished);
    expect(env.stack.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(op.failure).toMatch(/ConflictException/);
    expect(weights()).toEqual({ stable: 90, canary: 10 });
  });
});
