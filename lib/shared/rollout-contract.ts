/**
 * What the rollout engine (DESIGN.md D8), its judge function, the operator CLI and a pipeline agree
 * on: the plan's shape and the seed's plan, the execution input, the state machine's name, the
 * events it emits and the release history it writes. Pure TypeScript (D4): the CLI and the Lambda
 * load it without aws-cdk-lib.
 */
import { STAGE_IDS, type EnvironmentName } from './environment-names';
import { resourcePrefix } from './names';
import { MAX_REASON_LENGTH } from './rollback-contract';
import { IMAGE_TAG_PATTERN } from './stack-contract';

// ---------------------------------------------------------------------------------------------
// The plan

/** Move the canary to this share of requests (a Service stack update, DESIGN.md D1). */
export interface WeightStep {
  readonly type: 'weight';
  readonly canaryPercent: number;
}

/** Hold the current weight and judge canary against stable every minute (D9). */
export interface BakeStep {
  readonly type: 'bake';
  /** The bake lasts at least this long; a pass counts only once it is over. */
  readonly minutes: number;
  /** How the judge's verdicts end the bake. */
  readonly judge: {
    /**
     * After `minutes`, a hold (too little data to decide) may go on this long; a hold still
     * standing then is a fail (issue 13: "a hold past a deadline is a fail").
     */
    readonly holdMinutes: number;
  };
}

/** Wait for a person: `mcp-rollout approve` goes on, `abort` rolls back, the timeout rolls back. */
export interface ApprovalStep {
  readonly type: 'approval';
  readonly timeoutMinutes: number;
}

export type RolloutStep = WeightStep | BakeStep | ApprovalStep;
export type RolloutStepType = RolloutStep['type'];

export interface RolloutPlan {
  /** In order; promotion (canary image to stable, canary 0 %) follows the last step. */
  readonly steps: readonly RolloutStep[];
  /** How long one Service stack update may take before the rollout gives up and rolls back. */
  readonly stackUpdateTimeoutMinutes: number;
}

/**
 * The seed's plan (deployment-guidelines "Gradual Deployment"): 10 %, 30 minutes, 50 %, 60
 * minutes, 100 %, then the seed's "Immediate Validation (First Hour)" as the final bake before
 * promotion. A bake that is still inconclusive gets 30 more minutes, then fails.
 */
export const SEED_ROLLOUT_PLAN: RolloutPlan = {
  steps: [
    { type: 'weight', canaryPercent: 10 },
    { type: 'bake', minutes: 30, judge: { holdMinutes: 30 } },
    { type: 'weight', canaryPercent: 50 },
    { type: 'bake', minutes: 60, judge: { holdMinutes: 30 } },
    { type: 'weight', canaryPercent: 100 },
    { type: 'bake', minutes: 60, judge: { holdMinutes: 30 } },
  ],
  stackUpdateTimeoutMinutes: 60,
};

/** Limits of a plan, with the reason for each (see planProblems). */
export const PLAN_LIMITS = {
  maxSteps: 20,
  /** A day: a bake longer than that is a soak test, not a gate. */
  maxBakeMinutes: 1440,
  maxHoldMinutes: 1440,
  /** A week: a Standard execution may last a year, but a canary left waiting that long is forgotten. */
  maxApprovalMinutes: 10080,
  /** CloudFormation updates of this stack take minutes; ECS circuit breakers give up within an hour or so. */
  maxStackUpdateMinutes: 360,
  /**
   * A Standard execution keeps at most 25,000 history events
   * (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html): a plan whose
   * longest run could write more is refused (worstCaseHistoryEvents).
   */
  maxHistoryEvents: 25_000,
} as const;

/**
 * The longest one approval wait lasts: then the run reads the latch and, while it is clear and the
 * approval has not expired, waits again with a new task token. A latch set during an approval
 * stops the run within this time.
 */
export const APPROVAL_WAIT_SECONDS = 300;

/**
 * History events the engine writes, as the ASL interpreter counts them (test "the history budget"
 * in rollout-engine-run.test.ts): a judged minute (the Wait, the latch read, the judge call, the
 * verdict Choice), one approval wait (the wait, the latch read, the Choice), a minute of a stack
 * update (three read-backs 20 s apart), and what each step and the run write besides.
 */
export const HISTORY_EVENTS = { judgedMinute: 16, approvalWait: 12, stackUpdateMinute: 27, perStep: 50, perRun: 150 } as const;

/** The most history events a run of the plan can write: every bake held to its deadline, every approval and update to its timeout. */
export function worstCaseHistoryEvents(plan: RolloutPlan): number {
  const E = HISTORY_EVENTS;
  const update = plan.stackUpdateTimeoutMinutes * E.stackUpdateMinute + E.perStep;
  const steps = plan.steps.reduce((sum, s) => {
    if (s.type === 'bake') return sum + (s.minutes + s.judge.holdMinutes) * E.judgedMinute + E.perStep;
    if (s.type === 'approval') return sum + Math.ceil((s.timeoutMinutes * 60) / APPROVAL_WAIT_SECONDS) * E.approvalWait + E.perStep;
    return sum + update;
  }, 0);
  return E.perRun + steps + update; // the promotion is one more stack update
}

/**
 * Every problem with a plan, as `<path>: <what is wrong>`. The rules keep a plan safe to run
 * unattended: it starts by moving traffic (the step that sets the canary image), every weight
 * step is judged by a bake before traffic grows again or the plan ends, weights only grow, and
 * the last weight is 100 % so promotion follows full traffic.
 */
export function planProblems(plan: RolloutPlan, path = 'rollout'): string[] {
  const problems: string[] = [];
  const steps = plan.steps;
  if (steps.length === 0) return [`${path}.steps: must have at least one weight step and one bake, got none`];
  if (steps.length > PLAN_LIMITS.maxSteps) problems.push(`${path}.steps: must have at most ${PLAN_LIMITS.maxSteps} steps, got ${steps.length}`);
  if (steps[0]?.type !== 'weight') problems.push(`${path}.steps.0.type: must be "weight" (the first step sets the canary image and its traffic), got "${steps[0]?.type}"`);

  let lastPercent = 0;
  let unjudgedWeight: number | undefined;
  steps.forEach((step, i) => {
    const at = `${path}.steps.${i}`;
    if (step.type === 'weight') {
      if (unjudgedWeight !== undefined) {
        problems.push(`${at}: a bake must follow the weight step ${unjudgedWeight} before traffic changes again (every weight is judged)`);
      }
      if (!Number.isInteger(step.canaryPercent) || step.canaryPercent < 1 || step.canaryPercent > 100) {
        problems.push(`${at}.canaryPercent: must be an integer from 1 to 100, got ${String(step.canaryPercent)}`);
      } else if (step.canaryPercent <= lastPercent) {
        problems.push(`${at}.canaryPercent: must be above the previous weight (${lastPercent}), got ${step.canaryPercent}`);
      } else {
        lastPercent = step.canaryPercent;
      }
      unjudgedWeight = i;
    } else if (step.type === 'bake') {
      if (!Number.isInteger(step.minutes) || step.minutes < 1 || step.minutes > PLAN_LIMITS.maxBakeMinutes) {
        problems.push(`${at}.minutes: must be an integer from 1 to ${PLAN_LIMITS.maxBakeMinutes}, got ${String(step.minutes)}`);
      }
      if (!Number.isInteger(step.judge.holdMinutes) || step.judge.holdMinutes < 0 || step.judge.holdMinutes > PLAN_LIMITS.maxHoldMinutes) {
        problems.push(`${at}.judge.holdMinutes: must be an integer from 0 to ${PLAN_LIMITS.maxHoldMinutes}, got ${String(step.judge.holdMinutes)}`);
      }
      unjudgedWeight = undefined;
    } else if (!Number.isInteger(step.timeoutMinutes) || step.timeoutMinutes < 1 || step.timeoutMinutes > PLAN_LIMITS.maxApprovalMinutes) {
      problems.push(`${at}.timeoutMinutes: must be an integer from 1 to ${PLAN_LIMITS.maxApprovalMinutes}, got ${String(step.timeoutMinutes)}`);
    }
  });
  const events = worstCaseHistoryEvents(plan);
  if (problems.length === 0 && events > PLAN_LIMITS.maxHistoryEvents) {
    const E = HISTORY_EVENTS;
    problems.push(
      `${path}.steps: a run could write ${events.toLocaleString('en-US')} execution history events (${E.judgedMinute} a bake or hold minute, ${E.approvalWait} every ${APPROVAL_WAIT_SECONDS / 60} minutes of approval, ${E.stackUpdateMinute} a minute of stack update timeout), more than the ${PLAN_LIMITS.maxHistoryEvents.toLocaleString('en-US')} a Standard execution keeps: shorten the bakes, holds or approval timeouts`,
    );
  }
  if (unjudgedWeight !== undefined) problems.push(`${path}.steps.${unjudgedWeight}: a bake must follow the last weight step before promotion (every weight is judged)`);
  if (lastPercent !== 100 && steps.some((s) => s.type === 'weight')) {
    problems.push(`${path}.steps: the last weight step must be 100 (promotion follows full traffic), got ${lastPercent}`);
  }
  const timeout = plan.stackUpdateTimeoutMinutes;
  if (!Number.isInteger(timeout) || timeout < 5 || timeout > PLAN_LIMITS.maxStackUpdateMinutes) {
    problems.push(`${path}.stackUpdateTimeoutMinutes: must be an integer from 5 to ${PLAN_LIMITS.maxStackUpdateMinutes}, got ${String(timeout)}`);
  }
  return problems;
}

/** One line per step, for help texts, events and the CLI: `10 %`, `bake 30 min`, `approval`. */
export function describeStep(step: RolloutStep): string {
  switch (step.type) {
    case 'weight':
      return `canary ${step.canaryPercent} %`;
    case 'bake':
      return `bake ${step.minutes} min (hold up to ${step.judge.holdMinutes} min more)`;
    case 'approval':
      return `manual approval (times out after ${step.timeoutMinutes} min)`;
  }
}

/** The canary percent in force during each step (the last weight at or before it). */
export function percentAtEachStep(plan: RolloutPlan): number[] {
  let percent = 0;
  return plan.steps.map((step) => (step.type === 'weight' ? (percent = step.canaryPercent) : percent));
}

// ---------------------------------------------------------------------------------------------
// The state machine and its input

/** One state machine per environment, with a fixed name so its own policy can name it without a cycle. */
export function rolloutStateMachineName(environment: EnvironmentName): string {
  return `${resourcePrefix(environment)}-rollout`;
}

/** The judge function the state machine calls every bake minute. */
export function rolloutJudgeFunctionName(environment: EnvironmentName): string {
  return `${resourcePrefix(environment)}-rollout-judge`;
}

/**
 * The DynamoDB table that holds the environment's rollout lock: one item, keyed by the environment,
 * naming the execution that holds it (ROLLOUT_LOCK_ATTRIBUTES). A run takes it with a conditional
 * PutItem before it changes anything and releases it at every end (README "One at a time").
 */
export function rolloutLockTableName(environment: EnvironmentName): string {
  return `${resourcePrefix(environment)}-rollout-lock`;
}

/** The lock item's attributes (all strings): the key, and who holds it. */
export const ROLLOUT_LOCK_ATTRIBUTES = {
  /** The partition key: the environment's name. */
  key: 'environment',
  /** The ARN of the execution that holds the lock. */
  execution: 'execution',
  name: 'executionName',
  canaryImage: 'canaryImage',
  requestedBy: 'requestedBy',
  since: 'since',
} as const;

/** The CloudFormation name of the stack that holds the engine (`Production-Rollout`). */
export function rolloutStackName(environment: EnvironmentName): string {
  return `${STAGE_IDS[environment]}-Rollout`;
}

/** The `cdk deploy` selector of the same stack (`Production/Rollout`). */
export function rolloutStackSelector(environment: EnvironmentName): string {
  return `${STAGE_IDS[environment]}/Rollout`;
}

/**
 * The input of one rollout: what `mcp-rollout release` sends, and what a pipeline sends with
 * `aws stepfunctions start-execution --input`. JSON schema in README "Rollout engine".
 */
export interface RolloutInput {
  /** The image tag the canary runs; it becomes stable's at promotion. */
  readonly canaryImage: string;
  /** Who started it (a person or a pipeline run), for events, the latch and the release history. */
  readonly requestedBy: string;
  /** Why, free text (a change ticket, a commit). */
  readonly reason?: string;
}

export const ROLLOUT_INPUT_LIMITS = { requestedBy: 256, reason: MAX_REASON_LENGTH } as const;

/** JSON schema of RolloutInput (draft 2020-12), printed in README and checked by inputProblems. */
export const ROLLOUT_INPUT_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'mcp-rollout rollout input',
  type: 'object',
  required: ['canaryImage', 'requestedBy'],
  additionalProperties: false,
  properties: {
    canaryImage: { type: 'string', pattern: IMAGE_TAG_PATTERN, description: 'image tag the canary runs and stable gets at promotion' },
    requestedBy: { type: 'string', minLength: 1, maxLength: ROLLOUT_INPUT_LIMITS.requestedBy, description: 'who started the rollout' },
    reason: { type: 'string', maxLength: ROLLOUT_INPUT_LIMITS.reason, description: 'why (ticket, commit)' },
  },
} as const;

/** Problems with an execution input, naming the field; an empty list means it is valid. */
export function inputProblems(input: unknown): string[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return [`input: must be a JSON object, got ${JSON.stringify(input)}`];
  const record = input as Record<string, unknown>;
  const problems: string[] = [];
  const known = Object.keys(ROLLOUT_INPUT_SCHEMA.properties);
  for (const key of Object.keys(record)) if (!known.includes(key)) problems.push(`input.${key}: unknown field; allowed: ${known.join(', ')}`);
  if (typeof record.canaryImage !== 'string' || !new RegExp(IMAGE_TAG_PATTERN).test(record.canaryImage)) {
    problems.push(`input.canaryImage: must be an image tag (1 to 128 letters, digits, "_", "." or "-", not starting with "." or "-"), got ${JSON.stringify(record.canaryImage)}`);
  }
  if (typeof record.requestedBy !== 'string' || record.requestedBy.length < 1 || record.requestedBy.length > ROLLOUT_INPUT_LIMITS.requestedBy) {
    problems.push(`input.requestedBy: must be a string of 1 to ${ROLLOUT_INPUT_LIMITS.requestedBy} characters, got ${JSON.stringify(record.requestedBy)}`);
  }
  if (record.reason !== undefined && (typeof record.reason !== 'string' || record.reason.length > ROLLOUT_INPUT_LIMITS.reason)) {
    problems.push(`input.reason: must be a string of at most ${ROLLOUT_INPUT_LIMITS.reason} characters, got ${JSON.stringify(record.reason)}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// What the state machine says

/** EventBridge detail types the engine emits (source `mcp-rollout`, the default bus). */
export const ROLLOUT_EVENT_TYPES = {
  /** A step started or ended (weight applied, bake passed, approval granted, promotion done). */
  step: 'rollout_step',
  /** An approval step waits for a person; the detail carries the task token (never forwarded to SNS). */
  approvalRequested: 'rollout_approval_requested',
  /**
   * The approval still waits: every APPROVAL_WAIT_SECONDS the wait ends, the run reads the latch
   * and waits again with a new task token, which this event carries (not forwarded to SNS: people
   * heard of the request once). `approve` reads the newest token from the execution history.
   */
  approvalRenewed: 'rollout_approval_renewed',
  /** The rollout ended: promoted, rolled back, stopped by the latch. */
  finished: 'rollout_finished',
} as const;

/** Error names the state machine ends with (its Fail states), read by `status` and the RUNBOOK. */
export const ROLLOUT_ERRORS = {
  invalidInput: 'mcp-rollout.InvalidInput',
  alreadyRunning: 'mcp-rollout.RolloutAlreadyRunning',
  latchedAtStart: 'mcp-rollout.Latched',
  stoppedByLatch: 'mcp-rollout.StoppedByLatch',
  rolledBack: 'mcp-rollout.RolledBack',
  rollbackFailed: 'mcp-rollout.RollbackFailed',
  failedBeforeTraffic: 'mcp-rollout.FailedBeforeTraffic',
  /** Sent by `abort` with SendTaskFailure to an approval step. */
  aborted: 'mcp-rollout.Aborted',
} as const;

/** The output of an approval step (SendTaskSuccess), recorded in the history. */
export interface ApprovalOutput {
  readonly approvedBy: string;
  readonly comment?: string;
}


// ---------------------------------------------------------------------------------------------
// The bake check: what the state machine asks the judge function every bake minute

export interface BakeCheckRequest {
  readonly environment: EnvironmentName;
  /** The plan step (0-based) this bake is. */
  readonly step: number;
  readonly canaryPercent: number;
  /** ISO 8601: the bake's window so far is [windowStart, windowEnd). */
  readonly windowStart: string;
  readonly windowEnd: string;
  /** ISO 8601: a pass counts from here on. */
  readonly bakeEnd: string;
  /** ISO 8601: a hold standing here is a fail. */
  readonly holdUntil: string;
}

export type BakeVerdict = 'pass' | 'hold' | 'fail';

export interface BakeCheckResult {
  readonly verdict: BakeVerdict;
  /** Why, one line each; the first fail reason becomes the rollback's reason. */
  readonly reasons: readonly string[];
  /** The numbers behind the verdict (the judge's report), for the history and `status`. */
  readonly numbers?: Readonly<Record<string, unknown>>;
}

/** Environment variables of the judge function; the construct sets each one. */
export const ROLLOUT_JUDGE_ENV = {
  environment: 'MCP_ENVIRONMENT',
  /** Where the function finds the load balancer and target groups (the stack's outputs). */
  serviceStackName: 'SERVICE_STACK_NAME',
  /** The environment's KPI table (KpiThresholdTable as JSON): the judge's absolute targets. */
  thresholds: 'KPI_THRESHOLDS',
  minimumSamplesPerMinute: 'MINIMUM_SAMPLES_PER_MINUTE',
} as const;

/** Output keys of the Rollout stack: how the CLI finds the state machine and the release history. */
export const ROLLOUT_OUTPUTS = {
  stateMachineArn: 'StateMachineArn',
  judgeFunctionName: 'JudgeFunctionName',
} as const;

export type RolloutOutputKey = keyof typeof ROLLOUT_OUTPUTS;
