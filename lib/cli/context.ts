/**
 * What a command runs with. Everything that touches the world is injected, so tests drive the
 * commands with mocked AWS clients, a fake clock and a captured terminal.
 */
import type { AppConfigClient } from '@aws-sdk/client-appconfig';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { EnvironmentConfig } from '../config/schema';
import type { EnvironmentName } from '../shared/environment-names';
import type { AwsProfiles } from './aws-profiles';
import type { Interrupts } from './interrupts';
import type { Reporter } from './output';

export interface Clients {
  readonly cloudformation: CloudFormationClient;
  readonly ssm: SSMClient;
  readonly elb: ElasticLoadBalancingV2Client;
  readonly ecs: ECSClient;
  readonly appconfig: AppConfigClient;
  readonly cloudwatch: CloudWatchClient;
  readonly lambda: LambdaClient;
  readonly events: EventBridgeClient;
  /** Step Functions: the rollout engine's executions. */
  readonly sfn: SFNClient;
}

/** How the AWS clients of one command run are made. */
export interface ClientOptions {
  /** The named profile of the shared AWS files (`--profile`); absent: the SDK's own choice (AWS_PROFILE, default). */
  readonly profile?: string;
  /** Ctrl-C: every call listens to it, and calls that change something finish first. */
  readonly interrupts?: Interrupts;
}

export interface Terminal {
  /** Writes a line to standard output. */
  stdout(line: string): void;
  /** Writes raw text to standard error (progress redraws use `\r`). */
  stderr(text: string): void;
  /** Standard error is a terminal: progress redraws one line instead of printing many. */
  readonly interactive: boolean;
  /** Standard output is a terminal: `status --watch` redraws the screen instead of appending. */
  readonly stdoutInteractive?: boolean;
  /** Standard output shows colors (a terminal that has them, and NO_COLOR unset). */
  readonly colors?: boolean;
  /** Width of standard output when it is a terminal (help wraps to it). */
  readonly stdoutColumns?: number;
  /** Width of standard error when it is a terminal (progress lines are cut to it). */
  readonly stderrColumns?: number;
}

export interface Clock {
  now(): number;
  /** Resolves after `ms`, or rejects with Interrupted when the signal aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export interface ToolkitDeployRequest {
  /** The `cdk deploy` selector (`Production/Service`). */
  readonly selector: string;
  /** The CloudFormation stack name that qualifies each parameter (`Production-Service`). */
  readonly stackName: string;
  /** Only the parameters that change; the toolkit keeps the previous value of the others. */
  readonly parameters: Readonly<Record<string, string>>;
  /** The synthesized cloud assembly to deploy as it is (the one whose template was reviewed). */
  readonly assemblyDir: string;
}

export interface ToolkitSynthRequest {
  readonly selector: string;
  readonly stackName: string;
}

/** One stack of a synthesized cloud assembly. */
export interface SynthesizedStack {
  readonly template: Record<string, unknown>;
  /** The assembly directory, for a deploy of exactly this template. */
  readonly assemblyDir: string;
}

/**
 * The CDK toolkit, used only by `deploy --template`: parameter changes go through
 * CloudFormation UpdateStack with the deployed template (stack-update.ts), never through it.
 */
export interface Toolkit {
  /** Synthesizes the operator's clone and returns the stack's template. */
  synth(request: ToolkitSynthRequest, signal: AbortSignal): Promise<SynthesizedStack>;
  /** `cdk deploy` of a synthesized assembly; resolves with the toolkit's exit code. */
  deploy(request: ToolkitDeployRequest, signal: AbortSignal): Promise<number>;
}

/** Everything the CLI needs from outside; `bin/mcp-rollout.ts` builds the real one. */
export interface CliDeps {
  readonly clients: (region: string | undefined, options: ClientOptions) => Clients;
  readonly terminal: Terminal;
  readonly clock: Clock;
  readonly toolkit: Toolkit;
  readonly environments: Readonly<Record<EnvironmentName, EnvironmentConfig>>;
  /** Who runs the command, for events, latch records and reasons. */
  readonly user: string;
  /** Aborted by Ctrl-C. */
  readonly signal: AbortSignal;
  /** The process environment (AWS_PROFILE, AWS_ENDPOINT_URL), for checks and advice. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The profiles of the shared AWS config and credentials files. */
  readonly awsProfiles: () => AwsProfiles;
}

/** What every command run sees. */
export interface LocalContext {
  readonly report: Reporter;
  readonly clock: Clock;
  readonly user: string;
  /** Aborted by Ctrl-C once no change that must finish is running (interrupts.ts). */
  readonly signal: AbortSignal;
  /** Ctrl-C handling: `mustFinish` marks a change that must not be cut off. */
  readonly interrupts: Interrupts;
}

/** What a command on one deployed environment sees. */
export interface CommandContext extends LocalContext {
  readonly environment: EnvironmentName;
  readonly config: EnvironmentConfig;
  readonly clients: Clients;
  readonly toolkit: Toolkit;
}
