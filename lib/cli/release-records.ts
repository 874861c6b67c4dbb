/**
 * The CLI's side of the release history (lib/shared/release-history.ts): one call per command
 * that records what it did. A failed write is a warning: the change it records is done (or failed
 * for its own reasons) whatever the history says.
 */
import { appendReleaseRecord, type ReleaseRecord } from '../shared/release-history';
import type { CommandContext } from './context';

export interface Recorded {
  readonly recorded: boolean;
  /** The parameter version that holds the record. */
  readonly version?: number;
}

/**
 * Appends the record. It does not listen to Ctrl-C: the operation it records has already ended,
 * and the write is one short call that the clients' own timeouts bound.
 */
export async function recordRelease(ctx: CommandContext, record: ReleaseRecord): Promise<Recorded> {
  const result = await appendReleaseRecord(ctx.clients.ssm, record);
  if (result.written) return { recorded: true, version: result.version };
  ctx.report.warn(`the release history was not updated: ${result.reason}. The ${record.kind} itself is not affected.`);
  return { recorded: false };
}

/** `time` and `by` as every CLI record has them. */
export function recordBase(ctx: CommandContext): { environment: CommandContext['environment']; time: string; by: string } {
  return { environment: ctx.environment, time: new Date(ctx.clock.now()).toISOString(), by: ctx.user };
}
