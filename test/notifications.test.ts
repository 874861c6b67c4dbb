import { Match } from 'aws-cdk-lib/assertions';
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
