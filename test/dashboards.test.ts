import { synthesize } from './helpers/app';
import { testConfig } from './helpers/config';
import { APP_METRIC_DIMENSION_SETS } from '../lib/shared/metrics-contract';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- dashboard bodies are untyped JSON

// Staging overrides one threshold so the annotations are shown to follow the config.
const synthesized = synthesize(testConfig({ environments: { staging: { kpiThresholds: { llmSuccessRate: { warning: 92 } } } } }));
const production = synthesized.service.production;
const staging = synthesized.service.staging;

/** Dashboard bodies by name, with every CloudFormation token replaced by `TOKEN`. */
function dashboards(template: typeof production): Record<string, Json> {
  const resources = template.findResources('AWS::CloudWatch::Dashboard') as Record<string, { Properties: Json }>;
  return Object.fromEntries(
    Object.values(resources).map(({ Properties: p }) => {
      const body = p.DashboardBody as string | { 'Fn::Join': [string, unknown[]] };
      const text = typeof body === 'string' ? body : body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
      return [p.DashboardName as string, JSON.parse(text) as Json];
    }),
  );
}

const prod = dashboards(production);
const graphs = (body: Json) => (body.widgets as Json[]).filter((w) => w.type === 'metric' && w.properties.view === 'timeSeries');
/** Labels of the lines a graph draws (metrics an expression only uses are hidden). */
const lines = (g: Json) =>
  (g.metrics as unknown[][]).map((m) => m.at(-1) as Json).filter((o) => o.visible !== false).map((o) => o.label as string);
const PERIODS: Record<string, number> = { realtime: 60, hourly: 3600, daily: 86400 };
const graph = (body: Json, titleStart: string) => {
  const found = graphs(body).find((w) => (w.properties.title as string).startsWith(titleStart));
  if (!found) throw new Error(`no graph titled "${titleStart}..."`);
  return found.properties as Json;
};
const annotations = (g: Json) => (g.annotations.horizontal as Json[]).map((a) => [a.label, a.value]);

describe('dashboards', () => {
  test('one per seed cadence: real time 3 h of 1-minute data, hourly 7 d of 1 h, daily 90 d of 1 d', () => {
    expect(Object.keys(prod).sort()).toEqual(['mcp-rollout-production-daily', 'mcp-rollout-production-hourly', 'mcp-rollout-production-realtime']);
    const periods = (body: Json) => new Set(graphs(body).flatMap((w) => (w.properties.metrics as unknown[][]).map((m) => (m.at(-1) as Json).period)));
    expect(prod['mcp-rollout-production-realtime']!.start).toBe('-PT3H');
    expect(periods(prod['mcp-rollout-production-realtime']!)).toEqual(new Set([60]));
    expect(prod['mcp-rollout-production-hourly']!.start).toBe('-P7D');
    expect(periods(prod['mcp-rollout-production-hourly']!)).toEqual(new Set([3600]));
    expect(prod['mcp-rollout-production-daily']!.start).toBe('-P90D');
    expect(periods(prod['mcp-rollout-production-daily']!)).toEqual(new Set([86400]));
  });

  describe.each(['realtime', 'hourly', 'daily'])('%s', (cadence) => {
    const body = prod[`mcp-rollout-production-${cadence}`]!;

    test.each([
      ['LLM success rate', [['target 95 %', 95], ['warning 90 %', 90], ['critical 85 %', 85], ['rollback (5 min) 85 %', 85]]],
      ['Response time p95', [['target 100 ms', 100], ['warning 150 ms', 150], ['critical 300 ms', 300], ['rollback (3 min) 500 ms', 500]]],
      ['Error rate', [['target 1 %', 1], ['warning 2 %', 2], ['critical 5 %', 5], ['rollback (2 min) 10 %', 10]]],
      ['enumDescription validation success', [['target 98 %', 98], ['warning 95 %', 95], ['critical 90 %', 90]]],
      ['Availability', [['target 99.9 %', 99.9], ['critical 99 %', 99], ['rollback (5 min) 99 %', 99]]],
    ])('%s is drawn for stable, canary and service with lines at the seed values', (title, expected) => {
      const g = graph(body, title as string);
      expect(annotations(g)).toEqual(expected);
      expect(lines(g)).toEqual([`${title as string} (stable)`, `${title as string} (canary)`, `${title as string} (service)`]);
    });

    test('shows the traffic split, latency percentiles, tool usage, errors by category and capacity', () => {
      expect(lines(graph(body, 'Traffic split')).sort()).toEqual([
        'Requests (canary)',
        'Requests (stable)',
        'canary share of requests',
        'stable share of requests',
      ]);
      expect(lines(graph(body, 'Response time distribution'))).toEqual([
        'stable p50', 'stable p90', 'stable p95', 'stable p99', 'canary p50', 'canary p90', 'canary p95', 'canary p99',
      ]);
      expect(graph(body, 'Tool usage by tool').metrics).toEqual([
        [
          expect.objectContaining({
            label: "${PROP('Dim.Tool')} (${PROP('Dim.Slot')})",
            expression: `SEARCH('{MCP/HierarchicalTools,Environment,Slot,Tool} MetricName="ToolCalls" Environment="production"', 'Sum', ${PERIODS[cadence]!})`,
          }),
        ],
      ]);
      expect(graph(body, 'Tool errors by category').metrics[0][0].expression).toContain(
        `SEARCH('{MCP/HierarchicalTools,Environment,Slot,ErrorCategory} MetricName="ToolCallErrors" Environment="production"'`,
      );
      expect(lines(graph(body, 'Capacity'))).toEqual(['stable CPU', 'stable memory', 'canary CPU', 'canary memory']);
    });

    test('has an alarm status widget with every alarm and the runbook commands', () => {
      const alarmWidget = (body.widgets as Json[]).find((w) => w.type === 'alarm')!;
      const alarmCount = ['AWS::CloudWatch::Alarm', 'AWS::CloudWatch::CompositeAlarm'].reduce((n, type) => n + Object.keys(production.findResources(type)).length, 0);
      expect(alarmWidget.properties.alarms).toHaveLength(alarmCount);
      const text = (body.widgets as Json[]).find((w) => w.type === 'text')!.properties.markdown as string;
      for (const command of ['status', 'deploy --traffic 10', 'gate --window 30m', 'promote', 'rollback --confirm', 'resume --confirm']) {
        expect(text).toContain(`npx mcp-rollout ${command}`);
      }
    });
  });

  test('the real-time dashboard shows the LLM success rate of the current hour', () => {
    const single = (prod['mcp-rollout-production-realtime']!.widgets as Json[]).find((w) => w.properties.view === 'singleValue')!;
    expect(single.properties).toMatchObject({ title: 'LLM success rate, current hour (%)', setPeriodToTimeRange: true, start: '-PT1H' });
  });

  test('annotations follow an environment override', () => {
    const g = graph(dashboards(staging)['mcp-rollout-staging-realtime']!, 'LLM success rate');
    expect(annotations(g)).toContainEqual(['warning 92 %', 92]);
  });

  describe('per-tool graphs do not grow with the number of tools', () => {
    // The server's tool count is not an input of the app at all: nothing in the template names a
    // tool. What a dashboard shows for 5 or 50 tools depends only on the series the server writes,
    // which the SEARCH expression matches at view time.
    const template = JSON.stringify(production.toJSON());

    test('no Tool dimension value appears in the template', () => {
      expect(template).not.toMatch(/"Name":"Tool"/);
      expect(template).not.toMatch(/Tool=/);
    });

    test.each([5, 50])('the one SEARCH matches every series a server with %d tools emits', (tools) => {
      const expression = graph(prod['mcp-rollout-production-realtime']!, 'Tool usage by tool').metrics[0][0].expression as string;
      const [, schema, metricName, env] = /SEARCH\('\{([^}]+)\} MetricName="([^"]+)" Environment="([^"]+)"'/.exec(expression)!;
      const [namespace, ...dimensionNames] = schema!.split(',');
      // The series a server emits for the per-tool dimension set of the contract.
      const toolSet = APP_METRIC_DIMENSION_SETS.ToolCalls.find((set) => set.includes('Tool'))!;
      const series = ['stable', 'canary'].flatMap((slot) =>
        Array.from({ length: tools }, (_, i) => ({
          namespace: 'MCP/HierarchicalTools',
          metricName: 'ToolCalls',
          dimensions: Object.fromEntries(toolSet.map((d) => [d, d === 'Environment' ? 'production' : d === 'Slot' ? slot : `tool_${i}`])),
        })),
      );
      const matched = series.filter(
        (s) =>
          s.namespace === namespace &&
          s.metricName === metricName &&
          s.dimensions.Environment === env &&
          Object.keys(s.dimensions).sort().join() === [...dimensionNames].sort().join(),
      );
      expect(matched).toHaveLength(2 * tools);
    });
  });
});
