import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { SLOT_NAMES, type EnvironmentName, type SlotName } from '../../shared/environment-names';
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

  /** The KPI as the alarms see it, in its contract unit (percent or milliseconds). */
  kpi(id: KpiId, scope: KpiScope, period: Duration): cloudwatch.MathExpression {
    const n = this.minimumSamples(period);
    const label = `${KPIS[id].title} (${scope})`;
    // Ids carry the scope: a graph draws stable, canary and service side by side, and CloudWatch
    // wants every id in a graph unique.
    const s = scope[0]!.toUpperCase() + scope.slice(1);
    const ids = (...names: string[]) => names.map((name) => `${name}${s}`);
    switch (id) {
      case 'llmSuccessRate': {
        const [calls, ok] = ids('calls', 'ok') as [string, string];
        return expression(label, period, `IF(${calls} >= ${n}, 100 * MIN([${ok}, ${calls}]) / ${calls}, 100)`, {
          [calls]: this.appCount(calls, APP_METRICS.toolCalls, scope, period),
          [ok]: this.appCount(ok, APP_METRICS.toolCallSuccesses, scope, period),
        });
      }
      case 'enumValidationSuccess': {
        const [checks, failed] = ids('checks', 'failed') as [string, string];
        return expression(label, period, `IF(${checks} >= ${n}, 100 - 100 * MIN([${failed}, ${checks}]) / ${checks}, 100)`, {
          [checks]: this.appCount(checks, APP_METRICS.enumValidations, scope, period),
          [failed]: this.appCount(failed, APP_METRICS.enumValidationFailures, scope, period),
        });
      }
      case 'errorRate': {
        const [requests, errors] = ids('requests', 'errors') as [string, string];
        const errorCounts = [...this.appCounts(APP_METRICS.toolCallErrors, scope, period), ...this.http5xx(scope, period)];
        return expression(label, period, `IF(${requests} >= ${n}, 100 * MIN([${errors}, ${requests}]) / ${requests}, 0)`, {
          [requests]: this.requests(scope, period),
          [errors]: sum(errors, period, errorCounts),
        });
      }
      case 'availability': {
        const [requests, failed] = ids('requests', 'failed') as [string, string];
        return expression(label, period, `IF(${requests} >= ${n}, 100 - 100 * MIN([${failed}, ${requests}]) / ${requests}, 100)`, {
          [requests]: this.requests(scope, period),
          [failed]: sum(failed, period, this.failedRequests(scope, period)),
        });
      }
      case 'responseTimeP95': {
        const [requests, p95] = ids('requests', 'p95') as [string, string];
        // TargetResponseTime is in seconds; the contract's thresholds are milliseconds.
        return expression(label, period, `IF(${requests} >= ${n}, 1000 * ${p95}, 0)`, {
          [requests]: this.requests(scope, period),
          [p95]: this.responseTime(scope, 'p95', period),
        });
      }
    }
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

  /** Requests that failed at the HTTP layer: target 5xx, and ALB 5xx or connection errors. */
  private failedRequests(scope: KpiScope, period: Duration): cloudwatch.IMetric[] {
    if (scope === 'service') return this.http5xx(scope, period);
    const tg = this.props.targetGroups[scope];
    return [...this.http5xx(scope, period), tg.metrics.targetConnectionErrorCount({ period })];
  }

  /**
   * HTTP 5xx: the target's own, and for the whole service also the ALB's (502/503/504 when no
   * target answers), which has no target group dimension.
   */
  private http5xx(scope: KpiScope, period: Duration): cloudwatch.IMetric[] {
    if (scope === 'service') {
      const lb = this.props.loadBalancer.metrics;
      return [
        lb.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period }),
        lb.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period }),
      ];
    }
    return [this.props.targetGroups[scope].metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period })];
  }

  private appCounts(name: AppMetricName, scope: KpiScope, period: Duration): cloudwatch.IMetric[] {
    const slots = scope === 'service' ? SLOT_NAMES : [scope];
    return slots.map((slot) => this.appMetric(name, slot, period));
  }

  private appCount(id: string, name: AppMetricName, scope: KpiScope, period: Duration): cloudwatch.MathExpression {
    return sum(id, period, this.appCounts(name, scope, period));
  }

  private minimumSamples(period: Duration): number {
    return Math.max(1, Math.round((this.props.minimumSamplesPerMinute * period.toSeconds()) / 60));
  }
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
