/**
 * The wiring rules of test/helpers/wiring-rules.ts over every stack of both stages, each with a
 * negative control that shows the rule can fail. The AWS behaviour behind each rule is listed in
 * docs/AWS-BEHAVIOURS.md ("Alarm, notification and monitor wiring").
 */
import { App, CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { FactName } from 'aws-cdk-lib/region-info';
import type { IConstruct } from 'constructs';
import { ENVIRONMENT_NAMES } from '../lib/shared/environment-names';
import { synthesize } from './helpers/app';
import { testConfig } from './helpers/config';
import type { Json } from './helpers/iam-policy';
import { logicalIdOf } from './helpers/template';
import {
  alarmActionsReachTheirTopics,
  APPCONFIG_EVENTBRIDGE_EXTENSION,
  appConfigEventRulesHearTheirEvents,
  monitorsCanReadTheirAlarms,
  noRegionLookupWithoutFallback,
  noReservedConcurrency,
  rolePublishersReachTheirTopics,
  ruleTargetsReachTheirTopics,
  WIRING_RULES,
} from './helpers/wiring-rules';

// Production with every optional publisher and subscriber (emails, HTTPS, a Slack channel).
const synthesized = synthesize(
  testConfig({
    environments: {
      production: {
        notifications: {
          critical: { emails: ['oncall@example.com'], httpsUrls: ['https://pager.example.com/hook'] },
          info: { emails: ['mcp-team@example.com'] },
          slack: { workspaceId: 'T0123ABCD', channelId: 'C0456EFGH' },
        },
      },
    },
  }),
);

const stacks = ENVIRONMENT_NAMES.flatMap((name) => {
  const stage = synthesized.rollout.stages[name];
  return [stage.stateStack, stage.serviceStack].map((stack) => [stack.stackName, Template.fromStack(stack).toJSON() as Json] as const);
});

describe.each(Object.entries(WIRING_RULES))('%s', (_name, rule) => {
  test.each(stacks)('holds in %s', (stackName, template) => {
    expect(rule(template, stackName)).toEqual([]);
  });
});

describe('the rules see what they check (so an empty result means something)', () => {
  const production = synthesized.service.production;
  test('all 28 metric alarms of production notify a topic of this template', () => {
    const alarms = Object.values(production.findResources('AWS::CloudWatch::Alarm')) as Json[];
    const notifying = alarms.filter((a) => JSON.stringify((a.Properties as Json).AlarmActions).includes('"Ref":"Notifications'));
    expect([alarms.length, notifying.length]).toEqual([28, 28]);
  });

  test('two EventBridge rules target the info topic, one Lambda destination and one role publish to the critical topic, one monitor', () => {
    const info = { Ref: logicalIdOf(synthesized.rollout.stages.production.serviceStack.notifications.topics.info) };
    const rules = Object.values(production.findResources('AWS::Events::Rule')) as Json[];
    const toInfo = rules.filter((r) => ((r.Properties as Json).Targets as Json[]).some((t) => JSON.stringify(t.Arn) === JSON.stringify(info)));
    expect(toInfo).toHaveLength(2);
    production.resourceCountIs('AWS::Lambda::EventInvokeConfig', 1);
    production.resourceCountIs('AWS::AppConfig::Environment', 1);
    expect(JSON.stringify(production.findResources('AWS::AppConfig::Environment'))).toContain('"Monitors"');
  });
});

// ---------------------------------------------------------------------------------------------
// Negative controls: each rule fails on a stack that breaks it.

const id = (construct: IConstruct) => logicalIdOf(construct);
const json = (stack: Stack) => Template.fromStack(stack).toJSON() as Json;
const metric = new cloudwatch.Metric({ namespace: 'Test', metricName: 'Errors' });

function encryptedTopic(stack: Stack, keyGrants: string[] = []) {
  const key = new kms.Key(stack, 'Key');
  if (keyGrants.length > 0) {
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        principals: keyGrants.map((s) => new iam.ServicePrincipal(s)),
        resources: ['*'],
      }),
    );
  }
  const topic = new sns.Topic(stack, 'Topic', { masterKey: key, enforceSSL: true });
  return { key, topic };
}

describe('negative controls', () => {
  test('an alarm on an enforceSSL topic that allows no CloudWatch, encrypted with a key that does not either (the old topics)', () => {
    const stack = new Stack(new App(), 'Bad');
    const { key, topic } = encryptedTopic(stack);
    const alarm = new cloudwatch.Alarm(stack, 'Alarm', { alarmName: 'bad-alarm', metric, threshold: 1, evaluationPeriods: 1 });
    alarm.addAlarmAction(new actions.SnsAction(topic));
    const source = 'aws:SourceArn=arn:aws:cloudwatch:eu-west-1:123456789012:alarm:bad-alarm, aws:SourceAccount=123456789012';
    expect(alarmActionsReachTheirTopics(json(stack), 'Bad')).toEqual([
      `alarm ${id(alarm)}: the policy of topic ${id(topic)} does not let cloudwatch.amazonaws.com publish (${source})`,
      `alarm ${id(alarm)}: key ${id(key)} of topic ${id(topic)} does not let cloudwatch.amazonaws.com call kms:GenerateDataKey`,
      `alarm ${id(alarm)}: key ${id(key)} of topic ${id(topic)} does not let cloudwatch.amazonaws.com call kms:Decrypt`,
    ]);
  });

  test("a topic that lets CloudWatch publish only for another environment's alarms", () => {
    const stack = new Stack(new App(), 'Bad');
    const { topic } = encryptedTopic(stack, ['cloudwatch.amazonaws.com']);
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['sns:Publish'],
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        resources: [topic.topicArn],
        conditions: { ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: 'mcp-rollout-staging-*', arnFormat: 1 as never }) } },
      }),
    );
    const alarm = new cloudwatch.Alarm(stack, 'Alarm', { alarmName: 'mcp-rollout-production-x-critical', metric, threshold: 1, evaluationPeriods: 1 });
    alarm.addOkAction(new actions.SnsAction(topic));
    expect(alarmActionsReachTheirTopics(json(stack), 'Bad')).toEqual([
      `alarm ${id(alarm)}: the policy of topic ${id(topic)} does not let cloudwatch.amazonaws.com publish (aws:SourceArn=arn:aws:cloudwatch:eu-west-1:123456789012:alarm:mcp-rollout-production-x-critical, aws:SourceAccount=123456789012)`,
    ]);
  });

  test('an EventBridge rule on a topic whose key does not let EventBridge use it', () => {
    const stack = new Stack(new App(), 'Bad');
    const { key, topic } = encryptedTopic(stack, ['cloudwatch.amazonaws.com']);
    // The L1 rule: the L2 SnsTopic target would grant the key itself.
    const rule = new events.CfnRule(stack, 'Rule', { eventPattern: { source: ['test'] }, targets: [{ arn: topic.topicArn, id: 'Topic' }] });
    topic.addToResourcePolicy(
      new iam.PolicyStatement({ actions: ['sns:Publish'], principals: [new iam.ServicePrincipal('events.amazonaws.com')], resources: [topic.topicArn] }),
    );
    expect(ruleTargetsReachTheirTopics(json(stack), 'Bad')).toEqual([
      `rule ${id(rule)}: key ${id(key)} of topic ${id(topic)} does not let events.amazonaws.com call kms:GenerateDataKey`,
      `rule ${id(rule)}: key ${id(key)} of topic ${id(topic)} does not let events.amazonaws.com call kms:Decrypt`,
    ]);
  });

  test('an EventBridge rule on a topic that allows EventBridge only with a Condition block', () => {
    const stack = new Stack(new App(), 'Bad');
    const { topic } = encryptedTopic(stack, ['events.amazonaws.com']);
    const rule = new events.CfnRule(stack, 'Rule', { eventPattern: { source: ['test'] }, targets: [{ arn: topic.topicArn, id: 'Topic' }] });
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['sns:Publish'],
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        resources: [topic.topicArn],
        conditions: { ArnEquals: { 'aws:SourceArn': rule.attrArn } },
      }),
    );
    expect(ruleTargetsReachTheirTopics(json(stack), 'Bad')).toEqual([
      `rule ${id(rule)}: the policy of topic ${id(topic)} does not let events.amazonaws.com publish (no source condition keys)`,
    ]);
  });

  test('a role allowed to publish to an encrypted topic but not to use its key', () => {
    const stack = new Stack(new App(), 'Bad');
    const { key, topic } = encryptedTopic(stack);
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [topic.topicArn] }));
    const policy = role.node.findChild('DefaultPolicy');
    expect(rolePublishersReachTheirTopics(json(stack), 'Bad')).toEqual([
      `policy ${id(policy)}: role ${id(role)} may not call kms:GenerateDataKey on key ${id(key)} of topic ${id(topic)}`,
      `policy ${id(policy)}: role ${id(role)} may not call kms:Decrypt on key ${id(key)} of topic ${id(topic)}`,
    ]);
  });

  test('a composite alarm monitor whose role may read only its ARN (the old monitor role)', () => {
    const stack = new Stack(new App(), 'Bad');
    const trigger = new cloudwatch.Alarm(stack, 'Trigger', { metric, threshold: 1, evaluationPeriods: 1 });
    const composite = new cloudwatch.CompositeAlarm(stack, 'Any', { alarmRule: cloudwatch.AlarmRule.fromAlarm(trigger, cloudwatch.AlarmState.ALARM) });
    const role = new iam.Role(stack, 'MonitorRole', { assumedBy: new iam.ServicePrincipal('appconfig.amazonaws.com') });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: [composite.alarmArn] }));
    const application = new appconfig.CfnApplication(stack, 'App', { name: 'bad' });
    const environment = new appconfig.CfnEnvironment(stack, 'Env', {
      applicationId: application.ref,
      name: 'bad',
      monitors: [{ alarmArn: composite.alarmArn, alarmRoleArn: role.roleArn }],
    });
    expect(monitorsCanReadTheirAlarms(json(stack), 'Bad')).toEqual([
      `environment ${id(environment)}: role ${id(role)} cannot read composite alarm ${id(composite)}: that needs cloudwatch:DescribeAlarms on "*"`,
    ]);
  });

  test("a region-agnostic lookup of the ELB account (CDK's regional fact, as the old access-log bucket policy used)", () => {
    const stack = new Stack(new App(), 'Bad');
    new CfnOutput(stack, 'ElbAccount', { value: stack.regionalFact(FactName.ELBV2_ACCOUNT) });
    expect(noRegionLookupWithoutFallback(json(stack), 'Bad')).toEqual([
      'Outputs.ElbAccount.Value: Fn::FindInMap on Elbv2AccountMap is keyed on AWS::Region with no fallback; a region missing from the map fails the deploy',
    ]);
  });

  test('a function with reserved concurrency', () => {
    const stack = new Stack(new App(), 'Bad');
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {};'),
      reservedConcurrentExecutions: 1,
      timeout: Duration.seconds(3),
    });
    expect(noReservedConcurrency(json(stack), 'Bad')).toEqual([
      `function ${id(fn)} reserves 1 concurrent executions; an account that cannot keep 100 unreserved refuses the deploy`,
    ]);
  });

  describe('a rule on AppConfig deployment events', () => {
    function appWithRule(options: { associate: boolean; filterOtherEnvironment?: boolean; customBus?: boolean }) {
      const stack = new Stack(new App(), 'Bad');
      const application = new appconfig.Application(stack, 'App');
      const environment = new appconfig.Environment(stack, 'Env', { application });
      if (options.associate) {
        new appconfig.CfnExtensionAssociation(stack, 'Events', {
          extensionIdentifier: APPCONFIG_EVENTBRIDGE_EXTENSION,
          resourceIdentifier: environment.environmentArn,
        });
      }
      const rule = new events.Rule(stack, 'Rule', {
        ...(options.customBus ? { eventBus: new events.EventBus(stack, 'Bus') } : {}),
        eventPattern: {
          source: ['aws.appconfig'],
          detailType: ['On Deployment Complete'],
          detail: { Environment: { Id: [options.filterOtherEnvironment ? 'someother' : environment.environmentId] } },
        },
      });
      return { stack, rule };
    }

    test('with no extension association hears nothing', () => {
      const { stack, rule } = appWithRule({ associate: false });
      expect(appConfigEventRulesHearTheirEvents(json(stack), 'Bad')).toEqual([
        `rule ${id(rule)} waits for "On Deployment Complete", but no resource associated with AWS.AppConfig.DeploymentNotificationsToEventBridge sends an event it matches`,
      ]);
    });

    test("filtering another environment's id hears nothing", () => {
      const { stack, rule } = appWithRule({ associate: true, filterOtherEnvironment: true });
      expect(appConfigEventRulesHearTheirEvents(json(stack), 'Bad')).toEqual([
        `rule ${id(rule)} waits for "On Deployment Complete", but no resource associated with AWS.AppConfig.DeploymentNotificationsToEventBridge sends an event it matches`,
      ]);
    });

    test('on a custom bus hears nothing', () => {
      const { stack, rule } = appWithRule({ associate: true, customBus: true });
      const problems = appConfigEventRulesHearTheirEvents(json(stack), 'Bad');
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(new RegExp(`^rule ${id(rule)} listens on bus .*; the extension sends only to the default bus$`));
    });
  });
});
