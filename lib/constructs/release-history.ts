import { Arn, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { EnvironmentName } from '../shared/environment-names';
import { RELEASE_HISTORY_EMPTY, RELEASE_HISTORY_MAX_RECORDS, releaseHistoryParameterName } from '../shared/release-history';

export interface ReleaseHistoryProps {
  readonly environmentName: EnvironmentName;
}

/**
 * The release history's SSM parameter (lib/shared/release-history.ts): its version history is the
 * history, one version per record. It lives in the State stack beside the latch: it outlives every
 * deploy of the service, and CloudFormation writes it only once, with `none`, when it creates it
 * (a later update of an unchanged resource writes nothing).
 *
 * Writers get `grantAppend`, readers `grantRead`, both scoped to this one parameter by name, so a
 * function in another stack of the environment can be granted without a cross-stack reference.
 */
export class ReleaseHistory extends Construct {
  readonly parameter: ssm.StringParameter;

  constructor(scope: Construct, id: string, props: ReleaseHistoryProps) {
    super(scope, id);
    this.parameter = new ssm.StringParameter(this, 'Parameter', {
      parameterName: releaseHistoryParameterName(props.environmentName),
      stringValue: RELEASE_HISTORY_EMPTY,
      tier: ssm.ParameterTier.STANDARD,
      description: `mcp-rollout ${props.environmentName}: release history, one version per deploy, promotion, undo, gate, rollback, resume or rollout (SSM keeps the last ${RELEASE_HISTORY_MAX_RECORDS})`,
    });
  }

  /** The parameter's ARN in `stack`'s account and region, built from its fixed name. */
  static parameterArn(stack: Stack, environment: EnvironmentName): string {
    return Arn.format({ service: 'ssm', resource: 'parameter', resourceName: releaseHistoryParameterName(environment).replace(/^\//, '') }, stack);
  }

  /**
   * What appendReleaseRecord calls: GetParameter (the parameter exists) and PutParameter (one new
   * version). Nothing else: no DeleteParameter, no label changes.
   */
  static grantAppend(grantee: iam.IGrantable, stack: Stack, environment: EnvironmentName): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['ssm:GetParameter', 'ssm:PutParameter'], resourceArns: [ReleaseHistory.parameterArn(stack, environment)] });
  }

  /** What readReleaseHistory calls: GetParameterHistory. */
  static grantRead(grantee: iam.IGrantable, stack: Stack, environment: EnvironmentName): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['ssm:GetParameterHistory'], resourceArns: [ReleaseHistory.parameterArn(stack, environment)] });
  }
}
