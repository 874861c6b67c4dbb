/**
 * The live state of an environment, read from AWS: weights, latch, flags, alarms, target health,
 * services and the last rollback. Every command that decides something reads it first.
 */
import type { DeploymentSummary } from '@aws-sdk/client-appconfig';
import { DescribeAlarmsCommand, type StateValue } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetParameterCommand, GetParameterHistoryCommand } from '@aws-sdk/client-ssm';
import { SLOT_NAMES, type SlotName } from '../shared/environment-names';
import { readFlagDeployments, type FlagDeployments } from '../shared/flag-deployments';
import { readLiveWeights } from '../shared/live-weights';
import { alarmNamePrefix, parseAlarmName } from '../shared/names';
import { parseLatch, type LatchRecord, type LatchState } from '../shared/rollback-contract';
import type { TrafficWeights } from '../shared/traffic-weights';
import type { CommandContext } from './context';
import { explainAwsError } from './errors';
import type { ServiceStackState } from './service-stack';

/** Runs one AWS call, turning its error into what failed and what to do next. */
export async function aws<T>(doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw explainAwsError(error, doing);
  }
}

export function targetGroupArns(stack: ServiceStackState): Record<SlotName, string> {
  return { stable: stack.outputs.stableTargetGroupArn, canary: stack.outputs.canaryTargetGroupArn };
}

export function readWeights(ctx: CommandContext, stack: ServiceStackState): Promise<TrafficWeights> {
  return aws('reading the traffic rule weights (elasticloadbalancing:DescribeRules)', () =>
    readLiveWeights(ctx.clients.elb, stack.outputs.trafficRuleArn, targetGroupArns(stack)),
  );
}

export async function readLatch(ctx: CommandContext, stack: ServiceStackState): Promise<LatchState> {
  const name = stack.outputs.latchParameterName;
  const result = await aws(`reading the rollback latch ${name} (ssm:GetParameter)`, () => ctx.clients.ssm.send(new GetParameterCommand({ Name: name })));
  return parseLatch(result.Parameter?.Value ?? '');
}

export function readFlags(ctx: CommandContext, stack: ServiceStackState): Promise<FlagDeployments> {
  const { flagsApplicationId, flagsEnvironmentId, flagsProfileId } = stack.outputs;
  return aws('reading the feature flag deployments (appconfig:ListDeployments, GetHostedConfigurationVersion)', () =>
    readFlagDeployments(ctx.clients.appconfig, { applicationId: flagsApplicationId, environmentId: flagsEnvironmentId, profileId: flagsProfileId }),
  );
}

/** `#6 BAKING (version 5, 40 %)`, or `none`. */
export function describeDeployment(d: DeploymentSummary | undefined): string {
  return (d ? `#${d.DeploymentNumber ?? '?'} ${d.State ?? 'UNKNOWN'} (version ${d.ConfigurationVersion ?? '?'}, ${Math.round(d.PercentageComplete ?? 0)} %)` : 'none');
}

export interface AlarmSummary {
  readonly name: string;
  readonly state: StateValue | string;
  readonly reason: string;
  readonly since?: Date;
  /** False when DisableAlarmActions turned its actions off (the rollback monitor while rolled back). */
  readonly actionsEnabled: boolean;
}

/** Every alarm of the environment (KPI, trigger, composite, rollback errors), by name prefix. */
export async function readAlarms(ctx: CommandContext, stateValue?: StateValue): Promise<AlarmSummary[]> {
  const alarms: AlarmSummary[] = [];
  let nextToken: string | undefined;
  do {
    const page = await aws('reading the alarms (cloudwatch:DescribeAlarms)', () =>
      ctx.clients.cloudwatch.send(
        new DescribeAlarmsCommand({
          AlarmNamePrefix: alarmPrefix(ctx),
          AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
          ...(stateValue ? { StateValue: stateValue } : {}),
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      ),
    );
    for (const a of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
      alarms.push({
        name: a.AlarmName ?? '',
        state: a.StateValue ?? 'UNKNOWN',
        reason: a.StateReason ?? '',
        ...(a.StateUpdatedTimestamp ? { since: a.StateUpdatedTimestamp } : {}),
        actionsEnabled: a.ActionsEnabled !== false,
      });
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return alarms.sort((a, b) => a.name.localeCompare(b.name));
}

function alarmPrefix(ctx: CommandContext): string {
  return alarmNamePrefix(ctx.environment);
}

/** The alarms a gate, a resume or a promote must see quiet: every critical and every rollback trigger. */
export function isPagingAlarm(name: string): boolean {
  const severity = parseAlarmName(name)?.severity;
  return severity === 'critical' || severity === 'trigger';
}

/** The environment's critical and trigger alarms in ALARM now. */
export async function readFiringPagingAlarms(ctx: CommandContext): Promise<AlarmSummary[]> {
  return (await readAlarms(ctx, 'ALARM')).filter((a) => isPagingAlarm(a.name));
}

export interface TargetHealth {
  readonly healthy: number;
  readonly total: number;
  /** Target count per state (healthy, unhealthy, draining, initial...). */
  readonly byState: Readonly<Record<string, number>>;
}

export async function readTargetHealth(ctx: CommandContext, stack: ServiceStackState): Promise<Record<SlotName, TargetHealth>> {
  const arns = targetGroupArns(stack);
  const entries = await Promise.all(
    SLOT_NAMES.map(async (slot) => {
      const result = await aws(`reading the ${slot} target health (elasticloadbalancing:DescribeTargetHealth)`, () =>
        ctx.clients.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arns[slot] })),
      );
      const byState: Record<string, number> = {};
      for (const t of result.TargetHealthDescriptions ?? []) {
        const state = t.TargetHealth?.State ?? 'unknown';
        byState[state] = (byState[state] ?? 0) + 1;
      }
      const total = Object.values(byState).reduce((a, b) => a + b, 0);
      return [slot, { healthy: byState.healthy ?? 0, total, byState }] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<SlotName, TargetHealth>;
}

export interface SlotService {
  readonly running: number;
  readonly desired: number;
  readonly pending: number;
  /** The primary deployment's rollout state (COMPLETED, IN_PROGRESS, FAILED). */
  readonly rollout: string;
  readonly taskDefinition: string;
}

export async function readServices(ctx: CommandContext, stack: ServiceStackState): Promise<Record<SlotName, SlotService>> {
  const names = { stable: stack.outputs.stableServiceName, canary: stack.outputs.canaryServiceName };
  const result = await aws('reading the ECS services (ecs:DescribeServices)', () =>
    ctx.clients.ecs.send(new DescribeServicesCommand({ cluster: stack.outputs.clusterName, services: [names.stable, names.canary] })),
  );
  const bySlot = (slot: SlotName): SlotService => {
    const service = result.services?.find((s) => s.serviceName === names[slot] || s.serviceArn?.endsWith(`/${names[slot]}`));
    const primary = service?.deployments?.find((d) => d.status === 'PRIMARY');
    return {
      running: service?.runningCount ?? 0,
      desired: service?.desiredCount ?? 0,
      pending: service?.pendingCount ?? 0,
      rollout: primary?.rolloutState ?? 'UNKNOWN',
      taskDefinition: (service?.taskDefinition ?? '').split('/').pop() ?? '',
    };
  };
  return { stable: bySlot('stable'), canary: bySlot('canary') };
}

export interface PastRollback {
  readonly record?: LatchRecord;
  /** The raw latch value, when it is not a record this code wrote. */
  readonly raw: string;
  readonly setAt?: Date;
  /** When `resume` cleared it; absent while it is still in force. */
  readonly clearedAt?: Date;
  readonly clearedBy?: string;
}

/**
 * The newest rollback, from the latch's parameter history: SSM keeps the last 100 values with who
 * wrote each and when, so the last rollback is still known after a resume.
 */
export async function readLastRollback(ctx: CommandContext, stack: ServiceStackState): Promise<PastRollback | undefined> {
  const name = stack.outputs.latchParameterName;
  const history: { value: string; at?: Date; by?: string }[] = [];
  let nextToken: string | undefined;
  do {
    const page = await aws(`reading the latch history (ssm:GetParameterHistory on ${name})`, () =>
      ctx.clients.ssm.send(new GetParameterHistoryCommand({ Name: name, MaxResults: 50, ...(nextToken ? { NextToken: nextToken } : {}) })),
    );
    for (const p of page.Parameters ?? []) {
      history.push({ value: p.Value ?? '', ...(p.LastModifiedDate ? { at: p.LastModifiedDate } : {}), ...(p.LastModifiedUser ? { by: p.LastModifiedUser } : {}) });
    }
    nextToken = page.NextToken;
  } while (nextToken);
  // SSM returns the history oldest first.
  const index = history.map((h) => parseLatch(h.value).latched).lastIndexOf(true);
  const set = history[index];
  if (!set) return undefined;
  const parsed = parseLatch(set.value);
  const cleared = history.slice(index + 1).find((h) => !parseLatch(h.value).latched);
  return {
    ...(parsed.latched && parsed.record ? { record: parsed.record } : {}),
    raw: set.value,
    ...(set.at ? { setAt: set.at } : {}),
    ...(cleared?.at ? { clearedAt: cleared.at } : {}),
    ...(cleared?.by ? { clearedBy: cleared.by } : {}),
  };
}
