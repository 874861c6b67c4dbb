/**
 * `rollback [--confirm]`: invokes the deployed rollback function with a manual request, the same
 * code the trigger alarms run (RequestResponse, so the answer is the function's result). Without
 * --confirm it sends a dry run: the function reports what it would change and changes nothing.
 * After a real rollback the CLI checks the live resources itself before it says "safe".
 */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { TIME_TO_SAFE, type ManualRollbackRequest, type RollbackResult } from '../../shared/rollback-contract';
import type { EnvironmentCommand } from '../command';
import type { CommandContext } from '../context';
import { CliError, EXIT_CODES, Interrupted } from '../errors';
import { aws } from '../live-state';
import { reasonOption } from '../option-values';
import { formatDuration, table, type CommandResult } from '../output';
import { isSafe, watchUntilSafe } from '../safe-state';
import { describeServiceStack } from '../service-stack';

export const rollbackCommand: EnvironmentCommand = {
  name: 'rollback',
  scope: 'environment',
  usage: 'rollback --environment <name> [--confirm] [--reason <text...>]',
  summary: "invoke the rollback function (the alarms' code path); without --confirm, show what would change",
  options: {
    confirm: { type: 'boolean', help: 'really roll back' },
    reason: { type: 'string', value: '<text...>', words: true, help: 'why, for the latch, the event and the notification: the words up to the next option' },
  },
  run: (ctx, { options }) => rollback(ctx, options),
};

export async function rollback(ctx: CommandContext, options: Readonly<Record<string, string | boolean | undefined>>): Promise<CommandResult> {
  const confirm = options.confirm === true;
  const reason = reasonOption(options) ?? `manual rollback by ${ctx.user} (mcp-rollout rollback)`;
  const stack = await describeServiceStack(ctx);
  const functionName = stack.outputs.rollbackFunctionName;
  const request: ManualRollbackRequest = { action: 'rollback', reason, requestedBy: ctx.user, dryRun: !confirm };

  if (ctx.signal.aborted) throw new Interrupted();
  ctx.report.say(`${confirm ? 'Rolling back' : 'Dry run of a rollback of'} ${ctx.environment}: invoking ${functionName} (RequestResponse)...`);
  const started = ctx.clock.now();
  const response = await aws(`invoking the rollback function ${functionName} (lambda:InvokeFunction)`, () =>
    ctx.clients.lambda.send(
      new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(JSON.stringify(request)) }),
    ),
  );
  const invokeMs = ctx.clock.now() - started;
  const payload = response.Payload ? new TextDecoder().decode(response.Payload) : '';

  if (response.FunctionError) {
    const failure = parseJson(payload) as { errorType?: string; errorMessage?: string } | undefined;
    throw new CliError(
      `the rollback function failed after ${formatDuration(invokeMs)}: ${failure?.errorType ?? response.FunctionError}: ${failure?.errorMessage ?? payload.slice(0, 500)}`,
      `Some steps may be in place. Run \`npx mcp-rollout status --environment ${ctx.environment}\`, then \`rollback --confirm\` again: it only redoes what is missing. If it keeps failing, move the traffic by hand (README "Automated rollback").`,
    );
  }
  const result = parseJson(payload) as RollbackResult | undefined;
  if (!result || typeof result.outcome !== 'string') {
    throw new CliError(`the rollback function answered something that is not a rollback result: ${payload.slice(0, 300)}`, 'Check that the stack is deployed from this version of the app: npx cdk deploy.');
  }
  if (result.outcome === 'rejected') {
    throw new CliError(`the rollback function refused the request: ${result.error ?? 'no reason given'}`, 'This is a bug in the CLI or a version mismatch with the deployed function; deploy the current app (npx cdk deploy) and try again.');
  }

  const steps = table([['step', 'status', 'detail'], ...result.steps.map((s) => [s.step, s.status, s.detail])]);
  if (result.outcome === 'dry_run') {
    return {
      exitCode: EXIT_CODES.refused,
      summary: [
        `Dry run: nothing changed in ${ctx.environment}. The rollback would:`,
        ...steps,
        `Run again with --confirm to roll back: npx mcp-rollout rollback --environment ${ctx.environment} --confirm`,
      ],
      data: { confirmed: false, outcome: result.outcome, steps: result.steps, before: result.before },
    };
  }

  // The function's word is not proof: read the resources until they show the safe state.
  const timeline = await watchUntilSafe(ctx, stack, started, TIME_TO_SAFE.flagsOffEverywhereSeconds * 1000, 'verifying');
  const verified = isSafe(timeline.last);
  const totalMs = ctx.clock.now() - started;
  const check = (ok: boolean) => (ok ? 'yes' : 'NO');
  const { last } = timeline;
  const summary = [
    `${result.outcome === 'already_rolled_back' ? 'Already rolled back' : 'Rolled back'}: ${ctx.environment}, by the function in ${formatDuration(result.durationMs)}, ${verified ? 'verified' : 'NOT verified'} after ${formatDuration(totalMs)}.`,
    ...steps,
    ...table([
      ['verified', 'state'],
      [`traffic on stable: ${check(last.trafficOnStable)}`, `stable ${last.weights.stable} / canary ${last.weights.canary}`],
      [`rollback flags off: ${check(last.flagsOff)}`, `${last.rollbackFlags.join(', ')}; deployment ${last.flagDeployment ? `${last.flagDeployment.number} ${last.flagDeployment.state}` : 'none'}`],
      [`latch set: ${check(last.latchSet)}`, stack.outputs.latchParameterName],
    ]),
    verified
      ? `Tasks pick up the flags within one agent poll (${ctx.config.flags.agentPollIntervalSeconds} s). Next: find the cause; when fixed, npx mcp-rollout resume --environment ${ctx.environment} --confirm`
      : `Next: run npx mcp-rollout status --environment ${ctx.environment}; if traffic is still on the canary, run rollback --confirm again.`,
  ];
  return {
    exitCode: verified ? EXIT_CODES.ok : EXIT_CODES.failed,
    summary,
    data: {
      confirmed: true,
      outcome: result.outcome,
      verified,
      steps: result.steps,
      functionDurationMs: result.durationMs,
      totalDurationMs: totalMs,
      state: last,
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
