import {
  ConflictException,
  CreateHostedConfigurationVersionCommand,
  StartDeploymentCommand,
  type AppConfigClient,
  type DeploymentSummary,
} from '@aws-sdk/client-appconfig';
import { ModifyRuleCommand, type ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, GetParameterHistoryCommand, ParameterAlreadyExists, ParameterNotFound, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { flagValuesOf, rolledBackDocument, serializeFlagDocument, type FlagDocument, type FlagName } from '../../lib/shared/feature-flags';
import { ROLLOUT_EVENT_SOURCE } from '../../lib/shared/metrics-contract';
import {
  ROLLBACK_CALL_LIMITS,
  ROLLBACK_EVENT_TYPES,
  parseLatch,
  serializeLatch,
  type EnvironmentState,
  type FlagChange,
  type RollbackResult,
  type RollbackStep,
  type RollbackStepName,
} from '../../lib/shared/rollback-contract';
import type { RollbackConfig } from './config';
import type { RollbackRequest } from './events';
import { retryReason, withRetry } from './retry';
import { describeError } from '../../lib/shared/aws-errors';
import { appendReleaseRecord } from '../../lib/shared/release-history';
import { isImmediate, readFlagDeployments, stopFlagDeployment, type FlagDeployments, type StoppedDeployment } from '../../lib/shared/flag-deployments';
import { readLiveWeights } from '../../lib/shared/live-weights';
import { setMonitorActions } from '../../lib/shared/rollback-monitor';
import { trafficWeights } from '../../lib/shared/traffic-weights';

export interface Clients {
  readonly elb: ElasticLoadBalancingV2Client;
  readonly appconfig: AppConfigClient;
  readonly ssm: SSMClient;
  readonly sns: SNSClient;
  readonly events: EventBridgeClient;
  readonly cloudwatch: CloudWatchClient;
}

export interface Recorder {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export interface MetricSink {
  addMetric(name: string, unit: 'Count' | 'Milliseconds', value: number): void;
}

export interface Dependencies {
  readonly clients: Clients;
  readonly config: RollbackConfig;
  readonly log: Recorder;
  readonly metrics: MetricSink;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export class RollbackFailed extends Error {
  constructor(readonly result: RollbackResult) {
    const failed = result.steps.filter((s) => s.status === 'failed').map((s) => `${s.step}: ${s.detail}`);
    super(`${result.trigger?.kind === 'event' ? 'enforcing the rollback of' : 'rollback of'} ${result.environment} incomplete: ${failed.join('; ')}`);
    this.name = 'RollbackFailed';
  }
}

/** The latched state of the traffic rule (DESIGN.md D2). */
const LATCHED_WEIGHTS = trafficWeights(0);
/** StartDeployment attempts when AppConfig answers ConflictException (one deployment per environment). */
const START_ATTEMPTS = 3;
/**
 * Immediate deployments AppConfig rolled back lately after which the function stops redeploying
 * and asks for a person: a monitor that rolls back even the immediate strategy would otherwise
 * turn the enforce path into a loop.
 */
const MAX_RECENT_IMMEDIATE_ROLLBACKS = 3;
const RECENT_MS = 15 * 60_000;

type Call = <T>(what: string, fn: () => Promise<T>) => Promise<T>;

/**
 * The rollback, in the order that makes the environment safe fastest: traffic to stable (one
 * ModifyRule, atomic: both weights change together), the rollback flags off (immediate strategy,
 * after stopping a deployment in progress), the latch, then a read-back and a report. Each step
 * records what it did; a failing step does not stop the later ones, because each makes things
 * safer on its own. A step already in the wanted state is left alone, so a second alarm, a
 * retried invocation or a concurrent run changes nothing twice and says so.
 *
 * The same code enforces a rollback in force (`kind: 'enforce'`, from a stack operation or a flag
 * deployment that ended): it acts only while the latch is set, never writes the latch, and reports
 * any drift it drives back on the critical topic (DESIGN.md D2).
 */
export async function performRollback(request: RollbackRequest, deps: Dependencies): Promise<RollbackResult> {
  const started = deps.now();
  const { config, log } = deps;
  const L = ROLLBACK_CALL_LIMITS;
  /** Every AWS call goes through the one retry policy; `deadline` is the phase's time budget. */
  const callUntil =
    (deadline?: number): Call =>
    (what, fn) =>
      withRetry(fn, {
        attempts: L.attempts,
        baseDelayMs: L.baseDelayMs,
        maxDelayMs: L.maxDelayMs,
        sleep: deps.sleep,
        now: deps.now,
        ...(deadline !== undefined ? { deadline } : {}),
        onRetry: (error, attempt, delayMs) => log.warn(retryReason(error), { call: what, attempt, delayMs, error: describeError(error) }),
      });
  const call = callUntil();
  const trigger =
    request.kind === 'alarm'
      ? { kind: 'alarm' as const, name: request.alarmName, reason: request.reason }
      : request.kind === 'manual'
        ? { kind: 'manual' as const, name: request.requestedBy, reason: request.reason }
        : { kind: 'event' as const, name: request.name, reason: request.reason };
  const enforcing = request.kind === 'enforce';

  // The reads before the steps have a time budget of their own, and a read that fails only leaves
  // its step to read again: a rollback must move traffic even when AppConfig is down, a document
  // cannot be parsed or the latch parameter is missing.
  const before = await readState(deps, callUntil(started + L.readsBeforeTrafficMs));
  if (enforcing) {
    // The enforce path acts only while a rollback is in force: without the latch it cannot tell.
    const unreadLatch = before.failures.find((f) => f.what === 'the latch');
    if (unreadLatch) throw unreadLatch.error instanceof ParameterNotFound ? missingLatchError(config) : unreadLatch.error;
    if (!before.state.latch?.latched) {
      log.info('no rollback in force: nothing to enforce', { trigger });
      return { outcome: 'not_latched', environment: config.environment, trigger, before: before.state, steps: [], durationMs: deps.now() - started };
    }
  }
  const flagPlan = before.flags ? planFlags(before.flags, config.rollbackFlags) : undefined;
  const needs = {
    traffic: !before.state.weights || !sameWeights(before.state.weights, LATCHED_WEIGHTS),
    flags: flagPlan?.needed ?? true,
    latch: !enforcing && before.state.latch?.latched !== true,
  };
  log.info(enforcing ? 'state while rolled back' : 'state before rollback', { trigger, before: before.state, needs, flagPlan: flagPlan?.summary ?? 'flag deployments unread' });
  const flagsAlready = flagPlan?.concurrent
    ? `deployment #${flagPlan.concurrent.DeploymentNumber} (immediate) is already turning ${config.rollbackFlags.join(', ')} off`
    : `${config.rollbackFlags.join(', ')} already off`;

  if (request.dryRun) {
    const plan = (step: RollbackStepName, needed: boolean, would: string, already: string): RollbackStep => ({
      step,
      status: 'skipped',
      detail: needed ? `would ${would}` : `nothing to do: ${already}`,
    });
    const unreadError = (what: string) => before.failures.find((f) => f.what === what)?.detail;
    const w = before.state.weights;
    return {
      outcome: 'dry_run',
      environment: config.environment,
      trigger,
      before: before.state,
      steps: [
        plan(
          'traffic',
          needs.traffic,
          w ? `move traffic from canary ${w.canary} % to stable` : `set stable ${LATCHED_WEIGHTS.stable} / canary ${LATCHED_WEIGHTS.canary} (the live weights are unknown: ${unreadError('the traffic rule')})`,
          'canary weight is 0',
        ),
        plan(
          'flags',
          needs.flags,
          flagPlan ? flagPlan.would : `read the flag deployments again and turn off ${config.rollbackFlags.join(', ')} (they could not be read: ${unreadError('the flag deployments')})`,
          flagsAlready.replace(/^deployment/, 'flag deployment'),
        ),
        plan('latch', needs.latch, `set ${config.latchParameter}`, 'already latched'),
      ],
      durationMs: deps.now() - started,
    };
  }

  if (!needs.traffic && !needs.flags && !needs.latch) {
    log.info(enforcing ? 'no drift from the latched state' : 'already rolled back: nothing changed', { trigger });
    deps.metrics.addMetric(enforcing ? 'RollbackInSync' : 'RollbackAlreadyDone', 'Count', 1);
    return {
      outcome: enforcing ? 'in_sync' : 'already_rolled_back',
      environment: config.environment,
      trigger,
      before: before.state,
      after: before.state,
      steps: [
        { step: 'traffic', status: 'unchanged', detail: 'canary weight is already 0' },
        { step: 'flags', status: 'unchanged', detail: flagsAlready },
        { step: 'latch', status: 'unchanged', detail: enforcing ? 'latched; the enforce path never writes it' : 'already latched' },
      ],
      durationMs: deps.now() - started,
    };
  }

  const steps: RollbackStep[] = [];
  const attempt = async (step: RollbackStepName, needed: boolean, unchanged: string, act: () => Promise<Omit<RollbackStep, 'step'>>) => {
    if (!needed) {
      steps.push({ step, status: 'unchanged', detail: unchanged });
      return;
    }
    try {
      steps.push({ step, ...(await act()) });
    } catch (error) {
      log.error(`rollback step ${step} failed`, { error: describeError(error) });
      steps.push({ step, status: 'failed', detail: describeError(error) });
    }
  };

  // a. Traffic first: it is one API call and protects users at once. Its retries end in time for
  // the function's timeout (ROLLBACK_CALL_LIMITS).
  await attempt('traffic', needs.traffic, 'canary weight is already 0', async () => {
    await callUntil(started + L.trafficStepMs)('ModifyRule', () =>
      deps.clients.elb.send(
        new ModifyRuleCommand({
          RuleArn: config.trafficRuleArn,
          Actions: [
            {
              Type: 'forward',
              ForwardConfig: {
                TargetGroups: [
                  { TargetGroupArn: config.targetGroupArns.stable, Weight: LATCHED_WEIGHTS.stable },
                  { TargetGroupArn: config.targetGroupArns.canary, Weight: LATCHED_WEIGHTS.canary },
                ],
                TargetGroupStickinessConfig: { Enabled: false },
              },
            },
          ],
        }),
      ),
    );
    deps.metrics.addMetric('TimeToStableMs', 'Milliseconds', deps.now() - started);
    const b = before.state.weights;
    return { status: 'done', detail: `weights ${b ? `stable ${b.stable} / canary ${b.canary}` : 'unknown (unread)'} -> stable ${LATCHED_WEIGHTS.stable} / canary ${LATCHED_WEIGHTS.canary}` };
  });

  // b. The rollback flags off, immediately, derived from the last completed document.
  let flagChange: FlagChange | undefined;
  await attempt('flags', needs.flags, flagsAlready, async () => {
    // Read again what could not be read before the traffic step.
    const flags = before.flags ?? (await readFlagDeployments(deps.clients.appconfig, config.appConfig, call));
    const plan = flagPlan ?? planFlags(flags, config.rollbackFlags);
    if (!plan.needed) return { status: 'unchanged', detail: `read again: ${plan.concurrent ? flagsAlready : `${config.rollbackFlags.join(', ')} already off`}` };
    const bounced = (flags.recent ?? []).filter((d) => isImmediate(d) && d.State === 'ROLLED_BACK' && started - (d.StartedAt?.getTime() ?? 0) <= RECENT_MS);
    if (bounced.length >= MAX_RECENT_IMMEDIATE_ROLLBACKS) {
      throw new Error(
        `AppConfig rolled back ${bounced.length} immediate flag deployments in the last ${RECENT_MS / 60_000} minutes (#${bounced.map((d) => d.DeploymentNumber).join(', #')}): a monitor alarm rolls back even the rollback's deployment; not deploying again, a person must turn ${config.rollbackFlags.join(', ')} off`,
      );
    }
    const outcome = await turnFlagsOff(plan, trigger.reason, deps, call);
    flagChange = outcome.change;
    return { status: outcome.status, detail: outcome.detail };
  });

  // c. The latch, with why, who and when; a latch already set keeps its first record.
  await attempt('latch', needs.latch, enforcing ? 'latched; the enforce path never writes it' : 'already latched', () => setLatch(trigger, deps, call));

  // d. Read back and report.
  const read = await readState(deps, call);
  const after: EnvironmentState = read.state;
  if (read.failures.length > 0) {
    steps.push({ step: 'verify', status: 'failed', detail: `could not read back ${read.failures.map((f) => `${f.what} (${f.detail})`).join(', ')}` });
  } else {
    const trafficOk = after.weights !== undefined && sameWeights(after.weights, LATCHED_WEIGHTS);
    const flags = flagsOffAfter(read.flags!, config.rollbackFlags);
    const ok = trafficOk && after.latch?.latched === true && flags.ok;
    steps.push({
      step: 'verify',
      status: ok ? 'done' : 'failed',
      detail: `read back: weights ${describeWeights(after.weights)}, latch ${describeLatchState(after.latch)}, ${flags.detail}`,
    });
  }

  const failed = () => steps.some((s) => s.status === 'failed');
  const success = enforcing ? 'drift_corrected' : 'rolled_back';
  const result: RollbackResult = {
    outcome: failed() ? 'failed' : success,
    environment: config.environment,
    trigger,
    before: before.state,
    after,
    steps,
    ...(flagChange ? { flags: flagChange } : {}),
    durationMs: deps.now() - started,
  };
  try {
    await report(deps, call, result);
    steps.push({ step: 'report', status: 'done', detail: 'EventBridge event and critical notification sent' });
  } catch (error) {
    log.error('rollback report failed', { error: describeError(error) });
    steps.push({ step: 'report', status: 'failed', detail: describeError(error) });
  }
  const final: RollbackResult = { ...result, outcome: failed() ? 'failed' : success, steps, durationMs: deps.now() - started };
  deps.metrics.addMetric(final.outcome === 'failed' ? 'RollbackFailed' : enforcing ? 'RollbackDriftCorrected' : 'RollbackCompleted', 'Count', 1);
  // Last, after the environment is safe and people are told: the history only records it.
  if (!enforcing) await recordRollback(deps, final);
  if (final.outcome === 'failed') throw new RollbackFailed(final);
  log.info(enforcing ? 'drift from the rollback corrected' : 'rolled back', { result: final });
  return final;
}

/**
 * The rollback in the release history (lib/shared/release-history.ts), once, whoever asked for it
 * (an alarm, the engine, the CLI, the console): the CLI's `rollback` writes no record of its own.
 * A history that cannot be written is logged and never fails the rollback.
 */
async function recordRollback(deps: Dependencies, result: RollbackResult): Promise<void> {
  const { trigger } = result;
  if ((result.outcome !== 'rolled_back' && result.outcome !== 'failed') || !trigger || trigger.kind === 'event') return;
  const failedSteps = result.steps.filter((s) => s.status === 'failed').map((s) => `${s.step}: ${s.detail}`);
  const written = await appendReleaseRecord(deps.clients.ssm, {
    kind: 'rollback',
    environment: deps.config.environment,
    time: new Date(deps.now()).toISOString(),
    by: trigger.name,
    outcome: result.outcome,
    trigger: { kind: trigger.kind, name: trigger.name, reason: trigger.reason },
    ...(result.before?.weights ? { weightsBefore: result.before.weights } : {}),
    ...(result.after?.weights ? { weightsAfter: result.after.weights } : {}),
    ...(failedSteps.length > 0 ? { detail: failedSteps.join('; ') } : {}),
  });
  if (!written.written) deps.log.warn('the release history was not updated; the rollback itself is not affected', { reason: written.reason });
}

function sameWeights(a: { stable: number; canary: number }, b: { stable: number; canary: number }): boolean {
  return a.stable === b.stable && a.canary === b.canary;
}

type ReadWhat = 'the traffic rule' | 'the latch' | 'the flag deployments';

interface ReadState {
  readonly state: EnvironmentState;
  /** Absent when they could not be read. */
  readonly flags?: FlagDeployments;
  /** The reads that failed (after their retries), each with its error. */
  readonly failures: readonly { readonly what: ReadWhat; readonly error: unknown; readonly detail: string }[];
}

/**
 * The live weights, latch and flags (from the newest deployment AppConfig did not roll back). A read
 * that fails is recorded and left out: the caller decides what acting without it means.
 */
async function readState(deps: Dependencies, call: Call): Promise<ReadState> {
  const { config, clients, log } = deps;
  const failures: { what: ReadWhat; error: unknown; detail: string }[] = [];
  const attempt = async <T>(what: ReadWhat, read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (error) {
      log.error(`reading ${what} failed`, { error: describeError(error) });
      failures.push({ what, error, detail: describeError(error) });
      return undefined;
    }
  };
  const weights = await attempt('the traffic rule', () => readLiveWeights(clients.elb, config.trafficRuleArn, config.targetGroupArns, call));
  const value = await attempt('the latch', async () => (await call('GetParameter', () => clients.ssm.send(new GetParameterCommand({ Name: config.latchParameter })))).Parameter?.Value ?? '');
  const flags = await attempt('the flag deployments', () => readFlagDeployments(clients.appconfig, config.appConfig, call));
  const newest = flags?.newest;
  return {
    state: {
      ...(weights ? { weights } : {}),
      ...(value !== undefined ? { latch: parseLatch(value) } : {}),
      flags: flags?.document ? flagValuesOf(flags.document) : {},
      ...(newest
        ? { flagDeployment: { number: newest.DeploymentNumber ?? 0, state: newest.State ?? 'UNKNOWN', version: newest.ConfigurationVersion ?? '' } }
        : {}),
      ...(failures.length > 0 ? { unread: failures.map((f) => `${f.what}: ${f.detail}`) } : {}),
    },
    ...(flags ? { flags } : {}),
    failures,
  };
}

function describeWeights(weights: EnvironmentState['weights']): string {
  return weights ? `stable ${weights.stable} / canary ${weights.canary}` : 'unknown';
}

function describeLatchState(latch: EnvironmentState['latch']): string {
  return latch ? (latch.latched ? 'set' : 'clear') : 'unknown';
}

/** The enforce path's answer when the latch parameter is gone: a person must decide, the function cannot. */
function missingLatchError(config: RollbackConfig): Error {
  return new Error(
    `the latch parameter ${config.latchParameter} does not exist, so whether a rollback is in force is unknown: put it back (README "Upgrading a State stack"), or roll back with npx mcp-rollout rollback --environment ${config.environment} --confirm, which creates it latched`,
  );
}

const anyOn = (document: FlagDocument, rollbackFlags: readonly FlagName[]) => rollbackFlags.some((f) => flagValuesOf(document)[f]);

/** A deployment AppConfig is running with the immediate strategy whose document has the rollback flags off: a rollback's. */
function isRollbackDeployment(d: DeploymentSummary | undefined, document: FlagDocument | undefined, rollbackFlags: readonly FlagName[]): boolean {
  return d !== undefined && document !== undefined && isImmediate(d) && !anyOn(document, rollbackFlags);
}

interface FlagPlan {
  readonly needed: boolean;
  /** A deployment in progress to stop first: its targets then return to the last completed version. */
  readonly stop?: DeploymentSummary;
  /** The document the rolled-back one is derived from, and the deployment it came from. */
  readonly source?: { readonly document: FlagDocument; readonly deployment: DeploymentSummary; readonly completed: boolean };
  /** After any stop, the source still has a rollback flag on: a new version must be deployed. */
  readonly deploy: boolean;
  /** A rollback's immediate deployment already in progress: nothing to do but let it finish. */
  readonly concurrent?: DeploymentSummary;
  readonly would: string;
  readonly summary: string;
}

/**
 * What the flags step must do. The rolled-back document is derived from the last COMPLETE
 * deployment, never from one in progress: stopping that one returns every target to the completed
 * version, so a half-finished change is neither kept nor spread to every task at once.
 */
function planFlags(flags: FlagDeployments, rollbackFlags: readonly FlagName[]): FlagPlan {
  const { inProgress, inProgressDocument, completed, completedDocument } = flags;
  if (inProgress && isRollbackDeployment(inProgress, inProgressDocument, rollbackFlags)) {
    return { needed: false, deploy: false, concurrent: inProgress, would: '', summary: `deployment #${inProgress.DeploymentNumber} already turns them off` };
  }
  // A change that keeps the rollback flags off, over a document that has them off: nothing to undo
  // (`flags set` of another flag while rolled back). Left to run, whatever its strategy.
  if (inProgress && inProgressDocument && !anyOn(inProgressDocument, rollbackFlags) && completedDocument && !anyOn(completedDocument, rollbackFlags)) {
    return { needed: false, deploy: false, would: '', summary: `deployment #${inProgress.DeploymentNumber} in progress keeps them off` };
  }
  const source =
    completed && completedDocument
      ? { document: completedDocument, deployment: completed, completed: true }
      : inProgress && inProgressDocument
        ? // No deployment ever completed (the first one is still running): its document is all there is.
          { document: inProgressDocument, deployment: inProgress, completed: false }
        : undefined;
  const deploy = source === undefined || anyOn(source.document, rollbackFlags);
  const stopText = inProgress
    ? `stop deployment #${inProgress.DeploymentNumber} (${inProgress.State}${inProgress.State === 'DEPLOYING' ? '' : ', with AllowRevert'}), then `
    : '';
  const fromText = source ? `version ${source.deployment.ConfigurationVersion} (deployment #${source.deployment.DeploymentNumber} ${source.deployment.State})` : 'no document';
  return {
    needed: inProgress !== undefined || deploy,
    ...(inProgress ? { stop: inProgress } : {}),
    ...(source ? { source } : {}),
    deploy,
    would: `${stopText}${deploy ? `turn off the rollback flags in ${fromText} with the immediate strategy` : `leave ${fromText}, which has the rollback flags off`}`,
    summary: `${stopText}${deploy ? `derive from ${fromText}` : `keep ${fromText}`}`,
  };
}

interface FlagsOutcome {
  readonly status: 'done' | 'unchanged' | 'failed';
  readonly detail: string;
  readonly change: FlagChange;
}

/**
 * Stops a deployment in progress (AllowRevert where AppConfig needs it), creates the rolled-back
 * version of the last completed document and deploys it with the immediate strategy. AppConfig
 * allows one deployment per environment at a time: on ConflictException it looks again; a
 * concurrent rollback's immediate deployment already does the work; any other deployment that
 * started meanwhile is stopped, and the start is tried again.
 *
 * Before the deployment starts, the monitor's actions are disabled: AppConfig rolls back any
 * deployment, the immediate strategy's included, while a monitor with actions enabled is in ALARM,
 * and the monitor (the composite of every trigger) is in ALARM now
 * (https://docs.aws.amazon.com/appconfig/latest/userguide/monitoring-deployments.html). If that
 * fails, the deployment still starts (the monitor may be OK), and the step fails so the run is
 * retried and on-call is paged.
 */
async function turnFlagsOff(initial: FlagPlan, reason: string, deps: Dependencies, call: Call): Promise<FlagsOutcome> {
  const { config, clients, log } = deps;
  const { applicationId, environmentId, profileId, immediateStrategyId } = config.appConfig;
  const flagNames = config.rollbackFlags.join(', ');
  let plan = initial;
  let stopped: StoppedDeployment | undefined;
  let created: { version: string; fromVersion: string | undefined } | undefined;
  let monitorError: string | undefined;
  let monitorDone = false;
  const change = (extra: Partial<FlagChange> = {}): FlagChange => ({
    ...(plan.source?.completed ? { sourceDeployment: plan.source.deployment.DeploymentNumber, sourceVersion: plan.source.deployment.ConfigurationVersion } : {}),
    ...(stopped ? { stopped } : {}),
    ...(created ? { version: created.version } : {}),
    ...extra,
  });
  const stoppedText = () => (stopped ? `; stopped deployment #${stopped.number} first (${stopped.stateBefore} -> ${stopped.stateAfter}${stopped.allowRevert ? ', AllowRevert' : ''})` : '');
  const fromText = () =>
    plan.source
      ? `from version ${plan.source.deployment.ConfigurationVersion} (${plan.source.completed ? 'the last completed deployment' : 'no deployment has completed yet: the one in progress'}, #${plan.source.deployment.DeploymentNumber})`
      : '';

  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    if (plan.stop) stopped = await stopFlagDeployment(clients.appconfig, { applicationId, environmentId }, plan.stop, call);
    if (!plan.deploy) {
      return {
        status: 'done',
        detail: `targets return to version ${plan.source?.deployment.ConfigurationVersion}, which has ${flagNames} off${stoppedText()}`,
        change: change(),
      };
    }
    const source = plan.source;
    if (!source) throw new Error('no flag document found to derive the rolled-back one from: AppConfig lists no deployment of this environment');
    if (!created || created.fromVersion !== source.deployment.ConfigurationVersion) {
      const { VersionNumber } = await call('CreateHostedConfigurationVersion', () =>
        clients.appconfig.send(
          new CreateHostedConfigurationVersionCommand({
            ApplicationId: applicationId,
            ConfigurationProfileId: profileId,
            Content: new TextEncoder().encode(serializeFlagDocument(rolledBackDocument(source.document, config.rollbackFlags))),
            ContentType: 'application/json',
            Description: `rollback: ${reason}`.slice(0, 1024),
          }),
        ),
      );
      created = { version: String(VersionNumber), fromVersion: source.deployment.ConfigurationVersion };
    }
    if (!monitorDone) {
      monitorDone = true;
      try {
        await setMonitorActions(clients.cloudwatch, config.monitorAlarmName, false, call);
      } catch (error) {
        log.error('the monitor actions could not be disabled; AppConfig rolls the deployment back while a trigger fires', { error: describeError(error) });
        monitorError = describeError(error);
      }
    }
    try {
      const started = await call('StartDeployment', () =>
        clients.appconfig.send(
          new StartDeploymentCommand({
            ApplicationId: applicationId,
            EnvironmentId: environmentId,
            ConfigurationProfileId: profileId,
            ConfigurationVersion: created!.version,
            DeploymentStrategyId: immediateStrategyId,
            Description: `rollback: ${reason}`.slice(0, 1024),
          }),
        ),
      );
      const number = started.DeploymentNumber ?? 0;
      const deployed = `hosted version ${created.version} with ${flagNames} off, ${fromText()}, deployment ${number} (immediate)${stoppedText()}`;
      return {
        status: monitorError ? 'failed' : 'done',
        detail: monitorError
          ? `${deployed} started, but the actions of ${config.monitorAlarmName} could not be disabled (${monitorError}): AppConfig rolls the deployment back while a trigger fires`
          : `${deployed}; actions of ${config.monitorAlarmName} disabled first, so AppConfig does not roll it back while a trigger fires`,
        change: change({ deployment: number }),
      };
    } catch (error) {
      if (!(error instanceof ConflictException)) throw error;
      log.warn('another flag deployment is in progress: looking again', { attempt, error: describeError(error) });
      plan = planFlags(await readFlagDeployments(clients.appconfig, config.appConfig, call), config.rollbackFlags);
      if (plan.concurrent) {
        return {
          status: 'unchanged',
          detail: `deployment #${plan.concurrent.DeploymentNumber} of a concurrent rollback (immediate) already turns ${flagNames} off; hosted version ${created.version} was left undeployed`,
          change: change({ concurrentDeployment: plan.concurrent.DeploymentNumber! }),
        };
      }
      if (!plan.stop) await deps.sleep(1000);
    }
  }
  throw new Error(`AppConfig answered ConflictException to ${START_ATTEMPTS} StartDeployment attempts: another flag deployment keeps starting`);
}

/** After the steps: are the rollback flags off, or being turned off by an immediate deployment? */
function flagsOffAfter(flags: FlagDeployments, rollbackFlags: readonly FlagName[]): { ok: boolean; detail: string } {
  const { inProgress, inProgressDocument, completed, completedDocument } = flags;
  const describe = (d: DeploymentSummary) => `flag deployment ${d.DeploymentNumber} ${d.State}`;
  if (inProgress) {
    const ok = isRollbackDeployment(inProgress, inProgressDocument, rollbackFlags);
    return { ok, detail: `${describe(inProgress)}${ok ? '' : ` ${inProgressDocument && anyOn(inProgressDocument, rollbackFlags) ? 'turns a rollback flag on' : 'is not immediate'}`}` };
  }
  const newest = flags.newest;
  if (newest && newest.State !== 'COMPLETE' && isImmediate(newest) && newest.DeploymentNumber !== completed?.DeploymentNumber) {
    return { ok: false, detail: `${describe(newest)}: AppConfig rolled the immediate deployment back (a monitor alarm?)` };
  }
  const ok = completedDocument !== undefined && !anyOn(completedDocument, rollbackFlags);
  return { ok, detail: completed ? `${describe(completed)}${ok ? '' : ' has a rollback flag on'}` : 'no completed flag deployment' };
}

/**
 * Sets the latch. Concurrent runs may both read "clear" and both write: SSM has no conditional
 * put, so after writing, the run reads the parameter's history (oldest first) and, if its own
 * write was not the first since the last "clear", writes the first record back. Every run
 * converges on the same value, so the latch keeps its first record.
 */
async function setLatch(trigger: { kind: string; name: string; reason: string }, deps: Dependencies, call: Call): Promise<Omit<RollbackStep, 'step'>> {
  const { config, clients } = deps;
  const name = config.latchParameter;
  const record = { state: 'latched' as const, reason: trigger.reason || trigger.name, requestedBy: trigger.name, time: new Date(deps.now()).toISOString() };
  const value = serializeLatch(record);
  let current;
  try {
    current = await call('GetParameter', () => clients.ssm.send(new GetParameterCommand({ Name: name })));
  } catch (error) {
    if (!(error instanceof ParameterNotFound)) throw error;
    // Gone (a State stack upgrade deletes the old AWS::SSM::Parameter): create it, latched, as the
    // State stack would have; without Overwrite, so a value someone put back meanwhile wins.
    try {
      await call('PutParameter', () => clients.ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: false })));
      return { status: 'done', detail: `${name} did not exist (README "Upgrading a State stack"): created it, set by ${record.requestedBy}` };
    } catch (createError) {
      if (!(createError instanceof ParameterAlreadyExists)) throw createError;
      current = await call('GetParameter', () => clients.ssm.send(new GetParameterCommand({ Name: name })));
    }
  }
  const now = parseLatch(current.Parameter?.Value ?? '');
  if (now.latched) return { status: 'unchanged', detail: `already latched${now.record ? ` by ${now.record.requestedBy} at ${now.record.time}` : ''}: it keeps its first record` };

  const written = await call('PutParameter', () => clients.ssm.send(new PutParameterCommand({ Name: name, Value: value, Overwrite: true })));

  const history: { value: string; version: number }[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < 3; page++) {
    const answer = await call('GetParameterHistory', () =>
      clients.ssm.send(new GetParameterHistoryCommand({ Name: name, MaxResults: 50, ...(nextToken ? { NextToken: nextToken } : {}) })),
    );
    for (const p of answer.Parameters ?? []) history.push({ value: p.Value ?? '', version: p.Version ?? 0 });
    nextToken = answer.NextToken;
    if (!nextToken) break;
  }
  const lastClear = history.map((h) => parseLatch(h.value).latched).lastIndexOf(false);
  const first = history[lastClear + 1];
  if (!first || first.version === written.Version || first.value === value) return { status: 'done', detail: `${name} set by ${record.requestedBy}` };
  if (history.at(-1)?.value !== first.value) {
    await call('PutParameter', () => clients.ssm.send(new PutParameterCommand({ Name: name, Value: first.value, Overwrite: true })));
  }
  const firstRecord = parseLatch(first.value);
  return {
    status: 'unchanged',
    detail: `latched concurrently by ${firstRecord.latched && firstRecord.record ? firstRecord.record.requestedBy : 'another writer'}: the latch keeps that first record`,
  };
}

async function report(deps: Dependencies, call: Call, result: RollbackResult): Promise<void> {
  const { config, clients } = deps;
  const enforcing = result.trigger?.kind === 'event';
  const failed = result.outcome === 'failed';
  const type = failed ? ROLLBACK_EVENT_TYPES.failed : enforcing ? ROLLBACK_EVENT_TYPES.driftCorrected : ROLLBACK_EVENT_TYPES.completed;
  const published = await call('PutEvents', () =>
    clients.events.send(
      new PutEventsCommand({
        Entries: [{ Source: ROLLOUT_EVENT_SOURCE, DetailType: type, Detail: JSON.stringify(result), EventBusName: config.eventBusName }],
      }),
    ),
  );
  if ((published.FailedEntryCount ?? 0) > 0) {
    throw new Error(`PutEvents refused the event: ${published.Entries?.[0]?.ErrorCode ?? 'unknown'} ${published.Entries?.[0]?.ErrorMessage ?? ''}`.trim());
  }
  const b = result.before;
  const a = result.after;
  const headline = enforcing
    ? `${failed ? 'DRIFT NOT CORRECTED' : 'Drift from the rollback corrected'}: ${config.environment} is rolled back, but ${result.trigger?.reason} changed live state`
    : `${failed ? 'ROLLBACK INCOMPLETE' : 'Rolled back'}: ${config.environment}`;
  const lines = [
    headline,
    `Trigger: ${result.trigger?.kind} ${result.trigger?.name}: ${result.trigger?.reason}`,
    `Before: ${describeWeights(b?.weights)}, latch ${describeLatchState(b?.latch)}, flags ${JSON.stringify(b?.flags)}`,
    ...(b?.unread ? [`Could not read before acting: ${b.unread.map((u) => u.replace(/: /, ' (')).join('), ')})`] : []),
    `After:  ${a ? `${describeWeights(a.weights)}, latch ${describeLatchState(a.latch)}, flags ${JSON.stringify(a.flags)}` : 'not read back'}`,
    ...result.steps.map((s) => `  ${s.step}: ${s.status} - ${s.detail}`),
    `Next: npx mcp-rollout status --environment ${config.environment}; resume with npx mcp-rollout resume --environment ${config.environment} --confirm once fixed.`,
  ];
  const subject = enforcing
    ? failed
      ? 'drift from the rollback NOT corrected'
      : 'drift from the rollback corrected'
    : failed
      ? 'rollback incomplete'
      : 'rolled back to stable';
  await call('Publish', () => clients.sns.send(new PublishCommand({ TopicArn: config.criticalTopicArn, Subject: `[mcp-rollout ${config.environment}] ${subject}`, Message: lines.join('\n') })));
}

