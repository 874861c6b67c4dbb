/**
 * `drill`: a game day for the automated rollback. It forces one trigger alarm into ALARM with
 * SetAlarmState (CloudWatch then runs the alarm's actions, the rollback function among them) and
 * times, from the live resources, how long until traffic is on stable, the latch is set and the
 * rollback flags are off, against the seed's 5-minute promise. The environment stays rolled back
 * afterwards, as after a real incident: resume it when the drill is over.
 */
import { DescribeAlarmsCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { KPIS } from '../../shared/metrics-contract';
import { alarmName, alarmNamePrefix } from '../../shared/names';
import { TIME_TO_SAFE } from '../../shared/rollback-contract';
import type { EnvironmentCommand } from '../command';
import type { CommandContext } from '../context';
import { EXIT_CODES, Interrupted, Refusal, UsageError } from '../errors';
import { describeLatch } from '../latch-text';
import { aws, readLatch } from '../live-state';
import { stringOption } from '../option-values';
import { formatDuration, table, type CommandResult } from '../output';
import { isSafe, readSafeState, watchUntilSafe } from '../safe-state';
import { describeServiceStack } from '../service-stack';

export const drillCommand: EnvironmentCommand = {
  name: 'drill',
  scope: 'environment',
  usage: 'drill --environment staging [--alarm <trigger alarm>] [--allow-production]',
  summary: 'game day: force a trigger alarm into ALARM and time the automated rollback against the 5-minute promise',
  options: {
    alarm: { type: 'string', value: '<name>', help: 'the trigger alarm to force (default: the canary LLM success rate trigger)' },
    'allow-production': { type: 'boolean', help: 'allow a drill on production' },
  },
  run: (ctx, { options }) => drill(ctx, options),
};

type Options = Readonly<Record<string, string | boolean | undefined>>;

export async function drill(ctx: CommandContext, options: Options): Promise<CommandResult> {
  if (ctx.config.tier === 'production' && options['allow-production'] !== true) {
    throw new Refusal(
      'a drill rolls the environment back for real; refusing to drill production',
      'Drill staging (`npx mcp-rollout drill --environment staging`), or add --allow-production during an agreed game day.',
    );
  }
  const alarm = stringOption(options, 'alarm') ?? alarmName(ctx.environment, 'canary', KPIS.llmSuccessRate.slug, 'trigger');
  const stack = await describeServiceStack(ctx);
  const functionName = stack.outputs.rollbackFunctionName;

  const described = await aws(`reading alarm ${alarm} (cloudwatch:DescribeAlarms)`, () =>
    ctx.clients.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [alarm], AlarmTypes: ['MetricAlarm'] })),
  );
  const target = described.MetricAlarms?.[0];
  const invokesFunction = (target?.AlarmActions ?? []).some((arn) => arn.includes(':lambda:') && arn.includes(`:function:${functionName}`));
  if (!target || !invokesFunction) {
    throw new UsageError(
      `--alarm ${alarm} ${target ? 'does not invoke the rollback function' : 'does not exist'}; a drill needs a trigger alarm of ${ctx.environment}, e.g. ${alarmName(ctx.environment, 'canary', KPIS.errorRate.slug, 'trigger')}`,
      `List them: aws cloudwatch describe-alarms --alarm-name-prefix ${alarmNamePrefix(ctx.environment)} --query "MetricAlarms[?ends_with(AlarmName, '-trigger')].AlarmName"`,
    );
  }
  if (target.StateValue === 'ALARM') {
    throw new Refusal(`${alarm} is already in ALARM: forcing it changes nothing, so the drill would measure nothing`, 'Wait until it is OK, or pick another trigger with --alarm.');
  }
  const latch = await readLatch(ctx, stack);
  if (latch.latched) {
    throw new Refusal(
      `${ctx.environment} is already rolled back (latch ${describeLatch(latch)}): the function would find nothing to do`,
      `Resume first (npx mcp-rollout resume --environment ${ctx.environment} --confirm), then drill.`,
    );
  }
  const before = await readSafeState(ctx, stack);
  if (before.trafficOnStable) ctx.report.warn('the canary gets 0 % already: the drill times the flags and the latch, the traffic step has nothing to move.');

  if (ctx.signal.aborted) throw new Interrupted();
  const startedAt = ctx.clock.now();
  await aws(`forcing ${alarm} into ALARM (cloudwatch:SetAlarmState)`, () =>
    ctx.clients.cloudwatch.send(
      new SetAlarmStateCommand({ AlarmName: alarm, StateValue: 'ALARM', StateReason: `mcp-rollout drill by ${ctx.user}: forced to time the automated rollback` }),
    ),
  );
  ctx.report.say(`Forced ${alarm} into ALARM; CloudWatch now invokes ${functionName}. Timing against the ${TIME_TO_SAFE.rollbackSeconds} s promise...`);

  let timeline;
  try {
    timeline = await watchUntilSafe(ctx, stack, startedAt, TIME_TO_SAFE.rollbackSeconds * 1000, 'drill');
  } catch (error) {
    if (error instanceof Interrupted) {
      throw new Interrupted(`${alarm} was forced into ALARM and the rollback function runs on its own; see npx mcp-rollout status --environment ${ctx.environment}.`);
    }
    throw error;
  }
  const pollMs = ctx.config.flags.agentPollIntervalSeconds * 1000;
  const safe = isSafe(timeline.last);
  const everyTaskMs = timeline.flagsOffMs === undefined ? undefined : timeline.flagsOffMs + pollMs;
  const safeMs = Math.max(timeline.trafficOnStableMs ?? Infinity, everyTaskMs ?? Infinity, timeline.latchSetMs ?? Infinity);
  const kept = safe && safeMs <= TIME_TO_SAFE.rollbackSeconds * 1000;
  const at = (ms: number | undefined) => (ms === undefined ? 'not seen' : `+${formatDuration(ms)}`);
  const verdict = (ms: number | undefined, budgetSeconds: number) => (ms !== undefined && ms <= budgetSeconds * 1000 ? 'within' : 'OVER');
  const summary = [
    `Drill on ${ctx.environment}: ${kept ? `safe in ${formatDuration(safeMs)}, within the 5-minute promise` : 'the 5-minute promise was NOT kept'}.`,
    ...table([
      ['time', 'event', `budget (README "Time to safe")`],
      ['+0 ms', 'trigger alarm forced into ALARM (SetAlarmState)', ''],
      [at(timeline.trafficOnStableMs), 'all traffic on stable (canary weight 0)', `${TIME_TO_SAFE.trafficOnStableSeconds} s: ${verdict(timeline.trafficOnStableMs, TIME_TO_SAFE.trafficOnStableSeconds)}`],
      [at(timeline.latchSetMs), 'latch set', ''],
      [
        at(timeline.flagsOffMs),
        `rollback flags off, deployment ${timeline.last.flagDeployment ? `#${timeline.last.flagDeployment.number} ${timeline.last.flagDeployment.state}` : 'none'}`,
        '',
      ],
      [at(everyTaskMs), `every task has the flags off (+ one agent poll, ${formatDuration(pollMs)})`, `${TIME_TO_SAFE.flagsOffEverywhereSeconds} s: ${verdict(everyTaskMs, TIME_TO_SAFE.flagsOffEverywhereSeconds)}`],
    ]),
    `${timeline.last.latchSet ? `${ctx.environment} stays rolled back, as after a real incident.` : `${ctx.environment} was not latched.`} ${alarm} returns to its real state at its next evaluation.`,
    timeline.last.trafficOnStable
      ? `Next: npx mcp-rollout resume --environment ${ctx.environment} --confirm`
      : `Next: the canary still gets ${timeline.last.weights.canary} %: roll back by hand now (npx mcp-rollout rollback --environment ${ctx.environment} --confirm), then read the function's logs (/aws/lambda/${functionName}).`,
  ];
  return {
    exitCode: kept ? EXIT_CODES.ok : EXIT_CODES.failed,
    summary,
    data: {
      alarm,
      promiseKept: kept,
      safeMs: Number.isFinite(safeMs) ? safeMs : null,
      timeline: { trafficOnStableMs: timeline.trafficOnStableMs ?? null, latchSetMs: timeline.latchSetMs ?? null, flagsOffMs: timeline.flagsOffMs ?? null, everyTaskMs: everyTaskMs ?? null },
      state: timeline.last,
    },
  };
}
