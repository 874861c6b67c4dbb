/**
 * status --watch, colors, the spinner and the console links. The stack, the latch and the
 * traffic rule come from the stateful fake, which changes between two views as AWS would.
 */
import { GetHostedConfigurationVersionCommand, ListDeploymentsCommand } from '@aws-sdk/client-appconfig';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudFormationServiceException } from '@aws-sdk/client-cloudformation';
import { DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { activityLabel, reportActivity } from '../lib/cli/aws-activity';
import type { Clients, Terminal } from '../lib/cli/context';
import { arnParts, consoleLinks, consoleOrigin } from '../lib/cli/console-links';
import { colorsWanted, Reporter, SPINNER_DELAY_MS } from '../lib/cli/output';
import { Interrupted } from '../lib/cli/errors';
import { trafficWeights } from '../lib/shared/traffic-weights';
import { FakeClock, FLAGS_ON, hostedVersion, LATCHED, mocks, NOW, outputsFor, resetMocks, runCommand } from './helpers/cli';
import { OperatorWorld } from './fakes/operator-world';

const o = outputsFor('production');
let alarms: MetricAlarm[] = [];

function world(options: ConstructorParameters<typeof OperatorWorld>[0] = {}): OperatorWorld {
  const w = new OperatorWorld({ canaryTraffic: 10, canaryImageTag: 'v1.5.0', ...options }).install();
  mocks.elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [{ TargetHealth: { State: 'healthy' } }] });
  mocks.ecs.on(DescribeServicesCommand).resolves({
    services: [o.stableServiceName, o.canaryServiceName].map((serviceName) => ({ serviceName, runningCount: 2, desiredCount: 2, deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED' as const }] })),
  });
  mocks.appconfig.on(ListDeploymentsCommand).resolves({ Items: [{ DeploymentNumber: 5, State: 'COMPLETE', ConfigurationVersion: '4', PercentageComplete: 100 }] });
  mocks.appconfig.on(GetHostedConfigurationVersionCommand).resolves(hostedVersion(FLAGS_ON));
  mocks.cloudwatch.on(DescribeAlarmsCommand).callsFake(async () => ({ MetricAlarms: alarms, CompositeAlarms: [] }));
  return w;
}

/** A fake clock that lets the world change after each sleep. */
class ChangingClock extends FakeClock {
  constructor(
    private readonly afterSleep: (n: number) => void,
    interrupt?: { count: number; controller: AbortController },
  ) {
    super(NOW, interrupt);
  }
  override async sleep(ms: number, signal: AbortSignal): Promise<void> {
    await super.sleep(ms, signal);
    this.afterSleep(this.sleeps.length);
  }
}

const FIRING: MetricAlarm = { AlarmName: 'mcp-rollout-production-canary-llm-success-rate-trigger', StateValue: 'ALARM' };

beforeEach(() => {
  resetMocks();
  alarms = [{ AlarmName: 'mcp-rollout-production-canary-llm-success-rate-trigger', StateValue: 'OK' }];
});

describe('status --watch', () => {
  test('redraws every 10 s until --timeout, shows what changed, and exits with the last view', async () => {
    const w = world();
    const clock = new ChangingClock((n) => {
      if (n === 2) {
        // The trigger fires and the rollback function acts between the second and third view.
        alarms = [FIRING];
        w.putParameter({ Name: o.latchParameterName, Value: LATCHED, Overwrite: true });
        w.weights = trafficWeights(0);
      }
    });
    const run = await runCommand(['status', '--environment', 'production', '--watch', '--timeout', '30s'], { clock });

    expect(clock.sleeps).toEqual([10_000, 10_000, 10_000]);
    const views = run.stdout.split('----\n').slice(1);
    expect(views).toHaveLength(4);
    expect(views[0]?.split('\n')[0]).toBe('production at 2026-11-24T10:00:00.000Z: every 10.0 s until Ctrl-C or 30.0 s (30.0 s left)');
    expect(views[1]).toContain('latch: clear');
    expect(views[1]).toContain('healthy: nothing needs attention');
    expect(views[2]?.split('\n')[0]).toBe('production at 2026-11-24T10:00:20.000Z: every 10.0 s until Ctrl-C or 30.0 s (10.0 s left)');
    expect(views[2]).toContain('latch: set by mcp-rollout-production-canary-llm-success-rate-trigger at 2026-11-24T09:41:07.000Z');
    expect(views[2]).toContain('stable  100 %');
    // This stand-in for the rollback function moved the traffic but left the flags on: status says both.
    expect(views[2]).toContain(
      'NEEDS ATTENTION:\n  - drift: hierarchical_tools_enabled, enumdescriptions_validation on while rolled back (flag deployment #5 COMPLETE); the rollback function turns them off when a flag deployment ends (else run npx mcp-rollout rollback --environment production --confirm)\n  - mcp-rollout-production-canary-llm-success-rate-trigger is in ALARM',
    );
    expect(run.code).toBe(4);
    expect(run.stdout.split('\n').at(-1)).toBe("Stopped watching production after 4 view(s) in 30.0 s (--timeout 30s); exit code 4 is the last view's.");
    // Only reads: a watch changes nothing.
    expect(w.updates).toEqual([]);
  });

  test('Ctrl-C ends the watch at once with the last view, not as a failure', async () => {
    world();
    const controller = new AbortController();
    const clock = new FakeClock(NOW, { count: 1, controller });
    const run = await runCommand(['status', '--environment', 'production', '--watch'], { clock, controller });
    expect(run.code).toBe(0);
    expect(run.stdout.split('----\n')).toHaveLength(3);
    expect(run.stdout.split('\n')[1]).toBe('production at 2026-11-24T10:00:00.000Z: every 10.0 s until Ctrl-C');
    expect(run.stdout.split('\n').at(-1)).toBe("Stopped watching production after 2 view(s) in 10.0 s (Ctrl-C); exit code 0 is the last view's.");
  });

  test('Ctrl-C before the first view exits 130 (interrupted), not 1 as if a view had failed', async () => {
    const w = world();
    const controller = new AbortController();
    mocks.cloudformation.on(DescribeStacksCommand).callsFake(async () => {
      // The operator presses Ctrl-C while the first read is still on its way.
      controller.abort();
      throw new Interrupted();
    });
    const run = await runCommand(['status', '--environment', 'production', '--watch'], { controller });
    expect(run.code).toBe(130);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('error: interrupted (Ctrl-C)\nnext: Nothing was changed after the interrupt.\n');
    expect(w.updates).toEqual([]);
  });

  test('a failed refresh is shown in place of the view and the watch goes on', async () => {
    const w = world();
    let reads = 0;
    mocks.cloudformation.on(DescribeStacksCommand).callsFake(async (input: { StackName?: string }) => {
      // Counts the Service stack's reads only: status also reads the Rollout stack.
      if (input.StackName === 'Production-Service') reads += 1;
      if (reads === 2) throw new CloudFormationServiceException({ name: 'Throttling', message: 'Rate exceeded', $fault: 'client', $metadata: {} });
      return w.describeStack();
    });
    const run = await runCommand(['status', '--environment', 'production', '--watch', '--timeout', '20s'], { clock: new FakeClock() });
    const views = run.stdout.split('----\n').slice(1);
    expect(views[1]?.split('\n').slice(2, 5)).toEqual([
      'refresh failed: AWS kept throttling reading stack Production-Service after 5 attempts: Throttling: Rate exceeded',
      'next: Wait a minute and run the same command again; it reads the live state first, so nothing is applied twice.',
      '(trying again in 10.0 s)',
    ]);
    expect(views[2]).toContain('healthy: nothing needs attention');
    expect(run.code).toBe(0);
  });

  test('a refresh that fails with an advice built from where the operator stands shows that advice, not its source', async () => {
    const w = world();
    let reads = 0;
    mocks.cloudformation.on(DescribeStacksCommand).callsFake(async (input: { StackName?: string }) => {
      if (input.StackName === 'Production-Service') reads += 1;
      if (reads === 2) throw new CloudFormationServiceException({ name: 'ValidationError', message: 'Stack busy', $fault: 'client', $metadata: {} });
      return w.describeStack();
    });
    const run = await runCommand(['status', '--environment', 'production', '--watch', '--timeout', '20s'], { clock: new FakeClock() });
    const views = run.stdout.split('----\n').slice(1);
    expect(views[1]?.split('\n')[3]).toBe(
      'next: Run the same command again in a minute; if it keeps failing, look for an AWS event in the region at https://health.aws.amazon.com/health/status.',
    );
  });

  test('on a terminal each view clears the screen instead of appending', async () => {
    world();
    const run = await runCommand(['status', '--environment', 'production', '--watch', '--timeout', '10s'], { clock: new FakeClock(), stdoutInteractive: true });
    expect(run.stdout.split('\x1b[H\x1b[2J')).toHaveLength(3);
    expect(run.stdout).not.toContain('----');
  });

  test.each([
    [['status', '--environment', 'production', '--watch', '--json'], 'error: --watch redraws a view for a person and does not combine with --json; a monitor runs status --json on its own schedule and reads the exit code'],
    [['status', '--environment', 'production', '--timeout', '30m'], 'error: --timeout goes with --watch: status --watch --timeout 30m'],
    [['status', '--environment', 'production', '--watch', '--timeout', '5s'], 'error: --timeout must be a duration from 10s to 24h written like 90s, 30m or 1h, got "5s"'],
  ])('%j is a usage error before any AWS call', async (argv, message) => {
    world();
    const run = await runCommand(argv);
    expect(run.code).toBe(64);
    expect(run.stderr.split('\n')[0]).toBe(message);
    expect(mocks.cloudformation.calls()).toHaveLength(0);
  });
});

describe('colors', () => {
  test('ALARM is red, OK green, the latch yellow and the verdict red or green, on a terminal with colors', async () => {
    world({ latch: LATCHED, canaryTraffic: 0 });
    alarms = [FIRING, { AlarmName: 'mcp-rollout-production-canary-error-rate-warning', StateValue: 'OK' }];
    const run = await runCommand(['status', '--environment', 'production'], { colors: true });
    expect(run.stdout).toContain('alarms: 1 \x1b[31mALARM\x1b[39m, 1 \x1b[32mOK\x1b[39m');
    expect(run.stdout).toContain('  \x1b[31mALARM            \x1b[39m mcp-rollout-production-canary-llm-success-rate-trigger');
    expect(run.stdout).toContain('latch: \x1b[33m\x1b[1mset by mcp-rollout-production-canary-llm-success-rate-trigger');
    expect(run.stdout).toContain('\x1b[31m\x1b[1mNEEDS ATTENTION:\x1b[22m\x1b[39m');
  });

  test('none without colors (a pipe, a log, NO_COLOR), and never in --json', async () => {
    world();
    const plain = await runCommand(['status', '--environment', 'production']);
    expect(plain.stdout).not.toContain('\x1b[');
    const json = await runCommand(['status', '--environment', 'production', '--json'], { colors: true });
    expect(json.stdout).not.toContain('\x1b[');
  });

  const yes = (): boolean => true;
  const no = (): boolean => false;
  test.each([
    [{}, { isTTY: true, hasColors: yes }, true],
    [{ NO_COLOR: '1' }, { isTTY: true, hasColors: yes }, false],
    [{ NO_COLOR: '' }, { isTTY: true, hasColors: yes }, true],
    [{ TERM: 'dumb' }, { isTTY: true, hasColors: yes }, false],
    [{}, { isTTY: false, hasColors: yes }, false],
    [{}, { isTTY: true, hasColors: no }, false],
  ] as const)('colorsWanted(%j, %j) is %s', (env, stream, expected) => {
    expect(colorsWanted(env, stream)).toBe(expected);
  });
});

describe('the spinner on waits over a second', () => {
  function reporter(interactive: boolean) {
    let err = '';
    const terminal: Terminal = { stdout: () => undefined, stderr: (t) => (err += t), interactive };
    const timers = {
      setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
      clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
      setInterval: (fn: () => void, ms: number) => setInterval(fn, ms),
      clearInterval: (h: unknown) => clearInterval(h as NodeJS.Timeout),
      now: () => Date.now(),
    };
    return { report: new Reporter(terminal, false, timers), err: () => err };
  }

  beforeEach(() => jest.useFakeTimers({ now: NOW }));
  afterEach(() => jest.useRealTimers());

  test('nothing for a wait under a second; then a spinner with the wait and its duration, erased when it ends, and the progress line it covered comes back', () => {
    const { report, err } = reporter(true);
    const quick = report.waiting('waiting for SSM GetParameter');
    jest.advanceTimersByTime(SPINNER_DELAY_MS - 1);
    quick();
    expect(err()).toBe('');

    report.progress('gate production [#---] 1m 00s');
    const slow = report.waiting('waiting for Lambda Invoke');
    jest.advanceTimersByTime(SPINNER_DELAY_MS);
    jest.advanceTimersByTime(100);
    slow();
    jest.advanceTimersByTime(1000);
    expect(err()).toBe(
      '\r\x1b[2Kgate production [#---] 1m 00s' +
        '\r\x1b[2K| waiting for Lambda Invoke (1.0 s)' +
        '\r\x1b[2K/ waiting for Lambda Invoke (1.1 s)' +
        '\r\x1b[2K' +
        '\r\x1b[2Kgate production [#---] 1m 00s',
    );
  });

  test('never in a log (standard error is not a terminal)', () => {
    const { report, err } = reporter(false);
    const done = report.waiting('waiting for CloudFormation DescribeStacks');
    jest.advanceTimersByTime(5000);
    done();
    expect(err()).toBe('');
  });

  test('every AWS call of a command is a named wait: a middleware at the initialize step', async () => {
    const { report, err } = reporter(true);
    type Middleware = (next: (args: unknown) => Promise<unknown>, context: { clientName?: string; commandName?: string }) => (args: unknown) => Promise<unknown>;
    const added: { mw: Middleware; options: unknown }[] = [];
    const client = { middlewareStack: { add: (mw: Middleware, options: unknown) => added.push({ mw, options }) } };
    reportActivity({ cloudformation: client } as unknown as Clients, report);
    expect(added.map((a) => a.options)).toEqual([{ step: 'initialize', name: 'mcpRolloutActivity', override: true }]);

    let finish: (value: unknown) => void = () => undefined;
    const call = added[0]!.mw(() => new Promise((resolve) => (finish = resolve)), { clientName: 'CloudFormationClient', commandName: 'DescribeStacksCommand' })({});
    jest.advanceTimersByTime(SPINNER_DELAY_MS);
    finish({ output: 'ok' });
    await expect(call).resolves.toEqual({ output: 'ok' });
    expect(err()).toBe('\r\x1b[2K| waiting for CloudFormation DescribeStacks (1.0 s)\r\x1b[2K');
    expect(activityLabel({})).toBe('waiting for AWS call');
  });
});

describe('console links', () => {
  test('status ends with the dashboards and console pages of the region the stack ARN names', async () => {
    const w = world();
    const run = await runCommand(['status', '--environment', 'production', '--json']);
    const links = JSON.parse(run.stdout).links as { name: string; url: string }[];
    expect(links.map((l) => l.name)).toEqual([
      'dashboard realtime',
      'dashboard hourly',
      'dashboard daily',
      'alarms',
      'stack events',
      'rollback function',
      'ECS services',
      'feature flags',
      'latch /mcp-rollout/production/rollback-latch',
    ]);
    expect(links[0]?.url).toBe('https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/mcp-rollout-production-realtime');
    expect(links[4]?.url).toBe(`https://eu-west-1.console.aws.amazon.com/cloudformation/home?region=eu-west-1#/stacks/events?stackId=${encodeURIComponent(w.stackId)}`);
  });

  test.each([
    ['arn:aws:cloudformation:eu-west-1:123456789012:stack/Production-Service/x', 'https://eu-west-1.console.aws.amazon.com'],
    ['arn:aws-cn:cloudformation:cn-north-1:123456789012:stack/Production-Service/x', 'https://console.amazonaws.cn'],
    ['arn:aws-us-gov:cloudformation:us-gov-west-1:123456789012:stack/Production-Service/x', 'https://console.amazonaws-us-gov.com'],
  ])('%s opens on %s', (arn, origin) => {
    const parts = arnParts(arn);
    expect(parts?.account).toBe('123456789012');
    expect(consoleOrigin(parts!.partition, parts!.region)).toBe(origin);
  });

  test('no region known: no links rather than links to the wrong region', () => {
    const stack = { environment: 'production' as const, name: 'Production-Service', status: 'UPDATE_COMPLETE', parameters: { canaryTraffic: 0, stableImageTag: 'a', canaryImageTag: 'a' }, parameterKeys: [], outputs: o, capabilities: [] };
    expect(consoleLinks('production', stack)).toEqual([]);
  });
});
