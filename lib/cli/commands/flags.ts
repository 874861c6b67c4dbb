/**
 * `flags list` and `flags set NAME=true|false... [--immediate]`. Values are validated by the flag
 * module; a change is a new hosted version of the last completed document, deployed with the
 * gradual strategy (watched by the rollback monitor) unless --immediate, which first stops a
 * deployment in progress the way AppConfig allows (lib/shared/flag-deployments.ts). While rolled
 * back, --immediate first disables the rollback monitor's actions as the rollback function does
 * (lib/shared/rollback-monitor.ts): AppConfig would roll the change back while a trigger fires.
 */
import { CreateHostedConfigurationVersionCommand, GetDeploymentCommand, StartDeploymentCommand } from '@aws-sdk/client-appconfig';
import { describeError } from '../../shared/aws-errors';
import { DEPLOYMENT_IN_PROGRESS, stopFlagDeployment } from '../../shared/flag-deployments';
import { changedFlags, flagNameProblem, flagValuesOf, FLAG_NAMES, serializeFlagDocument, withValues, type FlagName, type FlagValues } from '../../shared/feature-flags';
import { flagStrategyName, rollbackMonitorName } from '../../shared/names';
import { setMonitorActions } from '../../shared/rollback-monitor';
import type { EnvironmentCommand } from '../command';
import type { CommandContext } from '../context';
import { CliError, EXIT_CODES, Interrupted, Refusal, UsageError } from '../errors';
import { describeLatch } from '../latch-text';
import { aws, describeDeployment, readFlags, readLatch } from '../live-state';
import { formatDuration, table, type CommandResult } from '../output';
import { describeServiceStack, type ServiceStackState } from '../service-stack';

export const flagsCommand: EnvironmentCommand = {
  name: 'flags',
  scope: 'environment',
  usage: 'flags list --environment <name> | flags set NAME=true|false... --environment <name> [--immediate]',
  summary: 'show the flags, or change them with the gradual strategy (--immediate: at once)',
  options: { immediate: { type: 'boolean', help: 'deploy with the immediate strategy, stopping a deployment in progress' } },
  positionals: 'list | set NAME=true|false...',
  run: (ctx, { options, positionals }) => flags(ctx, options, positionals),
};

type Options = Readonly<Record<string, string | boolean | undefined>>;

export async function flags(ctx: CommandContext, options: Options, positionals: readonly string[]): Promise<CommandResult> {
  const [action, ...assignments] = positionals;
  if (action === 'list') {
    if (assignments.length > 0) throw new UsageError(`flags list takes no arguments, got ${assignments.map((a) => JSON.stringify(a)).join(' ')}`);
    if (options.immediate === true) throw new UsageError('--immediate only applies to flags set');
    return list(ctx);
  }
  if (action === 'set') return set(ctx, parseAssignments(assignments), options.immediate === true);
  throw new UsageError(`flags needs "list" or "set NAME=true|false...", got ${action === undefined ? 'nothing' : JSON.stringify(action)}`);
}

/** `NAME=true|false` words, each checked; all problems at once. */
function parseAssignments(words: readonly string[]): Partial<FlagValues> {
  if (words.length === 0) throw new UsageError(`flags set needs at least one NAME=true|false; the flags are ${FLAG_NAMES.join(', ')}`);
  const problems: string[] = [];
  const values: Partial<Record<FlagName, boolean>> = {};
  for (const word of words) {
    const match = /^([^=]*)=(.*)$/.exec(word);
    if (!match) {
      problems.push(`"${word}" must be NAME=true or NAME=false`);
      continue;
    }
    const [, name = '', value = ''] = match;
    const nameProblem = flagNameProblem(name);
    if (nameProblem) problems.push(nameProblem);
    else if (value !== 'true' && value !== 'false') problems.push(`${name} must be set to true or false, got ${JSON.stringify(value)}`);
    else if (name in values) problems.push(`${name} is given twice`);
    else values[name as FlagName] = value === 'true';
  }
  if (problems.length > 0) throw new UsageError(problems.join('; '));
  return values;
}

async function list(ctx: CommandContext): Promise<CommandResult> {
  const stack = await describeServiceStack(ctx);
  const current = await readFlags(ctx, stack);
  const values = current.document ? flagValuesOf(current.document) : undefined;
  const { rollbackFlags } = ctx.config.flags;
  return {
    exitCode: EXIT_CODES.ok,
    summary: [
      ...table([
        ['flag', 'value', 'rollback turns it off'],
        ...FLAG_NAMES.map((name) => [name, values ? (values[name] ? 'on' : 'off') : 'unknown', rollbackFlags.includes(name) ? 'yes' : 'no']),
      ]),
      `applied deployment: ${describeDeployment(current.applied)}`,
      ...(current.inProgress ? [`in progress: ${describeDeployment(current.inProgress)}`] : []),
    ],
    data: { values: values ?? null, rollbackFlags, applied: current.applied ?? null, inProgress: current.inProgress ?? null },
  };
}

async function set(ctx: CommandContext, changes: Partial<FlagValues>, immediate: boolean): Promise<CommandResult> {
  const stack = await describeServiceStack(ctx);
  const latch = await readLatch(ctx, stack);
  const { rollbackFlags } = ctx.config.flags;
  const turningOn = rollbackFlags.filter((f) => changes[f] === true);
  if (latch.latched && turningOn.length > 0) {
    throw new Refusal(
      `${ctx.environment} is rolled back (latch ${describeLatch(latch)}): ${turningOn.join(', ')} must stay off until it resumes`,
      `Fix the cause, run \`npx mcp-rollout resume --environment ${ctx.environment} --confirm\`, then set the flags.`,
    );
  }
  const current = await readFlags(ctx, stack);
  // The change applies to the last completed document: stopping a deployment in progress (with
  // --immediate) returns every task to it, so a half-finished change is neither kept nor spread.
  const base = current.completedDocument ?? current.document;
  if (!base) {
    throw new CliError('no applied flag document found: AppConfig lists no deployment this environment kept', `Deploy the stack once (npx cdk deploy), which deploys the initial flags.`);
  }
  const next = withValues(base, changes);
  const changed = changedFlags(base, next);
  const shown = changed.length > 0 ? changed : (Object.keys(changes) as FlagName[]);
  const valueText = (names: readonly FlagName[]) => names.map((n) => `${n}=${String(flagValuesOf(next)[n])}`).join(', ');
  // With a deployment in progress, even an unchanged value may differ from what it is spreading.
  if (changed.length === 0 && !current.inProgress) {
    return { exitCode: EXIT_CODES.ok, summary: [`Nothing to change: ${valueText(Object.keys(changes) as FlagName[])} already.`], data: { changed: [] } };
  }
  if (current.inProgress && !immediate) {
    throw new Refusal(
      `flag deployment #${current.inProgress.DeploymentNumber ?? '?'} is ${current.inProgress.State ?? 'in progress'}; AppConfig runs one deployment per environment at a time`,
      `Wait for it to finish (npx mcp-rollout flags list --environment ${ctx.environment}), or add --immediate to stop it and deploy this change at once.`,
    );
  }

  if (ctx.signal.aborted) throw new Interrupted();
  // From here the steps run to the end: a hosted version without its deployment would be a half-made change.
  const change = ctx.interrupts.begin('the flag change (a hosted version and its deployment)');
  const ids = { ApplicationId: stack.outputs.flagsApplicationId, EnvironmentId: stack.outputs.flagsEnvironmentId };
  if (current.inProgress) {
    const running = current.inProgress;
    ctx.report.say(`Stopping flag deployment #${running.DeploymentNumber ?? '?'} (${running.State ?? ''}) first: --immediate; its targets return to the last completed version.`);
    await aws(`stopping flag deployment #${running.DeploymentNumber ?? '?'} (appconfig:StopDeployment)`, () =>
      stopFlagDeployment(ctx.clients.appconfig, { applicationId: ids.ApplicationId, environmentId: ids.EnvironmentId }, running),
    );
  }
  const description = `mcp-rollout flags set by ${ctx.user}: ${valueText(shown)}`.slice(0, 1024);
  const version = await aws('creating the flag document version (appconfig:CreateHostedConfigurationVersion)', () =>
    ctx.clients.appconfig.send(
      new CreateHostedConfigurationVersionCommand({
        ApplicationId: stack.outputs.flagsApplicationId,
        ConfigurationProfileId: stack.outputs.flagsProfileId,
        Content: new TextEncoder().encode(serializeFlagDocument(next)),
        ContentType: 'application/json',
        Description: description,
      }),
    ),
  );
  const strategy = immediate ? stack.outputs.flagsImmediateStrategyId : stack.outputs.flagsGradualStrategyId;
  if (immediate && latch.latched) {
    const monitor = rollbackMonitorName(ctx.environment);
    try {
      await setMonitorActions(ctx.clients.cloudwatch, monitor, false);
      ctx.report.say(`Disabled the actions of ${monitor} (as the rollback does; resume enables them): AppConfig keeps this deployment while a trigger fires.`);
    } catch (error) {
      ctx.report.warn(`the actions of ${monitor} could not be disabled (${describeError(error)}): AppConfig rolls this deployment back while a trigger fires`);
    }
  }
  let deploymentNumber: number;
  try {
    const started = await ctx.clients.appconfig.send(
      new StartDeploymentCommand({
        ...ids,
        ConfigurationProfileId: stack.outputs.flagsProfileId,
        ConfigurationVersion: String(version.VersionNumber),
        DeploymentStrategyId: strategy,
        Description: description,
      }),
    );
    deploymentNumber = started.DeploymentNumber ?? 0;
  } catch (error) {
    throw new CliError(
      `hosted version ${String(version.VersionNumber)} was created but its deployment did not start: ${describeError(error)}`,
      error instanceof Error && error.name === 'ConflictException'
        ? 'Another flag deployment started meanwhile; nothing reached the tasks. Run flags set again once it finishes, or with --immediate.'
        : 'Nothing reached the tasks. Run the same flags set again.',
    );
  }
  change.end();
  const strategyName = flagStrategyName(ctx.environment, immediate ? 'immediate' : 'gradual');
  ctx.report.say(`Started flag deployment #${deploymentNumber} of version ${String(version.VersionNumber)} with ${strategyName}: ${valueText(shown)}.`);

  if (!immediate) {
    const { deploymentMinutes, bakeMinutes } = ctx.config.flags.gradual;
    return {
      exitCode: EXIT_CODES.ok,
      summary: [
        `Deployment #${deploymentNumber} reaches every task over ${deploymentMinutes} min, then bakes ${bakeMinutes} min; a firing rollback trigger rolls it back.`,
        `Follow it: npx mcp-rollout flags list --environment ${ctx.environment}`,
      ],
      data: { changed, deploymentNumber, version: version.VersionNumber, strategy: strategyName, state: 'DEPLOYING' },
    };
  }
  const state = await waitForDeployment(ctx, stack, deploymentNumber);
  const done = state === 'COMPLETE';
  return {
    exitCode: done ? EXIT_CODES.ok : EXIT_CODES.failed,
    summary: [
      done
        ? `Deployment #${deploymentNumber} is COMPLETE; every task has ${valueText(shown)} within one agent poll (${ctx.config.flags.agentPollIntervalSeconds} s).`
        : `Deployment #${deploymentNumber} ended ${state}: the change did not stay applied.`,
      ...(done ? [] : [`Next: npx mcp-rollout status --environment ${ctx.environment} (a monitor alarm rolls back flag deployments while it fires).`]),
    ],
    data: { changed, deploymentNumber, version: version.VersionNumber, strategy: strategyName, state },
  };
}

/** Polls an immediate deployment until AppConfig is done with it (seconds; a minute at most). */
async function waitForDeployment(ctx: CommandContext, stack: ServiceStackState, deploymentNumber: number): Promise<string> {
  const started = ctx.clock.now();
  for (;;) {
    const d = await aws(`reading flag deployment #${deploymentNumber} (appconfig:GetDeployment)`, () =>
      ctx.clients.appconfig.send(
        new GetDeploymentCommand({ ApplicationId: stack.outputs.flagsApplicationId, EnvironmentId: stack.outputs.flagsEnvironmentId, DeploymentNumber: deploymentNumber }),
      ),
    );
    const state = d.State ?? 'UNKNOWN';
    if (!DEPLOYMENT_IN_PROGRESS.has(state) || ctx.clock.now() - started >= 60_000) return state;
    ctx.report.progress(`deployment #${deploymentNumber} ${state} ${Math.round(d.PercentageComplete ?? 0)} % (${formatDuration(ctx.clock.now() - started)})`);
    await ctx.clock.sleep(2000, ctx.signal);
  }
}
