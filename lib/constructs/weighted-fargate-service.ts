import { Duration, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { EnvironmentName, SlotName } from '../shared/environment-names';
import type { TrafficWeights } from '../shared/traffic-weights';
import { AccessLogBucket } from './private/access-log-bucket';
import { FargateSlot, type SlotCapacity } from './private/fargate-slot';

export interface WeightedFargateServiceProps {
  readonly environmentName: EnvironmentName;
  readonly vpc: ec2.IVpc;
  /** Repository of the server image; both slots pull from it. */
  readonly repository: ecr.IRepository;
  /** Image tag each slot runs; usually CloudFormation parameter tokens. */
  readonly imageTags: Readonly<Record<SlotName, string>>;
  /**
   * Weights of the traffic rule's forward action, usually tokens derived from the CanaryTraffic
   * parameter. Plain numbers must be integers from 0 to 999 and not both 0.
   */
  readonly trafficWeights: TrafficWeights;
  /** Certificate of the HTTPS listener. Without one the service listens on plain HTTP. */
  readonly certificate?: elbv2.IListenerCertificate;
  readonly containerPort: number;
  readonly healthCheckPath: string;
  readonly cpu: number;
  readonly memoryMiB: number;
  /** Hard memory limit of the server container. */
  readonly serverMemoryLimitMiB: number;
  /** The non-root user the server container runs as. */
  readonly serverUser: string;
  /** The only paths the server may write to; its root filesystem is read-only. */
  readonly serverWritablePaths: readonly string[];
  readonly capacity: Readonly<Record<SlotName, SlotCapacity>>;
  readonly scalingCpuTargetPercent: number;
  readonly logRetention: logs.RetentionDays;
  /** Encrypts the slots' log groups. */
  readonly logEncryptionKey: kms.IKey;
  /** How long ALB access logs are kept. */
  readonly accessLogRetention: Duration;
  /** ALB deletion protection. */
  readonly deletionProtection: boolean;
  /** Namespace the server writes its metrics to, passed to each container. */
  readonly metricsNamespace: string;
}

/** Priority of the traffic rule: the only rule, ahead of the listener's stable-only default. */
const TRAFFIC_RULE_PRIORITY = 1;
/** ALB forward-action weights range. https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetGroupTuple.html */
const MAX_ALB_WEIGHT = 999;

/**
 * The MCP server on ECS Fargate in two slots, `stable` and `canary`, behind one ALB whose traffic
 * rule splits requests between them by weight (DESIGN.md D1).
 *
 * Routing is in two layers so that promotion is safe:
 * - the listener's default action forwards everything to stable (canary weight 0). It never
 *   changes; it attaches both target groups to the ALB, which ECS needs before it can create a
 *   service, and it is where traffic would go if the traffic rule were ever removed;
 * - the traffic rule (priority 1, every path) carries the live weights. It depends on both
 *   services, so CloudFormation updates it only after a changed service is steady: a deploy
 *   that swaps stable's image and moves traffic back to stable does it in that order.
 */
export class WeightedFargateService extends Construct {
  readonly cluster: ecs.Cluster;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** The listener clients reach: HTTPS, or HTTP when no certificate is given. */
  readonly listener: elbv2.ApplicationListener;
  /** The rule whose forward action holds the live weights; the rollback Lambda rewrites it. */
  readonly trafficRule: elbv2.CfnListenerRule;
  readonly slots: Readonly<Record<SlotName, FargateSlot>>;
  readonly serviceSecurityGroup: ec2.SecurityGroup;
  /** Where the ALB writes its access logs. */
  readonly accessLogBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: WeightedFargateServiceProps) {
    super(scope, id);
    validateWeights(props.trafficWeights);

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: props.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });

    const albSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: props.vpc,
      description: `mcp-rollout ${props.environmentName}: internet-facing ALB`,
      allowAllOutbound: false,
    });
    this.serviceSecurityGroup = new ec2.SecurityGroup(this, 'ServiceSecurityGroup', {
      vpc: props.vpc,
      description: `mcp-rollout ${props.environmentName}: MCP server tasks, reachable only from the ALB`,
      allowAllOutbound: false,
    });
    // Tasks call AWS APIs (ECR, CloudWatch Logs, AppConfig) over HTTPS through the NAT gateways.
    this.serviceSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs');

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      internetFacing: true,
      securityGroup: albSecurityGroup,
      dropInvalidHeaderFields: true,
      deletionProtection: props.deletionProtection,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
    });
    const accessLogs = new AccessLogBucket(this, 'AccessLogs', { retention: props.accessLogRetention });
    accessLogs.enableOn(this.loadBalancer, 'alb');
    this.accessLogBucket = accessLogs.bucket;

    const slotProps = {
      environmentName: props.environmentName,
      cluster: this.cluster,
      repository: props.repository,
      containerPort: props.containerPort,
      healthCheckPath: props.healthCheckPath,
      cpu: props.cpu,
      memoryMiB: props.memoryMiB,
      serverMemoryLimitMiB: props.serverMemoryLimitMiB,
      serverUser: props.serverUser,
      serverWritablePaths: props.serverWritablePaths,
      scalingCpuTargetPercent: props.scalingCpuTargetPercent,
      logRetention: props.logRetention,
      logEncryptionKey: props.logEncryptionKey,
      securityGroup: this.serviceSecurityGroup,
      metricsNamespace: props.metricsNamespace,
    };
    const stable = new FargateSlot(this, 'Stable', {
      ...slotProps,
      slot: 'stable',
      imageTag: props.imageTags.stable,
      capacity: props.capacity.stable,
    });
    const canary = new FargateSlot(this, 'Canary', {
      ...slotProps,
      slot: 'canary',
      imageTag: props.imageTags.canary,
      capacity: props.capacity.canary,
    });
    this.slots = { stable, canary };

    const allToStable = elbv2.ListenerAction.weightedForward([
      { targetGroup: stable.targetGroup, weight: 1 },
      { targetGroup: canary.targetGroup, weight: 0 },
    ]);
    if (props.certificate) {
      this.listener = this.loadBalancer.addListener('HttpsListener', {
        protocol: elbv2.ApplicationProtocol.HTTPS,
        port: 443,
        certificates: [props.certificate],
        sslPolicy: elbv2.SslPolicy.TLS13_12_PQ,
        defaultAction: allToStable,
        open: true,
      });
      this.loadBalancer.addRedirect({
        sourceProtocol: elbv2.ApplicationProtocol.HTTP,
        sourcePort: 80,
        targetProtocol: elbv2.ApplicationProtocol.HTTPS,
        targetPort: 443,
      });
    } else {
      this.listener = this.loadBalancer.addListener('HttpListener', {
        protocol: elbv2.ApplicationProtocol.HTTP,
        port: 80,
        defaultAction: allToStable,
        open: true,
      });
    }

    // An L1 rule on purpose: the L2 rule would register itself with the target groups, making
    // the services depend on it, and the dependency must run the other way (see class doc).
    this.trafficRule = new elbv2.CfnListenerRule(this, 'TrafficRule', {
      listenerArn: this.listener.listenerArn,
      priority: TRAFFIC_RULE_PRIORITY,
      conditions: [{ field: 'path-pattern', pathPatternConfig: { values: ['*'] } }],
      actions: [
        {
          type: 'forward',
          forwardConfig: {
            targetGroups: [
              { targetGroupArn: stable.targetGroup.targetGroupArn, weight: props.trafficWeights.stable },
              { targetGroupArn: canary.targetGroup.targetGroupArn, weight: props.trafficWeights.canary },
            ],
            // Group stickiness takes precedence over weights: a rollback could not move sticky clients.
            targetGroupStickinessConfig: { enabled: false },
          },
        },
      ],
    });
    this.trafficRule.node.addDependency(stable.service, canary.service);

    Validations.of(albSecurityGroup).acknowledge({
      id: 'AwsSolutions-EC23',
      reason:
        'The MCP endpoint is public: the ALB accepts HTTPS on 443 and HTTP on 80 (redirected, or plain HTTP where staging allows it) from any address.',
    });
  }
}

function validateWeights(weights: TrafficWeights): void {
  for (const [slot, weight] of Object.entries(weights) as [SlotName, number][]) {
    if (Token.isUnresolved(weight)) continue;
    if (!Number.isInteger(weight) || weight < 0 || weight > MAX_ALB_WEIGHT) {
      throw new Error(`trafficWeights.${slot} must be an integer from 0 to ${MAX_ALB_WEIGHT}, got ${weight}`);
    }
  }
  if (weights.stable === 0 && weights.canary === 0) {
    throw new Error('trafficWeights must not both be 0: the traffic rule would send requests nowhere');
  }
}
