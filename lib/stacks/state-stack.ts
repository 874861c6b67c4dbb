import { Arn, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import { LogEncryptionKey } from '../constructs/private/encryption-keys';
import { ReleaseHistory } from '../constructs/release-history';
import type { EnvironmentName } from '../shared/environment-names';
import { LATCH_CLEAR, latchParameterName } from '../shared/rollback-contract';

export interface StateStackProps extends StackProps {
  readonly environmentName: EnvironmentName;
  /** How long the latch provider's logs are kept. */
  readonly logRetention: logs.RetentionDays;
}

/**
 * State that outlives any deploy of the service: the rollback latch (DESIGN.md D2). It is its own
 * stack so the parameter exists before the Service stack's SSM-typed parameter reads it, and so
 * that deploying the service never writes it: only the rollback function and `mcp-rollout resume`
 * do.
 *
 * The parameter is created by a create-only custom resource, not an AWS::SSM::Parameter: the
 * latter's Value updates without replacement whenever anything about the resource changes
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ssm-parameter.html),
 * so a later State stack update (a new description, a tag) would write "clear" back and silently
 * end a rollback. The custom resource calls PutParameter once, on create, without Overwrite
 * (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html): it
 * makes no call on update, and none on delete, so the latch outlives the stack and a State stack
 * created again keeps a latch that is still set (ParameterAlreadyExists is ignored).
 */
export class StateStack extends Stack {
  readonly latchParameterName: string;
  /** Encrypts the provider function's log group (Control Tower CT.CLOUDWATCH.PR.3). */
  readonly logsKey: LogEncryptionKey;
  /** The create-only latch provider's log group. */
  readonly providerLogs: logs.LogGroup;
  /** aws-cdk-lib's singleton function behind the latch's custom resource. */
  readonly latchProvider: Construct;
  /** The release history (lib/shared/release-history.ts), kept apart from the latch. */
  readonly releaseHistory: ReleaseHistory;

  constructor(scope: Construct, id: string, props: StateStackProps) {
    super(scope, id, props);
    const name = latchParameterName(props.environmentName);
    this.latchParameterName = name;
    // The Service stack has its own logs key; the State stack outlives it, so it keeps one of its own.
    this.logsKey = new LogEncryptionKey(this, 'LogsKey', { environmentName: props.environmentName });
    this.providerLogs = new logs.LogGroup(this, 'LatchProviderLogs', {
      retention: props.logRetention,
      encryptionKey: this.logsKey.key,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    new cr.AwsCustomResource(this, 'RollbackLatch', {
      resourceType: 'Custom::AWS',
      onCreate: {
        service: 'SSM',
        action: 'putParameter',
        parameters: {
          Name: name,
          Value: LATCH_CLEAR,
          Type: 'String',
          Overwrite: false,
          Description: `mcp-rollout ${props.environmentName}: "${LATCH_CLEAR}", or the record of the rollback in force (set by the rollback function, cleared by mcp-rollout resume)`,
        },
        physicalResourceId: cr.PhysicalResourceId.of(name),
        ignoreErrorCodesMatching: 'ParameterAlreadyExists',
      },
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({
        resources: [Arn.format({ service: 'ssm', resource: 'parameter', resourceName: name.replace(/^\//, '') }, this)],
      }),
      installLatestAwsSdk: false,
      logGroup: this.providerLogs,
    });
    // The provider function is aws-cdk-lib's own, with the AWS-managed logging policy.
    const provider = this.node.findChild(`AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`);
    this.latchProvider = provider;
    Validations.of(provider).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: "aws-cdk-lib's AwsCustomResource provider writes its logs with the AWS-managed basic execution role; it runs once, when the State stack is created.",
    });
    this.releaseHistory = new ReleaseHistory(this, 'ReleaseHistory', { environmentName: props.environmentName });
  }
}
