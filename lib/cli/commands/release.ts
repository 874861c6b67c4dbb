/**
 * `release --canary-image TAG`: starts the rollout engine (DESIGN.md D8) on a new canary image.
 * The plan runs in AWS, not here: this command checks that a rollout can start (latch clear, no
 * rollout running, the stack idle), says what each bake can detect at the last 7 days' traffic,
 * and calls StartExecution with the documented input, as a pipeline would.
 */
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describeStep, inputProblems, ROLLOUT_INPUT_LIMITS, type RolloutInput } from '../../shared/rollout-contract';
import type { EnvironmentCommand, OptionValues } from '../command';
import type { CommandContext } from '../context';
import { CliError, EXIT_CODES, Refusal, UsageError } from '../errors';
import { describeLatch } from '../latch-text';
import { aws, readLatch } from '../live-state';
import { imageTagOption, reasonOption, requiredString } from '../option-values';
import type { CommandResult } from '../output';
import { powerReport } from '../power-report';
import { describeRolloutStack, listExecutions } from '../rollouts';
import { assertStackIdle, describeServiceStack } from '../service-stack';

export const releaseCommand: EnvironmentCommand = {
  name: 'release',
  scope: 'environment',
  usage: 'release --environment <name> --canary-image <tag> [--reason <text>] [--dry-run]',
  summary: 'start the rollout engine on a canary image: the plan runs in AWS, judged every minute, and promotes or rolls back by itself',
  options: {
    'canary-image': { type: 'string', value: '<tag>', help: 'image tag the canary runs; stable gets it at promotion' },
    reason: { type: 'string', value: '<text>', help: 'why (ticket, commit), kept in the release history' },
    'dry-run': { type: 'boolean', help: 'show the plan and what each bake can detect at recent traffic; start nothing' },
  },
  run: (ctx, { options }) => release(ctx, options),
};

export async function release(ctx: CommandContext, options: OptionValues): Promise<CommandResult> {
  const canaryImage = imageTagOption('canary-image', requiredString(options, 'canary-image', 'the image tag the canary runs'));
  const reason = reasonOption(options, ROLLOUT_INPUT_LIMITS.reason);
  const dryRun = options['dry-run'] === true;
  const input: RolloutInput = { canaryImage, requestedBy: ctx.user.slice(0, ROLLOUT_INPUT_LIMITS.requestedBy), ...(reason ? { reason } : {}) };
  const problems = inputProblems(input);
  if (problems.length > 0) throw new UsageError(problems.join('; '));

  const service = await describeServiceStack(ctx);
  const engine = await describeRolloutStack(ctx);
  const latch = await readLatch(ctx, service);
  if (latch.latched) {
    throw new Refusal(
      `${ctx.environment} is rolled back (latch ${describeLatch(latch)}): a rollout cannot start`,
      `Find and fix the cause, then npx mcp-rollout resume --environment ${ctx.environment} --confirm, and release again.`,
    );
  }
  const running = await listExecutions(ctx, engine.outputs.stateMachineArn, { status: 'RUNNING', max: 5 });
  if (running.length > 0) {
    throw new Refusal(
      `a rollout of ${ctx.environment} is already running: ${running.map((e) => `${e.name} (started ${e.startDate?.toISOString() ?? '?'})`).join(', ')}; one at a time`,
      `Follow it with npx mcp-rollout status --environment ${ctx.environment}; stop it with npx mcp-rollout abort --environment ${ctx.environment} --confirm.`,
    );
  }
  assertStackIdle(service);
  if (service.parameters.stableImageTag === canaryImage) {
    ctx.report.warn(`stable already runs ${canaryImage}: the rollout compares the image with itself.`);
  }

  const plan = ctx.config.rollout;
  const power = await powerReport(ctx, plan);
  for (const warning of power.warnings) ctx.report.warn(warning);
  const planLines = [
    `Plan for ${ctx.environment} (lib/config: rollout):`,
    ...plan.steps.map((s, i) => `  ${i + 1}. ${describeStep(s)}`),
    `  ${plan.steps.length + 1}. promote: ${canaryImage} becomes stable's image, canary 0 %`,
    '',
    ...power.lines,
  ];
  if (dryRun) {
    return {
      exitCode: EXIT_CODES.ok,
      summary: [...planLines, '', `Dry run: nothing started. Start it: npx mcp-rollout release --environment ${ctx.environment} --canary-image ${canaryImage}`],
      data: { started: false, input, plan, power: power.data, warnings: power.warnings },
    };
  }

  const name = executionName(canaryImage, ctx.clock.now());
  const started = await aws(`starting the rollout (states:StartExecution on ${engine.outputs.stateMachineArn})`, () =>
    ctx.clients.sfn.send(new StartExecutionCommand({ stateMachineArn: engine.outputs.stateMachineArn, name, input: JSON.stringify(input) })),
  );
  if (!started.executionArn) throw new CliError('StartExecution answered without an execution ARN', `Run npx mcp-rollout status --environment ${ctx.environment} to see whether the rollout started.`);
  return {
    exitCode: EXIT_CODES.ok,
    summary: [
      ...planLines,
      '',
      `Started rollout ${name} of ${canaryImage} on ${ctx.environment}: it runs in AWS Step Functions and promotes or rolls back by itself; closing this terminal changes nothing.`,
      `Follow it: npx mcp-rollout status --environment ${ctx.environment}. Stop it: npx mcp-rollout abort --environment ${ctx.environment} --confirm.`,
    ],
    data: { started: true, executionArn: started.executionArn, name, startDate: started.startDate?.toISOString(), input, plan, power: power.data, warnings: power.warnings },
  };
}

/** `v1.5.0-20261128T101500Z`: readable in the console; Step Functions allows 80 of [A-Za-z0-9_-]. */
export function executionName(canaryImage: string, nowMs: number): string {
  const stamp = new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const tag = canaryImage.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 80 - stamp.length - 1);
  return `${tag}-${stamp}`;
}
