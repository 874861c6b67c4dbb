import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { App, Stack, Stage } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as cr from 'aws-cdk-lib/custom-resources';
import { synthesize } from './helpers/app';
import { alarmsByName } from './helpers/alarms';
import { testConfig } from './helpers/config';
import { dependsOn, evaluate, logicalIdOf, resourceOf } from './helpers/template';
import { serviceTemplateOutcome } from './fakes/aws-state';
import { STACK_STATUSES_TO_ENFORCE } from '../lib/shared/aws-events';
import { buildFlagDocument, serializeFlagDocument } from '../lib/shared/feature-flags';
import { LATCH_CLEAR, ROLLBACK_CALL_LIMITS, TIME_TO_SAFE, trafficStepWorstCaseMs } from '../lib/shared/rollback-contract';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- CloudFormation JSON is untyped

const synthesized = synthesize(testConfig());
const production = synthesized.service.production;
const stage = synthesized.rollout.stages.production;
const stack = stage.serviceStack;
const fnId = logicalIdOf(stack.rollback.function);
const fnArn = { 'Fn::GetAtt': [fnId, 'Arn'] };
const alarms = alarmsByName(production);
const triggerNames = Object.keys(alarms).filter((n) => n.endsWith('-trigger'));
const LATCHED = JSON.stringify({ state: 'latched', reason: 'r', requestedBy: 'x', time: '2026-11-24T10:00:00Z' });
const LATCH_NAME = '/mcp-rollout/production/rollback-latch';

/**
 * The resources of a template that would write the latch parameter during a stack update: an
 * AWS::SSM::Parameter of that name (its Value is written whenever the resource changes), or a
 * custom resource whose Update call puts it.
 */
function latchWriters(template: Template): string[] {
  const resources = template.toJSON().Resources as Record<string, Json>;
  return Object.entries(resources)
    .filter(([, r]) => {
      if (r.Type === 'AWS::SSM::Parameter') return JSON.stringify(r.Properties.Name ?? '').includes(LATCH_NAME);
      if (r.Type === 'Custom::AWS' || String(r.Type).startsWith('Custom::')) return JSON.stringify(r.Properties.Update ?? '').includes('putParameter');
      return false;
    })
    .map(([id]) => id);
}

describe('the rollback latch (D2)', () => {
  test('lives in its own State stack, created "clear" once by a create-only custom resource, deployed before the Service stack', () => {
    const state = Template.fromStack(stage.stateStack);
    const [resource, ...others] = Object.values(state.findResources('Custom::AWS')) as Json[];
    expect(others).toEqual([]);
    expect(JSON.parse(resource!.Properties.Create)).toEqual({
      service: 'SSM',
      action: 'putParameter',
      parameters: {
        Name: '/mcp-rollout/production/rollback-latch',
        Value: 'clear',
        Type: 'String',
        Overwrite: false,
        Description: expect.stringContaining('mcp-rollout production'),
      },
      physicalResourceId: { id: '/mcp-rollout/production/rollback-latch' },
      // A latch left by an earlier State stack (retained on delete) keeps its value.
      ignoreErrorCodesMatching: 'ParameterAlreadyExists',
    });
    expect(resource!.Properties.Update).toBeUndefined();
    expect(resource!.Properties.Delete).toBeUndefined();
    expect(stack.dependencies).toEqual([stage.stateStack]);
  });

  test('no State stack update can write the latch back to "clear" (issue 11 item 7)', () => {
    expect(latchWriters(Template.fromStack(stage.stateStack))).toEqual([]);
  });

  test.each([
    ['an AWS::SSM::Parameter (CloudFormation writes its Value on any change to the resource)', (s: Stack) => new ssm.StringParameter(s, 'Latch', { parameterName: LATCH_NAME, stringValue: LATCH_CLEAR })],
    [
      'a custom resource that writes on update',
      (s: Stack) =>
        new cr.AwsCustomResource(s, 'Latch', {
          onUpdate: { service: 'SSM', action: 'putParameter', parameters: { Name: LATCH_NAME, Value: LATCH_CLEAR, Overwrite: true }, physicalResourceId: cr.PhysicalResourceId.of(LATCH_NAME) },
          policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: cr.AwsCustomResourcePolicy.ANY_RESOURCE }),
        }),
    ],
  ])('negative control: the check catches %s', (_name, build) => {
    const s = new Stack(new App(), 'Bad');
    build(s);
    expect(latchWriters(Template.fromStack(s))).toHaveLength(1);
  });

  test('every deploy reads it through an SSM-typed parameter', () => {
    expect(production.toJSON().Parameters.RollbackLatch).toMatchObject({
      Type: 'AWS::SSM::Parameter::Value<String>',
      Default: '/mcp-rollout/production/rollback-latch',
    });
  });

  const weights = (params: Record<string, string>) => {
    const rule = resourceOf(production, stack.service.trafficRule) as Json;
    const [stable, canary] = rule.Properties.Actions[0].ForwardConfig.TargetGroups as Json[];
    return [evaluate(production, stable!.Weight, params), evaluate(production, canary!.Weight, params)];
  };

  test.each(['0', '10', '50', '100'])('while latched, CanaryTraffic=%s still resolves to stable 100, canary 0', (percent) => {
    expect(weights({ CanaryTraffic: percent, RollbackLatch: LATCHED })).toEqual([100, 0]);
    expect(weights({ CanaryTraffic: percent, RollbackLatch: 'something an operator typed' })).toEqual([100, 0]);
  });

  test('with the latch clear, CanaryTraffic decides', () => {
    expect(weights({ CanaryTraffic: '50', RollbackLatch: 'clear' })).toEqual([50, 50]);
  });

  test('while latched, the deployed flag document keeps the rollback flags off', () => {
    const version = Object.values(production.findResources('AWS::AppConfig::HostedConfigurationVersion'))[0] as Json;
    const values = (latch: string) => JSON.parse(evaluate(production, version.Properties.Content, { RollbackLatch: latch }) as string).values;
    expect(values(LATCHED)).toEqual({
      hierarchical_tools_enabled: { enabled: false },
      enumdescriptions_validation: { enabled: false },
      auto_correction_enabled: { enabled: true },
      enhanced_error_messages: { enabled: true },
      performance_monitoring: { enabled: true },
    });
    expect(values('clear').hierarchical_tools_enabled).toEqual({ enabled: true });
  });
});

describe('the rollback function', () => {
  test('runs on the current Node.js runtime on ARM64 with a 30 s timeout, and reserves no concurrency (issue 11 item 6)', () => {
    production.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'mcp-rollout-production-rollback',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 30,
      // Reserving any fails the deploy where the account keeps fewer than 100 unreserved
      // executions after it, and throttles a manual rollback during an automatic one.
      ReservedConcurrentExecutions: Match.absent(),
    });
  });

  test('bundles the AWS SDK clients it uses, minified: it runs the versions package-lock.json pins, not the runtime\'s', () => {
    const asset = stack.rollback.function.node.findChild('Code') as s3assets.Asset;
    const dir = path.isAbsolute(asset.assetPath) ? asset.assetPath : path.join(Stage.of(stack)!.outdir, asset.assetPath);
    const files = readdirSync(dir);
    expect(files).toEqual(['index.mjs']);
    const bundle = readFileSync(path.join(dir, 'index.mjs'), 'utf8');
    // Nothing is left for the runtime to resolve but Node.js built-ins (a `require("@aws-sdk/...")`
    // in square brackets is the text of an SDK error message, not a call).
    const specifiers = [...bundle.matchAll(/(?:\bfrom\s*|\bimport\(\s*|(?<!\[)\brequire\(\s*)["']([^"']+)["']/g)].map((m) => m[1]);
    expect(specifiers.filter((s) => !s!.startsWith('node:') && s !== 'module')).toEqual([]);
    // The ELB operation it sends is in the bundle (a small check: a failure must not print 500 KB).
    expect(bundle.includes('"ModifyRule"')).toBe(true);
    // Minified: a few long lines, no source map.
    expect(bundle.split('\n').length).toBeLessThan(200);
    expect(bundle.includes('sourceMappingURL')).toBe(false);
    expect(statSync(path.join(dir, 'index.mjs')).size).toBeLessThan(1024 * 1024);
  });

  test('retries twice when it fails, then tells the critical topic', () => {
    production.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: fnId },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: { Ref: logicalIdOf(stack.notifications.topics.critical) } } },
    });
  });

  test('knows its resources from the environment, and the trigger alarm names', () => {
    const env = (resourceOf(production, stack.rollback.function) as Json).Properties.Environment.Variables;
    expect(env).toMatchObject({
      MCP_ENVIRONMENT: 'production',
      TRAFFIC_RULE_ARN: { 'Fn::GetAtt': [logicalIdOf(stack.service.trafficRule), 'RuleArn'] },
      ROLLBACK_FLAGS: 'hierarchical_tools_enabled,enumdescriptions_validation',
      LATCH_PARAMETER: '/mcp-rollout/production/rollback-latch',
      CRITICAL_TOPIC_ARN: { Ref: logicalIdOf(stack.notifications.topics.critical) },
      SERVICE_STACK_NAME: 'Production-Service',
      MONITOR_ALARM_NAME: 'mcp-rollout-production-service-any-rollback-trigger-trigger',
    });
    expect((env.TRIGGER_ALARM_NAMES as string).split(',').sort()).toEqual(triggerNames.sort());
  });

  test('may touch only this environment: the exact actions and resources', () => {
    const roleId = logicalIdOf(stack.rollback.function.role!);
    const policies = Object.values(production.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } })) as Json[];
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Json[]);
    const arn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':appconfig:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ...rest.split('|').map((p) => (p.startsWith('@') ? { Ref: p.slice(1) } : p))]] });
    const app = `@${logicalIdOf(stack.flags.application)}`;
    const env = `@${logicalIdOf(stack.flags.environment)}`;
    const profile = `@${logicalIdOf(stack.flags.profile.node.findChild('ConfigurationProfile'))}`;
    const key = { 'Fn::GetAtt': [logicalIdOf(stack.notifications.key), 'Arn'] };
    // Order is CloudFormation's business: compare statements, actions and resources as sets.
    const norm = (list: Json[]) =>
      list
        .map((st) => ({ Effect: st.Effect, Action: [st.Action].flat().sort(), Resource: [st.Resource].flat().map((r) => JSON.stringify(r)).sort() }))
        .map((st) => JSON.stringify(st))
        .sort();
    expect(norm(statements)).toEqual(norm([
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [logicalIdOf(stack.rollback.node.findChild('Logs')), 'Arn'] } },
      { Effect: 'Allow', Action: 'elasticloadbalancing:ModifyRule', Resource: { 'Fn::GetAtt': [logicalIdOf(stack.service.trafficRule), 'RuleArn'] } },
      { Effect: 'Allow', Action: ['appconfig:CreateHostedConfigurationVersion', 'appconfig:ListHostedConfigurationVersions'], Resource: arn(`:application/|${app}|/configurationprofile/|${profile}`) },
      { Effect: 'Allow', Action: 'appconfig:GetHostedConfigurationVersion', Resource: arn(`:application/|${app}|/configurationprofile/|${profile}|/hostedconfigurationversion/*`) },
      { Effect: 'Allow', Action: 'appconfig:ListDeployments', Resource: arn(`:application/|${app}|/environment/|${env}`) },
      { Effect: 'Allow', Action: ['appconfig:StopDeployment', 'appconfig:GetDeployment'], Resource: arn(`:application/|${app}|/environment/|${env}|/deployment/*`) },
      {
        Effect: 'Allow',
        Action: 'appconfig:StartDeployment',
        Resource: [arn(`:application/|${app}|/environment/|${env}`), arn(`:application/|${app}|/configurationprofile/|${profile}`), arn(`:deploymentstrategy/|@${logicalIdOf(stack.flags.immediateStrategy)}`)],
      },
      {
        Effect: 'Allow',
        Action: ['ssm:GetParameter', 'ssm:GetParameterHistory', 'ssm:PutParameter'],
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':parameter/mcp-rollout/production/rollback-latch']] },
      },
      {
        // The release history: read that it exists, append one version (no history read, no delete).
        Effect: 'Allow',
        Action: ['ssm:GetParameter', 'ssm:PutParameter'],
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':parameter/mcp-rollout/production/release-history']] },
      },
      { Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: logicalIdOf(stack.notifications.topics.critical) } },
      { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: key },
      {
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':event-bus/default']] },
      },
      { Effect: 'Allow', Action: 'elasticloadbalancing:DescribeRules', Resource: '*' },
      {
        // Before its flag deployment, on the monitor only; it never enables them (resume does, as the operator).
        Effect: 'Allow',
        Action: 'cloudwatch:DisableAlarmActions',
        Resource: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:mcp-rollout-production-service-any-rollback-trigger-trigger']],
        },
      },
    ]));
  });

  test("the monitor's ARN in the function's policy is the composite alarm AppConfig monitors", () => {
    const monitors = (resourceOf(production, stack.flags.environment) as Json).Properties.Monitors as Json[];
    const roleId = logicalIdOf(stack.rollback.function.role!);
    const policies = Object.values(production.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } })) as Json[];
    const disable = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Json[]).find((st) => st.Action === 'cloudwatch:DisableAlarmActions')!;
    expect(monitors.map((m) => m.AlarmArn)).toEqual([disable.Resource]);
  });
});

describe('the enforce path: stack operations and flag deployments that end invoke the function (issue 11 item 5)', () => {
  const rules = Object.entries(production.findResources('AWS::Events::Rule')).filter(([, r]) => JSON.stringify(r.Properties.Targets).includes(fnId));
  const ruleFor = (source: string) => rules.find(([, r]) => r.Properties.EventPattern.source[0] === source)!;

  test('exactly two rules target the function', () => {
    expect(rules.map(([, r]) => r.Properties.EventPattern.source[0]).sort()).toEqual(['aws.appconfig', 'aws.cloudformation']);
  });

  test("this stack's status changes that end an operation", () => {
    const [id, rule] = ruleFor('aws.cloudformation');
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.cloudformation'],
      'detail-type': ['CloudFormation Stack Status Change'],
      detail: { 'stack-id': [{ Ref: 'AWS::StackId' }], 'status-details': { status: [...STACK_STATUSES_TO_ENFORCE] } },
    });
    expect(rule.Properties.Targets).toEqual([
      { Id: 'Target0', Arn: fnArn, RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 } },
    ]);
    production.hasResourceProperties('AWS::Lambda::Permission', { Action: 'lambda:InvokeFunction', FunctionName: fnArn, Principal: 'events.amazonaws.com', SourceArn: { 'Fn::GetAtt': [id, 'Arn'] } });
  });

  test("this AppConfig environment's flag deployments that start, complete or roll back (the EventBridge extension's events)", () => {
    const [id, rule] = ruleFor('aws.appconfig');
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.appconfig'],
      'detail-type': ['On Deployment Start', 'On Deployment Complete', 'On Deployment Rollback'],
      detail: { Environment: { Id: [{ Ref: logicalIdOf(stack.flags.environment) }] } },
    });
    expect(rule.Properties.Targets).toEqual([
      { Id: 'Target0', Arn: fnArn, RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 } },
    ]);
    production.hasResourceProperties('AWS::Lambda::Permission', { Action: 'lambda:InvokeFunction', FunctionName: fnArn, Principal: 'events.amazonaws.com', SourceArn: { 'Fn::GetAtt': [id, 'Arn'] } });
  });
});

describe('the flag deployment CloudFormation makes (issue 11 item 8)', () => {
  const deployment = Object.values(production.findResources('AWS::AppConfig::Deployment'))[0] as Json;

  test('starts only once its monitor and the EventBridge extension association exist, with no dependency cycle (issue 11 review, item 5)', () => {
    // Without them CloudFormation may start the first deployment first: unwatched, and unannounced
    // (no event reaches the info topic or the enforce path) (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-dependson.html).
    const resources = production.toJSON().Resources as Record<string, Json>;
    const [deploymentId] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::AppConfig::Deployment')!;
    const [associationId] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::AppConfig::ExtensionAssociation')!;
    const monitorId = logicalIdOf(stack.rollback.anyTrigger);
    expect(deployment.DependsOn).toEqual(expect.arrayContaining([monitorId, associationId]));
    expect(dependsOn(production, monitorId, deploymentId)).toBe(false);
    expect(dependsOn(production, associationId, deploymentId)).toBe(false);
    // No cycle anywhere: Template refuses an undeployable template, as this negative control shows.
    expect(() => Template.fromJSON({ Resources: { ...resources, [monitorId]: { ...resources[monitorId], DependsOn: [deploymentId] } } })).toThrow(/dependency cycle/);
  });
  const version = Object.values(production.findResources('AWS::AppConfig::HostedConfigurationVersion'))[0] as Json;
  const gradual = logicalIdOf(stack.flags.gradualStrategy);
  const immediate = logicalIdOf(stack.flags.immediateStrategy);

  test('while latched it uses the immediate strategy: the rolled-back document is already live, and the next deploy is not blocked by a bake', () => {
    expect(deployment.Properties.DeploymentStrategyId).toEqual({ 'Fn::If': ['IsRolledBack', { Ref: immediate }, { Ref: gradual }] });
  });

  test.each([
    ['10', 'clear'],
    ['50', 'clear'],
    ['0', LATCHED],
    ['50', LATCHED],
  ])("the fake's model of this template is the template: CanaryTraffic %s, latch %s", (percent, latch) => {
    const params = { CanaryTraffic: percent, RollbackLatch: latch, [gradual]: 'grad123', [immediate]: 'imm1234' };
    const rule = resourceOf(production, stack.service.trafficRule) as Json;
    const [stable, canary] = rule.Properties.Actions[0].ForwardConfig.TargetGroups as Json[];
    const config = testConfig().environments.production;
    const model = {
      configuredDocument: serializeFlagDocument(buildFlagDocument(config.flags.initialValues)),
      rollbackFlags: config.flags.rollbackFlags,
      gradualStrategyId: 'grad123',
      immediateStrategyId: 'imm1234',
    };
    expect({
      weights: { stable: evaluate(production, stable!.Weight, params), canary: evaluate(production, canary!.Weight, params) },
      flagContent: evaluate(production, version.Properties.Content, params),
      flagStrategyId: evaluate(production, deployment.Properties.DeploymentStrategyId, params),
    }).toEqual(serviceTemplateOutcome(model, Number(percent), latch));
  });
});

describe('trigger alarms', () => {
  test('are exactly the seed triggers on the canary and the service', () => {
    expect(triggerNames.sort()).toEqual(
      ['canary', 'service'].flatMap((s) => ['availability', 'error-rate', 'llm-success-rate', 'response-time-p95'].map((k) => `mcp-rollout-production-${s}-${k}-trigger`)).sort(),
    );
  });

  test.each(triggerNames)('%s invokes the function directly and CloudWatch alarms may invoke it', (name) => {
    expect(alarms[name]!.AlarmActions).toContainEqual(fnArn);
    const alarmId = Object.entries(production.findResources('AWS::CloudWatch::Alarm')).find(([, r]) => r.Properties.AlarmName === name)![0];
    production.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: fnArn,
      Principal: 'lambda.alarms.cloudwatch.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [alarmId, 'Arn'] },
    });
  });

  test('one composite of all of them is the AppConfig monitor', () => {
    const composite = Object.values(production.findResources('AWS::CloudWatch::CompositeAlarm'))[0] as Json;
    expect(composite.Properties.AlarmName).toBe('mcp-rollout-production-service-any-rollback-trigger-trigger');
    const rule = JSON.stringify(composite.Properties.AlarmRule);
    expect(rule.match(/ALARM\(/g)).toHaveLength(8);
    // No actions of its own: disabling them (the rollback does, so AppConfig keeps its flag
    // deployment) silences nothing else; only AppConfig reads it. ActionsEnabled is left to its default (true).
    for (const key of ['AlarmActions', 'OKActions', 'InsufficientDataActions', 'ActionsEnabled']) expect([key, composite.Properties[key]]).toEqual([key, undefined]);
  });

  test('the function failing pages the critical topic', () => {
    expect(alarms['mcp-rollout-production-service-rollback-function-errors-critical']).toMatchObject({
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId } }],
      Statistic: 'Sum',
      Period: 60,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: logicalIdOf(stack.notifications.topics.critical) }],
    });
  });
});

describe('time to safe, computed from the template', () => {
  const fn = (resourceOf(production, stack.rollback.function) as Json).Properties;
  const immediate = (resourceOf(production, stack.flags.immediateStrategy) as Json).Properties;
  const taskDef = resourceOf(production, stack.service.slots.canary.taskDefinition) as Json;
  const agent = (taskDef.Properties.ContainerDefinitions as Json[]).find((c) => c.Name === 'appconfig-agent')!;
  const pollSeconds = Number((agent.Environment as Json[]).find((e) => e.Name === 'POLL_INTERVAL')!.Value);

  const toStable = TIME_TO_SAFE.alarmActionDispatchSeconds + fn.Timeout;
  const flagsOff = toStable + (immediate.DeploymentDurationInMinutes + immediate.FinalBakeTimeInMinutes) * 60 + pollSeconds;

  test.each([
    ['llm-success-rate', 300],
    ['response-time-p95', 180],
    ['error-rate', 120],
    ['availability', 300],
  ])('%s: detection %ds, then stable within 60 s and flags off within 2 min, by the direct action', (kpi, detection) => {
    for (const scope of ['canary', 'service']) {
      const alarm = alarms[`mcp-rollout-production-${scope}-${kpi}-trigger`]!;
      const period = (alarm.Metrics as Json[]).find((q) => q.MetricStat)!.MetricStat.Period as number;
      expect(period * alarm.DatapointsToAlarm).toBe(detection);
      expect(alarm.AlarmActions).toContainEqual(fnArn);
    }
    expect(toStable).toBeLessThanOrEqual(TIME_TO_SAFE.trafficOnStableSeconds);
    expect(flagsOff).toBeLessThanOrEqual(TIME_TO_SAFE.flagsOffEverywhereSeconds);
    expect(Math.max(toStable, flagsOff)).toBeLessThan(TIME_TO_SAFE.rollbackSeconds);
  });

  test("the function's own call limits end the traffic step within its timeout, whatever AWS answers (issue 11 review, item 4)", () => {
    // The reads before the step give up at their deadline; no ModifyRule attempt starts after the
    // step's deadline, and an attempt lasts at most the request timeout (lambda/rollback/clients.ts).
    expect(ROLLBACK_CALL_LIMITS.readsBeforeTrafficMs + ROLLBACK_CALL_LIMITS.requestTimeoutMs).toBeLessThan(ROLLBACK_CALL_LIMITS.trafficStepMs);
    expect(trafficStepWorstCaseMs()).toBeLessThan(fn.Timeout * 1000);
    expect(TIME_TO_SAFE.alarmActionDispatchSeconds * 1000 + trafficStepWorstCaseMs()).toBeLessThanOrEqual(TIME_TO_SAFE.trafficOnStableSeconds * 1000);
    expect(trafficStepWorstCaseMs()).toBe(24_000);
  });

  test('the figures: 40 s to stable, 55 s to flags off', () => {
    expect([toStable, flagsOff]).toEqual([40, 55]);
    expect(immediate).toMatchObject({ DeploymentDurationInMinutes: 0, FinalBakeTimeInMinutes: 0, GrowthFactor: 100 });
  });
});

test('outputs name the function and the latch for the CLI', () => {
  const outputs = production.toJSON().Outputs as Json;
  expect(outputs.RollbackFunctionName.Value).toEqual({ Ref: fnId });
  expect(outputs.LatchParameterName.Value).toBe('/mcp-rollout/production/rollback-latch');
});

test('IsRolledBack is the only condition on a stack parameter, and the flag document goes through it', () => {
  // Other conditions test only pseudo parameters (the access-log bucket's partition).
  const template = production.toJSON() as Json;
  const parameters = Object.keys(template.Parameters as Json);
  const onParameters = Object.entries(template.Conditions as Json)
    .filter(([, condition]) => parameters.some((p) => JSON.stringify(condition).includes(JSON.stringify({ Ref: p }))))
    .map(([name]) => name);
  expect(onParameters).toEqual(['IsRolledBack']);
  expect(production.toJSON().Conditions.IsRolledBack).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'RollbackLatch' }, 'clear'] }] });
  production.hasResourceProperties('AWS::AppConfig::HostedConfigurationVersion', { Content: { 'Fn::If': ['IsRolledBack', Match.anyValue(), Match.anyValue()] } });
});
