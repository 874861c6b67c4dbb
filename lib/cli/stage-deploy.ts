/**
 * One deploy of the Service stack with the CDK toolkit, passing only the parameters that change
 * (`cdk deploy` keeps the previous value of the others, DESIGN.md D1), then a read-back of what
 * CloudFormation applied and the info events. Used by `deploy` and `promote`.
 */
import { INFO_EVENTS } from '../shared/metrics-contract';
import { PARAMETER_NAMES, serviceStackSelector } from '../shared/stack-contract';
import { trafficWeights, type TrafficWeights } from '../shared/traffic-weights';
import type { CommandContext } from './context';
import { CliError, Interrupted } from './errors';
import { sendInfoEvents, type InfoEvent } from './info-events';
import { readLatch, readWeights } from './live-state';
import { formatDuration } from './output';
import { describeServiceStack, type DeployedParameters, type ServiceStackState } from './service-stack';

export interface ParameterChange {
  readonly key: keyof DeployedParameters;
  readonly parameter: string;
  readonly from: string;
  readonly to: string;
}

export interface StageDeployResult {
  readonly stack: ServiceStackState;
  readonly weights: TrafficWeights;
  readonly durationMs: number;
  readonly eventsSent: boolean;
}

/** The parameters whose wanted value differs from the deployed one, in a stable order. */
export function parameterChanges(deployed: DeployedParameters, wanted: Partial<DeployedParameters>): ParameterChange[] {
  const keys: (keyof DeployedParameters)[] = ['stableImageTag', 'canaryImageTag', 'canaryTraffic'];
  return keys
    .filter((key) => wanted[key] !== undefined && wanted[key] !== deployed[key])
    .map((key) => ({ key, parameter: PARAMETER_NAMES[key], from: String(deployed[key]), to: String(wanted[key]) }));
}

function describeChanges(changes: readonly ParameterChange[]): string {
  return changes.map((c) => `${c.parameter} ${c.from} -> ${c.to}`).join(', ');
}

/**
 * Runs as a change that must finish: CloudFormation cannot stop an update half-way, so Ctrl-C
 * keeps waiting for it (the toolkit says so; a second Ctrl-C stops watching) and the read-back
 * and the info events still happen.
 */
export function deployStage(ctx: CommandContext, before: ServiceStackState, changes: readonly ParameterChange[]): Promise<StageDeployResult> {
  if (ctx.signal.aborted) return Promise.reject(new Interrupted());
  return ctx.interrupts.mustFinish(`the deploy of ${before.name}`, () => deployAndReadBack(ctx, before, changes), { quiet: true });
}

async function deployAndReadBack(ctx: CommandContext, before: ServiceStackState, changes: readonly ParameterChange[]): Promise<StageDeployResult> {
  const selector = serviceStackSelector(ctx.environment);
  const started = ctx.clock.now();
  ctx.report.say(`Deploying ${selector} with the CDK toolkit: ${describeChanges(changes)}; every other parameter keeps its deployed value.`);
  const exitCode = await ctx.toolkit.deploy(
    { selector, stackName: before.name, parameters: Object.fromEntries(changes.map((c) => [c.parameter, c.to])) },
    // The operator's own Ctrl-C: the toolkit tells them what it means for a deploy in flight.
    ctx.interrupts.requested,
  );
  const after = await describeServiceStack(ctx);
  if (/_IN_PROGRESS$/.test(after.status)) {
    // The toolkit stopped watching (Ctrl-C twice); CloudFormation goes on by itself.
    throw new Interrupted(`CloudFormation is still applying the change to ${after.name} (${after.status}); it completes or rolls back as a whole. Follow it with npx mcp-rollout status --environment ${ctx.environment}.`);
  }
  if (exitCode !== 0) {
    const rolledBack = /ROLLBACK_COMPLETE$/.test(after.status);
    throw new CliError(
      `cdk deploy of ${selector} failed (exit ${exitCode}); the stack is ${after.status}${rolledBack ? ': CloudFormation rolled the whole change back, nothing changed' : ''}`,
      `Read the toolkit output above (or the stack's events in the CloudFormation console), fix the cause, then run the same command again.`,
    );
  }

  const notApplied = changes.filter((c) => String(after.parameters[c.key]) !== c.to);
  if (notApplied.length > 0) {
    throw new CliError(
      `cdk deploy finished but ${after.name} does not run the requested parameters: ${notApplied.map((c) => `${c.parameter} is ${String(after.parameters[c.key])}, requested ${c.to}`).join(', ')}`,
      `Someone else may have deployed at the same time. Run \`npx mcp-rollout status --environment ${ctx.environment}\` and deploy again.`,
    );
  }
  const latch = await readLatch(ctx, after);
  const weights = await readWeights(ctx, after);
  const expected = latch.latched ? trafficWeights(0) : trafficWeights(after.parameters.canaryTraffic);
  if (weights.stable !== expected.stable || weights.canary !== expected.canary) {
    throw new CliError(
      `deployed, but the live weights are stable ${weights.stable} / canary ${weights.canary} instead of stable ${expected.stable} / canary ${expected.canary}`,
      `Something else changed the traffic rule (a rollback in the meantime?). Run \`npx mcp-rollout status --environment ${ctx.environment}\` before anything else.`,
    );
  }
  const durationMs = ctx.clock.now() - started;
  ctx.report.say(`Deployed in ${formatDuration(durationMs)}: live weights stable ${weights.stable} / canary ${weights.canary}.`);

  const time = new Date(ctx.clock.now()).toISOString();
  const events: InfoEvent[] = [];
  if (before.parameters.canaryTraffic !== after.parameters.canaryTraffic) {
    events.push({
      type: INFO_EVENTS.trafficPercentageChanged,
      detail: { environment: ctx.environment, previousPercent: before.parameters.canaryTraffic, canaryPercent: after.parameters.canaryTraffic, requestedBy: ctx.user, time },
    });
  }
  events.push({
    type: INFO_EVENTS.deploymentCompleted,
    detail: {
      environment: ctx.environment,
      stackName: after.name,
      canaryPercent: after.parameters.canaryTraffic,
      images: { stable: after.parameters.stableImageTag, canary: after.parameters.canaryImageTag },
      requestedBy: ctx.user,
      durationSeconds: Math.round(durationMs / 1000),
      time,
    },
  });
  const eventsSent = await sendInfoEvents(ctx, events);
  return { stack: after, weights, durationMs, eventsSent };
}
