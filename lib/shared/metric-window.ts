/**
 * `mcp-rollout.metric-window/v1`: the per-period metrics of both slots over a bake window, and the
 * alarm transitions seen in it. `gate --record` writes one, `gate --replay` and the judge read one,
 * and the rollout engine builds one each minute. The file format is a documented contract
 * (README "Metric window files"):
 *
 * ```json
 * { "format": "mcp-rollout.metric-window/v1", "environment": "production", "canaryPercent": 10,
 *   "start": "2026-11-28T10:00:00.000Z", "periodSeconds": 60,
 *   "slots": { "stable": { "ToolCalls": [540, 538, null], ... }, "canary": { ... } },
 *   "alarms": [{ "name": "mcp-rollout-production-canary-error-rate-trigger", "state": "ALARM", "at": "..." }] }
 * ```
 * Each series has one value per period, oldest first; `null` means CloudWatch had no datapoint in
 * that period. The window covers the series' length times `periodSeconds` from `start`. Fields this
 * version does not know are ignored, so newer writers stay readable.
 *
 * Pure TypeScript, no aws-cdk-lib (D4).
 */
import { ENVIRONMENT_NAMES, SLOT_NAMES, type EnvironmentName, type SlotName } from './environment-names';
import { SLOT_COUNT_SOURCES, type SlotCountSource } from './kpi-formulas';

export const METRIC_WINDOW_FORMAT = 'mcp-rollout.metric-window/v1';

/** The per-period p95 of the slot's ALB TargetResponseTime, in milliseconds. */
export const P95_SERIES = 'TargetResponseTimeP95Ms';

/** Every series a slot holds: the counts the KPI formulas read, then the latency. */
export const WINDOW_SERIES: readonly WindowSeriesName[] = [...SLOT_COUNT_SOURCES, P95_SERIES];
export type WindowSeriesName = SlotCountSource | typeof P95_SERIES;

/** One value per period, oldest first; null where CloudWatch had no datapoint. */
export type Series = readonly (number | null)[];
export type SlotSeries = Readonly<Record<WindowSeriesName, Series>>;

export const ALARM_STATES = ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const;
export type AlarmStateValue = (typeof ALARM_STATES)[number];

/** An alarm's state from `at` on (a state change, or the state it already had). */
export interface WindowAlarm {
  readonly name: string;
  readonly state: AlarmStateValue;
  /** ISO 8601. */
  readonly at: string;
}

export interface MetricWindow {
  readonly format: typeof METRIC_WINDOW_FORMAT;
  readonly environment: EnvironmentName;
  /** The canary's share of traffic while the window was read. */
  readonly canaryPercent: number;
  /** ISO 8601: the start of the first period. */
  readonly start: string;
  readonly periodSeconds: number;
  readonly slots: Readonly<Record<SlotName, SlotSeries>>;
  readonly alarms: readonly WindowAlarm[];
}

/**
 * CloudWatch's standard resolution is one minute, which the reader writes; a window of hourly
 * periods is the coarsest useful. With periods longer than a minute the judge compares each
 * period's p95 where it would each minute's, and the per-period minimum scales with the length.
 */
const MAX_PERIOD_SECONDS = 3600;
/** At most a day of one-minute periods (the gate's longest window). */
const MAX_PERIODS = 1440;
const MAX_LISTED_PROBLEMS = 20;

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export class MetricWindowError extends Error {
  constructor(
    readonly problems: readonly string[],
    source?: string,
  ) {
    const shown = problems.slice(0, MAX_LISTED_PROBLEMS).map((p) => `  - ${p}`);
    if (problems.length > MAX_LISTED_PROBLEMS) shown.push(`  - and ${problems.length - MAX_LISTED_PROBLEMS} more`);
    super(`Invalid metric window${source ? ` ${source}` : ''}:\n${shown.join('\n')}`);
    this.name = 'MetricWindowError';
  }
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIsoTime(value: unknown): value is string {
  return typeof value === 'string' && ISO_TIME.test(value) && !Number.isNaN(Date.parse(value));
}

/** Every problem with a would-be window, each naming its field; empty when it is valid. */
export function metricWindowProblems(value: unknown): string[] {
  if (!isRecord(value)) return [`the window must be a JSON object, got ${Array.isArray(value) ? 'an array' : show(value)}`];
  const problems: string[] = [];
  if (value.format !== METRIC_WINDOW_FORMAT) problems.push(`format: must be "${METRIC_WINDOW_FORMAT}", got ${show(value.format)}`);
  if (typeof value.environment !== 'string' || !(ENVIRONMENT_NAMES as readonly string[]).includes(value.environment)) {
    problems.push(`environment: must be one of ${ENVIRONMENT_NAMES.join(', ')}, got ${show(value.environment)}`);
  }
  const percent = value.canaryPercent;
  if (typeof percent !== 'number' || !Number.isInteger(percent) || percent < 0 || percent > 100) {
    problems.push(`canaryPercent: must be an integer from 0 to 100, got ${show(percent)}`);
  }
  if (!isIsoTime(value.start)) problems.push(`start: must be an ISO 8601 time such as 2026-11-28T10:00:00.000Z, got ${show(value.start)}`);
  const period = value.periodSeconds;
  if (typeof period !== 'number' || !Number.isInteger(period) || period < 60 || period > MAX_PERIOD_SECONDS || period % 60 !== 0) {
    problems.push(`periodSeconds: must be a multiple of 60 from 60 to ${MAX_PERIOD_SECONDS} (CloudWatch's one-minute resolution), got ${show(period)}`);
  }
  problems.push(...slotProblems(value.slots));
  problems.push(...alarmProblems(value.alarms));
  return problems;
}

function slotProblems(slots: unknown): string[] {
  if (!isRecord(slots)) return [`slots: must be an object with "stable" and "canary", got ${show(slots)}`];
  const problems: string[] = [];
  let expected: { path: string; length: number } | undefined;
  for (const slot of SLOT_NAMES) {
    const series = slots[slot];
    if (!isRecord(series)) {
      problems.push(`slots.${slot}: must be an object with the series ${WINDOW_SERIES.join(', ')}, got ${show(series)}`);
      continue;
    }
    for (const name of WINDOW_SERIES) {
      const path = `slots.${slot}.${name}`;
      const values = series[name];
      if (!Array.isArray(values)) {
        problems.push(`${path}: must be an array with one value per period (a number, or null for no datapoint), got ${show(values)}`);
        continue;
      }
      if (values.length < 1 || values.length > MAX_PERIODS) {
        problems.push(`${path}: must have 1 to ${MAX_PERIODS} values (one per period), got ${values.length}`);
        continue;
      }
      if (expected === undefined) expected = { path, length: values.length };
      else if (values.length !== expected.length) {
        problems.push(`${path}: has ${values.length} values, but ${expected.path} has ${expected.length}: every series needs one value per period`);
      }
      values.forEach((v: unknown, i) => {
        if (v === null) return;
        if (name === P95_SERIES) {
          if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) problems.push(`${path}[${i}]: must be milliseconds of 0 or more, or null, got ${show(v)}`);
        } else if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
          problems.push(`${path}[${i}]: must be a whole number of 0 or more, or null, got ${show(v)}`);
        }
      });
    }
  }
  return problems;
}

function alarmProblems(alarms: unknown): string[] {
  // Optional: absent, or null as some writers serialize a missing list.
  if (alarms === undefined || alarms === null) return [];
  if (!Array.isArray(alarms)) return [`alarms: must be an array of { name, state, at }, got ${show(alarms)}`];
  const problems: string[] = [];
  alarms.forEach((a: unknown, i) => {
    const path = `alarms[${i}]`;
    if (!isRecord(a)) {
      problems.push(`${path}: must be an object { name, state, at }, got ${show(a)}`);
      return;
    }
    if (typeof a.name !== 'string' || a.name.length === 0) problems.push(`${path}.name: must be a non-empty string, got ${show(a.name)}`);
    if (!(ALARM_STATES as readonly unknown[]).includes(a.state)) problems.push(`${path}.state: must be one of ${ALARM_STATES.join(', ')}, got ${show(a.state)}`);
    if (!isIsoTime(a.at)) problems.push(`${path}.at: must be an ISO 8601 time such as 2026-11-28T10:14:00.000Z, got ${show(a.at)}`);
  });
  return problems;
}

/**
 * Validates a decoded window and returns it with only the fields this version knows. Throws a
 * MetricWindowError naming every bad field; `source` (a file name) prefixes the message.
 */
export function parseMetricWindow(value: unknown, source?: string): MetricWindow {
  const problems = metricWindowProblems(value);
  if (problems.length > 0) throw new MetricWindowError(problems, source);
  const v = value as Record<string, unknown> & { slots: Record<SlotName, Record<string, Series>>; alarms?: WindowAlarm[] | null };
  const slot = (name: SlotName): SlotSeries => slotSeries((series) => [...v.slots[name][series]!]);
  return {
    format: METRIC_WINDOW_FORMAT,
    environment: v.environment as EnvironmentName,
    canaryPercent: v.canaryPercent as number,
    start: v.start as string,
    periodSeconds: v.periodSeconds as number,
    slots: { stable: slot('stable'), canary: slot('canary') },
    alarms: (v.alarms ?? []).map((a) => ({ name: a.name, state: a.state, at: a.at })),
  };
}

/** Parses the text of a window file. */
export function parseMetricWindowJson(text: string, source?: string): MetricWindow {
  let decoded: unknown;
  try {
    decoded = JSON.parse(text);
  } catch (error) {
    throw new MetricWindowError([`not JSON: ${error instanceof Error ? error.message : String(error)}`], source);
  }
  return parseMetricWindow(decoded, source);
}

/** The window as a file: indented JSON with each series on one line. */
export function serializeMetricWindow(window: MetricWindow): string {
  return `${JSON.stringify(window, null, 2).replace(/\[\s*((?:-?[\d.e+-]+|null)(?:,\s*(?:-?[\d.e+-]+|null))*)\s*\]/g, (_m, inner: string) => `[${inner.split(/,\s*/).join(', ')}]`)}\n`;
}

/** A slot's series, each made by `make`. */
export function slotSeries(make: (name: WindowSeriesName) => Series): SlotSeries {
  return Object.fromEntries(WINDOW_SERIES.map((name) => [name, make(name)])) as unknown as SlotSeries;
}

/** How many periods the window holds. */
export function windowPeriods(window: MetricWindow): number {
  return window.slots.stable[WINDOW_SERIES[0]!].length;
}

export function windowStartMs(window: MetricWindow): number {
  return Date.parse(window.start);
}

/** The end of the last period: start + periods x periodSeconds. */
export function windowEndMs(window: MetricWindow): number {
  return windowStartMs(window) + windowPeriods(window) * window.periodSeconds * 1000;
}

/** The first `periods` periods of a window (what the judge saw at an earlier look). */
export function windowPrefix(window: MetricWindow, periods: number): MetricWindow {
  const cut = (s: SlotSeries): SlotSeries => slotSeries((name) => s[name].slice(0, periods));
  return { ...window, slots: { stable: cut(window.slots.stable), canary: cut(window.slots.canary) } };
}
