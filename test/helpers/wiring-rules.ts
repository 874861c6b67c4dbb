/**
 * Wiring rules over a synthesized template: each returns the problems it finds, one line each,
 * and an empty list when the template follows the rule. They read only the template (what AWS
 * gets), never the constructs, so they hold for any stack, ours or a negative control's. The AWS
 * behaviour each rule models is listed, with its page, in docs/AWS-BEHAVIOURS.md.
 */
import { PSEUDO, decide, render, type Caller, type Json } from './iam-policy';

export type WiringRule = (template: Json, stackName: string) => string[];

type Resources = Record<string, { Type: string; Properties?: Json }>;

const resourcesOf = (template: Json) => (template.Resources ?? {}) as Resources;
const props = (resources: Resources, id: string): Json => resources[id]?.Properties ?? {};
const refId = (value: unknown): string | undefined =>
  value && typeof value === 'object' && typeof (value as Json).Ref === 'string' ? ((value as Json).Ref as string) : undefined;
const getAttId = (value: unknown): string | undefined =>
  value && typeof value === 'object' && Array.isArray((value as Json)['Fn::GetAtt']) ? ((value as Json)['Fn::GetAtt'] as string[])[0] : undefined;
const asList = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const statementsOf = (document: unknown): Json[] => asList((document as Json | undefined)?.Statement) as Json[];

/** The ARN CloudWatch gives an alarm: its name, or the name CloudFormation generates without one. */
function alarmArn(resources: Resources, id: string, stackName: string): string {
  const name = props(resources, id).AlarmName;
  return `arn:${PSEUDO.partition}:cloudwatch:${PSEUDO.region}:${PSEUDO.account}:alarm:${name === undefined ? `${stackName}-${id}-GENERATED` : render(name, stackName)}`;
}

// ---------------------------------------------------------------------------------------------
// Topics: who may publish, and whether the key lets them

/** The statements of the one topic policy of `topicId`, or the problem that prevents a check. */
function topicPolicy(resources: Resources, topicId: string): Json[] | string {
  const policies = Object.values(resources).filter(
    (r) => r.Type === 'AWS::SNS::TopicPolicy' && asList(r.Properties?.Topics).some((t) => refId(t) === topicId),
  );
  // A topic policy replaces the topic's default access policy; with none, nothing here says who may publish.
  if (policies.length === 0) return `topic ${topicId} has no AWS::SNS::TopicPolicy in this template, so its publishers cannot be checked`;
  if (policies.length > 1) return `topic ${topicId} has ${policies.length} topic policies; SNS keeps only the last one written`;
  return statementsOf(policies[0]!.Properties?.PolicyDocument);
}

/** The key policy of the topic's key, `null` for an unencrypted topic, or the problem. */
function topicKey(resources: Resources, topicId: string): { id: string; statements: Json[] } | null | string {
  const key = props(resources, topicId).KmsMasterKeyId;
  if (key === undefined) return null;
  const keyId = getAttId(key) ?? refId(key);
  if (!keyId || resources[keyId]?.Type !== 'AWS::KMS::Key') {
    return `topic ${topicId} is encrypted with ${JSON.stringify(key)}, a key outside this template (an AWS managed key's policy cannot let services use it)`;
  }
  return { id: keyId, statements: statementsOf(props(resources, keyId).KeyPolicy) };
}

const PUBLISH_KEY_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'] as const;

/**
 * Can AWS service `service` publish to the topic, carrying the condition keys `context`? The topic
 * policy must allow it, and an encrypted topic's key policy must let it use the key. A service
 * that publishes to an encrypted topic carries no source keys to KMS in this model: the SNS
 * developer guide documents an unconditioned key statement for service event sources.
 */
function servicePublishProblems(resources: Resources, topicId: string, service: string, context: Record<string, string>): string[] {
  const problems: string[] = [];
  const policy = topicPolicy(resources, topicId);
  // Requests to an encrypted topic must use HTTPS (SNS developer guide, server-side encryption).
  const request = { caller: { service }, action: 'sns:Publish', resource: `ref:${topicId}`, context: { ...context, 'aws:SecureTransport': 'true' } };
  if (typeof policy === 'string') problems.push(policy);
  else if (decide(policy, request, true) !== 'allow') problems.push(`the policy of topic ${topicId} does not let ${service} publish (${describe(context)})`);
  const key = topicKey(resources, topicId);
  if (typeof key === 'string') problems.push(key);
  else if (key) {
    for (const action of PUBLISH_KEY_ACTIONS) {
      const decision = decide(key.statements, { caller: { service }, action, resource: `att:${key.id}.Arn`, context: {} }, true);
      if (decision !== 'allow') problems.push(`key ${key.id} of topic ${topicId} does not let ${service} call ${action}`);
    }
  }
  return problems;
}

/** The statements of every identity policy attached to role `roleId` in the template. */
function roleStatements(resources: Resources, roleId: string): Json[] {
  const inline = asList(props(resources, roleId).Policies).flatMap((p) => statementsOf((p as Json).PolicyDocument));
  const attached = Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && asList(r.Properties?.Roles).some((x) => refId(x) === roleId))
    .flatMap((r) => statementsOf(r.Properties?.PolicyDocument));
  return [...inline, ...attached];
}

/**
 * Can IAM role `roleId` of this account publish to the topic? Its own policies must allow
 * sns:Publish (the topic policy must not deny it), and, for an encrypted topic, kms on the key,
 * with the key policy enabling IAM policies (or naming the role).
 */
function rolePublishProblems(resources: Resources, topicId: string, roleId: string): string[] {
  const problems: string[] = [];
  const caller: Caller = { roleArn: `att:${roleId}.Arn` };
  const identity = roleStatements(resources, roleId);
  const publish = { caller, action: 'sns:Publish', resource: `ref:${topicId}`, context: { 'aws:SecureTransport': 'true' } };
  const policy = topicPolicy(resources, topicId);
  if (typeof policy === 'string') problems.push(policy);
  else if (decide(policy, publish, true) === 'deny') problems.push(`the policy of topic ${topicId} denies role ${roleId} sns:Publish`);
  if (decide(identity, publish, false) !== 'allow') problems.push(`role ${roleId} may not sns:Publish to topic ${topicId}`);
  const key = topicKey(resources, topicId);
  if (typeof key === 'string') problems.push(key);
  else if (key) {
    for (const action of PUBLISH_KEY_ACTIONS) {
      const request = { caller, action, resource: `att:${key.id}.Arn`, context: {} };
      if (decide(key.statements, request, true) !== 'allow') problems.push(`key ${key.id} neither names role ${roleId} nor enables IAM policies for ${action}`);
      if (decide(identity, request, false) !== 'allow') problems.push(`role ${roleId} may not call ${action} on key ${key.id} of topic ${topicId}`);
    }
  }
  return problems;
}

function describe(context: Record<string, string>): string {
  const keys = Object.entries(context).map(([k, v]) => `${k}=${v}`);
  return keys.length === 0 ? 'no source condition keys' : keys.join(', ');
}

const topicIdOf = (resources: Resources, value: unknown): string | undefined => {
  const id = refId(value);
  return id && resources[id]?.Type === 'AWS::SNS::Topic' ? id : undefined;
};

/** An SNS ARN written out: a topic this template cannot check. */
const isForeignTopic = (value: unknown) => typeof value === 'string' && value.includes(':sns:');

/**
 * Every alarm action's topic lets CloudWatch publish, for this alarm: CloudWatch calls sns:Publish
 * as `cloudwatch.amazonaws.com` with the alarm's ARN as `aws:SourceArn` and the account as
 * `aws:SourceAccount` (https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger),
 * for ALARM, OK and INSUFFICIENT_DATA actions alike.
 */
export const alarmActionsReachTheirTopics: WiringRule = (template, stackName) => {
  const resources = resourcesOf(template);
  return Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm' || r.Type === 'AWS::CloudWatch::CompositeAlarm')
    .flatMap(([id]) => {
      const p = props(resources, id);
      const actions = [...asList(p.AlarmActions), ...asList(p.OKActions), ...asList(p.InsufficientDataActions)];
      const context = { 'aws:SourceArn': alarmArn(resources, id, stackName), 'aws:SourceAccount': PSEUDO.account };
      const topics = [...new Set(actions.map((a) => topicIdOf(resources, a)).filter((t): t is string => t !== undefined))];
      return [
        ...actions.filter(isForeignTopic).map((a) => `alarm ${id}: action ${String(a)} is a topic outside this template`),
        ...topics.flatMap((topic) => servicePublishProblems(resources, topic, 'cloudwatch.amazonaws.com', context).map((p) => `alarm ${id}: ${p}`)),
      ];
    });
};

/**
 * Every EventBridge rule's SNS target lets EventBridge publish. Without a role, EventBridge uses the
 * topic's resource policy, and a topic policy statement for EventBridge cannot use a Condition block
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions):
 * the request is modelled without source keys.
 */
export const ruleTargetsReachTheirTopics: WiringRule = (template) => {
  const resources = resourcesOf(template);
  return Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::Events::Rule')
    .flatMap(([id]) =>
      asList(props(resources, id).Targets).flatMap((target) => {
        const t = target as Json;
        if (isForeignTopic(t.Arn)) return [`rule ${id}: target ${String(t.Arn)} is a topic outside this template`];
        const topic = topicIdOf(resources, t.Arn);
        if (!topic) return [];
        const role = getAttId(t.RoleArn);
        const problems = role ? rolePublishProblems(resources, topic, role) : servicePublishProblems(resources, topic, 'events.amazonaws.com', {});
        return problems.map((p) => `rule ${id}: ${p}`);
      }),
    );
};

/**
 * Every role that publishes to a topic of this template can: Lambda sends an asynchronous
 * invocation's record to its destination with the function's execution role
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html), and a role
 * granted sns:Publish (the rollback function's own Publish) needs the topic key too.
 */
export const rolePublishersReachTheirTopics: WiringRule = (template) => {
  const resources = resourcesOf(template);
  const destinations = Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::EventInvokeConfig')
    .flatMap(([id]) => {
      const p = props(resources, id);
      const config = (p.DestinationConfig ?? {}) as Json;
      const functionId = refId(p.FunctionName);
      const roleId = functionId ? getAttId(props(resources, functionId).Role) : undefined;
      return [config.OnFailure, config.OnSuccess].flatMap((d) => {
        const topic = topicIdOf(resources, (d as Json | undefined)?.Destination);
        if (!topic) return [];
        if (!roleId) return [`destination ${id}: the function's execution role is not in this template`];
        return rolePublishProblems(resources, topic, roleId).map((problem) => `destination ${id}: ${problem}`);
      });
    });
  const grants = Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::IAM::Policy')
    .flatMap(([id]) => {
      const p = props(resources, id);
      const topics = statementsOf(p.PolicyDocument)
        .filter((s) => s.Effect === 'Allow' && asList(s.Action).includes('sns:Publish'))
        .flatMap((s) => asList(s.Resource).map((r) => topicIdOf(resources, r)))
        .filter((t): t is string => t !== undefined);
      return asList(p.Roles)
        .map(refId)
        .filter((r): r is string => r !== undefined)
        .flatMap((role) => topics.flatMap((topic) => rolePublishProblems(resources, topic, role).map((problem) => `policy ${id}: ${problem}`)));
    });
  return [...destinations, ...grants];
};

// ---------------------------------------------------------------------------------------------
// AppConfig monitors

/**
 * Every AppConfig monitor's role can be assumed by AppConfig and can read its alarm. Reading a
 * composite alarm needs cloudwatch:DescribeAlarms scoped to `*`
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html).
 */
export const monitorsCanReadTheirAlarms: WiringRule = (template, stackName) => {
  const resources = resourcesOf(template);
  const alarms = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm' || r.Type === 'AWS::CloudWatch::CompositeAlarm');
  return Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::AppConfig::Environment')
    .flatMap(([envId]) =>
      asList(props(resources, envId).Monitors).flatMap((monitor) => {
        const m = monitor as Json;
        const arn = render(m.AlarmArn, stackName);
        const alarm = alarms.find(([id]) => alarmArn(resources, id, stackName) === arn || `att:${id}.Arn` === arn);
        if (!alarm) return [`environment ${envId}: monitor ${arn} is no alarm of this template`];
        const [alarmId, { Type }] = alarm;
        const roleId = getAttId(m.AlarmRoleArn);
        if (!roleId || resources[roleId]?.Type !== 'AWS::IAM::Role') return [`environment ${envId}: the role of monitor ${alarmId} is not a role of this template`];
        const problems: string[] = [];
        const trusts = statementsOf(props(resources, roleId).AssumeRolePolicyDocument).some(
          (s) =>
            s.Effect === 'Allow' &&
            asList(s.Action).includes('sts:AssumeRole') &&
            asList((s.Principal as Json | undefined)?.Service).includes('appconfig.amazonaws.com'),
        );
        if (!trusts) problems.push(`role ${roleId} cannot be assumed by appconfig.amazonaws.com`);
        const composite = Type === 'AWS::CloudWatch::CompositeAlarm';
        const request = { caller: { roleArn: `att:${roleId}.Arn` }, action: 'cloudwatch:DescribeAlarms', resource: composite ? '*' : arn, context: {} };
        if (decide(roleStatements(resources, roleId), request, false) !== 'allow') {
          problems.push(
            composite
              ? `role ${roleId} cannot read composite alarm ${alarmId}: that needs cloudwatch:DescribeAlarms on "*"`
              : `role ${roleId} cannot read alarm ${alarmId} (cloudwatch:DescribeAlarms on ${arn})`,
          );
        }
        return problems.map((p) => `environment ${envId}: ${p}`);
      }),
    );
};

// ---------------------------------------------------------------------------------------------
// Deployability in every region and account

/**
 * No map lookup keyed on the region without a fallback: the standard Fn::FindInMap cannot handle
 * a missing key, and only the AWS::LanguageExtensions transform adds a DefaultValue
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-findinmap-enhancements.html).
 * An Fn::If around it does not help: the lookup fails in the branch not taken too
 * (https://github.com/aws-cloudformation/aws-cloudformation-templates/issues/271).
 */
export const noRegionLookupWithoutFallback: WiringRule = (template) => {
  const transforms = asList(template.Transform);
  const problems: string[] = [];
  const walk = (node: unknown, path: string): void => {
    if (Array.isArray(node)) node.forEach((n, i) => walk(n, `${path}[${i}]`));
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node as Json)) {
        if (key === 'Fn::FindInMap') {
          const [map, ...rest] = value as unknown[];
          const keyedOnRegion = JSON.stringify(rest.slice(0, 2)).includes('"AWS::Region"');
          const fallback = (rest[2] as Json | undefined)?.DefaultValue !== undefined && transforms.includes('AWS::LanguageExtensions');
          if (keyedOnRegion && !fallback) problems.push(`${path}: Fn::FindInMap on ${String(map)} is keyed on AWS::Region with no fallback; a region missing from the map fails the deploy`);
        }
        walk(value, `${path}.${key}`);
      }
    }
  };
  walk(template.Resources, 'Resources');
  walk(template.Outputs, 'Outputs');
  walk(template.Conditions, 'Conditions');
  return problems;
};

/**
 * No reserved concurrency: Lambda keeps 100 concurrent executions unreserved per account and
 * region, so any reservation fails to deploy where the quota is low
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html).
 */
export const noReservedConcurrency: WiringRule = (template) => {
  const resources = resourcesOf(template);
  return Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties?.ReservedConcurrentExecutions !== undefined)
    .map(
      ([id, r]) =>
        `function ${id} reserves ${String(r.Properties!.ReservedConcurrentExecutions)} concurrent executions; an account that cannot keep 100 unreserved refuses the deploy`,
    );
};

// ---------------------------------------------------------------------------------------------
// AppConfig deployment events

export const APPCONFIG_EVENTBRIDGE_EXTENSION = 'AWS.AppConfig.DeploymentNotificationsToEventBridge';

/**
 * The event AppConfig puts on the default bus for a deployment of `environmentId`, in the shape
 * of the sample in the AppConfig user guide
 * (https://docs.aws.amazon.com/appconfig/latest/userguide/working-with-appconfig-extensions-about-predefined-notification-eventbridge.html).
 */
export function appConfigDeploymentEvent(detailType: string, applicationId: string, environmentId: string): Json {
  return {
    version: '0',
    id: 'c53dbd72-c1a0-2302-9ed6-c076e9128277',
    'detail-type': detailType,
    source: 'aws.appconfig',
    account: PSEUDO.account,
    time: '2022-07-09T01:44:15Z',
    region: PSEUDO.region,
    resources: [`arn:${PSEUDO.partition}:appconfig:${PSEUDO.region}:${PSEUDO.account}:extensionassociation/z763ff5`],
    detail: {
      InvocationId: '5tfjcig',
      Parameters: {},
      Type: detailType.replace(/ /g, ''),
      Application: { Id: applicationId, Name: 'MyApp' },
      Environment: { Id: environmentId, Name: 'MyEnv' },
      ConfigurationProfile: { Id: 'ga3tqep', Name: 'MyConfigProfile' },
      DeploymentNumber: 1,
      ConfigurationVersion: '1',
    },
  };
}

/**
 * Does an EventBridge pattern match the event? Exact values and nested objects only; any content
 * filter (prefix, numeric, anything-but...) throws, as unmodelled
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html).
 */
export function patternMatches(pattern: Json, event: Json, stackName = 'Stack'): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = event[key];
    if (Array.isArray(expected)) {
      const allowed = expected.map((e) => {
        if (e && typeof e === 'object' && !('Ref' in e) && !('Fn::GetAtt' in e) && !('Fn::Join' in e)) {
          throw new Error(`content filter ${JSON.stringify(e)} is not modelled`);
        }
        return render(e, stackName);
      });
      return asList(actual).some((a) => allowed.includes(String(a)));
    }
    return actual !== null && typeof actual === 'object' && patternMatches(expected as Json, actual as Json, stackName);
  });
}

/**
 * Every rule on AppConfig deployment events hears them: AppConfig sends them to the default bus
 * only from a resource associated with the AWS.AppConfig.DeploymentNotificationsToEventBridge
 * extension, and the rule must match those events.
 */
export const appConfigEventRulesHearTheirEvents: WiringRule = (template, stackName) => {
  const resources = resourcesOf(template);
  const sources = Object.values(resources)
    .filter((r) => r.Type === 'AWS::AppConfig::ExtensionAssociation' && r.Properties?.ExtensionIdentifier === APPCONFIG_EVENTBRIDGE_EXTENSION)
    .flatMap((r) => {
      const arn = render(r.Properties!.ResourceIdentifier, stackName);
      const match = /:application\/([^/]+)(?:\/environment\/([^/]+))?/.exec(arn);
      if (!match) return [];
      const [, app, env] = match as unknown as [string, string, string | undefined];
      if (env) return [{ app, env }];
      return Object.entries(resources)
        .filter(([, e]) => e.Type === 'AWS::AppConfig::Environment' && render(e.Properties?.ApplicationId, stackName) === app)
        .map(([envId]) => ({ app, env: `ref:${envId}` }));
    });
  return Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::Events::Rule')
    .flatMap(([id, r]) => {
      const pattern = (r.Properties?.EventPattern ?? {}) as Json;
      if (!asList(pattern.source).includes('aws.appconfig')) return [];
      const problems: string[] = [];
      const bus = r.Properties?.EventBusName;
      if (bus !== undefined && bus !== 'default') problems.push(`rule ${id} listens on bus ${JSON.stringify(bus)}; the extension sends only to the default bus`);
      for (const detailType of asList(pattern['detail-type']).filter((d): d is string => typeof d === 'string' && d.startsWith('On Deployment'))) {
        const heard = sources.some(({ app, env }) => patternMatches(pattern, appConfigDeploymentEvent(detailType, app, env), stackName));
        if (!heard) problems.push(`rule ${id} waits for "${detailType}", but no resource associated with ${APPCONFIG_EVENTBRIDGE_EXTENSION} sends an event it matches`);
      }
      return problems;
    });
};

/** Every rule, by the name the tests show. */
export const WIRING_RULES: Readonly<Record<string, WiringRule>> = {
  'every alarm action topic lets CloudWatch publish for that alarm, and its key lets CloudWatch use it': alarmActionsReachTheirTopics,
  'every EventBridge rule SNS target lets EventBridge publish, and its key lets EventBridge use it': ruleTargetsReachTheirTopics,
  'every role that publishes to a topic (Lambda destinations, direct Publish) may, key included': rolePublishersReachTheirTopics,
  'every AppConfig monitor role can be assumed by AppConfig and read its alarm (composite: on "*")': monitorsCanReadTheirAlarms,
  'no Fn::FindInMap keyed on AWS::Region without a fallback': noRegionLookupWithoutFallback,
  'no reserved concurrency that can fail a deploy': noReservedConcurrency,
  'every rule on AppConfig deployment events matches events an associated extension sends': appConfigEventRulesHearTheirEvents,
};
