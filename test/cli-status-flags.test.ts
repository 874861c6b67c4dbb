import {
  ConflictException,
  CreateHostedConfigurationVersionCommand,
  GetDeploymentCommand,
  GetHostedConfigurationVersionCommand,
  ListDeploymentsCommand,
  StartDeploymentCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-appconfig';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeRulesCommand, DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetParameterCommand, GetParameterHistoryCommand } from '@aws-sdk/client-ssm';
import { parseFlagDocument } from '../lib/shared/feature-flags';
import { sent, sentNames } from './helpers/aws-mocks';
import { FakeClock, FLAGS_ON, FLAGS_ROLLED_BACK, hostedVersion, LATCHED, mocks, outputsFor, resetMocks, rules, runCommand, stackIs } from './helpers/cli';

const o = outputsFor('production');
const deployments = (...items: [number, string, string][]) => ({
  Items: items.map(([n, state, version]) => ({ DeploymentNumber: n, State: state as never, ConfigurationVersion: version, PercentageComplete: state === 'COMPLETE' ? 100 : 40 })),
});

beforeEach(() => {
  resetMocks();
  stackIs('production', { canaryTraffic: 10 });
});

describe('status', () => {
  function healthyAtTen() {
    mocks.elb.on(DescribeRulesCommand).resolves(rules('production', 90, 10));
    mocks.elb.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [{ TargetHealth: { State: 'healthy' } }, { TargetHealth: { State: 'healthy' } }],
    });
    mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'clear' } });
    mocks.ssm.on(GetParameterHistoryCommand).resolves({
      Parameters: [
        { Value: 'clear', LastModifiedDate: new Date('2026-11-01T09:00:00Z'), LastModifiedUser: 'arn:aws:iam::123456789012:role/cfn' },
        { Value: LATCHED, LastModifiedDate: new Date('2026-11-20T09:41:08Z'), LastModifiedUser: 'arn:aws:sts::123456789012:assumed-role/rollback/fn' },
        { Value: 'clear', LastModifiedDate: new Date('2026-11-20T11:02:00Z'), LastModifiedUser: 'arn:aws:sts::123456789012:assumed-role/oncall/alice' },
      ],
    });
    mocks.appconfig.on(ListDeploymentsCommand).resolves(deployments([5, 'COMPLETE', '4']));
    mocks.appconfig.on(GetHostedConfigurationVersionCommand).resolves(hostedVersion(FLAGS_ON));
    mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        { AlarmName: 'mcp-rollout-production-canary-llm-success-rate-trigger', StateValue: 'OK' },
        { AlarmName: 'mcp-rollout-production-canary-error-rate-warning', StateValue: 'ALARM' },
      ],
      CompositeAlarms: [{ AlarmName: 'mcp-rollout-production-service-any-rollback-trigger-trigger', StateValue: 'OK' }],
    });
    const service = (name: string, running: number) => ({
      serviceName: name,
      runningCount: running,
      desiredCount: running,
      pendingCount: 0,
      taskDefinition: `arn:aws:ecs:eu-west-1:123456789012:task-definition/${name}:7`,
      deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED' as const }],
    });
    mocks.ecs.on(DescribeServicesCommand).resolves({ services: [service(o.stableServiceName, 3), service(o.canaryServiceName, 2)] });
  }

  test('shows weights, latch, flags, alarms, target health and the last rollback; exit 0 when healthy', async () => {
    healthyAtTen();
    const run = await runCommand(['status', '--environment', 'production']);
    expect(run.code).toBe(0);
    expect(sent(mocks.elb)).toEqual([
      ['DescribeRulesCommand', { RuleArns: [o.trafficRuleArn] }],
      ['DescribeTargetHealthCommand', { TargetGroupArn: o.stableTargetGroupArn }],
      ['DescribeTargetHealthCommand', { TargetGroupArn: o.canaryTargetGroupArn }],
    ]);
    expect(sent(mocks.ecs)).toEqual([['DescribeServicesCommand', { cluster: o.clusterName, services: [o.stableServiceName, o.canaryServiceName] }]]);
    expect(sent(mocks.ssm)).toEqual([
      ['GetParameterCommand', { Name: o.latchParameterName }],
      ['GetParameterHistoryCommand', { Name: o.latchParameterName, MaxResults: 50 }],
    ]);
    expect(sent(mocks.cloudwatch)).toEqual([['DescribeAlarmsCommand', { AlarmNamePrefix: 'mcp-rollout-production-', AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }]]);
    expect(run.stdout.split('\n')).toEqual([
      'production: Production-Service UPDATE_COMPLETE, CanaryTraffic 10, images stable v1.4.0 / canary v1.5.0',
      'latch: clear',
      '',
      'slot    weight  targets healthy  tasks running/desired  ECS rollout',
      'stable  90 %    2/2              3/3                    COMPLETED',
      'canary  10 %    2/2              2/2                    COMPLETED',
      '',
      'flags: applied deployment #5 COMPLETE (version 4, 100 %)',
      '  hierarchical_tools_enabled   on   (rollback flag)',
      '  enumdescriptions_validation  on   (rollback flag)',
      '  auto_correction_enabled      on',
      '  enhanced_error_messages      on',
      '  performance_monitoring       on',
      '',
      'alarms: 1 ALARM, 2 OK',
      '  ALARM             mcp-rollout-production-canary-error-rate-warning',
      '',
      'last rollback: by mcp-rollout-production-canary-llm-success-rate-trigger at 2026-11-24T09:41:07.000Z: Threshold Crossed: 5 out of the last 5 datapoints were less than the threshold (85.0); resumed at 2026-11-20T11:02:00.000Z by arn:aws:sts::123456789012:assumed-role/oncall/alice',
      '',
      'rollout: unknown (stack Production-Rollout (the rollout engine) does not exist in this account and region; Deploy it: npx cdk deploy Production/Rollout (after the Service stack), then run the command again.)',
      '',
      'links:',
      '  dashboard realtime                            https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/mcp-rollout-production-realtime',
      '  dashboard hourly                              https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/mcp-rollout-production-hourly',
      '  dashboard daily                               https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/mcp-rollout-production-daily',
      '  alarms                                        https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:',
      '  rollback function                             https://eu-west-1.console.aws.amazon.com/lambda/home?region=eu-west-1#/functions/mcp-rollout-production-rollback',
      '  ECS services                                  https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/Production-Service-McpCluster4E9A0A1B-Xy12/services?region=eu-west-1',
      '  feature flags                                 https://eu-west-1.console.aws.amazon.com/systems-manager/appconfig/applications/abc1234?region=eu-west-1',
      '  latch /mcp-rollout/production/rollback-latch  https://eu-west-1.console.aws.amazon.com/systems-manager/parameters?region=eu-west-1',
      '',
      'healthy: nothing needs attention',
    ]);
  });

  test('exits 4 (not 1, an AWS error) and lists what needs attention: a firing trigger, a slot with traffic and no healthy target, weights that disagree', async () => {
    healthyAtTen();
    mocks.elb.on(DescribeRulesCommand).resolves(rules('production', 50, 50));
    mocks.elb.on(DescribeTargetHealthCommand, { TargetGroupArn: o.canaryTargetGroupArn }).resolves({ TargetHealthDescriptions: [{ TargetHealth: { State: 'unhealthy' } }] });
    mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'mcp-rollout-production-canary-error-rate-trigger', StateValue: 'ALARM' }] });
    const run = await runCommand(['status', '--environment', 'production', '--json']);
    expect(run.code).toBe(4);
    expect((JSON.parse(run.stdout) as { attention: string[] }).attention).toEqual([
      'live weights stable 50 / canary 50 differ from the expected stable 90 / canary 10 (CanaryTraffic 10)',
      'mcp-rollout-production-canary-error-rate-trigger is in ALARM',
      'canary gets 50 % of traffic but has no healthy target',
    ]);
  });

  test('verifies a rollback: latched, all on stable, rollback flags off', async () => {
    healthyAtTen();
    mocks.elb.on(DescribeRulesCommand).resolves(rules('production', 100, 0));
    mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: LATCHED } });
    mocks.appconfig.on(GetHostedConfigurationVersionCommand).resolves(hostedVersion(FLAGS_ROLLED_BACK));
    mocks.ssm.on(GetParameterHistoryCommand).resolves({ Parameters: [{ Value: 'clear' }, { Value: LATCHED, LastModifiedDate: new Date('2026-11-24T09:41:08Z') }] });
    const run = await runCommand(['status', '--environment', 'production']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('latch: set by mcp-rollout-production-canary-llm-success-rate-trigger at 2026-11-24T09:41:07.000Z');
    expect(run.stdout).toContain('  hierarchical_tools_enabled   off  (rollback flag)');
    expect(run.stdout).toContain('stable  100 %');
    expect(run.stdout).toContain('(85.0) (in force)');
  });
});

describe('flags', () => {
  test('list shows each flag, whether a rollback turns it off, and the deployment state', async () => {
    mocks.appconfig.on(ListDeploymentsCommand).resolves(deployments([6, 'BAKING', '5'], [5, 'COMPLETE', '4']));
    mocks.appconfig.on(GetHostedConfigurationVersionCommand).resolves(hostedVersion(FLAGS_ON));
    const run = await runCommand(['flags', 'list', '--environment', 'production']);
    expect(run.code).toBe(0);
    expect(sent(mocks.appconfig)).toEqual([
      ['ListDeploymentsCommand', { ApplicationId: 'abc1234', EnvironmentId: 'env5678', MaxResults: 10 }],
      ['GetHostedConfigurationVersionCommand', { ApplicationId: 'abc1234', ConfigurationProfileId: 'prof901', VersionNumber: 5 }],
      // The last completed document too: what the targets return to if #6 is stopped.
      ['GetHostedConfigurationVersionCommand', { ApplicationId: 'abc1234', ConfigurationProfileId: 'prof901', VersionNumber: 4 }],
    ]);
    expect(run.stdout.split('\n')).toEqual([
      'flag                         value  rollback turns it off',
      'hierarchical_tools_enabled   on     yes',
      'enumdescriptions_validation  on     yes',
      'auto_correction_enabled      on     no',
      'enhanced_error_messages      on     no',
      'performance_monitoring       on     no',
      'applied deployment: #6 BAKING (version 5, 40 %)',
      'in progress: #6 BAKING (version 5, 40 %)',
    ]);
  });

  test('set creates a version of the applied document and deploys it with the gradual strategy', async () => {
    mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'clear' } });
    mocks.appconfig.on(ListDeploymentsCommand).resolves(deployments([5, 'COMPLETE', '4']));
    mocks.appconfig.on(GetHostedConfigurationVersionCommand).resolves(hostedVersion(FLAGS_ON));
    mocks.appconfig.on(CreateHostedConfigurationVersionCommand).resolves({ VersionNumber: 5 });
    mocks.appconfig.on(StartDeploymentCommand).resolves({ DeploymentNumber: 6 });
    const run = await runCommand(['flags', 'set', 'auto_correction_enabled=false', '--environment', 'production']);

    expect(run.code).toBe(0);
    const calls = sent(mocks.appconfig);
    expect(calls.map(([name]) => name)).toEqual([
      'ListDeploymentsCommand',
      'GetHostedConfigurationVersionCommand',
      'CreateHostedConfigurationVersionCommand',
      'StartDeploymentCommand',
    ]);
    const create = calls[2]?.[1] as { Content: Uint8Array };
    expect(parseFlagDocument(new TextDecoder().decode(create.Content)).values.auto_correction_enabled).toEqual({ enabled: false });
    expect(parseFlagDocument(new TextDecoder().decode(create.Content)).values.hierarchical_tools_enabled).toEqual({ enabled: true });
    expect({ ...create, Content: undefined }).toEqual({
      ApplicationId: 'abc1234',
      ConfigurationProfileId: 'prof901',
      Content: undefined,
      ContentType: 'application/json',
      Description: 'mcp-rollout flags set by alice: auto_correction_enabled=false',
    });
    expect(calls[3]).toEqual([
      'StartDeploymentCommand',
      {
        ApplicationId: 'abc1234',
        EnvironmentId: 'env5678',
        ConfigurationProfileId: 'prof901',
        ConfigurationVersion: '5',
        DeploymentStrategyId: 'grad123',
        Description: 'mcp-rollout flags set by alice: auto_correction_enabled=false',
      },
    ]);
    expect(run.stdout.split('\n')).toEqual([
      'Started flag deployment #6 of version 5 with mcp-rollout-production-gradual: auto_correction_enabled=false.',
      'Deployment #6 reaches every task over 10 min, then bakes 10 min; a firing rollback trigger rolls it back.',
      'Follow it: npx mcp-rollout flags list --environment production',
    ]);
  });

  test('Ctrl-C between the hosted version and its deployment: the deployment still starts, and the CLI says why', async () => {
    const controller = new AbortController();
    mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'clear' } });
    mocks.appconfig.on(ListDeploymentsCommand).resolves(deployments([5, 'COMPLETE', '4']));
    mocks.appconfig.on(GetHostedConfigurationVersionCommand).resolves(hostedVersion(FLAGS_ON));
    mocks.appconfig.on(CreateHostedConfigurationVersionCommand).callsFake(() => {
      controller.abort();
      return { VersionNumber: 6 };
    });
    mocks.appconfig.on(StartDeploymentCommand).resolves({ DeploymentNumber: 7 });
    mocks.appconfig.on(GetDeploymentCommand).resolves({ State: 'DEPLOYING', PercentageComplete: 0 });
    const run = await runCommand(['flags', 'set', 'enhanced_error_messages=false', '--immediate', '--environment', 'production'], { controller });

    expect(sentNames(mocks.appconfig)).toEqual(['ListDeploymentsCommand', 'GetHostedConfigurationVersionCommand', 'CreateHostedConfigurationVersionCommand', 'StartDeploymentCommand', 'GetDeploymentCommand']);
    expect(run.code).toBe(130);
    expect(run.stderr).toBe(
      'Ctrl-C: waiting for the flag change (a hosted version and its deployment) to finish first: a change cut off half-way would be worse than one that finishes. Stopping right after.\n' +
        'deployment #7 DEPLOYING 0 % (0 ms)\n' +
        'error: interrupted (Ctrl-C)\n' +
        'next: Run `npx mcp-rollout status --environment production` to see the live state, then decide what to do next: the flag change (a hosted version and its deployment) had started before the Ctrl-C and finished; nothing else was changed.\n',
    );
  });

  test('set --immediate stops a deployment in progress, deploys with the immediate strategy and waits for COMPLETE', async () => {
    mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'clear' } });
    mocks.appconfig.on(ListDeploymentsCommand).resolves(deployments([6, 'BAKING', '5'], [5, 'COMPLETE', '4']));
    mocks.appconfig.on(GetHostedConfigurationVersionCommand).resolves(hostedVersion(FLAGS_ON));
    mocks.appconfig.on(StopDeploymentCommand).resolves({});
    mocks.appconfig.on(CreateHostedConfigurationVersionCommand).resolves({ VersionNumber: 6 });
    mocks.appconfig.on(StartDeploymentCommand).resolves({ DeploymentNumber: 7 });
    mocks.appconfig.on(GetDeploymentCommand).resolvesOnce({ State: 'DEPLOYING', PercentageComplete: 0 }).resolves({ State: 'COMPLETE', PercentageComplete: 100 });
    const clock = new FakeClock();
    const run = await runCommand(['flags', 'set', 'enhanced_error_messages=false', '--immediate', '--environment', 'production'], { clock });

    expect(run.code).toBe(0);
    expect(sentNames(mocks.appconfig)).toEqual([
      'ListDeploymentsCommand',
      'GetHostedConfigurationVersionCommand',
      'GetHostedConfigurationVersionCommand',
      'StopDeploymentCommand',
      'CreateHostedConfigurationVersionCommand',
      'StartDeploymentCommand',
      'GetDeploymentCommand',
      'GetDeploymentCommand',
    ]);
    // BAKING: AppConfig stops it only with AllowRevert (test/cli-latch-fake.test.ts runs this against the fake).
    expect(sent(mocks.appconfig)[3]).toEqual(['StopDeploymentCommand', { ApplicationId: 'abc1234', EnvironmentId: 'env5678', DeploymentNumber: 6, AllowRevert: true }]);
    expect((sent(mocks.appconfig)[5]?.[1] as { DeploymentStrategyId: string }).DeploymentStrategyId).toBe('imm4567');
    expect(clock.sleeps).toEqual([2000]);
    expect(run.stdout).toContain('Deployment #7 is COMPLETE; every task has enhanced_error_messages=false within one agent poll (15 s).');
  });

  test('refuses a gradual change while another deployment is in progress', async () => {
    mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'clear' } });
    mocks.appconfig.on(ListDeploymentsCommand).resolves(deployments([6, 'BAKING', '5']));
    mocks.appconfig.on(GetHostedConfigurationVersionCommand).resolves(hostedVersion(FLAGS_ON));
    const run = await runCommand(['flags', 'set', 'enhanced_error_messages=false', '--environment', 'production']);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      'error: flag deployment #6 is BAKING; AppConfig runs one deployment per environment at a time\n' +
        'next: Wait for it to finish (npx mcp-rollout flags list --environment production), or add --immediate to stop it and deploy this change at once.\n',
    );
    expect(sentNames(mocks.appconfig)).not.toContain('CreateHostedConfigurationVersionCommand');
  });

  test('refuses to turn a rollback flag on while latched', async () => {
    mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: LATCHED } });
    const run = await runCommand(['flags', 'set', 'hierarchical_tools_enabled=true', '--environment', 'production']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(': hierarchical_tools_enabled must stay off until it resumes\n');
    expect(mocks.appconfig.calls()).toHaveLength(0);
  });

  test('says what happened when the deployment cannot start after the version was created', async () => {
    mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'clear' } });
    mocks.appconfig.on(ListDeploymentsCommand).resolves(deployments([5, 'COMPLETE', '4']));
    mocks.appconfig.on(GetHostedConfigurationVersionCommand).resolves(hostedVersion(FLAGS_ON));
    mocks.appconfig.on(CreateHostedConfigurationVersionCommand).resolves({ VersionNumber: 5 });
    mocks.appconfig.on(StartDeploymentCommand).rejects(new ConflictException({ message: 'Deployment 6 is in progress', $metadata: {} }));
    const run = await runCommand(['flags', 'set', 'performance_monitoring=false', '--environment', 'production']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'error: hosted version 5 was created but its deployment did not start: ConflictException: Deployment 6 is in progress\n' +
        'next: Another flag deployment started meanwhile; nothing reached the tasks. Run flags set again once it finishes, or with --immediate.\n',
    );
  });

  test('does nothing when the flags already have those values', async () => {
    mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'clear' } });
    mocks.appconfig.on(ListDeploymentsCommand).resolves(deployments([5, 'COMPLETE', '4']));
    mocks.appconfig.on(GetHostedConfigurationVersionCommand).resolves(hostedVersion(FLAGS_ON));
    const run = await runCommand(['flags', 'set', 'performance_monitoring=true', '--environment', 'production']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('Nothing to change: performance_monitoring=true already.');
  });

  test.each([
    [['flags', 'set', '--environment', 'production'], 'error: flags set needs at least one NAME=true|false; the flags are hierarchical_tools_enabled, enumdescriptions_validation, auto_correction_enabled, enhanced_error_messages, performance_monitoring'],
    [['flags', 'set', 'auto_correction_enabled=yes', '--environment', 'production'], 'error: auto_correction_enabled must be set to true or false, got "yes"'],
    [['flags', 'set', 'Auto=true', '--environment', 'production'], 'error: "Auto" is not a valid flag key: it must start with a lowercase letter and contain only letters, digits, "_" or "-" (at most 64 characters)'],
    [['flags', 'set', 'auto_correction_enabled', '--environment', 'production'], 'error: "auto_correction_enabled" must be NAME=true or NAME=false'],
    [['flags', 'toggle', '--environment', 'production'], 'error: flags needs "list" or "set NAME=true|false...", got "toggle"'],
    [['flags', 'list', '--immediate', '--environment', 'production'], 'error: --immediate only applies to flags set'],
  ])('refuses %j before calling AWS', async (argv, message) => {
    const run = await runCommand(argv);
    expect(run.code).toBe(64);
    expect(run.stderr.split('\n')[0]).toBe(message);
    expect(mocks.cloudformation.calls()).toHaveLength(0);
  });
});
