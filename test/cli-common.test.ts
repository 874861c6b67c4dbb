import { CloudFormationServiceException, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { cdkDeployArguments } from '../lib/cli/cdk-toolkit';
import { describeStacks, mocks, resetMocks, runCommand } from './helpers/cli';

const cfnError = (name: string, message: string) => new CloudFormationServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: 400 } });

beforeEach(resetMocks);

describe('command line', () => {
  test('prints the help with every command and the exit codes', async () => {
    const run = await runCommand(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('usage: npx mcp-rollout <command> --environment <name> [options]');
    for (const command of ['deploy', 'gate', 'promote', 'rollback', 'resume', 'status', 'flags', 'drill']) expect(run.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(run.stdout).toContain('\nexit codes:\n  0    done;');
    for (const code of ['0    done', '1    failed', '2    the gate is inconclusive', '3    refused', '4    status', '64   bad command line', '130  interrupted']) {
      expect(run.stdout).toMatch(new RegExp(`^  ${code}`, 'm'));
    }
  });

  test("prints one command's options", async () => {
    const run = await runCommand(['gate', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n').slice(0, 3)).toEqual([
      'usage: npx mcp-rollout gate --environment <name> [--window 30m]',
      '                       [--min-success 95] [--min-requests N]',
      '                       [--record FILE | --replay FILE]',
    ]);
    expect(run.stdout).toContain("  --window <duration>        bake window, e.g. 30m or 1h (default: 30m at 10 %,\n                             60m at 50 %; with --replay: the file's length)");
    expect(run.stdout).toContain('  --replay <file>            judge a recorded window offline, with no AWS call');
  });

  test.each([
    [['launch', '--environment', 'staging'], 'error: unknown command "launch"; the commands are release, approve, abort, deploy, gate, promote, undo, rollback, resume, status, history, flags, drill, check-emf'],
    [['status'], 'error: --environment is required; allowed: staging, production'],
    [['status', '--environment'], 'error: --environment needs a value: --environment <name>'],
    [['status', '--environment', 'prod'], 'error: --environment must be one of staging, production (did you mean production?), got "prod"'],
    [['status', '--environment=staging', '--json=yes'], 'error: --json takes no value'],
    [['status', '--environment', 'staging', 'now'], 'error: unexpected argument "now" for "status"; options start with --, allowed: --environment, --region, --profile, --json, --help, --watch, --timeout'],
    [['rollback', '--environment', 'staging', '--force'], 'error: unknown option --force for "rollback"; allowed: --environment, --region, --profile, --json, --help, --confirm, --reason'],
  ])('%j is a usage error (exit 64) that names the option and what is allowed', async (argv, message) => {
    const run = await runCommand(argv);
    expect(run.code).toBe(64);
    // An unknown command gets the command list; a known one its own help.
    const help = argv[0] === 'launch' ? 'npx mcp-rollout --help` for the commands and their options' : `npx mcp-rollout ${argv[0]} --help\` for its options`;
    expect(run.stderr).toBe(`${message}\nnext: Run \`${help}.\n`);
    expect(mocks.cloudformation.calls()).toHaveLength(0);
  });
});

/** Every subcommand starts by reading the Service stack; each AWS failure there reads the same way. */
const EVERY_COMMAND: [string, string[]][] = [
  ['deploy', ['deploy', '--environment', 'production', '--traffic', '10']],
  ['gate', ['gate', '--environment', 'production', '--window', '30m']],
  ['promote', ['promote', '--environment', 'production']],
  ['rollback', ['rollback', '--environment', 'production', '--confirm']],
  ['resume', ['resume', '--environment', 'production', '--confirm']],
  ['status', ['status', '--environment', 'production']],
  ['flags list', ['flags', 'list', '--environment', 'production']],
  ['flags set', ['flags', 'set', 'performance_monitoring=false', '--environment', 'production']],
  ['drill', ['drill', '--environment', 'production', '--allow-production']],
];

describe.each(EVERY_COMMAND)('%s: AWS errors', (_name, argv) => {
  test('a missing stack says where it looked and how to create it', async () => {
    mocks.cloudformation.on(DescribeStacksCommand).rejects(cfnError('ValidationError', 'Stack with id Production-Service does not exist'));
    const run = await runCommand(argv);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'error: stack Production-Service does not exist in eu-west-1 (in the account of your credentials)\n' +
        'next: Check the account (`aws sts get-caller-identity`) and the region (--region, AWS_REGION, your profile, or `region` of production in lib/config/environments.ts), or create it first: npx cdk deploy Production/Service\n',
    );
  });

  test('access denied names the call and the permissions to check', async () => {
    mocks.cloudformation
      .on(DescribeStacksCommand)
      .rejects(cfnError('AccessDenied', 'User: arn:aws:sts::123456789012:assumed-role/oncall/alice is not authorized to perform: cloudformation:DescribeStacks'));
    const run = await runCommand(argv);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'error: access denied while reading stack Production-Service: AccessDenied: User: arn:aws:sts::123456789012:assumed-role/oncall/alice is not authorized to perform: cloudformation:DescribeStacks\n' +
        'next: Check which identity you use (`aws sts get-caller-identity`) and that it has the operator permissions listed in docs/RUNBOOK.md ("Permissions").\n',
    );
  });

  test('throttling that outlasted the retries says to wait and run again', async () => {
    mocks.cloudformation.on(DescribeStacksCommand).rejects(cfnError('Throttling', 'Rate exceeded'));
    const run = await runCommand([...argv, '--json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({
      command: argv[0],
      environment: 'production',
      exitCode: 1,
      error: 'AWS kept throttling reading stack Production-Service after 5 attempts: Throttling: Rate exceeded',
      next: 'Wait a minute and run the same command again; it reads the live state first, so nothing is applied twice.',
    });
  });
});

test('a stack without the outputs the CLI needs says to deploy the current app', async () => {
  const stack = describeStacks('production');
  mocks.cloudformation.on(DescribeStacksCommand).resolves({ Stacks: [{ ...stack.Stacks[0]!, Outputs: stack.Stacks[0]!.Outputs!.filter((o) => o.OutputKey !== 'RollbackFunctionName') }] });
  const run = await runCommand(['status', '--environment', 'production']);
  expect(run.code).toBe(1);
  expect(run.stderr).toBe(
    'error: stack Production-Service (UPDATE_COMPLETE) lacks the output(s) RollbackFunctionName: it was created by an older version of this app, or never finished creating\n' +
      'next: Deploy the current app once: npx cdk deploy Production/Service\n',
  );
});

test('the real toolkit deploys the reviewed assembly of the one stack, with stack-qualified parameters and no second prompt', () => {
  expect(
    cdkDeployArguments({
      selector: 'Production/Service',
      stackName: 'Production-Service',
      parameters: { CanaryImageTag: 'v1.5.0', CanaryTraffic: '10' },
      assemblyDir: '/tmp/mcp-rollout-synth-abc',
    }),
  ).toEqual([
    'cdk',
    'deploy',
    '--app',
    '/tmp/mcp-rollout-synth-abc',
    'Production/Service',
    '--exclusively',
    '--require-approval',
    'never',
    '--progress',
    'events',
    '--parameters',
    'Production-Service:CanaryImageTag=v1.5.0',
    '--parameters',
    'Production-Service:CanaryTraffic=10',
  ]);
});
