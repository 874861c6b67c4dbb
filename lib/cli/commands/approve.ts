/**
 * `approve`: answers the approval step a running rollout waits on (a `.waitForTaskToken` task):
 * SendTaskSuccess with the token that step sent, read from the execution's history.
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

export async function approve(ctx: CommandContext, options: OptionValues): Promise<CommandResult> {
  const comment = stringOption(options, 'comment')?.trim();
  if (comment !== undefined && (comment.length === 0 || comment.length > MAX_COMMENT_LENGTH)) {
    throw new UsageError(`--comment must be 1 to ${MAX_COMMENT_LENGTH} characters, got ${comment.length}`);
  }
  const { progress, approval } = await waitingRollout(ctx);
  if (!approval) {
    throw new Refusal(
      `rollout ${progress.name} is not waiting for an approval (it is in "${progress.currentState ?? 'an unknown state'}")`,
      `npx mcp-rollout status --environment ${ctx.environment} shows its steps; approve when it reaches an approval step.`,
    );
  }
  const latch = await readLatch(ctx, await describeServiceStack(ctx));
  if (latch.latched) {
    throw new Refusal(
      `${ctx.environment} is rolled back (latch ${describeLatch(latch)}): approving would only let the rollout find the latch and stop`,
      `End the rollout: npx mcp-rollout abort --environment ${ctx.environment} --confirm.`,
    );
  }
  const output: ApprovalOutput = { approvedBy: ctx.user, ...(comment ? { comment } : {}) };
  try {
    await ctx.clients.sfn.send(new SendTaskSuccessCommand({ taskToken: approval.taskToken, output: JSON.stringify(output) }));
  } catch (error) {
    if (error instanceof Error && ['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken'].includes(error.name)) {
      throw new CliError(
        `the approval of rollout ${progress.name} is no longer open (${error.name}): it timed out, or someone answered it first`,
        `npx mcp-rollout status --environment ${ctx.environment} shows what the rollout did.`,
        EXIT_CODES.refused,
      );
    }
    throw error;
  }
  return {
    exitCode: EXIT_CODES.ok,
    summary: [`Approved rollout ${progress.name} (step ${approval.step + 1}) as ${ctx.user}: it goes on with its next step.`, `Follow it: npx mcp-rollout status --environment ${ctx.environment}`],
    data: { approved: true, execution: progress.executionArn, step: approval.step, approvedBy: ctx.user, ...(comment ? { comment } : {}) },
  };
}
