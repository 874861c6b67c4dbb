import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeRulesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { sent, sentNames } from './helpers/aws-mocks';
import { describeStacks, FakeClock, FakeToolkit, LATCHED, mocks, NOW, outputsFor, resetMocks, rules, runCommand, USER } from './helpers/cli';

const o = outputsFor('production');
const latchIs = (value: string) => mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Name: o.latchParameterName, Value: value } });
const eventsAccepted = () => mocks.events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }, { EventId: '2' }] });

beforeEach(resetMocks);

describe('deploy', () => {
  /** Before: canary at 0 % on v1.4.0; after the toolkit ran: 10 % on v1.5.0. */
  function firstPhase() {
    mocks.cloudformation
      .on(DescribeStacksCommand)
      .resolvesOnce(describeStacks('production', { canaryTraffic: 0, canaryImageTag: 'v1.4.0' }))
      .resolves(describeStacks('production', { canaryTraffic: 10, canaryImageTag: 'v1.5.0' }));
    latchIs('clear');
    mocks.elb.on(DescribeRulesCommand).resolves(rules('production', 90, 10));
    eventsAccepted();
  }

  test('Ctrl-C during the cdk deploy: the toolkit hears it, and the deploy is still read back and announced', async () => {
    firstPhase();
    const controller = new AbortController();
    let toolkitSignal: AbortSignal | undefined;
    const toolkit = {
      deploy: async (_request: unknown, signal: AbortSignal) => {
        toolkitSignal = signal;
        controller.abort();
        return 0;
      },
    };
    const run = await runCommand(['deploy', '--environment', 'production', '--traffic', '10', '--canary-image', 'v1.5.0'], { toolkit, controller });
    expect(toolkitSignal?.aborted).toBe(true);
    expect(run.code).toBe(0);
    expect(sentNames(mocks.events)).toEqual(['PutEventsCommand']);
    expect(run.stdout).toContain('production: canary at 10 % (image v1.5.0), stable image v1.4.0.');
  });

  test('passes only the changed parameters to the CDK toolkit, verifies the weights and emits both info events', async () => {
    firstPhase();
    const clock = new FakeClock();
    const toolkit = new FakeToolkit(0, undefined, clock, 412_000);
    const run = await runCommand(['deploy', '--environment', 'production', '--traffic', '10', '--canary-image', 'v1.5.0'], { toolkit, clock });

    expect(run.code).toBe(0);
    expect(toolkit.calls).toEqual([
      { selector: 'Production/Service', stackName: 'Production-Service', parameters: { CanaryImageTag: 'v1.5.0', CanaryTraffic: '10' } },
    ]);
    expect(sent(mocks.cloudformation)).toEqual([
      ['DescribeStacksCommand', { StackName: 'Production-Service' }],
      ['DescribeStacksCommand', { StackName: 'Production-Service' }],
    ]);
    expect(sent(mocks.elb)).toEqual([['DescribeRulesCommand', { RuleArns: [o.trafficRuleArn] }]]);
    const time = new Date(NOW + 412_000).toISOString();
    expect(sent(mocks.events)).toEqual([
      [
        'PutEventsCommand',
        {
          Entries: [
            {
              Source: 'mcp-rollout',
              DetailType: 'traffic_percentage_changed',
              Detail: JSON.stringify({ environment: 'production', previousPercent: 0, canaryPercent: 10, requestedBy: USER, time }),
              EventBusName: 'default',
            },
            {
              Source: 'mcp-rollout',
              DetailType: 'deployment_completed',
              Detail: JSON.stringify({
                environment: 'production',
                stackName: 'Production-Service',
                canaryPercent: 10,
                images: { stable: 'v1.4.0', canary: 'v1.5.0' },
                requestedBy: USER,
                durationSeconds: 412,
                time,
              }),
              EventBusName: 'default',
            },
          ],
        },
      ],
    ]);
    expect(run.stdout.split('\n')).toEqual([
      'Deploying Production/Service with the CDK toolkit: CanaryImageTag v1.4.0 -> v1.5.0, CanaryTraffic 0 -> 10; every other parameter keeps its deployed value.',
      'Deployed in 6m 52s: live weights stable 90 / canary 10.',
      'Sent traffic_percentage_changed and deployment_completed (source mcp-rollout).',
      'production: canary at 10 % (image v1.5.0), stable image v1.4.0.',
      'Next: npx mcp-rollout gate --environment production (bakes 30m at 10 %)',
    ]);
  });

  test('accepts --option=value and leaves the image alone when --canary-image is not given', async () => {
    mocks.cloudformation
      .on(DescribeStacksCommand)
      .resolvesOnce(describeStacks('production', { canaryTraffic: 10 }))
      .resolves(describeStacks('production', { canaryTraffic: 50 }));
    latchIs('clear');
    mocks.elb.on(DescribeRulesCommand).resolves(rules('production', 50, 50));
    eventsAccepted();
    const toolkit = new FakeToolkit();
    const run = await runCommand(['deploy', '--environment=production', '--traffic=50'], { toolkit });
    expect(run.code).toBe(0);
    expect(toolkit.calls[0]?.parameters).toEqual({ CanaryTraffic: '50' });
    expect(run.stdout).toContain('Next: npx mcp-rollout gate --environment production (bakes 60m at 50 %)');
  });

  test('refuses canary traffic while the environment is rolled back, says how to resume, and changes nothing', async () => {
    mocks.cloudformation.on(DescribeStacksCommand).resolves(describeStacks('production', { canaryTraffic: 10 }));
    latchIs(LATCHED);
    const toolkit = new FakeToolkit();
    const run = await runCommand(['deploy', '--environment', 'production', '--traffic', '50'], { toolkit });

    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      'error: production is rolled back (latch set by mcp-rollout-production-canary-llm-success-rate-trigger at 2026-11-24T09:41:07.000Z: Threshold Crossed: 5 out of the last 5 datapoints were less than the threshold (85.0)); while the latch is set the canary gets 0 % whatever --traffic says, so nothing was deployed\n' +
        'next: Find and fix the cause, then run `npx mcp-rollout resume --environment production --confirm` and deploy again. A fixed canary image can be deployed now with --traffic 0.\n',
    );
    expect(toolkit.calls).toEqual([]);
    expect(mocks.events.calls()).toHaveLength(0);
  });

  test('deploys a fixed canary image at 0 % while latched', async () => {
    mocks.cloudformation
      .on(DescribeStacksCommand)
      .resolvesOnce(describeStacks('production', { canaryTraffic: 10 }))
      .resolves(describeStacks('production', { canaryTraffic: 0, canaryImageTag: 'v1.5.1' }));
    latchIs(LATCHED);
    mocks.elb.on(DescribeRulesCommand).resolves(rules('production', 100, 0));
    eventsAccepted();
    const toolkit = new FakeToolkit();
    const run = await runCommand(['deploy', '--environment', 'production', '--traffic', '0', '--canary-image', 'v1.5.1'], { toolkit });
    expect(run.code).toBe(0);
    expect(toolkit.calls[0]?.parameters).toEqual({ CanaryImageTag: 'v1.5.1', CanaryTraffic: '0' });
  });

  test('does not call the toolkit when nothing would change', async () => {
    mocks.cloudformation.on(DescribeStacksCommand).resolves(describeStacks('production', { canaryTraffic: 10 }));
    latchIs('clear');
    const toolkit = new FakeToolkit();
    const run = await runCommand(['deploy', '--environment', 'production', '--traffic', '10', '--canary-image', 'v1.5.0', '--json'], { toolkit });
    expect(run.code).toBe(0);
    expect(toolkit.calls).toEqual([]);
    expect(JSON.parse(run.stdout)).toEqual({
      command: 'deploy',
      environment: 'production',
      exitCode: 0,
      changed: false,
      changes: [],
      canaryPercent: 10,
      images: { stable: 'v1.4.0', canary: 'v1.5.0' },
    });
  });

  test('fails with the stack status when the toolkit fails and CloudFormation rolled back, and sends no event', async () => {
    mocks.cloudformation
      .on(DescribeStacksCommand)
      .resolvesOnce(describeStacks('production', { canaryTraffic: 10 }))
      .resolves(describeStacks('production', { canaryTraffic: 10, status: 'UPDATE_ROLLBACK_COMPLETE' }));
    latchIs('clear');
    const run = await runCommand(['deploy', '--environment', 'production', '--traffic', '50'], { toolkit: new FakeToolkit(1) });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'error: cdk deploy of Production/Service failed (exit 1); the stack is UPDATE_ROLLBACK_COMPLETE: CloudFormation rolled the whole change back, nothing changed\n',
    );
    expect(mocks.events.calls()).toHaveLength(0);
  });

  test('refuses while CloudFormation is applying another change', async () => {
    mocks.cloudformation.on(DescribeStacksCommand).resolves(describeStacks('production', { status: 'UPDATE_IN_PROGRESS' }));
    const toolkit = new FakeToolkit();
    const run = await runCommand(['deploy', '--environment', 'production', '--traffic', '50'], { toolkit });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('error: stack Production-Service is UPDATE_IN_PROGRESS: CloudFormation is still applying another change\n');
    expect(toolkit.calls).toEqual([]);
    expect(mocks.ssm.calls()).toHaveLength(0);
  });

  test('fails when the live weights after the deploy disagree with the stack', async () => {
    mocks.cloudformation
      .on(DescribeStacksCommand)
      .resolvesOnce(describeStacks('production', { canaryTraffic: 10 }))
      .resolves(describeStacks('production', { canaryTraffic: 50 }));
    latchIs('clear');
    mocks.elb.on(DescribeRulesCommand).resolves(rules('production', 100, 0));
    const run = await runCommand(['deploy', '--environment', 'production', '--traffic', '50']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error: deployed, but the live weights are stable 100 / canary 0 instead of stable 50 / canary 50\n');
    expect(mocks.events.calls()).toHaveLength(0);
  });

  test('warns but succeeds when EventBridge refuses the events: the deploy is done', async () => {
    firstPhase();
    mocks.events.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ EventId: '1' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });
    const run = await runCommand(['deploy', '--environment', 'production', '--traffic', '10', '--canary-image', 'v1.5.0']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(
      'warning: EventBridge refused 1 event(s): InternalFailure try again. The change itself is done; tell the team by hand (the info topic did not get the event).\n',
    );
  });

  test.each([
    [['deploy', '--environment', 'production'], 'error: --traffic is required: the percent of requests the canary gets, 0 to 100'],
    [['deploy', '--environment', 'production', '--traffic', '10.5'], 'error: --traffic must be an integer from 0 to 100, got "10.5"'],
    [['deploy', '--environment', 'production', '--traffic', '101'], 'error: --traffic must be an integer from 0 to 100, got "101"'],
    [
      ['deploy', '--environment', 'production', '--traffic', '10', '--canary-image=.bad'],
      'error: --canary-image must be an image tag: 1 to 128 letters, digits, "_", "." or "-", not starting with "." or "-", got ".bad"',
    ],
  ])('refuses a bad command line %j before calling AWS', async (argv, message) => {
    const run = await runCommand(argv);
    expect(run.code).toBe(64);
    expect(run.stderr.split('\n')[0]).toBe(message);
    expect(mocks.cloudformation.calls()).toHaveLength(0);
  });
});

describe('promote', () => {
  test("makes the canary's image stable's and returns traffic to 0 in one deploy", async () => {
    mocks.cloudformation
      .on(DescribeStacksCommand)
      .resolvesOnce(describeStacks('production', { canaryTraffic: 100 }))
      .resolves(describeStacks('production', { canaryTraffic: 0, stableImageTag: 'v1.5.0' }));
    latchIs('clear');
    mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });
    mocks.elb.on(DescribeRulesCommand).resolves(rules('production', 100, 0));
    eventsAccepted();
    const toolkit = new FakeToolkit();
    const run = await runCommand(['promote', '--environment', 'production'], { toolkit });

    expect(run.code).toBe(0);
    expect(toolkit.calls).toEqual([
      { selector: 'Production/Service', stackName: 'Production-Service', parameters: { StableImageTag: 'v1.5.0', CanaryTraffic: '0' } },
    ]);
    expect(sent(mocks.cloudwatch)).toEqual([
      ['DescribeAlarmsCommand', { AlarmNamePrefix: 'mcp-rollout-production-', AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], StateValue: 'ALARM' }],
    ]);
    const [entries] = sent(mocks.events).map(([, input]) => (input as { Entries: { DetailType: string; Detail: string }[] }).Entries);
    expect(entries?.map((e) => [e.DetailType, JSON.parse(e.Detail).canaryPercent])).toEqual([
      ['traffic_percentage_changed', 0],
      ['deployment_completed', 0],
    ]);
    expect(run.stdout).toContain('production: stable runs v1.5.0 and gets 100 %; the canary gets 0 %.');
  });

  test('refuses to promote a rolled-back canary', async () => {
    mocks.cloudformation.on(DescribeStacksCommand).resolves(describeStacks('production', { canaryTraffic: 100 }));
    latchIs(LATCHED);
    const toolkit = new FakeToolkit();
    const run = await runCommand(['promote', '--environment', 'production'], { toolkit });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('promoting would put the rolled-back canary image v1.5.0 on stable');
    expect(toolkit.calls).toEqual([]);
  });

  test('refuses while a critical or trigger alarm fires', async () => {
    mocks.cloudformation.on(DescribeStacksCommand).resolves(describeStacks('production', { canaryTraffic: 100 }));
    latchIs('clear');
    mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        { AlarmName: 'mcp-rollout-production-canary-error-rate-warning', StateValue: 'ALARM' },
        { AlarmName: 'mcp-rollout-production-service-response-time-p95-critical', StateValue: 'ALARM' },
      ],
    });
    const toolkit = new FakeToolkit();
    const run = await runCommand(['promote', '--environment', 'production'], { toolkit });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      'error: critical or trigger alarm(s) in ALARM: mcp-rollout-production-service-response-time-p95-critical; promoting now could make a bad release stable\n',
    );
    expect(toolkit.calls).toEqual([]);
  });

  test('has nothing to do when stable already runs the canary image at 0 %', async () => {
    mocks.cloudformation.on(DescribeStacksCommand).resolves(describeStacks('production', { canaryTraffic: 0, stableImageTag: 'v1.5.0' }));
    latchIs('clear');
    mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({});
    const toolkit = new FakeToolkit();
    const run = await runCommand(['promote', '--environment', 'production'], { toolkit });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('Nothing to promote: stable already runs v1.5.0 and the canary gets 0 %.');
    expect(sentNames(mocks.events)).toEqual([]);
  });
});
