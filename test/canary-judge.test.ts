import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CHECKS, FALSE_ROLLBACK_BUDGET, judge, lookAlpha, VERDICT_JSON, type Judgement } from '../lib/shared/canary-judge';
import { parseMetricWindowJson, slotSeries, windowPrefix } from '../lib/shared/metric-window';
import { alignedRange } from '../lib/shared/metric-window-reader';
import { SEED_THRESHOLDS } from '../lib/shared/metrics-contract';
import { canaryMinute, windowOf, type MinuteValues } from './helpers/windows';

// Expected p-values and bounds were computed independently with SciPy 1.17 (python3):
//   Fisher:  scipy.stats.fisher_exact([[a, nA - a], [b, nB - b]], alternative='greater')[1]
//   binomial: scipy.stats.binom.sf(k - 1, n, p);  Clopper-Pearson: scipy.stats.beta.ppf(alpha, k, n - k + 1)
//   spending: 2 * scipy.stats.norm.sf(scipy.stats.norm.isf(0.01 / 2) / sqrt(t))
const START = Date.parse('2026-11-28T10:00:00.000Z');
const MIN = 60_000;
/** A 30-minute bake from the window's start. */
const OPTIONS = { thresholds: SEED_THRESHOLDS, minimumSamplesPerMinute: 10, bake: { startMs: START, endMs: START + 30 * MIN } };
/** (0.05 - spending(29/30)) / 8: what the look completing a 30-minute bake spends on each check. */
const FINAL_ALPHA = 0.005150438739869412;

function close(actual: number | undefined, expected: number, digits = 9): void {
  expect(actual).toBeDefined();
  expect(Math.abs(actual! - expected) / Math.abs(expected)).toBeLessThan(10 ** -digits);
}
const check = (j: Judgement, kpi: string, kind: string) => j.checks.find((c) => c.kpi === kpi && c.kind === kind)!;

/** 54 errors in 30 minutes (3 %): 1 every fifth minute, 2 otherwise. */
const threePercent = (i: number): MinuteValues => {
  const errors = i % 5 === 0 ? 1 : 2;
  return { ...canaryMinute(i), ToolCallErrors: errors, ToolCallSuccesses: 60 - errors };
};

describe('a healthy canary over the 30-minute bake', () => {
  const j = judge(windowOf({ minutes: 30 }), OPTIONS);

  test('passes, with the numbers behind it', () => {
    expect(j.verdict).toBe('pass');
    expect(VERDICT_JSON[j.verdict]).toBe('pass');
    expect(j.reasons).toEqual([]);
    expect(j.look).toEqual({
      periods: 30,
      bakePeriods: 30,
      elapsedPeriods: 30,
      final: true,
      start: '2026-11-28T10:00:00.000Z',
      end: '2026-11-28T10:30:00.000Z',
      minimumSamples: 300,
      minimumSamplesPerPeriod: 10,
      alphaPerCheck: expect.any(Number),
    });
    close(j.look.alphaPerCheck, FINAL_ALPHA, 12);
    expect(j.slots.canary.counts).toEqual({ toolCalls: 1800, toolCallSuccesses: 1785, toolCallErrors: 15, enumValidations: 1080, enumValidationFailures: 0, requests: 1800, httpFailures: 0 });
    expect(j.slots.canary.kpis).toEqual({ llmSuccessRate: (100 * 1785) / 1800, responseTimeP95: 80, errorRate: (100 * 15) / 1800, enumValidationSuccess: 100, availability: 100 });
    expect(j.slots.stable.latencyMinutes).toBe(30);
    expect(j.slots.canary.worstP95Ms).toBe(80);
  });

  test('runs every check, each at the final level', () => {
    expect(j.checks.map((c) => [c.kpi, c.kind, c.result])).toEqual(CHECKS.map((c) => [c.kpi, c.kind, 'ok']));
    const success = check(j, 'llmSuccessRate', 'vs-stable');
    close(success.pValue, 0.6899910602583107); // Fisher 15/1800 vs 150/16200
    expect(success.canary).toEqual({ bad: 15, of: 1800 });
    expect(success.stable).toEqual({ bad: 150, of: 16200 });
    expect(success.detail).toBe('canary LLM success rate 99.17 % (15 failed of 1800) vs stable 99.07 % (150 of 16200): one-sided Fisher exact p = 0.69 > alpha 0.0052');
    const target = check(j, 'llmSuccessRate', 'vs-level');
    expect(target.level).toEqual({ name: 'target', value: 95 });
    close(target.pValue, 1.0); // binom.sf(14, 1800, 0.06): the 95 % target's 5 % failures, 20 % worse
    close(target.lowerBoundPercent, 100 * 0.0038502025159496012); // beta.ppf(FINAL_ALPHA, 15, 1786)
    close(check(j, 'errorRate', 'vs-level').pValue, 0.9447903172311524); // binom.sf(14, 1800, 0.012)
    expect(check(j, 'responseTimeP95', 'vs-stable').detail).toBe("canary p95 was more than 20 % above stable's in 0 of 30 minutes: sign test p = 1 > alpha 0.0052");
    expect(check(j, 'responseTimeP95', 'vs-level').detail).toBe('canary p95 was above the target 100 ms in 0 of 30 minutes: sign test p = 1 > alpha 0.0052');
  });
});

describe('a relative regression: tool errors 1 % -> 3 %, still above the success target', () => {
  const j = judge(windowOf({ minutes: 30, canary: threePercent }), OPTIONS);

  test('fails on both comparisons with stable and on the error-rate target, not on the success target', () => {
    expect(j.verdict).toBe('fail');
    close(check(j, 'errorRate', 'vs-stable').pValue, 1.386591548159079e-11); // Fisher 54/1800 vs 150/16200
    close(check(j, 'errorRate', 'vs-level').pValue, 2.527147572194147e-9); // binom.sf(53, 1800, 0.012)
    close(check(j, 'errorRate', 'vs-level').lowerBoundPercent, 100 * 0.02065223494287354); // beta.ppf(FINAL_ALPHA, 54, 1747)
    close(check(j, 'llmSuccessRate', 'vs-level').pValue, 0.9999999986430906); // binom.sf(53, 1800, 0.06)
    expect(check(j, 'llmSuccessRate', 'vs-level').result).toBe('ok');
    expect(j.reasons).toEqual([
      'canary LLM success rate 97.00 % (54 failed of 1800) vs stable 99.07 % (150 of 16200): one-sided Fisher exact p = 1.4e-11 <= alpha 0.0052',
      'canary error rate 3.00 % (54 failed of 1800) vs stable 0.93 % (150 of 16200): one-sided Fisher exact p = 1.4e-11 <= alpha 0.0052',
      'canary error rate 3.00 % (54 failed of 1800) vs the target 1 % (tested at 1.2 %, 20 % worse): exact binomial p = 2.5e-9 <= alpha 0.0052, significantly above it',
    ]);
  });

  test('ten minutes into the bake the evidence is not yet overwhelming: hold', () => {
    const early = judge(windowPrefix(windowOf({ minutes: 30, canary: threePercent }), 10), OPTIONS);
    expect(early.look.final).toBe(false);
    close(early.look.alphaPerCheck, 6.9673178644542e-7, 9); // (spending(10/30) - spending(9/30)) / 8
    close(check(early, 'errorRate', 'vs-stable').pValue, 8.203667204285202e-5); // Fisher 18/600 vs 50/5400
    expect(check(early, 'errorRate', 'vs-level').level).toEqual({ name: 'critical', value: 5 });
    expect(early.verdict).toBe('hold');
    expect(early.reasons).toEqual(['the bake runs until 2026-11-28T10:30:00.000Z: 10 of 30 minutes seen, no check failed so far']);
  });
});

describe('against the target, a rate fails only when significantly worse than the target by the 20 % tolerance', () => {
  // 50 % for 60 minutes, both slots at 216 errors in 18,000 requests (1.2 %): a service that meets
  // "< 1 %" sits at it, within noise, and the same margin as against stable applies.
  const minute = (i: number): MinuteValues => {
    const errors = i < 36 ? 4 : 3;
    return { ToolCalls: 300, ToolCallSuccesses: 300 - errors, ToolCallErrors: errors, EnumValidations: 180, EnumValidationFailures: 0, RequestCount: 300, HTTPCode_Target_5XX_Count: 0, TargetConnectionErrorCount: 0, TargetResponseTimeP95Ms: 75 };
  };
  const j = judge(windowOf({ minutes: 60, canaryPercent: 50, canary: minute, stable: minute }), { ...OPTIONS, bake: { startMs: START, endMs: START + 60 * MIN } });

  test('1.2 % over 18,000 requests is not significantly above 1 % + 20 %: it passes', () => {
    const target = check(j, 'errorRate', 'vs-level');
    close(target.pValue, 0.5092123786146503); // binom.sf(215, 18000, 0.012); against 1 % alone it would be 0.0048
    expect(target.level).toEqual({ name: 'target', value: 1 });
    expect(target.detail).toBe('canary error rate 1.20 % (216 failed of 18000) vs the target 1 % (tested at 1.2 %, 20 % worse): exact binomial p = 0.51 > alpha 0.0051');
    expect(j.verdict).toBe('pass');
  });

  test('the relative regression, 3 % errors, still fails against the target', () => {
    const regression = judge(windowOf({ minutes: 30, canary: threePercent }), OPTIONS);
    close(check(regression, 'errorRate', 'vs-level').pValue, 2.527147572194147e-9); // binom.sf(53, 1800, 0.012)
    expect(check(regression, 'errorRate', 'vs-level').result).toBe('fail');
  });
});

test('a severe regression fails at minute 5 of the bake', () => {
  const severe = (i: number): MinuteValues => ({ ...canaryMinute(i), ToolCallSuccesses: 48, ToolCallErrors: 12 });
  const j = judge(windowPrefix(windowOf({ minutes: 30, canary: severe }), 5), OPTIONS);
  expect(j.verdict).toBe('fail');
  close(j.look.alphaPerCheck, 3.478265656216277e-11, 9); // (spending(5/30) - spending(4/30)) / 8
  close(check(j, 'llmSuccessRate', 'vs-stable').pValue, 8.585413251489854e-43, 6); // Fisher 60/300 vs 25/2700
  // 20 % failures against the critical level's 15 %: not yet significant at this level.
  close(check(j, 'llmSuccessRate', 'vs-level').pValue, 0.011566615611012118); // binom.sf(59, 300, 0.15)
  expect(check(j, 'llmSuccessRate', 'vs-level').result).toBe('ok');
});

test('a latency regression fails on the per-minute p95, against stable and the target', () => {
  const j = judge(windowOf({ minutes: 30, canary: (i) => ({ ...canaryMinute(i), TargetResponseTimeP95Ms: 120 }) }), OPTIONS);
  expect(j.verdict).toBe('fail');
  close(check(j, 'responseTimeP95', 'vs-stable').pValue, 0.5 ** 30, 12);
  expect(j.reasons).toEqual([
    "canary p95 was more than 20 % above stable's in 30 of 30 minutes: sign test p = 9.3e-10 <= alpha 0.0052",
    'canary p95 was above the target 100 ms in 30 of 30 minutes: sign test p = 9.3e-10 <= alpha 0.0052',
  ]);
});

test('minutes below the per-minute minimum do not count for the p95 comparison', () => {
  // Every other canary minute has 5 requests (< 10) and a slow p95: only the 15 busy minutes compare.
  const canary = (i: number): MinuteValues => (i % 2 ? { ...canaryMinute(i), RequestCount: 5, TargetResponseTimeP95Ms: 900 } : canaryMinute(i));
  const j = judge(windowOf({ minutes: 30, canary }), OPTIONS);
  expect(check(j, 'responseTimeP95', 'vs-stable').canary).toEqual({ bad: 0, of: 15 });
  expect(j.slots.canary.worstP95Ms).toBe(80);
  expect(j.verdict).toBe('pass');
});

describe('holds', () => {
  test('no data is hold, never pass', () => {
    const j = judge(windowOf({ minutes: 30, canary: () => ({}) }), OPTIONS);
    expect(j.verdict).toBe('hold');
    expect(VERDICT_JSON[j.verdict]).toBe('inconclusive');
    expect(j.reasons).toEqual(['the canary saw 0 tool calls and 0 requests in 30 minutes, fewer than the 300 needed to judge']);
    expect(j.checks).toEqual([]);
  });

  test('below the minimum sample count, even a bad canary holds', () => {
    const j = judge(windowOf({ minutes: 30, canary: () => ({ ToolCalls: 5, ToolCallSuccesses: 0, RequestCount: 9 }) }), OPTIONS);
    expect(j.verdict).toBe('hold');
    expect(j.reasons).toEqual(['the canary saw 150 tool calls and 270 requests in 30 minutes, fewer than the 300 needed to judge']);
  });

  test('an explicit minimum replaces minimumSamplesPerMinute x minutes', () => {
    expect(judge(windowOf({ minutes: 30 }), { ...OPTIONS, minimumSamples: 2000 }).reasons).toEqual([
      'the canary saw 1800 tool calls and 1800 requests in 30 minutes, fewer than the 2000 needed to judge',
    ]);
  });

  test('without a stable baseline at 10 % it holds; at 100 % it judges on the levels alone', () => {
    const noStable = (percent: number) => judge(windowOf({ minutes: 30, stable: () => ({}), canaryPercent: percent }), OPTIONS);
    expect(noStable(10).verdict).toBe('hold');
    expect(noStable(10).reasons).toEqual(['stable saw 0 tool calls and 0 requests, fewer than the 300 needed as a baseline']);
    expect(noStable(10).checks).toEqual([]);
    expect(noStable(100).verdict).toBe('pass');
    expect(noStable(100).checks.filter((c) => c.kind === 'vs-stable').map((c) => c.result)).toEqual(['not-judged', 'not-judged', 'not-judged']);
  });

  test('a hold at the deadline is a fail', () => {
    const window = windowOf({ minutes: 30, canary: () => ({ ToolCalls: 5, ToolCallSuccesses: 5, RequestCount: 5 }) });
    expect(judge(window, { ...OPTIONS, deadlineMs: Date.parse('2026-11-28T10:31:00.000Z') }).verdict).toBe('hold');
    const late = judge(window, { ...OPTIONS, deadlineMs: Date.parse('2026-11-28T10:30:00.000Z') });
    expect(late.verdict).toBe('fail');
    expect(late.reasons).toEqual([
      'still inconclusive at the deadline 2026-11-28T10:30:00.000Z: the canary saw 150 tool calls and 150 requests in 30 minutes, fewer than the 300 needed to judge',
    ]);
  });

  test('too few enumDescription validations leave that KPI unjudged, not the gate', () => {
    const j = judge(windowOf({ minutes: 30, canary: (i) => ({ ...canaryMinute(i), EnumValidations: null, EnumValidationFailures: null }) }), OPTIONS);
    expect(j.verdict).toBe('pass');
    expect(check(j, 'enumValidationSuccess', 'vs-level')).toMatchObject({ result: 'not-judged', detail: 'canary enumDescription validation success: 0 samples, fewer than the 300 needed to judge' });
  });
});

describe('alarms', () => {
  const at = (minute: number) => new Date(Date.parse('2026-11-28T10:00:00.000Z') + minute * 60_000).toISOString();
  const withAlarms = (alarms: { name: string; state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'; at: string }[]) => judge(windowOf({ minutes: 30, alarms }), OPTIONS);

  test('a critical or trigger alarm of this environment in ALARM during the window fails', () => {
    const j = withAlarms([
      { name: 'mcp-rollout-production-canary-error-rate-trigger', state: 'ALARM', at: at(14) },
      { name: 'mcp-rollout-production-service-rollback-function-errors-critical', state: 'ALARM', at: at(20) },
    ]);
    expect(j.verdict).toBe('fail');
    expect(j.reasons).toEqual([
      'mcp-rollout-production-canary-error-rate-trigger was in ALARM at 2026-11-28T10:14:00.000Z',
      'mcp-rollout-production-service-rollback-function-errors-critical was in ALARM at 2026-11-28T10:20:00.000Z',
    ]);
    expect(j.alarms.map((a) => a.severity)).toEqual(['trigger', 'critical']);
  });

  test('fails even below the minimum sample count', () => {
    const j = judge(windowOf({ minutes: 30, canary: () => ({}), alarms: [{ name: 'mcp-rollout-production-canary-availability-critical', state: 'ALARM', at: at(2) }] }), OPTIONS);
    expect(j.verdict).toBe('fail');
  });

  test('an alarm already in ALARM when the window starts counts from the start', () => {
    expect(withAlarms([{ name: 'mcp-rollout-production-service-error-rate-critical', state: 'ALARM', at: at(-5) }]).reasons).toEqual([
      'mcp-rollout-production-service-error-rate-critical was in ALARM at 2026-11-28T10:00:00.000Z',
    ]);
  });

  test.each([
    ['a warning', [{ name: 'mcp-rollout-production-canary-error-rate-warning', state: 'ALARM' as const, at: at(3) }]],
    ["another environment's trigger", [{ name: 'mcp-rollout-staging-canary-error-rate-trigger', state: 'ALARM' as const, at: at(3) }]],
    ['a name outside the scheme', [{ name: 'mcp-rollout-production-critical', state: 'ALARM' as const, at: at(3) }]],
    ['a trigger that recovered before the window', [
      { name: 'mcp-rollout-production-canary-error-rate-trigger', state: 'ALARM' as const, at: at(-10) },
      { name: 'mcp-rollout-production-canary-error-rate-trigger', state: 'OK' as const, at: at(-2) },
    ]],
    ['a trigger that fired after the window', [{ name: 'mcp-rollout-production-canary-error-rate-trigger', state: 'ALARM' as const, at: at(30) }]],
    ['a trigger going OK inside the window', [{ name: 'mcp-rollout-production-canary-error-rate-trigger', state: 'OK' as const, at: at(3) }]],
  ])('ignores %s', (_name, alarms) => {
    expect(withAlarms(alarms).verdict).toBe('pass');
  });
});

test("the issue's example window passes: the trigger alarm fired after its three minutes", () => {
  const window = parseMetricWindowJson(readFileSync(path.join(__dirname, 'fixtures', 'issue-13-window.json'), 'utf8'));
  const j = judge(window, { thresholds: SEED_THRESHOLDS, minimumSamplesPerMinute: 10 });
  expect(j.verdict).toBe('pass');
  expect(j.look).toMatchObject({ periods: 3, bakePeriods: 3, minimumSamples: 30 });
  expect(j.slots.canary.counts.toolCalls).toBe(121);
  expect(j.alarms).toEqual([]);
  expect(j.ignoredAlarms).toEqual([
    { name: 'mcp-rollout-production-canary-error-rate-trigger', at: '2026-11-28T10:14:00.000Z', reason: 'went into ALARM at 2026-11-28T10:14:00.000Z, after the window ended at 2026-11-28T10:03:00.000Z' },
  ]);
});

test('an alarm that recovered before the window is ignored too, and says so', () => {
  const at = (minute: number) => new Date(START + minute * MIN).toISOString();
  const j = judge(windowOf({ minutes: 30, alarms: [
    { name: 'mcp-rollout-production-canary-error-rate-trigger', state: 'ALARM', at: at(-10) },
    { name: 'mcp-rollout-production-canary-error-rate-trigger', state: 'OK', at: at(-2) },
  ] }), OPTIONS);
  expect(j.verdict).toBe('pass');
  expect(j.ignoredAlarms).toEqual([
    { name: 'mcp-rollout-production-canary-error-rate-trigger', at: at(-10), reason: `was in ALARM from ${at(-10)} until ${at(-2)}, before the window began at ${at(0)}` },
  ]);
});

describe('looks as the engine takes them: a bake starting mid-minute, a look every 62 s, windows rounded out to whole minutes', () => {
  const bakeStart = START + 20_000;
  const bake = { startMs: bakeStart, endMs: bakeStart + 30 * MIN };
  const looks = Array.from({ length: 31 }, (_, j) => bakeStart + (j + 1) * 62_000).filter((_t, j, all) => j === 0 || all[j - 1]! < bake.endMs);
  const judged = looks.map((lookMs) => {
    const range = alignedRange({ startMs: bakeStart, endMs: lookMs });
    return judge(windowOf({ minutes: range.periods }), { ...OPTIONS, bake, lookMs });
  });

  test('only the first look at or after the bake\'s end is final, and only it can pass', () => {
    expect(judged.map((j) => j.look.final)).toEqual([...Array(judged.length - 1).fill(false), true]);
    expect(judged.map((j) => j.verdict)).toEqual([...Array(judged.length - 1).fill('hold'), 'pass']);
    expect(looks.at(-2)!).toBeLessThan(bake.endMs);
    expect(judged.at(-2)!.look).toMatchObject({ bakePeriods: 30, elapsedPeriods: 29, final: false });
  });

  test('all looks together spend at most the 5 % budget', () => {
    const spent = judged.reduce((sum, j) => sum + j.look.alphaPerCheck * CHECKS.length, 0);
    expect(spent).toBeLessThanOrEqual(FALSE_ROLLBACK_BUDGET + 1e-15);
    close(judged.at(-1)!.look.alphaPerCheck, FINAL_ALPHA, 12);
  });
});

describe('the minimum sample count stops growing at the end of the bake', () => {
  // 9 canary calls a minute: 270 in the 30-minute bake, which needs 300.
  const quiet = (i: number): MinuteValues => ({ ...canaryMinute(i), ToolCalls: 9, ToolCallSuccesses: 9, ToolCallErrors: 0, RequestCount: 9 });
  const at = (minutes: number) => judge(windowOf({ minutes, canary: quiet }), OPTIONS);

  test('during the bake it grows with the minutes seen', () => {
    expect(at(10).reasons).toEqual(['the canary saw 90 tool calls and 90 requests in 10 minutes, fewer than the 100 needed to judge']);
  });

  test('after it, the bake\'s 300 stay the bar: the hold turns into a verdict as calls come in', () => {
    expect(at(30).reasons).toEqual(['the canary saw 270 tool calls and 270 requests in 30 minutes, fewer than the 300 needed to judge']);
    expect(at(34)).toMatchObject({ verdict: 'pass', look: { minimumSamples: 300, final: true } });
  });
});

describe('periods longer than a minute', () => {
  // The same healthy 30 minutes as five-minute periods: every count summed, each period's p95 its own.
  const fiveMinutes = (spec: Parameters<typeof windowOf>[0]) => {
    const minutes = windowOf(spec);
    const group = (series: readonly (number | null)[], p95: boolean) =>
      Array.from({ length: series.length / 5 }, (_, i) => {
        const part = series.slice(i * 5, i * 5 + 5).filter((v): v is number => v !== null);
        return part.length === 0 ? null : p95 ? Math.max(...part) : part.reduce((a, b) => a + b, 0);
      });
    const slot = (s: (typeof minutes.slots)['canary']) => slotSeries((name) => group(s[name], name === 'TargetResponseTimeP95Ms'));
    return { ...minutes, periodSeconds: 300, slots: { stable: slot(minutes.slots.stable), canary: slot(minutes.slots.canary) } };
  };

  test('scale the per-period minimum and compare the p95 period by period', () => {
    const j = judge(fiveMinutes({ minutes: 30 }), OPTIONS);
    expect(j.verdict).toBe('pass');
    expect(j.look).toMatchObject({ periods: 6, bakePeriods: 6, minimumSamples: 300, minimumSamplesPerPeriod: 50 });
    expect(check(j, 'responseTimeP95', 'vs-stable').canary).toEqual({ bad: 0, of: 6 });
  });

  test('fewer periods, less power: 6 slow periods of 6 cannot fail the sign test at the final level (1/64 > 0.52 %)', () => {
    const j = judge(fiveMinutes({ minutes: 30, canary: (i) => ({ ...canaryMinute(i), TargetResponseTimeP95Ms: 120 }) }), OPTIONS);
    close(check(j, 'responseTimeP95', 'vs-stable').pValue, 1 / 64, 12);
    expect(check(j, 'responseTimeP95', 'vs-stable').result).toBe('ok');
  });
});

describe('the false-rollback budget', () => {
  test.each([1, 2, 30, 60])('the looks of a %d-minute bake spend exactly 5 % in all', (minutes) => {
    let spent = 0;
    for (let k = 1; k <= minutes; k++) spent += lookAlpha(k, minutes);
    expect(spent).toBeCloseTo(FALSE_ROLLBACK_BUDGET, 15);
  });

  test('the interim looks share 1 % and spend almost nothing early', () => {
    let interim = 0;
    for (let k = 1; k < 30; k++) interim += lookAlpha(k, 30);
    expect(interim).toBeCloseTo(0.00879649008104471, 15); // spending(29/30)
    expect(lookAlpha(1, 30)).toBeCloseTo(3.3714948854647196e-45, 55); // spending(1/30)
    expect(lookAlpha(30, 30)).toBeCloseTo(0.05 - 0.00879649008104471, 15);
  });
});
