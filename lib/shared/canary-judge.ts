/**
 * The canary judge (DESIGN.md D9): one pure function from a metric window, the KPI table, the
 * phase and the alarms to a verdict, `pass` (promote), `hold` (inconclusive) or `fail` (roll
 * back), with the numbers behind it. `mcp-rollout gate`, `gate --replay` and the rollout engine
 * call it alike. No aws-cdk-lib, no I/O (D4).
 *
 * ## What it decides
 * 1. An alarm of this environment at critical or trigger level in ALARM during the window fails,
 *    whatever the numbers say (issue 13's rule). Every such alarm counts, not only the KPI alarms:
 *    by choice, a critical alarm about the release machinery itself (the rollback function's
 *    errors) stops a release too, since no release should go on while something pages or while
 *    the rollback path is failing. Alarms in ALARM only outside the window are listed as ignored.
 * 2. Below the minimum sample count (the KPI formulas' rule, applied to the minutes of the bake
 *    seen so far, at most the whole bake: tool calls and requests of the canary, and of stable
 *    while it serves traffic) it holds. No data is hold, never pass. The count stops growing at the
 *    bake's end, so a hold after the bake turns into a verdict once the samples come in.
 * 3. Eight checks, each a one-sided test that the canary is worse:
 *    - against stable over the same window: the LLM success rate and the error rate with Fisher's
 *      exact test (the exact conditional test of two binomial proportions: given the total of
 *      failures, the canary's share is hypergeometric; Fisher 1935, Agresti 2002 §3.5). Exact at
 *      any count, so small canaries get no approximation error. A difference fails only when it is
 *      also at least RELATIVE_TOLERANCE (20 %) worse, so a huge window cannot roll back over a
 *      difference nobody would act on; that only narrows the rejection region, the level holds.
 *    - against stable, the p95 per minute: the minutes where both slots had the minimum requests are
 *      paired; a minute counts as worse when the canary's p95 exceeds stable's by more than 20 %,
 *      and an exact one-sided sign test asks whether that happens in more than half of the minutes
 *      (Conover, Practical Nonparametric Statistics 3rd ed. §3.4). Per-minute p95s cannot be
 *      pooled into a window p95; comparing minute pairs needs no distribution assumption.
 *    - against the KPI table, for the success rate, error rate, enumDescription validation and
 *      availability: an exact binomial test that the canary's failure rate exceeds the level, whose
 *      decision equals its exact one-sided Clopper-Pearson bound crossing the level (Clopper &
 *      Pearson 1934). Wilson's interval (Wilson 1927) is the better estimate on average, but its
 *      coverage drops below nominal when n x p is small (Brown, Cai & DasGupta 2001, Statistical
 *      Science 16:101-133), which is exactly where availability's 0.1 % lives, and a bound that
 *      undercovers would spend more false rollbacks than the budget says. The p95 is tested the
 *      same way per minute: above the level in more than half of the minutes (sign test).
 *    During the bake the absolute checks use the critical levels: only a canary that is
 *    significantly at a level that pages someone stops early. At the end of the bake they use the
 *    targets, with the RELATIVE_TOLERANCE on the failure share (1.2 % errors for the 1 % target,
 *    6 % failed calls for the 95 % success target): a service that meets a target runs at it, and
 *    a test against the target itself would roll a healthy canary back at its full level.
 * 4. Repeated looks. The engine judges every minute of a bake, and every look is a chance to roll
 *    back a healthy canary. The budget FALSE_ROLLBACK_BUDGET (5 % per gate) is spent by Boole's
 *    inequality, valid whatever the correlation between looks and checks: the looks before the end
 *    of the bake share INTERIM_BUDGET (1 %) along the Lan-DeMets O'Brien-Fleming-type spending
 *    function α(t) = 2 - 2Φ(z_{1-α/2}/√t) of the elapsed fraction t of the bake (Lan & DeMets 1983,
 *    Biometrika 70:659-663), so early looks need overwhelming evidence; the look that completes the
 *    bake gets the rest (about 4.1 % for a 30-minute bake). Each look's share is split equally
 *    over the eight checks. A look before the end can fail or hold, never pass.
 *    A look is final when the time it is taken (`lookMs`, the caller's end, before the reader rounds
 *    the window out to whole periods) reaches the bake's end. Before that, t is its whole elapsed
 *    periods over the bake's, kept below 1: looks at least a period apart have distinct t, so the
 *    interim looks spend at most α(1 - 1/periods) in all, however they fall.
 *    At or after the end, a look either has the samples and decides (pass or fail), or lacks them
 *    and runs no test (hold), so at most one look at the final level ever tests.
 * 5. A hold at or after the deadline is a fail: a canary that cannot be judged does not stay.
 *
 * The guarantee, P(fail | healthy canary) <= 5 % per gate, assumes independent requests; a burst of
 * correlated failures (one client retrying) counts as many. The alarms guard the same KPIs on
 * one-minute data independently. `npm run bench` measures the false-rollback and detection rates.
 */
import { SLOT_NAMES, type SlotName } from './environment-names';
import { countsFrom, KPI_FORMULAS, kpiValue, minimumSamples, rateOutcomes, sampleSources, type KpiCounts } from './kpi-formulas';
import { KPI_IDS, KPIS, type KpiId, type KpiThresholdTable } from './metrics-contract';
import { parseAlarmName } from './names';
import { P95_SERIES, windowEndMs, windowPeriods, windowStartMs, type MetricWindow, type SlotSeries } from './metric-window';
import { binomialUpperTail, clopperPearsonLower, fisherExactGreater, obrienFlemingSpending } from './statistics';

export type Verdict = 'pass' | 'hold' | 'fail';

/** The verdict as `--json` and the engine's events spell it. */
export const VERDICT_JSON: Readonly<Record<Verdict, 'pass' | 'fail' | 'inconclusive'>> = { pass: 'pass', hold: 'inconclusive', fail: 'fail' };

/** The most a gate may roll back a healthy canary: 5 %. */
export const FALSE_ROLLBACK_BUDGET = 0.05;
/** The part of the budget spent on looks before the bake ends. */
export const INTERIM_BUDGET = 0.01;
/** How much worse than stable the canary must be (a ratio) before a significant difference fails. */
export const RELATIVE_TOLERANCE = 0.2;

export type CheckKind = 'vs-stable' | 'vs-level';
export const CHECKS: readonly { readonly kpi: KpiId; readonly kind: CheckKind }[] = [
  { kpi: 'llmSuccessRate', kind: 'vs-stable' },
  { kpi: 'errorRate', kind: 'vs-stable' },
  { kpi: 'responseTimeP95', kind: 'vs-stable' },
  { kpi: 'llmSuccessRate', kind: 'vs-level' },
  { kpi: 'errorRate', kind: 'vs-level' },
  { kpi: 'enumValidationSuccess', kind: 'vs-level' },
  { kpi: 'availability', kind: 'vs-level' },
  { kpi: 'responseTimeP95', kind: 'vs-level' },
];

export interface JudgeOptions {
  /** The environment's KPI table (config). */
  readonly thresholds: KpiThresholdTable;
  readonly minimumSamplesPerMinute: number;
  /**
   * The bake the window belongs to (ms since the epoch). A look is final (the targets apply, a
   * pass becomes possible, the rest of the budget is spent) once `lookMs` reaches `endMs`.
   * @default - the window is the whole bake: from its start to its end
   */
  readonly bake?: { readonly startMs: number; readonly endMs: number };
  /**
   * When the look is taken: the end the caller asked for, before the reader rounded it up to a
   * whole period. @default - the window's end
   */
  readonly lookMs?: number;
  /** Samples the window needs, replacing minimumSamplesPerMinute x the minutes judged. */
  readonly minimumSamples?: number;
  /** A hold at or after this time (ms since the epoch, compared with `lookMs`) is a fail. */
  readonly deadlineMs?: number;
}

/** One of the eight checks at this look. */
export interface Check {
  readonly kpi: KpiId;
  readonly kind: CheckKind;
  readonly result: 'ok' | 'fail' | 'not-judged';
  /** What was compared, in words, with the numbers. */
  readonly detail: string;
  /** The one-sided significance level this look spends on this check. */
  readonly alpha: number;
  readonly pValue?: number;
  /** vs-level: the level (percent, or ms) and which one. */
  readonly level?: { readonly name: 'target' | 'critical'; readonly value: number };
  /** Rates: failures of samples; latency: minutes worse of minutes compared. */
  readonly canary?: { readonly bad: number; readonly of: number };
  readonly stable?: { readonly bad: number; readonly of: number };
  /** vs-level rates: the exact lower confidence bound of the canary's failure rate at 1 - alpha, percent. */
  readonly lowerBoundPercent?: number;
}

export interface SlotSummary {
  readonly counts: KpiCounts;
  /** Each KPI over the window (the response time: the median of the minutes with enough requests); undefined below the minimum. */
  readonly kpis: Readonly<Record<KpiId, number | undefined>>;
  /** Minutes with enough requests and a p95, and the worst of them (ms). */
  readonly latencyMinutes: number;
  readonly worstP95Ms?: number;
}

export interface AlarmInWindow {
  readonly name: string;
  readonly severity: 'critical' | 'trigger';
  /** When it was first in ALARM within the window (ISO 8601). */
  readonly at: string;
}

/** A critical or trigger alarm of this environment that was in ALARM, but not during the window. */
export interface IgnoredAlarm {
  readonly name: string;
  /** When it went into ALARM (ISO 8601). */
  readonly at: string;
  /** Why it does not count, with the times. */
  readonly reason: string;
}

export interface Judgement {
  readonly verdict: Verdict;
  readonly reasons: readonly string[];
  readonly look: {
    /** Periods in the window, and in the bake. */
    readonly periods: number;
    readonly bakePeriods: number;
    /** Whole periods of the bake elapsed at this look (the spending function's t is this / bakePeriods). */
    readonly elapsedPeriods: number;
    /** The look is at or after the bake's end: pass becomes possible and the targets apply. */
    readonly final: boolean;
    readonly start: string;
    readonly end: string;
    /** Canary tool calls and requests the window needs. */
    readonly minimumSamples: number;
    /** Requests a minute needs before its p95 counts. */
    readonly minimumSamplesPerPeriod: number;
    /** The level this look spends on each check. */
    readonly alphaPerCheck: number;
  };
  readonly slots: Readonly<Record<SlotName, SlotSummary>>;
  readonly checks: readonly Check[];
  readonly alarms: readonly AlarmInWindow[];
  /** Alarms the window lists in ALARM only outside it: they do not fail it. */
  readonly ignoredAlarms: readonly IgnoredAlarm[];
}

/** Judges a window. See the module comment for the statistics. */
export function judge(window: MetricWindow, options: JudgeOptions): Judgement {
  const periods = windowPeriods(window);
  const periodSeconds = window.periodSeconds;
  const periodMs = periodSeconds * 1000;
  const startMs = windowStartMs(window);
  const endMs = windowEndMs(window);
  const bake = options.bake ?? { startMs, endMs };
  const lookMs = options.lookMs ?? endMs;
  const bakePeriods = Math.max(1, Math.ceil((bake.endMs - bake.startMs) / periodMs));
  const final = lookMs >= bake.endMs;
  const elapsedPeriods = Math.max(0, Math.floor((lookMs - bake.startMs) / periodMs));
  // The samples needed grow with the bake and stop at the bake's end: a hold after the bake can
  // still turn into a verdict as samples come in, before the hold deadline.
  const judgedSeconds = Math.max(0, Math.min(lookMs, bake.endMs) - bake.startMs) / 1000;
  const minimum = options.minimumSamples ?? minimumSamples(options.minimumSamplesPerMinute, judgedSeconds);
  const perPeriod = minimumSamples(options.minimumSamplesPerMinute, periodSeconds);
  const alphaPerCheck = lookAlpha(final ? bakePeriods : elapsedPeriods, bakePeriods) / CHECKS.length;

  const counts = { stable: countsOf(window.slots.stable), canary: countsOf(window.slots.canary) };
  const p95 = { stable: eligibleP95(window.slots.stable, perPeriod), canary: eligibleP95(window.slots.canary, perPeriod) };
  const slots = Object.fromEntries(SLOT_NAMES.map((slot) => [slot, summarize(counts[slot], p95[slot], minimum)])) as Record<SlotName, SlotSummary>;
  const { alarms, ignoredAlarms } = alarmsInWindow(window, startMs, endMs);
  const look = {
    periods,
    bakePeriods,
    elapsedPeriods,
    final,
    start: new Date(startMs).toISOString(),
    end: new Date(endMs).toISOString(),
    minimumSamples: minimum,
    minimumSamplesPerPeriod: perPeriod,
    alphaPerCheck,
  };
  const decide = (verdict: Verdict, reasons: string[], checks: Check[] = []): Judgement => {
    if (verdict === 'hold' && options.deadlineMs !== undefined && lookMs >= options.deadlineMs) {
      return { verdict: 'fail', reasons: [`still inconclusive at the deadline ${new Date(options.deadlineMs).toISOString()}: ${reasons.join('; ')}`], look, slots, checks, alarms, ignoredAlarms };
    }
    return { verdict, reasons, look, slots, checks, alarms, ignoredAlarms };
  };

  const alarmReasons = alarms.map((a) => `${a.name} was in ALARM at ${a.at}`);
  const canary = slots.canary.counts;
  const short = [
    canary.toolCalls < minimum ? `${canary.toolCalls} tool calls` : undefined,
    canary.requests < minimum ? `${canary.requests} requests` : undefined,
  ].filter((s): s is string => s !== undefined);
  if (short.length > 0) {
    if (alarmReasons.length > 0) return decide('fail', alarmReasons);
    const minutes = Math.round((lookMs - bake.startMs) / 60_000);
    return decide('hold', [`the canary saw ${short.join(' and ')} in ${minutes} minutes, fewer than the ${minimum} needed to judge`]);
  }

  // Stable is the baseline while it serves traffic; at 100 % there is none, and the levels judge alone.
  // A missing baseline is part of the sample rule: no test runs, so a later look spends nothing twice.
  const stable = slots.stable.counts;
  const baseline = stable.toolCalls >= minimum && stable.requests >= minimum;
  if (!baseline && window.canaryPercent < 100) {
    if (alarmReasons.length > 0) return decide('fail', alarmReasons);
    return decide('hold', [`stable saw ${stable.toolCalls} tool calls and ${stable.requests} requests, fewer than the ${minimum} needed as a baseline`]);
  }
  const context: CheckContext = { counts, p95, thresholds: options.thresholds, alpha: alphaPerCheck, final, minimum, baseline };
  const checks = CHECKS.map((c) => (c.kind === 'vs-stable' ? compareWithStable(c.kpi, context) : compareWithLevel(c.kpi, context)));
  const failed = checks.filter((c) => c.result === 'fail').map((c) => c.detail);
  if (alarmReasons.length > 0 || failed.length > 0) return decide('fail', [...alarmReasons, ...failed], checks);
  if (!final) {
    const minutes = (ms: number) => Math.floor(ms / 60_000);
    const seen = `${minutes(lookMs - bake.startMs)} of ${minutes(bake.endMs - bake.startMs)} minutes seen`;
    return decide('hold', [`the bake runs until ${new Date(bake.endMs).toISOString()}: ${seen}, no check failed so far`], checks);
  }
  return decide('pass', [], checks);
}

/**
 * The level a look spends in all, by the whole periods of the bake elapsed: before the bake ends,
 * the O'Brien-Fleming-type increment of the interim budget over the last period, with t clipped
 * below 1 (an interim look never spends the final share); at or after the end, everything left of
 * the gate's budget. Looks at least a period apart have distinct elapsed periods, so the interim
 * looks spend at most α(1 - 1/bakePeriods) in all, whenever they fall.
 */
export function lookAlpha(elapsedPeriods: number, bakePeriods: number): number {
  const spent = (k: number) => obrienFlemingSpending(k / bakePeriods, INTERIM_BUDGET);
  if (elapsedPeriods >= bakePeriods) return FALSE_ROLLBACK_BUDGET - spent(bakePeriods - 1);
  const k = Math.min(elapsedPeriods, bakePeriods - 1);
  return k <= 0 ? 0 : spent(k) - spent(k - 1);
}

interface CheckContext {
  readonly counts: Readonly<Record<SlotName, KpiCounts>>;
  /** Each period's p95 (ms) where the slot had enough requests. */
  readonly p95: Readonly<Record<SlotName, readonly (number | undefined)[]>>;
  readonly thresholds: KpiThresholdTable;
  readonly alpha: number;
  readonly final: boolean;
  /** Samples the whole window needs. */
  readonly minimum: number;
  readonly baseline: boolean;
}

const LABELS: Readonly<Record<KpiId, string>> = {
  llmSuccessRate: 'LLM success rate',
  responseTimeP95: 'p95',
  errorRate: 'error rate',
  enumValidationSuccess: 'enumDescription validation success',
  availability: 'availability',
};

function compareWithStable(kpi: KpiId, c: CheckContext): Check {
  const base = { kpi, kind: 'vs-stable' as const, alpha: c.alpha };
  if (!c.baseline) return { ...base, result: 'not-judged', detail: `${LABELS[kpi]} vs stable: stable has too few samples` };
  if (KPI_FORMULAS[kpi].kind === 'latency') {
    const pairs = minutePairs(c.p95.canary, c.p95.stable);
    const worse = pairs.filter(([canary, stable]) => canary > stable * (1 + RELATIVE_TOLERANCE)).length;
    return signTest(base, worse, pairs.length, `canary p95 was more than ${percent(RELATIVE_TOLERANCE * 100, 0)} above stable's`, 'p95 vs stable: no minute where both slots had enough requests');
  }
  const canary = rateOutcomes(kpi, c.counts.canary);
  const stable = rateOutcomes(kpi, c.counts.stable);
  const pValue = fisherExactGreater(canary.bad, canary.samples, stable.bad, stable.samples);
  const canaryRate = canary.bad / canary.samples;
  const stableRate = stable.bad / stable.samples;
  const material = canaryRate > stableRate * (1 + RELATIVE_TOLERANCE);
  const fail = pValue <= c.alpha && material;
  const value = (bad: number, n: number) => (KPIS[kpi].higherIsBetter ? 100 - (100 * bad) / n : (100 * bad) / n);
  const why = pValue > c.alpha ? `p = ${sci(pValue)} > alpha ${sci(c.alpha)}` : material ? `p = ${sci(pValue)} <= alpha ${sci(c.alpha)}` : `p = ${sci(pValue)}, but less than ${percent(RELATIVE_TOLERANCE * 100, 0)} worse`;
  return {
    ...base,
    pValue,
    canary: { bad: canary.bad, of: canary.samples },
    stable: { bad: stable.bad, of: stable.samples },
    result: fail ? 'fail' : 'ok',
    detail: `canary ${LABELS[kpi]} ${percent(value(canary.bad, canary.samples))} (${canary.bad} failed of ${canary.samples}) vs stable ${percent(value(stable.bad, stable.samples))} (${stable.bad} of ${stable.samples}): one-sided Fisher exact ${why}`,
  };
}

function compareWithLevel(kpi: KpiId, c: CheckContext): Check {
  const t = c.thresholds[kpi];
  const level = c.final ? { name: 'target' as const, value: t.target } : { name: 'critical' as const, value: t.critical };
  const base = { kpi, kind: 'vs-level' as const, alpha: c.alpha, level };
  const higher = KPIS[kpi].higherIsBetter;
  if (KPI_FORMULAS[kpi].kind === 'latency') {
    const minutes = c.p95.canary.filter((v): v is number => v !== undefined);
    const over = minutes.filter((p95) => p95 > level.value).length;
    return signTest(base, over, minutes.length, `canary p95 was above the ${level.name} ${level.value} ms`, 'p95 vs level: no minute with enough canary requests');
  }
  const { samples, bad } = rateOutcomes(kpi, c.counts.canary);
  if (kpiValue(kpi, c.counts.canary, c.minimum) === undefined) {
    return { ...base, canary: { bad, of: samples }, result: 'not-judged', detail: `canary ${LABELS[kpi]}: ${samples} samples, fewer than the ${c.minimum} needed to judge` };
  }
  // The level as a failure rate: 95 % success allows 5 % failures; a 1 % error rate allows 1 %.
  // A service that meets a target sits at it ("< 1 %" errors is met at 1 %, within noise), so
  // against the target the failure rate must be significantly above it by RELATIVE_TOLERANCE, the
  // margin the comparisons with stable use: a busy bake cannot roll back a canary that is exactly
  // on target. A critical level pages someone: it is tested as it stands.
  const allowed = (higher ? 100 - level.value : level.value) / 100;
  const margin = level.name === 'target' ? 1 + RELATIVE_TOLERANCE : 1;
  const limit = Math.min(1, allowed * margin);
  const pValue = binomialUpperTail(bad, samples, limit);
  const fail = pValue <= c.alpha;
  const lowerBound = clopperPearsonLower(bad, samples, c.alpha);
  const shown = higher ? 100 - (100 * bad) / samples : (100 * bad) / samples;
  const side = higher ? 'below' : 'above';
  const tested = margin === 1 ? '' : ` (tested at ${Number((100 * (higher ? 1 - limit : limit)).toPrecision(4))} %, ${percent(RELATIVE_TOLERANCE * 100, 0)} worse)`;
  return {
    ...base,
    pValue,
    canary: { bad, of: samples },
    lowerBoundPercent: 100 * lowerBound,
    result: fail ? 'fail' : 'ok',
    detail: `canary ${LABELS[kpi]} ${percent(shown)} (${bad} failed of ${samples}) vs the ${level.name} ${level.value} %${tested}: exact binomial p = ${sci(pValue)} ${fail ? `<= alpha ${sci(c.alpha)}, significantly ${side} it` : `> alpha ${sci(c.alpha)}`}`,
  };
}

/**
 * The exact one-sided sign test: is a minute worse in more than half of the minutes? `worse` of
 * `minutes` against Binomial(minutes, 1/2).
 */
function signTest(base: Pick<Check, 'kpi' | 'kind' | 'alpha' | 'level'>, worse: number, minutes: number, what: string, none: string): Check {
  const counts = { canary: { bad: worse, of: minutes } };
  if (minutes === 0) return { ...base, ...counts, result: 'not-judged', detail: none };
  const pValue = binomialUpperTail(worse, minutes, 0.5);
  const fail = pValue <= base.alpha;
  return { ...base, ...counts, pValue, result: fail ? 'fail' : 'ok', detail: `${what} in ${worse} of ${minutes} minutes: sign test p = ${sci(pValue)} ${fail ? '<=' : '>'} alpha ${sci(base.alpha)}` };
}

function countsOf(series: SlotSeries): KpiCounts {
  return countsFrom('slot', (source) => total(series[source as keyof SlotSeries]));
}

function total(series: readonly (number | null)[] | undefined): number {
  let sum = 0;
  for (const v of series ?? []) sum += v ?? 0;
  return sum;
}

/** [canary, stable] p95 (ms) of each minute where both slots had enough requests. */
function minutePairs(canary: readonly (number | undefined)[], stable: readonly (number | undefined)[]): [number, number][] {
  const pairs: [number, number][] = [];
  canary.forEach((c, i) => {
    const s = stable[i];
    if (c !== undefined && s !== undefined) pairs.push([c, s]);
  });
  return pairs;
}

/**
 * Each period's p95 (ms, as the window holds it) where the period has the KPI formula's minimum
 * samples; undefined elsewhere, as the alarm reads those periods as healthy.
 */
function eligibleP95(series: SlotSeries, perPeriod: number): (number | undefined)[] {
  const samples = LATENCY_SAMPLE_SOURCES.map((source) => series[source]);
  return series[P95_SERIES].map((p95, i) => {
    let n = 0;
    for (const s of samples) n += s[i] ?? 0;
    return p95 !== null && n >= perPeriod ? p95 : undefined;
  });
}

const LATENCY_SAMPLE_SOURCES = sampleSources('responseTimeP95', 'slot') as readonly (keyof SlotSeries)[];

function summarize(counts: KpiCounts, p95: readonly (number | undefined)[], minimum: number): SlotSummary {
  const minutes = p95.filter((v): v is number => v !== undefined);
  const sorted = [...minutes].sort((a, b) => a - b);
  const median = sorted.length === 0 ? undefined : sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  const kpis = Object.fromEntries(KPI_IDS.map((id) => [id, KPI_FORMULAS[id].kind === 'latency' ? median : kpiValue(id, counts, minimum)])) as Record<KpiId, number | undefined>;
  return { counts, kpis, latencyMinutes: minutes.length, ...(sorted.length > 0 ? { worstP95Ms: sorted[sorted.length - 1]! } : {}) };
}

/**
 * This environment's critical and trigger alarms that were in ALARM at some time in [start, end):
 * a transition to ALARM inside the window, or ALARM as the last state known before it. Those in
 * ALARM only before the window (recovered before it began) or only from its end on are returned
 * as ignored, with the reason: the rule is the window, and the judgement says what it left out.
 */
function alarmsInWindow(window: MetricWindow, startMs: number, endMs: number): { alarms: AlarmInWindow[]; ignoredAlarms: IgnoredAlarm[] } {
  const byName = new Map<string, { state: string; at: number }[]>();
  for (const a of window.alarms) {
    const parts = parseAlarmName(a.name);
    if (parts?.environment !== window.environment || (parts.severity !== 'critical' && parts.severity !== 'trigger')) continue;
    byName.set(a.name, [...(byName.get(a.name) ?? []), { state: a.state, at: Date.parse(a.at) }]);
  }
  const found: AlarmInWindow[] = [];
  const ignored: IgnoredAlarm[] = [];
  const iso = (ms: number) => new Date(ms).toISOString();
  for (const [name, changes] of byName) {
    changes.sort((a, b) => a.at - b.at);
    const before = changes.filter((c) => c.at < startMs).at(-1);
    const inside = changes.find((c) => c.state === 'ALARM' && c.at >= startMs && c.at < endMs);
    const at = before?.state === 'ALARM' ? startMs : inside?.at;
    if (at !== undefined) {
      found.push({ name, severity: parseAlarmName(name)!.severity as 'critical' | 'trigger', at: iso(at) });
      continue;
    }
    const earlier = changes.filter((c) => c.state === 'ALARM' && c.at < startMs).at(-1);
    const later = changes.find((c) => c.state === 'ALARM' && c.at >= endMs);
    if (earlier) {
      const recovered = changes.find((c) => c.at > earlier.at && c.state !== 'ALARM') ?? before!;
      ignored.push({ name, at: iso(earlier.at), reason: `was in ALARM from ${iso(earlier.at)} until ${iso(recovered.at)}, before the window began at ${iso(startMs)}` });
    }
    if (later) ignored.push({ name, at: iso(later.at), reason: `went into ALARM at ${iso(later.at)}, after the window ended at ${iso(endMs)}` });
  }
  const byTime = <T extends { at: string; name: string }>(a: T, b: T) => a.at.localeCompare(b.at) || a.name.localeCompare(b.name);
  return { alarms: found.sort(byTime), ignoredAlarms: ignored.sort(byTime) };
}

function percent(value: number, digits = 2): string {
  return `${value.toFixed(digits)} %`;
}

/** A probability in two significant digits: 0.0052, 4.7e-9. */
function sci(p: number): string {
  if (p === 0) return '0';
  return p >= 0.001 ? String(Number(p.toPrecision(2))) : p.toExponential(1);
}
