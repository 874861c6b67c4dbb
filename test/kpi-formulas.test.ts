import { synthesize } from './helpers/app';
import { alarmsByName } from './helpers/alarms';
import { testConfig } from './helpers/config';
import { evaluateAlarm, type MetricLeaf } from './helpers/metric-math';
import {
  COUNT_SOURCES,
  SLOT_COUNT_SOURCES,
  alarmReading,
  countsFrom,
  kpiExpression,
  kpiFormulaText,
  kpiValue,
  minimumSamples,
  rateOutcomes,
  type CountSource,
} from '../lib/shared/kpi-formulas';
import { KPIS, KPI_IDS, type KpiId } from '../lib/shared/metrics-contract';

// Production on the seed's numbers: 10 samples a minute.
const alarms = alarmsByName(synthesize(testConfig()).service.production);

/** One minute of one slot's metrics, by CloudWatch metric name (TargetResponseTime p95 in seconds). */
type Minute = Partial<Record<CountSource | 'TargetResponseTime', number>>;

const canaryAlarmReads = (id: KpiId, m: Minute, severity: 'critical' | 'trigger' = 'critical') =>
  evaluateAlarm(alarms[`mcp-rollout-production-canary-${KPIS[id].slug}-${severity}`]!, (leaf: MetricLeaf) => m[leaf.metricName as keyof Minute]);
/** What the gate and the judge compute for the same minute (nothing but the shared module). */
const functionReads = (id: KpiId, m: Minute) => alarmReading(id, countsFrom('slot', (s) => m[s]), minimumSamples(10, 60), m.TargetResponseTime);

const BUSY: Minute = { ToolCalls: 200, ToolCallSuccesses: 190, ToolCallErrors: 6, EnumValidations: 100, EnumValidationFailures: 3, RequestCount: 200, HTTPCode_Target_5XX_Count: 2, TargetResponseTime: 0.12 };
const QUIET: Minute = { ToolCalls: 5, ToolCallSuccesses: 3, ToolCallErrors: 2, EnumValidations: 5, EnumValidationFailures: 1, RequestCount: 5, TargetResponseTime: 0.9 };
const REFUSED: Minute = { ToolCalls: 80, ToolCallSuccesses: 80, EnumValidations: 40, RequestCount: 100, TargetConnectionErrorCount: 20, TargetResponseTime: 0.05 };
const OVERCOUNTED: Minute = { ToolCalls: 50, ToolCallSuccesses: 53, EnumValidations: 10, EnumValidationFailures: 12, RequestCount: 20, HTTPCode_Target_5XX_Count: 25, TargetResponseTime: 0.2 };

// Expected values worked by hand from the KPI table.
describe.each([
  // success 190/200; error (6 + 2)/200; enum 100 - 3/100; availability 100 - 2/200.
  ['a busy minute', BUSY, { llmSuccessRate: 95, responseTimeP95: 120, errorRate: 4, enumValidationSuccess: 97, availability: 99 }],
  // 5 samples < 10: every KPI reads healthy, as the alarm does (the old gate read 60 %, 900 ms, 40 %, 80 %).
  ['a minute below the 10-sample minimum reads healthy', QUIET, { llmSuccessRate: 100, responseTimeP95: 0, errorRate: 0, enumValidationSuccess: 100, availability: 100 }],
  // The load balancer answers the 20 refused connections with 502s: errors, not only unavailability
  // (the old canary error rate read 0 %).
  ['a minute where the canary refuses 20 of 100 connections', REFUSED, { llmSuccessRate: 100, responseTimeP95: 50, errorRate: 20, enumValidationSuccess: 100, availability: 80 }],
  // Counts of one minute arrive separately: rates stay within 0 to 100 %.
  ['a minute whose counts overshoot', OVERCOUNTED, { llmSuccessRate: 100, responseTimeP95: 200, errorRate: 100, enumValidationSuccess: 0, availability: 0 }],
] as const)('%s', (_name, minute, expected) => {
  test.each(KPI_IDS)('%s: the synthesized alarm and the shared function read the same value', (id) => {
    expect(canaryAlarmReads(id, minute)).toBeCloseTo(expected[id], 9);
    expect(functionReads(id, minute)).toBeCloseTo(expected[id], 9);
  });
});

test('a trigger evaluates the same expression as its critical alarm', () => {
  for (const id of ['llmSuccessRate', 'errorRate', 'availability', 'responseTimeP95'] as const) {
    expect(canaryAlarmReads(id, BUSY, 'trigger')).toBeCloseTo(functionReads(id, BUSY)!, 9);
  }
});

test('the service sums both slots and adds the load balancer 5xx instead of connection errors', () => {
  // 100 requests; 3 tool errors (1 stable + 2 canary); 4 target 5xx; 5 ALB 5xx; 9 connection errors (already in the ALB 5xx).
  const values: Record<string, number> = { RequestCount: 100, ToolCallErrors: 0, HTTPCode_Target_5XX_Count: 4, HTTPCode_ELB_5XX_Count: 5, TargetConnectionErrorCount: 9 };
  const read = (leaf: MetricLeaf) => (leaf.metricName === 'ToolCallErrors' ? 1 : values[leaf.metricName]);
  const errorAlarm = alarms['mcp-rollout-production-service-error-rate-critical']!;
  // Each slot's ToolCallErrors leaf reads 1: 2 in all.
  expect(evaluateAlarm(errorAlarm, read)).toBeCloseTo((100 * (2 + 4 + 5)) / 100, 9);
  expect(evaluateAlarm(alarms['mcp-rollout-production-service-availability-critical']!, read)).toBeCloseTo(100 - (100 * (4 + 5)) / 100, 9);
  expect(COUNT_SOURCES.httpFailures).toEqual({
    slot: ['HTTPCode_Target_5XX_Count', 'TargetConnectionErrorCount'],
    service: ['HTTPCode_Target_5XX_Count', 'HTTPCode_ELB_5XX_Count'],
  });
});

describe('the minimum-sample rule', () => {
  test.each([
    [10, 60, 10],
    [10, 300, 50],
    [10, 1800, 300],
    [2, 60, 2],
    [1, 20, 1],
    [10, 90, 15],
  ])('%d a minute over %ds is %d samples', (perMinute, seconds, expected) => {
    expect(minimumSamples(perMinute, seconds)).toBe(expected);
  });

  test('below it a KPI has no value for the judge, and reads healthy for the alarm', () => {
    const counts = countsFrom('slot', (s) => QUIET[s]);
    expect(kpiValue('llmSuccessRate', counts, 10)).toBeUndefined();
    expect(alarmReading('llmSuccessRate', counts, 10)).toBe(100);
    expect(kpiValue('llmSuccessRate', counts, 5)).toBe(60);
  });
});

test('rate outcomes split the samples into good and bad in the direction the KPI is healthy', () => {
  const counts = countsFrom('slot', (s) => BUSY[s]);
  expect(rateOutcomes('llmSuccessRate', counts)).toEqual({ samples: 200, bad: 10 });
  expect(rateOutcomes('errorRate', counts)).toEqual({ samples: 200, bad: 8 });
  expect(rateOutcomes('enumValidationSuccess', counts)).toEqual({ samples: 100, bad: 3 });
  expect(rateOutcomes('availability', counts)).toEqual({ samples: 200, bad: 2 });
  expect(() => rateOutcomes('responseTimeP95', counts)).toThrow('responseTimeP95 is not a rate');
});

test('the expressions and the formula text come from one definition', () => {
  expect(kpiExpression('errorRate', { requests: 'r', errors: 'e' }, 10)).toBe('IF(r >= 10, 100 * MIN([e, r]) / r, 0)');
  expect(kpiExpression('availability', { requests: 'r', failed: 'f' }, 50)).toBe('IF(r >= 50, 100 - 100 * MIN([f, r]) / r, 100)');
  expect(kpiExpression('responseTimeP95', { requests: 'r', p95: 'p' }, 10)).toBe('IF(r >= 10, 1000 * p, 0)');
  expect(() => kpiExpression('errorRate', { requests: 'r' }, 10)).toThrow('kpiExpression(errorRate): no id for term "errors"');
  expect(KPI_IDS.map(kpiFormulaText)).toEqual([
    '100 x ToolCallSuccesses / ToolCalls',
    '1000 x ALB TargetResponseTime p95 (seconds)',
    '100 x (ToolCallErrors + HTTP 5xx) / RequestCount',
    '100 - 100 x EnumValidationFailures / EnumValidations',
    '100 - 100 x HTTP 5xx / RequestCount',
  ]);
});

test('a slot window holds exactly the metrics its counts need', () => {
  expect(SLOT_COUNT_SOURCES).toEqual([
    'ToolCalls', 'ToolCallSuccesses', 'ToolCallErrors', 'EnumValidations', 'EnumValidationFailures',
    'RequestCount', 'HTTPCode_Target_5XX_Count', 'TargetConnectionErrorCount',
  ]);
});
