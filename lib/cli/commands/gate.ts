/**
 * `gate`: the seed's "monitor for 30 minutes, verify success rate >= 95 %" as a decision a
 * pipeline can act on. It waits out the bake window, showing the canary's and stable's KPIs, and
 *  - fails (exit 1) as soon as a critical or trigger alarm fires, or the environment is rolled
 *    back, and at the end when the canary's LLM success rate over the window is below the target;
 *  - is inconclusive (exit 2) when the canary saw too few tool calls to judge, or gets no traffic;
 *  - passes (exit 0) otherwise.
 * It changes nothing, so Ctrl-C at any moment is safe.
 */
import { KPI_IDS, KPIS, kpiLevel, PHASE_BAKE_MINUTES, type KpiId } from '../../shared/metrics-contract';
import type { EnvironmentCommand } from '../command';
import type { CommandContext } from '../context';
import { EXIT_CODES, UsageError, type ExitCode } from '../errors';
import { alarmsFiredSince, kpisOf, readWindow, type FiredAlarm, type SlotCounts, type SlotKpis } from '../kpi-window';
import { describeLatch } from '../latch-text';
import { readFiringPagingAlarms, readLatch, readWeights } from '../live-state';
import { countOption, ratePercentOption, stringOption, windowOption } from '../option-values';
import { formatDuration, formatMs, formatPercent, progressBar, table, type CommandResult } from '../output';
import { describeServiceStack } from '../service-stack';

export const gateCommand: EnvironmentCommand = {
  name: 'gate',
  scope: 'environment',
  usage: 'gate --environment <name> [--window 30m] [--min-success 95] [--min-requests N]',
  summary: 'wait out the bake window and decide: exit 0 pass, 1 fail, 2 inconclusive',
  options: {
    window: { type: 'string', value: '<duration>', help: 'bake window, e.g. 30m or 1h (default: 30m at 10 %, 60m at 50 %)' },
    'min-success': { type: 'string', value: '<percent>', help: "the canary's LLM success rate must be at least this (default: the KPI target, 95)" },
    'min-requests': { type: 'string', value: '<count>', help: 'canary tool calls the window must see (default: minimumSamplesPerMinute x window minutes)' },
  },
  run: (ctx, { options }) => gate(ctx, options),
};

type Options = Readonly<Record<string, string | boolean | undefined>>;
type Verdict = 'pass' | 'fail' | 'inconclusive';

const POLL_MS = 60_000;
const EXIT_BY_VERDICT: Record<Verdict, ExitCode> = { pass: EXIT_CODES.ok, fail: EXIT_CODES.failed, inconclusive: EXIT_CODES.inconclusive };

export async function gate(ctx: CommandContext, options: Options): Promise<CommandResult> {
  // The whole command line is checked before the first AWS call.
  const windowText = stringOption(options, 'window');
  const explicitWindowMs = windowText === undefined ? undefined : windowOption('window', windowText);
  const minSuccessText = stringOption(options, 'min-success');
  const minSuccess = minSuccessText === undefined ? ctx.config.thresholds.llmSuccessRate.target : ratePercentOption('min-success', minSuccessText);
  const minRequestsText = stringOption(options, 'min-requests');
  const explicitMinCalls = minRequestsText === undefined ? undefined : countOption('min-requests', minRequestsText);

  const stack = await describeServiceStack(ctx);
  const percent = stack.parameters.canaryTraffic;
  const bakeMinutes = PHASE_BAKE_MINUTES[percent];
  if (explicitWindowMs === undefined && bakeMinutes === undefined) {
    throw new UsageError(`--window is required when the canary serves ${percent} %: the seed's phases bake 30m at 10 % and 60m at 50 %`);
  }
  const windowMs = explicitWindowMs ?? (bakeMinutes ?? 0) * 60_000;
  const minCalls = explicitMinCalls ?? ctx.config.minimumSamplesPerMinute * Math.ceil(windowMs / 60_000);

  const criteria = { windowMs, minSuccess, minCalls, canaryPercent: percent };
  const latch = await readLatch(ctx, stack);
  if (latch.latched) return decided(ctx, 'fail', [`${ctx.environment} is rolled back (latch ${describeLatch(latch)})`], criteria);
  const weights = await readWeights(ctx, stack);
  if (weights.canary === 0) {
    return decided(ctx, 'inconclusive', [`the canary gets 0 % of traffic: there is nothing to judge. Deploy a phase first (deploy --traffic 10).`], criteria);
  }
  const firingAtStart = await readFiringPagingAlarms(ctx);
  if (firingAtStart.length > 0) {
    return decided(ctx, 'fail', firingAtStart.map((a) => `${a.name} is in ALARM`), criteria);
  }

  const startMs = ctx.clock.now();
  const endMs = startMs + windowMs;
  ctx.report.say(
    `Gate on ${ctx.environment}: canary at ${weights.canary} %, baking ${formatDuration(windowMs)} until ${new Date(endMs).toISOString()}; needs LLM success >= ${minSuccess} % over >= ${minCalls} canary tool calls, no critical or trigger alarm.`,
  );
  let counts: Record<'stable' | 'canary', SlotCounts>;
  let fired: FiredAlarm[] = [];
  let latchedDuring = false;
  for (;;) {
    const now = ctx.clock.now();
    counts = await readWindow(ctx, stack, startMs, now);
    fired = await alarmsFiredSince(ctx, startMs, now);
    const latchNow = await readLatch(ctx, stack);
    latchedDuring = latchNow.latched;
    ctx.report.progress(progressLine(ctx, now - startMs, windowMs, counts, fired));
    if (fired.length > 0 || latchedDuring || now >= endMs) break;
    await ctx.clock.sleep(Math.min(POLL_MS, endMs - now), ctx.signal);
  }

  const canary = kpisOf(counts.canary);
  const reasons: string[] = [];
  let verdict: Verdict;
  if (fired.length > 0 || latchedDuring) {
    verdict = 'fail';
    reasons.push(...fired.map((f) => `${f.name} went into ALARM at ${f.at.toISOString()}`));
    if (latchedDuring) reasons.push(`${ctx.environment} was rolled back during the window`);
  } else if (counts.canary.toolCalls < minCalls) {
    verdict = 'inconclusive';
    reasons.push(`the canary saw ${counts.canary.toolCalls} tool calls, fewer than the ${minCalls} needed to judge`);
  } else if ((canary.llmSuccessRate ?? 0) < minSuccess) {
    verdict = 'fail';
    reasons.push(`the canary's LLM success rate was ${formatPercent(canary.llmSuccessRate)}, below ${minSuccess} %`);
  } else {
    verdict = 'pass';
  }
  return decided(ctx, verdict, reasons, criteria, { counts, fired, latchedDuring, elapsedMs: ctx.clock.now() - startMs });
}

function progressLine(ctx: CommandContext, elapsedMs: number, windowMs: number, counts: Record<'stable' | 'canary', SlotCounts>, fired: readonly FiredAlarm[]): string {
  const slot = (name: 'stable' | 'canary') => {
    const k = kpisOf(counts[name]);
    return `${name} ${formatPercent(k.llmSuccessRate)} of ${counts[name].toolCalls} calls, p95 ${formatMs(counts[name].latestP95Ms)}, errors ${formatPercent(k.errorRate)}`;
  };
  return `gate ${ctx.environment} ${progressBar(elapsedMs / windowMs)} ${formatDuration(elapsedMs)}/${formatDuration(windowMs)} | ${slot('canary')} | ${slot('stable')} | ${fired.length > 0 ? `FIRED: ${fired.map((f) => f.name).join(', ')}` : 'alarms quiet'}`;
}

interface Criteria {
  readonly windowMs: number;
  readonly minSuccess: number;
  readonly minCalls: number;
  readonly canaryPercent: number;
}

interface Observed {
  readonly counts: Record<'stable' | 'canary', SlotCounts>;
  readonly fired: readonly FiredAlarm[];
  readonly latchedDuring: boolean;
  readonly elapsedMs: number;
}

const KPI_ROW_TITLES: Record<KpiId, string> = {
  llmSuccessRate: 'LLM success rate',
  responseTimeP95: 'response time p95 (worst minute)',
  errorRate: 'error rate',
  enumValidationSuccess: 'enumDescription validation',
  availability: 'availability',
};

function decided(ctx: CommandContext, verdict: Verdict, reasons: readonly string[], criteria: Criteria, observed?: Observed): CommandResult {
  const thresholds = ctx.config.thresholds;
  const header = `Gate ${ctx.environment}: ${verdict.toUpperCase()}${observed ? ` after ${formatDuration(observed.elapsedMs)} of a ${formatDuration(criteria.windowMs)} window` : ' before the window started'} (canary at ${criteria.canaryPercent} %)`;
  const lines = [header, ...reasons.map((r) => `  - ${r}`)];
  let kpis: Record<'stable' | 'canary', SlotKpis> | undefined;
  if (observed) {
    kpis = { stable: kpisOf(observed.counts.stable), canary: kpisOf(observed.counts.canary) };
    const success = kpis.canary.llmSuccessRate;
    lines.push(
      '',
      ...table([
        ['check', 'required', 'seen', 'result'],
        ['canary LLM success rate', `>= ${criteria.minSuccess} %`, formatPercent(success), success !== undefined && success >= criteria.minSuccess ? 'pass' : 'fail'],
        ['canary tool calls', `>= ${criteria.minCalls}`, String(observed.counts.canary.toolCalls), observed.counts.canary.toolCalls >= criteria.minCalls ? 'pass' : 'too few'],
        ['critical and trigger alarms', 'none fired', observed.fired.length > 0 ? observed.fired.map((f) => f.name).join(', ') : 'none', observed.fired.length > 0 ? 'fail' : 'pass'],
        ['rollback latch', 'clear', observed.latchedDuring ? 'set' : 'clear', observed.latchedDuring ? 'fail' : 'pass'],
      ]),
      '',
      ...table([
        ['KPI over the window', 'stable', 'canary', 'canary level', 'target'],
        ...KPI_IDS.map((id) => {
          const unit = KPIS[id].unit === 'milliseconds' ? formatMs : formatPercent;
          const value = kpis?.canary[id];
          const target = `${KPIS[id].higherIsBetter ? '>=' : '<='} ${thresholds[id].target}${KPIS[id].unit === 'milliseconds' ? ' ms' : ' %'}`;
          return [KPI_ROW_TITLES[id], unit(kpis?.stable[id]), unit(value), value === undefined ? 'no data' : kpiLevel(id, value, thresholds[id]), target];
        }),
        ['requests', String(observed.counts.stable.requests), String(observed.counts.canary.requests), '', ''],
      ]),
      '',
      'CloudWatch delivers metrics 1 to 3 minutes late: the newest minutes of the window may be missing.',
    );
  }
  const next: Record<Verdict, string> = {
    pass:
      criteria.canaryPercent >= 100
        ? `Next: npx mcp-rollout promote --environment ${ctx.environment}`
        : `Next: npx mcp-rollout deploy --environment ${ctx.environment} --traffic ${criteria.canaryPercent >= 50 ? 100 : 50}`,
    fail: `Next: npx mcp-rollout rollback --environment ${ctx.environment} --confirm (unless the automated rollback already ran: npx mcp-rollout status --environment ${ctx.environment})`,
    inconclusive: `Next: run the gate again with a longer --window, or lower --min-requests if this traffic level is normal`,
  };
  lines.push(next[verdict]);
  return {
    exitCode: EXIT_BY_VERDICT[verdict],
    summary: lines,
    data: {
      verdict,
      reasons,
      criteria,
      ...(observed ? { elapsedMs: observed.elapsedMs, counts: observed.counts, kpis, firedAlarms: observed.fired, latchedDuring: observed.latchedDuring } : {}),
    },
  };
}
