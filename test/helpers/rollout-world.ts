/**
 * A production environment in the fake world: the Service stack, the latch, the Rollout stack's
 * outputs and the state machine running the given plan's definition, with the task handlers wired.
 */
import { rolloutDefinition } from '../../lib/constructs/private/rollout-definition';
import { latchParameterName, releaseHistoryParameterName } from '../../lib/shared/names';
import { RELEASE_HISTORY_EMPTY } from '../../lib/shared/release-history';
import { ROLLOUT_LOCK_ATTRIBUTES, ROLLOUT_OUTPUTS, rolloutLockTableName, rolloutStackName, rolloutStateMachineName, SEED_ROLLOUT_PLAN, type RolloutPlan } from '../../lib/shared/rollout-contract';
import { SERVICE_OUTPUTS, serviceStackName, type ServiceOutputKey } from '../../lib/shared/stack-contract';
import { RolloutWorld, worldTasks } from '../fakes/rollout-world';
import type { AslExecution } from '../fakes/asl-interpreter';

export const ENV = 'production' as const;
export const STACK = serviceStackName(ENV);
export const LATCH = latchParameterName(ENV);
export const HISTORY = releaseHistoryParameterName(ENV);
export const MACHINE_ARN = `arn:aws:states:eu-west-1:123456789012:stateMachine:${rolloutStateMachineName(ENV)}`;
export const ROLLBACK_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:mcp-rollout-production-rollback';
export const JUDGE_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:mcp-rollout-production-rollout-judge';
export const LOCK_TABLE = rolloutLockTableName(ENV);

/** A short plan with a manual approval between 10 % and 100 %: 5-minute bakes, a 60-minute approval timeout. */
export const APPROVAL_PLAN: RolloutPlan = {
  steps: [
    { type: 'weight', canaryPercent: 10 },
    { type: 'bake', minutes: 5, judge: { holdMinutes: 5 } },
    { type: 'approval', timeoutMinutes: 60 },
    { type: 'weight', canaryPercent: 100 },
    { type: 'bake', minutes: 5, judge: { holdMinutes: 5 } },
  ],
  stackUpdateTimeoutMinutes: 60,
};

export interface EngineWorld {
  readonly world: RolloutWorld;
  start(input: unknown, name?: string): Promise<AslExecution>;
}

export function engineWorld(
  clock: { current: number; now(): number },
  options: { plan?: RolloutPlan; stack?: Parameters<RolloutWorld['addServiceStack']>[2]; serviceOutputs?: Record<ServiceOutputKey, string> } = {},
): EngineWorld {
  const world = new RolloutWorld(clock);
  const outputs = options.serviceOutputs
    ? Object.fromEntries((Object.keys(options.serviceOutputs) as ServiceOutputKey[]).map((k) => [SERVICE_OUTPUTS[k], options.serviceOutputs?.[k] as string]))
    : {};
  world.addServiceStack(STACK, LATCH, { stable: 'v1.4.0', canary: 'v1.4.0', ...options.stack, outputs });
  world.putParameter(HISTORY, RELEASE_HISTORY_EMPTY, 'cloudformation');
  world.addTable(LOCK_TABLE, ROLLOUT_LOCK_ATTRIBUTES.key);
  world.addStateMachine(
    MACHINE_ARN,
    rolloutDefinition({
      environment: ENV,
      plan: options.plan ?? SEED_ROLLOUT_PLAN,
      stackName: STACK,
      latchParameterName: LATCH,
      historyParameterName: HISTORY,
      rollbackFunctionArn: ROLLBACK_ARN,
      judgeFunctionArn: JUDGE_ARN,
      lockTableName: LOCK_TABLE,
    }),
  );
  world.addOutputStack(rolloutStackName(ENV), {
    [ROLLOUT_OUTPUTS.stateMachineArn]: MACHINE_ARN,
    [ROLLOUT_OUTPUTS.judgeFunctionName]: 'mcp-rollout-production-rollout-judge',
  });
  const tasks = worldTasks(world, { rollbackArn: ROLLBACK_ARN, judgeArn: JUDGE_ARN, latchParameter: LATCH });
  let n = 0;
  return {
    world,
    start: (input, name) => world.startExecution(MACHINE_ARN, name ?? `run-${++n}`, JSON.stringify(input), tasks),
  };
}
