/** How a latch reads to a person, in refusals and in status. */
import type { LatchState } from '../shared/rollback-contract';

export function describeLatch(latch: LatchState): string {
  if (!latch.latched) return 'clear';
  if (!latch.record) return `set to a value this tool did not write: ${JSON.stringify(latch.raw.slice(0, 200))}`;
  const { requestedBy, time, reason } = latch.record;
  return `set by ${requestedBy} at ${time}: ${reason}`;
}
