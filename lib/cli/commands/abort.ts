/**
 * `abort --confirm`: stops a running rollout by rolling the environment back. It invokes the
 * rollback function first (the alarms' code path, verified like `rollback`), so the environment is
 * safe at once; then it fails a pending approval (SendTaskFailure) and waits for the rollout to end.
 * The rollout ends by itself at its next latch check: within a minute during a bake, within an
 * approval wait (5 minutes) when the approval could not be failed, or when the stack update it
 * waits for is done, and it re-asserts the rollback then, so an update that ended
 * after the rollback cannot leave canary traffic behind (DESIGN.md D2).
 */
import { DescribeExecutionCommand, SendTaskFailureCommand } from '@aws-sdk/client-sfn';
import { ROLLOUT_ERRORS } from '../../shared/rollout-contract';
import type { EnvironmentCommand, OptionValues } from '../command';
import type { CommandContext } from '../context';
import { EXIT_CODES } from '../errors';
import { aws } from '../live-state';
import { reasonOption } from '../option-values';
import { MAX_REASON_LENGTH as LATCH_REASON_LENGTH } from '../../shared/rollback-contract';
import { formatDuration, type CommandResult } from '../output';
import { waitingRollout } from '../rollout-approval';
import { rollback } from './rollback';

/** Room for abort's own prefix (`rollout <name> aborted by <user>: `) within the latch's limit. */
const MAX_REASON_LENGTH = LATCH_REASON_LENGTH - 100;
/** How long abort waits for the rollout to notice the latch and end. */
export const ABORT_WAIT_MS = 180_000;
const POLL_MS = 5_000;

export const abortCommand: EnvironmentCommand = {
  name: 'abort',
  scope: 'environment',
  usage: 'abort --environment <name> [--confirm] [--reason <text>]',
  summary: 'stop the running rollout and roll back (traffic to stable, rollback flags off, latch set); without --confirm, show what it would do',
  options: {
    confirm: { type: 'boolean', help: 'really abort and roll back' },
    reason: { type: 'string', value: '<text>', help: 'why, for the latch, the rollback and the release history' },
  },
  run: (ctx, { options }) => abort(ctx, options),
};

export async function abort(ctx: CommandContext, options: OptionValues): Promise<CommandResult> {
  const reasonText = reasonOption(options, MAX_REASON_LENGTH);
  const { progress, approval } = await waitingRollout(ctx);
  const reason = `rollout ${progress.name} aborted by ${ctx.user}${reasonText ? `: ${reasonText}` : ''}`;
  const plan = [
    `1. invoke the rollback function with "${reason}" (traffic to stable, rollback flags off, latch set) and verify the result`,
    approval ? `2. fail the approval step ${approval.step + 1} it waits on (${ROLLOUT_ERRORS.aborted})` : `2. no approval is pending: the rollout stops at its next latch check`,
    `3. wait up to ${formatDuration(ABORT_WAIT_MS)} for rollout ${progress.name} to end`,
  ];
  if (options.confirm !== true) {
    return {
      exitCode: EXIT_CODES.refused,
      summary: [`Not confirmed: nothing changed. Aborting rollout ${progress.name} (${progress.currentState ?? 'running'}) would:`, ...plan, `Run again with --confirm: npx mcp-rollout abort --environment ${ctx.environment} --confirm`],
      data: { confirmed: false, execution: progress.executionArn, plan },
    };
  }

  const rolledBack = await rollback(ctx, { confirm: true, reason });
  if (approval) {
    try {
      await ctx.clients.sfn.send(new SendTaskFailureCommand({ taskToken: approval.taskToken, error: ROLLOUT_ERRORS.aborted, cause: reason.slice(0, 256) }));
    } catch (error) {
      // Answered or timed out meanwhile: the rollout is past the approval and will see the latch.
      if (!(error instanceof Error && ['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken'].includes(error.name))) throw error;
    }
  }

  const started = ctx.clock.now();
  let status = 'RUNNING';
  let ending = '';
  for (;;) {
    const execution = await aws('reading the rollout execution (states:DescribeExecution)', () =>
      ctx.clients.sfn.send(new DescribeExecutionCommand({ executionArn: progress.executionArn })),
    );
    status = execution.status ?? 'UNKNOWN';
    ending = execution.error ? ` (${execution.error})` : '';
    const waited = ctx.clock.now() - started;
    if (status !== 'RUNNING' || waited >= ABORT_WAIT_MS) break;
    ctx.report.progress(`waiting for rollout ${progress.name} to stop: ${formatDuration(waited)} of ${formatDuration(ABORT_WAIT_MS)}`);
    await ctx.clock.sleep(POLL_MS, ctx.signal);
  }
  const ended = status !== 'RUNNING';
  return {
    exitCode: rolledBack.exitCode,
    summary: [
      ...rolledBack.summary,
      ended
        ? `Rollout ${progress.name} ended ${status}${ending}.`
        : `Rollout ${progress.name} is still running: it stops at its next latch check (after the stack update it waits for). The environment is rolled back meanwhile; npx mcp-rollout status --environment ${ctx.environment} shows it.`,
    ],
    data: { confirmed: true, execution: progress.executionArn, executionStatus: status, approvalFailed: approval !== undefined, rollback: rolledBack.data },
  };
}
