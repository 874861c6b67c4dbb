/**
 * The rollout engine as the CLI sees it: where the state machine is (the Rollout stack's outputs),
 * its running and recent executions, each execution's steps read from its history, the approval
 * a run waits for (and its task token), the judge's last verdict, and the release history.
 * `release`, `approve`, `abort` and `status` use it; `readRolloutStatus` is the one call a watch
 * mode needs.
 */
import { DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import {
  DescribeExecutionCommand,
  DescribeStateMachineForExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  type ExecutionListItem,
  type ExecutionStatus,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { readReleaseHistory, type RolloutRecord } from '../shared/release-history';
import {
  ROLLOUT_OUTPUTS,
  rolloutStackName,
  rolloutStackSelector,
  type BakeVerdict,
  type RolloutInput,
  type RolloutOutputKey,
} from '../shared/rollout-contract';
import type { CommandContext } from './context';
import { adviceText, CliError, explainAwsError } from './errors';
import { aws } from './live-state';

export interface RolloutStackState {
  readonly name: string;
  readonly outputs: Readonly<Record<RolloutOutputKey, string>>;
}

/** The Rollout stack's outputs; a missing stack says how to deploy it. */
export async function describeRolloutStack(ctx: CommandContext): Promise<RolloutStackState> {
  const name = rolloutStackName(ctx.environment);
  let stack: Stack | undefined;
  try {
    stack = (await ctx.clients.cloudformation.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ValidationError' && /does not exist/.test(error.message))) throw explainAwsError(error, `reading stack ${name}`);
  }
  const values = new Map((stack?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  const missing = Object.values(ROLLOUT_OUTPUTS).filter((key) => !values.get(key));
  if (!stack || missing.length > 0) {
    throw new CliError(
      stack ? `stack ${name} lacks the output(s) ${missing.join(', ')}` : `stack ${name} (the rollout engine) does not exist in this account and region`,
      `Deploy it: npx cdk deploy ${rolloutStackSelector(ctx.environment)} (after the Service stack), then run the command again.`,
    );
  }
  const outputs = Object.fromEntries((Object.keys(ROLLOUT_OUTPUTS) as RolloutOutputKey[]).map((k) => [k, values.get(ROLLOUT_OUTPUTS[k]) ?? ''])) as Record<RolloutOutputKey, string>;
  return { name, outputs };
}

/** Executions of the state machine, newest first; `status` filters by one status. */
export async function listExecutions(ctx: CommandContext, stateMachineArn: string, options: { status?: ExecutionStatus; max?: number } = {}): Promise<ExecutionListItem[]> {
  const max = options.max ?? 10;
  const found: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await aws('listing the rollout executions (states:ListExecutions)', () =>
      ctx.clients.sfn.send(
        new ListExecutionsCommand({
          stateMachineArn,
          maxResults: Math.min(100, max),
          ...(options.status ? { statusFilter: options.status } : {}),
          ...(nextToken ? { nextToken } : {}),
        }),
      ),
    );
    found.push(...(page.executions ?? []));
    nextToken = page.nextToken;
  } while (nextToken && found.length < max);
  return found.slice(0, max);
}

export type StepStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export interface StepProgress {
  /** 0-based plan step; the promotion is the last entry. */
  readonly index: number;
  /** `Step 2 bake 30 min`, `Promote`. */
  readonly label: string;
  readonly status: StepStatus;
  readonly startedAt?: Date;
  readonly endedAt?: Date;
}

export interface PendingApproval {
  readonly step: number;
  readonly taskToken: string;
  readonly since: Date;
  readonly expiresAt?: string;
}

export interface JudgedVerdict {
  readonly label: string;
  readonly verdict: BakeVerdict;
  readonly reasons: readonly string[];
  readonly at: Date;
}

export interface RolloutProgress {
  readonly executionArn: string;
  readonly name: string;
  readonly status: ExecutionStatus | string;
  readonly startDate?: Date;
  readonly stopDate?: Date;
  readonly input?: RolloutInput;
  readonly error?: string;
  readonly cause?: string;
  readonly steps: readonly StepProgress[];
  /** The state it is in now (or ended in). */
  readonly currentState?: string;
  readonly pendingApproval?: PendingApproval;
  readonly lastVerdict?: JudgedVerdict;
}

/** The step labels of a definition, in order: every state name is `<step label>: <what>`. */
export function stepLabels(definition: string): string[] {
  const states = Object.keys((JSON.parse(definition) as { States?: Record<string, unknown> }).States ?? {});
  const labels: string[] = [];
  for (const name of states) {
    const match = /^(Step \d+ [^:]+|Promote): /.exec(name);
    if (match && !labels.includes(match[1] as string)) labels.push(match[1] as string);
  }
  return labels;
}

function labelOf(stateName: string): string | undefined {
  return /^(Step \d+ [^:]+|Promote): /.exec(stateName)?.[1];
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * An execution's progress from its history (pure, so it is tested on recorded histories): which
 * steps ran, which one runs now, whether it waits for an approval (with the task token the
 * approval task sent), and the judge's last verdict.
 */
export function progressFromHistory(
  execution: { executionArn: string; name: string; status: string; startDate?: Date; stopDate?: Date; input?: string; error?: string; cause?: string },
  labels: readonly string[],
  events: readonly HistoryEvent[],
): RolloutProgress {
  const started = new Map<string, Date>();
  const lastSeen = new Map<string, Date>();
  let current: string | undefined;
  let currentState: string | undefined;
  let approval: { entered: string; step: number; token: string; since: Date; expiresAt?: string } | undefined;
  let lastVerdict: JudgedVerdict | undefined;
  let promotedRecorded = false;

  for (const event of events) {
    const at = event.timestamp ?? new Date(0);
    const entered = event.stateEnteredEventDetails?.name;
    if (entered !== undefined) {
      currentState = entered;
      const label = labelOf(entered);
      if (label) {
        if (!started.has(label)) started.set(label, at);
        current = label;
      }
      if (entered === 'Record promoted') promotedRecorded = true;
      if (approval && entered !== approval.entered) approval = undefined;
    }
    const exited = event.stateExitedEventDetails;
    if (exited?.name !== undefined) {
      const label = labelOf(exited.name);
      if (label) lastSeen.set(label, at);
      if (approval && exited.name === approval.entered) approval = undefined;
      if (label && exited.name.endsWith(': judge') && exited.assignedVariables?.verdict) {
        const v = parseJson(exited.assignedVariables.verdict) as { verdict?: BakeVerdict; reasons?: string[] } | undefined;
        if (v?.verdict) lastVerdict = { label, verdict: v.verdict, reasons: v.reasons ?? [], at };
      }
    }
    const scheduled = event.taskScheduledEventDetails;
    if (scheduled && scheduled.resource === 'putEvents.waitForTaskToken' && currentState) {
      const params = parseJson(scheduled.parameters) as { Entries?: { Detail?: { taskToken?: string; step?: number; expiresAt?: string } | string }[] } | undefined;
      const rawDetail = params?.Entries?.[0]?.Detail;
      const detail = typeof rawDetail === 'string' ? (parseJson(rawDetail) as { taskToken?: string; step?: number; expiresAt?: string } | undefined) : rawDetail;
      if (detail?.taskToken) {
        // The step renews its token every few minutes: it has waited since the step began.
        const since = started.get(labelOf(currentState) ?? '') ?? at;
        approval = { entered: currentState, step: detail.step ?? -1, token: detail.taskToken, since, ...(detail.expiresAt ? { expiresAt: detail.expiresAt } : {}) };
      }
    }
    if (event.taskSucceededEventDetails || event.taskFailedEventDetails || event.taskTimedOutEventDetails) {
      if (event.taskSucceededEventDetails?.resource === 'putEvents.waitForTaskToken' || event.taskFailedEventDetails?.resource === 'putEvents.waitForTaskToken' || event.taskTimedOutEventDetails?.resource === 'putEvents.waitForTaskToken') {
        approval = undefined;
      }
    }
  }

  const running = execution.status === 'RUNNING';
  const currentIndex = current ? labels.indexOf(current) : -1;
  const steps = labels.map((label, index): StepProgress => {
    let status: StepStatus;
    if (index < currentIndex) status = 'done';
    else if (index === currentIndex) {
      if (label === 'Promote' && promotedRecorded) status = 'done';
      else status = running ? 'running' : execution.status === 'SUCCEEDED' ? 'done' : 'failed';
    } else status = running ? 'pending' : 'skipped';
    const startedAt = started.get(label);
    const endedAt = status === 'running' || status === 'pending' ? undefined : lastSeen.get(label);
    return { index, label, status, ...(startedAt ? { startedAt } : {}), ...(endedAt ? { endedAt } : {}) };
  });
  const input = parseJson(execution.input) as RolloutInput | undefined;
  return {
    executionArn: execution.executionArn,
    name: execution.name,
    status: execution.status,
    ...(execution.startDate ? { startDate: execution.startDate } : {}),
    ...(execution.stopDate ? { stopDate: execution.stopDate } : {}),
    ...(input && typeof input === 'object' ? { input } : {}),
    ...(execution.error ? { error: execution.error } : {}),
    ...(execution.cause ? { cause: execution.cause } : {}),
    steps,
    ...(currentState ? { currentState } : {}),
    ...(approval && running ? { pendingApproval: { step: approval.step, taskToken: approval.token, since: approval.since, ...(approval.expiresAt ? { expiresAt: approval.expiresAt } : {}) } } : {}),
    ...(lastVerdict ? { lastVerdict } : {}),
  };
}

/** One execution's progress: its description, the definition it runs, its whole history. */
export async function readRolloutProgress(ctx: CommandContext, executionArn: string): Promise<RolloutProgress> {
  const [execution, machine] = await Promise.all([
    aws('reading the rollout execution (states:DescribeExecution)', () => ctx.clients.sfn.send(new DescribeExecutionCommand({ executionArn }))),
    aws('reading the definition it runs (states:DescribeStateMachineForExecution)', () =>
      ctx.clients.sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn })),
    ),
  ]);
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await aws('reading the rollout history (states:GetExecutionHistory)', () =>
      ctx.clients.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, includeExecutionData: true, ...(nextToken ? { nextToken } : {}) })),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return progressFromHistory(
    {
      executionArn,
      name: execution.name ?? executionArn.split(':').pop() ?? '',
      status: execution.status ?? 'UNKNOWN',
      ...(execution.startDate ? { startDate: execution.startDate } : {}),
      ...(execution.stopDate ? { stopDate: execution.stopDate } : {}),
      ...(execution.input ? { input: execution.input } : {}),
      ...(execution.error ? { error: execution.error } : {}),
      ...(execution.cause ? { cause: execution.cause } : {}),
    },
    stepLabels(machine.definition ?? '{}'),
    events,
  );
}

/** The rollouts in the release history, newest first (the history holds every kind of record). */
async function readRolloutHistory(ctx: CommandContext, max = 5): Promise<RolloutRecord[]> {
  const history = await aws(`reading the release history (ssm:GetParameterHistory)`, () => readReleaseHistory(ctx.clients.ssm, ctx.environment));
  return history.entries
    .filter((e) => e.kind === 'rollout' && e.record)
    .map((e) => e.record as RolloutRecord)
    .reverse()
    .slice(0, max);
}

export interface RolloutStatus {
  readonly stateMachineArn: string;
  /** The rollout running now, with its steps. */
  readonly running?: RolloutProgress;
  /** The newest finished one, when none runs. */
  readonly last?: RolloutProgress;
  /** The last rollouts' summaries from the release history, newest first. */
  readonly history: readonly RolloutRecord[];
}

/** Everything `status` (and a watch mode) shows about rollouts, in one call. */
export async function readRolloutStatus(ctx: CommandContext, options: { historyEntries?: number } = {}): Promise<RolloutStatus> {
  const stack = await describeRolloutStack(ctx);
  const arn = stack.outputs.stateMachineArn;
  const [recent, history] = await Promise.all([listExecutions(ctx, arn, { max: 1 }), readRolloutHistory(ctx, options.historyEntries ?? 5)]);
  const newest = recent[0];
  const progress = newest?.executionArn ? await readRolloutProgress(ctx, newest.executionArn) : undefined;
  return {
    stateMachineArn: arn,
    ...(progress && progress.status === 'RUNNING' ? { running: progress } : {}),
    ...(progress && progress.status !== 'RUNNING' ? { last: progress } : {}),
    history,
  };
}

/** The lines `status` prints for a rollout: one per step, then the approval or the verdict. */
export function describeProgress(progress: RolloutProgress, environment: string): string[] {
  const mark: Record<StepStatus, string> = { done: '[x]', running: '[>]', pending: '[ ]', failed: '[!]', skipped: '[-]' };
  const lines = [
    `rollout ${progress.name}: ${progress.status}${progress.input ? `, canary image ${progress.input.canaryImage} by ${progress.input.requestedBy}` : ''}${progress.startDate ? `, started ${progress.startDate.toISOString()}` : ''}`,
    ...progress.steps.map((s) => `  ${mark[s.status]} ${s.label}${s.startedAt ? ` (from ${s.startedAt.toISOString()}${s.endedAt ? ` to ${s.endedAt.toISOString()}` : ''})` : ''}`),
  ];
  if (progress.pendingApproval) {
    lines.push(`  waiting for approval since ${progress.pendingApproval.since.toISOString()}${progress.pendingApproval.expiresAt ? ` (rolls back at ${progress.pendingApproval.expiresAt})` : ''}: npx mcp-rollout approve --environment ${environment} (or abort --environment ${environment} --confirm)`);
  }
  if (progress.lastVerdict) {
    lines.push(`  last verdict (${progress.lastVerdict.label}, ${progress.lastVerdict.at.toISOString()}): ${progress.lastVerdict.verdict.toUpperCase()}${progress.lastVerdict.reasons.length > 0 ? `: ${progress.lastVerdict.reasons.join('; ')}` : ''}`);
  }
  if (progress.error) lines.push(`  ended ${progress.error}: ${progress.cause ?? ''}`.trimEnd());
  return lines;
}

/** The rollout lines of `status`: the running or last rollout's steps and the last releases; never fails the status. */
export async function rolloutSection(ctx: CommandContext): Promise<{ lines: string[]; data: RolloutStatus | { error: string } }> {
  let state: RolloutStatus;
  try {
    state = await readRolloutStatus(ctx);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    return { lines: [`rollout: unknown (${error.message}; ${adviceText(error.next, { command: 'status', environment: ctx.environment })})`], data: { error: error.message } };
  }
  const progress = state.running ?? state.last;
  const lines = progress ? describeProgress(progress, ctx.environment) : [`rollout: none yet (npx mcp-rollout release --environment ${ctx.environment} --canary-image <tag> starts one)`];
  if (state.history.length > 0) {
    lines.push('rollouts (newest first; npx mcp-rollout history --environment ' + ctx.environment + ' shows every record):', ...state.history.map((h) => `  ${h.endedAt}  ${h.outcome.padEnd(16)} ${h.canaryImage} by ${h.requestedBy}: ${h.detail}`));
  }
  return { lines, data: state };
}
