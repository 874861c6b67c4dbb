import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { FactName } from 'aws-cdk-lib/region-info';
import { Construct } from 'constructs';

/**
 * How long a deleted or replaced log stays recoverable as a noncurrent version. The current
 * versions expire after the retention; their noncurrent versions are then deleted this long later.
 */
export const NONCURRENT_ACCESS_LOG_RETENTION = Duration.days(7);

export interface AccessLogBucketProps {
  /** How long access logs are kept before the lifecycle rule deletes them. */
  readonly retention: Duration;
}

/**
 * The bucket the ALB writes its access logs to. ALB access logs support only SSE-S3, not SSE-KMS
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html).
 */
export class AccessLogBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: AccessLogBucketProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Control Tower CT.S3.PR.11: a deleted or overwritten log can be recovered for a while.
      versioned: true,
      // Access logs are audit records: they outlive the stack; the lifecycle rules bound their cost.
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'ExpireAccessLogs',
          expiration: props.retention,
          noncurrentVersionExpiration: NONCURRENT_ACCESS_LOG_RETENTION,
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
        // Once its noncurrent versions are gone, an expired log leaves only a delete marker; S3
        // removes such markers only when a rule says so, and not in a rule with Days
        // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-configuration-examples.html).
        { id: 'RemoveExpiredDeleteMarkers', expiredObjectDeleteMarker: true },
      ],
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket is the destination of the ALB access logs; logging its own access would only add cost.',
    });
  }

  /**
   * Turns on access logging of `loadBalancer` into this bucket under `prefix`.
   *
   * In regions opened before August 2022 the log writer is a per-region ELB account; in later ones
   * it is the `logdelivery.elasticloadbalancing.amazonaws.com` service principal. With a known region
   * the L2 helper picks the right one. A region-agnostic stack cannot know, so it grants both: the
   * account from CDK's regional mapping (resolved by CloudFormation from AWS::Region) and the
   * service principal. Regions newer than the installed aws-cdk-lib must set `region` in the config.
   */
  enableOn(loadBalancer: elbv2.ApplicationLoadBalancer, prefix: string): void {
    const stack = Stack.of(this);
    if (!Token.isUnresolved(stack.region)) {
      loadBalancer.logAccessLogs(this.bucket, prefix);
      return;
    }
    loadBalancer.setAttribute('access_logs.s3.enabled', 'true');
    loadBalancer.setAttribute('access_logs.s3.bucket', this.bucket.bucketName);
    loadBalancer.setAttribute('access_logs.s3.prefix', prefix);
    const elbAccount = stack.regionalFact(FactName.ELBV2_ACCOUNT);
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        principals: [
          new iam.AccountPrincipal(elbAccount),
          new iam.ServicePrincipal('logdelivery.elasticloadbalancing.amazonaws.com'),
        ],
        resources: [this.bucket.arnForObjects(`${prefix}/AWSLogs/${stack.account}/*`)],
      }),
    );
    // The policy must exist before the ALB tries to write its test object.
    loadBalancer.node.addDependency(this.bucket.policy ?? this.bucket);
  }
}
