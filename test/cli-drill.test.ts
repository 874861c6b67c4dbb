import { GetHostedConfigurationVersionCommand, ListDeploymentsCommand } from '@aws-sdk/client-appconfig';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeAlarmsCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeRulesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { sent } from './helpers/aws-mocks';
import { testConfig } from './helpers/config';
import { describeStacks, FakeClock, FLAGS_ON, FLAGS_ROLLED_BACK, hostedVersion, LATCHED, mocks, NOW, resetMocks, rules, runCommand } from './helpers/cli';

const ALARM = 'mcp-rollout-staging-canary-llm-success-rate-trigger';
const FUNCTION_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:mcp-rollout-staging-rollback';
const SNS_ARN = 'arn:aws:sns:eu-west-1:123456789012:mcp-rollout-staging-critical';
const list = (...items: [number, string, string][]) => ({ Items: items.map(([n, s, v]) => ({ DeploymentNumber: n, State: s as never, ConfigurationVersion: v })) });

beforeEach(() => {
  resetMocks();
  mocks.cloudformation.on(DescribeStacksCommand).resolves(describeStacks('staging', { canaryTraffic: 10 }));
  mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: ALARM, StateValue: 'OK', AlarmActions: [FUNCTION_ARN, SNS_ARN] }] });
  mocks.cloudwatch.on(SetAlarmStateCommand).resolves({});
  mocks.appconfig.on(GetHostedConfigurationVersionCommand, { VersionNumber: 4 }).resolves(hostedVersion(FLAGS_ON));
  mocks.appconfig.on(GetHostedConfigurationVersionCommand, { VersionNumber: 5 }).resolves(hostedVersion(FLAGS_ROLLED_BACK));
});

/** Before and at the first look: canary at 10 %, flags on; 2 s later traffic moved; 4 s later flags off and latch set. */
function rollbackRuns() {
  mocks.elb.on(DescribeRulesCommand).resolvesOnce(rules('staging', 90, 10)).resolvesOnce(rules('staging', 90, 10)).resolves(rules('staging', 100, 0));
  mocks.ssm
    .on(GetParameterCommand)
    .resolvesOnce({ Parameter: { Value: 'clear' } })
    .resolvesOnce({ Parameter: { Value: 'clear' } })
    .resolvesOnce({ Parameter: { Value: 'clear' } })
    .resolvesOnce({ Parameter: { Value: 'clear' } })
    .resolves({ Parameter: { Value: LATCHED } });
  mocks.appconfig
    .on(ListDeploymentsCommand)
    .resolvesOnce(list([5, 'COMPLETE', '4']))
    .resolvesOnce(list([5, 'COMPLETE', '4']))
    .resolvesOnce(list([6, 'DEPLOYING', '5'], [5, 'COMPLETE', '4']))
    .resolves(list([6, 'COMPLETE', '5'], [5, 'COMPLETE', '4']));
}

describe('drill', () => {
  test('forces the trigger into ALARM and prints the timeline against the 5-minute promise', async () => {
    rollbackRuns();
    const clock = new FakeClock();
    const run = await runCommand(['drill', '--environment', 'staging'], { clock });

    expect(run.code).toBe(0);
    expect(sent(mocks.cloudwatch)).toEqual([
      ['DescribeAlarmsCommand', { AlarmNames: [ALARM], AlarmTypes: ['MetricAlarm'] }],
      ['SetAlarmStateCommand', { AlarmName: ALARM, StateValue: 'ALARM', StateReason: 'mcp-rollout drill by alice: forced to time the automated rollback' }],
    ]);
    expect(clock.sleeps).toEqual([2000, 2000]);
    expect(run.stdout.split('\n')).toEqual([
      `Forced ${ALARM} into ALARM; CloudWatch now invokes mcp-rollout-staging-rollback. Timing against the 300 s promise...`,
      'Drill on staging: safe in 19.0 s, within the 5-minute promise.',
      'time     event                                                    budget (README "Time to safe")',
      '+0 ms    trigger alarm forced into ALARM (SetAlarmState)',
      '+2.0 s   all traffic on stable (canary weight 0)                  60 s: within',
      '+4.0 s   latch set',
      '+4.0 s   rollback flags off, deployment #6 COMPLETE',
      '+19.0 s  every task has the flags off (+ one agent poll, 15.0 s)  120 s: within',
      `staging stays rolled back, as after a real incident. ${ALARM} returns to its real state at its next evaluation.`,
      'Next: npx mcp-rollout resume --environment staging --confirm',
    ]);
  });

  test('refuses production unless told explicitly, before calling AWS', async () => {
    const run = await runCommand(['drill', '--environment', 'production']);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      'error: a drill rolls the environment back for real; refusing to drill production\n' +
        'next: Drill staging (`npx mcp-rollout drill --environment staging`), or add --allow-production during an agreed game day.\n',
    );
    expect(mocks.cloudformation.calls()).toHaveLength(0);
    expect(mocks.cloudwatch.calls()).toHaveLength(0);
  });

  test('refuses a production-tier environment whatever its name (the rule follows the tier)', async () => {
    const environments = testConfig({ environments: { staging: { tier: 'production' } } }).environments;
    const run = await runCommand(['drill', '--environment', 'staging'], { environments });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^error: a drill rolls the environment back for real; refusing to drill production\n/);
    expect(sent(mocks.cloudwatch)).toEqual([]);
  });

  test('drills production with --allow-production', async () => {
    mocks.cloudformation.on(DescribeStacksCommand).resolves(describeStacks('production', { canaryTraffic: 10 }));
    mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [{ AlarmName: 'mcp-rollout-production-canary-error-rate-trigger', StateValue: 'OK', AlarmActions: [FUNCTION_ARN.replace('staging', 'production')] }],
    });
    mocks.elb.on(DescribeRulesCommand).resolvesOnce(rules('production', 90, 10)).resolves(rules('production', 100, 0));
    mocks.ssm.on(GetParameterCommand).resolvesOnce({ Parameter: { Value: 'clear' } }).resolvesOnce({ Parameter: { Value: 'clear' } }).resolves({ Parameter: { Value: LATCHED } });
    mocks.appconfig.on(ListDeploymentsCommand).resolvesOnce(list([5, 'COMPLETE', '4'])).resolves(list([6, 'COMPLETE', '5']));
    const run = await runCommand(['drill', '--environment', 'production', '--allow-production', '--alarm', 'mcp-rollout-production-canary-error-rate-trigger']);
    expect(run.code).toBe(0);
    expect(sent(mocks.cloudwatch)[1]?.[1]).toMatchObject({ AlarmName: 'mcp-rollout-production-canary-error-rate-trigger', StateValue: 'ALARM' });
  });

  test('exits 1 and says to roll back by hand when nothing moved within 5 minutes', async () => {
    mocks.elb.on(DescribeRulesCommand).resolves(rules('staging', 90, 10));
    mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'clear' } });
    mocks.appconfig.on(ListDeploymentsCommand).resolves(list([5, 'COMPLETE', '4']));
    const clock = new FakeClock();
    const run = await runCommand(['drill', '--environment', 'staging'], { clock });
    expect(run.code).toBe(1);
    expect(clock.current - NOW).toBe(300_000);
    expect(run.stdout).toContain('Drill on staging: the 5-minute promise was NOT kept.');
    expect(run.stdout).toContain('not seen  all traffic on stable (canary weight 0)                  60 s: OVER');
    expect(run.stdout).toContain(`staging was not latched. ${ALARM} returns to its real state at its next evaluation.`);
    expect(run.stdout).toContain('Next: the canary still gets 10 %: roll back by hand now (npx mcp-rollout rollback --environment staging --confirm)');
  });

  test('refuses an alarm that does not invoke the rollback function', async () => {
    mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'mcp-rollout-staging-canary-error-rate-critical', StateValue: 'OK', AlarmActions: [SNS_ARN] }] });
    const run = await runCommand(['drill', '--environment', 'staging', '--alarm=mcp-rollout-staging-canary-error-rate-critical']);
    expect(run.code).toBe(64);
    expect(run.stderr.split('\n')[0]).toBe(
      'error: --alarm mcp-rollout-staging-canary-error-rate-critical does not invoke the rollback function; a drill needs a trigger alarm of staging, e.g. mcp-rollout-staging-canary-error-rate-trigger',
    );
    expect(sent(mocks.cloudwatch).map(([name]) => name)).toEqual(['DescribeAlarmsCommand']);
  });

  test('refuses when the alarm is already in ALARM, or the environment is already rolled back', async () => {
    mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: ALARM, StateValue: 'ALARM', AlarmActions: [FUNCTION_ARN] }] });
    const firing = await runCommand(['drill', '--environment', 'staging']);
    expect(firing.code).toBe(3);
    expect(firing.stderr.split('\n')[0]).toBe(`error: ${ALARM} is already in ALARM: forcing it changes nothing, so the drill would measure nothing`);

    mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: ALARM, StateValue: 'OK', AlarmActions: [FUNCTION_ARN] }] });
    mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: LATCHED } });
    const latched = await runCommand(['drill', '--environment', 'staging']);
    expect(latched.code).toBe(3);
    expect(latched.stderr).toContain('next: Resume first (npx mcp-rollout resume --environment staging --confirm), then drill.');
    expect(sent(mocks.cloudwatch).filter(([name]) => name === 'SetAlarmStateCommand')).toEqual([]);
  });
});
