import * as path from 'node:path';
import { Arn, ArnFormat, Duration, RemovalPolicy, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { EnvironmentName } from '../shared/environment-names';
import type { FlagName } from '../shared/feature-flags';
import { APPCONFIG_DEPLOYMENT_EVENTS, FLAG_DEPLOYMENT_EVENTS_TO_ENFORCE, STACK_STATUSES_TO_ENFORCE, STACK_STATUS_EVENT } from '../shared/aws-events';
import { alarmName, rollbackFunctionName, rollbackMonitorName } from '../shared/names';
import { ROLLBACK_FUNCTION_ENV } from '../shared/rollback-contract';
import type { FeatureFlags } from './feature-flags';
import { handlerBundling } from './private/lambda-bundling';
import { ROLLBACK_ENTRY } from './private/rollback-bundle';
import type { TriggerAlarm } from './kpi-alarms';
import { ReleaseHistory } from './release-history';
import type { WeightedFargateService } from './weighted-fargate-service';

export interface RollbackAutomationProps {
  readonly environmentName: EnvironmentName;
  readonly service: WeightedFargateService;
  readonly flags: FeatureFlags;
  /** Flags the rollback turns off. */
  readonly rollbackFlags: readonly FlagName[];
  /** The trigger alarms; each invokes the function directly and becomes an AppConfig monitor. */
  readonly triggers: readonly TriggerAlarm[];
  /** The latch parameter's name (it lives in the State stack). */
  readonly latchParameterName: string;
  readonly criticalTopic: sns.ITopic;
  readonly logRetention: logs.RetentionDays;
  /** Encrypts the function's log group. */
  readonly logEncryptionKey: kms.IKey;
}

/**
 * Timing the time-to-safe budget relies on (README "Time to safe"): the function's timeout
 * bounds how long a rollback can take once invoked.
 */
export const ROLLBACK_FUNCTION_TIMEOUT = Duration.seconds(30);

/** Asynchronous retries and event age of every invocation, alarm or EventBridge rule. */
const RETRY_ATTEMPTS = 2;
const MAX_EVENT_AGE = Duration.hours(1);

/**
 * The seed's automated rollback: the rollback function, invoked directly by every trigger alarm
 * (an alarm Lambda action, no hop through SNS), and by EventBridge when a Service stack operation
 * or a flag deployment ends, so that a rollback in force wins over a deploy already in flight
 * (DESIGN.md D2). Allowed to touch only this environment's traffic rule, flags, latch, critical
 * topic and event bus. Runs are safe concurrently (idempotent steps, ConflictException handled,
 * the latch keeps its first record): no reserved concurrency, which would fail the deploy in
 * accounts with a low concurrency quota and throttle a manual rollback during an automatic one
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html).
 */
export class RollbackAutomation extends Construct {
  readonly function: nodejs.NodejsFunction;
  /** Any trigger in ALARM: the AppConfig environment's monitor (an environment takes at most 5). */
  readonly anyTrigger: cloudwatch.CompositeAlarm;
  /** The function failing: the rollback itself needs a person. */
  readonly errorsAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: RollbackAutomationProps) {
    super(scope, id);
    const { service, flags, environmentName } = props;
    const stack = Stack.of(this);
    const app = flags.application.applicationId;
    const env = flags.environment.environmentId;
    const profile = flags.profile.configurationProfileId;
    const appconfigArn = (resourceName: string) => Arn.format({ service: 'appconfig', resource: 'application', resourceName }, stack);
    const anyTriggerName = rollbackMonitorName(environmentName);

    const logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention, encryptionKey: props.logEncryptionKey, removalPolicy: RemovalPolicy.RETAIN });
    // An explicit role instead of the default one, which would carry the AWS-managed
    // AWSLambdaBasicExecutionRole (logs on every log group); this one writes only to its own.
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `mcp-rollout ${environmentName}: the rollback function`,
    });
    logGroup.grantWrite(role);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      functionName: rollbackFunctionName(environmentName),
      description: `mcp-rollout ${environmentName}: traffic to stable, rollback flags off, latch set`,
      entry: path.join(__dirname, '..', '..', ROLLBACK_ENTRY),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: ROLLBACK_FUNCTION_TIMEOUT,
      role,
      logGroup,
      retryAttempts: RETRY_ATTEMPTS,
      maxEventAge: MAX_EVENT_AGE,
      onFailure: new destinations.SnsDestination(props.criticalTopic),
      bundling: handlerBundling(),
      environment: {
        [ROLLBACK_FUNCTION_ENV.environment]: environmentName,
        [ROLLBACK_FUNCTION_ENV.trafficRuleArn]: service.trafficRule.attrRuleArn,
        [ROLLBACK_FUNCTION_ENV.stableTargetGroupArn]: service.slots.stable.targetGroup.targetGroupArn,
        [ROLLBACK_FUNCTION_ENV.canaryTargetGroupArn]: service.slots.canary.targetGroup.targetGroupArn,
        [ROLLBACK_FUNCTION_ENV.applicationId]: app,
        [ROLLBACK_FUNCTION_ENV.environmentId]: env,
        [ROLLBACK_FUNCTION_ENV.profileId]: profile,
        [ROLLBACK_FUNCTION_ENV.immediateStrategyId]: flags.immediateStrategy.deploymentStrategyId,
        [ROLLBACK_FUNCTION_ENV.rollbackFlags]: props.rollbackFlags.join(','),
        [ROLLBACK_FUNCTION_ENV.latchParameter]: props.latchParameterName,
        [ROLLBACK_FUNCTION_ENV.criticalTopicArn]: props.criticalTopic.topicArn,
        [ROLLBACK_FUNCTION_ENV.eventBusName]: 'default',
        [ROLLBACK_FUNCTION_ENV.triggerAlarms]: props.triggers.map((t) => t.name).join(','),
        [ROLLBACK_FUNCTION_ENV.serviceStackName]: stack.stackName,
        [ROLLBACK_FUNCTION_ENV.monitorAlarmName]: anyTriggerName,
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
    });

    const allow = (actionsList: string[], resources: string[]) =>
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: actionsList, resources }));
    allow(['elasticloadbalancing:ModifyRule'], [service.trafficRule.attrRuleArn]);
    allow(['appconfig:CreateHostedConfigurationVersion', 'appconfig:ListHostedConfigurationVersions'], [appconfigArn(`${app}/configurationprofile/${profile}`)]);
    allow(['appconfig:GetHostedConfigurationVersion'], [appconfigArn(`${app}/configurationprofile/${profile}/hostedconfigurationversion/*`)]);
    allow(['appconfig:ListDeployments'], [appconfigArn(`${app}/environment/${env}`)]);
    allow(['appconfig:StopDeployment', 'appconfig:GetDeployment'], [appconfigArn(`${app}/environment/${env}/deployment/*`)]);
    allow(
      ['appconfig:StartDeployment'],
      [
        appconfigArn(`${app}/environment/${env}`),
        appconfigArn(`${app}/configurationprofile/${profile}`),
        Arn.format({ service: 'appconfig', resource: 'deploymentstrategy', resourceName: flags.immediateStrategy.deploymentStrategyId }, stack),
      ],
    );
    allow(
      ['ssm:GetParameter', 'ssm:GetParameterHistory', 'ssm:PutParameter'],
      [Arn.format({ service: 'ssm', resource: 'parameter', resourceName: props.latchParameterName.replace(/^\//, '') }, stack)],
    );
    // Each rollback is recorded once, by the function (lib/shared/release-history.ts).
    ReleaseHistory.grantAppend(role, stack, environmentName);
    props.criticalTopic.grantPublish(role);
    events.EventBus.fromEventBusName(this, 'DefaultBus', 'default').grantPutEventsTo(role);
    // DescribeRules has no resource-level permission (Service Authorization Reference, elasticloadbalancing).
    allow(['elasticloadbalancing:DescribeRules'], ['*']);
    // Before its flag deployment the function disables the monitor's actions, or AppConfig would roll
    // the deployment back while a trigger fires (lib/shared/rollback-monitor.ts). DisableAlarmActions
    // takes the alarm's ARN as its resource (Service Authorization Reference, cloudwatch). The ARN is
    // built from the name, as the monitor's is: a reference would close a cycle (the composite ->
    // the triggers -> their action on this function -> this policy).
    allow(['cloudwatch:DisableAlarmActions'], [Arn.format({ service: 'cloudwatch', resource: 'alarm', resourceName: anyTriggerName, arnFormat: ArnFormat.COLON_RESOURCE_NAME }, stack)]);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'elasticloadbalancing:DescribeRules supports no resource-level permission; it only reads rules. Every write is scoped to this environment.',
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason: 'Publishing to the KMS-encrypted critical topic needs GenerateDataKey*; the statement is scoped to that one key.',
    });
    // cdk-nag names a wildcard resource by its template form, with <LogicalId> for each reference.
    const idOf = (c: Construct) => `<${stack.getLogicalId((c.node.defaultChild ?? c) as CfnElement)}>`;
    const nagArn = (rest: string) => `arn:<AWS::Partition>:appconfig:<AWS::Region>:<AWS::AccountId>:application/${idOf(flags.application)}/${rest}`;
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagArn(`configurationprofile/${idOf(flags.profile.node.findChild('ConfigurationProfile'))}/hostedconfigurationversion/*`)}]`,
      reason: 'Hosted versions of this one profile: their numbers are created at run time.',
    });
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagArn(`environment/${idOf(flags.environment)}/deployment/*`)}]`,
      reason: 'Deployments of this one environment: their numbers are created at run time.',
    });

    const invoke = new actions.LambdaAction(this.function);
    for (const { alarm } of props.triggers) alarm.addAlarmAction(invoke);

    // The enforce path: whatever ends while the latch is set is driven back to the latched state.
    // The function acts only while latched; otherwise it answers "not_latched" and changes nothing.
    const enforce = new targets.LambdaFunction(this.function, { retryAttempts: RETRY_ATTEMPTS, maxEventAge: MAX_EVENT_AGE });
    new events.Rule(this, 'StackOperationEnded', {
      description: `${stack.stackName} operations that end: re-assert a rollback in force (the update may have written the weights it resolved before the latch was set)`,
      eventPattern: {
        source: [STACK_STATUS_EVENT.source],
        detailType: [STACK_STATUS_EVENT.detailType],
        detail: { 'stack-id': [stack.stackId], 'status-details': { status: [...STACK_STATUSES_TO_ENFORCE] } },
      },
      targets: [enforce],
    });
    // These reach EventBridge only while the AppConfig "deployment events to Amazon EventBridge"
    // extension is associated with the application, environment or profile (FeatureFlags does it).
    // A start counts too: a change made in the console or with the API while rolled back is stopped
    // before it spreads, not when it completes 20 minutes later. (The construct id is kept so the
    // rule is updated in place.)
    new events.Rule(this, 'FlagDeploymentEnded', {
      description: `Flag deployments of ${environmentName} that start, complete or roll back: re-assert a rollback in force`,
      eventPattern: {
        source: [APPCONFIG_DEPLOYMENT_EVENTS.source],
        detailType: [...FLAG_DEPLOYMENT_EVENTS_TO_ENFORCE],
        detail: { Environment: { Id: [env] } },
      },
      targets: [enforce],
    });

    this.anyTrigger = new cloudwatch.CompositeAlarm(this, 'AnyTrigger', {
      compositeAlarmName: anyTriggerName,
      // No actions of its own: the rollback disables them while it deploys flags, silencing nothing else.
      alarmDescription:
        'Any rollback trigger in ALARM. The AppConfig environment monitors it: a flag deployment rolls back while it fires and its actions are enabled. The rollback disables them; mcp-rollout resume enables them.',
      alarmRule: cloudwatch.AlarmRule.anyOf(...props.triggers.map((t) => cloudwatch.AlarmRule.fromAlarm(t.alarm, cloudwatch.AlarmState.ALARM))),
    });
    flags.addRollbackMonitor(this.anyTrigger, anyTriggerName);

    this.errorsAlarm = new cloudwatch.Alarm(this, 'Errors', {
      alarmName: alarmName(environmentName, 'service', 'rollback-function-errors', 'critical'),
      alarmDescription: `[critical] the rollback function failed: the environment may be only partly rolled back. Run npx mcp-rollout status --environment ${environmentName}, then npx mcp-rollout rollback --environment ${environmentName} --confirm.`,
      metric: this.function.metricErrors({ period: Duration.minutes(1), statistic: cloudwatch.Stats.SUM }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      // No invocation, no error metric: nothing failed.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.errorsAlarm.addAlarmAction(new actions.SnsAction(props.criticalTopic));
  }
}
