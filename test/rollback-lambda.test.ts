import {
  AppConfigClient,
  ConflictException,
  CreateHostedConfigurationVersionCommand,
  GetHostedConfigurationVersionCommand,
  InternalServerException,
  ListDeploymentsCommand,
  StartDeploymentCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-appconfig';
import { DescribeRulesCommand, ElasticLoadBalancingV2Client, ModifyRuleCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { sent } from './helpers/aws-mocks';
import { readConfig } from '../lambda/rollback/config';
import { performRollback, RollbackFailed, type Dependencies } from '../lambda/rollback/rollback';
import { parseRollbackEvent, RejectedInput } from '../lambda/rollback/events';
import { buildFlagDocument, DEFAULT_FLAG_VALUES, rolledBackDocument, serializeFlagDocument } from '../lib/shared/feature-flags';
import type { RollbackResult } from '../lib/shared/rollback-contract';

const RULE = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/mcp/abc/def/ghi';
const STABLE_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/stable/1';
const CANARY_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/canary/2';
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:mcp-rollout-production-critical';
const LATCH = '/mcp-rollout/production/rollback-latch';
const TRIGGER = 'mcp-rollout-production-canary-error-rate-trigger';
const APP = { ApplicationId: 'app1234', EnvironmentId: 'env1234' };

const ENV: Record<string, string> = {
  MCP_ENVIRONMENT: 'production',
  TRAFFIC_RULE_ARN: RULE,
  STABLE_TARGET_GROUP_ARN: STABLE_TG,
  CANARY_TARGET_GROUP_ARN: CANARY_TG,
  APPCONFIG_APPLICATION_ID: 'app1234',
  APPCONFIG_ENVIRONMENT_ID: 'env1234',
  APPCONFIG_PROFILE_ID: 'prof123',
  APPCONFIG_IMMEDIATE_STRATEGY_ID: 'imm1234',
  ROLLBACK_FLAGS: 'hierarchical_tools_enabled,enumdescriptions_validation',
  LATCH_PARAMETER: LATCH,
  CRITICAL_TOPIC_ARN: TOPIC,
  EVENT_BUS_NAME: 'default',
  TRIGGER_ALARM_NAMES: `${TRIGGER},mcp-rollout-production-service-llm-success-rate-trigger`,
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

const ON = serializeFlagDocument(buildFlagDocument(DEFAULT_FLAG_VALUES));
const OFF = serializeFlagDocument(rolledBackDocument(buildFlagDocument(DEFAULT_FLAG_VALUES), ['hierarchical_tools_enabled', 'enumdescriptions_validation']));
const NOW = Date.parse('2026-11-24T10:00:00.000Z');

const elb = mockClient(ElasticLoadBalancingV2Client);
const appconfig = mockClient(AppConfigClient);
const ssm = mockClient(SSMClient);
const sns = mockClient(SNSClient);
const events = mockClient(EventBridgeClient);
const ALL = [elb, appconfig, ssm, sns, events] as const;

const rules = (stable: number, canary: number) => ({
  Rules: [{ RuleArn: RULE, Actions: [{ Type: 'forward' as const, ForwardConfig: { TargetGroups: [{ TargetGroupArn: STABLE_TG, Weight: stable }, { TargetGroupArn: CANARY_TG, Weight: canary }] } }] }],
});
const latchedValue = JSON.stringify({ state: 'latched', reason: 'Threshold Crossed', requestedBy: TRIGGER, time: '2026-11-24T10:00:00.000Z' });
// The SDK types Content as its own blob adapter; a Uint8Array is what arrives on the wire.
const content = (doc: string) => ({ Content: new TextEncoder().encode(doc) as never, ContentType: 'application/json' });

/** A healthy environment with the canary at 10 %, flags on, latch clear; the read-back shows the rollback. */
function canaryAtTen(): void {
  elb.on(DescribeRulesCommand).resolvesOnce(rules(90, 10)).resolves(rules(100, 0));
  elb.on(ModifyRuleCommand).resolves({});
  ssm.on(GetParameterCommand).resolvesOnce({ Parameter: { Value: 'clear' } }).resolves({ Parameter: { Value: latchedValue } });
  ssm.on(PutParameterCommand).resolves({ Version: 2 });
  appconfig
    .on(ListDeploymentsCommand)
    .resolvesOnce({ Items: [{ DeploymentNumber: 3, State: 'COMPLETE', ConfigurationVersion: '2' }] })
    .resolves({ Items: [{ DeploymentNumber: 4, State: 'COMPLETE', ConfigurationVersion: '3' }, { DeploymentNumber: 3, State: 'COMPLETE', ConfigurationVersion: '2' }] });
  appconfig.on(GetHostedConfigurationVersionCommand, { VersionNumber: 2 }).resolves(content(ON));
  appconfig.on(GetHostedConfigurationVersionCommand, { VersionNumber: 3 }).resolves(content(OFF));
  appconfig.on(CreateHostedConfigurationVersionCommand).resolves({ VersionNumber: 3 });
  appconfig.on(StartDeploymentCommand).resolves({ DeploymentNumber: 4, State: 'DEPLOYING' });
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
  sns.on(PublishCommand).resolves({ MessageId: 'm1' });
}

const errors: string[] = [];
const sleeps: number[] = [];
const metrics: [string, number][] = [];
function deps(): Dependencies {
  let tick = 0;
  return {
    clients: {
      elb: new ElasticLoadBalancingV2Client({}),
      appconfig: new AppConfigClient({}),
      ssm: new SSMClient({}),
      sns: new SNSClient({}),
      events: new EventBridgeClient({}),
    },
    config: readConfig(ENV),
    log: { info: () => undefined, warn: () => undefined, error: (m) => errors.push(m) },
    metrics: { addMetric: (name, _unit, value) => metrics.push([name, value]) },
    now: () => NOW + 100 * tick++,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  };
}

const alarmRequest = { kind: 'alarm' as const, alarmName: TRIGGER, reason: 'Threshold Crossed', via: 'lambda-action' as const, dryRun: false as const };

// The exact calls of a full rollback from canary 10 %, flags on, latch clear.
const READS_BEFORE = {
  elb: [['DescribeRulesCommand', { RuleArns: [RULE] }]],
  ssm: [['GetParameterCommand', { Name: LATCH }]],
  appconfig: [
    ['ListDeploymentsCommand', { ...APP, MaxResults: 10 }],
    ['GetHostedConfigurationVersionCommand', { ApplicationId: 'app1234', ConfigurationProfileId: 'prof123', VersionNumber: 2 }],
  ],
};
const MODIFY_RULE = [
  'ModifyRuleCommand',
  {
    RuleArn: RULE,
    Actions: [
      {
        Type: 'forward',
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: STABLE_TG, Weight: 100 },
            { TargetGroupArn: CANARY_TG, Weight: 0 },
          ],
          TargetGroupStickinessConfig: { Enabled: false },
        },
      },
    ],
  },
];
const CREATE_VERSION = [
  'CreateHostedConfigurationVersionCommand',
  { ApplicationId: 'app1234', ConfigurationProfileId: 'prof123', Content: new TextEncoder().encode(OFF), ContentType: 'application/json', Description: 'rollback: Threshold Crossed' },
];
const START_DEPLOYMENT = [
  'StartDeploymentCommand',
  { ...APP, ConfigurationProfileId: 'prof123', ConfigurationVersion: '3', DeploymentStrategyId: 'imm1234', Description: 'rollback: Threshold Crossed' },
];
const PUT_LATCH = ['PutParameterCommand', { Name: LATCH, Value: expect.stringContaining('"state":"latched"'), Overwrite: true }];
const READS_AFTER = {
  elb: [['DescribeRulesCommand', { RuleArns: [RULE] }]],
  ssm: [['GetParameterCommand', { Name: LATCH }]],
  appconfig: [
    ['ListDeploymentsCommand', { ...APP, MaxResults: 10 }],
    ['GetHostedConfigurationVersionCommand', { ApplicationId: 'app1234', ConfigurationProfileId: 'prof123', VersionNumber: 3 }],
  ],
};

beforeEach(() => {
  for (const m of ALL) m.reset();
  errors.length = 0;
  sleeps.length = 0;
  metrics.length = 0;
});

describe('a full rollback', () => {
  test('moves traffic first, then flags, then the latch, reads back and reports; exact calls and nothing else', async () => {
    canaryAtTen();
    const result = await performRollback(alarmRequest, deps());

    expect(sent(elb)).toEqual([...READS_BEFORE.elb, MODIFY_RULE, ...READS_AFTER.elb]);
    expect(sent(appconfig)).toEqual([...READS_BEFORE.appconfig, CREATE_VERSION, START_DEPLOYMENT, ...READS_AFTER.appconfig]);
    expect(sent(ssm)).toEqual([...READS_BEFORE.ssm, PUT_LATCH, ...READS_AFTER.ssm]);
    expect(sent(events)).toEqual([
      ['PutEventsCommand', { Entries: [{ Source: 'mcp-rollout', DetailType: 'rollback_completed', Detail: expect.any(String), EventBusName: 'default' }] }],
    ]);
    expect(sent(sns)).toEqual([['PublishCommand', { TopicArn: TOPIC, Subject: '[mcp-rollout production] rolled back to stable', Message: expect.any(String) }]]);

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
    expect(result.after?.flags).toMatchObject({ hierarchical_tools_enabled: false, enumdescriptions_validation: false, auto_correction_enabled: true });
    const latch = JSON.parse((ssm.commandCalls(PutParameterCommand)[0]!.args[0].input.Value as string));
    expect(latch).toEqual({ state: 'latched', reason: 'Threshold Crossed', requestedBy: TRIGGER, time: '2026-11-24T10:00:00.200Z' });
    // The clock ticks 100 ms per reading: start, traffic moved, latch written.
    expect(metrics).toEqual([['TimeToStableMs', 100], ['RollbackCompleted', 1]]);
  });

  test('the notification says what was before and after', async () => {
    canaryAtTen();
    await performRollback(alarmRequest, deps());
    const message = sns.commandCalls(PublishCommand)[0]!.args[0].input.Message!;
    expect(message).toContain(`Trigger: alarm ${TRIGGER}: Threshold Crossed`);
    expect(message).toContain('Before: stable 90 / canary 10, latch clear');
    expect(message).toContain('After:  stable 100 / canary 0, latch set');
    expect(message).toContain('traffic: done - weights stable 90 / canary 10 -> stable 100 / canary 0');
    const detail = JSON.parse(events.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!.Detail!) as RollbackResult;
    expect(detail.outcome).toBe('rolled_back');
  });
});

describe('idempotence and dry run', () => {
  test('already rolled back: reads only, changes nothing and says so', async () => {
    elb.on(DescribeRulesCommand).resolves(rules(100, 0));
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: latchedValue } });
    appconfig.on(ListDeploymentsCommand).resolves({ Items: [{ DeploymentNumber: 4, State: 'COMPLETE', ConfigurationVersion: '3' }] });
    appconfig.on(GetHostedConfigurationVersionCommand).resolves(content(OFF));

    const result = await performRollback(alarmRequest, deps());
    expect(result.outcome).toBe('already_rolled_back');
    expect(result.steps.map((s) => s.status)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(sent(elb)).toEqual(READS_BEFORE.elb);
    expect(sent(ssm)).toEqual(READS_BEFORE.ssm);
    expect(sent(appconfig)).toEqual([READS_BEFORE.appconfig[0], ['GetHostedConfigurationVersionCommand', { ApplicationId: 'app1234', ConfigurationProfileId: 'prof123', VersionNumber: 3 }]]);
    expect(sent(sns)).toEqual([]);
    expect(sent(events)).toEqual([]);
    expect(metrics).toEqual([['RollbackAlreadyDone', 1]]);
  });

  test('traffic already on stable but flags on: only the flags and the latch change', async () => {
    canaryAtTen();
    elb.on(DescribeRulesCommand).resolves(rules(100, 0));
    const result = await performRollback(alarmRequest, deps());
    expect(result.steps.map((s) => [s.step, s.status])).toEqual([
      ['traffic', 'unchanged'],
      ['flags', 'done'],
      ['latch', 'done'],
      ['verify', 'done'],
      ['report', 'done'],
    ]);
    expect(elb.commandCalls(ModifyRuleCommand)).toHaveLength(0);
  });

  test('dry run: reads the state, reports the plan, writes nothing', async () => {
    canaryAtTen();
    const result = await performRollback({ kind: 'manual', requestedBy: 'alice', reason: 'game day', dryRun: true }, deps());
    expect(result.outcome).toBe('dry_run');
    expect(result.steps).toEqual([
      { step: 'traffic', status: 'skipped', detail: 'would move traffic from canary 10 % to stable' },
      { step: 'flags', status: 'skipped', detail: 'would turn off hierarchical_tools_enabled, enumdescriptions_validation with the immediate strategy' },
      { step: 'latch', status: 'skipped', detail: `would set ${LATCH}` },
    ]);
    expect(sent(elb)).toEqual(READS_BEFORE.elb);
    expect(sent(ssm)).toEqual(READS_BEFORE.ssm);
    expect(sent(appconfig)).toEqual(READS_BEFORE.appconfig);
    expect(sent(sns)).toEqual([]);
    expect(sent(events)).toEqual([]);
  });
});

describe('flag deployments in the way', () => {
  test('a deployment in progress is stopped before the rollback version is deployed', async () => {
    canaryAtTen();
    appconfig.on(ListDeploymentsCommand).resolvesOnce({
      Items: [
        { DeploymentNumber: 5, State: 'BAKING', ConfigurationVersion: '2' },
        { DeploymentNumber: 3, State: 'COMPLETE', ConfigurationVersion: '1' },
      ],
    })
      .resolves({ Items: [{ DeploymentNumber: 6, State: 'DEPLOYING', ConfigurationVersion: '3' }] });
    appconfig.on(StopDeploymentCommand).resolves({});
    await performRollback(alarmRequest, deps());
    expect(sent(appconfig).slice(2, 5)).toEqual([['StopDeploymentCommand', { ...APP, DeploymentNumber: 5 }], CREATE_VERSION, START_DEPLOYMENT]);
  });

  test('ConflictException on StartDeployment: stops the deployment that started meanwhile, starts again', async () => {
    canaryAtTen();
    appconfig
      .on(StartDeploymentCommand)
      .rejectsOnce(new ConflictException({ message: 'Deployment number 6 is in progress', $metadata: {} }))
      .resolves({ DeploymentNumber: 7, State: 'DEPLOYING' });
    appconfig.on(ListDeploymentsCommand).resolvesOnce({ Items: [{ DeploymentNumber: 3, State: 'COMPLETE', ConfigurationVersion: '2' }] }).resolvesOnce({
      Items: [{ DeploymentNumber: 6, State: 'DEPLOYING', ConfigurationVersion: '2' }],
    })
      .resolves({ Items: [{ DeploymentNumber: 7, State: 'DEPLOYING', ConfigurationVersion: '3' }] });
    appconfig.on(StopDeploymentCommand).resolves({});
    const result = await performRollback(alarmRequest, deps());
    expect(sent(appconfig).slice(2, 7)).toEqual([
      CREATE_VERSION,
      START_DEPLOYMENT,
      ['ListDeploymentsCommand', { ...APP, MaxResults: 10 }],
      ['StopDeploymentCommand', { ...APP, DeploymentNumber: 6 }],
      START_DEPLOYMENT,
    ]);
    expect(result.steps[1]).toEqual({ step: 'flags', status: 'done', detail: 'hosted version 3 with hierarchical_tools_enabled, enumdescriptions_validation off, deployment 7 (immediate)' });
  });
});

describe('failures', () => {
  test('throttling is retried with backoff, then succeeds', async () => {
    canaryAtTen();
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    elb.on(ModifyRuleCommand).rejectsOnce(throttled).rejectsOnce(throttled).resolves({});
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    const result = await performRollback(alarmRequest, deps());
    jest.restoreAllMocks();
    expect(result.outcome).toBe('rolled_back');
    expect(sent(elb)).toEqual([...READS_BEFORE.elb, MODIFY_RULE, MODIFY_RULE, MODIFY_RULE, ...READS_AFTER.elb]);
    expect(sleeps).toEqual([100, 200]);
  });

  test('the ELB call failing: the flags and the latch still change, the failure is reported and thrown', async () => {
    canaryAtTen();
    elb.on(DescribeRulesCommand).resolves(rules(90, 10));
    elb.on(ModifyRuleCommand).rejects(Object.assign(new Error('not authorized to perform elasticloadbalancing:ModifyRule'), { name: 'AccessDenied' }));
    const error = await performRollback(alarmRequest, deps()).catch((e: unknown) => e);
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
    expect(sent(elb)).toEqual([...READS_BEFORE.elb, MODIFY_RULE, ...READS_AFTER.elb]);
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input.Subject).toBe('[mcp-rollout production] rollback incomplete');
    expect(events.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!.DetailType).toBe('rollback_failed');
    expect(errors).toEqual(['rollback step traffic failed']);
  });

  test('AppConfig failing after traffic moved: the weights stay on stable, the latch is set, the failure is thrown', async () => {
    canaryAtTen();
    appconfig.on(CreateHostedConfigurationVersionCommand).rejects(new InternalServerException({ message: 'internal error', $metadata: {} }));
    const error = (await performRollback(alarmRequest, deps()).catch((e: unknown) => e)) as RollbackFailed;
    expect(error.message).toBe('rollback of production incomplete: flags: InternalServerException: internal error');
    expect(error.result.steps.map((s) => [s.step, s.status])).toEqual([
      ['traffic', 'done'],
      ['flags', 'failed'],
      ['latch', 'done'],
      ['verify', 'done'],
      ['report', 'done'],
    ]);
    // One ModifyRule, both weights at once: never a half-changed rule.
    expect(elb.commandCalls(ModifyRuleCommand)).toHaveLength(1);
    expect(appconfig.commandCalls(StartDeploymentCommand)).toHaveLength(0);
  });
});

describe('accepted inputs', () => {
  const triggers = new Set([TRIGGER]);

  test('the CloudWatch alarm Lambda action', () => {
    expect(
      parseRollbackEvent(
        {
          source: 'aws.cloudwatch',
          alarmArn: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${TRIGGER}`,
          alarmData: { alarmName: TRIGGER, state: { value: 'ALARM', reason: 'Threshold Crossed' }, previousState: { value: 'OK' } },
        },
        triggers,
      ),
    ).toEqual({ kind: 'alarm', alarmName: TRIGGER, reason: 'Threshold Crossed', via: 'lambda-action', dryRun: false });
  });

  test('the same alarm through SNS', () => {
    const message = JSON.stringify({ AlarmName: TRIGGER, NewStateValue: 'ALARM', OldStateValue: 'OK', NewStateReason: 'Threshold Crossed' });
    expect(parseRollbackEvent({ Records: [{ EventSource: 'aws:sns', Sns: { Message: message } }] }, triggers)).toEqual({
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
        triggers,
      ),
    ).toEqual({ kind: 'alarm', alarmName: TRIGGER, reason: 'Threshold Crossed', via: 'eventbridge', dryRun: false });
  });

  test('a manual request, with and without dry run', () => {
    expect(parseRollbackEvent({ action: 'rollback', reason: 'bad canary', requestedBy: 'alice' }, triggers)).toEqual({
      kind: 'manual',
      reason: 'bad canary',
      requestedBy: 'alice',
      dryRun: false,
    });
    expect(parseRollbackEvent({ action: 'rollback', reason: 'drill', requestedBy: 'bob', dryRun: true }, triggers)).toMatchObject({ dryRun: true });
  });
});

describe('refused inputs change nothing', () => {
  const triggers = new Set([TRIGGER]);
  const alarmAction = (alarmName: string, value: string, previous = 'OK') => ({
    source: 'aws.cloudwatch',
    alarmData: { alarmName, state: { value, reason: 'r' }, previousState: { value: previous } },
  });

  test.each([
    ['an OK transition', alarmAction(TRIGGER, 'OK', 'ALARM'), `alarm "${TRIGGER}" moved to OK, not ALARM: nothing to do`],
    ['INSUFFICIENT_DATA', alarmAction(TRIGGER, 'INSUFFICIENT_DATA'), `alarm "${TRIGGER}" moved to INSUFFICIENT_DATA, not ALARM: nothing to do`],
    ['ALARM to ALARM', alarmAction(TRIGGER, 'ALARM', 'ALARM'), `alarm "${TRIGGER}" was already in ALARM: not a new transition`],
    ['an unknown alarm', alarmAction('someone-elses-alarm', 'ALARM'), `alarm "someone-elses-alarm" is not a rollback trigger of this environment (known: ${TRIGGER})`],
    ['bad JSON in SNS', { Records: [{ EventSource: 'aws:sns', Sns: { Message: '{not json' } }] }, 'Records[0].Sns.Message is not JSON: {not json'],
    ['two SNS records', { Records: [{}, {}] }, 'SNS event must hold exactly one record, got 2'],
    ['an alarm without a name', { source: 'aws.cloudwatch', alarmData: { state: { value: 'ALARM' } } }, 'alarmData.alarmName must be a non-empty string, got nothing'],
    ['a wrong action', { action: 'deploy', reason: 'x', requestedBy: 'y' }, 'action must be "rollback", got "deploy"'],
    ['a manual request without a reason', { action: 'rollback', requestedBy: 'alice' }, 'manual request.reason must be a non-empty string, got nothing'],
    ['an unknown manual field', { action: 'rollback', reason: 'x', requestedBy: 'y', force: true }, 'manual request has unknown field(s) force; allowed: action, reason, requestedBy, dryRun'],
    ['dryRun as a string', { action: 'rollback', reason: 'x', requestedBy: 'y', dryRun: 'yes' }, 'manual request.dryRun must be true or false, got "yes"'],
    ['not an object', 'rollback please', 'event must be a JSON object, got "rollback please"'],
    ['an unrelated event', { source: 'aws.s3', detail: {} }, 'event is none of: a CloudWatch alarm action, an SNS alarm notification, an EventBridge alarm state change, or { action: "rollback", reason, requestedBy }'],
  ])('%s', (_name, event, message) => {
    expect(() => parseRollbackEvent(event, triggers)).toThrow(new RejectedInput(message));
  });
});

describe('the handler', () => {
  let handler: (event: unknown) => Promise<RollbackResult>;
  beforeAll(() => {
    Object.assign(process.env, ENV);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after the environment is set, as Lambda does
    handler = (require('../lambda/rollback/index') as typeof import('../lambda/rollback/index')).handler;
  });

  test('refuses a bad input with a result, not a throw, and calls nothing', async () => {
    const result = await handler({ action: 'rollback' });
    expect(result).toEqual({ outcome: 'rejected', environment: 'production', steps: [], durationMs: 0, error: 'manual request.reason must be a non-empty string, got nothing' });
    for (const m of ALL) expect(m.calls()).toHaveLength(0);
  });

  test('rolls back on an alarm delivered through SNS', async () => {
    canaryAtTen();
    const message = JSON.stringify({ AlarmName: TRIGGER, NewStateValue: 'ALARM', OldStateValue: 'OK', NewStateReason: 'Threshold Crossed' });
    const result = await handler({ Records: [{ EventSource: 'aws:sns', Sns: { Message: message } }] });
    expect(result.outcome).toBe('rolled_back');
    expect(result.trigger).toEqual({ kind: 'alarm', name: TRIGGER, reason: 'Threshold Crossed' });
    expect(elb.commandCalls(ModifyRuleCommand)).toHaveLength(1);
  });

  test('throws when the rollback is incomplete, so the retries and the on-failure destination run', async () => {
    canaryAtTen();
    elb.on(ModifyRuleCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    await expect(handler({ action: 'rollback', reason: 'bad canary', requestedBy: 'alice' })).rejects.toThrow('rollback of production incomplete: traffic: AccessDenied: denied');
  });
});

describe('configuration', () => {
  test('names every missing or bad variable at once', () => {
    expect(() => readConfig({ ...ENV, TRAFFIC_RULE_ARN: undefined, ROLLBACK_FLAGS: 'hierarchical_tools', MCP_ENVIRONMENT: 'dev' })).toThrow(
      [
        'rollback function misconfigured (redeploy the Service stack):',
        '  - MCP_ENVIRONMENT must be one of staging, production, got "dev"',
        '  - TRAFFIC_RULE_ARN is not set',
        '  - ROLLBACK_FLAGS: unknown flag "hierarchical_tools"; the flags are hierarchical_tools_enabled, enumdescriptions_validation, auto_correction_enabled, enhanced_error_messages, performance_monitoring',
      ].join('\n'),
    );
  });
});
