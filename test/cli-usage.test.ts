/**
 * What users of the CDK CLI and kubectl plugins expect from a command line (issue 12, items 2 to
 * 7): free text that pastes, repeated options refused, help everywhere and fitted to the
 * terminal, --version, --region and --profile, "did you mean", advice that never goes in circles,
 * and exit codes a monitor can tell apart.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CloudFormationServiceException, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { readAwsProfiles } from '../lib/cli/aws-profiles';
import { COMMANDS } from '../lib/cli/commands';
import { Reporter } from '../lib/cli/output';
import type { ClientOptions } from '../lib/cli/context';
import { describeStacks, mocks, resetMocks, runCommand, stackIs } from './helpers/cli';
import { testConfig } from './helpers/config';

beforeEach(resetMocks);

const USAGE_NEXT = 'next: Run `npx mcp-rollout --help` for the commands and their options.\n';
/** The advice of a usage error once the command is known: that command's help. */
const commandHelp = (command: string) => `next: Run \`npx mcp-rollout ${command} --help\` for its options.\n`;
const cfnError = (name: string, message: string) => new CloudFormationServiceException({ name, message, $fault: 'server', $metadata: { httpStatusCode: 500 } });

describe('free text pastes: the words after --reason are the reason', () => {
  const dryRun = () =>
    mocks.lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      Payload: new TextEncoder().encode(JSON.stringify({ outcome: 'dry_run', steps: [], before: {}, durationMs: 10 })) as never,
    });
  const reasonSent = () => (JSON.parse(new TextDecoder().decode((mocks.lambda.calls()[0]?.args[0].input as { Payload: Uint8Array }).Payload)) as { reason: string }).reason;

  test.each([
    [['--reason', 'p95', 'regression', 'on', 'canary'], 'p95 regression on canary', false],
    [['--reason', 'p95', 'regression', '--json'], 'p95 regression', true],
    [['--reason=p95 regression on canary'], 'p95 regression on canary', false],
    [['--reason', 'p95 up -5% vs stable'], 'p95 up -5% vs stable', false],
  ])('rollback %j', async (words, reason, json) => {
    stackIs('production');
    dryRun();
    const run = await runCommand(['rollback', '--environment', 'production', ...words]);
    expect(run.code).toBe(3);
    expect(reasonSent()).toBe(reason);
    expect(run.stdout.startsWith('{')).toBe(json);
  });

  test('--reason followed by an option says it needs a value', async () => {
    const run = await runCommand(['rollback', '--environment', 'production', '--reason', '--confirm']);
    expect(run.code).toBe(64);
    expect(run.stderr).toBe(`error: --reason needs a value: --reason <text...>\n${commandHelp('rollback')}`);
  });
});

describe('repeated options', () => {
  test.each([
    [['status', '--environment', 'staging', '--environment', 'production'], '--environment is given twice ("staging", then "production"); give it once'],
    [['status', '--environment=staging', '--environment=staging'], '--environment is given twice ("staging", then "staging"); give it once'],
    [['deploy', '--environment', 'production', '--traffic', '10', '--traffic', '50'], '--traffic is given twice ("10", then "50"); give it once'],
    [['rollback', '--environment', 'production', '--reason', 'a', '--reason', 'b'], '--reason is given twice ("a", then "b"); give it once'],
  ])('%j is refused, naming the option', async (argv, message) => {
    const run = await runCommand(argv);
    expect(run.code).toBe(64);
    expect(run.stderr).toBe(`error: ${message}\n${commandHelp(argv[0]!)}`);
    expect(mocks.cloudformation.calls()).toHaveLength(0);
  });

  test('a repeated switch changes nothing and is accepted', async () => {
    stackIs('production');
    mocks.lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify({ outcome: 'rejected', error: 'x' })) as never });
    const run = await runCommand(['rollback', '--environment', 'production', '--json', '--json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ command: 'rollback', exitCode: 1 });
  });
});

describe('help, version and "did you mean"', () => {
  test.each([[['status', '-h']], [['status', '--help']], [['help', 'status']], [['status', '--environment', 'production', '-h']]])('%j shows the help of status', async (argv) => {
    const run = await runCommand(argv);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe('usage: npx mcp-rollout status --environment <name> [--watch]');
    expect(mocks.cloudformation.calls()).toHaveLength(0);
  });

  test.each([[['help']], [['-h']], [['--help']], [[]]])('%j shows the command list', async (argv) => {
    const run = await runCommand(argv);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('usage: npx mcp-rollout <command> --environment <name> [options]');
  });

  test('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
    const run = await runCommand(['--version']);
    expect(run).toEqual({ code: 0, stdout: `mcp-rollout ${version}`, stderr: '' });
  });

  test.each([[['--version', '--json']], [['version', '--json']]])('%j prints one JSON document', async (argv) => {
    const { version } = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
    const run = await runCommand(argv);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ command: 'version', exitCode: 0, version, node: process.version });
    expect(run.stderr).toBe('');
  });

  test('`version` is the same as --version (as in `cdk version` and `kubectl version`)', async () => {
    const { version } = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
    expect(await runCommand(['version'])).toEqual({ code: 0, stdout: `mcp-rollout ${version}`, stderr: '' });
  });

  test.each([
    [['-v'], 'error: -v is not an option: the version is --version (in the CDK CLI -v means --verbose, in kubectl the log level)'],
    [['--version', '--environment', 'production'], 'error: --version takes no option but --json, got "--environment" "production"'],
  ])('%j is a usage error', async (argv, message) => {
    const run = await runCommand(argv);
    expect(run.code).toBe(64);
    expect(run.stderr).toBe(`${message}\n${USAGE_NEXT}`);
  });

  test.each([
    [['status', '--environment', 'production', '--timeout', '30m'], 'status'],
    [['status', '--enviroment', 'production'], 'status'],
    [['rollback', '--environment', 'production', '--reason', '--confirm'], 'rollback'],
    [['check-emf', '--min-lines', 'x'], 'check-emf'],
  ])('%j: a usage error of a known command points at that command\'s help', async (argv, command) => {
    const run = await runCommand(argv);
    expect(run.code).toBe(64);
    expect(run.stderr.split('\n')[1]).toBe(`next: Run \`npx mcp-rollout ${command} --help\` for its options.`);
  });

  test.each([
    [['stauts', '--environment', 'production'], 'unknown command "stauts" (did you mean "status"?); the commands are release, approve, abort, deploy, gate, promote, undo, rollback, resume, status, history, flags, drill, check-emf'],
    [['rollbak'], 'unknown command "rollbak" (did you mean "rollback"?); the commands are release, approve, abort, deploy, gate, promote, undo, rollback, resume, status, history, flags, drill, check-emf'],
    [['help', 'promot'], 'unknown command "promot" (did you mean "promote"?); the commands are release, approve, abort, deploy, gate, promote, undo, rollback, resume, status, history, flags, drill, check-emf'],
    [['status', '--enviroment', 'production'], 'unknown option --enviroment for "status" (did you mean --environment?); allowed: --environment, --region, --profile, --json, --help, --watch, --timeout'],
    [['rollback', '--environment', 'production', '--confrim'], 'unknown option --confrim for "rollback" (did you mean --confirm?); allowed: --environment, --region, --profile, --json, --help, --confirm, --reason'],
    [['status', '--environment', 'prodution'], '--environment must be one of staging, production (did you mean production?), got "prodution"'],
  ])('%j suggests the closest name', async (argv, message) => {
    const run = await runCommand(argv);
    expect(run.code).toBe(64);
    // An unknown command (help promot included) gets the command list; a known one its own help.
    const known = ['status', 'rollback'].includes(argv[0]!);
    expect(run.stderr).toBe(`error: ${message}\n${known ? commandHelp(argv[0]!) : USAGE_NEXT}`);
  });
});

describe('--region and --profile', () => {
  test('are handed to the AWS clients', async () => {
    stackIs('production');
    mocks.cloudformation.on(DescribeStacksCommand).rejects(cfnError('ValidationError', 'Stack with id Production-Service does not exist'));
    const asked: [string | undefined, ClientOptions][] = [];
    await runCommand(['status', '--environment', 'production', '--region', 'eu-central-1', '--profile', 'oncall'], { onClients: (r, o) => asked.push([r, o]) });
    expect(asked.map(([region, o]) => [region, o.profile])).toEqual([['eu-central-1', 'oncall']]);
  });

  test("the config's region is used when no --region is given", async () => {
    const asked: (string | undefined)[] = [];
    const environments = testConfig({ environments: { production: { region: 'eu-west-1' } } }).environments;
    mocks.cloudformation.on(DescribeStacksCommand).resolves(describeStacks('production'));
    await runCommand(['status', '--environment', 'production'], { environments, onClients: (r) => asked.push(r) });
    expect(asked).toEqual(['eu-west-1']);
  });

  test("a --region that contradicts the config's region is refused", async () => {
    const environments = testConfig({ environments: { production: { region: 'eu-west-1' } } }).environments;
    const run = await runCommand(['status', '--environment', 'production', '--region', 'us-east-1'], { environments });
    expect(run.code).toBe(64);
    expect(run.stderr).toBe(
      'error: --region us-east-1 contradicts the config: production is in eu-west-1 (lib/config/environments.ts)\nnext: Drop --region, or fix `region` of production in lib/config/environments.ts.\n',
    );
  });

  test.each([
    [['--profile', 'nope'], {}, 64, 'error: AWS profile "nope" (from --profile) does not exist in /home/alice/.aws/config or /home/alice/.aws/credentials; the profiles there: default, oncall\nnext: Pass one of them, or create it: aws configure sso --profile nope\n'],
    [[], { AWS_PROFILE: 'nope' }, 1, 'error: AWS profile "nope" (from AWS_PROFILE) does not exist in /home/alice/.aws/config or /home/alice/.aws/credentials; the profiles there: default, oncall\nnext: Set AWS_PROFILE to one of them (or pass --profile), or create it: aws configure sso --profile nope\n'],
  ])('a profile that does not exist is reported as such: %j %j', async (words, env, code, stderr) => {
    const run = await runCommand(['status', '--environment', 'production', ...words], { env });
    expect(run).toEqual({ code, stdout: '', stderr });
    expect(mocks.cloudformation.calls()).toHaveLength(0);
  });
});

test('the profiles are read from the shared config and credentials files, as the SDK names them', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-rollout-profiles-'));
  try {
    writeFileSync(path.join(dir, 'config'), '[default]\nregion = eu-west-1\n[profile oncall]\nsso_session = corp\n[sso-session corp]\nsso_region = eu-west-1\n[services local]\n');
    writeFileSync(path.join(dir, 'credentials'), '[ci]\naws_access_key_id = x\n[ default ]\n');
    expect(readAwsProfiles({ AWS_CONFIG_FILE: path.join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'credentials') })).toEqual({
      names: ['default', 'oncall', 'ci'],
      files: [path.join(dir, 'config'), path.join(dir, 'credentials')],
    });
    expect(readAwsProfiles({ AWS_CONFIG_FILE: path.join(dir, 'none'), AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'none') })).toEqual({ names: [], files: [path.join(dir, 'none')] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('advice', () => {
  test('a failing status does not advise running status, and names the environment', async () => {
    mocks.cloudformation.on(DescribeStacksCommand).rejects(cfnError('InternalFailure', 'We encountered an internal error'));
    const status = await runCommand(['status', '--environment', 'production']);
    expect(status.code).toBe(1);
    expect(status.stderr).toBe(
      'error: reading stack Production-Service failed: InternalFailure: We encountered an internal error\n' +
        'next: Run the same command again in a minute; if it keeps failing, look for an AWS event in the region at https://health.aws.amazon.com/health/status.\n',
    );
    const deploy = await runCommand(['deploy', '--environment', 'production', '--traffic', '10']);
    expect(deploy.stderr).toBe(
      'error: reading stack Production-Service failed: InternalFailure: We encountered an internal error\n' +
        'next: Run `npx mcp-rollout status --environment production` to see the live state, then run the same command again.\n',
    );
  });

  test('a missing stack names the region it was looked for in', async () => {
    mocks.cloudformation.on(DescribeStacksCommand).rejects(cfnError('ValidationError', 'Stack with id Production-Service does not exist'));
    const run = await runCommand(['status', '--environment', 'production']);
    expect(run.stderr).toBe(
      'error: stack Production-Service does not exist in eu-west-1 (in the account of your credentials)\n' +
        'next: Check the account (`aws sts get-caller-identity`) and the region (--region, AWS_REGION, your profile, or `region` of production in lib/config/environments.ts), or create it first: npx cdk deploy Production/Service\n',
    );
  });

  test('every command line the CLI suggests names the environment (commands on an environment)', () => {
    const localCommands = COMMANDS.filter((c) => c.scope === 'local').map((c) => c.name);
    const cliDir = path.join(__dirname, '..', 'lib', 'cli');
    const files = ['', 'commands'].flatMap((dir) =>
      readdirSync(path.join(cliDir, dir))
        .filter((f) => f.endsWith('.ts'))
        .map((f) => path.join(cliDir, dir, f)),
    );
    const missing: string[] = [];
    for (const file of files) {
      for (const match of readFileSync(file, 'utf8').matchAll(/npx mcp-rollout ([a-z][a-z-]*)[^`'\n]*/g)) {
        const [text, command] = match;
        if (command === 'help' || localCommands.includes(command!) || /--environment/.test(text)) continue;
        missing.push(`${path.relative(cliDir, file)}: ${text}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('exit codes a monitor can tell apart', () => {
  test('the help documents them', async () => {
    const run = await runCommand(['--help']);
    expect(run.stdout).toMatch(/^ {2}1 {4}failed: an AWS error \(status too\)/m);
    expect(run.stdout).toMatch(/^ {2}4 {4}status: something needs attention/m);
  });

  test('status: an AWS error is 1 (needing attention is 4: test/cli-status-flags.test.ts)', async () => {
    mocks.cloudformation.on(DescribeStacksCommand).rejects(cfnError('InternalFailure', 'We encountered an internal error'));
    expect((await runCommand(['status', '--environment', 'production'])).code).toBe(1);
  });
});

describe('fitted to the terminal', () => {
  const terminal = (columns: number | undefined, interactive = true) => {
    let err = '';
    return { t: { stdout: () => undefined, stderr: (text: string) => (err += text), interactive, ...(columns ? { stderrColumns: columns } : {}) }, err: () => err };
  };

  test('a progress line wider than the terminal is cut to fit, so a redraw leaves no wrapped fragment', () => {
    const { t, err } = terminal(40);
    new Reporter(t, false).progress(`gate production [####----] 12m 00s/30m 00s | canary 97.9 % of 48 calls | stable 98.0 % of 440 calls`);
    expect(err()).toBe('\r\x1b[2Kgate production [####----] 12m 00s/3...');
    expect(err().replace('\r\x1b[2K', '').length).toBe(39);
  });

  test('a terminal of unknown width is taken as 80 columns; a log gets the whole line', () => {
    const long = 'x'.repeat(120);
    const unknown = terminal(undefined);
    new Reporter(unknown.t, false).progress(long);
    expect(unknown.err()).toBe(`\r\x1b[2K${'x'.repeat(76)}...`);
    const log = terminal(40, false);
    new Reporter(log.t, false).progress(long);
    expect(log.err()).toBe(`${long}\n`);
  });

  test.each([50, 60, 80])("each command's usage wraps between whole options at %s columns, never leaving a lone bracket", async (width) => {
    for (const command of COMMANDS) {
      const run = await runCommand([command.name, '--help'], { columns: width });
      const usage = run.stdout.split('\n\n')[0]!.split('\n');
      for (const line of usage) {
        expect(line.length).toBeLessThanOrEqual(width);
        expect(line).not.toMatch(/^\s*[\]|]+$/);
      }
      // Joined again, the lines are the usage text.
      expect(usage.map((l) => l.trim()).join(' ')).toBe(`usage: npx mcp-rollout ${command.usage}`);
    }
  });

  test('the usage of status at 50 columns', async () => {
    const run = await runCommand(['status', '--help'], { columns: 50 });
    expect(run.stdout.split('\n\n')[0]!.split('\n')).toEqual([
      'usage: npx mcp-rollout status --environment <name>',
      '                       [--watch]',
      '                       [--timeout <duration>]',
    ]);
  });

  test.each([[undefined, 80], [60, 60], [100, 100]])('help wraps to the terminal (%s columns -> %s)', async (columns, width) => {
    for (const argv of [['--help'], ['gate', '--help'], ['flags', '--help'], ['drill', '--help']]) {
      const run = await runCommand(argv, columns ? { columns } : {});
      for (const line of run.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(width);
    }
    const gate = await runCommand(['gate', '--help'], columns ? { columns } : {});
    // A wrapped option description continues under its first line.
    expect(gate.stdout).toMatch(/^ {2}--window <duration> +bake window, e\.g\. 30m or 1h/m);
    expect(gate.stdout.replace(/\n {29}/g, ' ')).toContain("  --window <duration>        bake window, e.g. 30m or 1h (default: 30m at 10 %, 60m at 50 %; with --replay: the file's length)");
  });
});
