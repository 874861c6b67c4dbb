import { Arn, ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { EnvironmentName } from '../../shared/environment-names';

/**
 * Denies `kms:CreateGrant` on `key` unless an AWS service integrated with KMS asks for the grant on
 * a principal's behalf (`kms:GrantIsForAWSResource`) or a service principal calls
 * (`aws:PrincipalIsAWSService`): no person or role can hand out use of the key through a grant
 * (https://docs.aws.amazon.com/kms/latest/developerguide/grant-authorization.html). This is the
 * statement Control Tower's CT.KMS.PR.3 requires. SNS, CloudWatch alarms, EventBridge and
 * CloudWatch Logs use the keys here through the key policy, never through grants.
 */
export function denyGrantsExceptForAwsServices(key: kms.Key): void {
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'DenyGrantsExceptForAwsServices',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['kms:CreateGrant'],
      resources: ['*'], // in a key policy, "*" means this key
      conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
    }),
  );
}

export interface LogEncryptionKeyProps {
  readonly environmentName: EnvironmentName;
}

/**
 * The key that encrypts an environment's CloudWatch log groups (containers, rollback function,
 * VPC flow logs). CloudWatch Logs in the stack's region may use it, and only for log groups of
 * this account and region (the `kms:EncryptionContext:aws:logs:arn` condition), as
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html documents.
 *
 * A key of its own rather than the notifications key: the services allowed on each key stay the
 * ones that need it (CloudWatch Logs here; CloudWatch alarms and EventBridge there), and the log
 * groups, kept after the stack is deleted, keep a key whose policy only ever served logs.
 */
export class LogEncryptionKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: LogEncryptionKeyProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.key = new kms.Key(this, 'Key', {
      description: `mcp-rollout ${props.environmentName}: encrypts the CloudWatch log groups`,
      enableKeyRotation: true,
      // The log groups are retained (audit records) and unreadable without their key.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchLogsOfThisAccountAndRegion',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.${stack.urlSuffix}`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': Arn.format(
              { service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME },
              stack,
            ),
          },
        },
      }),
    );
    denyGrantsExceptForAwsServices(this.key);
  }
}
