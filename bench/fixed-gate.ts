/**
 * The gate as it was before the judge (lib/cli/commands/gate.ts at d42c669), kept as the bench's
 * baseline: it fails when a critical or trigger alarm fired, is inconclusive below
 * `minimumSamplesPerMinute x minutes` canary tool calls, and otherwise fails exactly when the
 * canary's LLM success rate over the window is below the target (95 %). It compares nothing with
 * stable and looks at no other KPI. Only `npm run bench` uses it.
 */
import type { MetricWindow } from '../lib/shared/metric-window';
import { windowPeriods } from '../lib/shared/metric-window';

export type FixedVerdict = 'pass' | 'fail' | 'inconclusive';

export function fixedThresholdGate(window: MetricWindow, minSuccessPercent: number, minimumSamplesPerMinute: number): FixedVerdict {
  // The old gate matched alarm names by suffix (lib/cli/live-state.ts isPagingAlarm).
  if (window.alarms.some((a) => a.state === 'ALARM' && (a.name.endsWith('-critical') || a.name.endsWith('-trigger')))) return 'fail';
  const sum = (values: readonly (number | null)[]) => values.reduce<number>((a, v) => a + (v ?? 0), 0);
  const calls = sum(window.slots.canary.ToolCalls);
  const minCalls = minimumSamplesPerMinute * Math.ceil((windowPeriods(window) * window.periodSeconds) / 60);
  if (calls < minCalls) return 'inconclusive';
  const success = calls > 0 ? Math.min(100, Math.max(0, (100 * sum(window.slots.canary.ToolCallSuccesses)) / calls)) : 0;
  return success < minSuccessPercent ? 'fail' : 'pass';
}
