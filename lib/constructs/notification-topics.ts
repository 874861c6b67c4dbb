import { ArnFormat, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { EnvironmentName } from '../shared/environment-names';
import { INFO_EVENT_DETAIL_TYPES, ROLLOUT_EVENT_SOURCE, SEVERITIES, type Severity } from '../shared/metrics-contract';
import { alarmNamePrefix, slackChannelConfigurationName, topicName } from '../shared/names';
import { denyGrantsExceptForAwsServices } from './private/encryption-keys';

export interface Subscribers {
  /** Email addresses; each confirms from the mail SNS sends. */
  readonly emails: readonly string[];
  /** HTTPS endpoints (paging services, webhooks). */
  readonly httpsUrls: readonly string[];
}

export interface SlackChannel {
  readonly workspaceId: string;
  readonly channelId: string;
  /** The severities posted to the channel. */
  readonly severities: readonly Severity[];
}

export interface NotificationTopicsProps {
  readonly environmentName: EnvironmentName;
  /** Who hears each severity. @default - nobody */
  readonly subscribers?: Readonly<Partial<Record<Severity, Subscribers>>>;
  /** An AWS Chatbot Slack channel (the seed's #mcp-alerts). @default - none */
  readonly slack?: SlackChannel;
}

/**
 * One SNS topic per severity for an environment, encrypted with a customer-managed key and
 * reachable only over TLS.
 *
 * Who publishes, and what lets them:
 * - CloudWatch alarms (every KPI, info and function-errors alarm, ALARM and OK): a statement in each
 *   topic policy, because the policy `enforceSSL` creates replaces the topic's default access policy
 *   (https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger); scoped with
 *   `aws:SourceAccount` to this account and `aws:SourceArn` to the alarms named for this environment.
 * - EventBridge rules to the info topic (rollout info events, flag deployment events, and the
 *   Rollout stack's, which targets the topic by ARN and so can add nothing to its policy): one
 *   statement declared here, without a Condition block, which EventBridge topic policies cannot use
 *   (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions).
 *   Rules target `infoTopicForRules`, a reference whose grants add nothing, so this stays the one home.
 * - The rollback function (its own Publish and its on-failure destination) to the critical topic:
 *   through its execution role, granted where the function is built; the key enables IAM policies.
 * Both services also need the key: `kms:GenerateDataKey*` and `kms:Decrypt` for their service
 * principals (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
 * AWS Chatbot subscribes and publishes nothing: SNS decrypts a message before it delivers it
 * (https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html), so it needs no grant.
 * test/wiring-rules.test.ts checks each of these against the synthesized template.
 */
export class NotificationTopics extends Construct {
  readonly key: kms.Key;
  readonly topics: Readonly<Record<Severity, sns.Topic>>;
  /**
   * The info topic for EventBridge rule targets: a reference by ARN, so a target adds no statement
   * of its own; the topic's policy already lets EventBridge publish (declared in the constructor).
   */
  readonly infoTopicForRules: sns.ITopic;

  constructor(scope: Construct, id: string, props: NotificationTopicsProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: `mcp-rollout ${props.environmentName}: encrypts the notification topics`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        principals: [
          new iam.ServicePrincipal('cloudwatch.amazonaws.com'),
          new iam.ServicePrincipal('events.amazonaws.com'),
        ],
        resources: ['*'], // in a key policy, "*" means this key
      }),
    );
    denyGrantsExceptForAwsServices(this.key);
    const topic = (severity: Severity) =>
      new sns.Topic(this, `${severity[0]!.toUpperCase()}${severity.slice(1)}`, {
        topicName: topicName(props.environmentName, severity),
        displayName: `mcp-rollout ${props.environmentName} ${severity}`,
        masterKey: this.key,
        enforceSSL: true,
      });
    this.topics = { critical: topic('critical'), warning: topic('warning'), info: topic('info') };
    for (const severity of SEVERITIES) this.allowAlarmsOf(props.environmentName, this.topics[severity]);
    this.topics.info.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowEventBridgeRules',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topics.info.topicArn],
      }),
    );
    this.infoTopicForRules = sns.Topic.fromTopicArn(this, 'InfoTopicForRules', this.topics.info.topicArn);

    for (const severity of SEVERITIES) {
      const who = props.subscribers?.[severity];
      for (const email of who?.emails ?? []) this.topics[severity].addSubscription(new subscriptions.EmailSubscription(email));
      for (const url of who?.httpsUrls ?? []) this.topics[severity].addSubscription(new subscriptions.UrlSubscription(url, { protocol: sns.SubscriptionProtocol.HTTPS }));
    }
    if (props.slack) this.addSlack(props.environmentName, props.slack);

    // The seed's deployment_completed and traffic_percentage_changed, emitted by the operator CLI.
    new events.Rule(this, 'RolloutEvents', {
      description: `mcp-rollout ${props.environmentName}: deployment and traffic events to the info topic`,
      eventPattern: {
        source: [ROLLOUT_EVENT_SOURCE],
        detailType: [...INFO_EVENT_DETAIL_TYPES],
        detail: { environment: [props.environmentName] },
      },
      targets: [
        new targets.SnsTopic(this.infoTopicForRules, {
          message: events.RuleTargetInput.fromObject({
            event: events.EventField.detailType,
            environment: props.environmentName,
            time: events.EventField.time,
            detail: events.EventField.fromPath('$.detail'),
          }),
        }),
      ],
    });
  }

  /** Lets CloudWatch publish the alarms of this environment in this account, and nothing else. */
  private allowAlarmsOf(environmentName: EnvironmentName, topic: sns.Topic): void {
    const stack = Stack.of(this);
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisEnvironment',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: `${alarmNamePrefix(environmentName)}*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
  }

  private addSlack(environmentName: EnvironmentName, slack: SlackChannel): void {
    const channel = new chatbot.SlackChannelConfiguration(this, 'Slack', {
      slackChannelConfigurationName: slackChannelConfigurationName(environmentName),
      slackWorkspaceId: slack.workspaceId,
      slackChannelId: slack.channelId,
      notificationTopics: slack.severities.map((severity) => this.topics[severity]),
      // The channel reads alarm graphs and nothing else: the guardrail caps what anyone can do from Slack.
      guardrailPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('CloudWatchReadOnlyAccess')],
    });
    channel.role?.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('CloudWatchReadOnlyAccess'));
    if (channel.role) {
      Validations.of(channel.role).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/CloudWatchReadOnlyAccess]',
        reason: 'AWS Chatbot renders alarm graphs in Slack with CloudWatch read access; the AWS-managed read-only policy is the documented way.',
      });
    }
  }
}
