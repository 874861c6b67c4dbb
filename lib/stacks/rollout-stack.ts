import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/schema';
import { RolloutEngine } from '../constructs/rollout-engine';
import { latchParameterName } from '../shared/names';
import { ROLLOUT_OUTPUTS, type RolloutOutputKey } from '../shared/rollout-contract';
import { serviceStackName } from '../shared/stack-contract';
import type { ServiceStack } from './service-stack';

export interface RolloutStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  /** The stack the engine updates; its rollback function and info topic are used as they are. */
  readonly service: ServiceStack;
}

/**
 * The rollout engine of one environment (DESIGN.md D8), in its own stack beside the Service stack
 * it updates (README "Rollout engine" says why): a Service stack update, rollback or replacement
 * never touches a running execution's state machine, role or log group, and the engine's role
 * cannot change its own permissions through the stack it updates.
 */
export class RolloutStack extends Stack {
  readonly engine: RolloutEngine;

  constructor(scope: Construct, id: string, props: RolloutStackProps) {
    super(scope, id, { ...props, terminationProtection: props.config.deletionProtection });
    const { config, service } = props;
    this.engine = new RolloutEngine(this, 'Engine', {
      environmentName: config.name,
      plan: config.rollout,
      tracing: config.rollout.tracing,
      serviceStackName: serviceStackName(config.name),
      rollbackFunction: service.rollback.function,
      infoTopic: service.notifications.topics.info,
      latchParameterName: latchParameterName(config.name),
      thresholds: config.thresholds,
      minimumSamplesPerMinute: config.minimumSamplesPerMinute,
      logRetention: config.logRetentionDays as logs.RetentionDays,
    });
    const outputs: Record<RolloutOutputKey, string> = {
      stateMachineArn: this.engine.stateMachine.stateMachineArn,
      releaseHistoryParameterName: this.engine.releaseHistory.parameterName,
      judgeFunctionName: this.engine.judgeFunction.functionName,
    };
    for (const [key, value] of Object.entries(outputs) as [RolloutOutputKey, string][]) new CfnOutput(this, ROLLOUT_OUTPUTS[key], { value });
  }
}
