import { CfnOutput, Duration, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/schema';
import { FeatureFlags } from '../constructs/feature-flags';
import { KpiAlarms } from '../constructs/kpi-alarms';
import { NotificationTopics } from '../constructs/notification-topics';
import { LogEncryptionKey } from '../constructs/private/encryption-keys';
import { KpiMetrics } from '../constructs/private/kpi-metrics';
import { RollbackAutomation } from '../constructs/rollback-automation';
import { RolloutDashboards } from '../constructs/rollout-dashboards';
import { buildFlagDocument, rolledBackDocument, serializeFlagDocument } from '../shared/feature-flags';
import { latchParameterName } from '../shared/rollback-contract';
import { WeightedFargateService } from '../constructs/weighted-fargate-service';
import { SLOT_NAMES } from '../shared/environment-names';
import { METRICS_NAMESPACE } from '../shared/metrics-contract';
import { SERVICE_OUTPUTS } from '../shared/stack-contract';
import { addDeployParameters } from './deploy-parameters';

export interface ServiceStackProps extends StackProps {
  readonly config: EnvironmentConfig;
}

/** One environment's MCP service: network, the weighted Fargate service and its deploy parameters. */
export class ServiceStack extends Stack {
  readonly service: WeightedFargateService;
  readonly notifications: NotificationTopics;
  readonly flags: FeatureFlags;
  readonly alarms: KpiAlarms;
  readonly rollback: RollbackAutomation;
  readonly dashboards: RolloutDashboards;
  /** Encrypts every log group of the stack. */
  readonly logsKey: LogEncryptionKey;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, { ...props, terminationProtection: props.config.deletionProtection });
    const { config } = props;
    const latch = latchParameterName(config.name);
    const flagDocument = buildFlagDocument(config.flags.initialValues);
    this.logsKey = new LogEncryptionKey(this, 'LogsKey', { environmentName: config.name });

    const parameters = addDeployParameters(this, {
      trafficPercent: config.defaultTrafficPercent,
      imageTag: config.container.initialImageTag,
      latchParameterName: latch,
    });

    this.service = new WeightedFargateService(this, 'Mcp', {
      environmentName: config.name,
      vpc: this.createVpc(config),
      repository: ecr.Repository.fromRepositoryName(this, 'Repository', config.container.imageRepository),
      imageTags: parameters.imageTags,
      trafficWeights: parameters.weights,
      certificate: this.certificate(config),
      containerPort: config.container.port,
      healthCheckPath: config.container.healthCheckPath,
      cpu: config.container.cpu,
      memoryMiB: config.container.memoryMiB,
      serverMemoryLimitMiB: config.container.memoryLimitMiB,
      serverUser: config.container.user,
      serverWritablePaths: config.container.writablePaths,
      capacity: config.slots,
      scalingCpuTargetPercent: config.scalingCpuTargetPercent,
      logRetention: config.logRetentionDays as logs.RetentionDays,
      logEncryptionKey: this.logsKey.key,
      accessLogRetention: Duration.days(config.logRetentionDays),
      deletionProtection: config.deletionProtection,
      metricsNamespace: METRICS_NAMESPACE,
    });

    const { slack, ...subscribers } = config.notifications;
    this.notifications = new NotificationTopics(this, 'Notifications', {
      environmentName: config.name,
      subscribers,
      ...(slack ? { slack } : {}),
    });

    this.flags = new FeatureFlags(this, 'Flags', {
      environmentName: config.name,
      values: config.flags.initialValues,
      gradual: {
        deploymentDuration: Duration.minutes(config.flags.gradual.deploymentMinutes),
        growthFactorPercent: config.flags.gradual.growthFactorPercent,
        finalBakeTime: Duration.minutes(config.flags.gradual.bakeMinutes),
      },
      agentPollInterval: Duration.seconds(config.flags.agentPollIntervalSeconds),
      infoTopic: this.notifications.infoTopicForRules,
      // While the latch is set, every deploy keeps the rollback flags off (DESIGN.md D2).
      documentOverride: Fn.conditionIf(
        parameters.latched.logicalId,
        serializeFlagDocument(rolledBackDocument(flagDocument, config.flags.rollbackFlags)),
        serializeFlagDocument(flagDocument),
      ).toString(),
      // The rolled-back document is already live (the rollback function deployed it): sending it
      // out immediately changes nothing on the tasks and, unlike a 20-minute gradual deployment,
      // never blocks the next deploy's flag deployment (AppConfig runs one at a time).
      deploymentStrategyOverride: ({ gradual, immediate }) => Fn.conditionIf(parameters.latched.logicalId, immediate, gradual).toString(),
    });
    for (const slot of SLOT_NAMES) this.flags.addAgentTo(this.service.slots[slot]);

    const { slots } = this.service;
    const metrics = new KpiMetrics({
      environmentName: config.name,
      targetGroups: { stable: slots.stable.targetGroup, canary: slots.canary.targetGroup },
      loadBalancer: this.service.loadBalancer,
      minimumSamplesPerMinute: config.minimumSamplesPerMinute,
    });
    this.alarms = new KpiAlarms(this, 'Alarms', {
      environmentName: config.name,
      metrics,
      thresholds: config.thresholds,
      topics: this.notifications.topics,
    });
    this.rollback = new RollbackAutomation(this, 'Rollback', {
      environmentName: config.name,
      service: this.service,
      flags: this.flags,
      rollbackFlags: config.flags.rollbackFlags,
      triggers: this.alarms.triggers,
      latchParameterName: latch,
      criticalTopic: this.notifications.topics.critical,
      logRetention: config.logRetentionDays as logs.RetentionDays,
      logEncryptionKey: this.logsKey.key,
    });
    this.dashboards = new RolloutDashboards(this, 'Dashboards', {
      environmentName: config.name,
      metrics,
      thresholds: config.thresholds,
      alarms: [...this.alarms.alarms, this.rollback.errorsAlarm, this.rollback.anyTrigger],
      services: { stable: slots.stable.service, canary: slots.canary.service },
    });

    const { service, flags, notifications } = this;
    const outputs: Record<keyof typeof SERVICE_OUTPUTS, string> = {
      loadBalancerDnsName: service.loadBalancer.loadBalancerDnsName,
      listenerArn: service.listener.listenerArn,
      trafficRuleArn: service.trafficRule.attrRuleArn,
      clusterName: service.cluster.clusterName,
      stableServiceName: service.slots.stable.service.serviceName,
      canaryServiceName: service.slots.canary.service.serviceName,
      stableTargetGroupArn: service.slots.stable.targetGroup.targetGroupArn,
      canaryTargetGroupArn: service.slots.canary.targetGroup.targetGroupArn,
      flagsApplicationId: flags.application.applicationId,
      flagsEnvironmentId: flags.environment.environmentId,
      flagsProfileId: flags.profile.configurationProfileId,
      flagsGradualStrategyId: flags.gradualStrategy.deploymentStrategyId,
      flagsImmediateStrategyId: flags.immediateStrategy.deploymentStrategyId,
      rollbackFunctionName: this.rollback.function.functionName,
      latchParameterName: latch,
      criticalTopicArn: notifications.topics.critical.topicArn,
      warningTopicArn: notifications.topics.warning.topicArn,
      infoTopicArn: notifications.topics.info.topicArn,
    };
    for (const [key, value] of Object.entries(outputs) as [keyof typeof SERVICE_OUTPUTS, string][]) {
      new CfnOutput(this, SERVICE_OUTPUTS[key], { value });
    }
  }

  private createVpc(config: EnvironmentConfig): ec2.IVpc {
    const { network } = config;
    if (network.type === 'existing') {
      return ec2.Vpc.fromLookup(this, 'Vpc', { vpcId: network.vpcId });
    }
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: network.maxAzs,
      natGateways: network.natGateways,
      subnetConfiguration: [
        // Nothing in the public subnets needs an address from the subnet: the NAT gateways take an
        // Elastic IP each and the ALB's nodes get theirs from Elastic Load Balancing; the setting only
        // gives instances launched there a public IP (Control Tower CT.EC2.PR.11,
        // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifySubnetAttribute.html).
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
      ],
    });
    vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(
        new logs.LogGroup(this, 'FlowLogs', { retention: config.logRetentionDays as logs.RetentionDays, encryptionKey: this.logsKey.key }),
      ),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });
    return vpc;
  }

  private certificate(config: EnvironmentConfig): elbv2.IListenerCertificate | undefined {
    const { certificateArn, certificateArnParameter } = config.tls;
    if (certificateArn) return elbv2.ListenerCertificate.fromArn(certificateArn);
    if (certificateArnParameter) {
      // Resolved by CloudFormation at deploy time: no lookup, no credentials at synth.
      return elbv2.ListenerCertificate.fromArn(ssm.StringParameter.valueForStringParameter(this, certificateArnParameter));
    }
    return undefined;
  }
}
