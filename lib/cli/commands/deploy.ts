/**
 * `deploy --traffic N [--canary-image TAG]`: one phase of the seed's 10 % -> 50 % -> 100 %.
 */
import type { EnvironmentCommand } from '../command';
import type { CommandContext } from '../context';
import { EXIT_CODES, Refusal } from '../errors';
import { describeLatch } from '../latch-text';
import { readLatch } from '../live-state';
import { imageTagOption, percentOption, requiredString, stringOption } from '../option-values';
import type { CommandResult } from '../output';
import { assertStackIdle, describeServiceStack } from '../service-stack';
import { deployStage, parameterChanges } from '../stage-deploy';
import { PHASE_BAKE_MINUTES } from '../../shared/metrics-contract';
import { serviceStackSelector } from '../../shared/stack-contract';

export const deployCommand: EnvironmentCommand = {
  name: 'deploy',
  scope: 'environment',
  usage: 'deploy --environment <name> --traffic <0-100> [--canary-image <tag>]',
  summary: 'deploy the Service stack with the CDK toolkit, changing only the canary traffic and image',
  options: {
    traffic: { type: 'string', value: '<0-100>', help: 'percent of requests the canary gets' },
    'canary-image': { type: 'string', value: '<tag>', help: 'image tag the canary runs (default: keep the deployed one)' },
  },
  run: (ctx, { options }) => deploy(ctx, options),
};

export async function deploy(ctx: CommandContext, options: Readonly<Record<string, string | boolean | undefined>>): Promise<CommandResult> {
  const traffic = percentOption('traffic', requiredString(options, 'traffic', 'the percent of requests the canary gets, 0 to 100'));
  const imageOption = stringOption(options, 'canary-image');
  const canaryImage = imageOption === undefined ? undefined : imageTagOption('canary-image', imageOption);

  const stack = await describeServiceStack(ctx);
  assertStackIdle(stack);
  const latch = await readLatch(ctx, stack);
  if (latch.latched && traffic > 0) {
    throw new Refusal(
      `${ctx.environment} is rolled back (latch ${describeLatch(latch)}); while the latch is set the canary gets 0 % whatever --traffic says, so nothing was deployed`,
      `Find and fix the cause, then run \`npx mcp-rollout resume --environment ${ctx.environment} --confirm\` and deploy again. A fixed canary image can be deployed now with --traffic 0.`,
    );
  }

  const changes = parameterChanges(stack.parameters, { canaryTraffic: traffic, ...(canaryImage ? { canaryImageTag: canaryImage } : {}) });
  const current = { canaryPercent: stack.parameters.canaryTraffic, images: { stable: stack.parameters.stableImageTag, canary: stack.parameters.canaryImageTag } };
  if (changes.length === 0) {
    return {
      exitCode: EXIT_CODES.ok,
      summary: [
        `Nothing to deploy: ${stack.name} already runs the canary at ${traffic} % with image ${stack.parameters.canaryImageTag}.`,
        `To deploy template changes, run npx cdk deploy ${serviceStackSelector(ctx.environment)}.`,
      ],
      data: { changed: false, changes: [], ...current },
    };
  }

  const result = await deployStage(ctx, stack, changes);
  const { parameters } = result.stack;
  return {
    exitCode: EXIT_CODES.ok,
    summary: [
      `${ctx.environment}: canary at ${parameters.canaryTraffic} % (image ${parameters.canaryImageTag}), stable image ${parameters.stableImageTag}.`,
      nextStep(ctx, parameters.canaryTraffic),
    ],
    data: {
      changed: true,
      changes,
      canaryPercent: parameters.canaryTraffic,
      images: { stable: parameters.stableImageTag, canary: parameters.canaryImageTag },
      weights: result.weights,
      durationMs: result.durationMs,
      eventsSent: result.eventsSent,
    },
  };
}

function nextStep(ctx: CommandContext, percent: number): string {
  if (percent === 0) return `Next: the canary gets no traffic; deploy --traffic 10 to start a canary phase.`;
  if (percent === 100) return `Next: watch the dashboards, then npx mcp-rollout promote --environment ${ctx.environment}`;
  const bake = PHASE_BAKE_MINUTES[percent];
  return `Next: npx mcp-rollout gate --environment ${ctx.environment}${bake === undefined ? ' --window 30m' : ` (bakes ${bake}m at ${percent} %)`}`;
}
