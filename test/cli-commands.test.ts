import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import type { CliCommand, LocalCommand } from '../lib/cli/command';
import { COMMANDS } from '../lib/cli/commands';
import { EXIT_CODES } from '../lib/cli/errors';
import { mocks, resetMocks, runCommand } from './helpers/cli';

beforeEach(resetMocks);

const commandsDir = path.join(__dirname, '..', 'lib', 'cli', 'commands');
const modules = readdirSync(commandsDir).filter((f) => f.endsWith('.ts') && f !== 'index.ts');

describe('the command registry', () => {
  test.each(modules)('commands/%s exports one command, and the registry lists it', (file) => {
    const exported = Object.values(require(path.join(commandsDir, file)) as Record<string, unknown>).filter(
      (value): value is CliCommand => typeof value === 'object' && value !== null && 'run' in value && 'usage' in value,
    );
    expect(exported).toHaveLength(1);
    expect(COMMANDS).toContain(exported[0]);
    expect(exported[0]!.name).toBe(path.basename(file, '.ts'));
  });

  test('names are unique and every command has help', () => {
    expect(new Set(COMMANDS.map((c) => c.name)).size).toBe(COMMANDS.length);
    for (const c of COMMANDS) {
      expect(c.usage.startsWith(`${c.name} `)).toBe(true);
      expect(c.summary).not.toBe('');
      for (const o of Object.values(c.options)) expect(o.help).not.toBe('');
    }
  });
});

describe('a command added to the registry', () => {
  const hello: LocalCommand = {
    name: 'hello',
    scope: 'local',
    usage: 'hello [--loud] WORD...',
    summary: 'greets, with no environment and no AWS',
    options: { loud: { type: 'boolean', help: 'shout' } },
    positionals: 'WORD...',
    run: async (ctx, { options, positionals }) => {
      ctx.report.say('greeting');
      const text = `hello ${positionals.join(' ')}`;
      return { exitCode: EXIT_CODES.ok, summary: [options.loud === true ? text.toUpperCase() : text], data: { text } };
    },
  };
  const registry = [...COMMANDS, hello];

  test('is listed in the help and has its own help', async () => {
    expect((await runCommand(['--help'], { commands: registry })).stdout).toMatch(/^ {2}hello +greets, with no environment and no AWS$/m);
    const own = await runCommand(['hello', '--help'], { commands: registry });
    expect(own.stdout.split('\n')[0]).toBe('usage: npx mcp-rollout hello [--loud] WORD...');
    expect(own.stdout).toMatch(/^ {2}--loud +shout$/m);
    expect(own.stdout).not.toContain('--environment');
  });

  test('runs with its options and words, without --environment, and reports like any command', async () => {
    const run = await runCommand(['hello', 'on', 'call', '--loud'], { commands: registry });
    expect(run).toEqual({ code: 0, stdout: 'greeting\nHELLO ON CALL', stderr: '' });
    const json = await runCommand(['hello', 'world', '--json'], { commands: registry });
    expect(JSON.parse(json.stdout)).toEqual({ command: 'hello', exitCode: 0, text: 'hello world' });
    expect(Object.values(mocks).map((m) => m.calls().length)).toEqual(Object.values(mocks).map(() => 0));
  });

  test('a local command refuses --environment like any unknown option', async () => {
    const run = await runCommand(['hello', '--environment', 'staging'], { commands: registry });
    expect(run.code).toBe(64);
    expect(run.stderr).toContain('error: unknown option --environment for "hello"; allowed: --json, --help, --loud');
  });
});
