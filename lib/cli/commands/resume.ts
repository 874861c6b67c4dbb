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
 * 3. then enable the actions of the rollback monitor again, which the rollback disabled so that
 *    AppConfig would keep its flag deployment (lib/shared/rollback-monitor.ts). Last, because while
 *    the latch is set the function's enforce path disables them again before any flag deployment,
 *    and because step 1's latched flag deployment must not be rolled back by a monitor still firing;
 *    once the latch is clear nothing disables them but a new rollback. Until this step the next
 *    gradual flag deployment is unwatched, for the seconds it takes.
 * Stopped between steps, the environment stays safe; running resume again finishes (with the latch
 * already clear it only enables the monitor's actions, if they are still disabled).
 */
import { UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { rollbackMonitorName } from '../../shared/names';
import { LATCH_CLEAR } from '../../shared/rollback-contract';
import { monitorActionsEnabled, setMonitorActions } from '../../shared/rollback-monitor';
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
  const monitor = rollbackMonitorName(ctx.environment);
  if (!latch.latched) {
    // A resume stopped after clearing the latch left the monitor's actions disabled: finish it.
    const enabled = await aws(`reading the rollback monitor ${monitor} (cloudwatch:DescribeAlarms)`, () => monitorActionsEnabled(ctx.clients.cloudwatch, monitor));
    const finish = enabled === false && confirm;
    if (finish) await enableMonitor(ctx, monitor);
    return {
      exitCode: enabled === false && !confirm ? EXIT_CODES.refused : EXIT_CODES.ok,
      summary: [
        `${ctx.environment} is not rolled back (latch clear): nothing to resume.${finish ? ` ${enabledText(monitor)}` : ''}`,
        ...(enabled === false && !confirm ? [`The actions of ${monitor} are still disabled. Run again with --confirm to enable them: npx mcp-rollout resume --environment ${ctx.environment} --confirm`] : []),
      ],
      data: { changed: finish, latch: 'clear', monitorActionsEnabled: finish || enabled !== false },
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
    `3. enable the actions of ${monitor} again (the rollback disabled them so that AppConfig kept its flag deployment)`,
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
  await enableMonitor(ctx, monitor);
  const history = await recordRelease(ctx, {
    kind: 'resume',
    ...recordBase(ctx),
    rollback: { by: latch.record?.requestedBy ?? 'unknown (a latch value this tool did not write)', reason: latch.record?.reason ?? latch.raw },
    images: { stable: stack.parameters.stableImageTag, canary: stack.parameters.canaryImageTag },
  });
  return {
    exitCode: EXIT_CODES.ok,
    summary: [
      enabledText(monitor),
      `Resumed ${ctx.environment}: latch clear, canary at 0 %. The rollback flags stay off until the next deploy restores the configured values (gradual strategy: ${ctx.config.flags.gradual.deploymentMinutes} min, then a ${ctx.config.flags.gradual.bakeMinutes}-minute bake).`,
      `Next: npx mcp-rollout deploy --environment ${ctx.environment} --traffic 10 --canary-image <fixed tag>`,
    ],
    data: { confirmed: true, changed: true, pinnedTraffic: pinned, latch: 'clear', previousLatch: latch, monitorActionsEnabled: true, history },
  };
}

const enabledText = (monitor: string) => `Enabled the actions of ${monitor} again: AppConfig rolls a flag deployment back while a trigger fires.`;

async function enableMonitor(ctx: CommandContext, monitor: string): Promise<void> {
  try {
    await setMonitorActions(ctx.clients.cloudwatch, monitor, true);
  } catch (error) {
    const failed = explainAwsError(error, `enabling the actions of ${monitor} (cloudwatch:EnableAlarmActions)`);
    throw new CliError(
      `the latch is clear, but the actions of ${monitor} could not be enabled again: until they are, AppConfig does not roll a flag deployment back when a trigger fires (${failed.message})`,
      `Run npx mcp-rollout resume --environment ${ctx.environment} --confirm again (it only enables them), or: aws cloudwatch enable-alarm-actions --alarm-names ${monitor}`,
    );
  }
}
