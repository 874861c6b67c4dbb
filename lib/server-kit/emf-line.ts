/**
 * Builds the one EMF line the instrumentation writes per `tools/call`. Every name, dimension set
 * and the namespace come from the metrics contract; the parts that never change between calls are
 * rendered once, so a call costs a few string concatenations (README "Server kit", `npm run bench`).
 */
import type { EnvironmentName, SlotName } from '../shared/environment-names';
import {
  APP_METRIC_DIMENSION_SETS,
  APP_METRICS,
  DIMENSIONS,
  METRICS_NAMESPACE,
  type AppMetricName,
  type ErrorCategory,
} from '../shared/metrics-contract';

/** What one call contributes to the enum KPIs (README "Enum validation" defines each count). */
export interface EnumCounts {
  readonly validations: number;
  readonly failures: number;
  readonly corrections: number;
  readonly newPatterns: number;
}

export interface ToolCallRecord {
  /** The `Tool` dimension value: a tool the server has, or OTHER_DIMENSION_VALUE. */
  readonly tool: string;
  /** Undefined for a success. */
  readonly errorCategory?: ErrorCategory;
  /** Present when the call checked enum parameters or corrected anything. */
  readonly enums?: EnumCounts;
  /** Written as a plain property (not a metric) while `performance_monitoring` is on. */
  readonly durationMs?: number;
}

const UNIT = 'Count';
const CALL_METRICS: readonly AppMetricName[] = [APP_METRICS.toolCalls, APP_METRICS.toolCallSuccesses];
const ERROR_METRICS: readonly AppMetricName[] = [APP_METRICS.toolCallErrors];
const ENUM_METRICS: readonly AppMetricName[] = [
  APP_METRICS.enumValidations,
  APP_METRICS.enumValidationFailures,
  APP_METRICS.autoCorrections,
  APP_METRICS.newEnumPatterns,
];

/**
 * The `CloudWatchMetrics` array for these metrics: one directive per distinct list of contract
 * dimension sets, so each metric carries exactly its contract sets.
 */
export function renderDirectives(metrics: readonly AppMetricName[]): string {
  const groups = new Map<string, AppMetricName[]>();
  for (const metric of metrics) {
    const key = JSON.stringify(APP_METRIC_DIMENSION_SETS[metric]);
    groups.set(key, [...(groups.get(key) ?? []), metric]);
  }
  const directives = [...groups].map(([dimensions, names]) => ({
    Namespace: METRICS_NAMESPACE,
    Dimensions: JSON.parse(dimensions) as string[][],
    Metrics: names.map((Name) => ({ Name, Unit: UNIT })),
  }));
  return JSON.stringify(directives);
}

export class EmfLineBuilder {
  private readonly directives: Readonly<Record<'ok' | 'okEnums' | 'error' | 'errorEnums', string>>;
  private readonly dimensionPrefix: string;
  private readonly toolJson = new Map<string, string>();

  constructor(environment: EnvironmentName, slot: SlotName) {
    this.directives = {
      ok: renderDirectives(CALL_METRICS),
      okEnums: renderDirectives([...CALL_METRICS, ...ENUM_METRICS]),
      error: renderDirectives([...CALL_METRICS, ...ERROR_METRICS]),
      errorEnums: renderDirectives([...CALL_METRICS, ...ERROR_METRICS, ...ENUM_METRICS]),
    };
    this.dimensionPrefix = `,${JSON.stringify(DIMENSIONS.environment)}:${JSON.stringify(environment)},${JSON.stringify(DIMENSIONS.slot)}:${JSON.stringify(slot)},${JSON.stringify(DIMENSIONS.tool)}:`;
  }

  /** The line (without its newline) for one call. */
  line(record: ToolCallRecord, timestampMs: number): string {
    const failed = record.errorCategory !== undefined;
    const enums = record.enums;
    const directives = this.directives[failed ? (enums ? 'errorEnums' : 'error') : enums ? 'okEnums' : 'ok'];
    let line = `{"_aws":{"Timestamp":${Math.trunc(timestampMs)},"CloudWatchMetrics":${directives}}${this.dimensionPrefix}${this.tool(record.tool)}`;
    if (failed) line += `,"${DIMENSIONS.errorCategory}":"${record.errorCategory}"`;
    line += `,"${APP_METRICS.toolCalls}":1,"${APP_METRICS.toolCallSuccesses}":${failed ? 0 : 1}`;
    if (failed) line += `,"${APP_METRICS.toolCallErrors}":1`;
    if (enums) {
      line +=
        `,"${APP_METRICS.enumValidations}":${enums.validations},"${APP_METRICS.enumValidationFailures}":${enums.failures}` +
        `,"${APP_METRICS.autoCorrections}":${enums.corrections},"${APP_METRICS.newEnumPatterns}":${enums.newPatterns}`;
    }
    if (record.durationMs !== undefined) line += `,"durationMs":${Math.round(record.durationMs * 1000) / 1000}`;
    return `${line}}`;
  }

  private tool(name: string): string {
    let json = this.toolJson.get(name);
    if (json === undefined) {
      json = JSON.stringify(name);
      // Bounded by the kit: only known tool names and the fallback value reach here.
      this.toolJson.set(name, json);
    }
    return json;
  }
}
