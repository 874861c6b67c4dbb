/**
 * `deploy --traffic N [--canary-image TAG]`: one phase of the seed's 10 % -> 50 % -> 100 %.
 *
 * It changes only the deploy-time parameters, with the template CloudFormation already holds
 * (stack-update.ts): the operator's clone, stale or modified, cannot change anything else.
 * `--template` compares the clone's synthesized template with the deployed one and shows every
 * difference; it deploys them only with `--approve-template <digest>` of exactly that template.
 */
import type { EnvironmentCommand } from '../command';
import type { CommandContext } from '../context';
import { EXIT_CODES, Refusal, UsageError } from '../errors';
import { describeLatch } from '../latch-text';
import { readLatch } from '../live-state';
import { imageTagOption, percentOption, requiredString, stringOption } from '../option-values';
import type { CommandResult } from '../output';
import { recordBase } from '../release-records';
import { assertStackIdle, describeServiceStack, type ServiceStackState } from '../service-stack';
import { deployStage, parameterChanges, type ApprovedTemplate, type ParameterChange } from '../stage-deploy';
import { describeDifferences, readDeployedTemplate, templateDifferences, templateDigest } from '../template-check';
import { PHASE_BAKE_MINUTES } from '../../shared/metrics-contract';
import { serviceStackSelector } from '../../shared/stack-contract';

export const deployCommand: EnvironmentCommand = {
  name: 'deploy',
  scope: 'environment',
  usage: 'deploy --environment <name> --traffic <0-100> [--canary-image <tag>] [--template [--approve-template <digest>]]',
  summary: "change the canary's traffic and image with the deployed template (UpdateStack); nothing else changes",
  options: {
    traffic: { type: 'string', value: '<0-100>', help: 'percent of requests the canary gets' },
    'canary-image': { type: 'string', value: '<tag>', help: 'image tag the canary runs (default: keep the deployed one)' },
    template: { type: 'boolean', help: "also compare this clone's synthesized template with the deployed one and show the differences" },
    'approve-template': { type: 'string', value: '<digest>', help: 'deploy the local template too: the digest --template printed for exactly these differences' },
  },
  run: (ctx, { options }) => deploy(ctx, options),
};

const DIGEST_PATTERN = /^[0-9a-f]{12}$/;

export async function deploy(ctx: CommandContext, options: Readonly<Record<string, string | boolean | undefined>>): Promise<CommandResult> {
  const traffic = percentOption('traffic', requiredString(options, 'traffic', 'the percent of requests the canary gets, 0 to 100'));
  const imageOption = stringOption(options, 'canary-image');
  const canaryImage = imageOption === undefined ? undefined : imageTagOption('canary-image', imageOption);
  const approved = stringOption(options, 'approve-template');
  if (approved !== undefined && !DIGEST_PATTERN.test(approved)) {
    throw new UsageError(`--approve-template must be the 12-digit hex digest that --template printed, got ${JSON.stringify(approved)}`);
  }
  const compareTemplate = options.template === true || approved !== undefined;

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
  const template = compareTemplate ? await checkTemplate(ctx, stack, changes, { traffic, canaryImage, approved }) : undefined;
  const current = { canaryPercent: stack.parameters.canaryTraffic, images: { stable: stack.parameters.stableImageTag, canary: stack.parameters.canaryImageTag } };
  if (changes.length === 0 && template === undefined) {
    return {
      exitCode: EXIT_CODES.ok,
      summary: [
        `Nothing to deploy: ${stack.name} already runs the canary at ${traffic} % with image ${stack.parameters.canaryImageTag}.`,
        ...(compareTemplate ? [] : [`To compare this clone's template with the deployed one: npx mcp-rollout deploy --environment ${ctx.environment} --traffic ${traffic} --template`]),
      ],
      data: { changed: false, changes: [], template: compareTemplate ? 'same' : 'not-compared', ...current },
    };
  }

  const canaryPercent = { from: stack.parameters.canaryTraffic, to: traffic };
  const deployed = template ? 'local' : 'previous';
  const result = await deployStage(
    ctx,
    stack,
    changes,
    {
      done: (r) => ({
        kind: 'deploy',
        ...recordBase(ctx),
        outcome: 'done',
        images: { stable: r.stack.parameters.stableImageTag, canary: r.stack.parameters.canaryImageTag },
        canaryPercent: { from: canaryPercent.from, to: r.stack.parameters.canaryTraffic },
        weights: r.weights,
        template: deployed,
      }),
      failed: (error) => ({
        kind: 'deploy',
        ...recordBase(ctx),
        outcome: 'failed',
        images: current.images,
        canaryPercent,
        template: deployed,
        detail: `${error.message}${canaryImage ? ` (canary image ${canaryImage})` : ''}`,
      }),
    },
    template,
  );
  const { parameters } = result.stack;
  const images = { stable: parameters.stableImageTag, canary: parameters.canaryImageTag };
  return {
    exitCode: EXIT_CODES.ok,
    summary: [
      `${ctx.environment}: canary at ${parameters.canaryTraffic} % (image ${parameters.canaryImageTag}), stable image ${parameters.stableImageTag}.`,
      nextStep(ctx, parameters.canaryTraffic),
    ],
    data: {
      changed: true,
      changes,
      template: template ? { deployed: 'local', digest: template.digest } : { deployed: 'previous' },
      canaryPercent: parameters.canaryTraffic,
      images,
      weights: result.weights,
      durationMs: result.durationMs,
      eventsSent: result.eventsSent,
      history: result.history,
    },
  };
}

interface Requested {
  readonly traffic: number;
  readonly canaryImage: string | undefined;
  readonly approved: string | undefined;
}

/**
 * Synthesizes the clone, compares it with the deployed template, and returns the template to
 * deploy: none when they are the same (the parameters path does), the assembly when the
 * operator approved these very differences, a refusal otherwise.
 */
async function checkTemplate(ctx: CommandContext, stack: ServiceStackState, changes: readonly ParameterChange[], requested: Requested): Promise<ApprovedTemplate | undefined> {
  const selector = serviceStackSelector(ctx.environment);
  ctx.report.say(`Synthesizing ${selector} from this clone (npx cdk synth) to compare it with the deployed template...`);
  const local = await ctx.toolkit.synth({ selector, stackName: stack.name }, ctx.signal);
  const deployed = await readDeployedTemplate(ctx, stack.name);
  const differences = templateDifferences(deployed, local.template);
  const digest = templateDigest(local.template);
  if (differences.length === 0) {
    ctx.report.say(`The local template is the deployed one (digest ${digest}): only the parameters change.`);
    return undefined;
  }
  const security = differences.filter((d) => d.security).length;
  ctx.report.say(`The local template differs from the deployed one of ${stack.name} (local digest ${digest}):`);
  for (const line of describeDifferences(differences)) ctx.report.say(line);
  if (requested.approved === digest) {
    ctx.report.say(`Approved by --approve-template ${digest}: deploying these ${differences.length} difference(s) with the parameters.`);
    return { assemblyDir: local.assemblyDir, digest };
  }
  const command = `npx mcp-rollout deploy --environment ${ctx.environment} --traffic ${requested.traffic}${requested.canaryImage ? ` --canary-image ${requested.canaryImage}` : ''}`;
  throw new Refusal(
    `${requested.approved === undefined ? '' : `--approve-template ${requested.approved} is not the local template (digest ${digest}: the clone changed since it was reviewed); `}the local template differs from the deployed one in ${differences.length} place(s)${security > 0 ? `, ${security} of them touching IAM, resource policies or network access` : ''}; nothing was deployed`,
    `Review the differences above. To deploy them with ${changes.length > 0 ? 'the parameters' : 'no parameter change'}: ${command} --template --approve-template ${digest}. To change only the parameters with the deployed template: ${command}`,
  );
}

function nextStep(ctx: CommandContext, percent: number): string {
  if (percent === 0) return `Next: the canary gets no traffic; deploy --traffic 10 to start a canary phase.`;
  if (percent === 100) return `Next: watch the dashboards, then npx mcp-rollout promote --environment ${ctx.environment}`;
  const bake = PHASE_BAKE_MINUTES[percent];
  return `Next: npx mcp-rollout gate --environment ${ctx.environment}${bake === undefined ? ' --window 30m' : ` (bakes ${bake}m at ${percent} %)`}`;
}
