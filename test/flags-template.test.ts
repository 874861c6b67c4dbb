import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sns from 'aws-cdk-lib/aws-sns';
import { FeatureFlags } from '../lib/constructs/feature-flags';
import { DEFAULT_FLAG_VALUES } from '../lib/shared/feature-flags';
import { synthesize } from './helpers/app';
import { testConfig } from './helpers/config';
import { evaluate, logicalIdOf, resourceOf } from './helpers/template';
import { appConfigDeploymentEvent, patternMatches } from './helpers/wiring-rules';

// Staging with one flag off and a slower agent, production on the defaults; synthesized once.
const synthesized = synthesize(
  testConfig({
    environments: {
      staging: { flags: { initialValues: { performance_monitoring: false }, agentPollIntervalSeconds: 30 } },
    },
  }),
);
const production = synthesized.service.production;
const staging = synthesized.service.staging;
const prodStack = synthesized.rollout.stages.production.serviceStack;
const flags = prodStack.flags;
// The L2's default child is the hosted version; the profile is its ConfigurationProfile child.
const profileId = logicalIdOf(flags.profile.node.findChild('ConfigurationProfile'));

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- CloudFormation JSON is untyped

const descriptions = {
  hierarchical_tools_enabled: { name: 'Hierarchical tools', description: 'Serve the hierarchical tool tree instead of the flat tool list.' },
  enumdescriptions_validation: {
    name: 'enumDescriptions validation',
    description: 'Validate tool parameters against the seven enumDescriptions before calling a tool.',
  },
  auto_correction_enabled: { name: 'Auto-correction', description: 'Correct near-miss enum values and parameter names instead of failing the call.' },
  enhanced_error_messages: {
    name: 'Enhanced error messages',
    description: 'Return error messages that name the parameter, the value and the allowed values.',
  },
  performance_monitoring: { name: 'Performance monitoring', description: 'Emit per-tool latency and usage metrics.' },
};

/** The ARN of production's AppConfig environment as the template writes it, with `rest` appended. */
function environmentArn(rest: unknown[] = []): Json {
  const prefix = ['arn:', { Ref: 'AWS::Partition' }, ':appconfig:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':application/'];
  return { 'Fn::Join': ['', [...prefix, { Ref: logicalIdOf(flags.application) }, '/environment/', { Ref: logicalIdOf(flags.environment) }, ...rest]] };
}

/** The exact document expected: every flag on except `off`, written out rather than built by the code under test. */
function documentWith(overrides: Record<string, boolean>): Json {
  const values = Object.fromEntries(Object.keys(descriptions).map((k) => [k, { enabled: overrides[k] ?? true }]));
  return { version: '1', flags: descriptions, values };
}

function deployedDocument(template: typeof production): Json {
  const versions = Object.values(template.findResources('AWS::AppConfig::HostedConfigurationVersion')) as Json[];
  expect(versions).toHaveLength(1);
  expect(versions[0]!.Properties.ContentType).toBe('application/json');
  // The content is chosen by the rollback latch; with the latch clear it is the configured document.
  return JSON.parse(evaluate(template, versions[0]!.Properties.Content, { RollbackLatch: 'clear' }) as string) as Json;
}

describe('AppConfig application, environment and profile', () => {
  test('one application and environment per stage, and a feature-flag profile', () => {
    production.hasResourceProperties('AWS::AppConfig::Application', { Name: 'mcp-rollout-production' });
    staging.hasResourceProperties('AWS::AppConfig::Application', { Name: 'mcp-rollout-staging' });
    production.hasResourceProperties('AWS::AppConfig::Environment', {
      ApplicationId: { Ref: logicalIdOf(flags.application) },
      Name: 'production',
    });
    production.hasResourceProperties('AWS::AppConfig::ConfigurationProfile', {
      Name: 'feature-flags',
      LocationUri: 'hosted',
      Type: 'AWS.AppConfig.FeatureFlags',
    });
  });

  test('production deploys the seed defaults: every flag on', () => {
    expect(deployedDocument(production)).toEqual(documentWith({}));
  });

  test('staging deploys its own initial values', () => {
    expect(deployedDocument(staging)).toEqual(documentWith({ performance_monitoring: false }));
  });

  test('CloudFormation deploys the document to the environment with the gradual strategy, or the immediate one while latched', () => {
    production.hasResourceProperties('AWS::AppConfig::Deployment', {
      ApplicationId: { Ref: logicalIdOf(flags.application) },
      EnvironmentId: { Ref: logicalIdOf(flags.environment) },
      DeploymentStrategyId: { 'Fn::If': ['IsRolledBack', { Ref: logicalIdOf(flags.immediateStrategy) }, { Ref: logicalIdOf(flags.gradualStrategy) }] },
      ConfigurationVersion: { Ref: Match.anyValue() },
    });
  });
});

describe('deployment strategies', () => {
  test('gradual: 20 % linear steps over 10 minutes, then a 10-minute bake', () => {
    production.hasResourceProperties('AWS::AppConfig::DeploymentStrategy', {
      Name: 'mcp-rollout-production-gradual',
      GrowthType: 'LINEAR',
      GrowthFactor: 20,
      DeploymentDurationInMinutes: 10,
      FinalBakeTimeInMinutes: 10,
      ReplicateTo: 'NONE',
    });
  });

  test('immediate: every target at once, no bake', () => {
    production.hasResourceProperties('AWS::AppConfig::DeploymentStrategy', {
      Name: 'mcp-rollout-production-immediate',
      GrowthType: 'LINEAR',
      GrowthFactor: 100,
      DeploymentDurationInMinutes: 0,
      FinalBakeTimeInMinutes: 0,
      ReplicateTo: 'NONE',
    });
  });
});

describe('AppConfig Agent sidecar', () => {
  const agentPath = {
    'Fn::Join': [
      '',
      [
        '/applications/',
        { Ref: logicalIdOf(flags.application) },
        '/environments/',
        { Ref: logicalIdOf(flags.environment) },
        '/configurations/',
        { Ref: profileId },
      ],
    ],
  };

  test.each(['stable', 'canary'] as const)('runs in the %s slot with its poll interval and prefetch path', (slot) => {
    const containers = (resourceOf(production, prodStack.service.slots[slot].taskDefinition) as Json).Properties
      .ContainerDefinitions as Json[];
    const agent = containers.find((c) => c.Name === 'appconfig-agent');
    expect(agent).toMatchObject({
      Image: 'public.ecr.aws/aws-appconfig/aws-appconfig-agent:2.x',
      Essential: true,
      MemoryReservation: 64,
      PortMappings: [{ ContainerPort: 2772, Protocol: 'tcp' }],
      Environment: [
        { Name: 'POLL_INTERVAL', Value: '15' },
        { Name: 'PREFETCH_LIST', Value: agentPath },
        { Name: 'HTTP_PORT', Value: '2772' },
      ],
    });
    const server = containers.find((c) => c.Name === 'mcp-server');
    expect(server!.DependsOn).toEqual([{ ContainerName: 'appconfig-agent', Condition: 'START' }]);
    expect(server!.Environment).toContainEqual({
      Name: 'MCP_FEATURE_FLAGS_URL',
      Value: {
        'Fn::Join': [
          '',
          [
            'http://localhost:2772/applications/',
            { Ref: logicalIdOf(flags.application) },
            '/environments/',
            { Ref: logicalIdOf(flags.environment) },
            '/configurations/',
            { Ref: profileId },
          ],
        ],
      },
    });
  });

  test('the poll interval comes from the config', () => {
    const agents = Object.values(staging.findResources('AWS::ECS::TaskDefinition')).map(
      (td) => ((td as Json).Properties.ContainerDefinitions as Json[]).find((c) => c.Name === 'appconfig-agent')!,
    );
    expect(agents.map((a) => a.Environment[0])).toEqual([
      { Name: 'POLL_INTERVAL', Value: '30' },
      { Name: 'POLL_INTERVAL', Value: '30' },
    ]);
  });

  test.each(['stable', 'canary'] as const)('the %s task role may read exactly this application, environment and profile', (slot) => {
    const role = prodStack.service.slots[slot].taskDefinition.taskRole;
    const policies = Object.values(production.findResources('AWS::IAM::Policy')) as Json[];
    const policy = policies.find((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: logicalIdOf(role) }]));
    expect(policy!.Properties.PolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: ['appconfig:GetLatestConfiguration', 'appconfig:StartConfigurationSession'],
        Resource: environmentArn(['/configuration/', { Ref: profileId }]),
      },
    ]);
  });
});

describe('flag deployment events', () => {
  test('started, completed and rolled back of this environment go to the info topic', () => {
    production.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.appconfig'],
        'detail-type': ['On Deployment Start', 'On Deployment Complete', 'On Deployment Rollback'],
        detail: { Application: { Id: [{ Ref: logicalIdOf(flags.application) }] }, Environment: { Id: [{ Ref: logicalIdOf(flags.environment) }] } },
      },
      Targets: [
        {
          Arn: { Ref: logicalIdOf(prodStack.notifications.topics.info) },
          Id: 'Target0',
          InputTransformer: {
            InputPathsMap: { 'detail-type': '$.detail-type', time: '$.time', detail: '$.detail' },
            InputTemplate:
              '{"event":"feature_flag_deployment","environment":"production","state":<detail-type>,"time":<time>,"detail":<detail>}',
          },
        },
      ],
    });
  });

  // AppConfig sends deployment events to the default bus once the AWS-authored EventBridge
  // extension is associated with the application, environment or profile
  // (https://docs.aws.amazon.com/appconfig/latest/userguide/working-with-appconfig-extensions-about-predefined-notification-eventbridge.html).
  test('the AppConfig deployment events to EventBridge extension is associated with this environment', () => {
    production.resourceCountIs('AWS::AppConfig::ExtensionAssociation', 1);
    production.hasResourceProperties('AWS::AppConfig::ExtensionAssociation', {
      ExtensionIdentifier: 'AWS.AppConfig.DeploymentNotificationsToEventBridge',
      ResourceIdentifier: environmentArn(),
    });
  });

  test.each(['On Deployment Start', 'On Deployment Complete', 'On Deployment Rollback'])(
    'the rule matches AppConfig\'s documented "%s" event for this environment, and not for another environment',
    (detailType) => {
      const rule = Object.values(production.findResources('AWS::Events::Rule')).find((r) =>
        JSON.stringify((r as Json).Properties.EventPattern).includes('aws.appconfig'),
      ) as Json;
      const pattern = rule.Properties.EventPattern as Json;
      const app = `ref:${logicalIdOf(flags.application)}`;
      const env = `ref:${logicalIdOf(flags.environment)}`;
      expect(patternMatches(pattern, appConfigDeploymentEvent(detailType, app, env))).toBe(true);
      expect(patternMatches(pattern, appConfigDeploymentEvent(detailType, app, 'pgil2o7'))).toBe(false);
      expect(patternMatches(pattern, appConfigDeploymentEvent(detailType, 'ba8toh7', env))).toBe(false);
    },
  );

  test('the topics are KMS-encrypted, TLS-only, and the key lets CloudWatch and EventBridge publish', () => {
    for (const severity of ['critical', 'warning', 'info']) {
      production.hasResourceProperties('AWS::SNS::Topic', {
        TopicName: `mcp-rollout-production-${severity}`,
        KmsMasterKeyId: { 'Fn::GetAtt': [logicalIdOf(prodStack.notifications.key), 'Arn'] },
      });
    }
    production.resourcePropertiesCountIs(
      'AWS::SNS::TopicPolicy',
      {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      },
      3,
    );
    production.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Principal: { Service: ['cloudwatch.amazonaws.com', 'events.amazonaws.com'] },
            Resource: '*',
          },
        ]),
      },
    });
  });
});

describe('outputs for the rollback Lambda and the CLI', () => {
  test('name the AppConfig ids and the topics', () => {
    const outputs = production.toJSON().Outputs as Json;
    expect(outputs.FlagsApplicationId.Value).toEqual({ Ref: logicalIdOf(flags.application) });
    expect(outputs.FlagsEnvironmentId.Value).toEqual({ Ref: logicalIdOf(flags.environment) });
    expect(outputs.FlagsProfileId.Value).toEqual({ Ref: profileId });
    expect(outputs.FlagsImmediateStrategyId.Value).toEqual({ Ref: logicalIdOf(flags.immediateStrategy) });
    expect(outputs.FlagsGradualStrategyId.Value).toEqual({ Ref: logicalIdOf(flags.gradualStrategy) });
    expect(outputs.InfoTopicArn.Value).toEqual({ Ref: logicalIdOf(prodStack.notifications.topics.info) });
  });
});

describe('rollback monitors (the hook for the rollback alarms)', () => {
  function flagsWithAlarm(treatMissingData?: cloudwatch.TreatMissingData) {
    const stack = new Stack(new App(), 'MonitorTest');
    const flagsConstruct = new FeatureFlags(stack, 'Flags', {
      environmentName: 'staging',
      values: DEFAULT_FLAG_VALUES,
      gradual: { deploymentDuration: Duration.minutes(10), growthFactorPercent: 20, finalBakeTime: Duration.minutes(10) },
      agentPollInterval: Duration.seconds(15),
      infoTopic: new sns.Topic(stack, 'Info'),
    });
    const alarm = new cloudwatch.Alarm(stack, 'Trigger', {
      metric: new cloudwatch.Metric({ namespace: 'Test', metricName: 'Errors' }),
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData,
    });
    return { stack, flagsConstruct, alarm };
  }

  test('an alarm that treats missing data as not breaching becomes a monitor, readable by AppConfig only', () => {
    const { stack, flagsConstruct, alarm } = flagsWithAlarm(cloudwatch.TreatMissingData.NOT_BREACHING);
    flagsConstruct.addRollbackMonitor(alarm);
    const template = Template.fromStack(stack);
    const roleId = logicalIdOf(flagsConstruct.node.findChild('MonitorRole'));
    template.hasResourceProperties('AWS::AppConfig::Environment', {
      Monitors: [{ AlarmArn: { 'Fn::GetAtt': [logicalIdOf(alarm), 'Arn'] }, AlarmRoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] } }],
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'appconfig.amazonaws.com' } })] },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [{ Effect: 'Allow', Action: 'cloudwatch:DescribeAlarms', Resource: { 'Fn::GetAtt': [logicalIdOf(alarm), 'Arn'] } }],
      },
    });
  });

  // Reading a composite alarm needs cloudwatch:DescribeAlarms scoped to "*"
  // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html).
  test('a composite alarm becomes a monitor whose role may call DescribeAlarms on "*", acknowledged for cdk-nag', () => {
    const { stack, flagsConstruct, alarm } = flagsWithAlarm(cloudwatch.TreatMissingData.NOT_BREACHING);
    const composite = new cloudwatch.CompositeAlarm(stack, 'Any', { alarmRule: cloudwatch.AlarmRule.fromAlarm(alarm, cloudwatch.AlarmState.ALARM) });
    flagsConstruct.addRollbackMonitor(composite);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::AppConfig::Environment', {
      Monitors: [{ AlarmArn: { 'Fn::GetAtt': [logicalIdOf(composite), 'Arn'] }, AlarmRoleArn: Match.anyValue() }],
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'cloudwatch:DescribeAlarms', Resource: '*' }] },
    });
    const role = flagsConstruct.node.findChild('MonitorRole');
    const acknowledged = role.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).map((m) => Object.keys(m.data as object));
    expect(acknowledged).toEqual([[expect.stringMatching(/AwsSolutions-IAM5\[Resource::\*\]$/)]]);
  });

  test('in the app, the monitor role may read the composite: DescribeAlarms on "*", and nothing else', () => {
    const roleId = logicalIdOf(flags.node.findChild('MonitorRole'));
    const policies = Object.values(production.findResources('AWS::IAM::Policy')) as Json[];
    const policy = policies.find((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]));
    expect(policy!.Properties.PolicyDocument.Statement).toEqual([{ Effect: 'Allow', Action: 'cloudwatch:DescribeAlarms', Resource: '*' }]);
  });

  test('in the app, the only monitor is the composite of the rollback triggers, referred to by name', () => {
    production.hasResourceProperties('AWS::AppConfig::Environment', {
      Monitors: [
        {
          AlarmArn: {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:mcp-rollout-production-service-any-rollback-trigger-trigger'],
            ],
          },
          AlarmRoleArn: { 'Fn::GetAtt': [logicalIdOf(flags.node.findChild('MonitorRole')), 'Arn'] },
        },
      ],
    });
  });

  test('fails when the alarm treats missing data as breaching', () => {
    const { flagsConstruct, alarm } = flagsWithAlarm(cloudwatch.TreatMissingData.BREACHING);
    expect(() => flagsConstruct.addRollbackMonitor(alarm)).toThrow(
      'alarm MonitorTest/Trigger must treat missing data as notBreaching or ignore to be an AppConfig monitor, got breaching',
    );
  });

  test('fails when the alarm leaves missing data at the default', () => {
    const { flagsConstruct, alarm } = flagsWithAlarm();
    expect(() => flagsConstruct.addRollbackMonitor(alarm)).toThrow(/got missing \(the default\)$/);
  });
});

describe('the agent poll interval', () => {
  const props = (agentPollInterval: Duration) => {
    const stack = new Stack(new App(), 'PollTest');
    return {
      stack,
      props: {
        environmentName: 'staging' as const,
        values: DEFAULT_FLAG_VALUES,
        gradual: { deploymentDuration: Duration.minutes(10), growthFactorPercent: 20, finalBakeTime: Duration.minutes(10) },
        agentPollInterval,
        infoTopic: new sns.Topic(stack, 'Info'),
      },
    };
  };

  // The agent polls through AppConfig Data, whose session poll interval is at least 15 s
  // (https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_appconfigdata_StartConfigurationSession.html).
  test.each([Duration.seconds(5), Duration.seconds(14), Duration.seconds(61), Duration.minutes(5)])('fails at construction when it is %s', (interval) => {
    const { stack, props: p } = props(interval);
    expect(() => new FeatureFlags(stack, 'Flags', p)).toThrow(
      `agentPollInterval must be a whole number of seconds from 15 to 60, got ${interval.toSeconds()} s`,
    );
  });

  test('accepts 15 s', () => {
    const { stack, props: p } = props(Duration.seconds(15));
    expect(() => new FeatureFlags(stack, 'Flags', p)).not.toThrow();
  });
});
