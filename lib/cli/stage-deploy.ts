/**
 * One change of the Service stack's deploy-time parameters, then a read-back of what
 * CloudFormation applied and the info events. Used by `deploy`, `promote` and `undo`.
 *
 * The change goes through stack-update.ts (UpdateStack with the deployed template), so a stale
 * or modified clone cannot redeploy its own template. Only `deploy --template`, after the
 * operator approved the differences by the local template's digest, hands the reviewed assembly
 * to the CDK toolkit (template-check.ts).
 */
import { INFO_EVENTS } from '../shared/metrics-contract';
import { PARAMETER_NAMES, serviceStackSelector } from '../shared/stack-contract';
import { trafficWeights, type TrafficWeights } from '../shared/traffic-weights';
import type { CommandContext } from './context';
import { CliError, Interrupted } from './errors';
import { sendInfoEvents, type InfoEvent } from './info-events';
import { readLatch, readWeights } from './live-state';
import { formatDuration } from './output';
import { recordRelease, type Recorded } from './release-records';
import type { ReleaseRecord } from '../shared/release-history';
import { describeServiceStack, type DeployedParameters, type ServiceStackState } from './service-stack';
import { updateStackParameters } from './stack-update';

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

/** A local template the operator reviewed and approved (deploy --template --approve-template). */
export interface ApprovedTemplate {
  readonly assemblyDir: string;
  readonly digest: string;
}

/** What the release history says about this change, however it ends. */
export interface StageRecords {
  done(result: StageDeployResult): ReleaseRecord;
  /** A failure with a known end (CloudFormation rolled back, weights wrong); not Ctrl-C. */
  failed(error: CliError): ReleaseRecord;
}

export interface RecordedStageDeploy extends StageDeployResult {
  readonly history: Recorded;
}

/**
 * Runs as a change that must finish: CloudFormation cannot stop an update half-way, so Ctrl-C
 * waits for it (and says so), and the read-back, the info events and the release history record
 * still happen before the command stops.
 */
export function deployStage(ctx: CommandContext, before: ServiceStackState, changes: readonly ParameterChange[], records: StageRecords, template?: ApprovedTemplate): Promise<RecordedStageDeploy> {
  if (ctx.signal.aborted) return Promise.reject(new Interrupted());
  // The toolkit announces a Ctrl-C itself; the UpdateStack path is announced by the interrupts.
  return ctx.interrupts.mustFinish(
    `the update of ${before.name}`,
    async () => {
      let result: StageDeployResult;
      try {
        result = await deployAndReadBack(ctx, before, changes, template);
      } catch (error) {
        // A failed change is history too: which image did not make it, and why.
        if (error instanceof CliError) await recordRelease(ctx, records.failed(error));
        throw error;
      }
      return { ...result, history: await recordRelease(ctx, records.done(result)) };
    },
    { quiet: template !== undefined },
  );
}

async function deployAndReadBack(ctx: CommandContext, before: ServiceStackState, changes: readonly ParameterChange[], template: ApprovedTemplate | undefined): Promise<StageDeployResult> {
  const started = ctx.clock.now();
  const after = template ? await deployTemplate(ctx, before, changes, template) : await deployParameters(ctx, before, changes);

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

/** The everyday path: the deployed template, only the parameters change. */
async function deployParameters(ctx: CommandContext, before: ServiceStackState, changes: readonly ParameterChange[]): Promise<ServiceStackState> {
  ctx.report.say(`Updating ${before.name} with its deployed template: ${describeChanges(changes)}; every other parameter keeps its deployed value.`);
  return updateStackParameters(ctx, before, changes, `updating ${before.name}`);
}

/** `deploy --template`: the reviewed assembly, with the CDK toolkit (it publishes the assets). */
async function deployTemplate(ctx: CommandContext, before: ServiceStackState, changes: readonly ParameterChange[], template: ApprovedTemplate): Promise<ServiceStackState> {
  const selector = serviceStackSelector(ctx.environment);
  ctx.report.say(
    `Deploying the approved local template (digest ${template.digest}) of ${selector} with the CDK toolkit${changes.length > 0 ? `: ${describeChanges(changes)}` : ''}; every other parameter keeps its deployed value.`,
  );
  const exitCode = await ctx.toolkit.deploy(
    { selector, stackName: before.name, parameters: Object.fromEntries(changes.map((c) => [c.parameter, c.to])), assemblyDir: template.assemblyDir },
    // The operator's own Ctrl-C: the toolkit tells them what it means for a deploy in flight.
    ctx.interrupts.requested,
  );
  const after = await describeServiceStack(ctx);
  if (/_IN_PROGRESS$/.test(after.status)) {
    // The toolkit stopped watching (Ctrl-C twice); CloudFormation goes on by itself.
    throw new Interrupted(`CloudFormation is still applying the change to ${after.name} (${after.status}); it completes or rolls back as a whole. Follow it with npx mcp-rollout status --environment ${ctx.environment} --watch.`);
  }
  if (exitCode !== 0) {
    const rolledBack = /ROLLBACK_COMPLETE$/.test(after.status);
    throw new CliError(
      `cdk deploy of ${selector} failed (exit ${exitCode}); the stack is ${after.status}${rolledBack ? ': CloudFormation rolled the whole change back, nothing changed' : ''}`,
      `Read the toolkit output above (or the stack's events in the CloudFormation console), fix the cause, then run the same command again.`,
    );
  }
  return after;
}
