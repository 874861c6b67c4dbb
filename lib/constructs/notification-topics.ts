import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { EnvironmentName } from '../shared/environment-names';

export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface NotificationTopicsProps {
  readonly environmentName: EnvironmentName;
}

/**
 * One SNS topic per severity for an environment, encrypted with a customer-managed key and
 * reachable only over TLS. CloudWatch alarms and EventBridge publish to them, so the key lets those
 * two services use it (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
 */
export class NotificationTopics extends Construct {
  readonly key: kms.Key;
  readonly topics: Readonly<Record<Severity, sns.Topic>>;

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
    const topic = (severity: Severity) =>
      new sns.Topic(this, `${severity[0]!.toUpperCase()}${severity.slice(1)}`, {
        topicName: `mcp-rollout-${props.environmentName}-${severity}`,
        displayName: `mcp-rollout ${props.environmentName} ${severity}`,
        masterKey: this.key,
        enforceSSL: true,
      });
    this.topics = { critical: topic('critical'), warning: topic('warning'), info: topic('info') };
  }
}
