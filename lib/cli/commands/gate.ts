/**
 * `gate`: the seed's "monitor for 30 minutes, verify success rate >= 95 %" as a decision a
 * pipeline can act on, made by the canary judge (lib/shared/canary-judge.ts), the same pure
 * function the rollout engine calls. Every minute of the bake it reads the window so far with the
 * shared reader and judges it, showing both slots' KPIs, and
 *  - fails (exit 1) as soon as the judge fails (a critical or trigger alarm in ALARM, or a canary
 *    significantly worse than stable or than the KPI table), or the environment is rolled back;
 *  - is inconclusive (exit 2, the judge's hold) when the bake ends with too few samples to judge,
 *    or the canary gets no traffic;
 *  - passes (exit 0) when the bake ends and no check failed.
 * `--record FILE` writes the window it judged (mcp-rollout.metric-window/v1); `--replay FILE`
 * judges such a file offline, without any AWS call. It changes nothing: Ctrl-C is always safe.
 */
import { accessSync, constants as fsConstants, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { FALSE_ROLLBACK_BUDGET, judge, VERDICT_JSON, type Check, type Judgement, type JudgeOptions, type Verdict } from '../../shared/canary-judge';
import { MetricWindowError, parseMetricWindowJson, serializeMetricWindow, windowPeriods, windowStartMs, type MetricWindow } from '../../shared/metric-window';
import { loadBalancerDimension, MetricReadError, readMetricWindow, targetGroupDimension } from '../../shared/metric-window-reader';
import { KPI_IDS, KPIS, kpiLevel, PHASE_BAKE_MINUTES, type KpiId, type KpiThresholdTable } from '../../shared/metrics-contract';
import type { EnvironmentCommand } from '../command';
import type { CommandContext } from '../context';
import { CliError, EXIT_CODES, explainAwsError, Interrupted, UsageError, type ExitCode } from '../errors';
import { describeLatch } from '../latch-text';
import { readLatch, readWeights } from '../live-state';
import { countOption, ratePercentOption, stringOption, windowOption } from '../option-values';
import { formatDuration, formatMs, formatPercent, progressBar, table, type CommandResult } from '../output';
import { describeServiceStack, type ServiceStackState } from '../service-stack';
import { recordGate } from '../gate-record';

export const gateCommand: EnvironmentCommand = {
  name: 'gate',
  scope: 'environment',
  usage: 'gate --environment <name> [--window 30m] [--min-success 95] [--min-requests N] [--record FILE | --replay FILE]',
  summary: 'judge the canary against stable and the KPI table over the bake: exit 0 pass, 1 fail, 2 inconclusive',
  options: {
    window: { type: 'string', value: '<duration>', help: 'bake window, e.g. 30m or 1h (default: 30m at 10 %, 60m at 50 %; with --replay: the file\'s length)' },
    'min-success': { type: 'string', value: '<percent>', help: "the LLM success rate target the canary is judged against (default: the KPI table's, 95)" },
    'min-requests': { type: 'string', value: '<count>', help: 'canary tool calls and requests the window needs to judge (default: minimumSamplesPerMinute x window minutes)' },
    record: { type: 'string', value: '<file>', help: 'write the metric window the gate judged to FILE (mcp-rollout.metric-window/v1)' },
    replay: { type: 'string', value: '<file>', help: 'judge a recorded window offline, with no AWS call; the file names the environment, so --environment may be left out' },
  },
  // The issue writes `gate --replay FILE --json`: the file names its environment.
  environmentFrom: {
    alternative: '--replay FILE, whose window names it',
    read: (options) => {
      const file = stringOption(options, 'replay');
      return file === undefined ? undefined : { environment: readWindowFile(file).environment, source: `--replay ${file}` };
    },
  },
  run: async (ctx, { options }) => recordGate(ctx, await gate(ctx, options)),
};

type Options = Readonly<Record<string, string | boolean | undefined>>;

const POLL_MS = 60_000;
const EXIT_BY_VERDICT: Record<Verdict, ExitCode> = { pass: EXIT_CODES.ok, fail: EXIT_CODES.failed, hold: EXIT_CODES.inconclusive };

interface Criteria {
  readonly windowMs: number;
  readonly canaryPercent: number;
  readonly successTarget: number;
  /** Canary tool calls and requests the whole window needs. */
  readonly minimumSamples: number;
  readonly falseRollbackBudget: number;
}

export async function gate(ctx: CommandContext, options: Options): Promise<CommandResult> {
  // The whole command line is checked before the first AWS call (or file read).
  const windowText = stringOption(options, 'window');
  const explicitWindowMs = windowText === undefined ? undefined : windowOption('window', windowText);
  const minSuccessText = stringOption(options, 'min-success');
  const thresholds = withSuccessTarget(ctx.config.thresholds, minSuccessText === undefined ? undefined : ratePercentOption('min-success', minSuccessText));
  const minRequestsText = stringOption(options, 'min-requests');
  const minimumSamples = minRequestsText === undefined ? undefined : countOption('min-requests', minRequestsText);
  const record = stringOption(options, 'record');
  const replay = stringOption(options, 'replay');
  if (record !== undefined && replay !== undefined) {
    throw new UsageError('--record and --replay cannot be used together: --record writes the window the gate reads from AWS, --replay judges a written one');
  }
  if (record !== undefined) checkWritable(record);
  /** The bake runs windowMs from startMs; a look at lookMs (the window's end by default) is final once the bake is over. */
  const judgeOptions = (startMs: number, windowMs: number, lookMs?: number): JudgeOptions => ({
    thresholds,
    minimumSamplesPerMinute: ctx.config.minimumSamplesPerMinute,
    bake: { startMs, endMs: startMs + windowMs },
    ...(lookMs !== undefined ? { lookMs } : {}),
    ...(minimumSamples !== undefined ? { minimumSamples } : {}),
  });
  const criteria = (windowMs: number, canaryPercent: number, judgement?: Judgement): Criteria => ({
    windowMs,
    canaryPercent,
    successTarget: thresholds.llmSuccessRate.target,
    minimumSamples: judgement?.look.minimumSamples ?? minimumSamples ?? ctx.config.minimumSamplesPerMinute * Math.ceil(windowMs / 60_000),
    falseRollbackBudget: FALSE_ROLLBACK_BUDGET,
  });

  if (replay !== undefined) {
    const window = readRecordedWindow(ctx, replay);
    const windowMs = explicitWindowMs ?? windowPeriods(window) * window.periodSeconds * 1000;
    const judgement = judge(window, judgeOptions(windowStartMs(window), windowMs));
    return decided(ctx, judgement.verdict, judgement.reasons, criteria(windowMs, window.canaryPercent, judgement), { judgement, latchedDuring: false, replayedFrom: replay });
  }

  const stack = await describeServiceStack(ctx);
  const percent = stack.parameters.canaryTraffic;
  const bakeMinutes = PHASE_BAKE_MINUTES[percent];
  if (explicitWindowMs === undefined && bakeMinutes === undefined) {
    throw new UsageError(`--window is required when the canary serves ${percent} %: the seed's phases bake 30m at 10 % and 60m at 50 %`);
  }
  const windowMs = explicitWindowMs ?? (bakeMinutes ?? 0) * 60_000;

  const latch = await readLatch(ctx, stack);
  if (latch.latched) return decided(ctx, 'fail', [`${ctx.environment} is rolled back (latch ${describeLatch(latch)})`], criteria(windowMs, percent));
  const weights = await readWeights(ctx, stack);
  if (weights.canary === 0) {
    return decided(ctx, 'hold', ['the canary gets 0 % of traffic: there is nothing to judge. Deploy a phase first (deploy --traffic 10).'], criteria(windowMs, percent));
  }

  const startMs = ctx.clock.now();
  const endMs = startMs + windowMs;
  const wanted = criteria(windowMs, percent);
  ctx.report.say(
    `Gate on ${ctx.environment}: canary at ${weights.canary} %, baking ${formatDuration(windowMs)} until ${new Date(endMs).toISOString()}; judged every minute against stable and the KPI table (false-rollback budget ${wanted.falseRollbackBudget * 100} %), needs >= ${wanted.minimumSamples} canary tool calls and requests, no critical or trigger alarm.`,
  );
  let window: MetricWindow;
  let judgement: Judgement;
  let latchedDuring = false;
  for (;;) {
    const now = ctx.clock.now();
    window = await readLiveWindow(ctx, stack, startMs, now, weights.canary);
    judgement = judge(window, judgeOptions(startMs, windowMs, now));
    latchedDuring = (await readLatch(ctx, stack)).latched;
    ctx.report.progress(progressLine(ctx, now - startMs, windowMs, judgement));
    if (judgement.verdict === 'fail' || latchedDuring || now >= endMs) break;
    await ctx.clock.sleep(Math.min(POLL_MS, endMs - now), ctx.signal);
  }

  const reasons = [...judgement.reasons];
  let verdict = judgement.verdict;
  if (latchedDuring) {
    verdict = 'fail';
    reasons.push(`${ctx.environment} was rolled back during the window`);
  }
  if (record !== undefined) writeRecording(record, window);
  return decided(ctx, verdict, reasons, criteria(windowMs, percent, judgement), {
    judgement,
    latchedDuring,
    elapsedMs: ctx.clock.now() - startMs,
    ...(record !== undefined ? { recordedTo: record } : {}),
  });
}

/** The environment's table with the LLM success target of `--min-success`, if given. */
function withSuccessTarget(table: KpiThresholdTable, target: number | undefined): KpiThresholdTable {
  return target === undefined ? table : { ...table, llmSuccessRate: { ...table.llmSuccessRate, target } };
}

async function readLiveWindow(ctx: CommandContext, stack: ServiceStackState, startMs: number, endMs: number, canaryPercent: number): Promise<MetricWindow> {
  try {
    return await readMetricWindow(ctx.clients.cloudwatch, {
      environment: ctx.environment,
      canaryPercent,
      targets: {
        loadBalancer: loadBalancerDimension(stack.outputs.listenerArn),
        targetGroups: { stable: targetGroupDimension(stack.outputs.stableTargetGroupArn), canary: targetGroupDimension(stack.outputs.canaryTargetGroupArn) },
      },
      startMs,
      endMs,
      signal: ctx.signal,
    });
  } catch (error) {
    if (ctx.signal.aborted) throw new Interrupted();
    if (error instanceof MetricReadError) {
      throw new CliError(`reading the metric window failed: ${error.message}`, 'Run the gate again; if it persists, check the operator permissions in docs/RUNBOOK.md ("Permissions").');
    }
    throw explainAwsError(error, 'reading the metric window (cloudwatch:GetMetricData, DescribeAlarmHistory, DescribeAlarms)');
  }
}

function readRecordedWindow(ctx: CommandContext, file: string): MetricWindow {
  const window = readWindowFile(file);
  if (window.environment !== ctx.environment) {
    throw new UsageError(
      `--replay ${file} holds a window of ${window.environment}, not ${ctx.environment}: it is judged with that environment's thresholds`,
      `Run it with --environment ${window.environment}.`,
    );
  }
  return window;
}

/** A window file, read and checked; every problem is a UsageError (exit 64). */
function readWindowFile(file: string): MetricWindow {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--replay: cannot read ${file}: ${messageOf(error)}`, 'Give the path of a file written by `gate --record`.');
  }
  let window: MetricWindow;
  try {
    window = parseMetricWindowJson(text, `in ${file}`);
  } catch (error) {
    if (!(error instanceof MetricWindowError)) throw error;
    throw new UsageError(error.message, 'Fix the fields listed (README "Metric window files" has the format), or record the window again with `gate --record`.');
  }
  return window;
}

/** A file system error's message (Node's errors are not always instances of this realm's Error). */
function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}

/** Refuses a `--record` path that cannot be written before the bake starts, not after it. */
function checkWritable(file: string): void {
  try {
    accessSync(path.dirname(path.resolve(file)), fsConstants.W_OK);
  } catch (error) {
    throw new UsageError(`--record: cannot write ${file}: ${messageOf(error)}`, 'Give a file in an existing, writable directory.');
  }
}

/** Writes the window whole or not at all: a temporary file renamed over the target. */
function writeRecording(file: string, window: MetricWindow): void {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, serializeMetricWindow(window), { encoding: 'utf8', flag: 'w' });
    renameSync(temporary, file);
  } catch (error) {
    throw new CliError(`--record: writing ${file} failed: ${messageOf(error)}`, 'The verdict stands; run the gate again with a writable --record path to keep the window.');
  }
}

function progressLine(ctx: CommandContext, elapsedMs: number, windowMs: number, j: Judgement): string {
  const slot = (name: 'stable' | 'canary') => {
    const s = j.slots[name];
    return `${name} ${formatPercent(s.kpis.llmSuccessRate)} of ${s.counts.toolCalls} calls, p95 ${formatMs(s.kpis.responseTimeP95)}, errors ${formatPercent(s.kpis.errorRate)}`;
  };
  const alarms = j.alarms.length > 0 ? `IN ALARM: ${j.alarms.map((a) => a.name).join(', ')}` : 'alarms quiet';
  return `gate ${ctx.environment} ${progressBar(elapsedMs / windowMs)} ${formatDuration(elapsedMs)}/${formatDuration(windowMs)} | ${slot('canary')} | ${slot('stable')} | ${alarms} | ${VERDICT_JSON[j.verdict]}`;
}

interface Observed {
  readonly judgement: Judgement;
  readonly latchedDuring: boolean;
  readonly elapsedMs?: number;
  readonly recordedTo?: string;
  readonly replayedFrom?: string;
}

const KPI_ROW_TITLES: Record<KpiId, string> = {
  llmSuccessRate: 'LLM success rate',
  responseTimeP95: 'response time p95 (median minute)',
  errorRate: 'error rate',
  enumValidationSuccess: 'enumDescription validation',
  availability: 'availability',
};

const CHECK_TITLES: Record<KpiId, string> = {
  llmSuccessRate: 'LLM success rate',
  responseTimeP95: 'p95 per minute',
  errorRate: 'error rate',
  enumValidationSuccess: 'enumDescription validation',
  availability: 'availability',
};

/** One row of the checks table: what was compared, the canary's numbers, p-value, level and result. */
function checkRow(c: Check): string[] {
  const title = `${CHECK_TITLES[c.kpi]} ${c.kind === 'vs-stable' ? 'vs stable' : `vs ${c.level?.name ?? 'level'}`}`;
  const latency = KPIS[c.kpi].unit === 'milliseconds';
  const higher = KPIS[c.kpi].higherIsBetter;
  const rate = (bad: number, of: number) => formatPercent(higher ? 100 - (100 * bad) / of : (100 * bad) / of);
  let against: string;
  let seen: string;
  if (c.kind === 'vs-stable') {
    against = latency ? 'stable + 20 %' : c.stable ? `stable ${rate(c.stable.bad, c.stable.of)}` : 'stable';
  } else {
    against = `${higher ? '>=' : '<='} ${c.level?.value ?? ''}${latency ? ' ms' : ' %'}`;
  }
  if (!c.canary || c.canary.of === 0) seen = 'n/a';
  else if (latency) seen = `${c.kind === 'vs-stable' ? 'worse' : 'above'} in ${c.canary.bad} of ${c.canary.of} min`;
  else seen = `${rate(c.canary.bad, c.canary.of)} (${c.canary.bad} of ${c.canary.of})`;
  const judged = c.result !== 'not-judged';
  return [title, against, seen, judged && c.pValue !== undefined ? probability(c.pValue) : '-', judged ? probability(c.alpha) : '-', c.result === 'not-judged' ? 'not judged' : c.result];
}

function probability(p: number): string {
  if (p === 0) return '0';
  return p >= 0.001 ? String(Number(p.toPrecision(2))) : p.toExponential(1);
}

function decided(ctx: CommandContext, verdict: Verdict, reasons: readonly string[], criteria: Criteria, observed?: Observed): CommandResult {
  const thresholds = ctx.config.thresholds;
  const j = observed?.judgement;
  const when = observed?.replayedFrom
    ? ` on the window replayed from ${observed.replayedFrom} (${formatDuration((j?.look.periods ?? 0) * 60_000)} of a ${formatDuration(criteria.windowMs)} bake)`
    : observed?.elapsedMs !== undefined
      ? ` after ${formatDuration(observed.elapsedMs)} of a ${formatDuration(criteria.windowMs)} window`
      : ' before the window started';
  const lines = [`Gate ${ctx.environment}: ${verdict === 'hold' ? 'INCONCLUSIVE' : verdict.toUpperCase()}${when} (canary at ${criteria.canaryPercent} %)`, ...reasons.map((r) => `  - ${r}`)];
  if (j && observed) {
    const alarms = j.alarms.map((a) => a.name).join(', ');
    lines.push(
      '',
      ...table([
        ['check', 'compared with', 'canary', 'p-value', 'alpha', 'result'],
        ...j.checks.map(checkRow),
        ['canary samples', `>= ${j.look.minimumSamples}`, `${j.slots.canary.counts.toolCalls} calls, ${j.slots.canary.counts.requests} requests`, '', '', j.slots.canary.counts.toolCalls >= j.look.minimumSamples && j.slots.canary.counts.requests >= j.look.minimumSamples ? 'ok' : 'too few'],
        ['critical and trigger alarms', 'none in ALARM', alarms || 'none', '', '', alarms ? 'fail' : 'ok'],
        ...(observed.replayedFrom ? [] : [['rollback latch', 'clear', observed.latchedDuring ? 'set' : 'clear', '', '', observed.latchedDuring ? 'fail' : 'ok']]),
      ]),
      '',
      ...table([
        ['KPI over the window', 'stable', 'canary', 'canary level', 'target'],
        ...KPI_IDS.map((id) => {
          const unit = KPIS[id].unit === 'milliseconds' ? formatMs : formatPercent;
          const value = j.slots.canary.kpis[id];
          const target = `${KPIS[id].higherIsBetter ? '>=' : '<='} ${thresholds[id].target}${KPIS[id].unit === 'milliseconds' ? ' ms' : ' %'}`;
          return [KPI_ROW_TITLES[id], unit(j.slots.stable.kpis[id]), unit(value), value === undefined ? 'no data' : kpiLevel(id, value, thresholds[id]), target];
        }),
        ['requests', String(j.slots.stable.counts.requests), String(j.slots.canary.counts.requests), '', ''],
      ]),
      ...j.ignoredAlarms.map((a) => `Not counted: ${a.name} ${a.reason}.`),
      '',
      observed.replayedFrom
        ? 'Replayed offline: nothing was read from AWS.'
        : 'CloudWatch delivers metrics 1 to 3 minutes late: the newest minutes of the window may be missing.',
    );
    if (observed.recordedTo) lines.push(`Recorded the window to ${observed.recordedTo}; judge it again offline with --replay ${observed.recordedTo}.`);
  }
  const next: Record<Verdict, string> = {
    pass:
      criteria.canaryPercent >= 100
        ? `Next: npx mcp-rollout promote --environment ${ctx.environment}`
        : `Next: npx mcp-rollout deploy --environment ${ctx.environment} --traffic ${criteria.canaryPercent >= 50 ? 100 : 50}`,
    fail: `Next: npx mcp-rollout rollback --environment ${ctx.environment} --confirm (unless the automated rollback already ran: npx mcp-rollout status --environment ${ctx.environment})`,
    hold: `Next: run the gate again with a longer --window, or lower --min-requests if this traffic level is normal`,
  };
  if (!observed?.replayedFrom) lines.push(next[verdict]);
  return {
    exitCode: EXIT_BY_VERDICT[verdict],
    summary: lines,
    data: {
      verdict: VERDICT_JSON[verdict],
      reasons,
      criteria,
      ...(observed
        ? {
            ...(observed.elapsedMs !== undefined ? { elapsedMs: observed.elapsedMs } : {}),
            ...(observed.replayedFrom ? { replayedFrom: observed.replayedFrom } : {}),
            ...(observed.recordedTo ? { recordedTo: observed.recordedTo } : {}),
            look: observed.judgement.look,
            slots: observed.judgement.slots,
            checks: observed.judgement.checks,
            alarms: observed.judgement.alarms,
            ignoredAlarms: observed.judgement.ignoredAlarms,
            latchedDuring: observed.latchedDuring,
          }
        : {}),
    },
  };
}
