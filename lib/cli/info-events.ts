/**
 * The seed's info events the CLI emits (`traffic_percentage_changed`, `deployment_completed`), on
 * the default bus with source `mcp-rollout`; the stack's rule forwards them to the info topic.
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { describeError } from '../shared/aws-errors';
import { INFO_EVENTS, ROLLOUT_EVENT_SOURCE, infoEventProblems, type DeploymentCompletedDetail, type TrafficPercentageChangedDetail } from '../shared/metrics-contract';
import type { CommandContext } from './context';

export type InfoEvent =
  | { readonly type: typeof INFO_EVENTS.trafficPercentageChanged; readonly detail: TrafficPercentageChangedDetail }
  | { readonly type: typeof INFO_EVENTS.deploymentCompleted; readonly detail: DeploymentCompletedDetail };

/**
 * Sends the events after the change they announce is done. A failure here cannot undo the change,
 * so it is a warning with the way to resend, not an error.
 */
export async function sendInfoEvents(ctx: CommandContext, events: readonly InfoEvent[]): Promise<boolean> {
  for (const e of events) {
    // A malformed detail is this code's bug: fail loudly rather than notify people wrongly.
    const problems = infoEventProblems(e.type, e.detail);
    if (problems.length > 0) throw new Error(`refusing to send an invalid event: ${problems.join('; ')}`);
  }
  const entries = events.map((e) => ({ Source: ROLLOUT_EVENT_SOURCE, DetailType: e.type, Detail: JSON.stringify(e.detail), EventBusName: 'default' }));
  const retry = 'The change itself is done; tell the team by hand (the info topic did not get the event).';
  try {
    const result = await ctx.clients.events.send(new PutEventsCommand({ Entries: entries }));
    const failed = (result.Entries ?? []).filter((e) => e.ErrorCode);
    if ((result.FailedEntryCount ?? 0) > 0) {
      ctx.report.warn(`EventBridge refused ${result.FailedEntryCount} event(s): ${failed.map((e) => `${e.ErrorCode} ${e.ErrorMessage ?? ''}`.trim()).join('; ')}. ${retry}`);
      return false;
    }
  } catch (error) {
    ctx.report.warn(`could not send ${events.map((e) => e.type).join(' and ')} (events:PutEvents): ${describeError(error)}. ${retry}`);
    return false;
  }
  ctx.report.say(`Sent ${events.map((e) => e.type).join(' and ')} (source ${ROLLOUT_EVENT_SOURCE}).`);
  return true;
}
