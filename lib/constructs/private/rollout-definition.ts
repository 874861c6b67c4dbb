/**
 * The rollout state machine's Amazon States Language definition, built from the plan (DESIGN.md
 * D8). Pure: it takes names and ARNs as strings (CDK tokens pass through) and returns the JSON
 * object, so tests can read and run it without synthesizing.
 *
 * Query language JSONata (https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html):
 * variables carry the run's state between steps, and the UpdateStack parameter list is built from
 * the stack's own deployed parameters, so every parameter the deployed template has gets
 * UsePreviousValue except the ones a step changes (D1).
 *
 * Every state after the first stack update is covered by a Catch that rolls back through the same
 * function as the alarms (a manual request); before any traffic moved, an error just ends the run.
 */
import type { EnvironmentName } from '../../shared/environment-names';
import { INFO_EVENTS, ROLLOUT_EVENT_SOURCE } from '../../shared/metrics-contract';
import { LATCH_CLEAR } from '../../shared/rollback-contract';
import {
  APPROVAL_WAIT_SECONDS,
  describeStep,
  percentAtEachStep,
  ROLLOUT_ERRORS,
  ROLLOUT_EVENT_TYPES,
  ROLLOUT_INPUT_LIMITS,
  ROLLOUT_INPUT_SCHEMA,
  ROLLOUT_LOCK_ATTRIBUTES,
  rolloutStateMachineName,
  type RolloutPlan,
} from '../../shared/rollout-contract';
import { IMAGE_TAG_PATTERN, PARAMETER_NAMES } from '../../shared/stack-contract';

export interface RolloutDefinitionProps {
  readonly environment: EnvironmentName;
  readonly plan: RolloutPlan;
  /** The Service stack's CloudFormation name. */
  readonly stackName: string;
  readonly latchParameterName: string;
  readonly historyParameterName: string;
  readonly rollbackFunctionArn: string;
  readonly judgeFunctionArn: string;
  /** The DynamoDB table of the environment's rollout lock. */
  readonly lockTableName: string;
}

type Json = { readonly [key: string]: unknown };
export type AslState = Json;
export interface AslDefinition {
  readonly Comment: string;
  readonly QueryLanguage: 'JSONata';
  readonly StartAt: string;
  readonly States: Readonly<Record<string, AslState>>;
  readonly TimeoutSeconds: number;
}

/** Seconds between two reads of a stack that CloudFormation is updating. */
export const STACK_POLL_SECONDS = 20;
/** Seconds between two judgements of a bake (issue 13: "judged every minute"). */
export const JUDGE_INTERVAL_SECONDS = 60;

/**
 * Stack statuses a stack update may start from: the stack exists and no operation runs on it
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html#cfn-console-view-stack-data-resources-status-codes).
 */
export const UPDATABLE_STACK_STATUSES = ['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'IMPORT_COMPLETE', 'IMPORT_ROLLBACK_COMPLETE'] as const;

/** Errors of a read (DescribeStacks, GetParameter, GetItem, DescribeExecution) worth retrying: anything, a few times. */
const READ_RETRY = [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 2, MaxAttempts: 5, BackoffRate: 2, JitterStrategy: 'FULL' }];
/**
 * Lambda's transient errors, the list the Step Functions docs recommend retrying
 * (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html).
 */
const LAMBDA_RETRY = [
  {
    ErrorEquals: ['Lambda.ClientExecutionTimeoutException', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'],
    IntervalSeconds: 2,
    MaxAttempts: 6,
    BackoffRate: 2,
    JitterStrategy: 'FULL',
  },
];
/**
 * The rollback function is idempotent (it changes only what differs), so a failed invocation is
 * retried twice more before the run reports that the rollback itself failed.
 */
const ROLLBACK_RETRY = [...LAMBDA_RETRY, { ErrorEquals: ['States.ALL'], IntervalSeconds: 5, MaxAttempts: 2, BackoffRate: 2, JitterStrategy: 'FULL' }];
const EVENT_RETRY = [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: 'FULL' }];
/** Writes of the lock a run tries before it gives up (each after reading who holds it). */
const LOCK_ATTEMPTS = 3;
/**
 * DescribeExecution's error for an unknown execution, as an AWS SDK integration names it:
 * `<Service>.<ErrorName>` with `Exception` appended (supported-services-awssdk).
 */
const SFN_EXECUTION_DOES_NOT_EXIST = 'Sfn.ExecutionDoesNotExistException';

/** A JSONata expression field. */
const j = (expression: string) => `{% ${expression} %}`;
/** A JSONata string literal. */
const lit = (value: string) => JSON.stringify(value);

/** State names the tests and the CLI refer to. */
export const STATE_NAMES = {
  checkInput: 'Check input',
  invalidInput: 'Invalid input',
  start: 'Start',
  takeLock: 'Take the rollout lock',
  readLock: 'Read the rollout lock',
  lockHolder: 'Who holds the lock?',
  describeHolder: 'Is its holder running?',
  holderRunning: 'Holder running?',
  takeOverLock: 'Take over the lock',
  alreadyRunning: 'Another rollout is running',
  readLatchAtStart: 'Read latch at start',
  latchedAtStart: 'Latched at start?',
  refusedLatched: 'Environment is rolled back',
  announceStart: 'Announce start',
  onError: 'On error',
  rollBack: 'Roll back',
  rollbackDone: 'Rolled back?',
  rollbackNotDone: 'Rollback not done',
  recordRolledBack: 'Record rolled back',
  announceRolledBack: 'Announce rolled back',
  rolledBack: 'Rolled back',
  recordRollbackFailed: 'Record rollback failed',
  announceRollbackFailed: 'Announce rollback failed',
  rollbackFailed: 'Rollback failed',
  latched: 'Latch set: re-assert rollback',
  recordLatched: 'Record stopped by latch',
  announceLatched: 'Announce stopped by latch',
  stoppedByLatch: 'Stopped by latch',
  recordFailedBeforeTraffic: 'Record failed before traffic',
  failedBeforeTraffic: 'Failed before traffic moved',
  recordPromoted: 'Record promoted',
  announcePromoted: 'Announce promoted',
  promoted: 'Promoted',
} as const;

/** The name prefix of a plan step's states: `Step 2 bake 30 min`. */
export function stepPrefix(plan: RolloutPlan, index: number): string {
  const step = plan.steps[index];
  if (!step) throw new Error(`no step ${index}`);
  const label = step.type === 'weight' ? `canary ${step.canaryPercent} %` : step.type === 'bake' ? `bake ${step.minutes} min` : 'approval';
  return `Step ${index + 1} ${label}`;
}
export const PROMOTE_PREFIX = 'Promote';

export function rolloutDefinition(props: RolloutDefinitionProps): AslDefinition {
  return new DefinitionBuilder(props).build();
}

class DefinitionBuilder {
  private readonly states: Record<string, AslState> = {};
  private readonly env: string;

  constructor(private readonly props: RolloutDefinitionProps) {
    this.env = lit(props.environment);
  }

  build(): AslDefinition {
    const { plan } = this.props;
    const firstStep = plan.steps.length > 0 ? `${stepPrefix(plan, 0)}: start` : `${PROMOTE_PREFIX}: start`;
    this.prelude(firstStep);
    const percents = percentAtEachStep(plan);
    plan.steps.forEach((step, i) => {
      const prefix = stepPrefix(plan, i);
      const next = i + 1 < plan.steps.length ? `${stepPrefix(plan, i + 1)}: start` : `${PROMOTE_PREFIX}: start`;
      const percent = percents[i] ?? 0;
      if (step.type === 'weight') {
        this.stackUpdate(prefix, i, { [PARAMETER_NAMES.canaryTraffic]: lit(String(step.canaryPercent)), [PARAMETER_NAMES.canaryImageTag]: '$canaryImage' }, step.canaryPercent, next);
      } else if (step.type === 'bake') {
        this.bake(prefix, i, step.minutes, step.judge.holdMinutes, percent, next);
      } else {
        this.approval(prefix, i, step.timeoutMinutes, percent, next);
      }
    });
    this.stackUpdate(
      PROMOTE_PREFIX,
      plan.steps.length,
      { [PARAMETER_NAMES.stableImageTag]: '$canaryImage', [PARAMETER_NAMES.canaryTraffic]: lit('0'), [PARAMETER_NAMES.canaryImageTag]: '$canaryImage' },
      0,
      STATE_NAMES.recordPromoted,
    );
    this.endings();
    const judgedMinutes = plan.steps.reduce((sum, s) => sum + (s.type === 'bake' ? s.minutes + s.judge.holdMinutes : 0), 0);
    const approvalMinutes = plan.steps.reduce((sum, s) => sum + (s.type === 'approval' ? s.timeoutMinutes : 0), 0);
    const weightSteps = plan.steps.filter((s) => s.type === 'weight').length + 1;
    return {
      Comment: `mcp-rollout ${this.props.environment}: ${plan.steps.map(describeStep).join(', ')}, then promote (DESIGN.md D8)`,
      QueryLanguage: 'JSONata',
      StartAt: STATE_NAMES.checkInput,
      States: this.states,
      // A run that outlives every bound of its plan is stuck: end it (the state machine's own
      // timeout cannot roll back, so the bounds inside come first; this is the backstop).
      TimeoutSeconds: 60 * (judgedMinutes + approvalMinutes + weightSteps * plan.stackUpdateTimeoutMinutes * 2 + 60),
    };
  }

  private add(name: string, state: AslState): string {
    if (name.length > 80) throw new Error(`state name "${name}" is longer than 80 characters`);
    if (this.states[name]) throw new Error(`state "${name}" defined twice`);
    this.states[name] = state;
    return name;
  }

  /** A Catch that sends every error to the error router with what failed where. */
  private catchAll(where: string) {
    return [
      {
        ErrorEquals: ['States.ALL'],
        Assign: { failure: j(`${lit(`${where}: `)} & $states.errorOutput.Error & ': ' & $states.errorOutput.Cause`) },
        Next: STATE_NAMES.onError,
      },
    ];
  }

  private getLatch(name: string, next: string): void {
    this.add(name, {
      Type: 'Task',
      Resource: 'arn:aws:states:::aws-sdk:ssm:getParameter',
      Arguments: { Name: this.props.latchParameterName },
      Assign: { latch: j('$states.result.Parameter.Value') },
      Retry: READ_RETRY,
      Catch: this.catchAll(name),
      Next: next,
    });
  }

  private latchChoice(name: string, next: string): void {
    this.add(name, {
      Type: 'Choice',
      Choices: [{ Condition: j(`$latch != ${lit(LATCH_CLEAR)}`), Next: STATE_NAMES.latched }],
      Default: next,
    });
  }

  /** One PutEvents with the given entries (a JSONata array of {DetailType, Detail}); a failure is logged and the run goes on. */
  private announce(name: string, entries: string, next: string): void {
    this.add(name, {
      Type: 'Task',
      Resource: 'arn:aws:states:::events:putEvents',
      Arguments: {
        // The outer brackets keep a one-entry list a list (JSONata unwraps a sequence of one).
        Entries: j(`[ [${entries}].{ 'Source': ${lit(ROLLOUT_EVENT_SOURCE)}, 'EventBusName': 'default', 'DetailType': DetailType, 'Detail': Detail } ]`),
      },
      Retry: EVENT_RETRY,
      // The change is done whatever EventBridge says; the execution history still records it.
      Catch: [{ ErrorEquals: ['States.ALL'], Next: next }],
      Next: next,
    });
  }

  /** A `rollout_step` entry. */
  private stepEvent(step: number, stepType: string, phase: string, canaryPercent: number | string, message: string): string {
    return `{ 'DetailType': ${lit(ROLLOUT_EVENT_TYPES.step)}, 'Detail': {
      'environment': ${this.env}, 'execution': $states.context.Execution.Name, 'executionArn': $states.context.Execution.Id,
      'step': ${step}, 'stepType': ${lit(stepType)}, 'phase': ${lit(phase)}, 'canaryPercent': ${canaryPercent},
      'canaryImage': $canaryImage, 'requestedBy': $requestedBy, 'message': ${message}, 'time': $now() } }`;
  }

  private prelude(firstStep: string): void {
    const S = STATE_NAMES;
    // The input is checked here too: a pipeline may call StartExecution without the CLI.
    const known = `[${Object.keys(ROLLOUT_INPUT_SCHEMA.properties).map(lit).join(', ')}]`;
    const valid = [
      `$type($states.input) = 'object'`,
      // additionalProperties: false, as the schema says: a misspelt field fails, not passes silently.
      `$count($filter($keys($states.input), function($k) { $not($k in ${known}) })) = 0`,
      `$type($states.input.canaryImage) = 'string'`,
      `$contains($states.input.canaryImage, /${IMAGE_TAG_PATTERN}/)`,
      `$type($states.input.requestedBy) = 'string'`,
      `$length($states.input.requestedBy) >= 1`,
      `$length($states.input.requestedBy) <= ${ROLLOUT_INPUT_LIMITS.requestedBy}`,
      `($not($exists($states.input.reason)) or ($type($states.input.reason) = 'string' and $length($states.input.reason) <= ${ROLLOUT_INPUT_LIMITS.reason}))`,
    ].join(' and ');
    this.add(S.checkInput, { Type: 'Choice', Choices: [{ Condition: j(valid), Next: S.start }], Default: S.invalidInput });
    this.add(S.invalidInput, {
      Type: 'Fail',
      Error: ROLLOUT_ERRORS.invalidInput,
      Cause: 'the input must be {"canaryImage": "<image tag>", "requestedBy": "<who>", "reason": "<why, optional>"} and nothing else (README "Rollout engine")',
    });
    this.add(S.start, {
      Type: 'Pass',
      Assign: {
        canaryImage: j('$states.input.canaryImage'),
        requestedBy: j('$states.input.requestedBy'),
        reason: j(`$exists($states.input.reason) ? $states.input.reason : ''`),
        startedAt: j('$states.context.Execution.StartTime'),
        trafficMoved: false,
        previousStableImage: '',
        failure: '',
        lockAttempts: 0,
        lockHolder: '',
      },
      Next: S.takeLock,
    });
    this.lock();
    this.getLatch(S.readLatchAtStart, S.latchedAtStart);
    this.add(S.latchedAtStart, { Type: 'Choice', Choices: [{ Condition: j(`$latch != ${lit(LATCH_CLEAR)}`), Next: this.releaseLock(S.refusedLatched) }], Default: S.announceStart });
    this.add(S.refusedLatched, {
      Type: 'Fail',
      Error: ROLLOUT_ERRORS.latchedAtStart,
      Cause: `${this.props.environment} is rolled back (the latch is set): resume first (npx mcp-rollout resume --environment ${this.props.environment} --confirm)`,
    });
    this.announce(S.announceStart, this.stepEvent(0, 'start', 'started', 0, `'rollout of ' & $canaryImage & ' started by ' & $requestedBy & ($reason = '' ? '' : ': ' & $reason)`), firstStep);
  }

  /**
   * One rollout at a time, with a lock that a conditional write takes: DynamoDB evaluates a
   * PutItem's ConditionExpression against the stored item and writes only when it holds, so of two
   * runs only one can take an absent lock or take over a given stale holder
   * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html).
   * ListExecutions cannot do this: it "is eventually consistent" (ListExecutions API reference).
   * The lock names its execution; every end of the run releases it (releaseLock), and a run that
   * finds it held by an execution no longer RUNNING (stopped from outside, timed out, or its
   * release failed) takes it over with a PutItem conditional on that holder. A failed conditional
   * write is not told apart by its error name: the run reads the lock back and decides on what it
   * holds.
   */
  private lock(): void {
    const S = STATE_NAMES;
    const A = ROLLOUT_LOCK_ATTRIBUTES;
    const me = '$states.context.Execution.Id';
    const names = { '#key': A.key, '#execution': A.execution };
    const item = j(`{
      ${lit(A.key)}: { 'S': ${this.env} }, ${lit(A.execution)}: { 'S': ${me} }, ${lit(A.name)}: { 'S': $states.context.Execution.Name },
      ${lit(A.canaryImage)}: { 'S': $canaryImage }, ${lit(A.requestedBy)}: { 'S': $requestedBy }, ${lit(A.since)}: { 'S': $now() } }`);
    const afterFailedWrite = [{ ErrorEquals: ['States.ALL'], Assign: { lockAttempts: j('$lockAttempts + 1') }, Next: S.readLock }];
    this.add(S.takeLock, {
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:putItem',
      Arguments: {
        TableName: this.props.lockTableName,
        Item: item,
        // Absent, or already this run's (a retried write that had succeeded).
        ConditionExpression: 'attribute_not_exists(#key) OR #execution = :me',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ':me': { S: j(me) } },
      },
      Catch: afterFailedWrite,
      Next: S.readLatchAtStart,
    });
    this.add(S.readLock, {
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:getItem',
      Arguments: { TableName: this.props.lockTableName, Key: { [A.key]: { S: this.props.environment } }, ConsistentRead: true },
      Assign: { lockHolder: j(`$exists($states.result.Item) ? $states.result.Item.${A.execution}.S : ''`) },
      Retry: READ_RETRY,
      Catch: this.catchAll(S.readLock),
      Next: S.lockHolder,
    });
    this.add(S.lockHolder, {
      Type: 'Choice',
      Choices: [
        { Condition: j(`$lockHolder = ${me}`), Next: S.readLatchAtStart },
        // Released meanwhile, or the write failed for another reason: try again, a few times.
        { Condition: j(`$lockHolder = '' and $lockAttempts < ${LOCK_ATTEMPTS}`), Next: S.takeLock },
        {
          Condition: j(`$lockHolder = ''`),
          Assign: { failure: `could not take the rollout lock (table ${this.props.lockTableName}) in ${LOCK_ATTEMPTS} attempts` },
          Next: STATE_NAMES.onError,
        },
      ],
      Default: S.describeHolder,
    });
    this.add(S.describeHolder, {
      Type: 'Task',
      Resource: 'arn:aws:states:::aws-sdk:sfn:describeExecution',
      Arguments: { ExecutionArn: j('$lockHolder') },
      Assign: { holderStatus: j('$states.result.Status') },
      // An execution older than the history's retention no longer exists: it is not running.
      Retry: [{ ErrorEquals: [SFN_EXECUTION_DOES_NOT_EXIST], MaxAttempts: 0 }, ...READ_RETRY],
      Catch: [{ ErrorEquals: [SFN_EXECUTION_DOES_NOT_EXIST], Assign: { holderStatus: 'GONE' }, Next: S.holderRunning }, ...this.catchAll(S.describeHolder)],
      Next: S.holderRunning,
    });
    this.add(S.holderRunning, {
      Type: 'Choice',
      Choices: [
        { Condition: j(`$holderStatus = 'RUNNING'`), Next: S.alreadyRunning },
        { Condition: j(`$lockAttempts >= ${LOCK_ATTEMPTS}`), Next: S.alreadyRunning },
      ],
      Default: S.takeOverLock,
    });
    this.add(S.takeOverLock, {
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:putItem',
      Arguments: {
        TableName: this.props.lockTableName,
        Item: item,
        ConditionExpression: '#execution = :holder',
        ExpressionAttributeNames: { '#execution': A.execution },
        ExpressionAttributeValues: { ':holder': { S: j('$lockHolder') } },
      },
      Catch: afterFailedWrite,
      Next: S.readLatchAtStart,
    });
    this.add(S.alreadyRunning, {
      Type: 'Fail',
      Error: ROLLOUT_ERRORS.alreadyRunning,
      Cause: j(
        `${lit(`another rollout of ${this.props.environment} is running (`)} & $lockHolder & ${lit(`); one at a time (npx mcp-rollout status --environment ${this.props.environment})`)}`,
      ),
    });
  }

  /**
   * A state that releases the lock if this run holds it, then goes on to `end` (a Fail or Succeed
   * state); returns its name. A release that fails leaves a lock whose holder is no longer
   * running: the next run takes it over.
   */
  private releaseLock(end: string): string {
    const A = ROLLOUT_LOCK_ATTRIBUTES;
    return this.add(`Release the lock: ${end}`, {
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:deleteItem',
      Arguments: {
        TableName: this.props.lockTableName,
        Key: { [A.key]: { S: this.props.environment } },
        ConditionExpression: '#execution = :me',
        ExpressionAttributeNames: { '#execution': A.execution },
        ExpressionAttributeValues: { ':me': { S: j('$states.context.Execution.Id') } },
      },
      Catch: [{ ErrorEquals: ['States.ALL'], Next: end }],
      Next: end,
    });
  }

  /**
   * A Service stack update with UsePreviousTemplate: `overrides` maps parameter names to JSONata
   * values; every other parameter of the deployed stack keeps its value (UsePreviousValue), which
   * includes the SSM-typed latch parameter, so CloudFormation reads the latch again (D2).
   * No RoleARN is given: CloudFormation then uses the role the stack was deployed with (the CDK
   * bootstrap's execution role), "even if the users don't have permission to pass it"
   * (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_UpdateStack.html, RoleARN).
   */
  private stackUpdate(prefix: string, step: number, overrides: Record<string, string>, canaryPercent: number, next: string): void {
    const n = (s: string) => `${prefix}: ${s}`;
    const { stackName } = this.props;
    const set = `{ ${Object.entries(overrides).map(([key, value]) => `${lit(key)}: ${value}`).join(', ')} }`;
    const isPromotion = prefix === PROMOTE_PREFIX;
    const param = (key: string) => `$stack.Parameters[ParameterKey = ${lit(key)}].ParameterValue`;
    const statuses = `[${UPDATABLE_STACK_STATUSES.map(lit).join(', ')}]`;

    this.add(n('start'), {
      Type: 'Pass',
      Assign: {
        stepStartedAt: j('$now()'),
        stepDeadline: j(`$fromMillis($toMillis($now()) + ${this.props.plan.stackUpdateTimeoutMinutes * 60_000})`),
      },
      Next: n('read stack'),
    });
    this.add(n('read stack'), {
      Type: 'Task',
      Resource: 'arn:aws:states:::aws-sdk:cloudformation:describeStacks',
      Arguments: { StackName: stackName },
      Assign: { stack: j('$states.result.Stacks[0]') },
      Retry: READ_RETRY,
      Catch: this.catchAll(n('read stack')),
      Next: n('stack ready?'),
    });
    this.add(n('stack ready?'), {
      Type: 'Choice',
      Choices: [
        {
          Condition: j(`$toMillis($now()) > $toMillis($stepDeadline)`),
          Assign: { failure: j(`${lit(`${prefix}: the stack ${stackName} was still `)} & $stack.StackStatus & ${lit(` after ${this.props.plan.stackUpdateTimeoutMinutes} minutes`)}`) },
          Next: STATE_NAMES.onError,
        },
        { Condition: j(`$contains($stack.StackStatus, 'IN_PROGRESS')`), Next: n('wait for the stack') },
        {
          Condition: j(`$not($stack.StackStatus in ${statuses})`),
          Assign: { failure: j(`${lit(`${prefix}: the stack ${stackName} is `)} & $stack.StackStatus & ' and cannot be updated'`) },
          Next: STATE_NAMES.onError,
        },
        {
          // Without a role CloudFormation would act with this state machine's credentials, which
          // may change nothing but the stack itself: refuse rather than fail half-way.
          Condition: j(`$not($exists($stack.RoleARN))`),
          Assign: { failure: j(`${lit(`${prefix}: the stack ${stackName} has no CloudFormation service role (RoleARN); deploy it once with npx cdk deploy, which sets the bootstrap execution role`)}`) },
          Next: STATE_NAMES.onError,
        },
      ],
      Default: n('update stack'),
    });
    this.add(n('wait for the stack'), { Type: 'Wait', Seconds: STACK_POLL_SECONDS, Next: n('read stack') });
    this.add(n('update stack'), {
      Type: 'Task',
      Resource: 'arn:aws:states:::aws-sdk:cloudformation:updateStack',
      Arguments: j(`(
        $set := ${set};
        {
          'StackName': ${lit(stackName)},
          'UsePreviousTemplate': true,
          'Parameters': [$map($stack.Parameters, function($p) {
            $exists($lookup($set, $p.ParameterKey))
              ? { 'ParameterKey': $p.ParameterKey, 'ParameterValue': $lookup($set, $p.ParameterKey) }
              : { 'ParameterKey': $p.ParameterKey, 'UsePreviousValue': true }
          })],
          'Capabilities': $stack.Capabilities
        }
      )`),
      Assign: {
        trafficMoved: true,
        previousPercent: j(`$number(${param(PARAMETER_NAMES.canaryTraffic)})`),
        previousStableImage: j(isPromotion ? param(PARAMETER_NAMES.stableImageTag) : `$previousStableImage = '' ? ${param(PARAMETER_NAMES.stableImageTag)} : $previousStableImage`),
      },
      Catch: [{ ErrorEquals: ['States.ALL'], Assign: { updateError: j('$states.errorOutput') }, Next: n('update refused?') }],
      Next: n('wait for the update'),
    });
    // UpdateStack answers ValidationError "No updates are to be performed." when the stack already
    // runs these values, and "... is in UPDATE_IN_PROGRESS state and can not be updated" while
    // another operation runs (UpdateStack API reference, Errors; https://repost.aws/knowledge-center/cloudformation-stack-update-errors).
    this.add(n('update refused?'), {
      Type: 'Choice',
      Choices: [
        { Condition: j(`$contains($string($updateError.Cause), 'No updates are to be performed')`), Next: n('read back') },
        {
          Condition: j(`$contains($string($updateError.Cause), /can ?not be updated|Rate exceeded|Throttl/)`),
          Next: n('wait for the stack'),
        },
      ],
      Default: n('update failed'),
    });
    this.add(n('update failed'), {
      Type: 'Pass',
      Assign: { failure: j(`${lit(`${prefix}: UpdateStack of ${stackName} failed: `)} & $updateError.Error & ': ' & $updateError.Cause`) },
      Next: STATE_NAMES.onError,
    });
    this.add(n('wait for the update'), { Type: 'Wait', Seconds: STACK_POLL_SECONDS, Next: n('read back') });
    this.add(n('read back'), {
      Type: 'Task',
      Resource: 'arn:aws:states:::aws-sdk:cloudformation:describeStacks',
      Arguments: { StackName: stackName },
      Assign: { stack: j('$states.result.Stacks[0]') },
      Retry: READ_RETRY,
      Catch: this.catchAll(n('read back')),
      Next: n('update done?'),
    });
    const applied = Object.entries(overrides)
      .map(([key, value]) => `${param(key)} = ${value}`)
      .join(' and ');
    this.add(n('update done?'), {
      Type: 'Choice',
      Choices: [
        {
          Condition: j(`$contains($stack.StackStatus, 'IN_PROGRESS') and $toMillis($now()) > $toMillis($stepDeadline)`),
          Assign: { failure: j(`${lit(`${prefix}: the update of ${stackName} did not finish within ${this.props.plan.stackUpdateTimeoutMinutes} minutes (`)} & $stack.StackStatus & ')'`) },
          Next: STATE_NAMES.onError,
        },
        { Condition: j(`$contains($stack.StackStatus, 'IN_PROGRESS')`), Next: n('wait for the update') },
        { Condition: j(`$stack.StackStatus in ${statuses} and ${applied}`), Next: n('read latch') },
      ],
      Default: n('update not applied'),
    });
    this.add(n('update not applied'), {
      Type: 'Pass',
      Assign: {
        failure: j(
          `${lit(`${prefix}: the update of ${stackName} ended `)} & $stack.StackStatus & ' without the requested parameters (' & $stack.StackStatusReason & '); CloudFormation rolled it back or someone else deployed'`,
        ),
      },
      Next: STATE_NAMES.onError,
    });
    // CloudFormation resolved the latch when this update started: one set meanwhile is seen here.
    this.getLatch(n('read latch'), n('latch set?'));
    this.latchChoice(n('latch set?'), n('announce'));
    const stableNow = param(PARAMETER_NAMES.stableImageTag);
    this.announce(
      n('announce'),
      [
        `{ 'DetailType': ${lit(INFO_EVENTS.trafficPercentageChanged)}, 'Detail': { 'environment': ${this.env}, 'previousPercent': $previousPercent, 'canaryPercent': ${canaryPercent}, 'requestedBy': $requestedBy, 'time': $now() } }`,
        `{ 'DetailType': ${lit(INFO_EVENTS.deploymentCompleted)}, 'Detail': { 'environment': ${this.env}, 'stackName': ${lit(stackName)}, 'canaryPercent': ${canaryPercent},
           'images': { 'stable': ${stableNow}, 'canary': $canaryImage }, 'requestedBy': $requestedBy,
           'durationSeconds': $round(($toMillis($now()) - $toMillis($stepStartedAt)) / 1000), 'time': $now() } }`,
        this.stepEvent(step, isPromotion ? 'promote' : 'weight', 'done', canaryPercent, isPromotion ? `'promoted ' & $canaryImage & ' to stable'` : `'canary at ${canaryPercent} %'`),
      ].join(', '),
      next,
    );
  }

  private bake(prefix: string, step: number, minutes: number, holdMinutes: number, percent: number, next: string): void {
    const n = (s: string) => `${prefix}: ${s}`;
    this.add(n('start'), {
      Type: 'Pass',
      Assign: {
        bakeStart: j('$now()'),
        bakeEnd: j(`$fromMillis($toMillis($now()) + ${minutes * 60_000})`),
        holdUntil: j(`$fromMillis($toMillis($now()) + ${(minutes + holdMinutes) * 60_000})`),
        verdict: { verdict: 'hold', reasons: ['not judged yet'] },
      },
      Next: n('announce start'),
    });
    this.announce(n('announce start'), this.stepEvent(step, 'bake', 'started', percent, `'baking ${minutes} min at ${percent} % until ' & $bakeEnd`), n('wait a minute'));
    this.add(n('wait a minute'), { Type: 'Wait', Seconds: JUDGE_INTERVAL_SECONDS, Next: n('read latch') });
    this.getLatch(n('read latch'), n('latch set?'));
    this.latchChoice(n('latch set?'), n('judge'));
    this.add(n('judge'), {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Arguments: {
        FunctionName: this.props.judgeFunctionArn,
        Payload: j(
          `{ 'environment': ${this.env}, 'step': ${step}, 'canaryPercent': ${percent}, 'windowStart': $bakeStart, 'windowEnd': $now(), 'bakeEnd': $bakeEnd, 'holdUntil': $holdUntil }`,
        ),
      },
      Assign: { verdict: j('$states.result.Payload') },
      Retry: LAMBDA_RETRY,
      // A judge that cannot judge is no data: hold, never pass; the hold deadline bounds it.
      Catch: [
        {
          ErrorEquals: ['States.ALL'],
          Assign: { verdict: j(`{ 'verdict': 'hold', 'reasons': ['the judge failed: ' & $states.errorOutput.Error & ': ' & $states.errorOutput.Cause] }`) },
          Next: n('verdict?'),
        },
      ],
      Next: n('verdict?'),
    });
    // The judge passes only from a look whose windowEnd has reached bakeEnd (bake-check.ts), and
    // this $now() is later still: every pass it gives is taken here, so the final level is spent
    // once. The time condition only guards against a judge of another version.
    const now = '$toMillis($now())';
    this.add(n('verdict?'), {
      Type: 'Choice',
      Choices: [
        {
          Condition: j(`$verdict.verdict = 'fail'`),
          Assign: { failure: j(`${lit(`${prefix}: the judge failed the canary at ${percent} %: `)} & $join($verdict.reasons, '; ')`) },
          Next: STATE_NAMES.onError,
        },
        { Condition: j(`$verdict.verdict = 'pass' and ${now} >= $toMillis($bakeEnd)`), Next: n('announce pass') },
        {
          Condition: j(`${now} >= $toMillis($holdUntil)`),
          Assign: {
            failure: j(`${lit(`${prefix}: still `)} & $verdict.verdict & ${lit(` ${holdMinutes} min after the ${minutes} min bake (a hold past its deadline is a fail): `)} & $join($verdict.reasons, '; ')`),
          },
          Next: STATE_NAMES.onError,
        },
      ],
      Default: n('wait a minute'),
    });
    this.announce(n('announce pass'), this.stepEvent(step, 'bake', 'passed', percent, `'bake at ${percent} % passed: ' & $join($verdict.reasons, '; ')`), next);
  }

  /**
   * An approval waits on a task token in waits of at most APPROVAL_WAIT_SECONDS: between two waits
   * the run reads the latch (set: it stops as in a bake) and the deadline (passed: it rolls back),
   * then waits again with a new token. So a latch set during a day-long approval stops the run
   * within minutes, and `approve` always finds the newest token in the history.
   */
  private approval(prefix: string, step: number, timeoutMinutes: number, percent: number, next: string): void {
    const n = (s: string) => `${prefix}: ${s}`;
    const env = this.props.environment;
    this.add(n('start'), {
      Type: 'Pass',
      Assign: { approvalExpiresAt: j(`$fromMillis($toMillis($now()) + ${timeoutMinutes * 60_000})`), approvalRenewed: false },
      Next: n('wait for approval'),
    });
    // The request is an event on the default bus: its detail carries the task token, which
    // `approve` also reads from the execution history. The info topic rule never forwards it, and
    // gets only the first request, not the renewals.
    const detailType = `$approvalRenewed ? ${lit(ROLLOUT_EVENT_TYPES.approvalRenewed)} : ${lit(ROLLOUT_EVENT_TYPES.approvalRequested)}`;
    this.add(n('wait for approval'), {
      Type: 'Task',
      Resource: 'arn:aws:states:::events:putEvents.waitForTaskToken',
      Arguments: {
        Entries: j(`[{
          'Source': ${lit(ROLLOUT_EVENT_SOURCE)}, 'EventBusName': 'default', 'DetailType': ${detailType},
          'Detail': { 'environment': ${this.env}, 'execution': $states.context.Execution.Name, 'executionArn': $states.context.Execution.Id,
            'step': ${step}, 'canaryPercent': ${percent}, 'canaryImage': $canaryImage, 'requestedBy': $requestedBy,
            'approveWith': ${lit(`npx mcp-rollout approve --environment ${env}`)}, 'abortWith': ${lit(`npx mcp-rollout abort --environment ${env}`)},
            'expiresAt': $approvalExpiresAt, 'taskToken': $states.context.Task.Token, 'time': $now() }
        }]`),
      },
      // A JSONata TimeoutSeconds is a positive integer: this wait, or what is left of the approval.
      TimeoutSeconds: j(`$max([1, $min([${APPROVAL_WAIT_SECONDS}, $ceil(($toMillis($approvalExpiresAt) - $toMillis($now())) / 1000)])])`),
      Assign: { approval: j('$states.result') },
      Catch: [
        {
          ErrorEquals: [ROLLOUT_ERRORS.aborted],
          Assign: { failure: j(`${lit(`${prefix}: aborted by `)} & $states.errorOutput.Cause`) },
          Next: STATE_NAMES.onError,
        },
        { ErrorEquals: ['States.Timeout'], Assign: { approvalRenewed: true }, Next: n('read latch while waiting') },
        ...this.catchAll(n('wait for approval')),
      ],
      Next: n('read latch'),
    });
    this.getLatch(n('read latch while waiting'), n('still waiting?'));
    this.add(n('still waiting?'), {
      Type: 'Choice',
      Choices: [
        { Condition: j(`$latch != ${lit(LATCH_CLEAR)}`), Next: STATE_NAMES.latched },
        {
          Condition: j('$toMillis($now()) >= $toMillis($approvalExpiresAt)'),
          Assign: { failure: `${prefix}: nobody approved within ${timeoutMinutes} minutes` },
          Next: STATE_NAMES.onError,
        },
      ],
      Default: n('wait for approval'),
    });
    this.getLatch(n('read latch'), n('latch set?'));
    this.latchChoice(n('latch set?'), n('announce'));
    this.announce(n('announce'), this.stepEvent(step, 'approval', 'approved', percent, `'approved by ' & $approval.approvedBy`), next);
  }

  /** The rollback, the latch stop, the failure before traffic and the promotion's end, each recorded in the release history. */
  private endings(): void {
    const S = STATE_NAMES;
    const env = this.props.environment;
    this.add(S.onError, {
      Type: 'Choice',
      Choices: [{ Condition: j('$trafficMoved'), Next: S.rollBack }],
      Default: S.recordFailedBeforeTraffic,
    });
    const request = (reason: string) =>
      j(
        `{ 'action': 'rollback', 'reason': $substring(${reason}, 0, 1000), 'requestedBy': ${lit(`${rolloutStateMachineName(env)}/`)} & $states.context.Execution.Name, 'dryRun': false }`,
      );
    const rollbackArguments = (reason: string) => ({ FunctionName: this.props.rollbackFunctionArn, Payload: request(reason) });
    this.add(S.rollBack, {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Comment: 'The same function the trigger alarms invoke, with a manual request (ManualRollbackRequest)',
      Arguments: rollbackArguments(`'rollout: ' & $failure`),
      Assign: { rollback: j('$states.result.Payload') },
      Retry: ROLLBACK_RETRY,
      Catch: [{ ErrorEquals: ['States.ALL'], Assign: { rollbackError: j(`$states.errorOutput.Error & ': ' & $states.errorOutput.Cause`) }, Next: S.recordRollbackFailed }],
      Next: S.rollbackDone,
    });
    // The function answers a refused input with outcome "rejected" instead of an error: only its
    // two success outcomes mean the environment is rolled back (RollbackResult).
    this.add(S.rollbackDone, {
      Type: 'Choice',
      Choices: [{ Condition: j(`$rollback.outcome in ['rolled_back', 'already_rolled_back']`), Next: S.recordRolledBack }],
      Default: S.rollbackNotDone,
    });
    this.add(S.rollbackNotDone, {
      Type: 'Pass',
      Assign: { rollbackError: j(`$string($rollback.outcome) & ': ' & ($exists($rollback.error) ? $rollback.error : $join($rollback.steps[status = 'failed'].detail, '; '))`) },
      Next: S.recordRollbackFailed,
    });
    this.record(S.recordRolledBack, 'rolled_back', '$failure', S.announceRolledBack);
    this.announce(S.announceRolledBack, this.finishedEvent('rolled_back', '$failure'), this.releaseLock(S.rolledBack));
    this.add(S.rolledBack, { Type: 'Fail', Error: ROLLOUT_ERRORS.rolledBack, Cause: j('$substring($failure, 0, 32000)') });

    this.record(S.recordRollbackFailed, 'failed', `$failure & '; the rollback function failed: ' & $rollbackError`, S.announceRollbackFailed);
    this.announce(S.announceRollbackFailed, this.finishedEvent('failed', `$failure & '; the rollback function failed: ' & $rollbackError`), this.releaseLock(S.rollbackFailed));
    this.add(S.rollbackFailed, {
      Type: 'Fail',
      Error: ROLLOUT_ERRORS.rollbackFailed,
      Cause: j(`$substring($failure & '; the rollback function failed: ' & $rollbackError & ${lit(`. Roll back by hand: npx mcp-rollout rollback --environment ${env} --confirm`)}, 0, 32000)`),
    });

    // Whoever set the latch, the environment goes back to the latched state: this run's own stack
    // update may have ended after the rollback moved the traffic, so the function runs again
    // (it changes only what differs) before the run stops.
    this.add(S.latched, {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Arguments: rollbackArguments(`'rollout stopped: the latch was set while it ran (' & $latch & ')'`),
      Retry: ROLLBACK_RETRY,
      Catch: [{ ErrorEquals: ['States.ALL'], Next: S.recordLatched }],
      Next: S.recordLatched,
    });
    this.record(S.recordLatched, 'stopped_by_latch', `'the latch was set: ' & $latch`, S.announceLatched);
    this.announce(S.announceLatched, this.finishedEvent('stopped_by_latch', `'the latch was set: ' & $latch`), this.releaseLock(S.stoppedByLatch));
    this.add(S.stoppedByLatch, { Type: 'Fail', Error: ROLLOUT_ERRORS.stoppedByLatch, Cause: j(`$substring('the latch was set while the rollout ran: ' & $latch, 0, 32000)`) });

    this.record(S.recordFailedBeforeTraffic, 'failed', `$failure & ' (no traffic had moved)'`, this.releaseLock(S.failedBeforeTraffic));
    this.add(S.failedBeforeTraffic, { Type: 'Fail', Error: ROLLOUT_ERRORS.failedBeforeTraffic, Cause: j('$substring($failure, 0, 32000)') });

    this.record(S.recordPromoted, 'promoted', `'promoted ' & $canaryImage & ' after ' & ${lit(`${this.props.plan.steps.length} steps`)}`, S.announcePromoted);
    this.announce(S.announcePromoted, this.finishedEvent('promoted', `'promoted ' & $canaryImage`), this.releaseLock(S.promoted));
    this.add(S.promoted, {
      Type: 'Succeed',
      Output: j(`{ 'outcome': 'promoted', 'environment': ${lit(env)}, 'canaryImage': $canaryImage, 'previousStableImage': $previousStableImage, 'requestedBy': $requestedBy, 'startedAt': $startedAt, 'endedAt': $now() }`),
    });
  }

  /** The release history entry (ReleaseSummary), one SSM parameter version per rollout. */
  private summary(outcome: string, detail: string): string {
    return `{ 'execution': $states.context.Execution.Id, 'environment': ${this.env}, 'outcome': ${lit(outcome)}, 'canaryImage': $canaryImage,
      'previousStableImage': $previousStableImage, 'requestedBy': $requestedBy, 'startedAt': $startedAt, 'endedAt': $now(),
      'detail': $substring(${detail}, 0, 1500) }`;
  }

  private record(name: string, outcome: string, detail: string, next: string): void {
    this.add(name, {
      Type: 'Task',
      Resource: 'arn:aws:states:::aws-sdk:ssm:putParameter',
      Arguments: { Name: this.props.historyParameterName, Value: j(`$string(${this.summary(outcome, detail)})`), Overwrite: true, Type: 'String' },
      Retry: READ_RETRY,
      // The execution itself stays in the Step Functions history: the run ends the same way.
      Catch: [{ ErrorEquals: ['States.ALL'], Next: next }],
      Next: next,
    });
  }

  private finishedEvent(outcome: string, detail: string): string {
    return `{ 'DetailType': ${lit(ROLLOUT_EVENT_TYPES.finished)}, 'Detail': ${this.summary(outcome, detail)} }`;
  }
}

