/**
 * `approve`: answers the approval step a running rollout waits on (a `.waitForTaskToken` task):
 * SendTaskSuccess with the newest token that step sent (it renews it every few minutes), read
 * from the execution's history.
 */
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import type { ApprovalOutput } from '../../shared/rollout-contract';
import type { EnvironmentCommand, OptionValues } from '../command';
import type { CommandContext } from '../context';
import { CliError, EXIT_CODES, Refusal, UsageError } from '../errors';
import { describeLatch } from '../latch-text';
import { readLatch } from '../live-state';
import { stringOption } from '../option-values';
import type { CommandResult } from '../output';
import { waitingRollout } from '../rollout-approval';
import { describeServiceStack } from '../service-stack';

const MAX_COMMENT_LENGTH = 500;

export const approveCommand: EnvironmentCommand = {
  name: 'approve',
  scope: 'environment',
  usage: 'approve --environment <name> [--comment <text>]',
  summary: 'let a running rollout go on past its manual approval step',
  options: { comment: { type: 'string', value: '<text>', help: 'why, kept in the execution history' } },
  run: (ctx, { options }) => approve(ctx, options),
};

/**
 * An approval step waits in rounds (the engine renews its task token every few minutes, reading
 * the latch in between): between two rounds, or when a round ends just as the token is sent, the
 * next token is a moment away. This many extra reads of the history, this far apart, find it.
 */
const RENEWAL_RETRIES = 3;
const RENEWAL_RETRY_MS = 2_000;
const CLOSED_TOKEN_ERRORS = ['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken'];

export async function approve(ctx: CommandContext, options: OptionValues): Promise<CommandResult> {
  const comment = stringOption(options, 'comment')?.trim();
  if (comment !== undefined && (comment.length === 0 || comment.length > MAX_COMMENT_LENGTH)) {
    throw new UsageError(`--comment must be 1 to ${MAX_COMMENT_LENGTH} characters, got ${comment.length}`);
  }
  const output: ApprovalOutput = { approvedBy: ctx.user, ...(comment ? { comment } : {}) };
  let latchChecked = false;
  let closed: { token: string; error: string } | undefined;
  for (let attempt = 0; ; attempt++) {
    const { progress, approval } = await waitingRollout(ctx);
    const betweenRounds = progress.status === 'RUNNING' && /^Step \d+ approval: /.test(progress.currentState ?? '');
    const retry = attempt < RENEWAL_RETRIES && betweenRounds;
    if (!approval || approval.taskToken === closed?.token) {
      if (retry) {
        await ctx.clock.sleep(RENEWAL_RETRY_MS, ctx.signal);
        continue;
      }
      if (closed) throw noLongerOpen(ctx, progress.name, closed.error);
      throw new Refusal(
        `rollout ${progress.name} is not waiting for an approval (it is in "${progress.currentState ?? 'an unknown state'}")`,
        `npx mcp-rollout status --environment ${ctx.environment} shows its steps; approve when it reaches an approval step.`,
      );
    }
    if (!latchChecked) {
      const latch = await readLatch(ctx, await describeServiceStack(ctx));
      if (latch.latched) {
        throw new Refusal(
          `${ctx.environment} is rolled back (latch ${describeLatch(latch)}): approving would only let the rollout find the latch and stop`,
          `End the rollout: npx mcp-rollout abort --environment ${ctx.environment} --confirm.`,
        );
      }
      latchChecked = true;
    }
    try {
      await ctx.clients.sfn.send(new SendTaskSuccessCommand({ taskToken: approval.taskToken, output: JSON.stringify(output) }));
    } catch (error) {
      if (!(error instanceof Error && CLOSED_TOKEN_ERRORS.includes(error.name))) throw error;
      // The round may have ended as we sent it: a renewed token is then in the history.
      closed = { token: approval.taskToken, error: error.name };
      if (retry) continue;
      throw noLongerOpen(ctx, progress.name, error.name);
    }
    return approved(ctx, progress.name, progress.executionArn, approval.step, comment);
  }
}

function noLongerOpen(ctx: CommandContext, rollout: string, error: string): CliError {
  return new CliError(
    `the approval of rollout ${rollout} is no longer open (${error}): it timed out, or someone answered it first`,
    `npx mcp-rollout status --environment ${ctx.environment} shows what the rollout did.`,
    EXIT_CODES.refused,
  );
}

function approved(ctx: CommandContext, rollout: string, executionArn: string, step: number, comment: string | undefined): CommandResult {
  return {
    exitCode: EXIT_CODES.ok,
    summary: [`Approved rollout ${rollout} (step ${step + 1}) as ${ctx.user}: it goes on with its next step.`, `Follow it: npx mcp-rollout status --environment ${ctx.environment}`],
    data: { approved: true, execution: executionArn, step, approvedBy: ctx.user, ...(comment ? { comment } : {}) },
  };
}
