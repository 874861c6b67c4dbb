/** The running rollout and the approval it waits for, if any: what `approve` and `abort` act on. */
import type { CommandContext } from './context';
import { Refusal } from './errors';
import { describeRolloutStack, listExecutions, readRolloutProgress, type PendingApproval, type RolloutProgress } from './rollouts';

export interface WaitingRollout {
  readonly progress: RolloutProgress;
  readonly approval?: PendingApproval;
}

/** The one running rollout of the environment; refuses (nothing changed) when none runs. */
export async function waitingRollout(ctx: CommandContext): Promise<WaitingRollout> {
  const engine = await describeRolloutStack(ctx);
  const [running] = await listExecutions(ctx, engine.outputs.stateMachineArn, { status: 'RUNNING', max: 1 });
  if (!running?.executionArn) {
    throw new Refusal(`no rollout of ${ctx.environment} is running`, `npx mcp-rollout status --environment ${ctx.environment} shows the last one; start one with npx mcp-rollout release.`);
  }
  const progress = await readRolloutProgress(ctx, running.executionArn);
  return { progress, ...(progress.pendingApproval ? { approval: progress.pendingApproval } : {}) };
}
