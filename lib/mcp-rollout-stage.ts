import { Stage, type StageProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from './config/schema';
import { RolloutStack } from './stacks/rollout-stack';
import { ServiceStack } from './stacks/service-stack';
import { StateStack } from './stacks/state-stack';

export interface McpRolloutStageProps extends StageProps {
  readonly config: EnvironmentConfig;
}

/** Everything one environment needs; `Staging` and `Production` are instances of it. */
export class McpRolloutStage extends Stage {
  /** The environment's validated configuration. */
  readonly config: EnvironmentConfig;
  readonly stateStack: StateStack;
  readonly serviceStack: ServiceStack;
  readonly rolloutStack: RolloutStack;

  constructor(scope: Construct, id: string, props: McpRolloutStageProps) {
    const { account, region } = props.config;
    super(scope, id, { ...props, env: account || region ? { account, region } : undefined });
    this.config = props.config;
    this.stateStack = new StateStack(this, 'State', {
      environmentName: props.config.name,
      logRetention: props.config.logRetentionDays as logs.RetentionDays,
      terminationProtection: props.config.deletionProtection,
      description: `mcp-rollout ${props.config.name}: the rollback latch and the release history`,
    });
    this.serviceStack = new ServiceStack(this, 'Service', {
      config: props.config,
      description: `mcp-rollout ${props.config.name}: MCP server on ECS Fargate behind a weighted ALB`,
    });
    // The Service stack reads the latch at deploy time, by name: the State stack must exist first.
    this.serviceStack.addStackDependency(this.stateStack);
    this.rolloutStack = new RolloutStack(this, 'Rollout', {
      config: props.config,
      service: this.serviceStack,
      description: `mcp-rollout ${props.config.name}: the rollout engine (Step Functions) that runs release plans against the Service stack`,
    });
  }
}
