import {
  CreateHostedConfigurationVersionCommand,
  ListDeploymentsCommand,
  StartDeploymentCommand,
  StopDeploymentCommand,
  type AppConfigClient,
  type DeploymentSummary,
} from '@aws-sdk/client-appconfig';
import { ModifyRuleCommand, type ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import {
  flagValuesOf,
  rolledBackDocument,
  serializeFlagDocument,
  type FlagDocument,
} from '../../lib/shared/feature-flags';
import { ROLLOUT_EVENT_SOURCE } from '../../lib/shared/metrics-contract';
import {
  ROLLBACK_EVENT_TYPES,
  parseLatch,
  serializeLatch,
  type EnvironmentState,
  type RollbackResult,
  type RollbackStep,
  type RollbackStepName,
} from '../../lib/shared/rollback-contract';
import type { RollbackConfig } from './config';
import type { RollbackRequest } from './events';
import { withThrottlingRetry } from './retry';
import { describeError } from '../../lib/shared/aws-errors';
import { DEPLOYMENT_IN_PROGRESS, readFlagDeployments } from '../../lib/shared/flag-deployments';
import { readLiveWeights } from '../../lib/shared/live-weights';

export interface Clients {
  readonly elb: ElasticLoadBalancingV2Client;
  readonly appconfig: AppConfigClient;
  readonly ssm: SSMClient;
  readonly sns: SNSClient;
  readonly events: EventBridgeClient;
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
    super(`rollback of ${result.environment} incomplete: ${failed.join('; ')}`);
    this.name = 'RollbackFailed';
  }
}

/**
 * The rollback, in the order that makes the environment safe fastest:
 * traffic to stable (one ModifyRule, atomic: both weights change together), the rollback flags
 * off (immediate strategy, after stopping a deployment in progress), the latch, then a read-back
 * and a report. Each step records what it did; a failing step does not stop the later ones,
 * because each makes things safer on its own. A step already in the wanted state is left alone,
 * so a second alarm or a retried invocation changes nothing and says so.
 */
export async function performRollback(request: RollbackRequest, deps: Dependencies): Promise<RollbackResult> {
  const started = deps.now();
  const { config, log } = deps;
  const call = <T>(what: string, fn: () => Promise<T>) =>
    withThrottlingRetry(fn, {
      attempts: 5,
      baseDelayMs: 200,
      sleep: deps.sleep,
      onRetry: (error, attempt, delayMs) => log.warn('throttled, retrying', { call: what, attempt, delayMs, error: String(error) }),
    });
  const trigger =
    request.kind === 'alarm'
      ? { kind: 'alarm' as const, name: request.alarmName, reason: request.reason }
      : { kind: 'manual' as const, name: request.requestedBy, reason: request.reason };

  const before = await readState(deps, call);
  const flagsWanted = (doc: FlagDocument | undefined) => doc === undefined || config.rollbackFlags.some((f) => flagValuesOf(doc)[f]);
  const needs = {
    traffic: before.state.weights.canary !== 0,
    flags: flagsWanted(before.document),
    latch: !before.state.latch.latched,
  };
  log.info('state before rollback', { trigger, before: before.state, needs });

  if (request.dryRun) {
    const plan = (step: RollbackStepName, needed: boolean, would: string, already: string): RollbackStep => ({
      step,
      status: 'skipped',
      detail: needed ? `would ${would}` : `nothing to do: ${already}`,
    });
    return {
      outcome: 'dry_run',
      environment: config.environment,
      trigger,
      before: before.state,
      steps: [
        plan('traffic', needs.traffic, `move traffic from canary ${before.state.weights.canary} % to stable`, 'canary weight is 0'),
        plan('flags', needs.flags, `turn off ${config.rollbackFlags.join(', ')} with the immediate strategy`, 'rollback flags are off'),
        plan('latch', needs.latch, `set ${config.latchParameter}`, 'already latched'),
      ],
      durationMs: deps.now() - started,
    };
  }

  if (!needs.traffic && !needs.flags && !needs.latch) {
    log.info('already rolled back: nothing changed', { trigger });
    deps.metrics.addMetric('RollbackAlreadyDone', 'Count', 1);
    return {
      outcome: 'already_rolled_back',
      environment: config.environment,
      trigger,
      before: before.state,
      after: before.state,
      steps: [
        { step: 'traffic', status: 'unchanged', detail: 'canary weight is already 0' },
        { step: 'flags', status: 'unchanged', detail: `${config.rollbackFlags.join(', ')} already off` },
        { step: 'latch', status: 'unchanged', detail: 'already latched' },
      ],
      durationMs: deps.now() - started,
    };
  }

  const steps: RollbackStep[] = [];
  const attempt = async (step: RollbackStepName, needed: boolean, unchanged: string, act: () => Promise<string>) => {
    if (!needed) {
      steps.push({ step, status: 'unchanged', detail: unchanged });
      return;
    }
    try {
      steps.push({ step, status: 'done', detail: await act() });
    } catch (error) {
      log.error(`rollback step ${step} failed`, { error: describeError(error) });
      steps.push({ step, status: 'failed', detail: describeError(error) });
    }
  };

  // a. Traffic first: it is one API call and protects users at once.
  await attempt('traffic', needs.traffic, 'canary weight is already 0', async () => {
    await call('ModifyRule', () =>
      deps.clients.elb.send(
        new ModifyRuleCommand({
          RuleArn: config.trafficRuleArn,
          Actions: [
            {
              Type: 'forward',
              ForwardConfig: {
                TargetGroups: [
                  { TargetGroupArn: config.targetGroupArns.stable, Weight: 100 },
                  { TargetGroupArn: config.targetGroupArns.canary, Weight: 0 },
                ],
                TargetGroupStickinessConfig: { Enabled: false },
              },
            },
          ],
        }),
      ),
    );
    deps.metrics.addMetric('TimeToStableMs', 'Milliseconds', deps.now() - started);
    return `weights stable ${before.state.weights.stable} / canary ${before.state.weights.canary} -> stable 100 / canary 0`;
  });

  // b. The rollback flags off, immediately.
  let deploymentNumber: number | undefined;
  await attempt('flags', needs.flags, `${config.rollbackFlags.join(', ')} already off`, async () => {
    const source = before.document;
    if (!source) throw new Error('no flag document found to derive the rolled-back one from');
    const stopped = before.inProgress ? await stopDeployment(deps, call, before.inProgress.DeploymentNumber!) : undefined;
    const { VersionNumber } = await call('CreateHostedConfigurationVersion', () =>
      deps.clients.appconfig.send(
        new CreateHostedConfigurationVersionCommand({
          ApplicationId: config.appConfig.applicationId,
          ConfigurationProfileId: config.appConfig.profileId,
          Content: new TextEncoder().encode(serializeFlagDocument(rolledBackDocument(source, config.rollbackFlags))),
          ContentType: 'application/json',
          Description: `rollback: ${trigger.reason}`.slice(0, 1024),
        }),
      ),
    );
    deploymentNumber = await startImmediateDeployment(deps, call, String(VersionNumber), trigger.reason);
    return `hosted version ${String(VersionNumber)} with ${config.rollbackFlags.join(', ')} off, deployment ${deploymentNumber} (immediate)${stopped !== undefined ? `; stopped deployment ${stopped} first` : ''}`;
  });

  // c. The latch, with why, who and when; a latch already set keeps its first reason.
  await attempt('latch', needs.latch, 'already latched', async () => {
    const record = { state: 'latched' as const, reason: trigger.reason || trigger.name, requestedBy: trigger.name, time: new Date(deps.now()).toISOString() };
    await call('PutParameter', () =>
      deps.clients.ssm.send(new PutParameterCommand({ Name: config.latchParameter, Value: serializeLatch(record), Overwrite: true })),
    );
    return `${config.latchParameter} set by ${record.requestedBy}`;
  });

  // d. Read back and report.
  let after: EnvironmentState | undefined;
  try {
    after = (await readState(deps, call)).state;
    const ok = after.weights.canary === 0;
    steps.push({
      step: 'verify',
      status: ok ? 'done' : 'failed',
      detail: `read back: canary weight ${after.weights.canary}, latch ${after.latch.latched ? 'set' : 'clear'}, flag deployment ${after.flagDeployment ? `${after.flagDeployment.number} ${after.flagDeployment.state}` : 'none'}`,
    });
  } catch (error) {
    steps.push({ step: 'verify', status: 'failed', detail: describeError(error) });
  }

  const failed = steps.some((s) => s.status === 'failed');
  const result: RollbackResult = {
    outcome: failed ? 'failed' : 'rolled_back',
    environment: config.environment,
    trigger,
    before: before.state,
    ...(after ? { after } : {}),
    steps,
    durationMs: deps.now() - started,
  };
  try {
    await report(deps, call, result);
    steps.push({ step: 'report', status: 'done', detail: 'EventBridge event and critical notification sent' });
  } catch (error) {
    log.error('rollback report failed', { error: describeError(error) });
    steps.push({ step: 'report', status: 'failed', detail: describeError(error) });
  }
  const final: RollbackResult = { ...result, outcome: steps.some((s) => s.status === 'failed') ? 'failed' : 'rolled_back', steps, durationMs: deps.now() - started };
  deps.metrics.addMetric(final.outcome === 'failed' ? 'RollbackFailed' : 'RollbackCompleted', 'Count', 1);
  if (final.outcome === 'failed') throw new RollbackFailed(final);
  log.info('rolled back', { result: final });
  return final;
}

type Call = <T>(what: string, fn: () => Promise<T>) => Promise<T>;

interface ReadState {
  readonly state: EnvironmentState;
  readonly document?: FlagDocument;
  readonly inProgress?: DeploymentSummary;
}

/** The live weights, latch and flags (from the newest deployment AppConfig did not roll back). */
async function readState(deps: Dependencies, call: Call): Promise<ReadState> {
  const { config, clients } = deps;
  const weights = await readLiveWeights(clients.elb, config.trafficRuleArn, config.targetGroupArns, call);

  const parameter = await call('GetParameter', () => clients.ssm.send(new GetParameterCommand({ Name: config.latchParameter })));
  const latch = parseLatch(parameter.Parameter?.Value ?? '');

  const { newest, inProgress, document } = await readFlagDeployments(clients.appconfig, config.appConfig, call);
  return {
    state: {
      weights,
      latch,
      flags: document ? flagValuesOf(document) : {},
      ...(newest
        ? { flagDeployment: { number: newest.DeploymentNumber ?? 0, state: newest.State ?? 'UNKNOWN', version: newest.ConfigurationVersion ?? '' } }
        : {}),
    },
    ...(document ? { document } : {}),
    ...(inProgress ? { inProgress } : {}),
  };
}

async function stopDeployment(deps: Dependencies, call: Call, deploymentNumber: number): Promise<number> {
  const { applicationId, environmentId } = deps.config.appConfig;
  await call('StopDeployment', () =>
    deps.clients.appconfig.send(new StopDeploymentCommand({ ApplicationId: applicationId, EnvironmentId: environmentId, DeploymentNumber: deploymentNumber })),
  );
  return deploymentNumber;
}

/**
 * StartDeployment with the immediate strategy. AppConfig allows one deployment per environment:
 * if one started since we looked (ConflictException), stop it and try once more.
 */
async function startImmediateDeployment(deps: Dependencies, call: Call, version: string, reason: string): Promise<number> {
  const { applicationId, environmentId, profileId, immediateStrategyId } = deps.config.appConfig;
  const start = () =>
    call('StartDeployment', () =>
      deps.clients.appconfig.send(
        new StartDeploymentCommand({
          ApplicationId: applicationId,
          EnvironmentId: environmentId,
          ConfigurationProfileId: profileId,
          ConfigurationVersion: version,
          DeploymentStrategyId: immediateStrategyId,
          Description: `rollback: ${reason}`.slice(0, 1024),
        }),
      ),
    );
  try {
    return (await start()).DeploymentNumber ?? 0;
  } catch (error) {
    if (!(error instanceof Error) || error.name !== 'ConflictException') throw error;
    deps.log.warn('a flag deployment is in progress: stopping it', { error: describeError(error) });
    const list = await call('ListDeployments', () =>
      deps.clients.appconfig.send(new ListDeploymentsCommand({ ApplicationId: applicationId, EnvironmentId: environmentId, MaxResults: 10 })),
    );
    const running = (list.Items ?? []).find((d) => DEPLOYMENT_IN_PROGRESS.has(d.State ?? ''));
    if (running?.DeploymentNumber !== undefined) await stopDeployment(deps, call, running.DeploymentNumber);
    return (await start()).DeploymentNumber ?? 0;
  }
}

async function report(deps: Dependencies, call: Call, result: RollbackResult): Promise<void> {
  const { config, clients } = deps;
  const type = result.outcome === 'failed' ? ROLLBACK_EVENT_TYPES.failed : ROLLBACK_EVENT_TYPES.completed;
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
  const lines = [
    `${result.outcome === 'failed' ? 'ROLLBACK INCOMPLETE' : 'Rolled back'}: ${config.environment}`,
    `Trigger: ${result.trigger?.kind} ${result.trigger?.name}: ${result.trigger?.reason}`,
    `Before: stable ${b?.weights.stable} / canary ${b?.weights.canary}, latch ${b?.latch.latched ? 'set' : 'clear'}, flags ${JSON.stringify(b?.flags)}`,
    `After:  ${a ? `stable ${a.weights.stable} / canary ${a.weights.canary}, latch ${a.latch.latched ? 'set' : 'clear'}, flags ${JSON.stringify(a.flags)}` : 'not read back'}`,
    ...result.steps.map((s) => `  ${s.step}: ${s.status} - ${s.detail}`),
    `Next: npx mcp-rollout status --environment ${config.environment}; resume with npx mcp-rollout resume --environment ${config.environment} --confirm once fixed.`,
  ];
  await call('Publish', () =>
    clients.sns.send(
      new PublishCommand({
        TopicArn: config.criticalTopicArn,
        Subject: `[mcp-rollout ${config.environment}] ${result.outcome === 'failed' ? 'rollback incomplete' : 'rolled back to stable'}`,
        Message: lines.join('\n'),
      }),
    ),
  );
}
