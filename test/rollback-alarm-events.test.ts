/**
 * The rollback function accepts AWS's own alarm Lambda-action events (issue 11 review, item 3): the
 * metric alarm and composite alarm samples of
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-actions-Lambda,
 * kept verbatim in test/fixtures (with the page's own quirks: spaces inside the ARNs and times),
 * only the alarm names substituted by one of this environment's triggers. The composite sample is an
 * ALARM -> ALARM invocation: its actions were held back by the suppressor's wait period
 * (`actionsSuppressedBy: "WaitPeriod"`), then ran. A real action invocation, so the function acts
 * (the rollback is idempotent); a repeat changes nothing twice.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { performRollback } from '../lambda/rollback/rollback';
import { parseRollbackEvent, type Acceptance } from '../lambda/rollback/events';
import { AwsState } from './fakes/aws-state';
import { functionDeps, seedEnvironment } from './fakes/environment';

const TRIGGER = 'mcp-rollout-production-canary-error-rate-trigger';
const accept: Acceptance = { triggerAlarms: new Set([TRIGGER]), serviceStackName: 'Production-Service', flagEnvironmentId: 'env1234' };

/** AWS's sample with its alarm name(s) replaced by `name`. */
function sample(file: string, names: readonly string[], name = TRIGGER): unknown {
  let text = readFileSync(path.join(__dirname, 'fixtures', file), 'utf8');
  for (const n of names) text = text.split(n).join(name);
  return JSON.parse(text);
}
const metricSample = () => sample('cloudwatch-alarm-lambda-metric.json', ['lambda-demo-metric-alarm']);
const compositeSample = () => sample('cloudwatch-alarm-lambda-composite.json', ['CompositeDemo.Main', 'SuppressionDemo.Main']);

test("AWS's metric alarm sample (INSUFFICIENT_DATA -> ALARM)", () => {
  expect(parseRollbackEvent(metricSample(), accept)).toEqual({ kind: 'alarm', alarmName: TRIGGER, reason: 'test', via: 'lambda-action', dryRun: false });
});

test("AWS's composite alarm sample (ALARM -> ALARM, actions released after the suppressor's wait period)", () => {
  expect(parseRollbackEvent(compositeSample(), accept)).toEqual({
    kind: 'alarm',
    alarmName: TRIGGER,
    reason: 'arn:aws:cloudwatch:us-east-1: 111122223333:alarm:CompositeDemo.FirstChild transitioned to ALARM at Friday 04 August, 2023 12: 54: 46 UTC',
    via: 'lambda-action',
    dryRun: false,
  });
});

test('the same ALARM -> ALARM through SNS and through EventBridge is accepted too', () => {
  const message = JSON.stringify({ AlarmName: TRIGGER, NewStateValue: 'ALARM', OldStateValue: 'ALARM', NewStateReason: 'Threshold Crossed' });
  expect(parseRollbackEvent({ Records: [{ EventSource: 'aws:sns', Sns: { Message: message } }] }, accept)).toMatchObject({ kind: 'alarm', via: 'sns' });
  expect(
    parseRollbackEvent(
      { source: 'aws.cloudwatch', 'detail-type': 'CloudWatch Alarm State Change', detail: { alarmName: TRIGGER, state: { value: 'ALARM', reason: 'r' }, previousState: { value: 'ALARM' } } },
      accept,
    ),
  ).toMatchObject({ kind: 'alarm', via: 'eventbridge' });
});

test("an alarm that is not one of this environment's triggers is still refused, whatever its states", () => {
  expect(() => parseRollbackEvent(sample('cloudwatch-alarm-lambda-composite.json', ['CompositeDemo.Main'], 'someone-elses-alarm'), accept)).toThrow(
    `alarm "someone-elses-alarm" is not a rollback trigger of this environment (known: ${TRIGGER})`,
  );
});

test('the composite sample rolls back; delivered again, it changes nothing twice', async () => {
  const fake = new AwsState();
  fake.install();
  const env = seedEnvironment(fake, { canaryTraffic: 10 });
  const request = parseRollbackEvent(compositeSample(), accept);
  if (request.kind !== 'alarm') throw new Error('expected an alarm request');
  expect((await performRollback(request, functionDeps(fake, env).deps)).outcome).toBe('rolled_back');
  fake.advance(1000);
  expect((await performRollback(request, functionDeps(fake, env).deps)).outcome).toBe('already_rolled_back');
  expect(fake.weights(env.outputs.trafficRuleArn, env.outputs.stableTargetGroupArn, env.outputs.canaryTargetGroupArn)).toEqual({ stable: 100, canary: 0 });
});
