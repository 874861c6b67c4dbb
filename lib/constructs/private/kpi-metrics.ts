import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { SLOT_NAMES, type EnvironmentName, type SlotName } from '../../shared/environment-names';
import {
  COUNT_SOURCES,
  KPI_FORMULAS,
  kpiExpression,
  minimumSamples,
  scopeKind,
  type AlbCountMetric,
  type CountName,
  type CountSource,
  type CountTerm,
} from '../../shared/kpi-formulas';
import {
  APP_METRICS,
  DIMENSIONS,
  KPIS,
  METRICS_NAMESPACE,
  type AppMetricName,
  type KpiId,
  type KpiScope,
} from '../../shared/metrics-contract';

export interface KpiMetricsProps {
  readonly environmentName: EnvironmentName;
  readonly targetGroups: Readonly<Record<SlotName, elbv2.IApplicationTargetGroup>>;
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** Samples a one-minute period needs before a rate counts; scaled to longer periods. */
  readonly minimumSamplesPerMinute: number;
}

/** CloudWatch allows at most 10 metrics in one metric-math alarm. */
export const MAX_METRICS_PER_EXPRESSION = 10;

/**
 * The KPI math of the metrics contract, per slot and for the whole service. Alarms and dashboards
 * both read it, so a graph shows exactly what its alarm evaluates.
 *
 * Every rate is a ratio of zero-filled counts, clamped with MIN so it never exceeds 100 %, and
 * reads as healthy (100 % success, 0 % errors, 0 ms) while a period has fewer samples than the
 * minimum: an idle canary or a quiet night is neither a division by zero nor a page.
 */
export class KpiMetrics {
  constructor(private readonly props: KpiMetricsProps) {}

  /** An app metric the server writes (statistic Sum), for one slot. */
  appMetric(name: AppMetricName, slot: SlotName, period: Duration): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: name,
      dimensionsMap: { [DIMENSIONS.environment]: this.props.environmentName, [DIMENSIONS.slot]: slot },
      statistic: cloudwatch.Stats.SUM,
      period,
    });
  }

  /**
   * The KPI as the alarms see it, in its contract unit (percent or milliseconds): the formula of
   * lib/shared/kpi-formulas.ts rendered as metric math over this scope's metrics.
   */
  kpi(id: KpiId, scope: KpiScope, period: Duration): cloudwatch.MathExpression {
    const formula = KPI_FORMULAS[id];
    // Ids carry the scope: a graph draws stable, canary and service side by side, and CloudWatch
    // wants every id in a graph unique.
    const s = scope[0]!.toUpperCase() + scope.slice(1);
    const using: Record<string, cloudwatch.IMetric> = {};
    const ids: Record<string, string> = {};
    const term = (t: CountTerm) => {
      const termId = `${t.name}${s}`;
      ids[t.name] = termId;
      using[termId] = this.countTerm(termId, t.counts, scope, period);
    };
    term(formula.samples);
    if (formula.kind === 'rate') term(formula.part);
    else {
      ids[formula.name] = `${formula.name}${s}`;
      using[`${formula.name}${s}`] = this.responseTime(scope, formula.statistic, period);
    }
    const text = kpiExpression(id, ids, minimumSamples(this.props.minimumSamplesPerMinute, period.toSeconds()));
    return expression(`${KPIS[id].title} (${scope})`, period, text, using);
  }

  /** Requests routed to a slot's target group, or received by the load balancer, zero-filled. */
  requests(scope: KpiScope, period: Duration): cloudwatch.MathExpression {
    const metric =
      scope === 'service'
        ? this.props.loadBalancer.metrics.requestCount({ period })
        : this.props.targetGroups[scope].metrics.requestCount({ period });
    return expression(`Requests (${scope})`, period, `FILL(requestCount${scope}, 0)`, { [`requestCount${scope}`]: metric });
  }

  /** ALB TargetResponseTime at a statistic such as "p95", in seconds. */
  responseTime(scope: KpiScope, statistic: string, period: Duration): cloudwatch.Metric {
    return scope === 'service'
      ? this.props.loadBalancer.metrics.targetResponseTime({ statistic, period })
      : this.props.targetGroups[scope].metrics.targetResponseTime({ statistic, period });
  }

  /** A sum of counts over the scope, zero-filled: the requests alone keep their own expression. */
  private countTerm(id: string, counts: readonly CountName[], scope: KpiScope, period: Duration): cloudwatch.IMetric {
    if (counts.length === 1 && counts[0] === 'requests') return this.requests(scope, period);
    return sum(id, period, counts.flatMap((c) => COUNT_SOURCES[c][scopeKind(scope)].flatMap((source) => this.sourceMetrics(source, scope, period))));
  }

  /** The metrics of one count source in a scope: an app metric of each slot, or the ALB metric. */
  private sourceMetrics(source: CountSource, scope: KpiScope, period: Duration): cloudwatch.IMetric[] {
    if (isAppMetric(source)) return (scope === 'service' ? SLOT_NAMES : [scope]).map((slot) => this.appMetric(source, slot, period));
    if (scope === 'service') {
      const lb = this.props.loadBalancer.metrics;
      const metric: Record<AlbCountMetric, () => cloudwatch.Metric> = {
        RequestCount: () => lb.requestCount({ period }),
        HTTPCode_Target_5XX_Count: () => lb.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period }),
        TargetConnectionErrorCount: () => lb.targetConnectionErrorCount({ period }),
        HTTPCode_ELB_5XX_Count: () => lb.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period }),
      };
      return [metric[source]()];
    }
    const tg = this.props.targetGroups[scope].metrics;
    const metric: Record<AlbCountMetric, (() => cloudwatch.Metric) | undefined> = {
      RequestCount: () => tg.requestCount({ period }),
      HTTPCode_Target_5XX_Count: () => tg.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period }),
      TargetConnectionErrorCount: () => tg.targetConnectionErrorCount({ period }),
      // The ALB's own 5xx have no TargetGroup dimension (see COUNT_SOURCES).
      HTTPCode_ELB_5XX_Count: undefined,
    };
    const make = metric[source];
    if (!make) throw new Error(`${source} has no target group dimension: it cannot count for the ${scope} slot`);
    return [make()];
  }
}

const APP_METRIC_NAMES: ReadonlySet<string> = new Set(Object.values(APP_METRICS));

function isAppMetric(source: CountSource): source is AppMetricName {
  return APP_METRIC_NAMES.has(source);
}

function expression(
  label: string,
  period: Duration,
  text: string,
  usingMetrics: Record<string, cloudwatch.IMetric>,
): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({ expression: text, usingMetrics, label, period });
}

/** `FILL(a, 0) + FILL(b, 0) + ...`: counts are absent when zero, so missing means none. */
function sum(id: string, period: Duration, metrics: cloudwatch.IMetric[]): cloudwatch.MathExpression {
  const using = Object.fromEntries(metrics.map((m, i) => [`${id}${i}`, m]));
  const text = Object.keys(using)
    .map((key) => `FILL(${key}, 0)`)
    .join(' + ');
  return new cloudwatch.MathExpression({ expression: text, usingMetrics: using, label: id, period });
}
