import * as path from 'node:path';
import { Arn, ArnFormat, Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { EnvironmentName } from '../shared/environment-names';
import type { KpiThresholdTable } from '../shared/metrics-contract';
import { ROLLOUT_EVENT_SOURCE } from '../shared/metrics-contract';
import { releaseHistoryParameterName } from '../shared/names';
import {
  planProblems,
  ROLLOUT_EVENT_TYPES,
  ROLLOUT_JUDGE_ENV,
  ROLLOUT_LOCK_ATTRIBUTES,
  rolloutJudgeFunctionName,
  rolloutLockTableName,
  rolloutStateMachineName,
  type RolloutPlan,
} from '../shared/rollout-contract';
import { handlerBundling } from './private/lambda-bundling';
import { LogEncryptionKey } from './private/encryption-keys';
import { ReleaseHistory } from './release-history';
import { rolloutDefinition, type AslDefinition } from './private/rollout-definition';

export interface RolloutEngineProps {
  readonly environmentName: EnvironmentName;
  /** The steps the state machine runs, then promotion. Checked with `planProblems`. */
  readonly plan: RolloutPlan;
  /** The CloudFormation name of the Service stack the engine updates (same account and region). */
  readonly serviceStackName: string;
  /** The rollback function the trigger alarms invoke; the engine sends it a manual request. */
  readonly rollbackFunction: lambda.IFunction;
  /** Every transition is announced here (the Service stack's info topic). */
  readonly infoTopic: sns.ITopic;
  /** The latch parameter's name (it lives in the State stack). */
  readonly latchParameterName: string;
  /** The environment's KPI table: the judge's absolute targets. */
  readonly thresholds: KpiThresholdTable;
  readonly minimumSamplesPerMinute: number;
  readonly logRetention: logs.RetentionDays;
  /** AWS X-Ray tracing of the state machine. @default true */
  readonly tracing?: boolean;
}

/**
 * The rollout engine (DESIGN.md D8): a Standard state machine that runs the plan against the
 * Service stack, the judge function it asks every bake minute, the release history it writes, and
 * the rules that carry its transitions to the info topic. Each rollout's summary goes to the
 * environment's release history (the State stack's parameter, lib/shared/release-history.ts).
 *
 * The state machine's role may update exactly one stack, read the latch, write the release
 * history, invoke the rollback and judge functions, put events on the default bus, write and read
 * its lock item and describe its own executions. It holds no permission on the stack's resources and no iam:PassRole: CloudFormation
 * applies an update with the role the stack was deployed with (the CDK bootstrap's execution role)
 * when UpdateStack names none, "even if the users don't have permission to pass it"
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_UpdateStack.html, RoleARN).
 */
export class RolloutEngine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly role: iam.Role;
  readonly judgeFunction: nodejs.NodejsFunction;
  readonly logGroup: logs.LogGroup;
  readonly logKey: kms.Key;
  /** One rollout at a time: the lock a run takes with a conditional write (rollout-definition.ts). */
  readonly lockTable: dynamodb.TableV2;
  /** The definition as built from the plan (before CloudFormation resolves the ARNs in it). */
  readonly definition: AslDefinition;

  constructor(scope: Construct, id: string, props: RolloutEngineProps) {
    super(scope, id);
    const problems = planProblems(props.plan, 'plan');
    if (problems.length > 0) throw new Error(`RolloutEngine: invalid plan:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    const { environmentName: env } = props;
    const stack = Stack.of(this);
    const machineName = rolloutStateMachineName(env);

    // The engine's own key for its logs, as the Service stack has one for its logs (a key per
    // stack: no cross-stack reference), with the same policy: CloudWatch Logs of this account only.
    this.logKey = new LogEncryptionKey(this, 'LogKey', { environmentName: env }).key;
    const logGroup = (logId: string, logGroupName: string) =>
      new logs.LogGroup(this, logId, { logGroupName, encryptionKey: this.logKey, retention: props.logRetention, removalPolicy: RemovalPolicy.RETAIN });
    // Step Functions recommends the /aws/vendedlogs/ prefix: it keeps the CloudWatch Logs resource
    // policy under its size limit (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html).
    this.logGroup = logGroup('Logs', `/aws/vendedlogs/states/${machineName}`);

    this.judgeFunction = this.createJudge(props, logGroup('JudgeLogs', `/aws/lambda/${rolloutJudgeFunctionName(env)}`));

    // One item at most, written a few times per rollout: on-demand, encrypted with the AWS managed
    // key, recoverable to a point in time. It holds nothing worth keeping once the stack is gone.
    this.lockTable = new dynamodb.TableV2(this, 'Lock', {
      tableName: rolloutLockTableName(env),
      partitionKey: { name: ROLLOUT_LOCK_ATTRIBUTES.key, type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } } }),
      description: `mcp-rollout ${env}: the rollout state machine`,
    });
    const allow = (actions: string[], resources: string[]) => this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources }));
    const serviceStackArn = Arn.format({ service: 'cloudformation', resource: 'stack', resourceName: `${props.serviceStackName}/*` }, stack);
    allow(['cloudformation:DescribeStacks', 'cloudformation:UpdateStack'], [serviceStackArn]);
    allow(['ssm:GetParameter'], [ssmParameterArn(stack, props.latchParameterName)]);
    // The release history lives in the State stack (ReleaseHistory): one version per rollout.
    allow(['ssm:PutParameter'], [ReleaseHistory.parameterArn(stack, env)]);
    allow(['lambda:InvokeFunction'], [props.rollbackFunction.functionArn, this.judgeFunction.functionArn]);
    allow(['events:PutEvents'], [Arn.format({ service: 'events', resource: 'event-bus', resourceName: 'default' }, stack)]);
    allow(['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:DeleteItem'], [this.lockTable.tableArn]);
    // Is the lock's holder still running? Executions of this state machine only: its name is
    // fixed, so the role names them without a reference cycle.
    allow(['states:DescribeExecution'], [Arn.format({ service: 'states', resource: 'execution', resourceName: `${machineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }, stack)]);

    this.definition = rolloutDefinition({
      environment: env,
      plan: props.plan,
      stackName: props.serviceStackName,
      latchParameterName: props.latchParameterName,
      historyParameterName: releaseHistoryParameterName(env),
      rollbackFunctionArn: props.rollbackFunction.functionArn,
      judgeFunctionArn: this.judgeFunction.functionArn,
      // The fixed name, not a reference: the definition reads the same in tests and templates.
      lockTableName: rolloutLockTableName(env),
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: machineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(stack.toJsonString(this.definition)),
      role: this.role,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: props.tracing ?? true,
      comment: `mcp-rollout ${env}: runs a release plan against ${props.serviceStackName}`,
    });
    this.stateMachine.node.addDependency(this.lockTable);
    this.acknowledge(props);
    this.announceTransitions(env, props.infoTopic);
  }

  private createJudge(props: RolloutEngineProps, logGroup: logs.LogGroup): nodejs.NodejsFunction {
    const env = props.environmentName;
    const stack = Stack.of(this);
    const role = new iam.Role(this, 'JudgeRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `mcp-rollout ${env}: the rollout judge function`,
    });
    logGroup.grantWrite(role);
    const fn = new nodejs.NodejsFunction(this, 'Judge', {
      functionName: rolloutJudgeFunctionName(env),
      description: `mcp-rollout ${env}: judges a bake, canary against stable and the KPI table (pass, hold, fail)`,
      entry: path.join(__dirname, '..', '..', 'lambda', 'rollout-judge', 'index.ts'),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      // One GetMetricData window and the alarm history: seconds; the state machine retries a timeout.
      timeout: Duration.seconds(30),
      role,
      logGroup,
      bundling: handlerBundling(),
      environment: {
        [ROLLOUT_JUDGE_ENV.environment]: env,
        [ROLLOUT_JUDGE_ENV.serviceStackName]: props.serviceStackName,
        [ROLLOUT_JUDGE_ENV.thresholds]: JSON.stringify(props.thresholds),
        [ROLLOUT_JUDGE_ENV.minimumSamplesPerMinute]: String(props.minimumSamplesPerMinute),
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
    });
    const allow = (actions: string[], resources: string[]) => role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources }));
    allow(['cloudformation:DescribeStacks'], [Arn.format({ service: 'cloudformation', resource: 'stack', resourceName: `${props.serviceStackName}/*` }, stack)]);
    // GetMetricData and DescribeAlarms have no resource-level permission (Service Authorization
    // Reference, CloudWatch; DESIGN.md "Facts"). The window reader asks DescribeAlarmHistory for
    // every metric and composite alarm (no AlarmName) and keeps this environment's names; "To use
    // this operation and return information about a composite alarm, you must be signed on with the
    // cloudwatch:DescribeAlarmHistory permission that is scoped to *"
    // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarmHistory.html).
    allow(['cloudwatch:GetMetricData', 'cloudwatch:DescribeAlarms', 'cloudwatch:DescribeAlarmHistory'], ['*']);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Read-only CloudWatch calls: GetMetricData and DescribeAlarms support no resource-level permission, and DescribeAlarmHistory returns composite alarms only with the permission scoped to * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarmHistory.html).',
    });
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/${props.serviceStackName}/*]`,
      reason: 'The one Service stack by name; the trailing * is the stack id CloudFormation appends.',
    });
    return fn;
  }

  private acknowledge(props: RolloutEngineProps): void {
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/${props.serviceStackName}/*]`,
      reason: 'The one Service stack by name; the trailing * is the stack id CloudFormation appends to the name.',
    });
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${rolloutStateMachineName(props.environmentName)}:*]`,
      reason: "DescribeExecution of this state machine's own executions (the lock's holder); execution names are not known in advance.",
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Step Functions log delivery (logs:CreateLogDelivery and the other delivery actions) and X-Ray tracing need "*" (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html); every action on a resource is scoped to it.',
    });
    if (props.tracing === false) {
      Validations.of(this.stateMachine).acknowledge({
        id: 'AwsSolutions-SF2',
        reason: 'X-Ray tracing is optional (config rollout.tracing): every state transition is already logged with its data to the encrypted log group and kept in the execution history.',
      });
    }
  }

  /**
   * Every transition reaches the info topic: the execution's status changes, which Step Functions
   * sends to EventBridge itself (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-states.html),
   * and the engine's own step events. The SNS target grants events.amazonaws.com sns:Publish in the
   * topic's policy (its key already lets EventBridge use it).
   */
  private announceTransitions(env: EnvironmentName, infoTopic: sns.ITopic): void {
    const field = (p: string) => events.EventField.fromPath(p);
    new events.Rule(this, 'ExecutionEvents', {
      description: `mcp-rollout ${env}: rollout execution status changes to the info topic`,
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [this.stateMachine.stateMachineArn] },
      },
      targets: [
        new targets.SnsTopic(infoTopic, {
          message: events.RuleTargetInput.fromObject({
            event: 'rollout_execution_status',
            environment: env,
            status: field('$.detail.status'),
            execution: field('$.detail.name'),
            executionArn: field('$.detail.executionArn'),
            startDate: field('$.detail.startDate'),
            stopDate: field('$.detail.stopDate'),
            time: events.EventField.time,
          }),
        }),
      ],
    });
    new events.Rule(this, 'StepEvents', {
      description: `mcp-rollout ${env}: rollout steps and results to the info topic`,
      eventPattern: { source: [ROLLOUT_EVENT_SOURCE], detailType: [ROLLOUT_EVENT_TYPES.step, ROLLOUT_EVENT_TYPES.finished], detail: { environment: [env] } },
      targets: [
        new targets.SnsTopic(infoTopic, {
          message: events.RuleTargetInput.fromObject({ event: events.EventField.detailType, environment: env, time: events.EventField.time, detail: field('$.detail') }),
        }),
      ],
    });
    // The approval request carries the task token: the message names each field but that one.
    new events.Rule(this, 'ApprovalEvents', {
      description: `mcp-rollout ${env}: approval requests to the info topic (without the task token)`,
      eventPattern: { source: [ROLLOUT_EVENT_SOURCE], detailType: [ROLLOUT_EVENT_TYPES.approvalRequested], detail: { environment: [env] } },
      targets: [
        new targets.SnsTopic(infoTopic, {
          message: events.RuleTargetInput.fromObject({
            event: events.EventField.detailType,
            environment: env,
            time: events.EventField.time,
            execution: field('$.detail.execution'),
            step: field('$.detail.step'),
            canaryPercent: field('$.detail.canaryPercent'),
            canaryImage: field('$.detail.canaryImage'),
            requestedBy: field('$.detail.requestedBy'),
            expiresAt: field('$.detail.expiresAt'),
            approveWith: field('$.detail.approveWith'),
            abortWith: field('$.detail.abortWith'),
          }),
        }),
      ],
    });
  }
}

/** `arn:...:ssm:<region>:<account>:parameter/mcp-rollout/...` for a parameter name starting with "/". */
function ssmParameterArn(stack: Stack, name: string): string {
  return Arn.format({ service: 'ssm', resource: 'parameter', resourceName: name.replace(/^\//, '') }, stack);
}
