/**
 * A stateful fake of the AWS state a rollout touches, enforcing the documented rules (DESIGN.md
 * D7), so tests cannot pass against behaviour AWS does not have:
 *
 * CloudFormation (UpdateStack, DescribeStacks; API reference and the stack status codes page)
 *  - UpdateStack is refused with ValidationError while the stack is *_IN_PROGRESS ("... is in
 *    UPDATE_IN_PROGRESS state and can not be updated."), and with "No updates are to be
 *    performed." when the template and every parameter value stay the same.
 *  - A template parameter the request leaves out takes its Default (not its previous value): only
 *    UsePreviousValue keeps a value. Values must match the AllowedPattern; unknown keys are refused.
 *  - SSM-typed parameters are resolved when the operation starts, so a latch set during an update
 *    is not seen by it (DESIGN.md "Facts").
 *  - Without RoleARN the update runs with the stack's role; a stack with none fails the update.
 *  - An update goes UPDATE_IN_PROGRESS, then UPDATE_COMPLETE (or UPDATE_ROLLBACK_COMPLETE with the
 *    old values when it is made to fail) after `updateDurationMs`; only then do the weights move.
 * SSM Parameter Store: GetParameter, PutParameter (Overwrite), GetParameterHistory (oldest first).
 * Step Functions: StartExecution (a name is unique per state machine: ExecutionAlreadyExists),
 *  ListExecutions (newest first), DescribeExecution, DescribeStateMachineForExecution,
 *  GetExecutionHistory, SendTaskSuccess/Failure (TaskDoesNotExist once answered or timed out),
 *  StopExecution; executions run the deployed definition in the ASL interpreter.
 * Lambda: the rollback function (traffic to stable, latch set once, idempotent) and the judge
 *  (scripted verdicts).
 * EventBridge: PutEvents, recorded; with `eventsFail` the task fails with EventBridge.FailedEntry.
 * DynamoDB (the lock table; PutItem, GetItem, DeleteItem API reference, Condition expressions in
 *  the developer guide): a ConditionExpression is evaluated against the stored item and the write
 *  happens only when it holds, else ConditionalCheckFailedException and nothing changes; every
 *  ExpressionAttributeNames/Values entry must be used ("unused in expressions" ValidationException);
 *  a key must be exactly the table's key; GetItem of a missing item answers without `Item`.
 *  Conditions supported: attribute_exists / attribute_not_exists, `=`, AND, OR; others are refused.
 * Step Functions DescribeExecution (an AWS SDK integration task): Status of a known execution,
 *  ExecutionDoesNotExist otherwise.
 * CloudWatch: GetMetricData of the hourly ToolCalls the power report reads.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { parseLatch, serializeLatch, LATCH_CLEAR, type ManualRollbackRequest, type RollbackResult } from '../../lib/shared/rollback-contract';
import type { BakeCheckRequest, BakeCheckResult } from '../../lib/shared/rollout-contract';
import { CANARY_TRAFFIC_PATTERN, IMAGE_TAG_PATTERN, PARAMETER_NAMES } from '../../lib/shared/stack-contract';
import { trafficWeights, type TrafficWeights } from '../../lib/shared/traffic-weights';
import { AslExecution, TaskError, taskResourceParts, type TaskCall } from './asl-interpreter';

export class AwsError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export interface WorldClock {
  current: number;
  now(): number;
}

interface TemplateParameter {
  readonly type: 'String' | 'AWS::SSM::Parameter::Value<String>';
  readonly default?: string;
  readonly allowedPattern?: string;
}

export interface FakeStack {
  readonly name: string;
  readonly id: string;
  status: string;
  statusReason?: string;
  /** Parameter values as given (for SSM-typed ones, the parameter name). */
  values: Record<string, string>;
  /** SSM-typed parameters as resolved when the last operation started. */
  resolved: Record<string, string>;
  readonly template: Readonly<Record<string, TemplateParameter>>;
  readonly capabilities: readonly string[];
  readonly roleArn?: string;
  readonly outputs: Record<string, string>;
  pending?: { completeAt: number; values: Record<string, string>; resolved: Record<string, string>; fail: boolean; previous: Record<string, string> };
  /** Every UpdateStack that started an update, with its request. */
  readonly updates: { at: number; request: UpdateRequest }[];
}

export interface UpdateRequest {
  readonly StackName?: string;
  readonly UsePreviousTemplate?: boolean;
  readonly TemplateBody?: string;
  readonly Parameters?: readonly { ParameterKey?: string; ParameterValue?: string; UsePreviousValue?: boolean }[];
  readonly Capabilities?: readonly string[];
  readonly RoleARN?: string;
}

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';

export class RolloutWorld {
  readonly stacks = new Map<string, FakeStack>();
  readonly parameters = new Map<string, { value: string; history: { Value: string; LastModifiedDate: Date; LastModifiedUser: string; Version: number }[] }>();
  readonly machines = new Map<string, { name: string; definition: string; roleArn: string }>();
  readonly executions: AslExecution[] = [];
  readonly events: { source: string; detailType: string; detail: Record<string, unknown>; at: number }[] = [];
  readonly rollbackRequests: ManualRollbackRequest[] = [];
  readonly judgeRequests: BakeCheckRequest[] = [];
  /** Live weights of the traffic rule (the rollback function's ModifyRule and stack updates set them). */
  weights: TrafficWeights = trafficWeights(0);
  /** Every change of the live weights: when, to what, and by whom. */
  readonly weightHistory: { at: number; weights: TrafficWeights; by: string }[] = [];
  /** How long a stack update takes. */
  updateDurationMs = 3 * 60_000;
  /** The next stack update ends UPDATE_ROLLBACK_COMPLETE (an ECS circuit breaker, say). */
  failNextUpdate = false;
  /** Hourly tool calls of the whole service for the power report. */
  hourlyToolCalls: number[] = [];
  /** The judge's answer for each request; default pass. */
  judge: (request: BakeCheckRequest) => BakeCheckResult = () => ({ verdict: 'pass', reasons: ['canary meets every target'] });
  /** The rollback flags are off (the rollback function deployed the rolled-back flag document). */
  flagsRolledBack = false;
  /** The rollback function throws instead of answering (an incomplete rollback). */
  rollbackFails = false;
  /** EventBridge refuses every entry (FailedEntryCount > 0). */
  eventsFail = false;
  /** The rollback function answers `rejected` (a version that refuses the request) and changes nothing. */
  rollbackRejects = false;
  /**
   * ListExecutions "is eventually consistent. The results are best effort and may not reflect very
   * recent updates and changes" (ListExecutions API reference): executions started or stopped less
   * than this long ago are listed as they were before.
   */
  listExecutionsLagMs = 0;

  constructor(readonly clock: WorldClock) {}

  // ------------------------------------------------------------------------------------------
  // Set-up

  addServiceStack(name: string, latchParameter: string, init: { canaryTraffic?: number; stable?: string; canary?: string; roleArn?: string | null; outputs?: Record<string, string> } = {}): FakeStack {
    const template: Record<string, TemplateParameter> = {
      [PARAMETER_NAMES.canaryTraffic]: { type: 'String', default: '0', allowedPattern: CANARY_TRAFFIC_PATTERN },
      [PARAMETER_NAMES.stableImageTag]: { type: 'String', default: 'latest', allowedPattern: IMAGE_TAG_PATTERN },
      [PARAMETER_NAMES.canaryImageTag]: { type: 'String', default: 'latest', allowedPattern: IMAGE_TAG_PATTERN },
      [PARAMETER_NAMES.rollbackLatch]: { type: 'AWS::SSM::Parameter::Value<String>', default: latchParameter },
      BootstrapVersion: { type: 'AWS::SSM::Parameter::Value<String>', default: '/cdk-bootstrap/hnb659fds/version' },
    };
    if (!this.parameters.has(latchParameter)) this.putParameter(latchParameter, LATCH_CLEAR, 'cloudformation');
    if (!this.parameters.has('/cdk-bootstrap/hnb659fds/version')) this.putParameter('/cdk-bootstrap/hnb659fds/version', '28', 'cdk');
    const values = {
      [PARAMETER_NAMES.canaryTraffic]: String(init.canaryTraffic ?? 0),
      [PARAMETER_NAMES.stableImageTag]: init.stable ?? 'v1.4.0',
      [PARAMETER_NAMES.canaryImageTag]: init.canary ?? init.stable ?? 'v1.4.0',
      [PARAMETER_NAMES.rollbackLatch]: latchParameter,
      BootstrapVersion: '/cdk-bootstrap/hnb659fds/version',
    };
    const stack: FakeStack = {
      name,
      id: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${name}/0c6a9a10-cc1d-11ee-9f3e-0a1b2c3d4e5f`,
      status: 'UPDATE_COMPLETE',
      values,
      resolved: this.resolve(template, values),
      template,
      capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
      ...(init.roleArn === null ? {} : { roleArn: init.roleArn ?? `arn:aws:iam::${ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-${REGION}` }),
      outputs: init.outputs ?? {},
      updates: [],
    };
    this.stacks.set(name, stack);
    this.weights = this.weightsOf(stack);
    return stack;
  }

  addOutputStack(name: string, outputs: Record<string, string>): void {
    this.stacks.set(name, {
      name,
      id: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${name}/1d7b0b21-cc1d-11ee-9f3e-0a1b2c3d4e5f`,
      status: 'CREATE_COMPLETE',
      values: {},
      resolved: {},
      template: {},
      capabilities: [],
      outputs,
      updates: [],
    });
  }

  addStateMachine(arn: string, definition: unknown): void {
    this.machines.set(arn, { name: arn.split(':').pop() as string, definition: JSON.stringify(definition), roleArn: `arn:aws:iam::${ACCOUNT}:role/rollout-role` });
  }

  // ------------------------------------------------------------------------------------------
  // Time

  /** Runs every execution up to the clock's current time (call before answering any API). */
  async catchUp(): Promise<void> {
    this.settleStacks();
    for (;;) {
      const due = this.executions.filter((e) => e.status === 'RUNNING' && (e.wakeAt === undefined || e.wakeAt <= this.clock.current));
      if (due.length === 0) return;
      for (const execution of due) await execution.run();
      this.settleStacks();
      if (due.every((e) => e.status === 'RUNNING' && e.wakeAt !== undefined && e.wakeAt > this.clock.current)) return;
    }
  }

  /** Advances the clock to `untilMs`, waking executions and finishing stack updates on the way. */
  async runUntil(untilMs: number): Promise<void> {
    await this.catchUp();
    for (;;) {
      const wakes = [
        ...this.executions.filter((e) => e.status === 'RUNNING' && e.wakeAt !== undefined).map((e) => e.wakeAt as number),
        ...[...this.stacks.values()].filter((s) => s.pending).map((s) => s.pending?.completeAt as number),
      ].filter((t) => t <= untilMs);
      if (wakes.length === 0) break;
      this.clock.current = Math.max(this.clock.current, Math.min(...wakes));
      await this.catchUp();
    }
    this.clock.current = Math.max(this.clock.current, untilMs);
    await this.catchUp();
  }

  async runFor(ms: number): Promise<void> {
    await this.runUntil(this.clock.current + ms);
  }

  private settleStacks(): void {
    for (const stack of this.stacks.values()) {
      const p = stack.pending;
      if (!p || p.completeAt > this.clock.current) continue;
      stack.pending = undefined;
      if (p.fail) {
        stack.status = 'UPDATE_ROLLBACK_COMPLETE';
        stack.statusReason = 'The following resource(s) failed to update: [McpCanaryService]. ECS Deployment Circuit Breaker was triggered';
        stack.values = p.previous;
      } else {
        stack.status = 'UPDATE_COMPLETE';
        stack.statusReason = undefined;
        stack.values = p.values;
        stack.resolved = p.resolved;
        // The weights follow the template: the latch as resolved when the update started (D2).
        this.setWeights(this.weightsOf(stack), `update of ${stack.name}`);
      }
    }
  }

  private setWeights(weights: TrafficWeights, by: string): void {
    if (weights.stable === this.weights.stable && weights.canary === this.weights.canary) return;
    this.weights = weights;
    this.weightHistory.push({ at: this.clock.current, weights, by });
  }

  private weightsOf(stack: FakeStack): TrafficWeights {
    const latched = parseLatch(stack.resolved[PARAMETER_NAMES.rollbackLatch] ?? LATCH_CLEAR).latched;
    return latched ? trafficWeights(0) : trafficWeights(Number(stack.values[PARAMETER_NAMES.canaryTraffic]));
  }

  private resolve(template: Readonly<Record<string, TemplateParameter>>, values: Record<string, string>): Record<string, string> {
    return Object.fromEntries(
      Object.entries(template)
        .filter(([, t]) => t.type !== 'String')
        .map(([key]) => [key, this.parameters.get(values[key] as string)?.value ?? '']),
    );
  }

  // ------------------------------------------------------------------------------------------
  // CloudFormation

  describeStacks(name: string): { Stacks: Record<string, unknown>[] } {
    this.settleStacks();
    const stack = this.stacks.get(name);
    if (!stack) throw new AwsError('ValidationError', `Stack with id ${name} does not exist`);
    return {
      Stacks: [
        {
          StackId: stack.id,
          StackName: stack.name,
          StackStatus: stack.status,
          ...(stack.statusReason ? { StackStatusReason: stack.statusReason } : {}),
          CreationTime: new Date('2026-11-01T09:00:00Z'),
          Parameters: Object.entries(stack.values).map(([key, value]) => ({
            ParameterKey: key,
            ParameterValue: value,
            ...(stack.template[key]?.type !== 'String' ? { ResolvedValue: stack.resolved[key] } : {}),
          })),
          Capabilities: [...stack.capabilities],
          ...(stack.roleArn ? { RoleARN: stack.roleArn } : {}),
          Outputs: Object.entries(stack.outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
        },
      ],
    };
  }

  updateStack(request: UpdateRequest): { StackId: string } {
    this.settleStacks();
    const stack = this.stacks.get(request.StackName ?? '');
    if (!stack) throw new AwsError('ValidationError', `Stack [${request.StackName}] does not exist`);
    if (/_IN_PROGRESS$/.test(stack.status)) throw new AwsError('ValidationError', `Stack:${stack.id} is in ${stack.status} state and can not be updated.`);
    if (request.UsePreviousTemplate !== true || request.TemplateBody) throw new AwsError('ValidationError', 'this fake models UsePreviousTemplate updates only');
    const given = new Map((request.Parameters ?? []).map((p) => [p.ParameterKey ?? '', p]));
    const unknown = [...given.keys()].filter((k) => !(k in stack.template));
    if (unknown.length > 0) throw new AwsError('ValidationError', `Parameters: [${unknown.join(', ')}] do not exist in the template`);
    const values: Record<string, string> = {};
    for (const [key, t] of Object.entries(stack.template)) {
      const p = given.get(key);
      if (p?.UsePreviousValue && p.ParameterValue !== undefined) throw new AwsError('ValidationError', `Invalid input for parameter key ${key}. Cannot specify usePreviousValue as true and non empty value for a parameter`);
      const value = p ? (p.UsePreviousValue ? stack.values[key] : p.ParameterValue) : t.default;
      if (value === undefined) throw new AwsError('ValidationError', `Parameters: [${key}] must have values`);
      if (t.allowedPattern && !new RegExp(t.allowedPattern).test(value)) {
        throw new AwsError('ValidationError', `Parameter '${key}' must match pattern ${t.allowedPattern}`);
      }
      values[key] = value;
    }
    const missing = stack.capabilities.filter((c) => c !== 'CAPABILITY_AUTO_EXPAND' && !(request.Capabilities ?? []).includes(c));
    if (missing.includes('CAPABILITY_IAM') || missing.includes('CAPABILITY_NAMED_IAM')) {
      throw new AwsError('InsufficientCapabilitiesException', `Requires capabilities : [${missing.join(', ')}]`);
    }
    const resolved = this.resolve(stack.template, values);
    const same = Object.keys(stack.template).every((k) => values[k] === stack.values[k] && (stack.template[k]?.type === 'String' || resolved[k] === stack.resolved[k]));
    if (same) throw new AwsError('ValidationError', 'No updates are to be performed.');
    const role = request.RoleARN ?? stack.roleArn;
    stack.updates.push({ at: this.clock.current, request });
    stack.status = 'UPDATE_IN_PROGRESS';
    stack.pending = { completeAt: this.clock.current + this.updateDurationMs, values, resolved, fail: this.failNextUpdate || role === undefined, previous: stack.values };
    this.failNextUpdate = false;
    return { StackId: stack.id };
  }

  // ------------------------------------------------------------------------------------------
  // SSM

  getParameter(name: string): { Parameter: { Name: string; Value: string; Version: number } } {
    const p = this.parameters.get(name);
    if (!p) throw new AwsError('ParameterNotFound', `Parameter ${name} not found.`);
    return { Parameter: { Name: name, Value: p.value, Version: p.history.length } };
  }

  putParameter(name: string, value: string, by: string, overwrite = true): { Version: number } {
    const p = this.parameters.get(name);
    if (p && !overwrite) throw new AwsError('ParameterAlreadyExists', `The parameter already exists. To overwrite this value, set the overwrite option in the request to true.`);
    if (value.length > 4096) throw new AwsError('ValidationException', `1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length less than or equal to 4096`);
    const entry = p ?? { value, history: [] };
    entry.value = value;
    entry.history.push({ Value: value, LastModifiedDate: new Date(this.clock.current), LastModifiedUser: by, Version: entry.history.length + 1 });
    this.parameters.set(name, entry);
    return { Version: entry.history.length };
  }

  parameterHistory(name: string): { Parameters: { Name: string; Value: string; LastModifiedDate: Date; LastModifiedUser: string; Version: number }[] } {
    const p = this.parameters.get(name);
    if (!p) throw new AwsError('ParameterNotFound', `Parameter ${name} not found.`);
    return { Parameters: p.history.map((h) => ({ Name: name, ...h })) };
  }

  latch(name: string) {
    return parseLatch(this.parameters.get(name)?.value ?? LATCH_CLEAR);
  }

  // ------------------------------------------------------------------------------------------
  // DynamoDB

  /** Tables by name: their key attribute and items by key value. */
  readonly tables = new Map<string, { key: string; items: Map<string, Record<string, { S: string }>> }>();

  addTable(name: string, key: string): void {
    this.tables.set(name, { key, items: new Map() });
  }

  private table(name: string) {
    const t = this.tables.get(name);
    if (!t) throw new AwsError('ResourceNotFoundException', 'Requested resource not found');
    return t;
  }

  private keyOf(t: { key: string }, key: Record<string, { S?: string }> | undefined): string {
    const names = Object.keys(key ?? {});
    const value = key?.[t.key]?.S;
    if (names.length !== 1 || value === undefined) throw new AwsError('ValidationException', 'The provided key element does not match the schema');
    return value;
  }

  putItem(request: DynamoWrite & { Item: Record<string, { S: string }> }): Record<string, never> {
    const t = this.table(request.TableName);
    for (const [name, value] of Object.entries(request.Item)) {
      if (typeof value?.S !== 'string') throw new AwsError('ValidationException', `One or more parameter values were invalid: attribute ${name} is not a typed value`);
    }
    const key = this.keyOf(t, { [t.key]: request.Item[t.key] as { S: string } });
    checkCondition(request, t.items.get(key));
    t.items.set(key, request.Item);
    return {};
  }

  getItem(request: { TableName: string; Key: Record<string, { S: string }> }): { Item?: Record<string, { S: string }> } {
    const t = this.table(request.TableName);
    const item = t.items.get(this.keyOf(t, request.Key));
    return item ? { Item: item } : {};
  }

  deleteItem(request: DynamoWrite & { Key: Record<string, { S: string }> }): Record<string, never> {
    const t = this.table(request.TableName);
    const key = this.keyOf(t, request.Key);
    checkCondition(request, t.items.get(key));
    t.items.delete(key);
    return {};
  }

  // ------------------------------------------------------------------------------------------
  // Lambda

  /** The rollback function's effect: traffic to stable, latch set once; idempotent. */
  invokeRollback(latchParameter: string, request: ManualRollbackRequest): RollbackResult {
    this.rollbackRequests.push(request);
    if (this.rollbackFails) throw new AwsError('Error', 'rollback incomplete: traffic step failed');
    if (this.rollbackRejects) return { outcome: 'rejected', environment: 'production', steps: [], durationMs: 0, error: 'manual request.reason must be a non-empty string' };
    const before = { weights: this.weights, latch: this.latch(latchParameter), flags: {} };
    const changedTraffic = this.weights.canary !== 0;
    if (changedTraffic) this.setWeights(trafficWeights(0), 'rollback function');
    this.flagsRolledBack = true;
    const changedLatch = !this.latch(latchParameter).latched;
    if (changedLatch) this.putParameter(latchParameter, serializeLatch({ state: 'latched', reason: request.reason, requestedBy: request.requestedBy, time: new Date(this.clock.current).toISOString() }), 'rollback-function');
    const status = (changed: boolean) => (changed ? 'done' : 'unchanged') as 'done' | 'unchanged';
    return {
      outcome: changedTraffic || changedLatch ? 'rolled_back' : 'already_rolled_back',
      environment: 'production',
      trigger: { kind: 'manual', name: request.requestedBy, reason: request.reason },
      before,
      after: { weights: this.weights, latch: this.latch(latchParameter), flags: {} },
      steps: [
        { step: 'traffic', status: status(changedTraffic), detail: 'stable 100 / canary 0' },
        { step: 'latch', status: status(changedLatch), detail: latchParameter },
      ],
      durationMs: 1200,
    };
  }

  // ------------------------------------------------------------------------------------------
  // Step Functions

  async startExecution(stateMachineArn: string, name: string, input: string, tasks: (call: TaskCall) => Promise<unknown>): Promise<AslExecution> {
    const machine = this.machines.get(stateMachineArn);
    if (!machine) throw new AwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw new AwsError('InvalidName', `Invalid Name: '${name}'`);
    if (this.executions.some((e) => e.context.stateMachineArn === stateMachineArn && e.context.name === name)) {
      throw new AwsError('ExecutionAlreadyExists', `Execution Already Exists: '${name}'`);
    }
    const execution = new AslExecution(
      JSON.parse(machine.definition),
      JSON.parse(input),
      {
        executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`,
        name,
        stateMachineArn,
        stateMachineName: machine.name,
        roleArn: machine.roleArn,
      },
      async (call) => tasks(call),
      this.clock,
    );
    this.executions.push(execution);
    await execution.run();
    return execution;
  }

  execution(arn: string): AslExecution {
    const e = this.executions.find((x) => x.context.executionArn === arn);
    if (!e) throw new AwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return e;
  }

  listExecutions(stateMachineArn: string, status?: string) {
    const seenBefore = this.clock.current - this.listExecutionsLagMs;
    // What a lagging read still shows: not yet started, and still RUNNING if it stopped recently.
    const listedStatus = (e: AslExecution) => (e.stopDate && e.stopDate.getTime() > seenBefore ? 'RUNNING' : e.status);
    return this.executions
      .filter((e) => e.startDate.getTime() <= seenBefore)
      .filter((e) => e.context.stateMachineArn === stateMachineArn && (!status || listedStatus(e) === status))
      .reverse()
      .map((e) => ({ executionArn: e.context.executionArn, stateMachineArn, name: e.context.name, status: e.status, startDate: e.startDate, ...(e.stopDate ? { stopDate: e.stopDate } : {}) }));
  }

  sendTask(token: string, outcome: { output: unknown } | { error: string; cause: string }): void {
    const e = this.executions.find((x) => x.waitingToken === token);
    if (!e) throw new AwsError('TaskDoesNotExist', 'Task does not exist anymore');
    try {
      e.answer(token, outcome);
    } catch (error) {
      if (error instanceof TaskError) throw new AwsError(error.error, error.cause);
      throw error;
    }
  }

  history(arn: string): HistoryEvent[] {
    return this.execution(arn).history;
  }

  eventsOf(detailType: string) {
    return this.events.filter((e) => e.detailType === detailType);
  }
}

interface DynamoWrite {
  readonly TableName: string;
  readonly ConditionExpression?: string;
  readonly ExpressionAttributeNames?: Record<string, string>;
  readonly ExpressionAttributeValues?: Record<string, { S: string }>;
}

/** Evaluates a write's ConditionExpression against the stored item; throws as DynamoDB does when it fails. */
function checkCondition(request: DynamoWrite, item: Record<string, { S: string }> | undefined): void {
  const names = request.ExpressionAttributeNames ?? {};
  const values = request.ExpressionAttributeValues ?? {};
  const expression = request.ConditionExpression;
  const used = new Set(expression?.match(/[#:][A-Za-z0-9_]+/g) ?? []);
  for (const token of [...Object.keys(names), ...Object.keys(values)]) {
    if (!used.has(token)) throw new AwsError('ValidationException', `Value provided in ExpressionAttribute${token.startsWith('#') ? 'Names' : 'Values'} unused in expressions: keys: {${token}}`);
  }
  if (expression === undefined) return;
  const attribute = (path: string) => {
    const name = path.startsWith('#') ? names[path] : path;
    if (name === undefined) throw new AwsError('ValidationException', `An expression attribute name used in the document path is not defined; attribute name: ${path}`);
    return item?.[name];
  };
  const term = (text: string): boolean => {
    const t = text.trim();
    let m = /^attribute_(not_)?exists\(\s*([#A-Za-z0-9_]+)\s*\)$/.exec(t);
    if (m) return (attribute(m[2]!) !== undefined) !== (m[1] !== undefined);
    m = /^([#A-Za-z0-9_]+)\s*=\s*(:[A-Za-z0-9_]+)$/.exec(t);
    if (m) {
      const value = values[m[2]!];
      if (value === undefined) throw new AwsError('ValidationException', `An expression attribute value used in expression is not defined; attribute value: ${m[2]}`);
      return attribute(m[1]!)?.S === value.S;
    }
    throw new AwsError('ValidationException', `this fake does not model the condition "${t}"`);
  };
  const holds = expression.split(/\s+OR\s+/).some((alternative) => alternative.split(/\s+AND\s+/).every(term));
  if (!holds) throw new AwsError('ConditionalCheckFailedException', 'The conditional request failed');
}

/**
 * The task handlers the rollout definition calls, answering from the world: SDK integrations
 * report errors as `<Service>.<ErrorName>Exception` with the service's message in the cause
 * (https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html).
 */
export function worldTasks(world: RolloutWorld, functions: { rollbackArn: string; judgeArn: string; latchParameter: string }) {
  const sdk = <T>(service: string, call: () => T): T => {
    try {
      return call();
    } catch (error) {
      if (error instanceof AwsError) {
        throw new TaskError(`${service}.${error.name.endsWith('Exception') ? error.name : `${error.name}Exception`}`, `${error.message} (Service: ${service}, Status Code: 400, Error Code: ${error.name})`);
      }
      throw error;
    }
  };
  return async (call: TaskCall): Promise<unknown> => {
    const [type, action] = taskResourceParts(call.resource);
    const args = call.args as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- task arguments are untyped JSON
    switch (`${type}:${action}`) {
      case 'aws-sdk:cloudformation:describeStacks':
        return sdk('CloudFormation', () => world.describeStacks(args.StackName));
      case 'aws-sdk:cloudformation:updateStack':
        return sdk('CloudFormation', () => world.updateStack(args as UpdateRequest));
      case 'aws-sdk:ssm:getParameter':
        return sdk('Ssm', () => world.getParameter(args.Name));
      case 'aws-sdk:ssm:putParameter':
        if (typeof args.Value !== 'string') throw new TaskError('Ssm.ValidationException', 'Value must be a string');
        return sdk('Ssm', () => world.putParameter(args.Name, args.Value, 'rollout-state-machine', args.Overwrite === true));
      case 'dynamodb:putItem':
        return sdk('DynamoDB', () => world.putItem(args as Parameters<typeof world.putItem>[0]));
      case 'dynamodb:getItem':
        return sdk('DynamoDB', () => world.getItem(args as Parameters<typeof world.getItem>[0]));
      case 'dynamodb:deleteItem':
        return sdk('DynamoDB', () => world.deleteItem(args as Parameters<typeof world.deleteItem>[0]));
      case 'aws-sdk:sfn:describeExecution':
        return sdk('Sfn', () => {
          const e = world.execution(args.ExecutionArn);
          return { ExecutionArn: e.context.executionArn, StateMachineArn: e.context.stateMachineArn, Name: e.context.name, Status: e.status, StartDate: e.startDate.toISOString() };
        });
      case 'aws-sdk:sfn:listExecutions':
        return {
          Executions: world.listExecutions(args.StateMachineArn, args.StatusFilter).map((e) => ({ ExecutionArn: e.executionArn, Name: e.name, Status: e.status, StartDate: e.startDate.toISOString() })),
        };
      case 'lambda:invoke': {
        if (args.FunctionName === functions.rollbackArn) {
          try {
            return { StatusCode: 200, Payload: world.invokeRollback(functions.latchParameter, args.Payload as ManualRollbackRequest) };
          } catch (error) {
            throw new TaskError('Error', JSON.stringify({ errorType: 'Error', errorMessage: (error as Error).message }));
          }
        }
        if (args.FunctionName === functions.judgeArn) {
          world.judgeRequests.push(args.Payload as BakeCheckRequest);
          try {
            return { StatusCode: 200, Payload: world.judge(args.Payload as BakeCheckRequest) };
          } catch (error) {
            // A function error: Step Functions names the error by the function's errorType.
            throw new TaskError('Error', JSON.stringify({ errorType: 'Error', errorMessage: (error as Error).message }));
          }
        }
        throw new TaskError('Lambda.ResourceNotFoundException', `Function not found: ${String(args.FunctionName)}`);
      }
      case 'events:putEvents':
      case 'events:putEvents.waitForTaskToken': {
        const entries = args.Entries as { Source: string; DetailType: string; Detail: Record<string, unknown>; EventBusName: string }[];
        // The optimized integration fails the task when PutEvents reports failed entries
        // (https://docs.aws.amazon.com/step-functions/latest/dg/connect-eventbridge.html).
        if (world.eventsFail) throw new TaskError('EventBridge.FailedEntry', JSON.stringify({ FailedEntryCount: entries.length, Entries: entries.map(() => ({ ErrorCode: 'InternalFailure' })) }));
        for (const e of entries) {
          if (e.EventBusName !== 'default') throw new TaskError('EventBridge.ResourceNotFoundException', `Event bus ${e.EventBusName} does not exist.`);
          world.events.push({ source: e.Source, detailType: e.DetailType, detail: typeof e.Detail === 'string' ? JSON.parse(e.Detail) : e.Detail, at: world.clock.current });
        }
        return { Entries: entries.map((_, i) => ({ EventId: `event-${world.events.length}-${i}` })), FailedEntryCount: 0 };
      }
      default:
        throw new TaskError('States.Runtime', `the fake does not model ${call.resource}`);
    }
  };
}
