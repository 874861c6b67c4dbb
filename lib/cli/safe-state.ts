/**
 * "Safe" after a rollback, checked from the live resources rather than taken from the function's
 * word: all traffic on stable, the rollback flags off in a completed flag deployment, the latch
 * set. `rollback` verifies with it; `drill` times it.
 */
import { flagValuesOf, type FlagName } from '../shared/feature-flags';
import type { TrafficWeights } from '../shared/traffic-weights';
import type { CommandContext } from './context';
import { readFlags, readLatch, readWeights } from './live-state';
import { formatDuration, progressBar } from './output';
import type { ServiceStackState } from './service-stack';

export interface SafeState {
  readonly weights: TrafficWeights;
  readonly trafficOnStable: boolean;
  readonly latchSet: boolean;
  /** The rollback flags are off in the applied document and its deployment is COMPLETE. */
  readonly flagsOff: boolean;
  readonly flagDeployment?: { readonly number: number; readonly state: string };
  readonly rollbackFlags: readonly FlagName[];
}

export async function readSafeState(ctx: CommandContext, stack: ServiceStackState): Promise<SafeState> {
  const weights = await readWeights(ctx, stack);
  const latch = await readLatch(ctx, stack);
  const flags = await readFlags(ctx, stack);
  const rollbackFlags = ctx.config.flags.rollbackFlags;
  const values = flags.document ? flagValuesOf(flags.document) : undefined;
  const applied = flags.applied;
  return {
    weights,
    trafficOnStable: weights.canary === 0,
    latchSet: latch.latched,
    flagsOff: values !== undefined && rollbackFlags.every((f) => !values[f]) && applied?.State === 'COMPLETE',
    ...(applied ? { flagDeployment: { number: applied.DeploymentNumber ?? 0, state: applied.State ?? 'UNKNOWN' } } : {}),
    rollbackFlags,
  };
}

/** When each part of the safe state was first seen, in ms from `startedAt`. */
export interface SafeTimeline {
  trafficOnStableMs?: number;
  latchSetMs?: number;
  flagsOffMs?: number;
  last: SafeState;
}

export function isSafe(state: SafeState): boolean {
  return state.trafficOnStable && state.latchSet && state.flagsOff;
}

/** Polls every 2 s until safe or `timeoutMs` after `startedAt`, drawing progress against the budget. */
export async function watchUntilSafe(ctx: CommandContext, stack: ServiceStackState, startedAt: number, timeoutMs: number, label: string): Promise<SafeTimeline> {
  let timeline: SafeTimeline | undefined;
  for (;;) {
    const state = await readSafeState(ctx, stack);
    const at = ctx.clock.now() - startedAt;
    timeline = {
      ...timeline,
      last: state,
      ...(timeline?.trafficOnStableMs === undefined && state.trafficOnStable ? { trafficOnStableMs: at } : {}),
      ...(timeline?.latchSetMs === undefined && state.latchSet ? { latchSetMs: at } : {}),
      ...(timeline?.flagsOffMs === undefined && state.flagsOff ? { flagsOffMs: at } : {}),
    };
    const mark = (done: boolean) => (done ? 'yes' : 'no ');
    ctx.report.progress(
      `${label} ${progressBar(at / timeoutMs)} ${formatDuration(at)} of ${formatDuration(timeoutMs)}  traffic on stable ${mark(state.trafficOnStable)}  flags off ${mark(state.flagsOff)}  latch ${mark(state.latchSet)}`,
    );
    if (isSafe(state) || at >= timeoutMs) return timeline;
    await ctx.clock.sleep(2000, ctx.signal);
  }
}
