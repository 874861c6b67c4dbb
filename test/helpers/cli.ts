/**
 * Runs the CLI as the bin does, with every AWS client mocked (aws-sdk-client-mock), a fake clock
 * whose sleeps advance time, a fake CDK toolkit and a captured terminal.
 */
import { AppConfigClient } from '@aws-sdk/client-appconfig';
import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import type { CliCommand } from '../../lib/cli/command';
import type { ClientOptions, Clock, SynthesizedStack, Toolkit, ToolkitDeployRequest, ToolkitSynthRequest } from '../../lib/cli/context';
import { Interrupted } from '../../lib/cli/errors';
import { runCli } from '../../lib/cli/main';
import { buildFlagDocument, DEFAULT_FLAG_VALUES, rolledBackDocument, serializeFlagDocument } from '../../lib/shared/feature-flags';
import type { EnvironmentName } from '../../lib/shared/environment-names';
import { SERVICE_OUTPUTS, serviceStackName, type ServiceOutputKey } from '../../lib/shared/stack-contract';
import type { RolloutConfig } from '../../lib/config/schema';
import { testConfig } from './config';

export const NOW = Date.parse('2026-11-24T10:00:00.000Z');
export const USER = 'alice';
const ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012';

export const mocks = {
  cloudformation: mockClient(CloudFormationClient),
  ssm: mockClient(SSMClient),
  elb: mockClient(ElasticLoadBalancingV2Client),
  ecs: mockClient(ECSClient),
  appconfig: mockClient(AppConfigClient),
  cloudwatch: mockClient(CloudWatchClient),
  lambda: mockClient(LambdaClient),
  events: mockClient(EventBridgeClient),
  sfn: mockClient(SFNClient),
};

export function resetMocks(): void {
  for (const m of Object.values(mocks)) m.reset();
}

/** The outputs a deployed Service stack of `environment` has. */
export function outputsFor(environment: EnvironmentName): Record<ServiceOutputKey, string> {
  const stage = environment === 'production' ? 'Produ' : 'Stagi';
  return {
    loadBalancerDnsName: `${stage}-McpLo-1A2B3C-1234567890.eu-west-1.elb.amazonaws.com`,
    listenerArn: `${ARN}:listener/app/${stage}-McpLo-1A2B3C/50dc6c495c0c9188/f2f7dc8efc522ab2`,
    trafficRuleArn: `${ARN}:listener-rule/app/${stage}-McpLo-1A2B3C/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`,
    clusterName: `${serviceStackName(environment)}-McpCluster4E9A0A1B-Xy12`,
    stableServiceName: `${serviceStackName(environment)}-McpStableService-Ab12`,
    canaryServiceName: `${serviceStackName(environment)}-McpCanaryService-Cd34`,
    stableTargetGroupArn: `${ARN}:targetgroup/${stage}-McpSt-STABLE/6d0ecf831eec9f09`,
    canaryTargetGroupArn: `${ARN}:targetgroup/${stage}-McpCa-CANARY/7e1fdf942ffd0a1a`,
    flagsApplicationId: 'abc1234',
    flagsEnvironmentId: 'env5678',
    flagsProfileId: 'prof901',
    flagsGradualStrategyId: 'grad123',
    flagsImmediateStrategyId: 'imm4567',
    rollbackFunctionName: `mcp-rollout-${environment}-rollback`,
    latchParameterName: `/mcp-rollout/${environment}/rollback-latch`,
    criticalTopicArn: `arn:aws:sns:eu-west-1:123456789012:mcp-rollout-${environment}-critical`,
    warningTopicArn: `arn:aws:sns:eu-west-1:123456789012:mcp-rollout-${environment}-warning`,
    infoTopicArn: `arn:aws:sns:eu-west-1:123456789012:mcp-rollout-${environment}-info`,
  };
}

export interface StackFixture {
  readonly canaryTraffic?: number;
  readonly stableImageTag?: string;
  readonly canaryImageTag?: string;
  readonly status?: string;
}

export const CFN_ROLE = 'arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-eu-west-1';

/** A DescribeStacks answer for the Service stack. */
export function describeStacks(environment: EnvironmentName, fixture: StackFixture = {}): { Stacks: Stack[] } {
  const outputs = outputsFor(environment);
  return {
    Stacks: [
      {
        StackName: serviceStackName(environment),
        StackStatus: (fixture.status ?? 'UPDATE_COMPLETE') as Stack['StackStatus'],
        CreationTime: new Date('2026-11-01T09:00:00Z'),
        LastUpdatedTime: new Date('2026-11-24T09:30:00Z'),
        Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
        RoleARN: CFN_ROLE,
        Parameters: [
          { ParameterKey: 'CanaryTraffic', ParameterValue: String(fixture.canaryTraffic ?? 10) },
          { ParameterKey: 'StableImageTag', ParameterValue: fixture.stableImageTag ?? 'v1.4.0' },
          { ParameterKey: 'CanaryImageTag', ParameterValue: fixture.canaryImageTag ?? 'v1.5.0' },
          { ParameterKey: 'RollbackLatch', ParameterValue: `/mcp-rollout/${environment}/rollback-latch`, ResolvedValue: 'clear' },
          { ParameterKey: 'BootstrapVersion', ParameterValue: '/cdk-bootstrap/hnb659fds/version', ResolvedValue: '28' },
        ],
        Outputs: (Object.keys(outputs) as ServiceOutputKey[]).map((key) => ({ OutputKey: SERVICE_OUTPUTS[key], OutputValue: outputs[key] })),
      },
    ],
  };
}

export function stackIs(environment: EnvironmentName, fixture: StackFixture = {}): void {
  // Any other stack (the Rollout stack, say) does not exist, as CloudFormation answers.
  mocks.cloudformation
    .on(DescribeStacksCommand)
    .callsFake((input: { StackName?: string }) => Promise.reject(Object.assign(new Error(`Stack with id ${input.StackName} does not exist`), { name: 'ValidationError' })));
  mocks.cloudformation.on(DescribeStacksCommand, { StackName: serviceStackName(environment) }).resolves(describeStacks(environment, fixture));
}

/** A DescribeRules answer with the traffic rule's weights. */
export function rules(environment: EnvironmentName, stable: number, canary: number) {
  const o = outputsFor(environment);
  return {
    Rules: [
      {
        RuleArn: o.trafficRuleArn,
        Actions: [
          {
            Type: 'forward' as const,
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: o.stableTargetGroupArn, Weight: stable },
                { TargetGroupArn: o.canaryTargetGroupArn, Weight: canary },
              ],
            },
          },
        ],
      },
    ],
  };
}

export const LATCH_RECORD = {
  state: 'latched',
  reason: 'Threshold Crossed: 5 out of the last 5 datapoints were less than the threshold (85.0)',
  requestedBy: 'mcp-rollout-production-canary-llm-success-rate-trigger',
  time: '2026-11-24T09:41:07.000Z',
} as const;
export const LATCHED = JSON.stringify(LATCH_RECORD);

export const FLAGS_ON = serializeFlagDocument(buildFlagDocument(DEFAULT_FLAG_VALUES));
export const FLAGS_ROLLED_BACK = serializeFlagDocument(rolledBackDocument(buildFlagDocument(DEFAULT_FLAG_VALUES), ['hierarchical_tools_enabled', 'enumdescriptions_validation']));

/** A GetHostedConfigurationVersion answer. The SDK types Content as its blob adapter; a Uint8Array is what arrives. */
export const hostedVersion = (doc: string) => ({ Content: new TextEncoder().encode(doc) as never, ContentType: 'application/json' });

/** A clock whose sleeps advance time at once; it records them. */
export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(
    public current = NOW,
    /** Aborts the controller when this many sleeps have happened (a Ctrl-C during a wait). */
    private readonly interruptAfterSleeps?: { count: number; controller: AbortController },
  ) {}
  now(): number {
    return this.current;
  }
  async sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (this.interruptAfterSleeps && this.sleeps.length >= this.interruptAfterSleeps.count) this.interruptAfterSleeps.controller.abort();
    if (signal.aborted) throw new Interrupted();
    this.sleeps.push(ms);
    this.current += ms;
  }
}

export class FakeToolkit implements Toolkit {
  readonly calls: ToolkitDeployRequest[] = [];
  readonly synths: ToolkitSynthRequest[] = [];
  /** The template `synth` returns: the operator's clone. */
  localTemplate: Record<string, unknown> = {};
  constructor(
    private readonly exitCode = 0,
    /** Runs while "deploying": the fixture for what CloudFormation did. */
    private readonly during?: (request: ToolkitDeployRequest) => void,
    private readonly clock?: FakeClock,
    private readonly tookMs = 0,
  ) {}
  async synth(request: ToolkitSynthRequest): Promise<SynthesizedStack> {
    this.synths.push(request);
    return { template: this.localTemplate, assemblyDir: '/tmp/mcp-rollout-synth-test' };
  }
  async deploy(request: ToolkitDeployRequest): Promise<number> {
    this.calls.push(request);
    this.during?.(request);
    if (this.clock) this.clock.current += this.tookMs;
    return this.exitCode;
  }
}

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly toolkit?: Toolkit;
  readonly clock?: FakeClock;
  readonly controller?: AbortController;
  readonly interactive?: boolean;
  /** Standard output is a terminal (status --watch clears the screen). */
  readonly stdoutInteractive?: boolean;
  /** Standard output shows colors. */
  readonly colors?: boolean;
  /** The command registry (default: the CLI's). */
  readonly commands?: readonly CliCommand[];
  /** The terminal's width, for stdout and stderr alike (default: unknown). */
  readonly columns?: number;
  /** The process environment the CLI sees (default: none of the AWS variables). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The profiles of the shared AWS config and credentials files (default: `default` and `oncall`). */
  readonly profiles?: readonly string[];
  /** The environments' config (default: testConfig()). */
  readonly environments?: RolloutConfig['environments'];
  /** Receives the region and client options the CLI asks for. */
  readonly onClients?: (region: string | undefined, options: ClientOptions) => void;
}

const ENVIRONMENTS = testConfig().environments;

export async function runCommand(argv: readonly string[], options: RunOptions = {}): Promise<CliRun> {
  const out: string[] = [];
  let err = '';
  const code = await runCli(argv, {
    clients: (region, clientOptions) => {
      options.onClients?.(region, clientOptions);
      return {
      cloudformation: new CloudFormationClient({ region: 'eu-west-1' }),
      ssm: new SSMClient({ region: 'eu-west-1' }),
      elb: new ElasticLoadBalancingV2Client({ region: 'eu-west-1' }),
      ecs: new ECSClient({ region: 'eu-west-1' }),
      appconfig: new AppConfigClient({ region: 'eu-west-1' }),
      cloudwatch: new CloudWatchClient({ region: 'eu-west-1' }),
      lambda: new LambdaClient({ region: 'eu-west-1' }),
      events: new EventBridgeClient({ region: 'eu-west-1' }),
      sfn: new SFNClient({ region: 'eu-west-1' }),
      };
    },
    terminal: {
      stdout: (line) => out.push(line),
      stderr: (text) => (err += text),
      interactive: options.interactive ?? false,
      stdoutInteractive: options.stdoutInteractive ?? false,
      colors: options.colors ?? false,
      ...(options.columns ? { stdoutColumns: options.columns, stderrColumns: options.columns } : {}),
    },
    clock: options.clock ?? new FakeClock(),
    toolkit: options.toolkit ?? new FakeToolkit(),
    environments: options.environments ?? ENVIRONMENTS,
    user: USER,
    signal: (options.controller ?? new AbortController()).signal,
    env: options.env ?? {},
    awsProfiles: () => ({ names: options.profiles ?? ['default', 'oncall'], files: ['/home/alice/.aws/config', '/home/alice/.aws/credentials'] }),
  }, options.commands);
  return { code, stdout: out.join('\n'), stderr: err };
}
