/**
 * The one safe path for changing the Service stack's deploy-time parameters (deploy, promote,
 * undo; resume and the rollout engine update the same way): CloudFormation UpdateStack with the
 * deployed template (`UsePreviousTemplate`), the changed parameters, and `UsePreviousValue` for
 * every other one. Whatever the operator's clone holds, a stale or modified template, IAM
 * included, cannot reach the account this way: only the parameters change.
 *
 * - A parameter left out of UpdateStack takes its template Default, so every parameter is named
 *   (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_UpdateStack.html, Parameters).
 * - No RoleARN: CloudFormation uses the role previously associated with the stack (the CDK
 *   bootstrap's execution role), and the caller needs no iam:PassRole (same page, RoleARN).
 * - ClientRequestToken makes the SDK's retries of the call idempotent and tags the stack events
 *   of this update, so a failure is explained from its own events.
 * - The latch is an SSM-typed parameter that CloudFormation resolves when the update starts, so
 *   the template's condition keeps the canary at 0 % while it is set (DESIGN.md D2).
 */
import { randomUUID } from 'node:crypto';
import { DescribeStackEventsCommand, UpdateStackCommand, type StackEvent } from '@aws-sdk/client-cloudformation';
import { APP_NAME } from '../shared/names';
import type { CommandContext } from './context';
import { CliError, Interrupted, explainAwsError } from './errors';
import { aws } from './live-state';
import { describeServiceStack, waitForStack, type ServiceStackState } from './service-stack';

export interface ParameterValue {
  readonly parameter: string;
  readonly to: string;
}

/** Updates the stack's parameters with its deployed template and waits until CloudFormation is done. */
export async function updateStackParameters(ctx: CommandContext, before: ServiceStackState, changes: readonly ParameterValue[], what: string): Promise<ServiceStackState> {
  if (ctx.signal.aborted) throw new Interrupted();
  const wanted = new Map(changes.map((c) => [c.parameter, c.to]));
  const keys = [...new Set([...before.parameterKeys, ...wanted.keys()])];
  // CloudFormation's token pattern is [a-zA-Z][-a-zA-Z0-9]*, at most 128 characters.
  const token = `${APP_NAME}-${randomUUID()}`;
  try {
    await ctx.clients.cloudformation.send(
      new UpdateStackCommand({
        StackName: before.name,
        UsePreviousTemplate: true,
        Parameters: keys.map((key) => {
          const to = wanted.get(key);
          return to === undefined ? { ParameterKey: key, UsePreviousValue: true } : { ParameterKey: key, ParameterValue: to };
        }),
        Capabilities: [...before.capabilities],
        ClientRequestToken: token,
      }),
    );
  } catch (error) {
    if (error instanceof Error && error.name === 'ValidationError' && /No updates are to be performed/.test(error.message)) {
      // Someone applied the same values meanwhile: nothing to wait for.
      return describeServiceStack(ctx);
    }
    throw explainAwsError(error, `updating stack ${before.name} (cloudformation:UpdateStack)`);
  }

  let after: ServiceStackState;
  try {
    after = await waitForStack(ctx, what);
  } catch (error) {
    if (error instanceof Interrupted) {
      throw new Interrupted(
        `CloudFormation goes on updating ${before.name} by itself; it completes or rolls back as a whole. Follow it with npx mcp-rollout status --environment ${ctx.environment} --watch.`,
      );
    }
    throw error;
  }
  if (after.status !== 'UPDATE_COMPLETE') {
    const cause = await firstFailure(ctx, before.name, token);
    const rolledBack = /ROLLBACK_COMPLETE$/.test(after.status);
    throw new CliError(
      `the update of ${before.name} ended ${after.status}${rolledBack ? ': CloudFormation rolled the whole change back, the parameters are as before' : ''}${cause ? `. First failure: ${cause}` : ''}`,
      `Read the stack's events in the CloudFormation console (npx mcp-rollout status --environment ${ctx.environment} links to it), fix the cause, then run the same command again.`,
    );
  }
  return after;
}

/** The first resource failure of this update, from the stack events that carry its token. */
async function firstFailure(ctx: CommandContext, stackName: string, token: string): Promise<string | undefined> {
  let events: StackEvent[];
  try {
    events = (await aws(`reading the events of ${stackName} (cloudformation:DescribeStackEvents)`, () =>
      ctx.clients.cloudformation.send(new DescribeStackEventsCommand({ StackName: stackName })),
    )).StackEvents ?? [];
  } catch {
    return undefined; // The status already says it failed; the reason is a bonus.
  }
  // Newest first, as CloudFormation lists them: the oldest failure of this update is the cause.
  const failed = events.filter((e) => e.ClientRequestToken === token && /_FAILED$/.test(e.ResourceStatus ?? '')).reverse()[0];
  return failed ? `${failed.LogicalResourceId ?? '?'} ${failed.ResourceStatus}: ${failed.ResourceStatusReason ?? 'no reason given'}` : undefined;
}
