import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import { SLOT_NAMES, type EnvironmentName, type SlotName } from '../shared/environment-names';
import { kpiFormulaText } from '../shared/kpi-formulas';
import {
  APP_METRICS,
  DIMENSIONS,
  KPI_IDS,
  KPIS,
  METRICS_NAMESPACE,
  type KpiId,
  type KpiScope,
  type KpiThresholdTable,
} from '../shared/metrics-contract';
import { dashboardName, type DashboardCadence } from '../shared/names';
import type { KpiMetrics } from './private/kpi-metrics';

export interface RolloutDashboardsProps {
  readonly environmentName: EnvironmentName;
  readonly metrics: KpiMetrics;
  readonly thresholds: KpiThresholdTable;
  /** Shown in the alarm status widget. */
  readonly alarms: readonly cloudwatch.IAlarm[];
  /** The ECS services of the slots, for the capacity graphs. */
  readonly services: Readonly<Record<SlotName, ecs.FargateService>>;
}

/** A dashboard cadence of the seed: how far back it looks and the period of each datapoint. */
export interface Cadence {
  readonly name: DashboardCadence;
  readonly title: string;
  /** CloudWatch relative time, e.g. -PT3H. */
  readonly start: string;
  readonly period: Duration;
}

/**
 * The seed's three report cadences. One-minute data is the finest ALB and EMF metrics give (the
 * seed's "every 30 seconds" would redraw the same point), and CloudWatch keeps it 15 days, which
 * is why the longer views use hourly and daily periods
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Metric).
 */
export const CADENCES: readonly Cadence[] = [
  { name: 'realtime', title: 'Real time: last 3 hours, 1-minute data', start: '-PT3H', period: Duration.minutes(1) },
  { name: 'hourly', title: 'Hourly report: last 7 days, 1-hour data', start: '-P7D', period: Duration.hours(1) },
  { name: 'daily', title: 'Daily report: last 90 days, 1-day data', start: '-P90D', period: Duration.days(1) },
];

const SCOPES: readonly KpiScope[] = ['stable', 'canary', 'service'];
const COLORS: Readonly<Record<KpiScope, string>> = { stable: '#1f77b4', canary: '#ff7f0e', service: '#7f7f7f' };
const LEVEL_COLORS = { target: '#2ca02c', warning: '#ff9900', critical: '#d62728', trigger: '#8c0000' } as const;

/**
 * One dashboard per cadence. Each draws every KPI for stable, canary and the whole service with
 * horizontal lines at its target, warning, critical and rollback values, the traffic split,
 * latency percentiles, tool usage and errors by category, capacity, the alarm states and the
 * runbook commands. Per-tool and per-category graphs are SEARCH expressions, so the template is
 * the same whatever number of tools the server has.
 */
export class RolloutDashboards extends Construct {
  readonly dashboards: Readonly<Record<Cadence['name'], cloudwatch.Dashboard>>;

  constructor(scope: Construct, id: string, props: RolloutDashboardsProps) {
    super(scope, id);
    const entries = CADENCES.map((cadence) => [cadence.name, this.dashboard(cadence, props)] as const);
    this.dashboards = Object.fromEntries(entries) as Record<Cadence['name'], cloudwatch.Dashboard>;
  }

  private dashboard(cadence: Cadence, props: RolloutDashboardsProps): cloudwatch.Dashboard {
    const { metrics, environmentName: env } = props;
    const p = cadence.period;
    const kpiGraphs = KPI_IDS.map((kpi) => kpiGraph(kpi, props, p));
    const dashboard = new cloudwatch.Dashboard(this, pascal(cadence.name), {
      dashboardName: dashboardName(env, cadence.name),
      start: cadence.start,
      periodOverride: cloudwatch.PeriodOverride.INHERIT,
    });
    dashboard.addWidgets(runbook(env, cadence), alarmStatus(props.alarms));
    if (cadence.name === 'realtime') dashboard.addWidgets(...currentHour(metrics));
    dashboard.addWidgets(trafficSplit(metrics, p), ...kpiGraphs.slice(0, 2));
    dashboard.addWidgets(...kpiGraphs.slice(2));
    dashboard.addWidgets(
      latencyPercentiles(metrics, p),
      searchGraph('Tool usage by tool and slot (calls)', APP_METRICS.toolCalls, DIMENSIONS.tool, env, p),
      searchGraph('Tool errors by category and slot', APP_METRICS.toolCallErrors, DIMENSIONS.errorCategory, env, p),
    );
    dashboard.addWidgets(capacity(props.services, p));
    return dashboard;
  }
}

/** A KPI for stable, canary and service, with a horizontal line at each threshold level. */
function kpiGraph(kpi: KpiId, props: RolloutDashboardsProps, period: Duration): cloudwatch.GraphWidget {
  const def = KPIS[kpi];
  const t = props.thresholds[kpi];
  const unit = def.unit === 'percent' ? '%' : 'ms';
  const line = (label: string, value: number, color: string): cloudwatch.HorizontalAnnotation => ({
    label: `${label} ${value} ${unit}`,
    value,
    color,
  });
  const annotations = [line('target', t.target, LEVEL_COLORS.target)];
  if (t.warning !== undefined) annotations.push(line('warning', t.warning, LEVEL_COLORS.warning));
  annotations.push(line('critical', t.critical, LEVEL_COLORS.critical));
  if (t.trigger) annotations.push(line(`rollback (${t.trigger.minutes} min)`, t.trigger.threshold, LEVEL_COLORS.trigger));
  return new cloudwatch.GraphWidget({
    title: `${def.title} (${kpiFormulaText(kpi)})`,
    width: 8,
    left: SCOPES.map((scope) => props.metrics.kpi(kpi, scope, period).with({ color: COLORS[scope] })),
    leftAnnotations: annotations,
    leftYAxis: def.unit === 'percent' ? { min: 0, max: 100, label: '%', showUnits: false } : { min: 0, label: 'ms', showUnits: false },
  });
}

/** The actual split: each slot's share of the requests the two slots received, and the counts. */
function trafficSplit(metrics: KpiMetrics, period: Duration): cloudwatch.GraphWidget {
  const stable = metrics.requests('stable', period);
  const canary = metrics.requests('canary', period);
  const share = (slot: SlotName) =>
    new cloudwatch.MathExpression({
      expression: `IF(reqStable + reqCanary > 0, 100 * req${pascal(slot)} / (reqStable + reqCanary), 0)`,
      usingMetrics: { reqStable: stable, reqCanary: canary },
      label: `${slot} share of requests`,
      period,
      color: COLORS[slot],
    });
  return new cloudwatch.GraphWidget({
    title: 'Traffic split: share of requests per slot (%), requests per slot',
    width: 8,
    left: SLOT_NAMES.map(share),
    leftYAxis: { min: 0, max: 100, label: '%', showUnits: false },
    right: [stable, canary],
    rightYAxis: { min: 0, label: 'requests', showUnits: false },
  });
}

/** p50, p90, p95 and p99 for canary next to stable, in milliseconds. */
function latencyPercentiles(metrics: KpiMetrics, period: Duration): cloudwatch.GraphWidget {
  const lines = SLOT_NAMES.flatMap((slot) =>
    ['p50', 'p90', 'p95', 'p99'].map(
      (stat) =>
        new cloudwatch.MathExpression({
          expression: `1000 * ${stat}${pascal(slot)}`,
          usingMetrics: { [`${stat}${pascal(slot)}`]: metrics.responseTime(slot, stat, period) },
          label: `${slot} ${stat}`,
          period,
        }),
    ),
  );
  return new cloudwatch.GraphWidget({
    title: 'Response time distribution (ms): p50, p90, p95, p99, canary next to stable',
    width: 8,
    left: lines,
    leftYAxis: { min: 0, label: 'ms', showUnits: false },
  });
}

/**
 * A SEARCH over a dimension the server adds at run time. SEARCH keeps the template the same size
 * whatever the number of tools; CloudWatch caps a SEARCH at 500 series, far above our tool count.
 */
function search(label: string, metricName: string, extraDimension: string, env: EnvironmentName, period: Duration): cloudwatch.MathExpression {
  const schema = [METRICS_NAMESPACE, DIMENSIONS.environment, DIMENSIONS.slot, extraDimension].join(',');
  return new cloudwatch.MathExpression({
    expression: `SEARCH('{${schema}} MetricName="${metricName}" ${DIMENSIONS.environment}="${env}"', 'Sum', ${period.toSeconds()})`,
    usingMetrics: {},
    label,
    period,
  });
}

/** A stacked graph of one SEARCH: a line per value of `dimension` and slot. */
function searchGraph(title: string, metricName: string, dimension: string, env: EnvironmentName, period: Duration): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({
    title,
    width: 8,
    left: [search(`\${PROP('Dim.${dimension}')} (\${PROP('Dim.Slot')})`, metricName, dimension, env, period)],
    stacked: true,
  });
}

/** The seed's "LLM success rate (current hour)", per slot. */
function currentHour(metrics: KpiMetrics): cloudwatch.IWidget[] {
  return [
    new cloudwatch.SingleValueWidget({
      title: 'LLM success rate, current hour (%)',
      width: 24,
      metrics: SCOPES.map((scope) => metrics.kpi('llmSuccessRate', scope, Duration.hours(1))),
      setPeriodToTimeRange: true,
      start: '-PT1H',
    }),
  ];
}

function capacity(services: Readonly<Record<SlotName, ecs.FargateService>>, period: Duration): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({
    title: 'Capacity: CPU and memory utilisation per slot (%)',
    width: 24,
    left: SLOT_NAMES.flatMap((slot) => [
      services[slot].metricCpuUtilization({ period, label: `${slot} CPU` }),
      services[slot].metricMemoryUtilization({ period, label: `${slot} memory` }),
    ]),
    leftYAxis: { min: 0, max: 100, label: '%', showUnits: false },
  });
}

function alarmStatus(alarms: readonly cloudwatch.IAlarm[]): cloudwatch.AlarmStatusWidget {
  return new cloudwatch.AlarmStatusWidget({
    title: 'Alarms: warning, critical, rollback triggers, info',
    width: 16,
    height: 8,
    alarms: [...alarms],
    sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
  });
}

function runbook(env: EnvironmentName, cadence: Cadence): cloudwatch.TextWidget {
  const cli = (args: string) => `npx mcp-rollout ${args} --environment ${env}`;
  return new cloudwatch.TextWidget({
    width: 8,
    height: 8,
    markdown: [
      `# mcp-rollout ${env}: ${cadence.title}`,
      'Lines: target (green), warning (orange), critical (red), rollback trigger (dark red).',
      '',
      '| step | command |',
      '|---|---|',
      `| state, weights, flags, alarms | \`${cli('status')}\` |`,
      `| canary at 10 % | \`${cli('deploy --traffic 10 --canary-image <tag>')}\` |`,
      `| bake and verify | \`${cli('gate --window 30m')}\` |`,
      `| promote | \`${cli('promote')}\` |`,
      `| roll back now | \`${cli('rollback --confirm')}\` |`,
      `| resume after a rollback | \`${cli('resume --confirm')}\` |`,
      '',
      'Runbook: docs/RUNBOOK.md in the mcp-rollout repository.',
    ].join('\n'),
  });
}

function pascal(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
