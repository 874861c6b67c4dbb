/**
 * One bake judgement: the state machine asks every minute with the bake's window so far; this
 * reads the window from CloudWatch with the shared reader and asks the one judge (DESIGN.md D9).
 * The load balancer and target groups come from the Service stack's outputs at each call, so a
 * redeploy that replaces a target group is seen at once.
 */
import { DescribeStacksCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { judge, type Judgement } from '../../lib/shared/canary-judge';
import type { MetricWindow } from '../../lib/shared/metric-window';
import { loadBalancerDimension, readMetricWindow, targetGroupDimension } from '../../lib/shared/metric-window-reader';
import type { BakeCheckRequest, BakeCheckResult } from '../../lib/shared/rollout-contract';
import { SERVICE_OUTPUTS } from '../../lib/shared/stack-contract';
import type { JudgeConfig } from './config';

export interface BakeCheckDependencies {
  readonly cloudformation: CloudFormationClient;
  readonly cloudwatch: CloudWatchClient;
  readonly config: JudgeConfig;
  /** Stops the reads before the function times out. */
  readonly signal?: AbortSignal;
}

/** The request was not what the state machine sends: a bug or a hand-made invocation. */
export class InvalidRequest extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRequest';
  }
}

export function parseRequest(event: unknown, config: JudgeConfig): BakeCheckRequest {
  const e = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
  const problems: string[] = [];
  if (e.environment !== config.environment) problems.push(`environment must be "${config.environment}", got ${JSON.stringify(e.environment)}`);
  if (!Number.isInteger(e.step) || (e.step as number) < 0) problems.push(`step must be a plan step index, got ${JSON.stringify(e.step)}`);
  if (!Number.isInteger(e.canaryPercent) || (e.canaryPercent as number) < 1 || (e.canaryPercent as number) > 100) {
    problems.push(`canaryPercent must be an integer from 1 to 100, got ${JSON.stringify(e.canaryPercent)}`);
  }
  for (const field of ['windowStart', 'windowEnd', 'bakeEnd', 'holdUntil'] as const) {
    if (typeof e[field] !== 'string' || Number.isNaN(Date.parse(e[field] as string))) problems.push(`${field} must be an ISO 8601 time, got ${JSON.stringify(e[field])}`);
  }
  if (problems.length === 0 && Date.parse(e.windowEnd as string) <= Date.parse(e.windowStart as string)) problems.push('windowEnd must be after windowStart');
  if (problems.length > 0) throw new InvalidRequest(`not a bake check request: ${problems.join('; ')}`);
  return e as unknown as BakeCheckRequest;
}

export async function checkBake(request: BakeCheckRequest, deps: BakeCheckDependencies): Promise<BakeCheckResult> {
  const { config } = deps;
  const stack = (await deps.cloudformation.send(new DescribeStacksCommand({ StackName: config.serviceStackName }), { abortSignal: deps.signal })).Stacks?.[0];
  const output = (key: string) => {
    const value = stack?.Outputs?.find((o) => o.OutputKey === key)?.OutputValue;
    if (!value) throw new Error(`stack ${config.serviceStackName} has no output ${key}`);
    return value;
  };
  const windowStartMs = Date.parse(request.windowStart);
  const window = await readMetricWindow(deps.cloudwatch, {
    environment: config.environment,
    canaryPercent: request.canaryPercent,
    targets: {
      loadBalancer: loadBalancerDimension(output(SERVICE_OUTPUTS.listenerArn)),
      targetGroups: { stable: targetGroupDimension(output(SERVICE_OUTPUTS.stableTargetGroupArn)), canary: targetGroupDimension(output(SERVICE_OUTPUTS.canaryTargetGroupArn)) },
    },
    startMs: windowStartMs,
    endMs: Date.parse(request.windowEnd),
    ...(deps.signal ? { signal: deps.signal } : {}),
    timeoutMs: 10_000,
  });
  const judgement = judgeBake(window, request, config);
  return { verdict: judgement.verdict, reasons: judgement.reasons, numbers: summary(judgement) };
}

/**
 * The judge on a bake's window. The look is the request's end, not the end of the window, which
 * the reader rounds up to a whole minute: the look is final (a pass counts, the targets apply,
 * the rest of the budget is spent) exactly when `windowEnd` reaches `bakeEnd`, so every pass the
 * engine gets is one it takes, and the final level is spent once.
 */
export function judgeBake(window: MetricWindow, request: BakeCheckRequest, config: Pick<JudgeConfig, 'thresholds' | 'minimumSamplesPerMinute'>): Judgement {
  return judge(window, {
    thresholds: config.thresholds,
    minimumSamplesPerMinute: config.minimumSamplesPerMinute,
    bake: { startMs: Date.parse(request.windowStart), endMs: Date.parse(request.bakeEnd) },
    lookMs: Date.parse(request.windowEnd),
    deadlineMs: Date.parse(request.holdUntil),
  });
}

/** The numbers the history keeps: the look, each slot's counts and KPIs, the checks that failed. */
function summary(j: Judgement): Record<string, unknown> {
  return {
    look: j.look,
    canary: { counts: j.slots.canary.counts, kpis: j.slots.canary.kpis },
    stable: { counts: j.slots.stable.counts, kpis: j.slots.stable.kpis },
    failedChecks: j.checks.filter((c) => c.result === 'fail').map((c) => ({ kpi: c.kpi, kind: c.kind, detail: c.detail, pValue: c.pValue, alpha: c.alpha })),
    alarms: j.alarms,
    ignoredAlarms: j.ignoredAlarms,
  };
}
