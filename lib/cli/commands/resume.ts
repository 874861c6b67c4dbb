/**
 * `resume --confirm`: ends a rollback. Order matters (DESIGN.md D2):
 * 1. while the latch still holds, re-apply the deployed template with CanaryTraffic=0
 *    (UpdateStack, UsePreviousTemplate). CloudFormation resolves the latch as set, so it records
 *    stable 100 / canary 0 and the rolled-back flag document (deployed with the immediate strategy:
 *    it is already live). No later deploy can bring back the canary share that was live before the
 *    rollback, and the next deploy changes the flag document back, which restores the configured
 *    flags. Without this update a stack last deployed before the rollback would think the
 *    configured flags are still deployed, and no deploy would ever turn them back on.
 * 2. only then set the latch to `clear`.
 * Stopped between the two, the environment stays latched and safe; running resume again finishes.
 */
import { UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { LATCH_CLEAR } from '../../shared/rollback-contract';
import { PARAMETER_NAMES } from '../../shared/stack-contract';
import type { EnvironmentCommand } from '../command';
import type { CommandContext } from '../context';
import { CliError, EXIT_CODES, explainAwsError, Interrupted, Refusal } from '../errors';
import { describeLatch } from '../latch-text';
import { aws, describeDeployment, readFiringPagingAlarms, readFlags, readLatch } from '../live-state';
import type { CommandResult } from '../output';
import { recordBase, recordRelease } from '../release-records';
import { assertStackIdle, describeServiceStack, waitForStack } from '../service-stack';

export const resumeCommand: EnvironmentCommand = {
  name: 'resume',
  scope: 'environment',
  usage: 'resume --environment <name> [--confirm]',
  summary: 'after a rollback: pin the canary traffic to 0, then clear the latch',
  options: { confirm: { type: 'boolean', help: 'really resume' } },
  run: (ctx, { options }) => resume(ctx, options),
};

export async function resume(ctx: CommandContext, options: Readonly<Record<string, string | boolean | undefined>>): Promise<CommandResult> {
  const confirm = options.confirm === true;
  const stack = await describeServiceStack(ctx);
  assertStackIdle(stack);
  const latch = await readLatch(ctx, stack);
  if (!latch.latched) {
    return {
      exitCode: EXIT_CODES.ok,
      summary: [`${ctx.environment} is not rolled back (latch clear): nothing to resume.`],
      data: { changed: false, latch: 'clear' },
    };
  }
  const firing = await readFiringPagingAlarms(ctx);
  if (firing.length > 0) {
    throw new Refusal(
      `critical or trigger alarm(s) still in ALARM: ${firing.map((a) => a.name).join(', ')}; resuming now would leave a failing service unguarded`,
      `Fix the cause and wait for those alarms to return to OK (npx mcp-rollout status --environment ${ctx.environment}), then resume.`,
    );
  }

  // The stack update may deploy the rolled-back flag document, and AppConfig runs one flag
  // deployment per environment at a time: a deployment in progress would fail the update.
  const flags = await readFlags(ctx, stack);
  if (flags.inProgress) {
    throw new Refusal(
      `flag deployment ${describeDeployment(flags.inProgress)} is in progress; resume's stack update deploys the rolled-back flag document and AppConfig runs one deployment per environment at a time`,
      `Wait for it to finish (npx mcp-rollout flags list --environment ${ctx.environment}), then resume.`,
    );
  }

  const plan = [
    `1. update ${stack.name} with its deployed template and ${PARAMETER_NAMES.canaryTraffic} ${stack.parameters.canaryTraffic} -> 0 while the latch is set: CloudFormation records stable 100 / canary 0 and the rolled-back flag document (deployed immediately; it is already live)`,
    `2. set ${stack.outputs.latchParameterName} to "${LATCH_CLEAR}" (now ${describeLatch(latch)})`,
    `Afterwards the canary gets 0 % and the rollback flags stay off until the next deploy, which restores the configured flag values with the gradual strategy.`,
  ];
  if (!confirm) {
    return {
      exitCode: EXIT_CODES.refused,
      summary: [`Not confirmed: nothing changed. Resuming ${ctx.environment} would:`, ...plan, `Run again with --confirm: npx mcp-rollout resume --environment ${ctx.environment} --confirm`],
      data: { confirmed: false, plan },
    };
  }

  if (ctx.signal.aborted) throw new Interrupted();
  ctx.report.say(`Updating ${stack.name} while latched: ${PARAMETER_NAMES.canaryTraffic}=0, deployed template, every other parameter unchanged...`);
  let pinned = true;
  try {
    await ctx.clients.cloudformation.send(
      new UpdateStackCommand({
        StackName: stack.name,
        UsePreviousTemplate: true,
        Parameters: stack.parameterKeys.map((key) =>
          key === PARAMETER_NAMES.canaryTraffic ? { ParameterKey: key, ParameterValue: '0' } : { ParameterKey: key, UsePreviousValue: true },
        ),
        Capabilities: [...stack.capabilities],
        ...(stack.roleArn ? { RoleARN: stack.roleArn } : {}),
      }),
    );
  } catch (error) {
    // CloudFormation's answer when the stack already runs CanaryTraffic=0 and its last operation
    // resolved the latch as set: it already records the latched state (UpdateStack API reference).
    if (!(error instanceof Error && error.name === 'ValidationError' && /No updates are to be performed/.test(error.message))) {
      throw explainAwsError(error, `updating stack ${stack.name} (cloudformation:UpdateStack)`);
    }
    pinned = false;
    ctx.report.say(`${stack.name} already runs ${PARAMETER_NAMES.canaryTraffic}=0 with the latched state: no update needed.`);
  }
  if (pinned) {
    let after;
    try {
      after = await waitForStack(ctx, 'pinning the canary at 0 % while latched');
    } catch (error) {
      if (error instanceof Interrupted) {
        throw new Interrupted(`CloudFormation finishes the update of ${stack.name} on its own; the latch is still set, so the environment stays safe. Run resume again to finish.`);
      }
      throw error;
    }
    if (after.status !== 'UPDATE_COMPLETE' || after.parameters.canaryTraffic !== 0) {
      throw new CliError(
        `the update of ${stack.name} ended ${after.status} with ${PARAMETER_NAMES.canaryTraffic}=${after.parameters.canaryTraffic}; the latch was left set, so the environment stays rolled back`,
        `Read the stack's events in the CloudFormation console, fix the cause, then run resume again.`,
      );
    }
    ctx.report.say(`${stack.name} is ${after.status} with ${PARAMETER_NAMES.canaryTraffic}=0.`);
  }

  if (ctx.signal.aborted) {
    throw new Interrupted(`${PARAMETER_NAMES.canaryTraffic} is 0 but the latch is still set; run resume again to clear it.`);
  }
  await aws(`clearing the latch ${stack.outputs.latchParameterName} (ssm:PutParameter)`, () =>
    ctx.clients.ssm.send(new PutParameterCommand({ Name: stack.outputs.latchParameterName, Value: LATCH_CLEAR, Overwrite: true })),
  );
  const now = await readLatch(ctx, stack);
  if (now.latched) {
    throw new CliError(`the latch still reads ${describeLatch(now)} after it was cleared`, `Another rollback may have happened meanwhile: run npx mcp-rollout status --environment ${ctx.environment}.`);
  }
  const history = await recordRelease(ctx, {
    kind: 'resume',
    ...recordBase(ctx),
    rollback: { by: latch.record?.requestedBy ?? 'unknown (a latch value this tool did not write)', reason: latch.record?.reason ?? latch.raw },
    images: { stable: stack.parameters.stableImageTag, canary: stack.parameters.canaryImageTag },
  });
  return {
    exitCode: EXIT_CODES.ok,
    summary: [
      `Resumed ${ctx.environment}: latch clear, canary at 0 %. The rollback flags stay off until the next deploy restores the configured values (gradual strategy: ${ctx.config.flags.gradual.deploymentMinutes} min, then a ${ctx.config.flags.gradual.bakeMinutes}-minute bake).`,
      `Next: npx mcp-rollout deploy --environment ${ctx.environment} --traffic 10 --canary-image <fixed tag>`,
    ],
    data: { confirmed: true, changed: true, pinnedTraffic: pinned, latch: 'clear', previousLatch: latch, history },
  };
}
