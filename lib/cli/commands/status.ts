/**
 * `status`: the seed's health check and verify-rollback in one read-only view. Exit 4 when
 * something needs a person: a critical or trigger alarm in ALARM, live weights that disagree with
 * the stack and latch, drift from the latched state (weights, or a rollback flag on while rolled
 * back), or a slot that gets traffic without a healthy target. An AWS error is 1, as for every
 * command, so a monitor tells the two apart.
 *
 * `--watch` redraws the view every 10 s until Ctrl-C or `--timeout`, and ends with the exit code
 * of its last view. States are colored on a terminal (ALARM red, OK green), never in a log, a
 * pipe or with NO_COLOR set; the view ends with links to the dashboards and console pages.
 */
import { flagValuesOf, FLAG_NAMES } from '../../shared/feature-flags';
import { rollbackMonitorName } from '../../shared/names';
import { SLOT_NAMES } from '../../shared/environment-names';
import { trafficWeights } from '../../shared/traffic-weights';
import type { EnvironmentCommand } from '../command';
import { consoleLinks, type ConsoleLink } from '../console-links';
import type { CommandContext } from '../context';
import { adviceText, CliError, EXIT_CODES, Interrupted, UsageError } from '../errors';
import { describeLatch } from '../latch-text';
import { describeDeployment, isPagingAlarm, readAlarms, readFlags, readLastRollback, readLatch, readServices, readTargetHealth, readWeights } from '../live-state';
import { durationOption, stringOption } from '../option-values';
import { formatDuration, table, type CommandResult, type Style } from '../output';
import { rolloutSection } from '../rollouts';
import { describeServiceStack, type ServiceStackState } from '../service-stack';

export const statusCommand: EnvironmentCommand = {
  name: 'status',
  scope: 'environment',
  usage: 'status --environment <name> [--watch] [--timeout <duration>]',
  summary: 'live weights, latch, flags, alarms, target health, the last rollback and console links; exit 4 when something needs attention, 1 on an AWS error',
  options: {
    watch: { type: 'boolean', help: 'redraw every 10 s until Ctrl-C (or --timeout); exits with the last view\'s code' },
    timeout: { type: 'string', value: '<duration>', help: 'with --watch: stop after this long, e.g. 30m (10s to 24h)' },
  },
  run: (ctx, { options }) => (options.watch === true ? watchStatus(ctx, options) : status(ctx, options)),
};

/** Alarm states, most urgent first. */
const ALARM_STATES = ['ALARM', 'INSUFFICIENT_DATA', 'OK'] as const;

/** Seconds between two views of `--watch`. */
export const WATCH_INTERVAL_MS = 10_000;
const MIN_WATCH_TIMEOUT_MS = 10_000;
const MAX_WATCH_TIMEOUT_MS = 24 * 3_600_000;

/** The colors of alarm states: what needs a person is red, what is fine is green. */
const STATE_STYLE: Readonly<Record<string, Style>> = { ALARM: 'red', INSUFFICIENT_DATA: 'yellow', OK: 'green' };

export async function status(ctx: CommandContext, options: Readonly<Record<string, string | boolean | undefined>> = {}): Promise<CommandResult> {
  if (stringOption(options, 'timeout') !== undefined) throw new UsageError('--timeout goes with --watch: status --watch --timeout 30m');
  const stack = await describeServiceStack(ctx);
  const [weights, latch, flags, alarms, health, services, lastRollback] = await Promise.all([
    readWeights(ctx, stack),
    readLatch(ctx, stack),
    readFlags(ctx, stack),
    readAlarms(ctx),
    readTargetHealth(ctx, stack),
    readServices(ctx, stack),
    readLastRollback(ctx, stack),
  ]);
  const rollout = await rolloutSection(ctx);

  const attention: string[] = [];
  const expected = latch.latched ? trafficWeights(0) : trafficWeights(stack.parameters.canaryTraffic);
  // Drift from a rollback in force (DESIGN.md D2): the function's enforce path drives it back when
  // the stack operation or flag deployment that caused it ends; if it is still here, a person acts.
  const repair = `else run npx mcp-rollout rollback --environment ${ctx.environment} --confirm`;
  if (weights.stable !== expected.stable || weights.canary !== expected.canary) {
    attention.push(
      latch.latched
        ? `drift: live weights stable ${weights.stable} / canary ${weights.canary} differ from the latched stable ${expected.stable} / canary ${expected.canary}; the rollback function drives them back when the stack operation ends (${repair})`
        : `live weights stable ${weights.stable} / canary ${weights.canary} differ from the expected stable ${expected.stable} / canary ${expected.canary} (CanaryTraffic ${stack.parameters.canaryTraffic})`,
    );
  }
  if (latch.latched) {
    const { rollbackFlags } = ctx.config.flags;
    const on = (doc: typeof flags.document) => (doc ? rollbackFlags.filter((f) => flagValuesOf(doc)[f]) : []);
    // What the tasks serve, or will once the deployment in progress ends.
    const [servedOn, where] = flags.inProgress ? [on(flags.inProgressDocument), flags.inProgress] : [on(flags.completedDocument ?? flags.document), flags.completed ?? flags.applied];
    if (servedOn.length > 0) {
      attention.push(
        `drift: ${servedOn.join(', ')} on while rolled back (flag deployment ${describeDeployment(where).replace(/ \(version.*$/, '')}); the rollback function turns them off when a flag deployment ends (${repair})`,
      );
    }
  }
  const firing = alarms.filter((a) => a.state === 'ALARM' && isPagingAlarm(a.name));
  for (const a of firing) attention.push(`${a.name} is in ALARM`);
  // The rollback disables the monitor's actions so AppConfig keeps its flag deployment
  // (lib/shared/rollback-monitor.ts); resume enables them. Disabled without a rollback in force,
  // no flag deployment is rolled back when a trigger fires.
  const monitor = alarms.find((a) => a.name === rollbackMonitorName(ctx.environment));
  const monitorDisabled = monitor !== undefined && !monitor.actionsEnabled;
  if (monitorDisabled && !latch.latched) {
    attention.push(
      `the actions of ${monitor.name} are disabled while no rollback is in force: AppConfig does not roll a flag deployment back when a trigger fires (run npx mcp-rollout resume --environment ${ctx.environment} --confirm)`,
    );
  }
  for (const slot of SLOT_NAMES) {
    if (weights[slot] > 0 && health[slot].healthy === 0) attention.push(`${slot} gets ${weights[slot]} % of traffic but has no healthy target`);
  }

  const values = flags.document ? flagValuesOf(flags.document) : undefined;
  const alarmCounts = ALARM_STATES.map((state) => [state, alarms.filter((a) => a.state === state).length] as const).filter(([, n]) => n > 0);
  const notOk = alarms.filter((a) => a.state !== 'OK');

  const paint = (style: Style | readonly Style[], text: string) => ctx.report.paint(style, text);
  const links = await linksOf(ctx, stack);
  const summary = [
    `${ctx.environment}: ${stack.name} ${stack.status}, CanaryTraffic ${stack.parameters.canaryTraffic}, images stable ${stack.parameters.stableImageTag} / canary ${stack.parameters.canaryImageTag}`,
    `latch: ${latch.latched ? paint(['yellow', 'bold'], describeLatch(latch)) : paint('green', describeLatch(latch))}`,
    '',
    ...table([
      ['slot', 'weight', 'targets healthy', 'tasks running/desired', 'ECS rollout'],
      ...SLOT_NAMES.map((slot) => [
        slot,
        `${weights[slot]} %`,
        `${health[slot].healthy}/${health[slot].total}`,
        `${services[slot].running}/${services[slot].desired}`,
        services[slot].rollout,
      ]),
    ]),
    '',
    `flags: applied deployment ${describeDeployment(flags.applied)}${flags.inProgress && flags.inProgress !== flags.applied ? `; in progress ${describeDeployment(flags.inProgress)}` : ''}`,
    ...FLAG_NAMES.map((name) =>
      `  ${name.padEnd(28)} ${(values ? (values[name] ? 'on' : 'off') : 'unknown').padEnd(4)} ${ctx.config.flags.rollbackFlags.includes(name) ? '(rollback flag)' : ''}`.trimEnd(),
    ),
    '',
    `alarms: ${alarmCounts.map(([state, n]) => `${n} ${paint(STATE_STYLE[state] ?? 'bold', state)}`).join(', ') || 'none found'}`,
    ...notOk.map((a) => `  ${paint(STATE_STYLE[a.state] ?? 'bold', a.state.padEnd(17))} ${a.name}`),
    ...(monitorDisabled ? [`  rollback monitor ${monitor.name}: actions disabled${latch.latched ? ' (expected while rolled back; resume enables them)' : ''}`] : []),
    '',
    `last rollback: ${
      lastRollback
        ? `${lastRollback.record ? `by ${lastRollback.record.requestedBy} at ${lastRollback.record.time}: ${lastRollback.record.reason}` : lastRollback.raw}${lastRollback.clearedAt ? `; resumed at ${lastRollback.clearedAt.toISOString()}${lastRollback.clearedBy ? ` by ${lastRollback.clearedBy}` : ''}` : ' (in force)'}`
        : 'none in the latch history'
    }`,
    '',
    ...rollout.lines,
    '',
    'links:',
    ...table(links.map((l) => [`  ${l.name}`, l.url])),
    '',
    ...(attention.length > 0 ? [paint(['red', 'bold'], 'NEEDS ATTENTION:'), ...attention.map((a) => `  - ${a}`)] : [paint('green', 'healthy: nothing needs attention')]),
  ];
  return {
    exitCode: attention.length > 0 ? EXIT_CODES.needsAttention : EXIT_CODES.ok,
    summary,
    data: {
      stack: { name: stack.name, status: stack.status, parameters: stack.parameters },
      weights,
      latch,
      flags: {
        values: values ?? null,
        applied: flags.applied ?? null,
        inProgress: flags.inProgress ?? null,
        rollbackFlags: ctx.config.flags.rollbackFlags,
      },
      alarms,
      targets: health,
      services,
      lastRollback: lastRollback ?? null,
      rollout: rollout.data,
      links,
      attention,
    },
  };
}

/** The console links, in the region the stack's ARN names (or the client's, for an older answer without one). */
async function linksOf(ctx: CommandContext, stack: ServiceStackState): Promise<ConsoleLink[]> {
  let region: string | undefined;
  if (!stack.stackId) {
    try {
      region = await ctx.clients.cloudformation.config.region();
    } catch {
      region = ctx.config.region;
    }
  }
  return consoleLinks(ctx.environment, stack, region);
}

/**
 * `status --watch`: a view every 10 s. A failed refresh (a throttle, a network blip) is shown in
 * place of the view and the watch goes on: during an incident the screen must not die. Ctrl-C or
 * the timeout ends it with the exit code of the last view; Ctrl-C before the first view is 130.
 */
async function watchStatus(ctx: CommandContext, options: Readonly<Record<string, string | boolean | undefined>>): Promise<CommandResult> {
  if (ctx.report.json) {
    throw new UsageError('--watch redraws a view for a person and does not combine with --json; a monitor runs status --json on its own schedule and reads the exit code');
  }
  const timeoutText = stringOption(options, 'timeout');
  const timeoutMs = timeoutText === undefined ? undefined : durationOption('timeout', timeoutText, MIN_WATCH_TIMEOUT_MS, MAX_WATCH_TIMEOUT_MS);
  const started = ctx.clock.now();
  let last: CommandResult | undefined;
  let lastError: CliError | undefined;
  let views = 0;
  let endedBy: 'timeout' | 'ctrl-c' = 'ctrl-c';
  for (;;) {
    let lines: readonly string[];
    try {
      last = await status(ctx);
      lastError = undefined;
      lines = last.summary;
    } catch (error) {
      if (error instanceof Interrupted || ctx.signal.aborted) break;
      if (!(error instanceof CliError)) throw error;
      lastError = error;
      lines = [ctx.report.paint(['red', 'bold'], `refresh failed: ${error.message}`), `next: ${adviceText(error.next, { command: 'status', environment: ctx.environment })}`, `(trying again in ${formatDuration(WATCH_INTERVAL_MS)})`];
    }
    views += 1;
    const now = ctx.clock.now();
    ctx.report.frame([
      `${ctx.environment} at ${new Date(now).toISOString()}: every ${formatDuration(WATCH_INTERVAL_MS)} until Ctrl-C${timeoutMs === undefined ? '' : ` or ${formatDuration(timeoutMs)} (${formatDuration(Math.max(0, started + timeoutMs - now))} left)`}`,
      '',
      ...lines,
    ]);
    const left = timeoutMs === undefined ? WATCH_INTERVAL_MS : started + timeoutMs - now;
    if (left <= 0) {
      endedBy = 'timeout';
      break;
    }
    try {
      await ctx.clock.sleep(Math.min(WATCH_INTERVAL_MS, left), ctx.signal);
    } catch (error) {
      if (error instanceof Interrupted) break;
      throw error;
    }
  }
  // Ctrl-C before the first view: no view has an exit code to end with; say interrupted (130), as any command does.
  if (views === 0) throw new Interrupted();
  const exitCode = lastError ? lastError.exitCode : (last?.exitCode ?? EXIT_CODES.failed);
  return {
    exitCode,
    summary: [`Stopped watching ${ctx.environment} after ${views} view(s) in ${formatDuration(ctx.clock.now() - started)} (${endedBy === 'timeout' ? `--timeout ${timeoutText}` : 'Ctrl-C'}); exit code ${exitCode} is the last view's.`],
    data: { ...(last?.data ?? {}), watch: { views, endedBy, ...(lastError ? { lastError: lastError.message } : {}) } },
  };
}
