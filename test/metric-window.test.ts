import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  MetricWindowError,
  WINDOW_SERIES,
  metricWindowProblems,
  parseMetricWindow,
  parseMetricWindowJson,
  serializeMetricWindow,
  windowEndMs,
  windowPeriods,
  windowPrefix,
  type MetricWindow,
} from '../lib/shared/metric-window';

// The example of issue 13, with the canary's keys filled in and fields this version does not know
// (an extra series, an alarm reason, a top-level field).
const EXAMPLE_TEXT = readFileSync(path.join(__dirname, 'fixtures', 'issue-13-window.json'), 'utf8');
const example = () => JSON.parse(EXAMPLE_TEXT) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- edited JSON

describe('the metric window format', () => {
  test("accepts the issue's example, keeping nulls as no datapoint and dropping unknown fields", () => {
    const window = parseMetricWindowJson(EXAMPLE_TEXT, 'example.json');
    expect(window.slots.stable.ToolCalls).toEqual([540, 538, null]);
    expect(window.slots.canary.TargetResponseTimeP95Ms).toEqual([75, 82, null]);
    expect(Object.keys(window.slots.canary)).toEqual([...WINDOW_SERIES]);
    expect(window.alarms).toEqual([{ name: 'mcp-rollout-production-canary-error-rate-trigger', state: 'ALARM', at: '2026-11-28T10:14:00.000Z' }]);
    expect(Object.keys(window)).toEqual(['format', 'environment', 'canaryPercent', 'start', 'periodSeconds', 'slots', 'alarms']);
  });

  test('the window is the series length times the period', () => {
    const window = parseMetricWindowJson(EXAMPLE_TEXT);
    expect(windowPeriods(window)).toBe(3);
    expect(new Date(windowEndMs(window)).toISOString()).toBe('2026-11-28T10:03:00.000Z');
    expect(windowPeriods(windowPrefix(window, 2))).toBe(2);
    expect(windowPrefix(window, 2).slots.canary.ToolCalls).toEqual([60, 61]);
  });

  test('alarms are optional: a window without them has none', () => {
    const { alarms: _dropped, ...rest } = example();
    expect(parseMetricWindow(rest).alarms).toEqual([]);
  });

  test('"alarms": null is absent, as a writer that serializes a missing list as null means it', () => {
    expect(metricWindowProblems({ ...example(), alarms: null })).toEqual([]);
    expect(parseMetricWindow({ ...example(), alarms: null }).alarms).toEqual([]);
  });

  test('a written window reads back the same, one series per line', () => {
    const window = parseMetricWindowJson(EXAMPLE_TEXT);
    const text = serializeMetricWindow(window);
    expect(parseMetricWindowJson(text)).toEqual(window);
    expect(text).toContain('"ToolCalls": [540, 538, null],\n');
    expect(text.endsWith('}\n')).toBe(true);
  });

  type Edit = (w: Record<string, any>) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any -- edited JSON
  test.each<[string, Edit, string[]]>([
    ['a wrong format', (w) => ({ ...w, format: 'mcp-rollout.metric-window/v2' }), ['format: must be "mcp-rollout.metric-window/v1", got "mcp-rollout.metric-window/v2"']],
    ['no format', (w) => ({ ...w, format: undefined }), ['format: must be "mcp-rollout.metric-window/v1", got nothing']],
    ['an unknown environment', (w) => ({ ...w, environment: 'prod' }), ['environment: must be one of staging, production, got "prod"']],
    ['a canary percent above 100', (w) => ({ ...w, canaryPercent: 140 }), ['canaryPercent: must be an integer from 0 to 100, got 140']],
    ['a start that is not ISO 8601', (w) => ({ ...w, start: '28/11/2026 10:00' }), ['start: must be an ISO 8601 time such as 2026-11-28T10:00:00.000Z, got "28/11/2026 10:00"']],
    ['a 45-second period', (w) => ({ ...w, periodSeconds: 45 }), ["periodSeconds: must be a multiple of 60 from 60 to 3600 (CloudWatch's one-minute resolution), got 45"]],
    ['no slots', (w) => ({ ...w, slots: [] }), ['slots: must be an object with "stable" and "canary", got []']],
    ['a missing canary', (w) => ({ ...w, slots: { stable: w.slots.stable } }), [
      'slots.canary: must be an object with the series ToolCalls, ToolCallSuccesses, ToolCallErrors, EnumValidations, EnumValidationFailures, RequestCount, HTTPCode_Target_5XX_Count, TargetConnectionErrorCount, TargetResponseTimeP95Ms, got nothing',
    ]],
    ['a missing series', (w) => { delete w.slots.canary.RequestCount; return w; }, [
      'slots.canary.RequestCount: must be an array with one value per period (a number, or null for no datapoint), got nothing',
    ]],
    ['a series of another length', (w) => { w.slots.canary.ToolCallErrors = [1, 0]; return w; }, [
      'slots.canary.ToolCallErrors: has 2 values, but slots.stable.ToolCalls has 3: every series needs one value per period',
    ]],
    ['empty series', (w) => { for (const s of ['stable', 'canary']) for (const k of Object.keys(w.slots[s])) w.slots[s][k] = []; return w; }, [
      ...['stable', 'canary'].flatMap((s) => WINDOW_SERIES.map((k) => `slots.${s}.${k}: must have 1 to 1440 values (one per period), got 0`)),
    ]],
    ['a negative, a fractional and a text count', (w) => { w.slots.stable.ToolCalls = [-1, 2.5, '3']; return w; }, [
      'slots.stable.ToolCalls[0]: must be a whole number of 0 or more, or null, got -1',
      'slots.stable.ToolCalls[1]: must be a whole number of 0 or more, or null, got 2.5',
      'slots.stable.ToolCalls[2]: must be a whole number of 0 or more, or null, got "3"',
    ]],
    ['a latency in text', (w) => { w.slots.canary.TargetResponseTimeP95Ms = [75.5, 'fast', null]; return w; }, [
      'slots.canary.TargetResponseTimeP95Ms[1]: must be milliseconds of 0 or more, or null, got "fast"',
    ]],
    ['bad alarms', (w) => ({ ...w, alarms: [{ name: '', state: 'FIRING', at: 'soon' }, 'x'] }), [
      'alarms[0].name: must be a non-empty string, got ""',
      'alarms[0].state: must be one of OK, ALARM, INSUFFICIENT_DATA, got "FIRING"',
      'alarms[0].at: must be an ISO 8601 time such as 2026-11-28T10:14:00.000Z, got "soon"',
      'alarms[1]: must be an object { name, state, at }, got "x"',
    ]],
    ['alarms that are not a list', (w) => ({ ...w, alarms: { name: 'x' } }), ['alarms: must be an array of { name, state, at }, got {"name":"x"}']],
    ['an array instead of an object', () => [], ['the window must be a JSON object, got an array']],
  ])('rejects %s, naming the field', (_name, edit, problems) => {
    const value = edit(example());
    expect(metricWindowProblems(value)).toEqual(problems);
    expect(() => parseMetricWindow(value, 'in w.json')).toThrow(new MetricWindowError(problems, 'in w.json'));
  });

  test('the error message lists the problems under the file name, at most 20', () => {
    const w = example();
    for (const s of ['stable', 'canary']) for (const k of Object.keys(w.slots[s])) w.slots[s][k] = Array(25).fill(0);
    w.slots.stable.ToolCalls = Array(25).fill(-1);
    const error = (() => {
      try {
        parseMetricWindow(w, 'in w.json');
      } catch (e) {
        return e as MetricWindowError;
      }
      throw new Error('no error');
    })();
    expect(error.problems).toHaveLength(25);
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('Invalid metric window in w.json:');
    expect(lines[1]).toBe('  - slots.stable.ToolCalls[0]: must be a whole number of 0 or more, or null, got -1');
    expect(lines).toHaveLength(22);
    expect(lines[21]).toBe('  - and 5 more');
  });

  test('a file that is not JSON says so', () => {
    expect(() => parseMetricWindowJson('{"format": ', 'in w.json')).toThrow(/^Invalid metric window in w.json:\n {2}- not JSON: /);
  });

  test('the parsed window is a copy: editing the input afterwards changes nothing', () => {
    const input = example();
    const window: MetricWindow = parseMetricWindow(input);
    input.slots.canary.ToolCalls[0] = 999;
    expect(window.slots.canary.ToolCalls[0]).toBe(60);
  });
});
