/** Metric windows for tests: per-minute values of each slot, built from a function of the minute. */
import { METRIC_WINDOW_FORMAT, slotSeries, type MetricWindow, type WindowAlarm, type WindowSeriesName } from '../../lib/shared/metric-window';
import type { EnvironmentName } from '../../lib/shared/environment-names';

export type MinuteValues = Partial<Record<WindowSeriesName, number | null>>;

/** What stable sends in a healthy minute at 10 %: 540 calls, 5 errors (0.93 %), p95 75 ms. */
export const STABLE_MINUTE: MinuteValues = {
  ToolCalls: 540, ToolCallSuccesses: 535, ToolCallErrors: 5, EnumValidations: 324, EnumValidationFailures: 1,
  RequestCount: 540, HTTPCode_Target_5XX_Count: 0, TargetConnectionErrorCount: 0, TargetResponseTimeP95Ms: 75,
};

/** A healthy canary minute at 10 %: 60 calls, an error every other minute (15 in 30 minutes), p95 80 ms. */
export function canaryMinute(i: number): MinuteValues {
  const errors = i % 2 === 0 ? 1 : 0;
  return {
    ToolCalls: 60, ToolCallSuccesses: 60 - errors, ToolCallErrors: errors, EnumValidations: 36, EnumValidationFailures: 0,
    RequestCount: 60, HTTPCode_Target_5XX_Count: 0, TargetConnectionErrorCount: 0, TargetResponseTimeP95Ms: 80,
  };
}

export interface WindowSpec {
  readonly minutes: number;
  readonly stable?: (minute: number) => MinuteValues;
  readonly canary?: (minute: number) => MinuteValues;
  readonly canaryPercent?: number;
  readonly environment?: EnvironmentName;
  readonly start?: string;
  readonly alarms?: readonly WindowAlarm[];
}

export const WINDOW_START = '2026-11-28T10:00:00.000Z';

export function windowOf(spec: WindowSpec): MetricWindow {
  const series = (values: (minute: number) => MinuteValues) =>
    slotSeries((name) => Array.from({ length: spec.minutes }, (_, i) => values(i)[name] ?? null));
  return {
    format: METRIC_WINDOW_FORMAT,
    environment: spec.environment ?? 'production',
    canaryPercent: spec.canaryPercent ?? 10,
    start: spec.start ?? WINDOW_START,
    periodSeconds: 60,
    slots: { stable: series(spec.stable ?? (() => STABLE_MINUTE)), canary: series(spec.canary ?? canaryMinute) },
    alarms: spec.alarms ?? [],
  };
}

