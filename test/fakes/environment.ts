/**
 * One deployed environment in the fake: the Service stack (its parameters, outputs and template
 * model), the traffic rule, the AppConfig application with both strategies and the rollback
 * monitor, the trigger alarms and the latch, as `cdk deploy` leaves them. And the rollback
 * function's environment and dependencies wired to the same fake.
 */
import { RELEASE_HISTORY_EMPTY, releaseHistoryParameterName } from '../../lib/shared/release-history';
import { AppConfigClient } from '@aws-sdk/client-appconfig';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { EnvironmentConfig } from '../../lib/config/schema';
import { buildFlagDocument, serializeFlagDocument, type FlagDocument } from '../../lib/shared/feature-flags';
import type { EnvironmentName } from '../../lib/shared/environment-names';
import { alarmName, latchParameterName, rollbackMonitorName } from '../../lib/shared/names';
import { LATCH_CLEAR, ROLLBACK_FUNCTION_ENV } from '../../lib/shared/rollback-contract';
import { serviceStackName, type ServiceOutputKey, SERVICE_OUTPUTS } from '../../lib/shared/stack-contract';
import { readConfig } from '../../lambda/rollback/config';
import type { Dependencies } from '../../lambda/rollback/rollback';
import { testConfig } from '../helpers/config';
import type { AwsState, FakeStack, ServiceTemplateModel, StackTimings } from './aws-state';

const ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012';

/** Outputs of a deployed Service stack, as the CLI reads them. */
export function fakeOutputs(environment: EnvironmentName): Record<ServiceOutputKey, string> {
  return {
    loadBalancerDnsName: `mcp-${environment}.eu-west-1.elb.amazonaws.com`,
    listenerArn: `${ARN}:listener/app/mcp-${environment}/1111/2222`,
    trafficRuleArn: `${ARN}:listener-rule/app/mcp-${environment}/1111/2222/3333`,
    clusterName: `${serviceStackName(environment)}-Cluster`,
    stableServiceName: `${serviceStackName(environment)}-Stable`,
    canaryServiceName: `${serviceStackName(environment)}-Canary`,
    stableTargetGroupArn: `${ARN}:targetgroup/stable-${environment}/aaaa`,
    canaryTargetGroupArn: `${ARN}:targetgroup/canary-${environment}/bbbb`,
    flagsApplicationId: 'app1234',
    flagsEnvironmentId: 'env1234',
    flagsProfileId: 'prof123',
    flagsGradualStrategyId: 'grad123',
    flagsImmediateStrategyId: 'imm1234',
    rollbackFunctionName: `mcp-rollout-${environment}-rollback`,
    latchParameterName: latchParameterName(environment),
    criticalTopicArn: `arn:aws:sns:eu-west-1:123456789012:mcp-rollout-${environment}-critical`,
    warningTopicArn: `arn:aws:sns:eu-west-1:123456789012:mcp-rollout-${environment}-warning`,
    infoTopicArn: `arn:aws:sns:eu-west-1:123456789012:mcp-rollout-${environment}-info`,
  };
}

export interface SeededEnvironment {
  readonly environment: EnvironmentName;
  readonly config: EnvironmentConfig;
  readonly outputs: Record<ServiceOutputKey, string>;
  readonly stack: FakeStack;
  /** The trigger alarms; the composite monitor is in ALARM while any of them is. */
  readonly triggers: readonly string[];
  readonly monitor: string;
  /** The rollback function's environment variables. */
  readonly functionEnv: Record<string, string>;
  /** Sets a trigger alarm's state, and the composite monitor's with it. */
  setTrigger(name: string, state: 'OK' | 'ALARM'): void;
}

export interface SeedOptions {
  readonly environment?: EnvironmentName;
  readonly canaryTraffic?: number;
  readonly timings?: Partial<StackTimings>;
  readonly outputs?: Record<ServiceOutputKey, string>;
  /** Changes to the template model, to show what an earlier template would do (negative controls). */
  readonly model?: Partial<ServiceTemplateModel>;
}

export function seedEnvironment(fake: AwsState, options: SeedOptions = {}): SeededEnvironment {
  const environment = options.environment ?? 'production';
  const config = testConfig().environments[environment];
  const o = options.outputs ?? fakeOutputs(environment);
  const { gradual } = config.flags;
  fake.addStrategy({ id: o.flagsGradualStrategyId, name: `mcp-rollout-${environment}-gradual`, durationMinutes: gradual.deploymentMinutes, bakeMinutes: gradual.bakeMinutes, growthFactor: gradual.growthFactorPercent });
  fake.addStrategy({ id: o.flagsImmediateStrategyId, name: `mcp-rollout-${environment}-immediate`, durationMinutes: 0, bakeMinutes: 0, growthFactor: 100 });

  const triggers = (['canary', 'service'] as const).flatMap((scope) =>
    (['llm-success-rate', 'response-time-p95', 'error-rate', 'availability'] as const).map((kpi) => alarmName(environment, scope, kpi, 'trigger')),
  );
  const monitor = rollbackMonitorName(environment);
  for (const t of triggers) fake.setAlarm(t, 'OK');
  fake.addCompositeAlarm(monitor, 'OK');
  fake.addEnvironment({ applicationId: o.flagsApplicationId, environmentId: o.flagsEnvironmentId, profileId: o.flagsProfileId, monitors: [monitor] });
  fake.addRule(o.trafficRuleArn, [o.stableTargetGroupArn, o.canaryTargetGroupArn], [100, 0]);
  fake.putParameter(o.latchParameterName, LATCH_CLEAR, false, 'arn:aws:sts::123456789012:assumed-role/cdk-cfn-exec/AWSCloudFormation');
  // The State stack creates the release history with its empty value (lib/constructs/release-history.ts).
  fake.putParameter(releaseHistoryParameterName(environment), RELEASE_HISTORY_EMPTY, false, 'arn:aws:sts::123456789012:assumed-role/cdk-cfn-exec/AWSCloudFormation');

  const stack = fake.addServiceStack({
    name: serviceStackName(environment),
    parameters: { CanaryTraffic: String(options.canaryTraffic ?? 10), StableImageTag: 'v1.4.0', CanaryImageTag: 'v1.5.0' },
    outputs: Object.fromEntries((Object.keys(o) as ServiceOutputKey[]).map((k) => [SERVICE_OUTPUTS[k], o[k]])),
    latchParameterName: o.latchParameterName,
    model: {
      configuredDocument: serializeFlagDocument(buildFlagDocument(config.flags.initialValues)),
      rollbackFlags: config.flags.rollbackFlags,
      gradualStrategyId: o.flagsGradualStrategyId,
      immediateStrategyId: o.flagsImmediateStrategyId,
      ...options.model,
    },
    ...(options.timings ? { timings: options.timings } : {}),
    resources: {
      ruleArn: o.trafficRuleArn,
      stableArn: o.stableTargetGroupArn,
      canaryArn: o.canaryTargetGroupArn,
      applicationId: o.flagsApplicationId,
      environmentId: o.flagsEnvironmentId,
      profileId: o.flagsProfileId,
    },
  });

  const E = ROLLBACK_FUNCTION_ENV;
  const functionEnv: Record<string, string> = {
    [E.environment]: environment,
    [E.trafficRuleArn]: o.trafficRuleArn,
    [E.stableTargetGroupArn]: o.stableTargetGroupArn,
    [E.canaryTargetGroupArn]: o.canaryTargetGroupArn,
    [E.applicationId]: o.flagsApplicationId,
    [E.environmentId]: o.flagsEnvironmentId,
    [E.profileId]: o.flagsProfileId,
    [E.immediateStrategyId]: o.flagsImmediateStrategyId,
    [E.rollbackFlags]: config.flags.rollbackFlags.join(','),
    [E.latchParameter]: o.latchParameterName,
    [E.criticalTopicArn]: o.criticalTopicArn,
    [E.eventBusName]: 'default',
    [E.triggerAlarms]: triggers.join(','),
    [E.serviceStackName]: serviceStackName(environment),
    [E.monitorAlarmName]: monitor,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  };
  return {
    environment,
    config,
    outputs: o,
    stack,
    triggers,
    monitor,
    functionEnv,
    setTrigger(name, state) {
      fake.setAlarm(name, state);
      fake.setAlarm(monitor, triggers.some((t) => fake.alarms.get(t) === 'ALARM') ? 'ALARM' : 'OK');
    },
  };
}

/**
 * Starts a flag deployment of `document` the way a person or CloudFormation would (a new hosted
 * version, then StartDeployment), straight in the fake: nothing of the code under test runs.
 */
export function startFlagDeployment(fake: AwsState, seeded: SeededEnvironment, document: FlagDocument, strategy: 'gradual' | 'immediate', description?: string) {
  const o = seeded.outputs;
  const version = fake.createHostedVersion(o.flagsProfileId, serializeFlagDocument(document));
  const strategyId = strategy === 'gradual' ? o.flagsGradualStrategyId : o.flagsImmediateStrategyId;
  return fake.startDeployment(o.flagsEnvironmentId, o.flagsApplicationId, o.flagsProfileId, String(version), strategyId, description);
}

export interface FunctionRun {
  readonly deps: Dependencies;
  readonly errors: string[];
  readonly warnings: string[];
  readonly metrics: [string, number][];
}

/** The rollback function's dependencies against the fake: its clients, its config, the fake's clock. */
export function functionDeps(fake: AwsState, seeded: SeededEnvironment): FunctionRun {
  const errors: string[] = [];
  const warnings: string[] = [];
  const metrics: [string, number][] = [];
  return {
    errors,
    warnings,
    metrics,
    deps: {
      clients: {
        elb: new ElasticLoadBalancingV2Client({ region: 'eu-west-1' }),
        appconfig: new AppConfigClient({ region: 'eu-west-1' }),
        ssm: new SSMClient({ region: 'eu-west-1' }),
        sns: new SNSClient({ region: 'eu-west-1' }),
        events: new EventBridgeClient({ region: 'eu-west-1' }),
        cloudwatch: new CloudWatchClient({ region: 'eu-west-1' }),
      },
      config: readConfig(seeded.functionEnv),
      log: { info: () => undefined, warn: (m) => warnings.push(m), error: (m) => errors.push(m) },
      metrics: { addMetric: (name, _unit, value) => metrics.push([name, value]) },
      now: () => fake.now(),
      sleep: async (ms) => fake.advance(ms),
    },
  };
}

export interface FreshEnvironment {
  readonly fake: AwsState;
  readonly env: SeededEnvironment;
  readonly run: FunctionRun;
  /** The live weights of the environment's traffic rule. */
  weights(): { stable: number; canary: number };
}

/**
 * A new fake and a seeded environment (canary at 10 %) before each test of the calling file or
 * describe block, with the function's dependencies on it. The SDK clients are stubbed once.
 */
export function freshEnvironmentEachTest(newState: () => AwsState): FreshEnvironment {
  const stubs = newState().install();
  let current: { fake: AwsState; env: SeededEnvironment; run: FunctionRun } | undefined;
  beforeEach(() => {
    for (const s of Object.values(stubs)) s.reset();
    const fake = newState();
    fake.install(stubs);
    const env = seedEnvironment(fake, { canaryTraffic: 10 });
    current = { fake, env, run: functionDeps(fake, env) };
  });
  const now = () => {
    if (!current) throw new Error('freshEnvironmentEachTest: used outside a test');
    return current;
  };
  return {
    get fake() {
      return now().fake;
    },
    get env() {
      return now().env;
    },
    get run() {
      return now().run;
    },
    weights: () => {
      const { fake, env } = now();
      return fake.weights(env.outputs.trafficRuleArn, env.outputs.stableTargetGroupArn, env.outputs.canaryTargetGroupArn);
    },
  };
}
