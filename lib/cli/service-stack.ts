/**
 * The deployed Service stack: where every resource the CLI touches is found (its outputs), and the
 * deploy-time parameters it runs with. No ARN is ever typed by hand.
 */
import { DescribeStacksCommand, type Capability, type Stack } from '@aws-sdk/client-cloudformation';
import type { EnvironmentName } from '../shared/environment-names';
import { PARAMETER_NAMES, SERVICE_OUTPUTS, serviceStackName, serviceStackSelector, type ServiceOutputKey } from '../shared/stack-contract';
import type { CommandContext } from './context';
import { CliError, explainAwsError, Refusal } from './errors';
import { formatDuration } from './output';

export interface DeployedParameters {
  readonly canaryTraffic: number;
  readonly stableImageTag: string;
  readonly canaryImageTag: string;
}

export interface ServiceStackState {
  readonly environment: EnvironmentName;
  readonly name: string;
  /** The stack's ARN: it names the partition, region and account the CLI really reads. */
  readonly stackId?: string;
  readonly status: string;
  readonly parameters: DeployedParameters;
  /** Every parameter the stack has, as deployed (for UsePreviousValue). */
  readonly parameterKeys: readonly string[];
  readonly outputs: Readonly<Record<ServiceOutputKey, string>>;
  readonly capabilities: readonly Capability[];
  /** The execution role CloudFormation used last (the CDK bootstrap's), reused by `resume`. */
  readonly roleArn?: string;
  readonly lastUpdated?: Date;
}

const IN_PROGRESS = /_IN_PROGRESS$/;

export async function describeServiceStack(ctx: CommandContext): Promise<ServiceStackState> {
  const name = serviceStackName(ctx.environment);
  let stack: Stack | undefined;
  try {
    stack = (await ctx.clients.cloudformation.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
  } catch (error) {
    if (error instanceof Error && error.name === 'ValidationError' && /does not exist/.test(error.message)) {
      throw await missingStack(ctx);
    }
    throw explainAwsError(error, `reading stack ${name}`);
  }
  if (!stack) throw await missingStack(ctx);
  return toState(ctx.environment, stack);
}

async function missingStack(ctx: CommandContext): Promise<CliError> {
  const { environment } = ctx;
  const name = serviceStackName(environment);
  // The region the call went to, as the client resolved it (--region, the config, AWS_REGION or the profile).
  const region = await ctx.clients.cloudformation.config.region().catch(() => undefined);
  return new CliError(
    `stack ${name} does not exist in ${region ?? 'this region'} (in the account of your credentials)`,
    `Check the account (\`aws sts get-caller-identity\`) and the region (--region, AWS_REGION, your profile, or \`region\` of ${environment} in lib/config/environments.ts), or create it first: npx cdk deploy ${serviceStackSelector(environment)}`,
  );
}

function toState(environment: EnvironmentName, stack: Stack): ServiceStackState {
  const name = serviceStackName(environment);
  const outputValues = new Map((stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  const missing = Object.values(SERVICE_OUTPUTS).filter((key) => !outputValues.get(key));
  if (missing.length > 0) {
    throw new CliError(
      `stack ${name} (${stack.StackStatus ?? 'unknown status'}) lacks the output(s) ${missing.join(', ')}: it was created by an older version of this app, or never finished creating`,
      `Deploy the current app once: npx cdk deploy ${serviceStackSelector(environment)}`,
    );
  }
  const outputs = Object.fromEntries(
    (Object.keys(SERVICE_OUTPUTS) as ServiceOutputKey[]).map((key) => [key, outputValues.get(SERVICE_OUTPUTS[key]) ?? '']),
  ) as Record<ServiceOutputKey, string>;
  const parameters = new Map((stack.Parameters ?? []).map((p) => [p.ParameterKey ?? '', p.ParameterValue ?? '']));
  return {
    environment,
    name,
    ...(stack.StackId ? { stackId: stack.StackId } : {}),
    status: stack.StackStatus ?? 'UNKNOWN',
    parameters: {
      canaryTraffic: Number(parameters.get(PARAMETER_NAMES.canaryTraffic) ?? '0'),
      stableImageTag: parameters.get(PARAMETER_NAMES.stableImageTag) ?? '',
      canaryImageTag: parameters.get(PARAMETER_NAMES.canaryImageTag) ?? '',
    },
    parameterKeys: [...parameters.keys()],
    outputs,
    capabilities: stack.Capabilities ?? [],
    ...(stack.RoleARN ? { roleArn: stack.RoleARN } : {}),
    ...(stack.LastUpdatedTime ?? stack.CreationTime ? { lastUpdated: stack.LastUpdatedTime ?? stack.CreationTime } : {}),
  };
}

/** Refuses to start a change while CloudFormation is still applying another one. */
export function assertStackIdle(stack: ServiceStackState): void {
  if (IN_PROGRESS.test(stack.status)) {
    throw new Refusal(
      `stack ${stack.name} is ${stack.status}: CloudFormation is still applying another change`,
      `Wait for it to finish (\`npx mcp-rollout status --environment ${stack.environment}\` shows the stack status), then run the command again.`,
    );
  }
}

/** Polls the stack every 10 s until CloudFormation is done, showing progress; returns the final state. */
export async function waitForStack(ctx: CommandContext, what: string): Promise<ServiceStackState> {
  const started = ctx.clock.now();
  for (;;) {
    const stack = await describeServiceStack(ctx);
    if (!IN_PROGRESS.test(stack.status)) return stack;
    ctx.report.progress(`${what}: ${stack.name} ${stack.status} (${formatDuration(ctx.clock.now() - started)})`);
    await ctx.clock.sleep(10_000, ctx.signal);
  }
}
