/**
 * `undo [--to TAG] [--confirm]`: after a promotion, put the previous stable image back. A rollback
 * only moves traffic to stable and turns flags off; once stable runs the bad image, this is the
 * way back. It takes the promotion's safe path in reverse: one parameters-only stack update
 * (stack-update.ts) with StableImageTag = the image stable ran before, CanaryTraffic = 0. The
 * traffic rule DependsOn both services, so the stable service rolls to that image and is steady
 * before any weight moves; if its tasks never get healthy, the ECS circuit breaker fails the
 * update and CloudFormation rolls the whole change back.
 *
 * The image comes from the release history (lib/shared/release-history.ts): the stable image
 * before the promotion that brought the current one. Unlike promote, undo goes ahead while the
 * environment is rolled back or a critical alarm fires: those are the moments it exists for, and
 * it only ever returns stable to an image it ran before and sets the canary's traffic to 0, which
 * the latch keeps anyway. It refuses what promote refuses otherwise: a change while CloudFormation
 * applies another, and a change nobody confirmed.
 */
import { readReleaseHistory, undoTarget, type ReleaseHistory, type UndoTarget } from '../../shared/release-history';
import { PARAMETER_NAMES, stateStackSelector } from '../../shared/stack-contract';
import type { EnvironmentCommand } from '../command';
import type { CommandContext } from '../context';
import { CliError, EXIT_CODES, Refusal } from '../errors';
import { describeLatch } from '../latch-text';
import { aws, readFiringPagingAlarms, readLatch } from '../live-state';
import { imageTagOption, reasonOption, stringOption } from '../option-values';
import type { CommandResult } from '../output';
import { recordBase } from '../release-records';
import { assertStackIdle, describeServiceStack } from '../service-stack';
import { deployStage, parameterChanges } from '../stage-deploy';

export const undoCommand: EnvironmentCommand = {
  name: 'undo',
  scope: 'environment',
  usage: 'undo --environment <name> [--to <tag>] [--reason <text...>] [--confirm]',
  summary: 'after a promotion: put the previous stable image back (one safe stack update, canary at 0 %)',
  options: {
    to: { type: 'string', value: '<tag>', help: 'the image stable gets (default: the one it ran before the last promotion, from the history)' },
    reason: { type: 'string', value: '<text...>', words: true, help: 'why, for the release history: the words up to the next option' },
    confirm: { type: 'boolean', help: 'really undo; without it, show what would change' },
  },
  run: (ctx, { options }) => undo(ctx, options),
};


export async function undo(ctx: CommandContext, options: Readonly<Record<string, string | boolean | undefined>>): Promise<CommandResult> {
  const confirm = options.confirm === true;
  const toOption = stringOption(options, 'to');
  const named = toOption === undefined ? undefined : imageTagOption('to', toOption);
  const reason = reasonOption(options) ?? `undo by ${ctx.user} (mcp-rollout undo)`;

  const stack = await describeServiceStack(ctx);
  assertStackIdle(stack);
  const { stableImageTag: current, canaryTraffic } = stack.parameters;
  let history: ReleaseHistory | undefined;
  try {
    history = await aws('reading the release history (ssm:GetParameterHistory)', () => readReleaseHistory(ctx.clients.ssm, ctx.environment));
  } catch (error) {
    // With the image named, the history is only a check: on-call can still undo without it.
    if (named === undefined || !(error instanceof CliError)) throw error;
    ctx.report.warn(`${error.message}; going on with --to ${named} unchecked.`);
  }
  const target = named ?? chosenTarget(ctx, history as ReleaseHistory, current);
  if (named !== undefined && history) {
    const known = new Set(history.entries.flatMap((e) => stableImagesOf(e.record)));
    if (!known.has(named)) ctx.report.warn(`${named} is not a stable image in the release history: check the tag (a tag that does not exist fails the update, and CloudFormation rolls it back).`);
  }
  if (target === current) {
    return {
      exitCode: EXIT_CODES.ok,
      summary: [`Nothing to undo: stable already runs ${current}.`],
      data: { changed: false, images: { stable: current, canary: stack.parameters.canaryImageTag } },
    };
  }

  const [latch, firing] = await Promise.all([readLatch(ctx, stack), readFiringPagingAlarms(ctx)]);
  const changes = parameterChanges(stack.parameters, { stableImageTag: target, canaryTraffic: 0 });
  const plan = [
    `1. update ${stack.name} with its deployed template: ${changes.map((c) => `${c.parameter} ${c.from} -> ${c.to}`).join(', ')}; every other parameter keeps its deployed value`,
    `2. the stable service rolls to ${target} and must be steady before the weights move to stable 100 / canary 0; if its tasks never get healthy, CloudFormation rolls the whole change back`,
    ...(canaryTraffic > 0 ? [`   the canary's ${canaryTraffic} % ends: ${PARAMETER_NAMES.canaryTraffic} goes to 0`] : []),
    ...(latch.latched ? [`   the environment stays rolled back (latch ${describeLatch(latch)}); resume when the cause is fixed`] : []),
    ...(firing.length > 0 ? [`   firing now: ${firing.map((a) => a.name).join(', ')}`] : []),
  ];
  if (!confirm) {
    return {
      exitCode: EXIT_CODES.refused,
      summary: [
        `Not confirmed: nothing changed. Undoing ${ctx.environment} would put ${target} back on stable (now ${current}):`,
        ...plan,
        `Run again with --confirm: npx mcp-rollout undo --environment ${ctx.environment}${named ? ` --to ${named}` : ''} --confirm`,
      ],
      data: { confirmed: false, from: current, to: target, changes, plan },
    };
  }

  ctx.report.say(`Putting ${target} back on stable in ${ctx.environment} (it runs ${current}).`);
  const result = await deployStage(ctx, stack, changes, {
    done: (r) => ({
      kind: 'undo',
      ...recordBase(ctx),
      outcome: 'done',
      images: { stable: r.stack.parameters.stableImageTag, canary: r.stack.parameters.canaryImageTag },
      previousStableImage: current,
      weights: r.weights,
      reason,
    }),
    failed: (error) => ({
      kind: 'undo',
      ...recordBase(ctx),
      outcome: 'failed',
      images: { stable: current, canary: stack.parameters.canaryImageTag },
      previousStableImage: current,
      reason,
      detail: `restoring ${target}: ${error.message}`,
    }),
  });
  const images = { stable: result.stack.parameters.stableImageTag, canary: result.stack.parameters.canaryImageTag };
  return {
    exitCode: EXIT_CODES.ok,
    summary: [
      `${ctx.environment}: stable runs ${images.stable} again and gets ${result.weights.stable} %; the canary (${images.canary}) gets ${result.weights.canary} %.`,
      latch.latched
        ? `Next: the environment is still rolled back; find the cause of the regression in ${current}, then npx mcp-rollout resume --environment ${ctx.environment} --confirm`
        : `Next: npx mcp-rollout status --environment ${ctx.environment}; a fixed release starts again with deploy --traffic 10 --canary-image <tag>`,
    ],
    data: { confirmed: true, changed: true, from: current, to: images.stable, changes, images, weights: result.weights, durationMs: result.durationMs, eventsSent: result.eventsSent, history: result.history },
  };
}

/** The history's answer, or a refusal that says how to name the image instead. */
function chosenTarget(ctx: CommandContext, history: ReleaseHistory, current: string): string {
  const found: UndoTarget = undoTarget(history.entries, current);
  if (found.found) {
    ctx.report.say(`The release history says stable ran ${found.image} before ${found.promotion.by} promoted ${current} at ${found.promotion.time}.`);
    return found.image;
  }
  const byHand = `Name the image: npx mcp-rollout undo --environment ${ctx.environment} --to <tag> (npx mcp-rollout history --environment ${ctx.environment} lists the images stable ran).`;
  if (!history.exists) {
    throw new Refusal(`${history.parameterName} does not exist, so the image before ${current} is not known`, `Deploy the State stack once to start the history (npx cdk deploy ${stateStackSelector(ctx.environment)}). ${byHand}`);
  }
  switch (found.why) {
    case 'already-undone':
      throw new Refusal(
        `stable runs ${current} because ${found.last?.by} undid a promotion at ${found.last?.time}; another undo would go further back, so it needs the image named`,
        found.further ? `To go back to ${found.further}, the stable image before ${current} was promoted: npx mcp-rollout undo --environment ${ctx.environment} --to ${found.further}` : byHand,
      );
    case 'changed-elsewhere':
      throw new Refusal(
        `stable runs ${current}, but the newest stable change in the release history made it ${found.last?.to}: it was changed outside this tool, so the image before it is not known`,
        byHand,
      );
    default:
      throw new Refusal(`the release history records no promotion that brought ${current} to stable, so the image before it is not known`, byHand);
  }
}

function stableImagesOf(record: unknown): string[] {
  const r = record as { images?: { stable?: string }; previousStableImage?: string; canaryImage?: string; outcome?: string; execution?: string } | undefined;
  if (!r) return [];
  return [r.images?.stable, r.previousStableImage, r.execution && r.outcome === 'promoted' ? r.canaryImage : undefined].filter((v): v is string => typeof v === 'string');
}
