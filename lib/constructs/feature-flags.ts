import { Arn, ArnFormat, Duration, Lazy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { AGENT_POLL_INTERVAL_SECONDS, APPCONFIG_AGENT_MEMORY_LIMIT_MIB, APPCONFIG_AGENT_PORT } from '../config/schema';
import type { EnvironmentName } from '../shared/environment-names';
import type { FargateSlot } from './private/fargate-slot';
import { CONTAINER_ENVIRONMENT } from '../shared/metrics-contract';
import { buildFlagDocument, serializeFlagDocument, type FlagValues } from '../shared/feature-flags';
import { flagStrategyName, flagsApplicationName } from '../shared/names';
import { APPCONFIG_DEPLOYMENT_EVENTS, APPCONFIG_EVENTBRIDGE_EXTENSION } from '../shared/aws-events';

export interface GradualRollout {
  /** How long AppConfig takes to reach 100 % of targets. */
  readonly deploymentDuration: Duration;
  /** Percent of targets added at each step. */
  readonly growthFactorPercent: number;
  /** How long AppConfig watches the monitors after reaching 100 % before the deployment completes. */
  readonly finalBakeTime: Duration;
}

export interface FeatureFlagsProps {
  readonly environmentName: EnvironmentName;
  /** The value of each flag deployed by this template. */
  readonly values: FlagValues;
  /** The strategy CloudFormation and `mcp-rollout flags set` use for ordinary changes. */
  readonly gradual: GradualRollout;
  /** How often the AppConfig Agent in each task polls for a new version: whole seconds, 15 to 60. */
  readonly agentPollInterval: Duration;
  /** Where this environment's flag deployment events (started, completed, rolled back) are published. */
  readonly infoTopic: sns.ITopic;
  /**
   * The flag document to deploy, as a string; overrides `values` when given. Lets the stack pass a
   * CloudFormation expression (the rollback latch picks between two documents at deploy time).
   * @default - the document built from `values`
   */
  readonly documentOverride?: string;
  /**
   * The id of the strategy CloudFormation deploys the document with, as a string; overrides the
   * gradual strategy when given. Lets the stack pass a CloudFormation expression (while the latch
   * is set, the rolled-back document goes out with the immediate strategy).
   * @default - the gradual strategy
   */
  readonly deploymentStrategyOverride?: (strategies: { readonly gradual: string; readonly immediate: string }) => string;
}

/** The flag deployment events announced on the info topic: started, completed, rolled back. */
export const FLAG_DEPLOYMENT_EVENT_TYPES = [
  APPCONFIG_DEPLOYMENT_EVENTS.start,
  APPCONFIG_DEPLOYMENT_EVENTS.complete,
  APPCONFIG_DEPLOYMENT_EVENTS.rollback,
] as const;

/** The AppConfig Agent image; 2.x is the supported major version. */
export const APPCONFIG_AGENT_IMAGE = 'public.ecr.aws/aws-appconfig/aws-appconfig-agent:2.x';

/**
 * The user the AppConfig Agent runs as: `nobody`, not root (Control Tower CT.ECS.PR.3). It listens
 * on 2772, above the privileged ports, and reads nothing from disk but its own binary.
 */
export const APPCONFIG_AGENT_USER = '65534:65534';

/**
 * The seed's feature flags on AppConfig: an application, an environment and a feature-flag profile,
 * a gradual strategy for ordinary changes and an immediate one for emergencies, and the hook that
 * puts the AppConfig Agent beside the server in a task.
 */
export class FeatureFlags extends Construct {
  readonly application: appconfig.Application;
  readonly environment: appconfig.Environment;
  readonly profile: appconfig.HostedConfiguration;
  readonly gradualStrategy: appconfig.DeploymentStrategy;
  /** No steps and no bake: every agent gets the version at its next poll. For rollbacks. */
  readonly immediateStrategy: appconfig.DeploymentStrategy;
  private readonly agentPollInterval: Duration;
  private readonly monitors: appconfig.CfnEnvironment.MonitorsProperty[] = [];
  private monitorRole?: iam.Role;
  /** The flag deployment CloudFormation starts (the profile's `deployTo`). */
  private readonly deployment: appconfig.CfnDeployment;

  constructor(scope: Construct, id: string, props: FeatureFlagsProps) {
    super(scope, id);
    this.agentPollInterval = validatePollInterval(props.agentPollInterval);
    const prefix = flagsApplicationName(props.environmentName);

    this.application = new appconfig.Application(this, 'Application', {
      applicationName: prefix,
      description: `Feature flags of the MCP server in ${props.environmentName}`,
    });
    this.environment = new appconfig.Environment(this, 'Environment', {
      application: this.application,
      environmentName: props.environmentName,
    });
    // Filled by addRollbackMonitor; rendered at synth so alarms made after this construct count.
    (this.environment.node.defaultChild as appconfig.CfnEnvironment).monitors = Lazy.any(
      { produce: () => (this.monitors.length > 0 ? this.monitors : undefined) },
      { omitEmptyArray: true },
    );
    this.gradualStrategy = new appconfig.DeploymentStrategy(this, 'GradualStrategy', {
      deploymentStrategyName: flagStrategyName(props.environmentName, 'gradual'),
      description: 'Ordinary flag changes: linear steps, then a bake watched by the monitors.',
      rolloutStrategy: appconfig.RolloutStrategy.linear({
        growthFactor: props.gradual.growthFactorPercent,
        deploymentDuration: props.gradual.deploymentDuration,
        finalBakeTime: props.gradual.finalBakeTime,
      }),
    });
    this.immediateStrategy = new appconfig.DeploymentStrategy(this, 'ImmediateStrategy', {
      deploymentStrategyName: flagStrategyName(props.environmentName, 'immediate'),
      description: 'Emergencies and rollbacks: all targets at once, no bake, so the next deployment is never blocked.',
      rolloutStrategy: appconfig.RolloutStrategy.linear({
        growthFactor: 100,
        deploymentDuration: Duration.minutes(0),
        finalBakeTime: Duration.minutes(0),
      }),
    });

    const document = props.documentOverride ?? serializeFlagDocument(buildFlagDocument(props.values));
    this.profile = new appconfig.HostedConfiguration(this, 'Flags', {
      application: this.application,
      name: 'feature-flags',
      description: 'The seed flags: hierarchical tools, enumDescriptions validation, auto-correction, error messages, monitoring.',
      type: appconfig.ConfigurationType.FEATURE_FLAGS,
      content: appconfig.ConfigurationContent.fromInline(document, 'application/json'),
      deploymentStrategy: this.gradualStrategy,
      deployTo: [this.environment],
    });
    const deployment = this.profile.node.children.find((c): c is appconfig.CfnDeployment => c instanceof appconfig.CfnDeployment);
    if (!deployment) throw new Error(`FeatureFlags ${this.node.path}: no AWS::AppConfig::Deployment was made for the profile`);
    this.deployment = deployment;
    if (props.deploymentStrategyOverride) {
      deployment.deploymentStrategyId = props.deploymentStrategyOverride({
        gradual: this.gradualStrategy.deploymentStrategyId,
        immediate: this.immediateStrategy.deploymentStrategyId,
      });
    }

    // Without the association AppConfig sends no deployment event at all, neither to the info
    // topic nor to the rollback function's enforce rule
    // (https://docs.aws.amazon.com/appconfig/latest/userguide/working-with-appconfig-extensions-about-predefined-notification-eventbridge.html).
    // On the environment: its deployments are announced, no other environment's.
    const association = new appconfig.CfnExtensionAssociation(this, 'DeploymentEventsToEventBridge', {
      extensionIdentifier: APPCONFIG_EVENTBRIDGE_EXTENSION,
      resourceIdentifier: this.environment.environmentArn,
    });
    // Nothing else orders them: without it, the first deploy's flag deployment may start before the
    // association exists, and its events would reach neither the info topic nor the enforce path
    // (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-dependson.html).
    deployment.addResourceDependency(association);
    new events.Rule(this, 'DeploymentEvents', {
      description: `Flag deployments of ${prefix} to the info topic`,
      // The event names the application and environment in detail.Application.Id and
      // detail.Environment.Id (the sample event of the extension's page above): another
      // environment in the same account and region is not announced here.
      eventPattern: {
        source: [APPCONFIG_DEPLOYMENT_EVENTS.source],
        detailType: [...FLAG_DEPLOYMENT_EVENT_TYPES],
        detail: { Application: { Id: [this.application.applicationId] }, Environment: { Id: [this.environment.environmentId] } },
      },
      targets: [
        new targets.SnsTopic(props.infoTopic, {
          message: events.RuleTargetInput.fromObject({
            event: 'feature_flag_deployment',
            environment: props.environmentName,
            state: events.EventField.detailType,
            time: events.EventField.time,
            detail: events.EventField.fromPath('$.detail'),
          }),
        }),
      ],
    });
  }

  /**
   * Makes `alarm` a monitor of the AppConfig environment: AppConfig rolls a flag deployment back
   * while a monitor is in ALARM or INSUFFICIENT_DATA
   * (https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-creating-environment.html).
   * A quiet service has no data, so an alarm that treats missing data as breaching (or missing)
   * would block every flag change at night; such alarms are refused.
   */
  addRollbackMonitor(alarm: cloudwatch.Alarm | cloudwatch.CompositeAlarm, alarmName?: string): void {
    // A composite alarm has no missing-data setting of its own; its children's settings apply.
    const treatment =
      alarm instanceof cloudwatch.Alarm ? (alarm.node.defaultChild as cloudwatch.CfnAlarm).treatMissingData : cloudwatch.TreatMissingData.NOT_BREACHING;
    if (treatment !== cloudwatch.TreatMissingData.NOT_BREACHING && treatment !== cloudwatch.TreatMissingData.IGNORE) {
      throw new Error(
        `alarm ${alarm.node.path} must treat missing data as notBreaching or ignore to be an AppConfig monitor, got ${treatment ?? 'missing (the default)'}`,
      );
    }
    // With its name given, the alarm is referred to by an ARN built from the name rather than by
    // a reference: the rollback alarms' Lambda action depends, through the traffic rule and the
    // services, on the tasks' read grant on this environment, and a reference would close a cycle.
    const alarmArn = alarmName
      ? Arn.format({ service: 'cloudwatch', resource: 'alarm', resourceName: alarmName, arnFormat: ArnFormat.COLON_RESOURCE_NAME }, Stack.of(this))
      : alarm.alarmArn;
    if (!this.monitorRole) {
      this.monitorRole = new iam.Role(this, 'MonitorRole', {
        assumedBy: new iam.ServicePrincipal('appconfig.amazonaws.com'),
        description: 'Lets AppConfig read the state of the rollback trigger alarms',
      });
    }
    // Reading a composite alarm needs cloudwatch:DescribeAlarms scoped to "*"; with a narrower scope
    // DescribeAlarms returns no composite alarm
    // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html),
    // which is also why aws-cdk's own appconfig.Environment grants "*" for monitors.
    const composite = alarm instanceof cloudwatch.CompositeAlarm;
    this.monitorRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: [composite ? '*' : alarmArn] }));
    if (composite) {
      Validations.of(this.monitorRole).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'AppConfig reads a composite alarm monitor with cloudwatch:DescribeAlarms, which returns composite alarms only when scoped to "*" (DescribeAlarms API reference). The action only reads alarm states.',
      });
    }
    this.monitors.push({ alarmArn, alarmRoleArn: this.monitorRole.roleArn });
    // The monitor is referred to by name (no reference, see above), so nothing makes CloudFormation
    // create it before the flag deployment: the first deployment would run unwatched. The alarm
    // does not depend on the deployment, so this closes no cycle. Right after its creation a
    // composite alarm is INSUFFICIENT_DATA until its first evaluation, the only time it can be
    // (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudwatch-compositealarm.html),
    // and AppConfig rolls back in INSUFFICIENT_DATA too: README "Automated rollback" says what
    // the first deploy does if AppConfig reads it in that moment.
    this.deployment.node.addDependency(alarm);
  }

  /** Path the agent serves this environment's flags on, relative to the agent's address. */
  get agentPath(): string {
    return `/applications/${this.application.applicationId}/environments/${this.environment.environmentId}/configurations/${this.profile.configurationProfileId}`;
  }

  /** The exact ARN of this application, environment and profile, the only thing tasks may read. */
  get configurationArn(): string {
    return Arn.format(
      {
        service: 'appconfig',
        resource: 'application',
        resourceName: `${this.application.applicationId}/environment/${this.environment.environmentId}/configuration/${this.profile.configurationProfileId}`,
      },
      Stack.of(this),
    );
  }

  /** Lets `grantee` read this environment's flags, and nothing else in AppConfig. */
  grantRead(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['appconfig:StartConfigurationSession', 'appconfig:GetLatestConfiguration'],
      resourceArns: [this.configurationArn],
    });
  }

  /**
   * Adds the AppConfig Agent as a sidecar of the slot's task, tells the server container where to
   * read the flags (MCP_FEATURE_FLAGS_URL) and lets the task read them.
   */
  addAgentTo(slot: FargateSlot): ecs.ContainerDefinition {
    const { taskDefinition, container: server } = slot;
    const pollSeconds = this.agentPollInterval.toSeconds();
    const agent = taskDefinition.addContainer('AppConfigAgent', {
      containerName: 'appconfig-agent',
      image: ecs.ContainerImage.fromRegistry(APPCONFIG_AGENT_IMAGE),
      // Without the agent no flag change (a rollback included) reaches the server: restart the task.
      essential: true,
      user: APPCONFIG_AGENT_USER,
      // The agent writes to disk only where BACKUP_DIRECTORY, LOG_PATH or a MANIFEST tell it to
      // (https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-integration-containers-agent-configuring.html);
      // none is set: it caches in memory and logs to stderr. A backup would not help here anyway:
      // the task's storage ends with the task, and the agent is essential, so it never outlives it.
      readonlyRootFilesystem: true,
      memoryLimitMiB: APPCONFIG_AGENT_MEMORY_LIMIT_MIB,
      memoryReservationMiB: 64,
      portMappings: [{ containerPort: APPCONFIG_AGENT_PORT, protocol: ecs.Protocol.TCP }],
      environment: {
        POLL_INTERVAL: String(pollSeconds),
        PREFETCH_LIST: this.agentPath,
        HTTP_PORT: String(APPCONFIG_AGENT_PORT),
      },
      logging: ecs.LogDrivers.awsLogs({ logGroup: slot.logGroup, streamPrefix: 'appconfig-agent' }),
    });
    // START, not HEALTHY: AWS advises a container health check and a HEALTHY dependency for the
    // agent (https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-integration-containers-agent-starting-ecs.html)
    // but documents no endpoint or command to probe it with, nor what its image contains; a guessed
    // check that failed would mark this essential container UNHEALTHY and stop every task. The
    // server waits for its first flag read instead, answering 503 until then (FLAGS_START_DEADLINE_MS).
    server.addContainerDependencies({ container: agent, condition: ecs.ContainerDependencyCondition.START });
    server.addEnvironment(CONTAINER_ENVIRONMENT.featureFlagsUrl, `http://localhost:${APPCONFIG_AGENT_PORT}${this.agentPath}`);
    this.grantRead(taskDefinition.taskRole);
    return agent;
  }
}

/** The agent's poll interval, checked against AGENT_POLL_INTERVAL_SECONDS (unresolved tokens pass). */
function validatePollInterval(interval: Duration): Duration {
  const seconds = interval.toSeconds({ integral: false });
  const { min, max } = AGENT_POLL_INTERVAL_SECONDS;
  if (!Token.isUnresolved(seconds) && (!Number.isInteger(seconds) || seconds < min || seconds > max)) {
    throw new Error(`agentPollInterval must be a whole number of seconds from ${min} to ${max}, got ${seconds} s`);
  }
  return interval;
}
