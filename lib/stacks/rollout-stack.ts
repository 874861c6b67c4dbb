import { Arn, ArnFormat, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/schema';
import { RolloutEngine } from '../constructs/rollout-engine';
import { latchParameterName, rollbackFunctionName, topicName } from '../shared/names';
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
 *
 * The rollback function and the info topic are found by their fixed names, not by cross-stack
 * references: the Service stack exports nothing for this stack, so neither can block the other's
 * updates. The stack dependency still deploys the Service stack first.
 */
export class RolloutStack extends Stack {
  readonly engine: RolloutEngine;

  constructor(scope: Construct, id: string, props: RolloutStackProps) {
    super(scope, id, { ...props, terminationProtection: props.config.deletionProtection });
    const { config, service } = props;
    const env = config.name;
    const rollbackFunction = lambda.Function.fromFunctionName(this, 'RollbackFunction', rollbackFunctionName(env));
    const infoTopic = sns.Topic.fromTopicArn(this, 'InfoTopic', Arn.format({ service: 'sns', resource: topicName(env, 'info'), arnFormat: ArnFormat.NO_RESOURCE_NAME }, this));
    // The rules here publish to the Service stack's info topic by ARN: its policy lets EventBridge
    // rules publish (NotificationTopics declares it, the one home of that permission).
    this.engine = new RolloutEngine(this, 'Engine', {
      environmentName: env,
      plan: config.rollout,
      tracing: config.rollout.tracing,
      serviceStackName: serviceStackName(env),
      rollbackFunction,
      infoTopic,
      latchParameterName: latchParameterName(env),
      thresholds: config.thresholds,
      minimumSamplesPerMinute: config.minimumSamplesPerMinute,
      logRetention: config.logRetentionDays as logs.RetentionDays,
    });
    this.addStackDependency(service, 'the engine updates the Service stack and invokes its rollback function');
    const outputs: Record<RolloutOutputKey, string> = {
      stateMachineArn: this.engine.stateMachine.stateMachineArn,
      judgeFunctionName: this.engine.judgeFunction.functionName,
    };
    for (const [key, value] of Object.entries(outputs) as [RolloutOutputKey, string][]) new CfnOutput(this, ROLLOUT_OUTPUTS[key], { value });
  }
}
