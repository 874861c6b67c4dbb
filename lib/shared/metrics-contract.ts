/**
 * The metrics contract (DESIGN.md D3): the one place that names the namespace, metrics and
 * dimensions the server emits, the KPI thresholds of the seed, the rollback triggers, the alarm
 * windows and naming, and the info events. Alarms, dashboards, the rollback Lambda and the CLI's
 * gate all read it. Pure TypeScript, no aws-cdk-lib import (D4).
 */
import type { EnvironmentName, SlotName } from './environment-names';

export const METRICS_NAMESPACE = 'MCP/HierarchicalTools';

/** Dimension names of the app metrics. Every app metric carries Environment and Slot. */
export const DIMENSIONS = {
  environment: 'Environment',
  slot: 'Slot',
  tool: 'Tool',
  errorCategory: 'ErrorCategory',
} as const;

/** Count metrics (unit Count, statistic Sum) the server writes as EMF log lines. */
export const APP_METRICS = {
  toolCalls: 'ToolCalls',
  toolCallSuccesses: 'ToolCallSuccesses',
  toolCallErrors: 'ToolCallErrors',
  enumValidations: 'EnumValidations',
  enumValidationFailures: 'EnumValidationFailures',
  autoCorrections: 'AutoCorrections',
  newEnumPatterns: 'NewEnumPatterns',
} as const;

export type AppMetricName = (typeof APP_METRICS)[keyof typeof APP_METRICS];

/**
 * The dimension sets the server must emit each metric with (the EMF `Dimensions` array). Alarms
 * read the [Environment, Slot] set; per-tool and per-category graphs search the wider ones.
 */
export const APP_METRIC_DIMENSION_SETS: Readonly<Record<AppMetricName, readonly (readonly string[])[]>> = {
  ToolCalls: [
    [DIMENSIONS.environment, DIMENSIONS.slot],
    [DIMENSIONS.environment, DIMENSIONS.slot, DIMENSIONS.tool],
  ],
  ToolCallSuccesses: [
    [DIMENSIONS.environment, DIMENSIONS.slot],
    [DIMENSIONS.environment, DIMENSIONS.slot, DIMENSIONS.tool],
  ],
  ToolCallErrors: [
    [DIMENSIONS.environment, DIMENSIONS.slot],
    [DIMENSIONS.environment, DIMENSIONS.slot, DIMENSIONS.tool],
    [DIMENSIONS.environment, DIMENSIONS.slot, DIMENSIONS.errorCategory],
  ],
  EnumValidations: [[DIMENSIONS.environment, DIMENSIONS.slot]],
  EnumValidationFailures: [[DIMENSIONS.environment, DIMENSIONS.slot]],
  AutoCorrections: [[DIMENSIONS.environment, DIMENSIONS.slot]],
  NewEnumPatterns: [[DIMENSIONS.environment, DIMENSIONS.slot]],
};

/**
 * The closed list of `ErrorCategory` values, so the number of metric series cannot grow without
 * bound. Aligned with the OpenTelemetry MCP semantic conventions' `error.type`
 * (https://github.com/open-telemetry/semantic-conventions/blob/main/docs/gen-ai/mcp.md): the
 * JSON-RPC error code as a string, `tool_error` for a CallToolResult with `isError: true`, and
 * OpenTelemetry's fallback `_OTHER` for any code not listed. Each value says when it is used.
 */
export const ERROR_CATEGORIES = {
  tool_error:
    'a result with isError: true: the tool failed, or the SDK refused the call (unknown or disabled tool, arguments that fail the input schema)',
  '-32600': 'JSON-RPC invalid request',
  '-32601': 'method not found (e.g. a tool that requires task augmentation)',
  '-32602': 'invalid params, e.g. a tool result that fails its schema (low-level SDK Server)',
  '-32603': 'internal error: a tools/call request the SDK cannot parse (no tool name), or a handler that threw outside the SDK tool wrapper',
  '-32000': 'connection closed (SDK ErrorCode.ConnectionClosed)',
  '-32001': 'request timeout (SDK ErrorCode.RequestTimeout)',
  '-32042': 'URL elicitation required (MCP)',
  cancelled: 'no response: the client cancelled the call (notifications/cancelled, e.g. on its timeout) or the connection closed first',
  _OTHER: 'any other JSON-RPC error code',
} as const;

export type ErrorCategory = keyof typeof ERROR_CATEGORIES;

/**
 * OpenTelemetry's fallback value: `ErrorCategory` for an unlisted code, and `Tool` for a call that
 * names no tool the server has (so a client cannot create a series per made-up name).
 */
export const OTHER_DIMENSION_VALUE = '_OTHER';

/** The server's health check path: the target groups probe it (MCP endpoints answer GET with 405/406). */
export const HEALTH_CHECK_PATH = '/health';

/**
 * How the target groups probe HEALTH_CHECK_PATH, and how long ECS ignores failed probes of a task
 * that just started (the service's health check grace period). A registered target is healthy
 * after one passing check
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
 */
export const HEALTH_CHECK_TIMING = {
  intervalSeconds: 10,
  timeoutSeconds: 5,
  healthyThreshold: 2,
  unhealthyThreshold: 3,
  gracePeriodSeconds: 60,
} as const;

/**
 * How long a starting server retries its first flag read before it gives up: inside the grace
 * period, with one probe interval and its timeout left, so a server that reads the flags just in
 * time still passes a probe before ECS judges the task.
 */
export const FLAGS_START_DEADLINE_MS =
  (HEALTH_CHECK_TIMING.gracePeriodSeconds - HEALTH_CHECK_TIMING.intervalSeconds - HEALTH_CHECK_TIMING.timeoutSeconds) * 1000;

/** Environment variables the stack gives each server container. */
export const CONTAINER_ENVIRONMENT = {
  environment: 'MCP_ENVIRONMENT',
  slot: 'MCP_SLOT',
  namespace: 'MCP_METRICS_NAMESPACE',
  featureFlagsUrl: 'MCP_FEATURE_FLAGS_URL',
  /** The container port, as the port mapping and the target group have it. */
  port: 'PORT',
  /** The address to listen on: CONTAINER_LISTEN_HOST. */
  host: 'HOST',
} as const;

/** Every interface of the task: the load balancer reaches a target at the task's IP, never on loopback. */
export const CONTAINER_LISTEN_HOST = '0.0.0.0';

// ---------------------------------------------------------------------------------------------
// KPIs

export const KPI_IDS = ['llmSuccessRate', 'responseTimeP95', 'errorRate', 'enumValidationSuccess', 'availability'] as const;
export type KpiId = (typeof KPI_IDS)[number];

export type KpiUnit = 'percent' | 'milliseconds';

export interface KpiDefinition {
  /** Used in alarm names and dashboard ids. */
  readonly slug: string;
  readonly title: string;
  readonly unit: KpiUnit;
  /** Whether a bigger value is healthier (success rates) or worse (latency, errors). */
  readonly higherIsBetter: boolean;
}

/** What each KPI is; its math lives in kpi-formulas.ts. */
export const KPIS: Readonly<Record<KpiId, KpiDefinition>> = {
  llmSuccessRate: {
    slug: 'llm-success-rate',
    title: 'LLM success rate',
    unit: 'percent',
    higherIsBetter: true,
  },
  responseTimeP95: {
    slug: 'response-time-p95',
    title: 'Response time p95',
    unit: 'milliseconds',
    higherIsBetter: false,
  },
  errorRate: {
    slug: 'error-rate',
    title: 'Error rate',
    unit: 'percent',
    higherIsBetter: false,
  },
  enumValidationSuccess: {
    slug: 'enum-validation-success',
    title: 'enumDescription validation success',
    unit: 'percent',
    higherIsBetter: true,
  },
  availability: {
    slug: 'availability',
    title: 'Availability',
    unit: 'percent',
    higherIsBetter: true,
  },
};

export interface RollbackTrigger {
  readonly threshold: number;
  /** Consecutive one-minute datapoints that must breach: the seed's "for > N minutes". */
  readonly minutes: number;
}

export interface KpiThresholds {
  /** Drawn on dashboards and used by the gate; never alarmed on. */
  readonly target: number;
  /** Omitted where the seed has no warning level (availability). */
  readonly warning?: number;
  readonly critical: number;
  /** Omitted where the seed has no rollback trigger (enumDescription validation). */
  readonly trigger?: RollbackTrigger;
}

export type KpiThresholdTable = Readonly<Record<KpiId, KpiThresholds>>;

/**
 * The seed's numbers, exactly. Availability's trigger duration is ours (the seed gives none):
 * five minutes, like the success-rate trigger, so one failed request or one bad minute cannot
 * roll back while a real outage still does, well before on-call could.
 */
export const SEED_THRESHOLDS: KpiThresholdTable = {
  llmSuccessRate: { target: 95, warning: 90, critical: 85, trigger: { threshold: 85, minutes: 5 } },
  responseTimeP95: { target: 100, warning: 150, critical: 300, trigger: { threshold: 500, minutes: 3 } },
  errorRate: { target: 1, warning: 2, critical: 5, trigger: { threshold: 10, minutes: 2 } },
  enumValidationSuccess: { target: 98, warning: 95, critical: 90 },
  availability: { target: 99.9, critical: 99, trigger: { threshold: 99, minutes: 5 } },
};

/** Partial thresholds an environment may set in its config. */
export type KpiThresholdOverrides = {
  readonly [K in KpiId]?: {
    readonly target?: number;
    readonly warning?: number;
    readonly critical?: number;
    readonly trigger?: Partial<RollbackTrigger>;
  };
};

export class MetricsContractError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid KPI thresholds:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'MetricsContractError';
  }
}

/** The most minutes a trigger may span: CloudWatch evaluates at most a day of one-minute data. */
export const MAX_TRIGGER_MINUTES = 60;

/**
 * Every problem with a threshold table, as `<path>: <what is wrong>`. `path` prefixes each field
 * (e.g. `environments.production.kpiThresholds`).
 */
export function thresholdProblems(table: KpiThresholdTable, path = 'kpiThresholds'): string[] {
  const problems: string[] = [];
  for (const id of KPI_IDS) {
    const kpi = KPIS[id];
    const t = table[id];
    const at = (field: string) => `${path}.${id}.${field}`;
    const unitProblem = (field: string, value: number) => {
      if (!Number.isFinite(value)) problems.push(`${at(field)}: must be a number, got ${String(value)}`);
      else if (kpi.unit === 'percent' && (value < 0 || value > 100)) {
        problems.push(`${at(field)}: must be a percent from 0 to 100, got ${value}`);
      } else if (kpi.unit === 'milliseconds' && (value <= 0 || value > 60_000)) {
        problems.push(`${at(field)}: must be milliseconds above 0 and at most 60000, got ${value}`);
      } else return false;
      return true;
    };
    const levels: [string, number | undefined][] = [
      ['target', t.target],
      ['warning', t.warning],
      ['critical', t.critical],
      ['trigger.threshold', t.trigger?.threshold],
    ];
    if (levels.some(([field, v]) => v !== undefined && unitProblem(field, v))) continue;

    // "Less severe" means closer to healthy: above for success rates, below for latency and errors.
    const worse = kpi.higherIsBetter ? 'below' : 'above';
    const strictlyWorse = (a: number, b: number) => (kpi.higherIsBetter ? a < b : a > b);
    if (t.warning !== undefined) {
      if (!strictlyWorse(t.warning, t.target)) {
        problems.push(`${at('warning')}: must be ${worse} target (${t.target}), got ${t.warning}`);
      }
      if (!strictlyWorse(t.critical, t.warning)) {
        problems.push(`${at('critical')}: must be ${worse} warning (${t.warning}): warning is the less severe level, got ${t.critical}`);
      }
    } else if (!strictlyWorse(t.critical, t.target)) {
      problems.push(`${at('critical')}: must be ${worse} target (${t.target}), got ${t.critical}`);
    }
    if (t.trigger) {
      if (strictlyWorse(t.critical, t.trigger.threshold)) {
        problems.push(
          `${at('trigger.threshold')}: must be at least as severe as critical (${t.critical}, so ${worse} or equal), got ${t.trigger.threshold}`,
        );
      }
      if (!Number.isInteger(t.trigger.minutes) || t.trigger.minutes < 1 || t.trigger.minutes > MAX_TRIGGER_MINUTES) {
        problems.push(`${at('trigger.minutes')}: must be an integer from 1 to ${MAX_TRIGGER_MINUTES}, got ${String(t.trigger.minutes)}`);
      }
    }
  }
  return problems;
}

/** Applies an environment's overrides to the seed's table and validates the result. */
export function resolveThresholds(overrides: KpiThresholdOverrides = {}, path = 'kpiThresholds'): KpiThresholdTable {
  const table = Object.fromEntries(
    KPI_IDS.map((id) => {
      const seed = SEED_THRESHOLDS[id];
      const o = overrides[id] ?? {};
      if (o.warning !== undefined && seed.warning === undefined) {
        throw new MetricsContractError([`${path}.${id}.warning: ${KPIS[id].title} has no warning level in the seed, got ${o.warning}`]);
      }
      if (o.trigger !== undefined && seed.trigger === undefined) {
        throw new MetricsContractError([`${path}.${id}.trigger: ${KPIS[id].title} has no rollback trigger in the seed`]);
      }
      const merged: KpiThresholds = {
        target: o.target ?? seed.target,
        critical: o.critical ?? seed.critical,
        ...(seed.warning !== undefined ? { warning: o.warning ?? seed.warning } : {}),
        ...(seed.trigger ? { trigger: { ...seed.trigger, ...o.trigger } } : {}),
      };
      return [id, merged];
    }),
  ) as Record<KpiId, KpiThresholds>;
  const problems = thresholdProblems(table, path);
  if (problems.length > 0) throw new MetricsContractError(problems);
  return table;
}

// Validated at load: a wrong edit of the seed table above fails every synth and test run.
{
  const problems = thresholdProblems(SEED_THRESHOLDS, 'SEED_THRESHOLDS');
  if (problems.length > 0) throw new MetricsContractError(problems);
}

// ---------------------------------------------------------------------------------------------
// Alarms

/** What an alarm looks at: one slot, or the whole service (both slots, the load balancer). */
export type KpiScope = SlotName | 'service';

/** Scopes that get alarms: the canary (a bad release shows there first) and the whole service. */
export const ALARM_SCOPES: readonly KpiScope[] = ['canary', 'service'];

/** The notification severities: one SNS topic each. */
export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** An alarm's level: a notification severity, or a rollback trigger (which notifies critical). */
export type AlarmSeverity = Severity | 'trigger';

export interface AlarmWindow {
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
}

/**
 * Alarm windows by severity (the seed gives durations only for triggers). Warnings want a
 * sustained trend and must not flap: 2 of the last 3 five-minute periods. Critical pages after
 * 3 consecutive bad minutes. Triggers use the seed's minutes of one-minute data.
 */
export const ALARM_WINDOWS: Readonly<Record<'warning' | 'critical', AlarmWindow>> = {
  warning: { periodSeconds: 300, evaluationPeriods: 3, datapointsToAlarm: 2 },
  critical: { periodSeconds: 60, evaluationPeriods: 3, datapointsToAlarm: 3 },
};

export function triggerWindow(trigger: RollbackTrigger): AlarmWindow {
  return { periodSeconds: 60, evaluationPeriods: trigger.minutes, datapointsToAlarm: trigger.minutes };
}

/** The NewEnumPatterns info alarm: any new pattern in a five-minute period. */
export const NEW_ENUM_PATTERN_WINDOW: AlarmWindow = { periodSeconds: 300, evaluationPeriods: 1, datapointsToAlarm: 1 };

/**
 * Requests (or tool calls, or validations) a one-minute period needs before a rate can alarm;
 * below it the KPI reads as healthy. Environments override it in their config.
 */
export const DEFAULT_MINIMUM_SAMPLES_PER_MINUTE = 10;

// ---------------------------------------------------------------------------------------------
// Info events

/** EventBridge `source` of the events this project emits (CLI and rollback Lambda). */
export const ROLLOUT_EVENT_SOURCE = 'mcp-rollout';

export const INFO_EVENTS = {
  deploymentCompleted: 'deployment_completed',
  trafficPercentageChanged: 'traffic_percentage_changed',
  newEnumPatternDetected: 'new_enumdescription_pattern_detected',
} as const;

/** EventBridge `detail-type`s routed to the info topic. */
export const INFO_EVENT_DETAIL_TYPES = [INFO_EVENTS.deploymentCompleted, INFO_EVENTS.trafficPercentageChanged] as const;
export type InfoEventDetailType = (typeof INFO_EVENT_DETAIL_TYPES)[number];

/** `detail` of `traffic_percentage_changed`: emitted once CloudFormation applied the new weights. */
export interface TrafficPercentageChangedDetail {
  readonly environment: EnvironmentName;
  readonly previousPercent: number;
  readonly canaryPercent: number;
  readonly requestedBy: string;
  /** ISO 8601. */
  readonly time: string;
}

/** `detail` of `deployment_completed`: a stage deploy finished successfully. */
export interface DeploymentCompletedDetail {
  readonly environment: EnvironmentName;
  readonly stackName: string;
  readonly canaryPercent: number;
  readonly images: Readonly<Record<SlotName, string>>;
  readonly requestedBy: string;
  readonly durationSeconds: number;
  /** ISO 8601. */
  readonly time: string;
}

export interface InfoEventDetails {
  readonly deployment_completed: DeploymentCompletedDetail;
  readonly traffic_percentage_changed: TrafficPercentageChangedDetail;
}

/** Problems with an event detail before it is sent; an empty list means it matches the schema. */
export function infoEventProblems<T extends InfoEventDetailType>(type: T, detail: InfoEventDetails[T]): string[] {
  const problems: string[] = [];
  const record = detail as unknown as Record<string, unknown>;
  const percent = (field: string) => {
    const v = record[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 100) {
      problems.push(`${type}.${field}: must be an integer from 0 to 100, got ${JSON.stringify(v)}`);
    }
  };
  const text = (field: string) => {
    const v = record[field];
    if (typeof v !== 'string' || v.length === 0) problems.push(`${type}.${field}: must be a non-empty string, got ${JSON.stringify(v)}`);
  };
  text('environment');
  text('requestedBy');
  text('time');
  if (typeof record.time === 'string' && Number.isNaN(Date.parse(record.time))) {
    problems.push(`${type}.time: must be an ISO 8601 time, got ${JSON.stringify(record.time)}`);
  }
  percent('canaryPercent');
  if (type === INFO_EVENTS.trafficPercentageChanged) percent('previousPercent');
  if (type === INFO_EVENTS.deploymentCompleted) {
    text('stackName');
    const images = record.images as Record<string, unknown> | undefined;
    if (typeof images?.stable !== 'string' || typeof images.canary !== 'string') {
      problems.push(`${type}.images: must be { stable: <tag>, canary: <tag> }, got ${JSON.stringify(images)}`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Phase gates

/** DESIGN.md phase gates: minutes to bake after each canary phase of the seed before the next. */
export const PHASE_BAKE_MINUTES: Readonly<Record<number, number>> = { 10: 30, 50: 60 };

/** The level a KPI value reaches: the worst threshold it breaches, or `ok` when it meets none. */
export type KpiLevel = 'ok' | 'off-target' | 'warning' | 'critical';

/** Compares a KPI value with its thresholds in the direction the KPI is healthy. */
export function kpiLevel(id: KpiId, value: number, thresholds: KpiThresholds): KpiLevel {
  const worse = (limit: number) => (KPIS[id].higherIsBetter ? value < limit : value > limit);
  if (worse(thresholds.critical)) return 'critical';
  if (thresholds.warning !== undefined && worse(thresholds.warning)) return 'warning';
  // Targets are inclusive ("≥ 95 %"), so only a value strictly worse misses it.
  return worse(thresholds.target) ? 'off-target' : 'ok';
}
