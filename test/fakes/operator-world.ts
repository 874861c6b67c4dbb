/**
 * A stateful fake of the AWS state the operator CLI changes: SSM parameters with their versions
 * and history, the Service stack in CloudFormation (status, parameters, template, events) and the
 * traffic rule's live weights. It enforces the documented rules the CLI relies on, so a test
 * cannot pass against behaviour AWS does not have (DESIGN.md D7):
 *
 * SSM (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html,
 * API_GetParameterHistory.html):
 * - PutParameter on an existing name needs Overwrite (else ParameterAlreadyExists), creates the
 *   next version, and a new parameter needs a Type;
 * - SSM keeps 100 versions: the 101st deletes the oldest, unless the oldest has a label, and
 *   then PutParameter fails with ParameterMaxVersionLimitExceeded;
 * - a standard parameter's value is at most 4096 characters;
 * - GetParameterHistory returns at most MaxResults (1 to 50) versions per page, oldest first,
 *   with LastModifiedUser and LastModifiedDate.
 *
 * CloudFormation (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_UpdateStack.html):
 * - UpdateStack only from a *_COMPLETE state that is not a failed create or delete; otherwise
 *   ValidationError "... is in <status> state and can not be updated.";
 * - exactly one of TemplateBody, TemplateURL and UsePreviousTemplate;
 * - a parameter left out of Parameters takes the template's Default (UsePreviousValue keeps the
 *   deployed one); unknown keys and values outside AllowedPattern are ValidationErrors;
 * - a template with IAM resources needs CAPABILITY_IAM or CAPABILITY_NAMED_IAM
 *   (InsufficientCapabilitiesException);
 * - nothing to change: ValidationError "No updates are to be performed.";
 * - SSM-typed parameters resolve when the operation starts (DESIGN.md "Facts"): the latch read at
 *   that moment decides the canary weight, as the template's condition does;
 * - the update is UPDATE_IN_PROGRESS for a few DescribeStacks reads, then UPDATE_COMPLETE, or
 *   UPDATE_ROLLBACK_COMPLETE with the old parameters back when an image cannot start.
 */
import {
  CloudFormationServiceException,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
  UpdateStackCommand,
  type Parameter,
  type Stack,
  type StackEvent,
  type UpdateStackCommandInput,
} from '@aws-sdk/client-cloudformation';
import { DescribeRulesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  GetParameterCommand,
  GetParameterHistoryCommand,
  LabelParameterVersionCommand,
  PutParameterCommand,
  SSMServiceException,
  type GetParameterHistoryCommandInput,
  type PutParameterCommandInput,
} from '@aws-sdk/client-ssm';
import { parseLatch } from '../../lib/shared/rollback-contract';
import { CANARY_TRAFFIC_PATTERN, IMAGE_TAG_PATTERN, SERVICE_OUTPUTS, serviceStackName, type ServiceOutputKey } from '../../lib/shared/stack-contract';
import { trafficWeights, type TrafficWeights } from '../../lib/shared/traffic-weights';
import type { EnvironmentName } from '../../lib/shared/environment-names';
import type { FakeClock } from '../helpers/cli';
import { mocks, outputsFor, rules } from '../helpers/cli';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
export const CALLER_ARN = `arn:aws:sts::${ACCOUNT}:assumed-role/oncall/alice`;
export const MAX_VERSIONS = 100;
const MAX_VALUE_LENGTH = 4096;

function ssmError(name: string, message: string): SSMServiceException {
  return new SSMServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}
function cfnError(name: string, message: string): CloudFormationServiceException {
  return new CloudFormationServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

interface StoredVersion {
  readonly version: number;
  readonly value: string;
  readonly at: Date;
  readonly by: string;
  labels: string[];
}

/** A minimal Service template: the real parameters (names, patterns, defaults) and an IAM role. */
export function serviceTemplate(extraResources: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Parameters: {
      CanaryTraffic: { Type: 'Number', Default: 0, AllowedPattern: CANARY_TRAFFIC_PATTERN },
      StableImageTag: { Type: 'String', Default: 'latest', AllowedPattern: IMAGE_TAG_PATTERN },
      CanaryImageTag: { Type: 'String', Default: 'latest', AllowedPattern: IMAGE_TAG_PATTERN },
      RollbackLatch: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/mcp-rollout/production/rollback-latch' },
      BootstrapVersion: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/cdk-bootstrap/hnb659fds/version' },
    },
    Resources: {
      TaskRole: {
        Type: 'AWS::IAM::Role',
        Properties: { AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' } }] } },
      },
      StableService: { Type: 'AWS::ECS::Service', Properties: { DesiredCount: 3 } },
      ...extraResources,
    },
  };
}

const UPDATABLE = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'IMPORT_COMPLETE', 'IMPORT_ROLLBACK_COMPLETE']);

interface PendingUpdate {
  readonly token?: string;
  readonly previous: Record<string, string>;
  readonly previousTemplate: string;
  readonly fails: boolean;
  readsLeft: number;
  readonly latched: boolean;
}

export interface WorldOptions {
  readonly environment?: EnvironmentName;
  readonly canaryTraffic?: number;
  readonly stableImageTag?: string;
  readonly canaryImageTag?: string;
  readonly latch?: string;
  /** Versions already in the release history (values), oldest first. */
  readonly history?: readonly string[];
  /** False: the State stack predates the history (the parameter does not exist). */
  readonly historyExists?: boolean;
  /** DescribeStacks reads an update stays UPDATE_IN_PROGRESS. */
  readonly updateReads?: number;
  readonly clock?: FakeClock;
}

export class OperatorWorld {
  readonly environment: EnvironmentName;
  readonly stackName: string;
  readonly stackId: string;
  readonly parameters = new Map<string, StoredVersion[]>();
  stackStatus = 'UPDATE_COMPLETE';
  stackParameters: Record<string, string>;
  template: string;
  weights: TrafficWeights;
  readonly events: StackEvent[] = [];
  /** Image tags whose tasks never get healthy: an update to one fails and rolls back. */
  readonly brokenImages = new Set<string>();
  /** Every UpdateStack the fake accepted, in order. */
  readonly updates: UpdateStackCommandInput[] = [];
  private pending?: PendingUpdate;
  private readonly updateReads: number;
  private readonly clock?: FakeClock;
  private eventCounter = 0;

  constructor(options: WorldOptions = {}) {
    this.environment = options.environment ?? 'production';
    this.stackName = serviceStackName(this.environment);
    this.stackId = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${this.stackName}/0a1b2c3d-4e5f-6789-abcd-ef0123456789`;
    this.updateReads = options.updateReads ?? 2;
    if (options.clock) this.clock = options.clock;
    const traffic = options.canaryTraffic ?? 0;
    this.stackParameters = {
      CanaryTraffic: String(traffic),
      StableImageTag: options.stableImageTag ?? 'v1.4.0',
      CanaryImageTag: options.canaryImageTag ?? 'v1.4.0',
      RollbackLatch: `/mcp-rollout/${this.environment}/rollback-latch`,
      BootstrapVersion: '/cdk-bootstrap/hnb659fds/version',
    };
    this.template = JSON.stringify(serviceTemplate());
    const o = outputsFor(this.environment);
    this.seed(o.latchParameterName, [options.latch ?? 'clear']);
    this.weights = parseLatch(options.latch ?? 'clear').latched ? trafficWeights(0) : trafficWeights(traffic);
    if (options.historyExists !== false) this.seed(`/mcp-rollout/${this.environment}/release-history`, ['none', ...(options.history ?? [])]);
  }

  private now(): Date {
    return new Date(this.clock ? this.clock.now() : Date.parse('2026-11-24T10:00:00.000Z'));
  }

  private seed(name: string, values: readonly string[]): void {
    const start = this.now().getTime() - values.length * 60_000;
    this.parameters.set(
      name,
      values.map((value, i) => ({ version: i + 1, value, at: new Date(start + i * 60_000), by: `arn:aws:iam::${ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role`, labels: [] })),
    );
  }

  /** The values stored for a parameter, oldest first. */
  values(name: string): string[] {
    return (this.parameters.get(name) ?? []).map((v) => v.value);
  }

  historyValues(): string[] {
    return this.values(`/mcp-rollout/${this.environment}/release-history`).filter((v) => v !== 'none');
  }

  // ------------------------------------------------------------------------------------------
  // SSM

  getParameter(name: string) {
    const versions = this.parameters.get(name);
    const last = versions?.[versions.length - 1];
    if (!last) throw ssmError('ParameterNotFound', '');
    return { Parameter: { Name: name, Type: 'String', Value: last.value, Version: last.version, LastModifiedDate: last.at } };
  }

  putParameter(input: PutParameterCommandInput) {
    const name = input.Name ?? '';
    const value = input.Value ?? '';
    if (value.length > MAX_VALUE_LENGTH) {
      throw ssmError('ValidationException', `Standard tier parameters support a maximum parameter value of ${MAX_VALUE_LENGTH} characters.`);
    }
    const versions = this.parameters.get(name);
    if (versions && !input.Overwrite) throw ssmError('ParameterAlreadyExists', 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.');
    if (!versions && !input.Type) throw ssmError('ValidationException', 'A parameter type is required when you create a parameter.');
    const list = versions ?? [];
    if (list.length >= MAX_VERSIONS) {
      const oldest = list[0]!;
      if (oldest.labels.length > 0) {
        throw ssmError(
          'ParameterMaxVersionLimitExceeded',
          `You attempted to create a new version of ${name} by calling the PutParameter API with the overwrite flag. Version ${oldest.version}, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.`,
        );
      }
      list.shift();
    }
    const version = (list[list.length - 1]?.version ?? 0) + 1;
    list.push({ version, value, at: this.now(), by: CALLER_ARN, labels: [] });
    this.parameters.set(name, list);
    return { Version: version, Tier: 'Standard' as const };
  }

  getParameterHistory(input: GetParameterHistoryCommandInput) {
    const max = input.MaxResults ?? 50;
    if (max < 1 || max > 50) throw ssmError('ValidationException', `1 validation error detected: Value '${max}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 50`);
    const versions = this.parameters.get(input.Name ?? '');
    if (!versions) throw ssmError('ParameterNotFound', '');
    const start = input.NextToken ? Number(input.NextToken) : 0;
    const page = versions.slice(start, start + max);
    return {
      Parameters: page.map((v) => ({
        Name: input.Name,
        Type: 'String' as const,
        Value: v.value,
        Version: v.version,
        LastModifiedDate: v.at,
        LastModifiedUser: v.by,
        Labels: [...v.labels],
        Tier: 'Standard' as const,
      })),
      ...(start + max < versions.length ? { NextToken: String(start + max) } : {}),
    };
  }

  labelVersion(name: string, version: number, label: string) {
    const v = this.parameters.get(name)?.find((p) => p.version === version);
    if (!v) throw ssmError('ParameterVersionNotFound', '');
    v.labels.push(label);
    return { InvalidLabels: [], ParameterVersion: version };
  }

  // ------------------------------------------------------------------------------------------
  // CloudFormation

  describeStack(): { Stacks: Stack[] } {
    if (this.pending) {
      if (this.pending.readsLeft > 0) this.pending.readsLeft -= 1;
      else this.finishUpdate();
    }
    const o = outputsFor(this.environment);
    return {
      Stacks: [
        {
          StackId: this.stackId,
          StackName: this.stackName,
          StackStatus: this.stackStatus as Stack['StackStatus'],
          CreationTime: new Date('2026-11-01T09:00:00Z'),
          LastUpdatedTime: new Date('2026-11-24T09:30:00Z'),
          Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
          RoleARN: `arn:aws:iam::${ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-${REGION}`,
          Parameters: Object.entries(this.stackParameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
          Outputs: (Object.keys(o) as ServiceOutputKey[]).map((key) => ({ OutputKey: SERVICE_OUTPUTS[key], OutputValue: o[key] })),
        },
      ],
    };
  }

  getTemplate() {
    return { TemplateBody: this.template, StagesAvailable: ['Original' as const, 'Processed' as const] };
  }

  updateStack(input: UpdateStackCommandInput) {
    if (input.StackName !== this.stackName && input.StackName !== this.stackId) throw cfnError('ValidationError', `Stack with id ${input.StackName} does not exist`);
    if (!UPDATABLE.has(this.stackStatus)) {
      throw cfnError('ValidationError', `Stack:${this.stackId} is in ${this.stackStatus} state and can not be updated.`);
    }
    const sources = [input.TemplateBody !== undefined, input.TemplateURL !== undefined, input.UsePreviousTemplate === true].filter(Boolean).length;
    if (sources !== 1) throw cfnError('ValidationError', 'Exactly one of TemplateBody, TemplateURL or UsePreviousTemplate must be specified.');
    const template = input.TemplateBody ?? this.template;
    const declared = (JSON.parse(template) as { Parameters: Record<string, { Default?: unknown; AllowedPattern?: string }> }).Parameters;
    const given = new Map((input.Parameters ?? []).map((p: Parameter) => [p.ParameterKey ?? '', p]));
    const unknown = [...given.keys()].filter((k) => !(k in declared));
    if (unknown.length > 0) throw cfnError('ValidationError', `Parameters: [${unknown.join(', ')}] do not exist in the template`);
    const next: Record<string, string> = {};
    for (const [key, spec] of Object.entries(declared)) {
      const p = given.get(key);
      const value = p?.UsePreviousValue ? this.stackParameters[key] : p?.ParameterValue ?? (spec.Default === undefined ? undefined : String(spec.Default));
      if (value === undefined) throw cfnError('ValidationError', `Parameters: [${key}] must have values`);
      if (spec.AllowedPattern && !new RegExp(spec.AllowedPattern).test(value)) {
        throw cfnError('ValidationError', `Parameter '${key}' must match pattern ${spec.AllowedPattern}`);
      }
      next[key] = value;
    }
    const hasIam = Object.values((JSON.parse(template) as { Resources: Record<string, { Type: string }> }).Resources).some((r) => r.Type.startsWith('AWS::IAM::'));
    const caps = input.Capabilities ?? [];
    if (hasIam && !caps.includes('CAPABILITY_IAM') && !caps.includes('CAPABILITY_NAMED_IAM')) {
      throw cfnError('InsufficientCapabilitiesException', 'Requires capabilities : [CAPABILITY_IAM]');
    }
    if (template === this.template && Object.entries(next).every(([k, v]) => this.stackParameters[k] === v)) {
      throw cfnError('ValidationError', 'No updates are to be performed.');
    }
    this.updates.push(input);
    const latched = parseLatch(this.values(`/mcp-rollout/${this.environment}/rollback-latch`).at(-1) ?? 'clear').latched;
    const fails = this.brokenImages.has(next.StableImageTag ?? '') || this.brokenImages.has(next.CanaryImageTag ?? '');
    this.pending = { ...(input.ClientRequestToken ? { token: input.ClientRequestToken } : {}), previous: this.stackParameters, previousTemplate: this.template, fails, readsLeft: this.updateReads, latched };
    this.stackParameters = next;
    this.template = template;
    this.stackStatus = 'UPDATE_IN_PROGRESS';
    this.event('UPDATE_IN_PROGRESS', 'User Initiated');
    return { StackId: this.stackId };
  }

  /** What CloudFormation does by itself once the resources are updated (or could not be). */
  private finishUpdate(): void {
    const p = this.pending!;
    this.pending = undefined;
    if (p.fails) {
      const image = this.brokenImages.has(this.stackParameters.StableImageTag ?? '') ? this.stackParameters.StableImageTag : this.stackParameters.CanaryImageTag;
      this.event('UPDATE_FAILED', `Resource handler returned message: "Error occurred during operation 'ECS Deployment Circuit Breaker was triggered'." (image ${image})`, 'StableService', p.token);
      this.event('UPDATE_ROLLBACK_IN_PROGRESS', 'The following resource(s) failed to update: [StableService].', undefined, p.token);
      this.stackParameters = p.previous;
      this.template = p.previousTemplate;
      this.stackStatus = 'UPDATE_ROLLBACK_COMPLETE';
      this.event('UPDATE_ROLLBACK_COMPLETE', '', undefined, p.token);
      return;
    }
    this.weights = p.latched ? trafficWeights(0) : trafficWeights(Number(this.stackParameters.CanaryTraffic));
    this.stackStatus = 'UPDATE_COMPLETE';
    this.event('UPDATE_COMPLETE', '', undefined, p.token);
  }

  private event(status: string, reason: string, logicalId = this.stackName, token = this.pending?.token): void {
    this.eventCounter += 1;
    this.events.unshift({
      StackId: this.stackId,
      StackName: this.stackName,
      EventId: `event-${this.eventCounter}`,
      LogicalResourceId: logicalId,
      ResourceType: logicalId === this.stackName ? 'AWS::CloudFormation::Stack' : 'AWS::ECS::Service',
      ResourceStatus: status as StackEvent['ResourceStatus'],
      ...(reason ? { ResourceStatusReason: reason } : {}),
      Timestamp: this.now(),
      ...(token ? { ClientRequestToken: token } : {}),
    });
  }

  // ------------------------------------------------------------------------------------------
  // ELB

  describeRules() {
    return rules(this.environment, this.weights.stable, this.weights.canary);
  }

  /** Puts this world behind the shared client mocks; any call it does not model is refused. */
  install(): this {
    const refuse = (service: string) => async (input: unknown) => {
      throw new Error(`the ${service} fake does not model this call: ${JSON.stringify(input)}`);
    };
    mocks.ssm.onAnyCommand().callsFake(refuse('SSM'));
    mocks.ssm.on(GetParameterCommand).callsFake(async (input: { Name: string }) => this.getParameter(input.Name));
    mocks.ssm.on(PutParameterCommand).callsFake(async (input: PutParameterCommandInput) => this.putParameter(input));
    mocks.ssm.on(GetParameterHistoryCommand).callsFake(async (input: GetParameterHistoryCommandInput) => this.getParameterHistory(input));
    mocks.ssm.on(LabelParameterVersionCommand).callsFake(async (input: { Name: string; ParameterVersion: number; Labels: string[] }) =>
      this.labelVersion(input.Name, input.ParameterVersion, input.Labels[0] ?? ''),
    );
    mocks.cloudformation.onAnyCommand().callsFake(refuse('CloudFormation'));
    mocks.cloudformation.on(DescribeStacksCommand).callsFake(async (input: { StackName: string }) => {
      if (input.StackName !== this.stackName) throw cfnError('ValidationError', `Stack with id ${input.StackName} does not exist`);
      return this.describeStack();
    });
    mocks.cloudformation.on(UpdateStackCommand).callsFake(async (input: UpdateStackCommandInput) => this.updateStack(input));
    mocks.cloudformation.on(GetTemplateCommand).callsFake(async () => this.getTemplate());
    mocks.cloudformation.on(DescribeStackEventsCommand).callsFake(async () => ({ StackEvents: [...this.events] }));
    mocks.elb.on(DescribeRulesCommand).callsFake(async () => this.describeRules());
    return this;
  }
}
