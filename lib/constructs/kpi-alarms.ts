import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { SLOT_NAMES, type EnvironmentName } from '../shared/environment-names';
import { kpiFormulaText } from '../shared/kpi-formulas';
import {
  ALARM_SCOPES,
  ALARM_WINDOWS,
  APP_METRICS,
  INFO_EVENTS,
  KPI_IDS,
  KPIS,
  NEW_ENUM_PATTERN_WINDOW,
  triggerWindow,
  type AlarmSeverity,
  type AlarmWindow,
  type KpiId,
  type KpiScope,
  type KpiThresholdTable,
  type Severity,
} from '../shared/metrics-contract';
import { alarmName } from '../shared/names';
import { KpiMetrics, MAX_METRICS_PER_EXPRESSION } from './private/kpi-metrics';

export interface KpiAlarmsProps {
  readonly environmentName: EnvironmentName;
  readonly metrics: KpiMetrics;
  readonly thresholds: KpiThresholdTable;
  /** The topic of each severity; alarms notify the one of their level. */
  readonly topics: Readonly<Record<Severity, sns.ITopic>>;
}

/** One rollback trigger alarm and what it watches. */
export interface TriggerAlarm {
  readonly kpi: KpiId;
  readonly scope: KpiScope;
  readonly alarm: cloudwatch.Alarm;
  /** The alarm's name as a plain string (alarm.alarmName is a reference). */
  readonly name: string;
}

/**
 * The seed's alert lists as CloudWatch alarms, from one factory: the warning and critical level
 * of every KPI and its rollback trigger, on the canary slot and on the whole service, plus the
 * `new_enumdescription_pattern_detected` info alarm.
 *
 * Missing data is "not breaching" everywhere: counts are zero-filled and the KPI math reads as
 * healthy below the minimum sample count, so missing data only means nobody sent a request (an
 * idle canary at 0 % traffic, a quiet night). Paging then would be noise, and for the triggers,
 * AppConfig would block every flag deployment while a monitor is INSUFFICIENT_DATA.
 */
export class KpiAlarms extends Construct {
  /** Every alarm this construct made, in creation order (for the dashboards' status widget). */
  readonly alarms: cloudwatch.Alarm[] = [];
  /** The rollback triggers; the rollback construct adds its Lambda action to them. */
  readonly triggers: TriggerAlarm[] = [];
  private readonly props: KpiAlarmsProps;

  constructor(scope: Construct, id: string, props: KpiAlarmsProps) {
    super(scope, id);
    this.props = props;

    for (const alarmScope of ALARM_SCOPES) {
      for (const kpi of KPI_IDS) {
        const t = props.thresholds[kpi];
        if (t.warning !== undefined) this.kpiAlarm(kpi, alarmScope, 'warning', t.warning, ALARM_WINDOWS.warning);
        this.kpiAlarm(kpi, alarmScope, 'critical', t.critical, ALARM_WINDOWS.critical);
        if (t.trigger) {
          const alarm = this.kpiAlarm(kpi, alarmScope, 'trigger', t.trigger.threshold, triggerWindow(t.trigger));
          this.triggers.push({ kpi, scope: alarmScope, alarm, name: alarmName(props.environmentName, alarmScope, KPIS[kpi].slug, 'trigger') });
        }
      }
    }
    this.newEnumPatternAlarm();
  }

  private kpiAlarm(kpi: KpiId, scope: KpiScope, severity: Exclude<AlarmSeverity, 'info'>, threshold: number, window: AlarmWindow): cloudwatch.Alarm {
    const def = KPIS[kpi];
    const period = Duration.seconds(window.periodSeconds);
    const below = def.higherIsBetter;
    const unit = def.unit === 'percent' ? ' %' : ' ms';
    const what =
      severity === 'trigger'
        ? `rolls back: ${def.title} of ${scope} ${below ? 'below' : 'above'} ${threshold}${unit} for ${window.evaluationPeriods} minutes`
        : `${def.title} of ${scope} ${below ? 'below' : 'above'} ${threshold}${unit} in ${window.datapointsToAlarm} of ${window.evaluationPeriods} ${window.periodSeconds / 60}-minute periods`;
    return this.alarm(`${pascal(scope)}${pascal(def.slug)}${pascal(severity)}`, {
      alarmName: alarmName(this.props.environmentName, scope, def.slug, severity),
      alarmDescription: `[${severity}] ${what}. Definition: ${kpiFormulaText(kpi)}. Check: npx mcp-rollout status --environment ${this.props.environmentName}`,
      metric: this.props.metrics.kpi(kpi, scope, period),
      threshold,
      comparisonOperator: below
        ? cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
        : cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      window,
      topic: this.props.topics[severity === 'warning' ? 'warning' : 'critical'],
    });
  }

  /** Any new enumDescription pattern in five minutes tells the info topic (the seed's info event). */
  private newEnumPatternAlarm(): void {
    const period = Duration.seconds(NEW_ENUM_PATTERN_WINDOW.periodSeconds);
    const using = Object.fromEntries(
      SLOT_NAMES.map((slot) => [`patterns${pascal(slot)}`, this.props.metrics.appMetric(APP_METRICS.newEnumPatterns, slot, period)]),
    );
    this.alarm('ServiceNewEnumPatternsInfo', {
      alarmName: alarmName(this.props.environmentName, 'service', 'new-enum-patterns', 'info'),
      alarmDescription: `[info] ${INFO_EVENTS.newEnumPatternDetected}: the server saw enumDescription values no pattern covers yet. Review the logs and extend the enumDescriptions.`,
      metric: new cloudwatch.MathExpression({
        expression: Object.keys(using)
          .map((k) => `FILL(${k}, 0)`)
          .join(' + '),
        usingMetrics: using,
        label: 'New enumDescription patterns',
        period,
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      window: NEW_ENUM_PATTERN_WINDOW,
      topic: this.props.topics.info,
    });
  }

  private alarm(
    id: string,
    spec: {
      alarmName: string;
      alarmDescription: string;
      metric: cloudwatch.IMetric;
      threshold: number;
      comparisonOperator: cloudwatch.ComparisonOperator;
      window: AlarmWindow;
      topic: sns.ITopic;
    },
  ): cloudwatch.Alarm {
    const metricCount = countMetrics(spec.metric);
    if (metricCount > MAX_METRICS_PER_EXPRESSION) {
      throw new Error(`alarm ${spec.alarmName} uses ${metricCount} metrics; a metric-math alarm may use at most ${MAX_METRICS_PER_EXPRESSION}`);
    }
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName: spec.alarmName,
      alarmDescription: spec.alarmDescription,
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: spec.comparisonOperator,
      evaluationPeriods: spec.window.evaluationPeriods,
      datapointsToAlarm: spec.window.datapointsToAlarm,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const action = new actions.SnsAction(spec.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarms.push(alarm);
    return alarm;
  }
}

/** Plain metrics (not expressions) an expression uses, nested expressions included. */
function countMetrics(metric: cloudwatch.IMetric): number {
  const config = metric.toMetricConfig();
  if (!config.mathExpression) return 1;
  return Object.values(config.mathExpression.usingMetrics).reduce((n, m) => n + countMetrics(m), 0);
}

function pascal(text: string): string {
  return text
    .split(/[-_\s]/)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}
