/**
 * deploy and promote against the stateful fake of the stack, the latch, the release history and
 * the traffic rule (test/fakes/operator-world.ts): the tests see what CloudFormation would do with
 * the exact calls the CLI makes, not what a mock was told to answer.
 */
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeRulesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { UpdateStackCommandInput } from '@aws-sdk/client-cloudformation';
import { templateDigest } from '../lib/cli/template-check';
import { sent, sentNames } from './helpers/aws-mocks';
import { FakeClock, FakeToolkit, LATCHED, mocks, NOW, outputsFor, resetMocks, rules, runCommand, USER } from './helpers/cli';
import { MAX_VERSIONS, OperatorWorld, serviceTemplate } from './fakes/operator-world';

const o = outputsFor('production');
const HISTORY = '/mcp-rollout/production/release-history';
const eventsAccepted = () => mocks.events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }, { EventId: '2' }] });
const alarmsQuiet = () => mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });
const TOKEN = /^mcp-rollout-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The parameters of an UpdateStack that changes `changed` and keeps every other one. */
function parametersKeeping(changed: Record<string, string>) {
  return ['CanaryTraffic', 'StableImageTag', 'CanaryImageTag', 'RollbackLatch', 'BootstrapVersion'].map((key) =>
    key in changed ? { ParameterKey: key, ParameterValue: changed[key] } : { ParameterKey: key, UsePreviousValue: true },
  );
}

function world(options: ConstructorParameters<typeof OperatorWorld>[0] = {}): OperatorWorld {
  return new OperatorWorld(options).install();
}

beforeEach(() => {
  resetMocks();
  eventsAccepted();
  alarmsQuiet();
});

describe('deploy', () => {
  test('changes only the parameters, with the deployed template: one UpdateStack, never the toolkit; then verifies, announces and records', async () => {
    const clock = new FakeClock();
    const w = world({ canaryTraffic: 0, canaryImageTag: 'v1.4.0', clock });
    const toolkit = new FakeToolkit();
    const run = await runCommand(['deploy', '--environment', 'production', '--traffic', '10', '--canary-image', 'v1.5.0'], { toolkit, clock });

    expect(run.code).toBe(0);
    expect(toolkit.calls).toEqual([]);
    expect(toolkit.synths).toEqual([]);
    expect(w.updates).toHaveLength(1);
    const update = w.updates[0] as UpdateStackCommandInput;
    expect(update).toEqual({
      StackName: 'Production-Service',
      UsePreviousTemplate: true,
      Parameters: parametersKeeping({ CanaryTraffic: '10', CanaryImageTag: 'v1.5.0' }),
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
      ClientRequestToken: expect.stringMatching(TOKEN),
    });
    expect(update).not.toHaveProperty('RoleARN');
    expect(w.stackStatus).toBe('UPDATE_COMPLETE');
    expect(w.weights).toEqual({ stable: 90, canary: 10 });
    // Two reads in progress at 10 s each, then complete.
    expect(clock.sleeps).toEqual([10_000, 10_000]);

    const time = new Date(NOW + 20_000).toISOString();
    const [entries] = sent(mocks.events).map(([, input]) => (input as { Entries: { DetailType: string; Detail: string }[] }).Entries);
    expect(entries?.map((e) => [e.DetailType, JSON.parse(e.Detail)])).toEqual([
      ['traffic_percentage_changed', { environment: 'production', previousPercent: 0, canaryPercent: 10, requestedBy: USER, time }],
      [
        'deployment_completed',
        { environment: 'production', stackName: 'Production-Service', canaryPercent: 10, images: { stable: 'v1.4.0', canary: 'v1.5.0' }, requestedBy: USER, durationSeconds: 20, time },
      ],
    ]);
    expect(w.historyValues().map((v) => JSON.parse(v))).toEqual([
      {
        kind: 'deploy',
        environment: 'production',
        time,
        by: USER,
        outcome: 'done',
        images: { stable: 'v1.4.0', canary: 'v1.5.0' },
        canaryPercent: { from: 0, to: 10 },
        weights: { stable: 90, canary: 10 },
        template: 'previous',
      },
    ]);
    expect(run.stdout.split('\n')).toEqual([
      'Updating Production-Service with its deployed template: CanaryImageTag v1.4.0 -> v1.5.0, CanaryTraffic 0 -> 10; every other parameter keeps its deployed value.',
      'Deployed in 20.0 s: live weights stable 90 / canary 10.',
      'Sent traffic_percentage_changed and deployment_completed (source mcp-rollout).',
      'production: canary at 10 % (image v1.5.0), stable image v1.4.0.',
      'Next: npx mcp-rollout gate --environment production (bakes 30m at 10 %)',
    ]);
    expect(run.stderr).toBe('updating Production-Service: Production-Service UPDATE_IN_PROGRESS (0 ms)\nupdating Production-Service: Production-Service UPDATE_IN_PROGRESS (10.0 s)\n');
  });

  test('Ctrl-C during the update: CloudFormation cannot stop half-way, so the CLI says so, waits, reads back, announces and records', async () => {
    const controller = new AbortController();
    const clock = new FakeClock(NOW, { count: 1, controller });
    const w = world({ canaryTraffic: 0, clock });
    const run = await runCommand(['deploy', '--environment', 'production', '--traffic', '10', '--canary-image', 'v1.5.0'], { clock, controller });
    expect(controller.signal.aborted).toBe(true);
    expect(run.stderr).toContain('Ctrl-C: waiting for the update of Production-Service to finish first: a change cut off half-way would be worse than one that finishes. Stopping right after.');
    expect(w.stackStatus).toBe('UPDATE_COMPLETE');
    expect(sentNames(mocks.events)).toEqual(['PutEventsCommand']);
    expect(JSON.parse(w.historyValues()[0] ?? '{}')).toMatchObject({ kind: 'deploy', outcome: 'done' });
    expect(run.stdout).toContain('production: canary at 10 % (image v1.5.0), stable image v1.4.0.');
  });

  test('accepts --option=value and leaves the image alone when --canary-image is not given', async () => {
    const w = world({ canaryTraffic: 10, canaryImageTag: 'v1.5.0' });
    const run = await runCommand(['deploy', '--environment=production', '--traffic=50']);
    expect(run.code).toBe(0);
    expect(w.updates[0]?.Parameters).toEqual(parametersKeeping({ CanaryTraffic: '50' }));
    expect(w.stackParameters).toMatchObject({ CanaryTraffic: '50', CanaryImageTag: 'v1.5.0', StableImageTag: 'v1.4.0' });
    expect(run.stdout).toContain('Next: npx mcp-rollout gate --environment production (bakes 60m at 50 %)');
  });

  test('refuses canary traffic while the environment is rolled back, says how to resume, and changes nothing', async () => {
    const w = world({ canaryTraffic: 10, canaryImageTag: 'v1.5.0', latch: LATCHED });
    const run = await runCommand(['deploy', '--environment', 'production', '--traffic', '50']);

    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      'error: production is rolled back (latch set by mcp-rollout-production-canary-llm-success-rate-trigger at 2026-11-24T09:41:07.000Z: Threshold Crossed: 5 out of the last 5 datapoints were less than the threshold (85.0)); while the latch is set the canary gets 0 % whatever --traffic says, so nothing was deployed\n' +
        'next: Find and fix the cause, then run `npx mcp-rollout resume --environment production --confirm` and deploy again. A fixed canary image can be deployed now with --traffic 0.\n',
    );
    expect(w.updates).toEqual([]);
    expect(w.historyValues()).toEqual([]);
    expect(mocks.events.calls()).toHaveLength(0);
  });

  test('deploys a fixed canary image at 0 % while latched; the latch keeps the weights on stable', async () => {
    const w = world({ canaryTraffic: 10, canaryImageTag: 'v1.5.0', latch: LATCHED });
    const run = await runCommand(['deploy', '--environment', 'production', '--traffic', '0', '--canary-image', 'v1.5.1']);
    expect(run.code).toBe(0);
    expect(w.updates[0]?.Parameters).toEqual(parametersKeeping({ CanaryTraffic: '0', CanaryImageTag: 'v1.5.1' }));
    expect(w.weights).toEqual({ stable: 100, canary: 0 });
  });

  test('makes no call that changes anything when nothing would change', async () => {
    const w = world({ canaryTraffic: 10, canaryImageTag: 'v1.5.0' });
    const run = await runCommand(['deploy', '--environment', 'production', '--traffic', '10', '--canary-image', 'v1.5.0', '--json']);
    expect(run.code).toBe(0);
    expect(sentNames(mocks.cloudformation)).toEqual(['DescribeStacksCommand']);
    expect(w.historyValues()).toEqual([]);
    expect(JSON.parse(run.stdout)).toEqual({
      command: 'deploy',
      environment: 'production',
      exitCode: 0,
      changed: false,
      changes: [],
      template: 'not-compared',
      canaryPercent: 10,
      images: { stable: 'v1.4.0', canary: 'v1.5.0' },
    });
  });

  test('an image that never gets healthy: CloudFormation rolls back, the error names the first failure, the failure is recorded, no event is sent', async () => {
    const w = world({ canaryTraffic: 10, canaryImageTag: 'v1.5.0' });
    w.brokenImages.add('v1.6.0');
    const run = await runCommand(['deploy', '--environment', 'production', '--traffic', '10', '--canary-image', 'v1.6.0']);
    expect(run.code).toBe(1);
    const error =
      'the update of Production-Service ended UPDATE_ROLLBACK_COMPLETE: CloudFormation rolled the whole change back, the parameters are as before. First failure: StableService UPDATE_FAILED: Resource handler returned message: "Error occurred during operation \'ECS Deployment Circuit Breaker was triggered\'." (image v1.6.0)';
    expect(run.stderr).toContain(`error: ${error}\n`);
    expect(w.stackParameters).toMatchObject({ CanaryImageTag: 'v1.5.0', CanaryTraffic: '10' });
    expect(mocks.events.calls()).toHaveLength(0);
    expect(JSON.parse(w.historyValues()[0] ?? '{}')).toMatchObject({
      kind: 'deploy',
      outcome: 'failed',
      images: { stable: 'v1.4.0', canary: 'v1.5.0' },
      canaryPercent: { from: 10, to: 10 },
      detail: `${error} (canary image v1.6.0)`,
    });
  });

  test('refuses while CloudFormation is applying another change, before reading anything else', async () => {
    const w = world();
    w.stackStatus = 'UPDATE_IN_PROGRESS';
    const run = await runCommand(['deploy', '--environment', 'production', '--traffic', '50']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('error: stack Production-Service is UPDATE_IN_PROGRESS: CloudFormation is still applying another change\n');
    expect(w.updates).toEqual([]);
    expect(mocks.ssm.calls()).toHaveLength(0);
  });

  test('fails when the live weights after the deploy disagree with the stack (someone else moved them)', async () => {
    world({ canaryTraffic: 10, canaryImageTag: 'v1.5.0' });
    mocks.elb.on(DescribeRulesCommand).resolves(rules('production', 100, 0));
    const run = await runCommand(['deploy', '--environment', 'production', '--traffic', '50']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error: deployed, but the live weights are stable 100 / canary 0 instead of stable 50 / canary 50\n');
    expect(mocks.events.calls()).toHaveLength(0);
  });

  test('warns but succeeds when EventBridge refuses the events: the deploy is done', async () => {
    world({ canaryTraffic: 0 });
    mocks.events.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ EventId: '1' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });
    const run = await runCommand(['deploy', '--environment', 'production', '--traffic', '10', '--canary-image', 'v1.5.0']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      'warning: EventBridge refused 1 event(s): InternalFailure try again. The change itself is done; tell the team by hand (the info topic did not get the event).\n',
    );
  });

  describe('the release history never fails the deploy it records', () => {
    test('a State stack without the history parameter: a warning that says how to create it, exit 0, and no parameter created by accident', async () => {
      const w = world({ canaryTraffic: 0, historyExists: false });
      const run = await runCommand(['deploy', '--environment', 'production', '--traffic', '10', '--canary-image', 'v1.5.0']);
      expect(run.code).toBe(0);
      expect(w.weights).toEqual({ stable: 90, canary: 10 });
      expect(run.stderr).toContain(
        `warning: the release history was not updated: the release history parameter ${HISTORY} does not exist: deploy the State stack, which creates it (npx cdk deploy Production/State). The deploy itself is not affected.\n`,
      );
      expect(w.parameters.has(HISTORY)).toBe(false);
      expect(sentNames(mocks.ssm).filter((n) => n === 'PutParameterCommand')).toEqual([]);
    });

    test('at 100 versions SSM drops the oldest record, so the history keeps the newest 100', async () => {
      const old = Array.from({ length: MAX_VERSIONS - 1 }, (_, i) => JSON.stringify({ kind: 'resume', environment: 'production', time: `t${i}`, by: 'x', rollback: { by: 'a', reason: 'r' }, images: { stable: 'a', canary: 'b' } }));
      const w = world({ canaryTraffic: 0, history: old });
      expect(w.values(HISTORY)).toHaveLength(MAX_VERSIONS);
      const run = await runCommand(['deploy', '--environment', 'production', '--traffic', '10', '--canary-image', 'v1.5.0']);
      expect(run.code).toBe(0);
      const versions = w.parameters.get(HISTORY) ?? [];
      expect(versions).toHaveLength(MAX_VERSIONS);
      expect(versions[0]?.version).toBe(2);
      expect(JSON.parse(versions[MAX_VERSIONS - 1]?.value ?? '{}')).toMatchObject({ kind: 'deploy', outcome: 'done' });
    });

    test('at 100 versions with a label on the oldest, SSM refuses the record: a warning that says what to do, and the deploy stands', async () => {
      const w = world({ canaryTraffic: 0, history: Array.from({ length: MAX_VERSIONS - 1 }, () => 'none') });
      w.labelVersion(HISTORY, 1, 'keep');
      const run = await runCommand(['deploy', '--environment', 'production', '--traffic', '10', '--canary-image', 'v1.5.0']);
      expect(run.code).toBe(0);
      expect(w.weights).toEqual({ stable: 90, canary: 10 });
      expect(run.stderr).toContain(
        `warning: the release history was not updated: ${HISTORY} holds 100 versions and the oldest has a label, so SSM keeps it and refuses a new one: remove the label (aws ssm unlabel-parameter-version) so the oldest record can go. The deploy itself is not affected.\n`,
      );
    });
  });

  describe('--template: the local template against the deployed one', () => {
    const withPolicy = serviceTemplate({
      ExtraPolicy: { Type: 'AWS::IAM::Policy', Properties: { PolicyDocument: { Statement: [{ Action: 's3:*', Effect: 'Allow', Resource: '*' }] }, Roles: [{ Ref: 'TaskRole' }] } },
    });
    const modifiedService = serviceTemplate({ StableService: { Type: 'AWS::ECS::Service', Properties: { DesiredCount: 6 } } });

    test('the same template: it says so and changes only the parameters with the deployed template', async () => {
      const w = world({ canaryTraffic: 0 });
      const toolkit = new FakeToolkit();
      toolkit.localTemplate = serviceTemplate();
      const run = await runCommand(['deploy', '--environment', 'production', '--traffic', '10', '--canary-image', 'v1.5.0', '--template'], { toolkit });
      expect(run.code).toBe(0);
      expect(toolkit.synths).toEqual([{ selector: 'Production/Service', stackName: 'Production-Service' }]);
      expect(toolkit.calls).toEqual([]);
      expect(sent(mocks.cloudformation).find(([n]) => n === 'GetTemplateCommand')).toEqual(['GetTemplateCommand', { StackName: 'Production-Service', TemplateStage: 'Original' }]);
      expect(run.stdout).toContain(`The local template is the deployed one (digest ${templateDigest(serviceTemplate())}): only the parameters change.`);
      expect(w.updates[0]?.UsePreviousTemplate).toBe(true);
    });

    test('a stale or modified clone: every difference is shown, IAM marked, and nothing is deployed without the digest', async () => {
      const w = world({ canaryTraffic: 0 });
      const toolkit = new FakeToolkit();
      toolkit.localTemplate = { ...withPolicy, Resources: { ...(withPolicy.Resources as object), ...(modifiedService.Resources as object) } };
      const digest = templateDigest(toolkit.localTemplate);
      const run = await runCommand(['deploy', '--environment', 'production', '--traffic', '10', '--canary-image', 'v1.5.0', '--template'], { toolkit });

      expect(run.code).toBe(3);
      expect(run.stdout.split('\n')).toEqual([
        'Synthesizing Production/Service from this clone (npx cdk synth) to compare it with the deployed template...',
        `The local template differs from the deployed one of Production-Service (local digest ${digest}):`,
        '  ~ Resources StableService (AWS::ECS::Service) Properties.DesiredCount',
        '  + Resources ExtraPolicy (AWS::IAM::Policy) [security]',
      ]);
      expect(run.stderr).toBe(
        'error: the local template differs from the deployed one in 2 place(s), 1 of them touching IAM, resource policies or network access; nothing was deployed\n' +
          `next: Review the differences above. To deploy them with the parameters: npx mcp-rollout deploy --environment production --traffic 10 --canary-image v1.5.0 --template --approve-template ${digest}. To change only the parameters with the deployed template: npx mcp-rollout deploy --environment production --traffic 10 --canary-image v1.5.0\n`,
      );
      expect(w.updates).toEqual([]);
      expect(toolkit.calls).toEqual([]);
      expect(w.historyValues()).toEqual([]);
    });

    test('approved by the digest of exactly this template: the toolkit deploys the reviewed assembly with the parameters, and the history says so', async () => {
      const w = world({ canaryTraffic: 0 });
      const toolkit = new FakeToolkit(0, (request) => {
        // What `cdk deploy --app <assembly>` makes CloudFormation do.
        w.updateStack({
          StackName: request.stackName,
          TemplateBody: JSON.stringify(withPolicy),
          Parameters: Object.keys(w.stackParameters).map((k) => (k in request.parameters ? { ParameterKey: k, ParameterValue: request.parameters[k] } : { ParameterKey: k, UsePreviousValue: true })),
          Capabilities: ['CAPABILITY_IAM'],
        });
        while (w.stackStatus.endsWith('_IN_PROGRESS')) w.describeStack();
      });
      toolkit.localTemplate = withPolicy;
      const digest = templateDigest(withPolicy);
      const run = await runCommand(['deploy', '--environment', 'production', '--traffic', '10', '--canary-image', 'v1.5.0', '--approve-template', digest], { toolkit });

      expect(run.code).toBe(0);
      expect(toolkit.calls).toEqual([
        { selector: 'Production/Service', stackName: 'Production-Service', parameters: { CanaryImageTag: 'v1.5.0', CanaryTraffic: '10' }, assemblyDir: '/tmp/mcp-rollout-synth-test' },
      ]);
      expect(JSON.parse(w.template)).toEqual(withPolicy);
      expect(w.weights).toEqual({ stable: 90, canary: 10 });
      expect(run.stdout).toContain(`Approved by --approve-template ${digest}: deploying these 1 difference(s) with the parameters.`);
      expect(JSON.parse(w.historyValues()[0] ?? '{}')).toMatchObject({ kind: 'deploy', outcome: 'done', template: 'local' });
    });

    test('a digest that is not the local template any more (the clone changed since the review) is refused', async () => {
      const w = world({ canaryTraffic: 0 });
      const toolkit = new FakeToolkit();
      toolkit.localTemplate = modifiedService;
      const run = await runCommand(['deploy', '--environment', 'production', '--traffic', '10', '--approve-template', templateDigest(withPolicy)], { toolkit });
      expect(run.code).toBe(3);
      expect(run.stderr.split('\n')[0]).toBe(
        `error: --approve-template ${templateDigest(withPolicy)} is not the local template (digest ${templateDigest(modifiedService)}: the clone changed since it was reviewed); the local template differs from the deployed one in 1 place(s); nothing was deployed`,
      );
      expect(w.updates).toEqual([]);
      expect(toolkit.calls).toEqual([]);
    });
  });

  test.each([
    [['deploy', '--environment', 'production'], 'error: --traffic is required: the percent of requests the canary gets, 0 to 100'],
    [['deploy', '--environment', 'production', '--traffic', '10.5'], 'error: --traffic must be an integer from 0 to 100, got "10.5"'],
    [['deploy', '--environment', 'production', '--traffic', '101'], 'error: --traffic must be an integer from 0 to 100, got "101"'],
    [
      ['deploy', '--environment', 'production', '--traffic', '10', '--canary-image=.bad'],
      'error: --canary-image must be an image tag: 1 to 128 letters, digits, "_", "." or "-", not starting with "." or "-", got ".bad"',
    ],
    [['deploy', '--environment', 'production', '--traffic', '10', '--approve-template', 'yes'], 'error: --approve-template must be the 12-digit hex digest that --template printed, got "yes"'],
  ])('refuses a bad command line %j before calling AWS', async (argv, message) => {
    const run = await runCommand(argv);
    expect(run.code).toBe(64);
    expect(run.stderr.split('\n')[0]).toBe(message);
    expect(mocks.cloudformation.calls()).toHaveLength(0);
  });
});

describe('promote', () => {
  test("makes the canary's image stable's and returns traffic to 0 in one parameters-only update, and records the image it replaced", async () => {
    const w = world({ canaryTraffic: 100, canaryImageTag: 'v1.5.0' });
    const run = await runCommand(['promote', '--environment', 'production']);

    expect(run.code).toBe(0);
    expect(w.updates).toHaveLength(1);
    expect(w.updates[0]).toMatchObject({ UsePreviousTemplate: true, Parameters: parametersKeeping({ CanaryTraffic: '0', StableImageTag: 'v1.5.0' }) });
    expect(w.weights).toEqual({ stable: 100, canary: 0 });
    expect(sent(mocks.cloudwatch)).toEqual([
      ['DescribeAlarmsCommand', { AlarmNamePrefix: 'mcp-rollout-production-', AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], StateValue: 'ALARM' }],
    ]);
    const [entries] = sent(mocks.events).map(([, input]) => (input as { Entries: { DetailType: string; Detail: string }[] }).Entries);
    expect(entries?.map((e) => [e.DetailType, JSON.parse(e.Detail).canaryPercent])).toEqual([
      ['traffic_percentage_changed', 0],
      ['deployment_completed', 0],
    ]);
    expect(JSON.parse(w.historyValues()[0] ?? '{}')).toEqual({
      kind: 'promote',
      environment: 'production',
      time: new Date(NOW + 20_000).toISOString(),
      by: USER,
      outcome: 'done',
      images: { stable: 'v1.5.0', canary: 'v1.5.0' },
      previousStableImage: 'v1.4.0',
      weights: { stable: 100, canary: 0 },
    });
    expect(run.stdout).toContain('production: stable runs v1.5.0 and gets 100 %; the canary gets 0 %.');
    expect(run.stdout).toContain(
      'Next: npx mcp-rollout status --environment production; if the release regresses later, npx mcp-rollout undo --environment production puts v1.4.0 back on stable',
    );
  });

  test('refuses to promote a rolled-back canary', async () => {
    const w = world({ canaryTraffic: 100, canaryImageTag: 'v1.5.0', latch: LATCHED });
    const run = await runCommand(['promote', '--environment', 'production']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('promoting would put the rolled-back canary image v1.5.0 on stable');
    expect(w.updates).toEqual([]);
  });

  test('refuses while a critical or trigger alarm fires', async () => {
    const w = world({ canaryTraffic: 100, canaryImageTag: 'v1.5.0' });
    mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        { AlarmName: 'mcp-rollout-production-canary-error-rate-warning', StateValue: 'ALARM' },
        { AlarmName: 'mcp-rollout-production-service-response-time-p95-critical', StateValue: 'ALARM' },
      ],
    });
    const run = await runCommand(['promote', '--environment', 'production']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      'error: critical or trigger alarm(s) in ALARM: mcp-rollout-production-service-response-time-p95-critical; promoting now could make a bad release stable\n',
    );
    expect(w.updates).toEqual([]);
  });

  test('has nothing to do when stable already runs the canary image at 0 %', async () => {
    const w = world({ canaryTraffic: 0, stableImageTag: 'v1.5.0', canaryImageTag: 'v1.5.0' });
    const run = await runCommand(['promote', '--environment', 'production']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('Nothing to promote: stable already runs v1.5.0 and the canary gets 0 %.');
    expect(sentNames(mocks.events)).toEqual([]);
    expect(w.updates).toEqual([]);
  });
});

test('the rule ARN the fake serves is the stack output the CLI reads', () => {
  expect(new OperatorWorld().describeRules().Rules[0]?.RuleArn).toBe(o.trafficRuleArn);
});
