/**
 * The inputs the rollback function accepts, narrowed to one request. Anything else is refused with
 * a reason and changes nothing.
 *
 * - the CloudWatch alarm Lambda action (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-actions-Lambda);
 * - the same alarm delivered through SNS (the alarm's JSON in `Records[0].Sns.Message`);
 * - the EventBridge "CloudWatch Alarm State Change" event;
 * - a manual request `{ action: "rollback", reason, requestedBy, dryRun }`;
 * - the enforce events (lib/shared/aws-events.ts): a Service stack operation that ended, a flag
 *   deployment that started or ended. They never start a rollback; while one is in force they drive
 *   the environment back to the latched state.
 */
import {
  APPCONFIG_DEPLOYMENT_EVENTS,
  FLAG_DEPLOYMENT_EVENTS_TO_ENFORCE,
  STACK_STATUSES_TO_ENFORCE,
  STACK_STATUS_EVENT,
  stackNameOfId,
} from '../../lib/shared/aws-events';

export interface AlarmRequest {
  readonly kind: 'alarm';
  readonly alarmName: string;
  readonly reason: string;
  readonly via: 'lambda-action' | 'sns' | 'eventbridge';
  readonly dryRun: false;
}

export interface ManualRequest {
  readonly kind: 'manual';
  readonly requestedBy: string;
  readonly reason: string;
  readonly dryRun: boolean;
}

/** Something started or ended that may write live state: re-assert the latched state if a rollback is in force. */
export interface EnforceRequest {
  readonly kind: 'enforce';
  /** The stack, or `flag deployment #N`. */
  readonly name: string;
  /** What ended: `Production-Service UPDATE_COMPLETE`, `flag deployment #7 On Deployment Complete`. */
  readonly reason: string;
  readonly cause: { readonly type: 'stack'; readonly status: string } | { readonly type: 'flags'; readonly detailType: string; readonly deploymentNumber: number };
  readonly dryRun: false;
}

export type RollbackRequest = AlarmRequest | ManualRequest | EnforceRequest;

/** What the parser needs to know about this environment. */
export interface Acceptance {
  readonly triggerAlarms: ReadonlySet<string>;
  readonly serviceStackName: string;
  readonly flagEnvironmentId: string;
}

export class RejectedInput extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RejectedInput';
  }
}

type Json = Record<string, unknown>;

const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function text(record: Json, field: string, where: string): string {
  const value = record[field];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new RejectedInput(`${where}.${field} must be a non-empty string, got ${JSON.stringify(value) ?? 'nothing'}`);
  }
  return value;
}

/**
 * A trigger in ALARM acts, whatever its previous state; OK and INSUFFICIENT_DATA do not. An
 * invocation with the previous state ALARM is a real action too: AWS's composite-alarm sample
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-actions-Lambda)
 * is ALARM -> ALARM with `actionsSuppressedBy: "WaitPeriod"`, the actions a suppressor held back.
 * Acting again is safe: the rollback changes only what is not rolled back yet.
 */
function alarmTransition(name: string, state: string, reason: string, via: AlarmRequest['via'], triggerAlarms: ReadonlySet<string>): AlarmRequest {
  if (!triggerAlarms.has(name)) {
    throw new RejectedInput(`alarm "${name}" is not a rollback trigger of this environment (known: ${[...triggerAlarms].join(', ')})`);
  }
  if (state !== 'ALARM') throw new RejectedInput(`alarm "${name}" moved to ${state}, not ALARM: nothing to do`);
  return { kind: 'alarm', alarmName: name, reason, via, dryRun: false };
}

/** `{ alarmName, state: { value, reason }, previousState: { value } }`, as both alarm events carry it. */
function stateChange(data: Json, where: string, via: AlarmRequest['via'], triggerAlarms: ReadonlySet<string>): AlarmRequest {
  const state = isRecord(data.state) ? data.state : {};
  return alarmTransition(text(data, 'alarmName', where), text(state, 'value', `${where}.state`), typeof state.reason === 'string' ? state.reason : '', via, triggerAlarms);
}

function stackOperation(event: Json, accept: Acceptance): EnforceRequest {
  const detail = isRecord(event.detail) ? event.detail : {};
  const stackId = text(detail, 'stack-id', 'detail');
  const status = text(isRecord(detail['status-details']) ? detail['status-details'] : {}, 'status', 'detail.status-details');
  const name = stackNameOfId(stackId);
  if (name !== accept.serviceStackName) throw new RejectedInput(`stack ${name ?? stackId} is not this environment's Service stack (${accept.serviceStackName}): nothing to do`);
  if (!(STACK_STATUSES_TO_ENFORCE as readonly string[]).includes(status)) throw new RejectedInput(`stack ${name} is ${status}, not an end of an operation: nothing to do`);
  return { kind: 'enforce', name, reason: `${name} ${status}`, cause: { type: 'stack', status }, dryRun: false };
}

function flagDeployment(event: Json, accept: Acceptance): EnforceRequest {
  const detailType = event['detail-type'] as string;
  const detail = isRecord(event.detail) ? event.detail : {};
  const environment = isRecord(detail.Environment) ? detail.Environment : {};
  const environmentId = text(environment, 'Id', 'detail.Environment');
  if (environmentId !== accept.flagEnvironmentId) {
    throw new RejectedInput(`flag deployment of AppConfig environment ${environmentId}, not this one (${accept.flagEnvironmentId}): nothing to do`);
  }
  const number = detail.DeploymentNumber;
  if (typeof number !== 'number' || !Number.isInteger(number)) throw new RejectedInput(`detail.DeploymentNumber must be an integer, got ${JSON.stringify(number) ?? 'nothing'}`);
  return { kind: 'enforce', name: `flag deployment #${number}`, reason: `flag deployment #${number} ${detailType}`, cause: { type: 'flags', detailType, deploymentNumber: number }, dryRun: false };
}

export function parseRollbackEvent(event: unknown, accept: Acceptance): RollbackRequest {
  const { triggerAlarms } = accept;
  if (!isRecord(event)) throw new RejectedInput(`event must be a JSON object, got ${JSON.stringify(event) ?? 'nothing'}`);

  // A Service stack operation that ended, a flag deployment that started or ended (the enforce path).
  if (event.source === STACK_STATUS_EVENT.source && event['detail-type'] === STACK_STATUS_EVENT.detailType) return stackOperation(event, accept);
  if (event.source === APPCONFIG_DEPLOYMENT_EVENTS.source && (FLAG_DEPLOYMENT_EVENTS_TO_ENFORCE as readonly unknown[]).includes(event['detail-type'])) {
    return flagDeployment(event, accept);
  }

  // Manual request.
  if ('action' in event) {
    if (event.action !== 'rollback') throw new RejectedInput(`action must be "rollback", got ${JSON.stringify(event.action)}`);
    const unknown = Object.keys(event).filter((k) => !['action', 'reason', 'requestedBy', 'dryRun'].includes(k));
    if (unknown.length > 0) throw new RejectedInput(`manual request has unknown field(s) ${unknown.join(', ')}; allowed: action, reason, requestedBy, dryRun`);
    if (event.dryRun !== undefined && typeof event.dryRun !== 'boolean') {
      throw new RejectedInput(`manual request.dryRun must be true or false, got ${JSON.stringify(event.dryRun)}`);
    }
    return {
      kind: 'manual',
      reason: text(event, 'reason', 'manual request'),
      requestedBy: text(event, 'requestedBy', 'manual request'),
      dryRun: event.dryRun === true,
    };
  }

  // CloudWatch alarm Lambda action, and the EventBridge alarm state change: the same fields in
  // `alarmData` and `detail`.
  if (event.source === 'aws.cloudwatch' && isRecord(event.alarmData)) {
    return stateChange(event.alarmData, 'alarmData', 'lambda-action', triggerAlarms);
  }
  if (event.source === 'aws.cloudwatch' && event['detail-type'] === 'CloudWatch Alarm State Change' && isRecord(event.detail)) {
    return stateChange(event.detail, 'detail', 'eventbridge', triggerAlarms);
  }

  // The alarm through SNS.
  if (Array.isArray(event.Records)) {
    if (event.Records.length !== 1) throw new RejectedInput(`SNS event must hold exactly one record, got ${event.Records.length}`);
    const record = event.Records[0] as unknown;
    if (!isRecord(record) || record.EventSource !== 'aws:sns' || !isRecord(record.Sns)) {
      throw new RejectedInput('Records[0] is not an SNS record (EventSource "aws:sns" with an Sns object)');
    }
    const raw = text(record.Sns, 'Message', 'Records[0].Sns');
    let message: unknown;
    try {
      message = JSON.parse(raw);
    } catch {
      throw new RejectedInput(`Records[0].Sns.Message is not JSON: ${raw.slice(0, 80)}`);
    }
    if (!isRecord(message)) throw new RejectedInput('Records[0].Sns.Message must be a CloudWatch alarm notification object');
    return alarmTransition(
      text(message, 'AlarmName', 'Sns.Message'),
      text(message, 'NewStateValue', 'Sns.Message'),
      typeof message.NewStateReason === 'string' ? message.NewStateReason : '',
      'sns',
      triggerAlarms,
    );
  }

  throw new RejectedInput(
    'event is none of: a CloudWatch alarm action, an SNS alarm notification, an EventBridge alarm state change, a CloudFormation stack status change, an AppConfig deployment event, or { action: "rollback", reason, requestedBy }',
  );
}
