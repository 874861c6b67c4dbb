/**
 * What the rollback Lambda, the CDK app and the operator CLI agree on (DESIGN.md D2): the latch
 * parameter and its value, the manual request, the result the function returns, and the
 * environment the function reads. Pure TypeScript (D4).
 */
import type { EnvironmentName } from './environment-names';
import type { FlagName } from './feature-flags';

/** The latch's value when no rollback is in force. Any other value means rolled back. */
export const LATCH_CLEAR = 'clear';

/** The SSM parameter that latches an environment as rolled back; its name lives with the others. */
export { latchParameterName } from './names';

/** What the latch holds while set: why, who or which alarm, and when. */
export interface LatchRecord {
  readonly state: 'latched';
  readonly reason: string;
  /** The alarm name, or the person who asked. */
  readonly requestedBy: string;
  /** ISO 8601. */
  readonly time: string;
}

export type LatchState = { readonly latched: false } | { readonly latched: true; readonly record?: LatchRecord; readonly raw: string };

/** The longest reason the latch keeps: what a person writes with `--reason`, whichever command. */
export const MAX_REASON_LENGTH = 1000;

/** SSM standard parameters hold at most 4 KB. */
const MAX_LATCH_VALUE_LENGTH = 4096;

export function serializeLatch(record: LatchRecord): string {
  const fitted = { ...record, reason: record.reason.slice(0, MAX_REASON_LENGTH), requestedBy: record.requestedBy.slice(0, 256) };
  const value = JSON.stringify(fitted);
  if (value.length > MAX_LATCH_VALUE_LENGTH) throw new Error(`latch value must be at most ${MAX_LATCH_VALUE_LENGTH} characters, got ${value.length}`);
  return value;
}

/** Reads a latch value; anything but `clear` latches, even a value this code did not write. */
export function parseLatch(value: string): LatchState {
  if (value === LATCH_CLEAR) return { latched: false };
  try {
    const parsed = JSON.parse(value) as Partial<LatchRecord>;
    if (parsed.state === 'latched' && typeof parsed.reason === 'string' && typeof parsed.requestedBy === 'string' && typeof parsed.time === 'string') {
      return { latched: true, record: parsed as LatchRecord, raw: value };
    }
  } catch {
    // Not ours (set by hand, say): still latched, shown raw.
  }
  return { latched: true, raw: value };
}

/** The manual request the CLI (or a person in the console) sends the function. */
export interface ManualRollbackRequest {
  readonly action: 'rollback';
  readonly reason: string;
  readonly requestedBy: string;
  /** Report what would change and change nothing. */
  readonly dryRun?: boolean;
}

/** The live state the function reads before and after acting. */
export interface EnvironmentState {
  /** Absent when the traffic rule could not be read (see `unread`). */
  readonly weights?: { readonly stable: number; readonly canary: number };
  /** Absent when the latch could not be read (see `unread`). */
  readonly latch?: LatchState;
  /** The applied document's values; empty when the flag deployments could not be read. */
  readonly flags: Readonly<Partial<Record<FlagName, boolean>>>;
  /** What could not be read, each with its error: `the traffic rule: ServiceUnavailableException: ...`. */
  readonly unread?: readonly string[];
  /** The newest flag deployment: its number, state and configuration version. */
  readonly flagDeployment?: { readonly number: number; readonly state: string; readonly version: string };
}

/** What the flags step did, so the record says which document the rollback started from. */
export interface FlagChange {
  /** The last COMPLETE deployment and its version: the document the rolled-back one is derived from. */
  readonly sourceDeployment?: number;
  readonly sourceVersion?: string;
  /** A deployment that was in progress and was stopped first, and how. */
  readonly stopped?: { readonly number: number; readonly stateBefore: string; readonly stateAfter: string; readonly allowRevert: boolean };
  /** The hosted version created with the rollback flags off, and its immediate deployment. */
  readonly version?: string;
  readonly deployment?: number;
  /** A concurrent run's immediate deployment that already turns the flags off (nothing started here). */
  readonly concurrentDeployment?: number;
}

/** The steps, in the order the function runs them. */
export type RollbackStepName = 'traffic' | 'flags' | 'latch' | 'verify' | 'report';

export interface RollbackStep {
  readonly step: RollbackStepName;
  /** done: changed something; unchanged: already as wanted; failed; skipped: not run (dry run, or nothing to verify). */
  readonly status: 'done' | 'unchanged' | 'failed' | 'skipped';
  readonly detail: string;
}

/**
 * - rolled_back, already_rolled_back, dry_run, failed, rejected: a rollback request (alarm or manual);
 * - drift_corrected, in_sync, not_latched: an enforce run (a stack operation or a flag deployment
 *   ended): drift from the latched state was driven back, there was none, or no rollback is in force.
 */
export type RollbackOutcome = 'rolled_back' | 'already_rolled_back' | 'dry_run' | 'failed' | 'rejected' | 'drift_corrected' | 'in_sync' | 'not_latched';

export interface RollbackResult {
  readonly outcome: RollbackOutcome;
  readonly environment: EnvironmentName;
  /** alarm: a trigger alarm; manual: a person; event: a stack operation or flag deployment that ended (enforce). */
  readonly trigger?: { readonly kind: 'alarm' | 'manual' | 'event'; readonly name: string; readonly reason: string };
  readonly before?: EnvironmentState;
  readonly after?: EnvironmentState;
  readonly steps: readonly RollbackStep[];
  /** What the flags step did, when it ran. */
  readonly flags?: FlagChange;
  readonly durationMs: number;
  /** Set when the outcome is rejected: why the input was refused. */
  readonly error?: string;
}

/** EventBridge detail types the function emits (source `mcp-rollout`). */
export const ROLLBACK_EVENT_TYPES = { completed: 'rollback_completed', failed: 'rollback_failed', driftCorrected: 'rollback_drift_corrected' } as const;

/** Environment variables of the rollback function; the construct sets each one. */
export const ROLLBACK_FUNCTION_ENV = {
  environment: 'MCP_ENVIRONMENT',
  trafficRuleArn: 'TRAFFIC_RULE_ARN',
  stableTargetGroupArn: 'STABLE_TARGET_GROUP_ARN',
  canaryTargetGroupArn: 'CANARY_TARGET_GROUP_ARN',
  applicationId: 'APPCONFIG_APPLICATION_ID',
  environmentId: 'APPCONFIG_ENVIRONMENT_ID',
  profileId: 'APPCONFIG_PROFILE_ID',
  immediateStrategyId: 'APPCONFIG_IMMEDIATE_STRATEGY_ID',
  rollbackFlags: 'ROLLBACK_FLAGS',
  latchParameter: 'LATCH_PARAMETER',
  criticalTopicArn: 'CRITICAL_TOPIC_ARN',
  eventBusName: 'EVENT_BUS_NAME',
  triggerAlarms: 'TRIGGER_ALARM_NAMES',
  /** The Service stack's name: the only stack whose operations the enforce path answers. */
  serviceStackName: 'SERVICE_STACK_NAME',
  /** The AppConfig environment's monitor (the composite of every trigger): its actions are disabled before a flag deployment. */
  monitorAlarmName: 'MONITOR_ALARM_NAME',
} as const;

/**
 * The time-to-safe budget (README "Time to safe"), measured from the moment a trigger alarm fires.
 * CloudWatch invokes an alarm's Lambda action asynchronously; we allow it this long to start the
 * function (it is seconds in practice). The function's timeout bounds the rest of the traffic
 * step; flags add the immediate strategy's duration and one agent poll.
 */
export const TIME_TO_SAFE = {
  alarmActionDispatchSeconds: 10,
  trafficOnStableSeconds: 60,
  flagsOffEverywhereSeconds: 120,
  /** The seed's promise. */
  rollbackSeconds: 300,
} as const;

/**
 * How the rollback function bounds its AWS calls, so the traffic step ends within the function's
 * timeout and TIME_TO_SAFE whatever AWS answers. Each client's HTTP handler abandons a connection
 * after `connectionTimeoutMs` and a whole attempt after `requestTimeoutMs`; the one retry policy
 * (lambda/rollback/retry.ts) makes at most `attempts` attempts and starts none after its phase's
 * deadline: the reads before the traffic step give up `readsBeforeTrafficMs` after the start (the
 * step then acts without them), and no ModifyRule attempt starts later than `trafficStepMs`.
 */
export const ROLLBACK_CALL_LIMITS = {
  connectionTimeoutMs: 1_000,
  requestTimeoutMs: 4_000,
  attempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 2_000,
  readsBeforeTrafficMs: 8_000,
  trafficStepMs: 20_000,
} as const;

export type RollbackCallLimits = { readonly [K in keyof typeof ROLLBACK_CALL_LIMITS]: number };

/** The latest the traffic step can end after the function starts: its last attempt starts by the deadline and lasts one request. */
export function trafficStepWorstCaseMs(limits: RollbackCallLimits = ROLLBACK_CALL_LIMITS): number {
  return limits.trafficStepMs + limits.requestTimeoutMs;
}
