/**
 * `promote`: the canary's image becomes stable's and the canary's traffic returns to 0, in one
 * parameters-only stack update (stack-update.ts). The order is CloudFormation's: the traffic rule DependsOn both services, so the stable
 * service rolls to the new image and is steady before any weight moves; if its tasks never get
 * healthy, the circuit breaker fails the deploy and the whole change rolls back.
 */
import type { EnvironmentCommand } from '../command';
import type { CommandContext } from '../context';
import { EXIT_CODES, Refusal } from '../errors';
import { describeLatch } from '../latch-text';
import { readFiringPagingAlarms, readLatch } from '../live-state';
import type { CommandResult } from '../output';
import { recordBase } from '../release-records';
import { assertStackIdle, describeServiceStack } from '../service-stack';
import { deployStage, parameterChanges } from '../stage-deploy';

export const promoteCommand: EnvironmentCommand = {
  name: 'promote',
  scope: 'environment',
  usage: 'promote --environment <name>',
  summary: "make the canary's image stable's and return the canary's traffic to 0, in one safe deploy",
  options: {},
  run: (ctx) => promote(ctx),
};

export async function promote(ctx: CommandContext): Promise<CommandResult> {
  const stack = await describeServiceStack(ctx);
  assertStackIdle(stack);
  const { stableImageTag, canaryImageTag, canaryTraffic } = stack.parameters;

  const latch = await readLatch(ctx, stack);
  if (latch.latched) {
    throw new Refusal(
      `${ctx.environment} is rolled back (latch ${describeLatch(latch)}): promoting would put the rolled-back canary image ${canaryImageTag} on stable`,
      `Deploy a fixed canary image (deploy --traffic 0 --canary-image <tag>), resume with \`npx mcp-rollout resume --environment ${ctx.environment} --confirm\`, and run the canary phases again.`,
    );
  }
  const firing = await readFiringPagingAlarms(ctx);
  if (firing.length > 0) {
    throw new Refusal(
      `critical or trigger alarm(s) in ALARM: ${firing.map((a) => a.name).join(', ')}; promoting now could make a bad release stable`,
      `Find out why (npx mcp-rollout status --environment ${ctx.environment}); promote once every critical and trigger alarm is OK.`,
    );
  }

  const changes = parameterChanges(stack.parameters, { stableImageTag: canaryImageTag, canaryTraffic: 0 });
  if (changes.length === 0) {
    return {
      exitCode: EXIT_CODES.ok,
      summary: [`Nothing to promote: stable already runs ${stableImageTag} and the canary gets 0 %.`],
      data: { changed: false, changes: [], images: { stable: stableImageTag, canary: canaryImageTag } },
    };
  }
  if (canaryTraffic < 100) {
    ctx.report.warn(`the canary serves ${canaryTraffic} %, not 100 %: the seed promotes after the 100 % phase.`);
  }
  ctx.report.say(
    stableImageTag === canaryImageTag
      ? `Stable already runs ${canaryImageTag}; returning the canary's traffic to 0.`
      : `Promoting ${canaryImageTag} to stable: the stable service rolls to it and must be steady before the weights move to stable 100 / canary 0.`,
  );
  const result = await deployStage(ctx, stack, changes, {
    done: (r) => ({
      kind: 'promote',
      ...recordBase(ctx),
      outcome: 'done',
      images: { stable: r.stack.parameters.stableImageTag, canary: r.stack.parameters.canaryImageTag },
      previousStableImage: stableImageTag,
      weights: r.weights,
    }),
    failed: (error) => ({
      kind: 'promote',
      ...recordBase(ctx),
      outcome: 'failed',
      images: { stable: stableImageTag, canary: canaryImageTag },
      previousStableImage: stableImageTag,
      detail: `promoting ${canaryImageTag}: ${error.message}`,
    }),
  });
  return {
    exitCode: EXIT_CODES.ok,
    summary: [
      `${ctx.environment}: stable runs ${result.stack.parameters.stableImageTag} and gets ${result.weights.stable} %; the canary gets ${result.weights.canary} %.`,
      `Next: npx mcp-rollout status --environment ${ctx.environment}${stableImageTag === canaryImageTag ? '' : `; if the release regresses later, npx mcp-rollout undo --environment ${ctx.environment} puts ${stableImageTag} back on stable`}`,
    ],
    data: {
      changed: true,
      changes,
      images: { stable: result.stack.parameters.stableImageTag, canary: result.stack.parameters.canaryImageTag },
      weights: result.weights,
      previousStableImage: stableImageTag,
      durationMs: result.durationMs,
      eventsSent: result.eventsSent,
      history: result.history,
    },
  };
}
