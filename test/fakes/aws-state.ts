/**
 * A stateful fake of the AWS state the rollback function and the operator CLI touch, plugged into
 * aws-sdk-client-mock with `.callsFake`. Unlike a mock that accepts any call, it keeps state over
 * simulated time and enforces the rules AWS documents, answering with the SDK's own exception
 * classes. Each rule cites the page that states it; docs/AWS-BEHAVIOURS.md lists them with the
 * tests that cover them. Where AWS documents the error but not its message text, the message is
 * ours and says so; the code under test decides on the error's `name`, never on its message.
 *
 * What it models:
 * - AppConfig: hosted configuration versions, deployment strategies, one deployment in progress per
 *   environment, DEPLOYING -> BAKING -> COMPLETE over the strategy's duration and bake,
 *   StopDeployment, the version the targets serve, monitors, ListDeployments newest first, and the
 *   EventBridge events of the "deployment events to Amazon EventBridge" extension.
 * - ELBv2: the traffic rule's forward action (DescribeRules, ModifyRule).
 * - SSM: the latch parameter (GetParameter, PutParameter with Overwrite, versions, history).
 * - CloudFormation: the Service stack's status and parameters, UpdateStack, and a stack operation
 *   over time that resolves the latch when it starts and writes the rule's weights and the flag
 *   deployment as our template does (`serviceTemplateOutcome`, checked against the synthesized
 *   template in test/rollback-template.test.ts), with the stack status events EventBridge gets.
 * - CloudWatch alarm states and whether their actions are enabled (the AppConfig monitors, the
 *   CLI's alarm reads; DescribeAlarms, DisableAlarmActions, EnableAlarmActions), SNS Publish and
 *   EventBridge PutEvents as recorded messages.
 */
import {
  AppConfigClient,
  BadRequestException,
  ConflictException,
  CreateHostedConfigurationVersionCommand,
  GetDeploymentCommand,
  GetHostedConfigurationVersionCommand,
  ListDeploymentsCommand,
  ResourceNotFoundException,
  StartDeploymentCommand,
  StopDeploymentCommand,
  type Deployment,
  type DeploymentState,
  type DeploymentSummary,
} from '@aws-sdk/client-appconfig';
import {
  CloudFormationClient,
  CloudFormationServiceException,
  DescribeStacksCommand,
  UpdateStackCommand,
  type Stack,
  type StackStatus,
  type UpdateStackCommandInput,
} from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmsCommand, DisableAlarmActionsCommand, EnableAlarmActionsCommand, type StateValue } from '@aws-sdk/client-cloudwatch';
import {
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
  ModifyRuleCommand,
  RuleNotFoundException,
  TargetGroupNotFoundException,
  type Action,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  GetParameterCommand,
  GetParameterHistoryCommand,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { rolledBackDocument, parseFlagDocument, serializeFlagDocument, type FlagName } from '../../lib/shared/feature-flags';
import { LATCH_CLEAR } from '../../lib/shared/rollback-contract';
import { trafficWeights, type TrafficWeights } from '../../lib/shared/traffic-weights';

const MINUTE = 60_000;
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const $metadata = {};

/** AppConfig keeps a completed deployment revertible for 72 hours (StopDeployment API reference). */
const REVERT_WINDOW_MS = 72 * 60 * MINUTE;
/** Parameter Store keeps the 100 newest versions of a parameter (PutParameter API reference). */
const SSM_MAX_VERSIONS = 100;
const IN_PROGRESS: ReadonlySet<DeploymentState> = new Set(['DEPLOYING', 'BAKING', 'VALIDATING', 'ROLLING_BACK']);

// ---------------------------------------------------------------------------------------------
// AppConfig

export interface FakeStrategy {
  readonly id: string;
  readonly name: string;
  readonly durationMinutes: number;
  readonly bakeMinutes: number;
  readonly growthFactor: number;
}

interface HostedVersion {
  readonly number: number;
  readonly content: string;
  readonly description?: string;
}

interface FakeDeployment {
  readonly number: number;
  readonly profileId: string;
  readonly version: string;
  readonly strategy: FakeStrategy;
  readonly description?: string;
  readonly startedAt: number;
  /** The version the targets served when it started: where a stop or a rollback returns them. */
  readonly previousVersion?: string;
  state: DeploymentState;
  percentage: number;
  completedAt?: number;
}

export interface AppConfigEnvironment {
  readonly applicationId: string;
  readonly environmentId: string;
  readonly profileId: string;
  readonly deployments: FakeDeployment[];
  /** Alarm names AppConfig watches during deployments and bakes. */
  readonly monitors: string[];
  /** The version every target has once no deployment is in progress. */
  servedVersion?: string;
}

// ---------------------------------------------------------------------------------------------
// CloudFormation

/** What our Service template makes of its parameters: the rule's weights and the flag deployment. */
export interface TemplateOutcome {
  readonly weights: TrafficWeights;
  readonly flagContent: string;
  readonly flagStrategyId: string;
}

export interface ServiceTemplateModel {
  /** The document the config asks for (flags.initialValues), serialized. */
  readonly configuredDocument: string;
  readonly rollbackFlags: readonly FlagName[];
  readonly gradualStrategyId: string;
  readonly immediateStrategyId: string;
}

/**
 * The Service template's outcome for a canary percent and the latch value CloudFormation resolved
 * (lib/stacks/deploy-parameters.ts, lib/stacks/service-stack.ts, lib/constructs/feature-flags.ts).
 * While latched: stable 100 / canary 0, the rollback flags off, deployed with the immediate
 * strategy; otherwise the percent's weights and the configured flags with the gradual strategy.
 */
export function serviceTemplateOutcome(model: ServiceTemplateModel, canaryTraffic: number, resolvedLatch: string): TemplateOutcome {
  const latched = resolvedLatch !== LATCH_CLEAR;
  return {
    weights: trafficWeights(latched ? 0 : canaryTraffic),
    flagContent: latched ? serializeFlagDocument(rolledBackDocument(parseFlagDocument(model.configuredDocument), model.rollbackFlags)) : model.configuredDocument,
    flagStrategyId: latched ? model.immediateStrategyId : model.gradualStrategyId,
  };
}

export interface StackTimings {
  /** How long ECS takes to make a changed service steady (the traffic rule waits for both). */
  readonly serviceUpdateMs: number;
  /**
   * Whether the AWS::AppConfig::Deployment resource waits for its deployment to end. Its resource
   * schema gives the create handler 1445 minutes (a day plus a bake), which says it waits; the
   * design must hold either way, so the tests run both.
   */
  readonly waitsForFlagDeployment: boolean;
}

interface DeployedStack {
  parameters: Record<string, string>;
  resolvedLatch: string;
  outcome: TemplateOutcome;
  /** The AppConfig deployment the stack's AWS::AppConfig::Deployment resource started. */
  flagDeploymentNumber?: number;
}

type StepName = 'flags' | 'services' | 'weights';

export interface StackOperation {
  readonly startedAt: number;
  readonly resolvedLatch: string;
  readonly target: TemplateOutcome;
  readonly parameters: Record<string, string>;
  readonly done: Set<StepName>;
  readonly servicesReadyAt: number;
  flagDeploymentNumber?: number;
  failure?: string;
  finished: boolean;
}

export interface FakeStack {
  readonly name: string;
  readonly id: string;
  status: StackStatus;
  deployed: DeployedStack;
  operation?: StackOperation;
  readonly outputs: Readonly<Record<string, string>>;
  readonly latchParameterName: string;
  readonly model: ServiceTemplateModel;
  readonly timings: StackTimings;
}

// ---------------------------------------------------------------------------------------------
// SSM

interface ParameterVersion {
  readonly value: string;
  readonly version: number;
  readonly at: number;
  readonly by: string;
}

// ---------------------------------------------------------------------------------------------
// EventBridge events that AWS services send (what our rules match and the function receives).

export interface AwsEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: Record<string, unknown>;
}

export interface FakeOptions {
  readonly startTime?: number;
  /** The AppConfig "deployment events to Amazon EventBridge" extension is associated. */
  readonly appConfigEventBridgeExtension?: boolean;
}

/** Throws a CloudFormation ValidationError, an error the SDK does not model as its own class. */
function cfnValidationError(message: string): never {
  throw new CloudFormationServiceException({ name: 'ValidationError', $fault: 'client', message, $metadata });
}

export class AwsState {
  private time: number;
  private eventCounter = 0;
  private readonly extension: boolean;

  readonly strategies = new Map<string, FakeStrategy>();
  readonly hostedVersions = new Map<string, HostedVersion[]>();
  readonly environments = new Map<string, AppConfigEnvironment>();
  readonly rules = new Map<string, { actions: Action[]; targetGroups: Set<string> }>();
  readonly parameters = new Map<string, ParameterVersion[]>();
  readonly alarms = new Map<string, StateValue>();
  /** Alarms that are composite alarms (the AppConfig monitor); the others are metric alarms. */
  readonly compositeAlarms = new Set<string>();
  /** Alarms whose actions DisableAlarmActions turned off. */
  readonly actionsDisabled = new Set<string>();
  readonly stacks = new Map<string, FakeStack>();
  /** SNS messages published, in order. */
  readonly published: { topicArn: string; subject?: string; message: string; at: number }[] = [];
  /** Events our code put on a bus, in order. */
  readonly putEvents: { source: string; detailType: string; detail: unknown; bus: string; at: number }[] = [];
  /** Events AWS services sent to the default bus, in order (CloudFormation, AppConfig). */
  readonly awsEvents: AwsEvent[] = [];
  /** Every write of a rule's forward action, in order: who wrote which weights when. */
  readonly ruleWrites: { ruleArn: string; weights: number[]; by: 'api' | 'cloudformation'; at: number }[] = [];
  /** Every call our code made, in order, as [client, command, input]. */
  readonly calls: [string, string, unknown][] = [];
  /** Runs before a command is answered: lets a test interleave another actor at an exact point. */
  private readonly hooks: { command: string; once: boolean; run: () => void | Promise<void> }[] = [];

  constructor(options: FakeOptions = {}) {
    this.time = options.startTime ?? Date.parse('2026-11-24T10:00:00.000Z');
    this.extension = options.appConfigEventBridgeExtension ?? true;
  }

  now(): number {
    return this.time;
  }

  /** Moves simulated time on, running AppConfig deployments and stack operations as it goes. */
  advance(ms: number): void {
    const end = this.time + ms;
    // In steps of at most a second, so a state change lands within a second of when it is due.
    while (this.time < end) {
      this.time = Math.min(end, this.time + 1000);
      this.tick();
    }
    if (ms === 0) this.tick();
  }

  /** Advances until `done` holds, in steps of `stepMs`, at most `limitMs`. */
  advanceUntil(done: () => boolean, limitMs = 24 * 60 * MINUTE, stepMs = 1000): void {
    const start = this.time;
    while (!done()) {
      if (this.time - start >= limitMs) throw new Error(`fake: condition not reached within ${limitMs} ms`);
      this.advance(stepMs);
    }
  }

  /** Runs `run` just before the next `command` (or every one) is answered. */
  before(command: string, run: () => void | Promise<void>, once = true): void {
    this.hooks.push({ command, once, run });
  }

  private tick(): void {
    for (const env of this.environments.values()) this.progressDeployments(env);
    for (const stack of this.stacks.values()) this.progressStack(stack);
  }

  // -------------------------------------------------------------------------------------------
  // Seeding

  addStrategy(strategy: FakeStrategy): void {
    this.strategies.set(strategy.id, strategy);
  }

  addEnvironment(env: Omit<AppConfigEnvironment, 'deployments' | 'monitors' | 'servedVersion'> & { monitors?: string[] }): AppConfigEnvironment {
    const created: AppConfigEnvironment = { ...env, deployments: [], monitors: env.monitors ?? [] };
    this.environments.set(env.environmentId, created);
    if (!this.hostedVersions.has(env.profileId)) this.hostedVersions.set(env.profileId, []);
    return created;
  }

  addRule(ruleArn: string, targetGroups: readonly string[], weights: readonly number[]): void {
    this.rules.set(ruleArn, {
      targetGroups: new Set(targetGroups),
      actions: [{ Type: 'forward', Order: 1, ForwardConfig: { TargetGroups: targetGroups.map((arn, i) => ({ TargetGroupArn: arn, Weight: weights[i] ?? 0 })), TargetGroupStickinessConfig: { Enabled: false } } }],
    });
  }

  setAlarm(name: string, state: StateValue): void {
    this.alarms.set(name, state);
  }

  addCompositeAlarm(name: string, state: StateValue): void {
    this.compositeAlarms.add(name);
    this.alarms.set(name, state);
  }

  alarmActionsEnabled(name: string): boolean {
    return !this.actionsDisabled.has(name);
  }

  /**
   * DisableAlarmActions and EnableAlarmActions: "When an alarm's actions are disabled, the alarm
   * actions do not execute when the alarm state changes"; the state itself goes on changing
   * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DisableAlarmActions.html).
   * The API documents no error for a name it does not know (only the common errors): ignored.
   */
  setAlarmActions(names: readonly string[], enabled: boolean): void {
    for (const name of names) {
      if (!this.alarms.has(name)) continue;
      if (enabled) this.actionsDisabled.delete(name);
      else this.actionsDisabled.add(name);
    }
  }

  // -------------------------------------------------------------------------------------------
  // AppConfig

  private environment(applicationId: string | undefined, environmentId: string | undefined): AppConfigEnvironment {
    const env = this.environments.get(environmentId ?? '');
    if (!env || env.applicationId !== applicationId) {
      // ResourceNotFoundException: "The requested resource could not be found." (AppConfig Common Errors)
      throw new ResourceNotFoundException({ message: `Environment ${environmentId} of application ${applicationId} not found`, $metadata });
    }
    return env;
  }

  createHostedVersion(profileId: string, content: string, description?: string): number {
    const versions = this.hostedVersions.get(profileId);
    if (!versions) throw new ResourceNotFoundException({ message: `Configuration profile ${profileId} not found`, $metadata });
    const number = (versions.at(-1)?.number ?? 0) + 1;
    versions.push({ number, content, ...(description !== undefined ? { description } : {}) });
    return number;
  }

  hostedVersion(profileId: string, number: number): HostedVersion {
    const found = this.hostedVersions.get(profileId)?.find((v) => v.number === number);
    if (!found) throw new ResourceNotFoundException({ message: `Hosted configuration version ${number} of profile ${profileId} not found`, $metadata });
    return found;
  }

  /**
   * StartDeployment. "ConflictException: The request could not be processed because of conflict in
   * the current state of the resource" while another deployment of the environment is in progress
   * (StartDeployment API reference; the user guide: one deployment per environment at a time).
   */
  startDeployment(environmentId: string, applicationId: string, profileId: string, version: string, strategyId: string, description?: string): FakeDeployment {
    const env = this.environment(applicationId, environmentId);
    const running = env.deployments.find((d) => IN_PROGRESS.has(d.state));
    if (running) {
      // The message text is ours: AWS documents the exception, not its wording.
      throw new ConflictException({ Message: `Deployment number ${running.number} is ${running.state} in environment ${environmentId}`, message: `Deployment number ${running.number} is ${running.state} in environment ${environmentId}`, $metadata });
    }
    const strategy = this.strategies.get(strategyId);
    if (!strategy) throw new ResourceNotFoundException({ message: `Deployment strategy ${strategyId} not found`, $metadata });
    this.hostedVersion(profileId, Number(version));
    const deployment: FakeDeployment = {
      number: (env.deployments.at(-1)?.number ?? 0) + 1,
      profileId,
      version,
      strategy,
      ...(description !== undefined ? { description } : {}),
      startedAt: this.time,
      ...(env.servedVersion !== undefined ? { previousVersion: env.servedVersion } : {}),
      state: 'DEPLOYING',
      percentage: 0,
    };
    env.deployments.push(deployment);
    this.emitAppConfig(env, deployment, 'On Deployment Start', 'OnDeploymentStart');
    return deployment;
  }

  /**
   * StopDeployment: "works only on deployments that have a status of DEPLOYING, unless an
   * AllowRevert parameter is supplied. If the AllowRevert parameter is supplied, the status of an
   * in-progress deployment will be ROLLED_BACK. The status of a completed deployment will be
   * REVERTED. AWS AppConfig only allows a revert within 72 hours of deployment completion."
   * (https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_StopDeployment.html).
   * Either way the targets return to the previous version
   * (https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-deploying-reverting.html).
   */
  stopDeployment(applicationId: string, environmentId: string, number: number, allowRevert: boolean): FakeDeployment {
    const env = this.environment(applicationId, environmentId);
    const d = env.deployments.find((x) => x.number === number);
    if (!d) throw new ResourceNotFoundException({ message: `Deployment number ${number} not found`, $metadata });
    // BadRequestException texts below are ours; AWS documents the exception for these cases.
    const refuse = (why: string): never => {
      throw new BadRequestException({ Message: why, message: why, $metadata });
    };
    if (d.state === 'DEPLOYING' || ((d.state === 'BAKING' || d.state === 'VALIDATING') && allowRevert)) {
      this.endDeployment(env, d, 'ROLLED_BACK');
    } else if (d.state === 'BAKING' || d.state === 'VALIDATING') {
      refuse(`Deployment number ${number} is ${d.state}: only a DEPLOYING deployment can be stopped without AllowRevert`);
    } else if (d.state === 'COMPLETE') {
      if (!allowRevert) refuse(`Deployment number ${number} is COMPLETE: it can only be reverted, with AllowRevert`);
      if (this.time - (d.completedAt ?? 0) > REVERT_WINDOW_MS) refuse(`Deployment number ${number} completed more than 72 hours ago and can no longer be reverted`);
      this.endDeployment(env, d, 'REVERTED');
    } else {
      refuse(`Deployment number ${number} is ${d.state} and cannot be stopped`);
    }
    return d;
  }

  private endDeployment(env: AppConfigEnvironment, d: FakeDeployment, state: 'COMPLETE' | 'ROLLED_BACK' | 'REVERTED'): void {
    d.state = state;
    d.completedAt = this.time;
    if (state === 'COMPLETE') {
      d.percentage = 100;
      env.servedVersion = d.version;
      this.emitAppConfig(env, d, 'On Deployment Complete', 'OnDeploymentComplete');
    } else {
      if (d.previousVersion === undefined) delete env.servedVersion;
      else env.servedVersion = d.previousVersion;
      this.emitAppConfig(env, d, 'On Deployment Rollback', 'OnDeploymentRolledBack');
    }
  }

  /**
   * Linear steps over the strategy's duration, then the bake, then COMPLETE. "If one or more
   * CloudWatch alarms go into the ALARM or INSUFFICIENT_DATA state during a deployment, AWS
   * AppConfig automatically rolls back", and "a deployment doesn't automatically roll back if
   * actions have been disabled in an associated CloudWatch alarm"
   * (https://docs.aws.amazon.com/appconfig/latest/userguide/monitoring-deployments.html). The page
   * documents no exemption for a deployment with no duration and no bake: the immediate strategy's
   * deployment rolls back too while a monitor with actions enabled is in either state (it is
   * checked before the deployment completes, at the first tick).
   */
  private progressDeployments(env: AppConfigEnvironment): void {
    for (const d of env.deployments) {
      if (d.state !== 'DEPLOYING' && d.state !== 'BAKING') continue;
      const durationMs = d.strategy.durationMinutes * MINUTE;
      const bakeMs = d.strategy.bakeMinutes * MINUTE;
      const elapsed = this.time - d.startedAt;
      const firing = (a: string) => this.alarms.get(a) === 'ALARM' || this.alarms.get(a) === 'INSUFFICIENT_DATA';
      if (env.monitors.some((a) => firing(a) && this.alarmActionsEnabled(a))) {
        this.endDeployment(env, d, 'ROLLED_BACK');
        continue;
      }
      if (durationMs + bakeMs === 0) {
        this.endDeployment(env, d, 'COMPLETE');
        continue;
      }
      if (elapsed >= durationMs + bakeMs) {
        this.endDeployment(env, d, 'COMPLETE');
      } else if (elapsed >= durationMs) {
        d.state = 'BAKING';
        d.percentage = 100;
      } else {
        const steps = Math.ceil(100 / d.strategy.growthFactor);
        const step = Math.floor((elapsed / durationMs) * steps) + 1;
        d.percentage = Math.min(100, step * d.strategy.growthFactor);
      }
    }
  }

  /** The version a target gets from its agent now (a gradual deployment reaches some of them). */
  servedVersion(environmentId: string): string | undefined {
    return this.environments.get(environmentId)?.servedVersion;
  }

  /** The flag document every target ends up with when no deployment is in progress. */
  servedDocument(environmentId: string): string | undefined {
    const env = this.environments.get(environmentId);
    if (!env?.servedVersion) return undefined;
    return this.hostedVersion(env.profileId, Number(env.servedVersion)).content;
  }

  deploymentsOf(environmentId: string): readonly FakeDeployment[] {
    return this.environments.get(environmentId)?.deployments ?? [];
  }

  private summary(d: FakeDeployment): DeploymentSummary {
    return {
      DeploymentNumber: d.number,
      ConfigurationName: 'feature-flags',
      ConfigurationVersion: d.version,
      DeploymentDurationInMinutes: d.strategy.durationMinutes,
      FinalBakeTimeInMinutes: d.strategy.bakeMinutes,
      GrowthFactor: d.strategy.growthFactor,
      GrowthType: 'LINEAR',
      State: d.state,
      PercentageComplete: d.percentage,
      StartedAt: new Date(d.startedAt),
      ...(d.completedAt !== undefined ? { CompletedAt: new Date(d.completedAt) } : {}),
    };
  }

  private full(env: AppConfigEnvironment, d: FakeDeployment): Deployment {
    return {
      ...this.summary(d),
      ApplicationId: env.applicationId,
      EnvironmentId: env.environmentId,
      ConfigurationProfileId: d.profileId,
      DeploymentStrategyId: d.strategy.id,
      ...(d.description !== undefined ? { Description: d.description } : {}),
    };
  }

  /** The AppConfig extension's event (the user guide's sample), when the extension is associated. */
  private emitAppConfig(env: AppConfigEnvironment, d: FakeDeployment, detailType: string, type: string): void {
    if (!this.extension) return;
    this.awsEvents.push({
      version: '0',
      id: `evt-${++this.eventCounter}`,
      'detail-type': detailType,
      source: 'aws.appconfig',
      account: ACCOUNT,
      time: new Date(this.time).toISOString(),
      region: REGION,
      resources: [`arn:aws:appconfig:${REGION}:${ACCOUNT}:extensionassociation/ext1234`],
      detail: {
        InvocationId: `inv${this.eventCounter}`,
        Parameters: {},
        Type: type,
        Application: { Id: env.applicationId, Name: 'mcp-rollout' },
        Environment: { Id: env.environmentId, Name: 'env' },
        ConfigurationProfile: { Id: d.profileId, Name: 'feature-flags' },
        DeploymentNumber: d.number,
        ConfigurationVersion: d.version,
      },
    });
  }

  // -------------------------------------------------------------------------------------------
  // ELBv2

  /**
   * ModifyRule "replaces the specified properties of the specified rule": the actions list is
   * replaced whole (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_ModifyRule.html).
   * A weight is 0 to 999 (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetGroupTuple.html).
   */
  modifyRule(ruleArn: string, actions: Action[] | undefined, by: 'api' | 'cloudformation' = 'api'): void {
    const rule = this.rules.get(ruleArn);
    if (!rule) throw new RuleNotFoundException({ message: 'One or more rules not found', $metadata });
    if (!actions) return;
    for (const action of actions) {
      for (const tg of action.ForwardConfig?.TargetGroups ?? []) {
        if (!rule.targetGroups.has(tg.TargetGroupArn ?? '')) throw new TargetGroupNotFoundException({ message: `Target group '${tg.TargetGroupArn}' not found`, $metadata });
        const weight = tg.Weight ?? 1;
        if (!Number.isInteger(weight) || weight < 0 || weight > 999) throw new Error(`fake: weight ${weight} outside 0 to 999`);
      }
    }
    rule.actions = structuredClone(actions);
    const weights = actions.find((a) => a.Type === 'forward')?.ForwardConfig?.TargetGroups?.map((g) => g.Weight ?? 1) ?? [];
    this.ruleWrites.push({ ruleArn, weights, by, at: this.time });
  }

  weights(ruleArn: string, stableArn: string, canaryArn: string): TrafficWeights {
    const groups = this.rules.get(ruleArn)?.actions.find((a) => a.Type === 'forward')?.ForwardConfig?.TargetGroups ?? [];
    const weightOf = (arn: string) => groups.find((g) => g.TargetGroupArn === arn)?.Weight ?? 0;
    return { stable: weightOf(stableArn), canary: weightOf(canaryArn) };
  }

  private setWeights(ruleArn: string, weights: TrafficWeights, stableArn: string, canaryArn: string): void {
    this.modifyRule(
      ruleArn,
      [{ Type: 'forward', Order: 1, ForwardConfig: { TargetGroups: [{ TargetGroupArn: stableArn, Weight: weights.stable }, { TargetGroupArn: canaryArn, Weight: weights.canary }] } }],
      'cloudformation',
    );
  }

  // -------------------------------------------------------------------------------------------
  // SSM

  /**
   * PutParameter: Overwrite defaults to false, and an existing parameter then answers
   * ParameterAlreadyExists; each write is a new version, and Parameter Store keeps the 100 newest
   * (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html).
   */
  putParameter(name: string, value: string, overwrite: boolean, by = 'arn:aws:sts::123456789012:assumed-role/caller/session'): number {
    const history = this.parameters.get(name);
    if (history && !overwrite) throw new ParameterAlreadyExists({ message: 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.', $metadata });
    const list = history ?? [];
    const version = (list.at(-1)?.version ?? 0) + 1;
    list.push({ value, version, at: this.time, by });
    if (list.length > SSM_MAX_VERSIONS) list.shift();
    this.parameters.set(name, list);
    return version;
  }

  parameter(name: string): ParameterVersion {
    const latest = this.parameters.get(name)?.at(-1);
    if (!latest) throw new ParameterNotFound({ message: '', $metadata });
    return latest;
  }

  // -------------------------------------------------------------------------------------------
  // CloudFormation

  addServiceStack(stack: {
    name: string;
    parameters: Record<string, string>;
    outputs: Record<string, string>;
    latchParameterName: string;
    model: ServiceTemplateModel;
    timings?: Partial<StackTimings>;
    /** The rule, target groups and AppConfig environment the stack's resources are. */
    resources: { ruleArn: string; stableArn: string; canaryArn: string; applicationId: string; environmentId: string; profileId: string };
  }): FakeStack {
    const resolvedLatch = this.parameter(stack.latchParameterName).value;
    const outcome = serviceTemplateOutcome(stack.model, Number(stack.parameters.CanaryTraffic ?? '0'), resolvedLatch);
    const created: FakeStack = {
      name: stack.name,
      id: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${stack.name}/0b3c9a40-aa11-11ef-8f4e-0a1b2c3d4e5f`,
      status: 'CREATE_COMPLETE',
      deployed: { parameters: { ...stack.parameters }, resolvedLatch, outcome },
      outputs: stack.outputs,
      latchParameterName: stack.latchParameterName,
      model: stack.model,
      timings: { serviceUpdateMs: 5 * MINUTE, waitsForFlagDeployment: true, ...stack.timings },
    };
    this.stackResources.set(stack.name, stack.resources);
    this.stacks.set(stack.name, created);
    // The stack as created: its weights and its flag deployment, complete.
    const r = stack.resources;
    this.setWeights(r.ruleArn, outcome.weights, r.stableArn, r.canaryArn);
    const version = this.createHostedVersion(r.profileId, outcome.flagContent);
    const d = this.startDeployment(r.environmentId, r.applicationId, r.profileId, String(version), outcome.flagStrategyId);
    this.endDeployment(this.environments.get(r.environmentId)!, d, 'COMPLETE');
    created.deployed.flagDeploymentNumber = d.number;
    return created;
  }

  private readonly stackResources = new Map<string, { ruleArn: string; stableArn: string; canaryArn: string; applicationId: string; environmentId: string; profileId: string }>();

  stack(name: string): FakeStack {
    const stack = this.stacks.get(name);
    if (!stack) cfnValidationError(`Stack with id ${name} does not exist`);
    return stack;
  }

  /**
   * A stack update, as CloudFormation runs one: SSM-typed parameters are resolved when the
   * operation starts and not again (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html#aws-ssm-parameter-types);
   * resources update in dependency order, so the traffic rule (DependsOn both services) is written
   * once the services are steady; the flag deployment is a new AWS::AppConfig::Deployment whenever
   * its version or strategy changes (every property of that resource needs replacement); a failed
   * resource rolls the update back. Refused while another operation runs
   * (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_UpdateStack.html).
   */
  beginStackUpdate(name: string, changes: Record<string, string>): StackOperation {
    const stack = this.stack(name);
    if (/_IN_PROGRESS$/.test(stack.status)) cfnValidationError(`Stack:${stack.id} is in ${stack.status} state and can not be updated.`);
    const parameters = { ...stack.deployed.parameters, ...changes };
    const resolvedLatch = this.parameter(stack.latchParameterName).value;
    const target = serviceTemplateOutcome(stack.model, Number(parameters.CanaryTraffic ?? '0'), resolvedLatch);
    const imagesChange = ['StableImageTag', 'CanaryImageTag'].some((k) => parameters[k] !== stack.deployed.parameters[k]);
    const same =
      JSON.stringify(parameters) === JSON.stringify(stack.deployed.parameters) && resolvedLatch === stack.deployed.resolvedLatch;
    if (same) cfnValidationError('No updates are to be performed.');
    const op: StackOperation = {
      startedAt: this.time,
      resolvedLatch,
      target,
      parameters,
      done: new Set(),
      servicesReadyAt: this.time + (imagesChange ? stack.timings.serviceUpdateMs : 0),
      finished: false,
    };
    stack.operation = op;
    this.setStackStatus(stack, 'UPDATE_IN_PROGRESS');
    // The flag resources do not wait for the services: they start at once.
    this.startStackFlags(stack, op);
    return op;
  }

  private startStackFlags(stack: FakeStack, op: StackOperation): void {
    const r = this.stackResources.get(stack.name)!;
    const deployed = stack.deployed.outcome;
    if (op.target.flagContent === deployed.flagContent && op.target.flagStrategyId === deployed.flagStrategyId) {
      op.done.add('flags');
      return;
    }
    // A changed document is a new AWS::AppConfig::HostedConfigurationVersion; its number (or a
    // changed strategy) replaces the AWS::AppConfig::Deployment, which calls StartDeployment.
    const version = op.target.flagContent === deployed.flagContent ? this.latestVersionWith(r.profileId, deployed.flagContent) : this.createHostedVersion(r.profileId, op.target.flagContent);
    try {
      const d = this.startDeployment(r.environmentId, r.applicationId, r.profileId, String(version), op.target.flagStrategyId);
      op.flagDeploymentNumber = d.number;
      if (!stack.timings.waitsForFlagDeployment) op.done.add('flags');
    } catch (error) {
      op.failure = `Resource handler returned message: "${(error as Error).name}: ${(error as Error).message}" (AWS::AppConfig::Deployment)`;
    }
  }

  private latestVersionWith(profileId: string, content: string): number {
    return [...(this.hostedVersions.get(profileId) ?? [])].reverse().find((v) => v.content === content)!.number;
  }

  private progressStack(stack: FakeStack): void {
    const op = stack.operation;
    if (!op || op.finished) return;
    const r = this.stackResources.get(stack.name)!;
    if (!op.failure && !op.done.has('flags') && op.flagDeploymentNumber !== undefined) {
      const d = this.environments.get(r.environmentId)!.deployments.find((x) => x.number === op.flagDeploymentNumber)!;
      if (d.state === 'COMPLETE') op.done.add('flags');
      else if (d.state === 'ROLLED_BACK' || d.state === 'REVERTED') op.failure = `Deployment ${d.number} ended ${d.state} (AWS::AppConfig::Deployment)`;
    }
    if (!op.failure && !op.done.has('services') && this.time >= op.servicesReadyAt) op.done.add('services');
    if (!op.failure && op.done.has('services') && !op.done.has('weights')) {
      this.setWeights(r.ruleArn, op.target.weights, r.stableArn, r.canaryArn);
      op.done.add('weights');
    }
    if (op.failure) {
      // Rollback: resources that changed go back to the previous template's values.
      this.setStackStatus(stack, 'UPDATE_ROLLBACK_IN_PROGRESS', op.failure);
      if (op.done.has('weights')) this.setWeights(r.ruleArn, stack.deployed.outcome.weights, r.stableArn, r.canaryArn);
      this.setStackStatus(stack, 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
      this.setStackStatus(stack, 'UPDATE_ROLLBACK_COMPLETE');
      op.finished = true;
      return;
    }
    if (op.done.has('flags') && op.done.has('weights')) {
      stack.deployed = {
        parameters: op.parameters,
        resolvedLatch: op.resolvedLatch,
        outcome: op.target,
        ...(op.flagDeploymentNumber !== undefined ? { flagDeploymentNumber: op.flagDeploymentNumber } : stack.deployed.flagDeploymentNumber !== undefined ? { flagDeploymentNumber: stack.deployed.flagDeploymentNumber } : {}),
      };
      this.setStackStatus(stack, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
      this.setStackStatus(stack, 'UPDATE_COMPLETE');
      op.finished = true;
    }
  }

  /** Sets the status and sends the "CloudFormation Stack Status Change" event (CloudFormation events detail reference). */
  private setStackStatus(stack: FakeStack, status: StackStatus, reason = ''): void {
    stack.status = status;
    this.awsEvents.push({
      version: '0',
      id: `evt-${++this.eventCounter}`,
      'detail-type': 'CloudFormation Stack Status Change',
      source: 'aws.cloudformation',
      account: ACCOUNT,
      time: new Date(this.time).toISOString(),
      region: REGION,
      resources: [stack.id],
      detail: { 'stack-id': stack.id, 'status-details': { status, 'status-reason': reason }, 'client-request-token': '' },
    });
  }

  /** Runs a whole stack update to its end, as `cdk deploy` waits for it; returns the final status. */
  runStackUpdate(name: string, changes: Record<string, string>): StackStatus {
    const op = this.beginStackUpdate(name, changes);
    this.advanceUntil(() => op.finished);
    return this.stack(name).status;
  }

  private describeStack(stack: FakeStack): Stack {
    const p = stack.deployed.parameters;
    const resolved = stack.operation && !stack.operation.finished ? stack.operation.resolvedLatch : stack.deployed.resolvedLatch;
    return {
      StackName: stack.name,
      StackId: stack.id,
      StackStatus: stack.status,
      CreationTime: new Date('2026-11-01T09:00:00Z'),
      LastUpdatedTime: new Date(this.time),
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
      RoleARN: `arn:aws:iam::${ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-${REGION}`,
      Parameters: [
        ...Object.entries(p).map(([k, v]) => ({ ParameterKey: k, ParameterValue: v })),
        { ParameterKey: 'RollbackLatch', ParameterValue: stack.latchParameterName, ResolvedValue: resolved },
      ],
      Outputs: Object.entries(stack.outputs).map(([k, v]) => ({ OutputKey: k, OutputValue: v })),
    };
  }

  private updateStack(input: UpdateStackCommandInput): { StackId: string } {
    const stack = this.stack(input.StackName ?? '');
    if (!input.UsePreviousTemplate) throw new Error('fake: only UsePreviousTemplate updates are modelled (cdk deploy goes through runStackUpdate)');
    const changes: Record<string, string> = {};
    for (const p of input.Parameters ?? []) {
      if (p.ParameterKey === 'RollbackLatch' || p.ParameterKey === 'BootstrapVersion') continue;
      if (p.UsePreviousValue) continue;
      changes[p.ParameterKey ?? ''] = p.ParameterValue ?? '';
    }
    this.beginStackUpdate(stack.name, changes);
    return { StackId: stack.id };
  }

  // -------------------------------------------------------------------------------------------
  // Plugging into aws-sdk-client-mock

  /**
   * Answers every command our code sends from this state. Pass the stubs a test file already made
   * (aws-sdk-client-mock stubs a client class once), or let it make them.
   */
  install(stubs: Partial<FakeStubs> = {}): FakeStubs {
    const s: FakeStubs = {
      appconfig: stubs.appconfig ?? mockClient(AppConfigClient),
      elb: stubs.elb ?? mockClient(ElasticLoadBalancingV2Client),
      ssm: stubs.ssm ?? mockClient(SSMClient),
      sns: stubs.sns ?? mockClient(SNSClient),
      events: stubs.events ?? mockClient(EventBridgeClient),
      cloudformation: stubs.cloudformation ?? mockClient(CloudFormationClient),
      cloudwatch: stubs.cloudwatch ?? mockClient(CloudWatchClient),
    };
    const on = <I, O>(client: keyof FakeStubs, stub: Stub, command: { name: string }, answer: (input: I) => O) => {
      stub.on(command as never).callsFake(async (input: I) => {
        this.calls.push([client, command.name, input]);
        for (const hook of [...this.hooks]) {
          if (hook.command !== command.name) continue;
          if (hook.once) this.hooks.splice(this.hooks.indexOf(hook), 1);
          await hook.run();
        }
        return answer(input);
      });
    };
    type In<C> = C extends { new (...args: infer A): unknown } ? NonNullable<A[0]> : never;

    on<In<typeof ListDeploymentsCommand>, unknown>('appconfig', s.appconfig, ListDeploymentsCommand, (input) => {
      const env = this.environment(input.ApplicationId, input.EnvironmentId);
      const newestFirst = [...env.deployments].reverse();
      const start = Number(input.NextToken ?? '0');
      const size = input.MaxResults ?? 50;
      const page = newestFirst.slice(start, start + size);
      return { Items: page.map((d) => this.summary(d)), ...(start + size < newestFirst.length ? { NextToken: String(start + size) } : {}) };
    });
    on<In<typeof GetDeploymentCommand>, unknown>('appconfig', s.appconfig, GetDeploymentCommand, (input) => {
      const env = this.environment(input.ApplicationId, input.EnvironmentId);
      const d = env.deployments.find((x) => x.number === input.DeploymentNumber);
      if (!d) throw new ResourceNotFoundException({ message: `Deployment number ${input.DeploymentNumber} not found`, $metadata });
      return this.full(env, d);
    });
    on<In<typeof StartDeploymentCommand>, unknown>('appconfig', s.appconfig, StartDeploymentCommand, (input) => {
      const d = this.startDeployment(input.EnvironmentId ?? '', input.ApplicationId ?? '', input.ConfigurationProfileId ?? '', input.ConfigurationVersion ?? '', input.DeploymentStrategyId ?? '', input.Description);
      return this.full(this.environments.get(input.EnvironmentId ?? '')!, d);
    });
    on<In<typeof StopDeploymentCommand>, unknown>('appconfig', s.appconfig, StopDeploymentCommand, (input) => {
      const d = this.stopDeployment(input.ApplicationId ?? '', input.EnvironmentId ?? '', input.DeploymentNumber ?? -1, input.AllowRevert === true);
      return this.full(this.environments.get(input.EnvironmentId ?? '')!, d);
    });
    on<In<typeof CreateHostedConfigurationVersionCommand>, unknown>('appconfig', s.appconfig, CreateHostedConfigurationVersionCommand, (input) => {
      const content = typeof input.Content === 'string' ? input.Content : new TextDecoder().decode(input.Content as Uint8Array);
      const number = this.createHostedVersion(input.ConfigurationProfileId ?? '', content, input.Description);
      return { ApplicationId: input.ApplicationId, ConfigurationProfileId: input.ConfigurationProfileId, VersionNumber: number, ContentType: input.ContentType };
    });
    on<In<typeof GetHostedConfigurationVersionCommand>, unknown>('appconfig', s.appconfig, GetHostedConfigurationVersionCommand, (input) => {
      const v = this.hostedVersion(input.ConfigurationProfileId ?? '', input.VersionNumber ?? -1);
      return { VersionNumber: v.number, Content: new TextEncoder().encode(v.content), ContentType: 'application/json', Description: v.description };
    });

    on<In<typeof DescribeRulesCommand>, unknown>('elb', s.elb, DescribeRulesCommand, (input) => {
      const arns = input.RuleArns ?? [];
      return {
        Rules: arns.map((arn) => {
          const rule = this.rules.get(arn);
          if (!rule) throw new RuleNotFoundException({ message: 'One or more rules not found', $metadata });
          return { RuleArn: arn, Priority: '1', Actions: structuredClone(rule.actions), Conditions: [], IsDefault: false };
        }),
      };
    });
    on<In<typeof ModifyRuleCommand>, unknown>('elb', s.elb, ModifyRuleCommand, (input) => {
      this.modifyRule(input.RuleArn ?? '', input.Actions);
      return { Rules: [{ RuleArn: input.RuleArn, Actions: structuredClone(this.rules.get(input.RuleArn ?? '')!.actions) }] };
    });

    on<In<typeof GetParameterCommand>, unknown>('ssm', s.ssm, GetParameterCommand, (input) => {
      const p = this.parameter(input.Name ?? '');
      return { Parameter: { Name: input.Name, Type: 'String', Value: p.value, Version: p.version, LastModifiedDate: new Date(p.at), DataType: 'text' } };
    });
    on<In<typeof PutParameterCommand>, unknown>('ssm', s.ssm, PutParameterCommand, (input) => ({
      Version: this.putParameter(input.Name ?? '', input.Value ?? '', input.Overwrite === true),
      Tier: 'Standard',
    }));
    on<In<typeof GetParameterHistoryCommand>, unknown>('ssm', s.ssm, GetParameterHistoryCommand, (input) => {
      // Oldest first, paged (GetParameterHistory API reference).
      const all = this.parameters.get(input.Name ?? '');
      if (!all) throw new ParameterNotFound({ message: '', $metadata });
      const start = Number(input.NextToken ?? '0');
      const size = input.MaxResults ?? 50;
      return {
        Parameters: all.slice(start, start + size).map((v) => ({ Name: input.Name, Type: 'String', Value: v.value, Version: v.version, LastModifiedDate: new Date(v.at), LastModifiedUser: v.by })),
        ...(start + size < all.length ? { NextToken: String(start + size) } : {}),
      };
    });

    on<In<typeof PublishCommand>, unknown>('sns', s.sns, PublishCommand, (input) => {
      this.published.push({ topicArn: input.TopicArn ?? '', ...(input.Subject ? { subject: input.Subject } : {}), message: input.Message ?? '', at: this.time });
      return { MessageId: `msg-${this.published.length}` };
    });
    on<In<typeof PutEventsCommand>, unknown>('events', s.events, PutEventsCommand, (input) => {
      for (const e of input.Entries ?? []) {
        this.putEvents.push({ source: e.Source ?? '', detailType: e.DetailType ?? '', detail: JSON.parse(e.Detail ?? '{}'), bus: e.EventBusName ?? 'default', at: this.time });
      }
      return { FailedEntryCount: 0, Entries: (input.Entries ?? []).map((_, i) => ({ EventId: `put-${this.putEvents.length + i}` })) };
    });

    on<In<typeof DescribeStacksCommand>, unknown>('cloudformation', s.cloudformation, DescribeStacksCommand, (input) => ({ Stacks: [this.describeStack(this.stack(input.StackName ?? ''))] }));
    on<In<typeof UpdateStackCommand>, unknown>('cloudformation', s.cloudformation, UpdateStackCommand, (input) => this.updateStack(input));

    on<In<typeof DescribeAlarmsCommand>, unknown>('cloudwatch', s.cloudwatch, DescribeAlarmsCommand, (input) => {
      const matching = [...this.alarms.entries()].filter(
        ([name, state]) =>
          name.startsWith(input.AlarmNamePrefix ?? '') && (!input.AlarmNames || input.AlarmNames.includes(name)) && (!input.StateValue || input.StateValue === state),
      );
      const describe = ([AlarmName, StateValue]: [string, StateValue]) => ({ AlarmName, StateValue, StateReason: '', ActionsEnabled: this.alarmActionsEnabled(AlarmName) });
      // "If you omit this parameter, only metric alarms are returned" (DescribeAlarms API reference, AlarmTypes).
      const types = input.AlarmTypes ?? ['MetricAlarm'];
      return {
        MetricAlarms: types.includes('MetricAlarm') ? matching.filter(([name]) => !this.compositeAlarms.has(name)).map(describe) : [],
        CompositeAlarms: types.includes('CompositeAlarm') ? matching.filter(([name]) => this.compositeAlarms.has(name)).map(describe) : [],
      };
    });
    on<In<typeof DisableAlarmActionsCommand>, unknown>('cloudwatch', s.cloudwatch, DisableAlarmActionsCommand, (input) => {
      this.setAlarmActions(input.AlarmNames ?? [], false);
      return {};
    });
    on<In<typeof EnableAlarmActionsCommand>, unknown>('cloudwatch', s.cloudwatch, EnableAlarmActionsCommand, (input) => {
      this.setAlarmActions(input.AlarmNames ?? [], true);
      return {};
    });
    return s;
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- stubs of different clients share no input type
type Stub = AwsStub<any, any, any>;

export interface FakeStubs {
  readonly appconfig: Stub;
  readonly elb: Stub;
  readonly ssm: Stub;
  readonly sns: Stub;
  readonly events: Stub;
  readonly cloudformation: Stub;
  readonly cloudwatch: Stub;
}
