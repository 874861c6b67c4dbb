/**
 * `status`: the seed's health check and verify-rollback in one read-only view. Exit 4 when
 * something needs a person: a critical or trigger alarm in ALARM, live weights that disagree with
 * the stack and latch, drift from the latched state (weights, or a rollback flag on while rolled
 * back), or a slot that gets traffic without a healthy target. An AWS error is 1, as for every
 * command, so a monitor tells the two apart.
 */
import { flagValuesOf, FLAG_NAMES } from '../../shared/feature-flags';
import { SLOT_NAMES } from '../../shared/environment-names';
import { trafficWeights } from '../../shared/traffic-weights';
import type { EnvironmentCommand } from '../command';
import type { CommandContext } from '../context';
import { EXIT_CODES } from '../errors';
import { describeLatch } from '../latch-text';
import { describeDeployment, isPagingAlarm, readAlarms, readFlags, readLastRollback, readLatch, readServices, readTargetHealth, readWeights } from '../live-state';
import { table, type CommandResult } from '../output';
import { describeServiceStack } from '../service-stack';

export const statusCommand: EnvironmentCommand = {
  name: 'status',
  scope: 'environment',
  usage: 'status --environment <name>',
  summary: 'live weights, latch, flags, alarms, target health and the last rollback; exit 4 when something needs attention, 1 on an AWS error',
  options: {},
  run: (ctx) => status(ctx),
};

/** Alarm states, most urgent first. */
const ALARM_STATES = ['ALARM', 'INSUFFICIENT_DATA', 'OK'] as const;

export async function status(ctx: CommandContext): Promise<CommandResult> {
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
  for (const slot of SLOT_NAMES) {
    if (weights[slot] > 0 && health[slot].healthy === 0) attention.push(`${slot} gets ${weights[slot]} % of traffic but has no healthy target`);
  }

  const values = flags.document ? flagValuesOf(flags.document) : undefined;
  const alarmCounts = ALARM_STATES.map((state) => [state, alarms.filter((a) => a.state === state).length] as const).filter(([, n]) => n > 0);
  const notOk = alarms.filter((a) => a.state !== 'OK');

  const summary = [
    `${ctx.environment}: ${stack.name} ${stack.status}, CanaryTraffic ${stack.parameters.canaryTraffic}, images stable ${stack.parameters.stableImageTag} / canary ${stack.parameters.canaryImageTag}`,
    `latch: ${describeLatch(latch)}`,
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
    `alarms: ${alarmCounts.map(([state, n]) => `${n} ${state}`).join(', ') || 'none found'}`,
    ...notOk.map((a) => `  ${a.state.padEnd(17)} ${a.name}`),
    '',
    `last rollback: ${
      lastRollback
        ? `${lastRollback.record ? `by ${lastRollback.record.requestedBy} at ${lastRollback.record.time}: ${lastRollback.record.reason}` : lastRollback.raw}${lastRollback.clearedAt ? `; resumed at ${lastRollback.clearedAt.toISOString()}${lastRollback.clearedBy ? ` by ${lastRollback.clearedBy}` : ''}` : ' (in force)'}`
        : 'none in the latch history'
    }`,
    '',
    ...(attention.length > 0 ? ['NEEDS ATTENTION:', ...attention.map((a) => `  - ${a}`)] : ['healthy: nothing needs attention']),
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
      attention,
    },
  };
}
