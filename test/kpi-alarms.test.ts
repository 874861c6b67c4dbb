import { synthesize } from './helpers/app';
import { alarmMath, alarmsByName, metricCount } from './helpers/alarms';
import { testConfig } from './helpers/config';
import { logicalIdOf } from './helpers/template';

// Production on the seed's numbers; staging with a lower sample minimum and two overrides.
const synthesized = synthesize(
  testConfig({
    environments: {
      staging: {
        minimumSamplesPerMinute: 2,
        kpiThresholds: { errorRate: { warning: 3 }, responseTimeP95: { trigger: { minutes: 4 } } },
      },
    },
  }),
);
const production = synthesized.service.production;
const staging = synthesized.service.staging;
const prodStack = synthesized.rollout.stages.production.serviceStack;
const prodAlarms = alarmsByName(production);
const topic = (severity: 'critical' | 'warning' | 'info') => ({ Ref: logicalIdOf(prodStack.notifications.topics[severity]) });

const LESS = 'LessThanThreshold';
const GREATER = 'GreaterThanThreshold';

// The seed's KPI table and alert lists, written out by hand: [kpi, severity, comparison, threshold,
// period (s), evaluation periods, datapoints to alarm, topic].
const SEED_ALARMS: [string, string, string, number, number, number, number, 'critical' | 'warning'][] = [
  ['llm-success-rate', 'warning', LESS, 90, 300, 3, 2, 'warning'],
  ['llm-success-rate', 'critical', LESS, 85, 60, 3, 3, 'critical'],
  ['llm-success-rate', 'trigger', LESS, 85, 60, 5, 5, 'critical'],
  ['response-time-p95', 'warning', GREATER, 150, 300, 3, 2, 'warning'],
  ['response-time-p95', 'critical', GREATER, 300, 60, 3, 3, 'critical'],
  ['response-time-p95', 'trigger', GREATER, 500, 60, 3, 3, 'critical'],
  ['error-rate', 'warning', GREATER, 2, 300, 3, 2, 'warning'],
  ['error-rate', 'critical', GREATER, 5, 60, 3, 3, 'critical'],
  ['error-rate', 'trigger', GREATER, 10, 60, 2, 2, 'critical'],
  ['enum-validation-success', 'warning', LESS, 95, 300, 3, 2, 'warning'],
  ['enum-validation-success', 'critical', LESS, 90, 60, 3, 3, 'critical'],
  ['availability', 'critical', LESS, 99, 60, 3, 3, 'critical'],
  ['availability', 'trigger', LESS, 99, 60, 5, 5, 'critical'],
];

describe('KPI alarms', () => {
  test('exist for exactly the seed rows on the canary and the service, plus the info alarm', () => {
    const expected = ['canary', 'service'].flatMap((scope) =>
      SEED_ALARMS.map(([kpi, severity]) => `mcp-rollout-production-${scope}-${kpi}-${severity}`),
    );
    expect(Object.keys(prodAlarms).sort()).toEqual(
      [...expected, 'mcp-rollout-production-service-new-enum-patterns-info', 'mcp-rollout-production-service-rollback-function-errors-critical'].sort(),
    );
  });

  describe.each(['canary', 'service'])('on the %s', (scope) => {
    test.each(SEED_ALARMS)('%s %s: %s %d, period %ds, %d periods, %d to alarm, notifying its topic', (kpi, severity, comparison, threshold, period, evaluations, datapoints, severityTopic) => {
      const alarm = prodAlarms[`mcp-rollout-production-${scope}-${kpi}-${severity}`]!;
      expect(alarm.ComparisonOperator).toBe(comparison);
      expect(alarm.Threshold).toBe(threshold);
      expect(alarm.EvaluationPeriods).toBe(evaluations);
      expect(alarm.DatapointsToAlarm).toBe(datapoints);
      expect(alarm.TreatMissingData).toBe('notBreaching');
      // Triggers also invoke the rollback function directly (issue #5); nothing else does.
      const invoke = { 'Fn::GetAtt': [logicalIdOf(prodStack.rollback.function), 'Arn'] };
      expect(alarm.AlarmActions).toEqual(severity === 'trigger' ? [topic(severityTopic), invoke] : [topic(severityTopic)]);
      expect(alarm.OKActions).toEqual([topic(severityTopic)]);
      const periods = new Set((alarm.Metrics as { MetricStat?: { Period: number } }[]).flatMap((q) => (q.MetricStat ? [q.MetricStat.Period] : [])));
      expect([...periods]).toEqual([period]);
      expect(metricCount(alarm)).toBeLessThanOrEqual(10);
    });
  });

  describe('math', () => {
    const lb = `<${logicalIdOf(prodStack.service.loadBalancer)}.LoadBalancerFullName>`;
    const tg = `<${logicalIdOf(prodStack.service.slots.canary.targetGroup)}.TargetGroupFullName>`;
    const tgDims = `LoadBalancer=<load balancer of ${logicalIdOf(prodStack.service.listener)}>,TargetGroup=${tg}`;
    const app = (metric: string, slot: string, period: number) =>
      `MCP/HierarchicalTools/${metric}{Environment=production,Slot=${slot}} Sum@${period}`;
    const alb = (metric: string, dims: string, stat: string, period: number) => `AWS/ApplicationELB/${metric}{${dims}} ${stat}@${period}`;
    const fill = (...leaves: string[]) => leaves.map((l) => `FILL(${l}, 0)`).join(' + ');

    test('LLM success rate on the canary: successes over calls, capped at 100, 100 below 10 calls a minute', () => {
      const calls = `[${fill(app('ToolCalls', 'canary', 60))}]`;
      const ok = `[${fill(app('ToolCallSuccesses', 'canary', 60))}]`;
      expect(alarmMath(prodAlarms['mcp-rollout-production-canary-llm-success-rate-critical']!)).toBe(
        `IF(${calls} >= 10, 100 * MIN([${ok}, ${calls}]) / ${calls}, 100)`,
      );
    });

    test('LLM success rate of the service sums both slots, over five minutes for the warning (50 calls)', () => {
      const calls = `[${fill(app('ToolCalls', 'stable', 300), app('ToolCalls', 'canary', 300))}]`;
      const ok = `[${fill(app('ToolCallSuccesses', 'stable', 300), app('ToolCallSuccesses', 'canary', 300))}]`;
      expect(alarmMath(prodAlarms['mcp-rollout-production-service-llm-success-rate-warning']!)).toBe(
        `IF(${calls} >= 50, 100 * MIN([${ok}, ${calls}]) / ${calls}, 100)`,
      );
    });

    // The canary's share of the load balancer's 5xx are the 502s for connections its targets refused
    // (HTTPCode_ELB_5XX_Count has no target group dimension); the old expression left them out, so a
    // canary refusing connections read 0 % errors while the service's error rate counted them.
    test('error rate of the canary: tool errors, target 5xx and refused connections over its requests', () => {
      const requests = `[FILL(${alb('RequestCount', tgDims, 'Sum', 60)}, 0)]`;
      const errors = `[${fill(
        app('ToolCallErrors', 'canary', 60),
        alb('HTTPCode_Target_5XX_Count', tgDims, 'Sum', 60),
        alb('TargetConnectionErrorCount', tgDims, 'Sum', 60),
      )}]`;
      expect(alarmMath(prodAlarms['mcp-rollout-production-canary-error-rate-trigger']!)).toBe(
        `IF(${requests} >= 10, 100 * MIN([${errors}, ${requests}]) / ${requests}, 0)`,
      );
    });

    test('error rate of the service adds the ALB 5xx, which has no target group dimension', () => {
      const requests = `[FILL(${alb('RequestCount', `LoadBalancer=${lb}`, 'Sum', 60)}, 0)]`;
      const errors = `[${fill(
        app('ToolCallErrors', 'stable', 60),
        app('ToolCallErrors', 'canary', 60),
        alb('HTTPCode_Target_5XX_Count', `LoadBalancer=${lb}`, 'Sum', 60),
        alb('HTTPCode_ELB_5XX_Count', `LoadBalancer=${lb}`, 'Sum', 60),
      )}]`;
      expect(alarmMath(prodAlarms['mcp-rollout-production-service-error-rate-critical']!)).toBe(
        `IF(${requests} >= 10, 100 * MIN([${errors}, ${requests}]) / ${requests}, 0)`,
      );
    });

    test('p95 response time of the canary in milliseconds, 0 below the sample minimum', () => {
      const requests = `[FILL(${alb('RequestCount', tgDims, 'Sum', 60)}, 0)]`;
      const p95 = `${alb('TargetResponseTime', tgDims, 'p95', 60)}`;
      expect(alarmMath(prodAlarms['mcp-rollout-production-canary-response-time-p95-trigger']!)).toBe(
        `IF(${requests} >= 10, 1000 * ${p95}, 0)`,
      );
    });

    test('availability of the canary counts target 5xx and connection errors as failed requests', () => {
      const requests = `[FILL(${alb('RequestCount', tgDims, 'Sum', 60)}, 0)]`;
      const failed = `[${fill(alb('HTTPCode_Target_5XX_Count', tgDims, 'Sum', 60), alb('TargetConnectionErrorCount', tgDims, 'Sum', 60))}]`;
      expect(alarmMath(prodAlarms['mcp-rollout-production-canary-availability-trigger']!)).toBe(
        `IF(${requests} >= 10, 100 - 100 * MIN([${failed}, ${requests}]) / ${requests}, 100)`,
      );
    });

    test('enumDescription validation success of the service: validations minus failures over validations', () => {
      const checks = `[${fill(app('EnumValidations', 'stable', 60), app('EnumValidations', 'canary', 60))}]`;
      const failed = `[${fill(app('EnumValidationFailures', 'stable', 60), app('EnumValidationFailures', 'canary', 60))}]`;
      expect(alarmMath(prodAlarms['mcp-rollout-production-service-enum-validation-success-critical']!)).toBe(
        `IF(${checks} >= 10, 100 - 100 * MIN([${failed}, ${checks}]) / ${checks}, 100)`,
      );
    });
  });

  test('new_enumdescription_pattern_detected: any NewEnumPatterns in five minutes tells the info topic', () => {
    const alarm = prodAlarms['mcp-rollout-production-service-new-enum-patterns-info']!;
    expect(alarmMath(alarm)).toBe(
      'FILL(MCP/HierarchicalTools/NewEnumPatterns{Environment=production,Slot=stable} Sum@300, 0) + FILL(MCP/HierarchicalTools/NewEnumPatterns{Environment=production,Slot=canary} Sum@300, 0)',
    );
    expect(alarm).toMatchObject({
      ComparisonOperator: GREATER,
      Threshold: 0,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [topic('info')],
    });
  });

  describe('environment overrides', () => {
    const stagingAlarms = alarmsByName(staging);

    test('a threshold override changes only that alarm', () => {
      expect(stagingAlarms['mcp-rollout-staging-canary-error-rate-warning']!.Threshold).toBe(3);
      expect(stagingAlarms['mcp-rollout-staging-canary-error-rate-critical']!.Threshold).toBe(5);
    });

    test('a trigger duration override changes the evaluation window', () => {
      expect(stagingAlarms['mcp-rollout-staging-service-response-time-p95-trigger']).toMatchObject({
        Threshold: 500,
        EvaluationPeriods: 4,
        DatapointsToAlarm: 4,
      });
    });

    test('the sample minimum scales with the period', () => {
      expect(alarmMath(stagingAlarms['mcp-rollout-staging-canary-llm-success-rate-critical']!)).toMatch(/^IF\(.* >= 2, /);
      expect(alarmMath(stagingAlarms['mcp-rollout-staging-canary-llm-success-rate-warning']!)).toMatch(/^IF\(.* >= 10, /);
    });
  });
});
