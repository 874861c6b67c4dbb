import { GetHostedConfigurationVersionCommand, ListDeploymentsCommand } from '@aws-sdk/client-appconfig';
import { CloudFormationServiceException, DescribeStacksCommand, UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeRulesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { InvokeCommand, TooManyRequestsException } from '@aws-sdk/client-lambda';
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import type { RollbackResult } from '../lib/shared/rollback-contract';
import { sent, sentNames } from './helpers/aws-mocks';
import {
  CFN_ROLE,
  describeStacks,
  FakeClock,
  FLAGS_ROLLED_BACK,
  hostedVersion,
  LATCH_RECORD,
  LATCHED,
  mocks,
  NOW,
  outputsFor,
  resetMocks,
  rules,
  runCommand,
} from './helpers/cli';

const o = outputsFor('production');
const payload = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)) as never;
const decoded = (input: unknown) => JSON.parse(new TextDecoder().decode((input as { Payload: Uint8Array }).Payload)) as unknown;

const BEFORE = { weights: { stable: 90, canary: 10 }, latch: { latched: false as const }, flags: {} };
const ROLLED_BACK: RollbackResult = {
  outcome: 'rolled_back',
  environment: 'production',
  trigger: { kind: 'manual', name: 'alice', reason: 'manual rollback by alice (mcp-rollout rollback)' },
  before: BEFORE,
  steps: [
    { step: 'traffic', status: 'done', detail: 'weights stable 90 / canary 10 -> stable 100 / canary 0' },
    { step: 'flags', status: 'done', detail: 'hosted version 7 with hierarchical_tools_enabled, enumdescriptions_validation off, deployment 8 (immediate)' },
    { step: 'latch', status: 'done', detail: '/mcp-rollout/production/rollback-latch set by alice' },
    { step: 'verify', status: 'done', detail: 'read back: canary weight 0, latch set, flag deployment 8 DEPLOYING' },
    { step: 'report', status: 'done', detail: 'EventBridge event and critical notification sent' },
  ],
  durationMs: 2140,
};

/** The live state after a rollback: all on stable, latch set, flags off in deployment 8. */
function safeAfterRollback(flagStates: string[] = ['COMPLETE']) {
  mocks.elb.on(DescribeRulesCommand).resolves(rules('production', 100, 0));
  mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: LATCHED } });
  const list = (state: string) => ({ Items: [{ DeploymentNumber: 8, State: state as never, ConfigurationVersion: '7' }] });
  const stub = mocks.appconfig.on(ListDeploymentsCommand);
  flagStates.slice(0, -1).forEach((s) => stub.resolvesOnce(list(s)));
  stub.resolves(list(flagStates[flagStates.length - 1] ?? 'COMPLETE'));
  mocks.appconfig.on(GetHostedConfigurationVersionCommand).resolves(hostedVersion(FLAGS_ROLLED_BACK));
}

beforeEach(() => {
  resetMocks();
  mocks.cloudformation.on(DescribeStacksCommand).resolves(describeStacks('production', { canaryTraffic: 10 }));
});

describe('rollback', () => {
  test('without --confirm sends a dry run, prints what would change, changes nothing and exits 3', async () => {
    mocks.lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      Payload: payload({
        outcome: 'dry_run',
        environment: 'production',
        before: BEFORE,
        steps: [
          { step: 'traffic', status: 'skipped', detail: 'would move traffic from canary 10 % to stable' },
          { step: 'flags', status: 'skipped', detail: 'would turn off hierarchical_tools_enabled, enumdescriptions_validation with the immediate strategy' },
          { step: 'latch', status: 'skipped', detail: 'would set /mcp-rollout/production/rollback-latch' },
        ],
        durationMs: 310,
      }),
    });
    const run = await runCommand(['rollback', '--environment', 'production']);

    expect(run.code).toBe(3);
    expect(sent(mocks.lambda).map(([name, input]) => [name, { ...(input as object), Payload: decoded(input) }])).toEqual([
      [
        'InvokeCommand',
        {
          FunctionName: 'mcp-rollout-production-rollback',
          InvocationType: 'RequestResponse',
          Payload: { action: 'rollback', reason: 'manual rollback by alice (mcp-rollout rollback)', requestedBy: 'alice', dryRun: true },
        },
      ],
    ]);
    expect(run.stdout.split('\n')).toEqual([
      'Dry run of a rollback of production: invoking mcp-rollout-production-rollback (RequestResponse)...',
      'Dry run: nothing changed in production. The rollback would:',
      'step     status   detail',
      'traffic  skipped  would move traffic from canary 10 % to stable',
      'flags    skipped  would turn off hierarchical_tools_enabled, enumdescriptions_validation with the immediate strategy',
      'latch    skipped  would set /mcp-rollout/production/rollback-latch',
      'Run again with --confirm to roll back: npx mcp-rollout rollback --environment production --confirm',
    ]);
    expect(mocks.elb.calls()).toHaveLength(0);
  });

  test('with --confirm invokes the function, then verifies the live state itself and reports the durations', async () => {
    safeAfterRollback(['DEPLOYING', 'COMPLETE']);
    const clock = new FakeClock();
    mocks.lambda.on(InvokeCommand).callsFake(() => {
      clock.current += 2400;
      return { StatusCode: 200, Payload: payload(ROLLED_BACK) };
    });
    const run = await runCommand(['rollback', '--environment', 'production', '--confirm', '--reason', 'p95 regression on canary'], { clock });

    expect(run.code).toBe(0);
    expect(decoded(mocks.lambda.calls()[0]?.args[0].input)).toEqual({ action: 'rollback', reason: 'p95 regression on canary', requestedBy: 'alice', dryRun: false });
    // One look with the flag deployment still DEPLOYING, a 2 s wait, a second look: safe.
    expect(clock.sleeps).toEqual([2000]);
    expect(sentNames(mocks.appconfig)).toEqual([
      'ListDeploymentsCommand',
      'GetHostedConfigurationVersionCommand',
      'ListDeploymentsCommand',
      'GetHostedConfigurationVersionCommand',
    ]);
    expect(sent(mocks.appconfig)[1]).toEqual(['GetHostedConfigurationVersionCommand', { ApplicationId: 'abc1234', ConfigurationProfileId: 'prof901', VersionNumber: 7 }]);
    expect(run.stdout.split('\n')).toEqual([
      'Rolling back production: invoking mcp-rollout-production-rollback (RequestResponse)...',
      'Rolled back: production, by the function in 2.1 s, verified after 4.4 s.',
      'step     status  detail',
      'traffic  done    weights stable 90 / canary 10 -> stable 100 / canary 0',
      'flags    done    hosted version 7 with hierarchical_tools_enabled, enumdescriptions_validation off, deployment 8 (immediate)',
      'latch    done    /mcp-rollout/production/rollback-latch set by alice',
      'verify   done    read back: canary weight 0, latch set, flag deployment 8 DEPLOYING',
      'report   done    EventBridge event and critical notification sent',
      'verified                 state',
      'traffic on stable: yes   stable 100 / canary 0',
      'rollback flags off: yes  hierarchical_tools_enabled, enumdescriptions_validation; deployment 8 COMPLETE',
      `latch set: yes           ${o.latchParameterName}`,
      'Tasks pick up the flags within one agent poll (15 s). Next: find the cause; when fixed, npx mcp-rollout resume --environment production --confirm',
    ]);
  });

  test('exits 1 when the function says rolled back but the canary still gets traffic after the 120 s budget', async () => {
    safeAfterRollback();
    mocks.elb.on(DescribeRulesCommand).resolves(rules('production', 90, 10));
    mocks.lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload(ROLLED_BACK) });
    const clock = new FakeClock();
    const run = await runCommand(['rollback', '--environment', 'production', '--confirm', '--json'], { clock });

    expect(run.code).toBe(1);
    expect(clock.current - NOW).toBe(120_000);
    const result = JSON.parse(run.stdout) as { verified: boolean; state: { trafficOnStable: boolean } };
    expect(result.verified).toBe(false);
    expect(result.state.trafficOnStable).toBe(false);
  });

  test('reports a function error with the next step', async () => {
    mocks.lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: payload({ errorType: 'RollbackFailed', errorMessage: 'rollback of production incomplete: flags: ConflictException: deployment in progress' }),
    });
    const run = await runCommand(['rollback', '--environment', 'production', '--confirm']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'error: the rollback function failed after 0 ms: RollbackFailed: rollback of production incomplete: flags: ConflictException: deployment in progress\n',
    );
    expect(run.stderr).toContain('then `rollback --confirm` again: it only redoes what is missing');
  });

  test('explains throttling and access denied from Lambda', async () => {
    mocks.lambda.on(InvokeCommand).rejectsOnce(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} }));
    const throttled = await runCommand(['rollback', '--environment', 'production', '--confirm']);
    expect(throttled.code).toBe(1);
    expect(throttled.stderr).toBe(
      'error: AWS kept throttling invoking the rollback function mcp-rollout-production-rollback (lambda:InvokeFunction) after 5 attempts: TooManyRequestsException: Rate exceeded\n' +
        'next: Wait a minute and run the same command again; it reads the live state first, so nothing is applied twice.\n',
    );

    const denied = Object.assign(new Error('User: arn:aws:sts::123456789012:assumed-role/oncall/alice is not authorized to perform: lambda:InvokeFunction'), {
      name: 'AccessDeniedException',
    });
    mocks.lambda.on(InvokeCommand).rejects(denied);
    const run = await runCommand(['rollback', '--environment', 'production', '--confirm']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error: access denied while invoking the rollback function mcp-rollout-production-rollback (lambda:InvokeFunction): AccessDeniedException');
    expect(run.stderr).toContain('next: Check which identity you use (`aws sts get-caller-identity`)');
  });
});

describe('resume', () => {
  const updating = () =>
    mocks.cloudformation
      .on(DescribeStacksCommand)
      .resolvesOnce(describeStacks('production', { canaryTraffic: 10 }))
      .resolvesOnce(describeStacks('production', { canaryTraffic: 10, status: 'UPDATE_IN_PROGRESS' }))
      .resolves(describeStacks('production', { canaryTraffic: 0 }));

  beforeEach(() => {
    mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    mocks.cloudformation.on(UpdateStackCommand).resolves({ StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Production-Service/1' });
    mocks.appconfig.on(ListDeploymentsCommand).resolves({ Items: [] });
  });

  test('without --confirm prints the plan and changes nothing', async () => {
    mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: LATCHED } });
    const run = await runCommand(['resume', '--environment', 'production']);
    expect(run.code).toBe(3);
    expect(run.stdout.split('\n')).toEqual([
      'Not confirmed: nothing changed. Resuming production would:',
      '1. update Production-Service with its deployed template and CanaryTraffic 10 -> 0 while the latch is set: CloudFormation records stable 100 / canary 0 and the rolled-back flag document (deployed immediately; it is already live)',
      '2. set /mcp-rollout/production/rollback-latch to "clear" (now set by mcp-rollout-production-canary-llm-success-rate-trigger at 2026-11-24T09:41:07.000Z: Threshold Crossed: 5 out of the last 5 datapoints were less than the threshold (85.0))',
      '3. enable the actions of mcp-rollout-production-service-any-rollback-trigger-trigger again (the rollback disabled them so that AppConfig kept its flag deployment)',
      'Afterwards the canary gets 0 % and the rollback flags stay off until the next deploy, which restores the configured flag values with the gradual strategy.',
      'Run again with --confirm: npx mcp-rollout resume --environment production --confirm',
    ]);
    expect(sentNames(mocks.cloudformation)).toEqual(['DescribeStacksCommand']);
    expect(sentNames(mocks.ssm)).toEqual(['GetParameterCommand']);
  });

  test('pins CanaryTraffic to 0 with the deployed template first, and only then clears the latch', async () => {
    updating();
    mocks.ssm.on(GetParameterCommand).resolvesOnce({ Parameter: { Value: LATCHED } }).resolves({ Parameter: { Value: 'clear' } });
    let stackCallsWhenCleared = -1;
    mocks.ssm.on(PutParameterCommand).callsFake(() => {
      stackCallsWhenCleared = mocks.cloudformation.calls().length;
      return { Version: 4 };
    });
    const clock = new FakeClock();
    const run = await runCommand(['resume', '--environment', 'production', '--confirm'], { clock });

    expect(run.code).toBe(0);
    expect(sent(mocks.cloudformation)).toEqual([
      ['DescribeStacksCommand', { StackName: 'Production-Service' }],
      [
        'UpdateStackCommand',
        {
          StackName: 'Production-Service',
          UsePreviousTemplate: true,
          Parameters: [
            { ParameterKey: 'CanaryTraffic', ParameterValue: '0' },
            { ParameterKey: 'StableImageTag', UsePreviousValue: true },
            { ParameterKey: 'CanaryImageTag', UsePreviousValue: true },
            { ParameterKey: 'RollbackLatch', UsePreviousValue: true },
            { ParameterKey: 'BootstrapVersion', UsePreviousValue: true },
          ],
          Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
          RoleARN: CFN_ROLE,
        },
      ],
      ['DescribeStacksCommand', { StackName: 'Production-Service' }],
      ['DescribeStacksCommand', { StackName: 'Production-Service' }],
    ]);
    expect(clock.sleeps).toEqual([10_000]);
    // The latch was cleared after the stack update completed (all four CloudFormation calls done).
    expect(stackCallsWhenCleared).toBe(4);
    expect(sent(mocks.ssm)).toEqual([
      ['GetParameterCommand', { Name: o.latchParameterName }],
      ['PutParameterCommand', { Name: o.latchParameterName, Value: 'clear', Overwrite: true }],
      ['GetParameterCommand', { Name: o.latchParameterName }],
      // Then the release history: the parameter exists, and one new version records the resume.
      ['GetParameterCommand', { Name: '/mcp-rollout/production/release-history' }],
      [
        'PutParameterCommand',
        {
          Name: '/mcp-rollout/production/release-history',
          Type: 'String',
          Overwrite: true,
          Value: JSON.stringify({
            kind: 'resume',
            environment: 'production',
            time: '2026-11-24T10:00:10.000Z',
            by: 'alice',
            rollback: { by: LATCH_RECORD.requestedBy, reason: LATCH_RECORD.reason },
            images: { stable: 'v1.4.0', canary: 'v1.5.0' },
          }),
        },
      ],
    ]);
    expect(run.stdout).toContain('Resumed production: latch clear, canary at 0 %.');
  });

  test('leaves the latch set when the stack update fails', async () => {
    mocks.cloudformation
      .on(DescribeStacksCommand)
      .resolvesOnce(describeStacks('production', { canaryTraffic: 10 }))
      .resolves(describeStacks('production', { canaryTraffic: 10, status: 'UPDATE_ROLLBACK_COMPLETE' }));
    mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: LATCHED } });
    const run = await runCommand(['resume', '--environment', 'production', '--confirm']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'error: the update of Production-Service ended UPDATE_ROLLBACK_COMPLETE with CanaryTraffic=10; the latch was left set, so the environment stays rolled back\n',
    );
    expect(sentNames(mocks.ssm)).toEqual(['GetParameterCommand']);
  });

  test('Ctrl-C while CloudFormation updates leaves the latch set and says how to finish', async () => {
    updating();
    mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: LATCHED } });
    const controller = new AbortController();
    const run = await runCommand(['resume', '--environment', 'production', '--confirm'], { controller, clock: new FakeClock(NOW, { count: 0, controller }) });
    expect(run.code).toBe(130);
    expect(run.stderr).toContain('the latch is still set, so the environment stays safe. Run resume again to finish.');
    expect(sentNames(mocks.ssm)).toEqual(['GetParameterCommand']);
  });

  test('clears the latch when CloudFormation already records the latched state at CanaryTraffic 0 ("No updates are to be performed.")', async () => {
    mocks.cloudformation.on(DescribeStacksCommand).resolves(describeStacks('production', { canaryTraffic: 0 }));
    mocks.cloudformation
      .on(UpdateStackCommand)
      .rejects(new CloudFormationServiceException({ name: 'ValidationError', $fault: 'client', message: 'No updates are to be performed.', $metadata: {} }));
    mocks.ssm.on(GetParameterCommand).resolvesOnce({ Parameter: { Value: LATCHED } }).resolves({ Parameter: { Value: 'clear' } });
    mocks.ssm.on(PutParameterCommand).resolves({ Version: 4 });
    const run = await runCommand(['resume', '--environment', 'production', '--confirm']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Production-Service already runs CanaryTraffic=0 with the latched state: no update needed.');
    expect(sentNames(mocks.cloudformation)).toEqual(['DescribeStacksCommand', 'UpdateStackCommand']);
    // The latch read, cleared and read back, then the release history record (exists? append).
    expect(sentNames(mocks.ssm)).toEqual(['GetParameterCommand', 'PutParameterCommand', 'GetParameterCommand', 'GetParameterCommand', 'PutParameterCommand']);
  });

  test('refuses while a flag deployment is in progress: the stack update would meet it', async () => {
    mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: LATCHED } });
    mocks.appconfig.on(ListDeploymentsCommand).resolves({ Items: [{ DeploymentNumber: 9, State: 'BAKING', ConfigurationVersion: '8', PercentageComplete: 100 }] });
    mocks.appconfig.on(GetHostedConfigurationVersionCommand).resolves(hostedVersion(FLAGS_ROLLED_BACK));
    const run = await runCommand(['resume', '--environment', 'production', '--confirm']);
    expect(run.code).toBe(3);
    expect(run.stderr.split('\n')[0]).toBe(
      "error: flag deployment #9 BAKING (version 8, 100 %) is in progress; resume's stack update deploys the rolled-back flag document and AppConfig runs one deployment per environment at a time",
    );
    expect(sentNames(mocks.cloudformation)).toEqual(['DescribeStacksCommand']);
  });

  test('has nothing to do when the latch is clear', async () => {
    mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'clear' } });
    const run = await runCommand(['resume', '--environment', 'production', '--confirm']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('production is not rolled back (latch clear): nothing to resume.');
  });

  test('refuses while a trigger alarm still fires', async () => {
    mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: LATCHED } });
    mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'mcp-rollout-production-service-error-rate-trigger', StateValue: 'ALARM' }] });
    const run = await runCommand(['resume', '--environment', 'production', '--confirm']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('error: critical or trigger alarm(s) still in ALARM: mcp-rollout-production-service-error-rate-trigger;');
    expect(sentNames(mocks.cloudformation)).toEqual(['DescribeStacksCommand']);
  });

  test('explains access denied on the latch', async () => {
    mocks.ssm
      .on(GetParameterCommand)
      .rejects(Object.assign(new Error('User is not authorized to perform: ssm:GetParameter on resource: parameter/mcp-rollout/production/rollback-latch'), { name: 'AccessDeniedException' }));
    const run = await runCommand(['resume', '--environment', 'production', '--confirm']);
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n')[0]).toBe(
      'error: access denied while reading the rollback latch /mcp-rollout/production/rollback-latch (ssm:GetParameter): AccessDeniedException: User is not authorized to perform: ssm:GetParameter on resource: parameter/mcp-rollout/production/rollback-latch',
    );
  });
});
