import { Duration, RemovalPolicy, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { isRootUser } from '../../config/schema';
import type { EnvironmentName, SlotName } from '../../shared/environment-names';
import { CONTAINER_ENVIRONMENT, CONTAINER_LISTEN_HOST, HEALTH_CHECK_TIMING } from '../../shared/metrics-contract';

export interface SlotCapacity {
  readonly desiredCount: number;
  readonly minCount: number;
  readonly maxCount: number;
}

export interface FargateSlotProps {
  readonly environmentName: EnvironmentName;
  readonly slot: SlotName;
  readonly cluster: ecs.ICluster;
  readonly repository: ecr.IRepository;
  /** Image tag to run; usually a CloudFormation parameter token. */
  readonly imageTag: string;
  readonly containerPort: number;
  readonly healthCheckPath: string;
  readonly cpu: number;
  /** Memory of the whole task (server and sidecars). */
  readonly memoryMiB: number;
  /** Hard memory limit of the server container; the server is killed above it. */
  readonly serverMemoryLimitMiB: number;
  /** The user the server container runs as (`uid`, `uid:gid`, `user` or `user:group`), never root. */
  readonly serverUser: string;
  /**
   * The only paths the server may write to, each a volume of the task's ephemeral storage; the
   * rest of its root filesystem is read-only.
   */
  readonly serverWritablePaths: readonly string[];
  readonly capacity: SlotCapacity;
  readonly scalingCpuTargetPercent: number;
  readonly logRetention: logs.RetentionDays;
  /** Encrypts the slot's log group. */
  readonly logEncryptionKey: kms.IKey;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly metricsNamespace: string;
}

/** Name of the server container in every task definition; the AppConfig Agent sits beside it. */
export const SERVER_CONTAINER_NAME = 'mcp-server';

/**
 * One slot (stable or canary): its task definition, Fargate service, target group and autoscaling.
 * The target group is attached to the listener by the caller, so the caller owns traffic routing.
 */
export class FargateSlot extends Construct {
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly service: ecs.FargateService;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: FargateSlotProps) {
    super(scope, id);
    validateServer(props);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      encryptionKey: props.logEncryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: props.cpu,
      memoryLimitMiB: props.memoryMiB,
      runtimePlatform: {
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
      },
    });

    this.container = this.taskDefinition.addContainer('Server', {
      containerName: SERVER_CONTAINER_NAME,
      image: ecs.ContainerImage.fromEcrRepository(props.repository, props.imageTag),
      essential: true,
      user: props.serverUser,
      memoryLimitMiB: props.serverMemoryLimitMiB,
      // Control Tower CT.ECS.PR.6: nothing but the volumes below is writable.
      readonlyRootFilesystem: true,
      portMappings: [{ containerPort: props.containerPort, protocol: ecs.Protocol.TCP }],
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: props.slot }),
      // Not secrets: where the task runs and where its metrics go. The server tags its EMF
      // metrics with these so alarms can tell the slots apart (DESIGN.md metrics contract).
      // PORT and HOST: where to listen, so the server listens where the target group sends.
      environment: {
        [CONTAINER_ENVIRONMENT.environment]: props.environmentName,
        [CONTAINER_ENVIRONMENT.slot]: props.slot,
        [CONTAINER_ENVIRONMENT.namespace]: props.metricsNamespace,
        [CONTAINER_ENVIRONMENT.port]: String(props.containerPort),
        [CONTAINER_ENVIRONMENT.host]: CONTAINER_LISTEN_HOST,
      },
    });

    this.addWritableVolumes(props.serverWritablePaths);

    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'The environment variables are not secrets: environment name, slot, metrics namespace, the port and address to listen on, and the local AppConfig Agent address.',
    });
    Validations.of(this.taskDefinition.obtainExecutionRole()).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:GetAuthorizationToken has no resource-level permissions (https://docs.aws.amazon.com/AmazonECR/latest/userguide/security-iam-awsmanpol.html); image pulls stay scoped to the repository.',
    });

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: props.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: props.capacity.desiredCount,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      assignPublicIp: false,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [props.securityGroup],
      // A task that never gets healthy stops the deploy and ECS restores the previous task
      // definition, so CloudFormation fails fast instead of hanging for hours.
      circuitBreaker: { enable: true, rollback: true },
      // The server retries its first flag read within this (FLAGS_START_DEADLINE_MS).
      healthCheckGracePeriod: Duration.seconds(HEALTH_CHECK_TIMING.gracePeriodSeconds),
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      enableExecuteCommand: false,
    });

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'TargetGroup', {
      vpc: props.cluster.vpc,
      targetType: elbv2.TargetType.IP,
      port: props.containerPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      healthCheck: {
        path: props.healthCheckPath,
        healthyHttpCodes: '200',
        interval: Duration.seconds(HEALTH_CHECK_TIMING.intervalSeconds),
        timeout: Duration.seconds(HEALTH_CHECK_TIMING.timeoutSeconds),
        healthyThresholdCount: HEALTH_CHECK_TIMING.healthyThreshold,
        unhealthyThresholdCount: HEALTH_CHECK_TIMING.unhealthyThreshold,
      },
      // A rollback moves new requests at once; this bounds how long drained tasks keep old ones.
      deregistrationDelay: Duration.seconds(30),
    });
    // Stated, not left to the AWS default: stickiness would pin clients to a slot past a rollback
    // (README "MCP sessions").
    this.targetGroup.setAttribute('stickiness.enabled', 'false');
    this.targetGroup.addTarget(
      this.service.loadBalancerTarget({ containerName: SERVER_CONTAINER_NAME, containerPort: props.containerPort }),
    );

    const scaling = this.service.autoScaleTaskCount({
      minCapacity: props.capacity.minCount,
      maxCapacity: props.capacity.maxCount,
    });
    scaling.scaleOnCpuUtilization('CpuScaling', {
      targetUtilizationPercent: props.scalingCpuTargetPercent,
      scaleInCooldown: Duration.seconds(120),
      scaleOutCooldown: Duration.seconds(60),
    });
  }

  /**
   * One bind-mount volume per path, on the task's ephemeral storage, mounted read-write into the
   * server only. Fargate creates such a volume owned by root with mode 0755 unless the image
   * declares the path as a `VOLUME` whose directory it owns; the image's content and ownership are
   * then copied in (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/bind-mounts.html).
   * README "Server image requirements" tells server teams.
   */
  private addWritableVolumes(paths: readonly string[]): void {
    const names = new Set<string>();
    for (const containerPath of paths) {
      const sourceVolume = `server${containerPath.replace(/[^A-Za-z0-9_-]/g, '-')}`;
      if (names.has(sourceVolume)) {
        throw new Error(`serverWritablePaths must map to distinct volume names, got two paths for ${sourceVolume}: ${paths.join(', ')}`);
      }
      names.add(sourceVolume);
      this.taskDefinition.addVolume({ name: sourceVolume });
      this.container.addMountPoints({ containerPath, sourceVolume, readOnly: false });
    }
  }
}

/** Docker reserves 6 MiB for a container: a lower limit cannot start (ECS ContainerDefinition `memory`). */
const MIN_CONTAINER_MEMORY_MIB = 6;

function validateServer(props: FargateSlotProps): void {
  if (!Token.isUnresolved(props.serverUser) && isRootUser(props.serverUser)) {
    throw new Error(`serverUser must be a non-root user, got "${props.serverUser}"`);
  }
  const limit = props.serverMemoryLimitMiB;
  if (!Token.isUnresolved(limit) && (!Number.isInteger(limit) || limit < MIN_CONTAINER_MEMORY_MIB || limit > props.memoryMiB)) {
    throw new Error(`serverMemoryLimitMiB must be an integer from ${MIN_CONTAINER_MEMORY_MIB} to memoryMiB (${props.memoryMiB}), got ${limit}`);
  }
}
