import { Aws, CfnCondition, Duration, Fn, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Fact, FactName, RegionInfo } from 'aws-cdk-lib/region-info';
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
   * Who writes the logs depends on the region: in regions available before August 2022, the
   * region's ELB account; in later ones, the `logdelivery.elasticloadbalancing.amazonaws.com`
   * service principal
   * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html).
   * With a known region the L2 helper picks the right one. A region-agnostic stack learns its
   * region only at deploy time, and must not look the account up in a map keyed on the region: a
   * region missing from the map fails the deploy (the standard Fn::FindInMap cannot handle a
   * missing key:
   * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-findinmap-enhancements.html).
   * One condition per region is no way out either: past about ten conditions on one resource,
   * CDK's CloudFormation validation gives up (W9052) and stops checking the stack.
   *
   * So the policy grants, in every region, the service principal and the ELB accounts of the
   * stack's partition (from aws-cdk-lib's region table; only partitions are told apart at deploy
   * time). That is exactly as much as the documented policy lets write: an ALB writes only to a
   * bucket in its own region, so another region's ELB account never writes here, and only under
   * `AWSLogs/<this account>/`, so only this account's load balancers do. It holds in regions that
   * open after this aws-cdk-lib was released, which all use the service principal.
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
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        principals: [new iam.ArnPrincipal(this.elbAccountsOfThePartition()), new iam.ServicePrincipal(LOG_DELIVERY_SERVICE)],
        resources: [this.bucket.arnForObjects(`${prefix}/AWSLogs/${stack.account}/*`)],
      }),
    );
    // The policy must exist before the ALB tries to write its test object.
    loadBalancer.node.addDependency(this.bucket.policy ?? this.bucket);
  }

  /** The root of every ELB access-log account of the deploy-time partition; removed where it has none. */
  private elbAccountsOfThePartition(): string {
    const byPartition = elbAccountsByPartition();
    const choice = byPartition.reduceRight<unknown>((otherwise, [partition, accounts]) => {
      const inPartition = new CfnCondition(this, `In${pascal(partition)}Partition`, { expression: Fn.conditionEquals(Aws.PARTITION, partition) });
      return Fn.conditionIf(
        inPartition.logicalId,
        accounts.map((account) => `arn:${partition}:iam::${account}:root`),
        otherwise,
      );
    }, Aws.NO_VALUE);
    return Token.asString(choice);
  }
}

const LOG_DELIVERY_SERVICE = 'logdelivery.elasticloadbalancing.amazonaws.com';

/** The ELB access-log accounts of aws-cdk-lib's region table, grouped by partition, sorted. */
function elbAccountsByPartition(): [partition: string, accounts: string[]][] {
  const groups = new Map<string, Set<string>>();
  for (const region of RegionInfo.regions) {
    const account = Fact.find(region.name, FactName.ELBV2_ACCOUNT);
    const partition = region.partition;
    if (account === undefined || partition === undefined) continue;
    groups.set(partition, (groups.get(partition) ?? new Set()).add(account));
  }
  return [...groups.entries()].map(([partition, accounts]): [string, string[]] => [partition, [...accounts].sort()]).sort(([a], [b]) => a.localeCompare(b));
}

function pascal(text: string): string {
  return text
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}
