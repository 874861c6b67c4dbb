import { Stack, type StackProps } from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { ReleaseHistory } from '../constructs/release-history';
import type { EnvironmentName } from '../shared/environment-names';
import { LATCH_CLEAR, latchParameterName } from '../shared/rollback-contract';

export interface StateStackProps extends StackProps {
  readonly environmentName: EnvironmentName;
}

/**
 * State that outlives any deploy of the service: the rollback latch (DESIGN.md D2). It is its own
 * stack so the parameter exists before the Service stack's SSM-typed parameter reads it, and so
 * that deploying the service never writes it: only the rollback function and `mcp-rollout resume`
 * do. CloudFormation writes `clear` once, when it creates the parameter.
 */
export class StateStack extends Stack {
  readonly latch: ssm.StringParameter;
  /** The release history (lib/shared/release-history.ts), kept apart from the latch. */
  readonly releaseHistory: ReleaseHistory;

  constructor(scope: Construct, id: string, props: StateStackProps) {
    super(scope, id, props);
    this.latch = new ssm.StringParameter(this, 'RollbackLatch', {
      parameterName: latchParameterName(props.environmentName),
      stringValue: LATCH_CLEAR,
      description: `mcp-rollout ${props.environmentName}: "${LATCH_CLEAR}", or the record of the rollback in force (set by the rollback function, cleared by mcp-rollout resume)`,
    });
    this.releaseHistory = new ReleaseHistory(this, 'ReleaseHistory', { environmentName: props.environmentName });
  }
}
