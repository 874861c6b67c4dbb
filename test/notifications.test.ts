import { Match, Template } from 'aws-cdk-lib/assertions';
import { synthesize } from './helpers/app';
import { testConfig } from './helpers/config';
import { logicalIdOf } from './helpers/template';

// Production with subscribers on two severities and a Slack channel for critical and warning.
const synthesized = synthesize(
  testConfig({
    environments: {
      production: {
        notifications: {
          critical: { emails: ['oncall@example.com'], httpsUrls: ['https://events.pagerduty.com/integration/abc/enqueue'] },
          info: { emails: ['mcp-team@example.com'] },
          slack: { workspaceId: 'T0123ABCD', channelId: 'C0456EFGH', severities: ['critical', 'warning'] },
        },
      },
    },
  }),
);
const production = synthesized.service.production;
const staging = synthesized.service.staging;
const topics = synthesized.rollout.stages.production.serviceStack.notifications.topics;
const ref = (severity: keyof typeof topics) => ({ Ref: logicalIdOf(topics[severity]) });

describe('topic subscriptions', () => {
  test('each address and endpoint subscribes to the topic of its severity, and nothing else', () => {
    const subscriptions = Object.values(production.findResources('AWS::SNS::Subscription')).map((r) => r.Properties);
    expect(subscriptions).toEqual(
      expect.arrayContaining([
        { Protocol: 'email', Endpoint: 'oncall@example.com', TopicArn: ref('critical') },
        { Protocol: 'https', Endpoint: 'https://events.pagerduty.com/integration/abc/enqueue', TopicArn: ref('critical') },
        { Protocol: 'email', Endpoint: 'mcp-team@example.com', TopicArn: ref('info') },
      ]),
    );
    expect(subscriptions).toHaveLength(3);
    staging.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  test('the Slack channel hears the severities it asked for through AWS Chatbot, read-only', () => {
    production.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      ConfigurationName: 'mcp-rollout-production',
      SlackWorkspaceId: 'T0123ABCD',
      SlackChannelId: 'C0456EFGH',
      SnsTopicArns: [ref('critical'), ref('warning')],
      GuardrailPolicies: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/CloudWatchReadOnlyAccess']] }],
    });
    staging.resourceCountIs('AWS::Chatbot::SlackChannelConfiguration', 0);
  });
});

describe('info events', () => {
  test('deployment_completed and traffic_percentage_changed of this environment go to the info topic', () => {
    production.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['mcp-rollout'],
        'detail-type': ['deployment_completed', 'traffic_percentage_changed'],
        detail: { environment: ['production'] },
      },
      Targets: [
        Match.objectLike({
          Arn: ref('info'),
          InputTransformer: {
            InputPathsMap: { 'detail-type': '$.detail-type', time: '$.time', detail: '$.detail' },
            InputTemplate: '{"event":<detail-type>,"environment":"production","time":<time>,"detail":<detail>}',
          },
        }),
      ],
    });
  });
});

describe('who may publish to the topics', () => {
  type Json = Record<string, unknown>;
  const sslOnly = (topic: Json) => ({
    Sid: 'AllowPublishThroughSSLOnly',
    Effect: 'Deny',
    Principal: '*',
    Action: 'sns:Publish',
    Resource: topic,
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  });
  // A topic policy replaces the default access policy, so CloudWatch must be allowed by name; the
  // conditions keep it to this account's alarms of this environment
  // (https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger).
  const cloudWatch = (topic: Json, environment: string) => ({
    Sid: 'AllowCloudWatchAlarmsOfThisEnvironment',
    Effect: 'Allow',
    Principal: { Service: 'cloudwatch.amazonaws.com' },
    Action: 'sns:Publish',
    Resource: topic,
    Condition: {
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      ArnLike: {
        'aws:SourceArn': {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:alarm:mcp-rollout-${environment}-*`]],
        },
      },
    },
  });
  // EventBridge topic policy statements cannot carry a Condition block
  // (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions).
  // Declared once, by NotificationTopics, for every rule that publishes to the info topic: the
  // Service stack's and the Rollout stack's, which targets the topic by ARN and so can add nothing
  // to its policy (issue 11 review).
  const eventBridge = (topic: Json) => ({ Sid: 'AllowEventBridgeRules', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sns:Publish', Resource: topic });

  function statementsOf(template: Template, topic: Json): Json[] {
    const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy')) as { Properties: { Topics: Json[]; PolicyDocument: { Statement: Json[] } } }[];
    const mine = policies.filter((p) => JSON.stringify(p.Properties.Topics) === JSON.stringify([topic]));
    expect(mine).toHaveLength(1);
    return mine[0]!.Properties.PolicyDocument.Statement;
  }

  test.each(['critical', 'warning'] as const)('the %s topic: TLS only, and CloudWatch alarms of this environment in this account', (severity) => {
    expect(statementsOf(production, ref(severity))).toEqual([sslOnly(ref(severity)), cloudWatch(ref(severity), 'production')]);
  });

  test('the info topic: TLS only, CloudWatch alarms of this environment, and EventBridge (the info and flag deployment rules)', () => {
    expect(statementsOf(production, ref('info'))).toEqual([sslOnly(ref('info')), cloudWatch(ref('info'), 'production'), eventBridge(ref('info'))]);
  });

  test('the statement is the one home of that permission: no rule adds its own, and the Rollout stack adds none', () => {
    const all = statementsOf(production, ref('info')).filter((st) => JSON.stringify(st.Principal).includes('events.amazonaws.com'));
    expect(all).toEqual([eventBridge(ref('info'))]);
    const rolloutTemplate = Template.fromStack(synthesized.rollout.stages.production.rolloutStack);
    expect(rolloutTemplate.findResources('AWS::SNS::TopicPolicy')).toEqual({});
    // ...yet its rules publish to the info topic, by ARN.
    const rules = Object.values(rolloutTemplate.findResources('AWS::Events::Rule')) as Json[];
    expect(JSON.stringify(rules)).toContain(':mcp-rollout-production-info');
  });

  test("staging's topics let only staging's alarms publish", () => {
    const stagingTopic = { Ref: logicalIdOf(synthesized.rollout.stages.staging.serviceStack.notifications.topics.critical) };
    expect(statementsOf(staging, stagingTopic)).toEqual([sslOnly(stagingTopic), cloudWatch(stagingTopic, 'staging')]);
  });
});
