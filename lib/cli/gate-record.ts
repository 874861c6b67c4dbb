/**
 * The gate's verdict in the release history. It wraps the gate command's result rather than
 * living in gate.ts, so the judge's code stays about judging; the record reads the verdict and
 * the numbers from the result's data, and both image tags from the stack once the gate is over.
 */
import type { GateRecord } from '../shared/release-history';
import type { CommandContext } from './context';
import type { CommandResult } from './output';
import { recordBase, recordRelease } from './release-records';
import { describeServiceStack } from './service-stack';

/** The part of the gate's `--json` data the record reads (the judge's slot summaries). */
interface GateData {
  readonly verdict?: GateRecord['verdict'];
  readonly reasons?: readonly string[];
  readonly criteria?: { readonly windowMs?: number; readonly canaryPercent?: number };
  readonly replayedFrom?: string;
  readonly slots?: { readonly canary?: { readonly kpis?: { readonly llmSuccessRate?: number }; readonly counts?: { readonly toolCalls?: number } } };
}

export async function recordGate(ctx: CommandContext, result: CommandResult): Promise<CommandResult> {
  const data = result.data as GateData;
  // A replay judges a file offline: it makes no AWS call, and it is no release event.
  if (data.verdict === undefined || data.criteria?.canaryPercent === undefined || data.replayedFrom !== undefined) return result;
  let images: GateRecord['images'];
  try {
    const stack = await describeServiceStack(ctx);
    images = { stable: stack.parameters.stableImageTag, canary: stack.parameters.canaryImageTag };
  } catch {
    // The verdict is worth recording without the tags; status shows them.
  }
  const canary = data.slots?.canary;
  const success = canary?.kpis?.llmSuccessRate;
  const history = await recordRelease(ctx, {
    kind: 'gate',
    ...recordBase(ctx),
    verdict: data.verdict,
    canaryPercent: data.criteria.canaryPercent,
    ...(images ? { images } : {}),
    windowMinutes: Math.round((data.criteria.windowMs ?? 0) / 60_000),
    ...(success !== undefined ? { canarySuccessPercent: Math.round(success * 10) / 10 } : {}),
    ...(canary?.counts?.toolCalls !== undefined ? { canaryCalls: canary.counts.toolCalls } : {}),
    reasons: data.reasons ?? [],
  });
  return { ...result, data: { ...result.data, history } };
}
