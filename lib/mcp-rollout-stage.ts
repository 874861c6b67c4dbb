import { Stage, type StageProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from './config/schema';
import { ServiceStack } from './stacks/service-stack';

export interface McpRolloutStageProps extends StageProps {
  readonly config: EnvironmentConfig;
}

/** Everything one environment needs; `Staging` and `Production` are instances of it. */
export class McpRolloutStage extends Stage {
  readonly serviceStack: ServiceStack;

  constructor(scope: Construct, id: string, props: McpRolloutStageProps) {
    const { account, region } = props.config;
    super(scope, id, { ...props, env: account || region ? { account, region } : undefined });
    this.serviceStack = new ServiceStack(this, 'Service', {
      config: props.config,
      description: `mcp-rollout ${props.config.name}: MCP server on ECS Fargate behind a weighted ALB`,
    });
  }
}
