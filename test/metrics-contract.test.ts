import {
  INFO_EVENTS,
  KPI_IDS,
  MetricsContractError,
  SEED_THRESHOLDS,
  infoEventProblems,
  kpiLevel,
  resolveThresholds,
  thresholdProblems,
  triggerWindow,
} from '../lib/shared/metrics-contract';

describe('the seed table', () => {
  test('holds exactly the seed numbers', () => {
    expect(SEED_THRESHOLDS).toEqual({
      llmSuccessRate: { target: 95, warning: 90, critical: 85, trigger: { threshold: 85, minutes: 5 } },
      responseTimeP95: { target: 100, warning: 150, critical: 300, trigger: { threshold: 500, minutes: 3 } },
      errorRate: { target: 1, warning: 2, critical: 5, trigger: { threshold: 10, minutes: 2 } },
      enumValidationSuccess: { target: 98, warning: 95, critical: 90 },
      availability: { target: 99.9, critical: 99, trigger: { threshold: 99, minutes: 5 } },
    });
    expect(thresholdProblems(SEED_THRESHOLDS)).toEqual([]);
  });

  test('a trigger "for > N minutes" is N consecutive one-minute datapoints', () => {
    expect(triggerWindow({ threshold: 85, minutes: 5 })).toEqual({ periodSeconds: 60, evaluationPeriods: 5, datapointsToAlarm: 5 });
  });
});

describe('threshold validation', () => {
  const edit = (id: (typeof KPI_IDS)[number], change: object) => ({ ...SEED_THRESHOLDS, [id]: { ...SEED_THRESHOLDS[id], ...change } });

  test.each([
    ['a warning at its critical', edit('errorRate', { warning: 5 }), 'kpiThresholds.errorRate.critical: must be above warning (5): warning is the less severe level, got 5'],
    ['a warning beyond its target', edit('llmSuccessRate', { warning: 96 }), 'kpiThresholds.llmSuccessRate.warning: must be below target (95), got 96'],
    ['a critical better than target without a warning', edit('availability', { critical: 99.95 }), 'kpiThresholds.availability.critical: must be below target (99.9), got 99.95'],
    ['a trigger milder than critical', edit('errorRate', { trigger: { threshold: 4, minutes: 2 } }), 'kpiThresholds.errorRate.trigger.threshold: must be at least as severe as critical (5, so above or equal), got 4'],
    ['a success rate above 100 %', edit('llmSuccessRate', { target: 139.8 }), 'kpiThresholds.llmSuccessRate.target: must be a percent from 0 to 100, got 139.8'],
    ['a latency of 0 ms', edit('responseTimeP95', { target: 0 }), 'kpiThresholds.responseTimeP95.target: must be milliseconds above 0 and at most 60000, got 0'],
    ['a fractional trigger duration', edit('llmSuccessRate', { trigger: { threshold: 85, minutes: 2.5 } }), 'kpiThresholds.llmSuccessRate.trigger.minutes: must be an integer from 1 to 60, got 2.5'],
  ])('fails on %s', (_name, table, message) => {
    expect(thresholdProblems(table as typeof SEED_THRESHOLDS)).toEqual([message]);
  });

  test('resolveThresholds throws every problem at once, with the path it was given', () => {
    expect(() => resolveThresholds({ errorRate: { warning: 6 }, llmSuccessRate: { critical: 95 } }, 'environments.staging.kpiThresholds')).toThrow(
      new MetricsContractError([
        'environments.staging.kpiThresholds.llmSuccessRate.critical: must be below warning (90): warning is the less severe level, got 95',
        'environments.staging.kpiThresholds.errorRate.critical: must be above warning (6): warning is the less severe level, got 5',
      ]),
    );
  });
});

describe('info event schemas', () => {
  const time = '2026-11-24T10:00:00.000Z';

  test('accept a well-formed traffic_percentage_changed and deployment_completed', () => {
    expect(
      infoEventProblems(INFO_EVENTS.trafficPercentageChanged, { environment: 'production', previousPercent: 10, canaryPercent: 50, requestedBy: 'alice', time }),
    ).toEqual([]);
    expect(
      infoEventProblems(INFO_EVENTS.deploymentCompleted, {
        environment: 'production',
        stackName: 'Production-Service',
        canaryPercent: 50,
        images: { stable: 'v1', canary: 'v2' },
        requestedBy: 'alice',
        durationSeconds: 312,
        time,
      }),
    ).toEqual([]);
  });

  test('name every field that is wrong', () => {
    expect(
      infoEventProblems(INFO_EVENTS.trafficPercentageChanged, { environment: 'production', previousPercent: -1, canaryPercent: 140, requestedBy: '', time: 'yesterday' }),
    ).toEqual([
      'traffic_percentage_changed.requestedBy: must be a non-empty string, got ""',
      'traffic_percentage_changed.time: must be an ISO 8601 time, got "yesterday"',
      'traffic_percentage_changed.canaryPercent: must be an integer from 0 to 100, got 140',
      'traffic_percentage_changed.previousPercent: must be an integer from 0 to 100, got -1',
    ]);
  });
});

describe('kpiLevel', () => {
  test.each([
    ['llmSuccessRate', 95, 'ok'],
    ['llmSuccessRate', 94.9, 'off-target'],
    ['llmSuccessRate', 89.9, 'warning'],
    ['llmSuccessRate', 84.9, 'critical'],
    ['responseTimeP95', 100, 'ok'],
    ['responseTimeP95', 151, 'warning'],
    ['responseTimeP95', 301, 'critical'],
    ['availability', 99.5, 'off-target'],
    ['availability', 98.9, 'critical'],
  ] as const)('%s at %d is %s, compared in the direction the KPI is healthy', (id, value, level) => {
    expect(kpiLevel(id, value, SEED_THRESHOLDS[id])).toBe(level);
  });
});
