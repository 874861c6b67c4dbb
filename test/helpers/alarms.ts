import type { Template } from 'aws-cdk-lib/assertions';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- CloudFormation JSON is untyped

/** Every CloudWatch alarm of a template, keyed by AlarmName. */
export function alarmsByName(template: Template): Record<string, Json> {
  const resources = template.findResources('AWS::CloudWatch::Alarm') as Record<string, { Properties: Json }>;
  return Object.fromEntries(Object.values(resources).map((r) => [r.Properties.AlarmName as string, r.Properties]));
}

/** A dimension or target value: plain, or `<LogicalId.Attr>` for a GetAtt, `<LogicalId>` for a Ref. */
function show(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Json;
  if (v['Fn::GetAtt']) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  if (v.Ref) return `<${v.Ref as string}>`;
  // Target group metrics name their load balancer by splitting the listener ARN.
  const listener = /\{"Ref":"([A-Za-z0-9]+)"\}/.exec(JSON.stringify(value));
  if (v['Fn::Join'] && listener) return `<load balancer of ${listener[1]!}>`;
  return JSON.stringify(value);
}

function leaf(stat: Json): string {
  const m = stat.Metric as Json;
  const dims = ((m.Dimensions ?? []) as Json[]).map((d) => `${d.Name as string}=${show(d.Value)}`).join(',');
  return `${m.Namespace as string}/${m.MetricName as string}{${dims}} ${stat.Stat as string}@${String(stat.Period)}`;
}

/**
 * The alarm's metric as one readable string: the returned expression with every id replaced by
 * its own expression in brackets (a metric without), down to `Namespace/Metric{dims} Stat@Period` leaves. Tests
 * compare it whole, so any change to the math, a dimension, a statistic or a period fails.
 */
export function alarmMath(alarm: Json): string {
  if (alarm.MetricName) {
    return leaf({ Metric: { Namespace: alarm.Namespace, MetricName: alarm.MetricName, Dimensions: alarm.Dimensions }, Stat: alarm.Statistic ?? alarm.ExtendedStatistic, Period: alarm.Period });
  }
  const queries = alarm.Metrics as Json[];
  const byId = new Map(queries.map((q) => [q.Id as string, q]));
  const render = (q: Json): string => {
    if (q.MetricStat) return leaf(q.MetricStat as Json);
    return (q.Expression as string).replace(/\b[a-z][A-Za-z0-9_]*\b/g, (id) => {
      const inner = byId.get(id);
      if (!inner) return id;
      return inner.MetricStat ? render(inner) : `[${render(inner)}]`;
    });
  };
  const returned = queries.filter((q) => q.ReturnData !== false);
  if (returned.length !== 1) throw new Error(`alarm ${alarm.AlarmName as string} returns ${returned.length} series`);
  return render(returned[0]!);
}

/** Count of plain metrics (not expressions) the alarm reads. */
export function metricCount(alarm: Json): number {
  return ((alarm.Metrics ?? [{}]) as Json[]).filter((q) => q.MetricStat || !q.Expression).length;
}
