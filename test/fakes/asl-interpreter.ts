/**
 * Runs an Amazon States Language definition in the JSONata query language, the subset the rollout
 * engine uses (Pass, Task, Choice, Wait, Succeed, Fail; Arguments, Output, Assign, Retry, Catch,
 * TimeoutSeconds; `.waitForTaskToken`), against task handlers that fake the AWS services.
 *
 * JSONata is the npm package at the version Step Functions runs, 2.0.6
 * (https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html). The rules it
 * follows come from the Step Functions developer guide:
 *  - JSONata fields are strings `{% expression %}`; `$states.input`, `$states.result` (Task),
 *    `$states.errorOutput` (Catch) and `$states.context` are bound, and variables set by `Assign`
 *    are `$name` (https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html,
 *    https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html).
 *  - `Assign` and `Output` of one state are evaluated with the variables as they were when the
 *    state was entered; the new values are visible from the next state on.
 *  - A Task's Retry entries are tried in order, then its Catch entries; `States.ALL` matches any
 *    error but `States.Runtime` (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html).
 *  - A `.waitForTaskToken` task waits until SendTaskSuccess or SendTaskFailure with its token, or
 *    fails with `States.Timeout` after TimeoutSeconds, which a JSONata state may give as an
 *    expression that evaluates to a positive integer (CDK's `Timeout.jsonata`, same rule).
 * History events use the SDK's HistoryEvent shape, so the CLI's history reader runs on them.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import jsonata from 'jsonata';

type Json = unknown;
type State = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- ASL states are untyped JSON

export class TaskError extends Error {
  constructor(
    readonly error: string,
    readonly cause: string,
  ) {
    super(`${error}: ${cause}`);
    this.name = 'TaskError';
  }
}

/** What a task handler sees: the resource ARN, the evaluated Arguments and the token (for callbacks). */
export interface TaskCall {
  readonly resource: string;
  readonly args: Json;
  readonly taskToken?: string;
  readonly execution: AslExecution;
}

/** Answers a task: its result, or throws a TaskError (the name and cause Step Functions reports). */
export type TaskHandler = (call: TaskCall) => Promise<Json>;

export interface Clock {
  now(): number;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

interface Definition {
  readonly StartAt: string;
  readonly States: Record<string, State>;
  readonly TimeoutSeconds?: number;
  readonly QueryLanguage?: string;
}

let tokenCounter = 0;
const expressions = new Map<string, ReturnType<typeof jsonata>>();

function compiled(source: string): ReturnType<typeof jsonata> {
  let expression = expressions.get(source);
  if (!expression) {
    expression = jsonata(source);
    expressions.set(source, expression);
  }
  return expression;
}

export class AslExecution {
  status: ExecutionStatus = 'RUNNING';
  output?: Json;
  error?: string;
  cause?: string;
  stopDate?: Date;
  readonly history: HistoryEvent[] = [];
  /** The state the run is in, or undefined once it ended. */
  current: string | undefined;
  /** Wakes at this time (a Wait state, a retry's back-off, a callback's timeout). */
  wakeAt: number | undefined;
  /** The token a `.waitForTaskToken` task waits on. */
  waitingToken: string | undefined;
  readonly variables: Record<string, Json> = {};
  private stateInput: Json;
  private attempts = new Map<number, number>();
  private callback?: { state: string; result?: Json; failure?: TaskError };
  private pendingRetry?: { state: string };
  private readonly started: number;

  constructor(
    readonly definition: Definition,
    readonly input: Json,
    readonly context: { executionArn: string; name: string; stateMachineArn: string; stateMachineName: string; roleArn: string },
    private readonly tasks: TaskHandler,
    private readonly clock: Clock,
  ) {
    if (definition.QueryLanguage !== 'JSONata') throw new Error('this interpreter runs JSONata definitions only');
    this.started = clock.now();
    this.stateInput = input;
    this.current = definition.StartAt;
    this.event('ExecutionStarted', { executionStartedEventDetails: { input: JSON.stringify(input), roleArn: context.roleArn } });
  }

  get startDate(): Date {
    return new Date(this.started);
  }

  private event(type: string, details: Record<string, unknown>): void {
    const id = this.history.length + 1;
    this.history.push({ id, previousEventId: id - 1, timestamp: new Date(this.clock.now()), type, ...details } as HistoryEvent);
  }

  private contextObject(taskToken?: string): Json {
    return {
      Execution: { Id: this.context.executionArn, Name: this.context.name, StartTime: new Date(this.started).toISOString(), Input: this.input, RoleArn: this.context.roleArn },
      StateMachine: { Id: this.context.stateMachineArn, Name: this.context.stateMachineName },
      State: { Name: this.current, EnteredTime: new Date(this.clock.now()).toISOString() },
      ...(taskToken ? { Task: { Token: taskToken } } : {}),
    };
  }

  /** Evaluates a JSONata template: `{% %}` strings are expressions, everything else is literal. */
  async evaluate(template: Json, states: Record<string, Json>): Promise<Json> {
    if (typeof template === 'string') {
      const match = /^\{%([\s\S]*)%\}$/.exec(template);
      if (!match) return template;
      const expression = compiled(match[1] as string);
      // $now() and $millis() read the execution's clock, as they read Step Functions' in AWS.
      const now = this.clock.now();
      const clockFunctions = { now: () => new Date(now).toISOString(), millis: () => now };
      const result = (await expression.evaluate({}, { ...this.variables, ...clockFunctions, states })) as Json;
      if (result === undefined) throw new TaskError('States.QueryEvaluationError', `the expression evaluated to undefined: ${(match[1] as string).trim().slice(0, 200)}`);
      return normalize(result);
    }
    if (Array.isArray(template)) return Promise.all(template.map((t) => this.evaluate(t, states)));
    if (template && typeof template === 'object') {
      const out: Record<string, Json> = {};
      for (const [k, v] of Object.entries(template)) out[k] = await this.evaluate(v, states);
      return out;
    }
    return template;
  }

  /** Runs until the execution waits (Wait, back-off, callback) or ends. */
  async run(): Promise<void> {
    if (this.status !== 'RUNNING') return;
    const deadline = this.started + (this.definition.TimeoutSeconds ?? Infinity) * 1000;
    for (let transitions = 0; transitions < 100_000; transitions++) {
      if (this.status !== 'RUNNING' || this.current === undefined) return;
      if (this.clock.now() >= deadline) return this.end('TIMED_OUT', { error: 'States.Timeout', cause: 'the execution ran longer than TimeoutSeconds' });
      if (this.wakeAt !== undefined && this.clock.now() < this.wakeAt) return;
      const advanced = await this.step();
      if (!advanced) return;
    }
    throw new Error('more than 100,000 transitions: the definition loops');
  }

  /** One state. Returns false when the execution must wait. */
  private async step(): Promise<boolean> {
    const name = this.current as string;
    const state = this.definition.States[name];
    if (!state) throw new Error(`no state "${name}"`);
    const resuming = this.wakeAt !== undefined || this.callback !== undefined || this.pendingRetry !== undefined;
    if (!resuming) {
      this.attempts.clear();
      this.event(`${state.Type}StateEntered`, { stateEnteredEventDetails: { name, input: JSON.stringify(this.stateInput) } });
    }
    try {
      switch (state.Type) {
        case 'Pass':
          return await this.leave(name, state, this.stateInput, {});
        case 'Choice':
          return await this.choice(name, state);
        case 'Wait':
          if (this.wakeAt === undefined) {
            const seconds = Number(await this.evaluate(state.Seconds, this.states()));
            this.wakeAt = this.clock.now() + seconds * 1000;
            return false;
          }
          this.wakeAt = undefined;
          return await this.leave(name, state, this.stateInput, {});
        case 'Succeed': {
          const output = state.Output === undefined ? this.stateInput : await this.evaluate(state.Output, this.states());
          this.event('SucceedStateExited', { stateExitedEventDetails: { name, output: JSON.stringify(output) } });
          this.end('SUCCEEDED', { output });
          return false;
        }
        case 'Fail': {
          const error = String(await this.evaluate(state.Error ?? 'States.Fail', this.states()));
          const cause = String(await this.evaluate(state.Cause ?? '', this.states()));
          this.end('FAILED', { error, cause });
          return false;
        }
        case 'Task':
          return await this.task(name, state);
        default:
          throw new Error(`state type ${String(state.Type)} is not modelled`);
      }
    } catch (error) {
      if (!(error instanceof TaskError)) throw error;
      // An evaluation error outside a Task's own call fails the run, as States.Runtime would.
      this.end('FAILED', { error: error.error, cause: error.cause });
      return false;
    }
  }

  private states(extra: Record<string, Json> = {}): Record<string, Json> {
    return { input: this.stateInput, context: this.contextObject(), ...extra };
  }

  private async leave(name: string, state: State, defaultOutput: Json, extra: Record<string, Json>): Promise<boolean> {
    const states = this.states(extra);
    const output = state.Output === undefined ? defaultOutput : await this.evaluate(state.Output, states);
    const assigned = state.Assign ? ((await this.evaluate(state.Assign, states)) as Record<string, Json>) : {};
    Object.assign(this.variables, assigned);
    this.event(`${state.Type}StateExited`, {
      stateExitedEventDetails: { name, output: JSON.stringify(output), assignedVariables: Object.fromEntries(Object.entries(assigned).map(([k, v]) => [k, JSON.stringify(v)])) },
    });
    return this.next(state, output);
  }

  private next(state: State, output: Json): boolean {
    this.stateInput = output;
    if (state.End === true) {
      this.end('SUCCEEDED', { output });
      return false;
    }
    this.current = state.Next as string;
    return true;
  }

  private async choice(name: string, state: State): Promise<boolean> {
    for (const rule of state.Choices as State[]) {
      if ((await this.evaluate(rule.Condition, this.states())) === true) return this.goto(name, state, rule.Next as string, rule.Assign);
    }
    if (state.Default === undefined) throw new TaskError('States.NoChoiceMatched', `no choice rule of "${name}" matched`);
    return this.goto(name, state, state.Default as string, undefined);
  }

  private async goto(name: string, state: State, next: string, assign: Json): Promise<boolean> {
    const assigned = assign ? ((await this.evaluate(assign, this.states())) as Record<string, Json>) : {};
    Object.assign(this.variables, assigned);
    this.event('ChoiceStateExited', {
      stateExitedEventDetails: { name, output: JSON.stringify(this.stateInput), assignedVariables: Object.fromEntries(Object.entries(assigned).map(([k, v]) => [k, JSON.stringify(v)])) },
    });
    void state;
    this.current = next;
    return true;
  }

  private async task(name: string, state: State): Promise<boolean> {
    const resource = state.Resource as string;
    const [resourceType, resourceAction] = taskResourceParts(resource);
    let result: Json;
    if (this.callback) {
      const callback = this.callback;
      this.callback = undefined;
      this.wakeAt = undefined;
      this.waitingToken = undefined;
      if (callback.failure) return this.fail(name, state, callback.failure, resourceType, resourceAction);
      result = callback.result;
      this.event('TaskSucceeded', { taskSucceededEventDetails: { resourceType, resource: resourceAction, output: JSON.stringify(result) } });
      return this.leave(name, state, result, { result });
    }
    if (this.waitingToken !== undefined) {
      // Woken by the callback's timeout.
      this.waitingToken = undefined;
      this.wakeAt = undefined;
      this.event('TaskTimedOut', { taskTimedOutEventDetails: { resourceType, resource: resourceAction, error: 'States.Timeout' } });
      return this.fail(name, state, new TaskError('States.Timeout', 'the task did not answer within TimeoutSeconds'), resourceType, resourceAction, true);
    }
    if (this.pendingRetry) {
      this.pendingRetry = undefined;
      this.wakeAt = undefined;
    }
    const token = resource.endsWith('.waitForTaskToken') ? `token-${++tokenCounter}-${this.context.name}` : undefined;
    let args: Json;
    try {
      args = state.Arguments === undefined ? this.stateInput : await this.evaluate(state.Arguments, { input: this.stateInput, context: this.contextObject(token) });
    } catch (error) {
      if (!(error instanceof TaskError)) throw error;
      return this.fail(name, state, error, resourceType, resourceAction);
    }
    // TimeoutSeconds is a number, or in JSONata a `{% %}` expression that must give a positive integer.
    let timeoutSeconds: number | undefined;
    if (state.TimeoutSeconds !== undefined) {
      timeoutSeconds = Number(await this.evaluate(state.TimeoutSeconds, this.states()));
      if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1) {
        return this.fail(name, state, new TaskError('States.Runtime', `TimeoutSeconds must be a positive integer, got ${timeoutSeconds}`), resourceType, resourceAction);
      }
    }
    this.event('TaskScheduled', { taskScheduledEventDetails: { resourceType, resource: resourceAction, region: 'eu-west-1', parameters: JSON.stringify(args), ...(timeoutSeconds ? { timeoutInSeconds: timeoutSeconds } : {}) } });
    this.event('TaskStarted', { taskStartedEventDetails: { resourceType, resource: resourceAction } });
    try {
      result = await this.tasks({ resource, args, ...(token ? { taskToken: token } : {}), execution: this });
    } catch (error) {
      if (!(error instanceof TaskError)) throw error;
      return this.fail(name, state, error, resourceType, resourceAction);
    }
    if (token) {
      this.waitingToken = token;
      this.wakeAt = timeoutSeconds ? this.clock.now() + timeoutSeconds * 1000 : Number.MAX_SAFE_INTEGER;
      return false;
    }
    this.event('TaskSucceeded', { taskSucceededEventDetails: { resourceType, resource: resourceAction, output: JSON.stringify(result) } });
    return this.leave(name, state, result, { result });
  }

  private async fail(name: string, state: State, error: TaskError, resourceType: string, resourceAction: string, eventWritten = false): Promise<boolean> {
    if (!eventWritten) this.event('TaskFailed', { taskFailedEventDetails: { resourceType, resource: resourceAction, error: error.error, cause: error.cause } });
    const matches = (equals: readonly string[]) => equals.includes(error.error) || (equals.includes('States.ALL') && error.error !== 'States.Runtime');
    const retriers = (state.Retry ?? []) as State[];
    for (const [i, retrier] of retriers.entries()) {
      if (!matches(retrier.ErrorEquals as string[])) continue;
      const attempt = this.attempts.get(i) ?? 0;
      if (attempt < Number(retrier.MaxAttempts ?? 3)) {
        this.attempts.set(i, attempt + 1);
        this.pendingRetry = { state: name };
        this.wakeAt = this.clock.now() + Number(retrier.IntervalSeconds ?? 1) * 1000 * Number(retrier.BackoffRate ?? 2) ** attempt;
        return false;
      }
      break;
    }
    this.attempts.clear();
    for (const catcher of (state.Catch ?? []) as State[]) {
      if (!matches(catcher.ErrorEquals as string[])) continue;
      const errorOutput = { Error: error.error, Cause: error.cause };
      const states = this.states({ errorOutput });
      const output = catcher.Output === undefined ? errorOutput : await this.evaluate(catcher.Output, states);
      const assigned = catcher.Assign ? ((await this.evaluate(catcher.Assign, states)) as Record<string, Json>) : {};
      Object.assign(this.variables, assigned);
      this.event('TaskStateExited', { stateExitedEventDetails: { name, output: JSON.stringify(output), assignedVariables: Object.fromEntries(Object.entries(assigned).map(([k, v]) => [k, JSON.stringify(v)])) } });
      this.stateInput = output;
      this.current = catcher.Next as string;
      return true;
    }
    this.end('FAILED', { error: error.error, cause: error.cause });
    return false;
  }

  /** SendTaskSuccess / SendTaskFailure for this run's waiting task. */
  answer(token: string, outcome: { output: Json } | { error: string; cause: string }): void {
    if (this.status !== 'RUNNING' || this.waitingToken !== token) throw new TaskError('TaskDoesNotExist', 'Task does not exist anymore');
    this.callback = { state: this.current as string, ...('output' in outcome ? { result: outcome.output } : { failure: new TaskError(outcome.error, outcome.cause) }) };
    this.wakeAt = this.clock.now();
  }

  stop(error: string, cause: string): void {
    if (this.status !== 'RUNNING') return;
    this.end('ABORTED', { error, cause });
  }

  private end(status: ExecutionStatus, how: { output?: Json; error?: string; cause?: string }): void {
    this.status = status;
    this.current = undefined;
    this.wakeAt = undefined;
    this.waitingToken = undefined;
    this.stopDate = new Date(this.clock.now());
    if (how.output !== undefined) this.output = how.output;
    if (how.error !== undefined) this.error = how.error;
    if (how.cause !== undefined) this.cause = how.cause;
    const type = { SUCCEEDED: 'ExecutionSucceeded', FAILED: 'ExecutionFailed', ABORTED: 'ExecutionAborted', TIMED_OUT: 'ExecutionTimedOut', RUNNING: 'ExecutionStarted' }[status];
    const key = { SUCCEEDED: 'executionSucceededEventDetails', FAILED: 'executionFailedEventDetails', ABORTED: 'executionAbortedEventDetails', TIMED_OUT: 'executionTimedOutEventDetails', RUNNING: 'x' }[status];
    this.event(type, { [key]: status === 'SUCCEEDED' ? { output: JSON.stringify(how.output) } : { error: how.error, cause: how.cause } });
  }
}

/** `arn:aws:states:::aws-sdk:ssm:getParameter` -> [`aws-sdk:ssm`, `getParameter`]; `...:::lambda:invoke` -> [`lambda`, `invoke`]. */
export function taskResourceParts(resource: string): [string, string] {
  const rest = resource.replace(/^arn:aws:states:::/, '');
  const parts = rest.split(':');
  const action = parts.pop() as string;
  return [parts.join(':'), action];
}

/** JSONata returns sequences with extra markers and may return functions; keep plain JSON. */
function normalize(value: unknown): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}
