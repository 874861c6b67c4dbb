import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { COMMANDS } from '../lib/cli/commands';
import { createCheckEmfCommand } from '../lib/cli/commands/check-emf';
import { EmfLineBuilder } from '../lib/server-kit/emf-line';
import { mocks, resetMocks, runCommand } from './helpers/cli';

const GOOD = new EmfLineBuilder('production', 'canary').line({ tool: 'documents' }, 1764000000000);
const POWERTOOLS_STYLE = JSON.stringify({
  _aws: { Timestamp: 1764000000000, CloudWatchMetrics: [{ Namespace: 'MCP/HierarchicalTools', Dimensions: [['service', 'Environment', 'Slot']], Metrics: [{ Name: 'ToolCalls', Unit: 'Count' }] }] },
  service: 'mcp',
  Environment: 'production',
  Slot: 'canary',
  ToolCalls: 1,
});

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'check-emf-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(resetMocks);

const file = (name: string, lines: string[]) => {
  const p = path.join(dir, name);
  writeFileSync(p, `${lines.join('\n')}\n`);
  return p;
};
/** The registry with check-emf reading `stdin` instead of the process's standard input. */
const withStdin = (text: string) => COMMANDS.map((c) => (c.name === 'check-emf' ? createCheckEmfCommand({ stdin: () => Readable.from([text]) }) : c));

const noAwsCalls = () => {
  for (const m of Object.values(mocks)) expect(m.calls()).toHaveLength(0);
};

describe('npx mcp-rollout check-emf', () => {
  test('exits 0 when every EMF line of the file conforms; other lines are skipped; no --environment, no AWS', async () => {
    const log = file('good.log', ['example server: listening', GOOD, GOOD]);
    expect(await runCommand(['check-emf', log])).toEqual({ code: 0, stdout: '2 EMF lines conform to the metrics contract (1 other line skipped)', stderr: '' });
    noAwsCalls();
  });

  test('exits 1 with the line number and the reason for each line that does not conform', async () => {
    const log = file('bad.log', [GOOD, 'text', POWERTOOLS_STYLE, GOOD.replace('"canary"', '"blue"')]);
    const run = await runCommand(['check-emf', log]);
    expect(run.code).toBe(1);
    expect(run.stdout.split('\n')).toEqual([
      `${log}:3: CloudWatchMetrics[0].Dimensions[0]: dimension "service" is outside the contract; allowed: Environment, Slot, Tool, ErrorCategory`,
      `${log}:3: "ToolCalls" lacks the dimension set [Environment, Slot] that the alarms read`,
      `${log}:4: Slot must be one of stable, canary, got "blue"`,
      'problems by reason:',
      '  1  a dimension outside the contract',
      "  1  a metric without the alarms' dimension set",
      '  1  a dimension value outside the contract',
      '2 of 3 EMF lines do not conform to the metrics contract (1 other line skipped)',
    ]);
  });

  test('reads standard input without FILE', async () => {
    const run = await runCommand(['check-emf'], { commands: withStdin(`${GOOD}\r\n${POWERTOOLS_STYLE}`) });
    expect(run.code).toBe(1);
    expect(run.stdout.split('\n')[0]).toBe('<stdin>:2: CloudWatchMetrics[0].Dimensions[0]: dimension "service" is outside the contract; allowed: Environment, Slot, Tool, ErrorCategory');
  });

  test('--json gives the counts and the violations', async () => {
    const run = await runCommand(['check-emf', '--json'], { commands: withStdin(`${GOOD}\n${GOOD.replace('"Count"', '"Seconds"')}\n`) });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({
      command: 'check-emf',
      exitCode: 1,
      sources: ['<stdin>'],
      emfLines: 2,
      skippedLines: 0,
      violatingLines: 1,
      problems: 1,
      problemsByReason: { unit: 1 },
      violations: [{ source: '<stdin>', line: 2, problems: ['CloudWatchMetrics[0].Metrics[0]: unit of "ToolCalls" must be "Count", got "Seconds"'] }],
      omittedProblems: 0,
    });
  });

  test('output and --json stay bounded: 200,000 bad lines print the first 100 problems, then counts', async () => {
    const lines = Array.from({ length: 200_000 }, () => POWERTOOLS_STYLE).join('\n');
    const human = await runCommand(['check-emf'], { commands: withStdin(lines) });
    expect(human.code).toBe(1);
    const out = human.stdout.split('\n');
    expect(out).toHaveLength(100 + 5);
    expect(out.slice(100)).toEqual([
      '... and 399900 more problems (the first 100 are shown above)',
      'problems by reason:',
      '  200000  a dimension outside the contract',
      "  200000  a metric without the alarms' dimension set",
      '200000 of 200000 EMF lines do not conform to the metrics contract (0 other lines skipped)',
    ]);
    const json = await runCommand(['check-emf', '--json'], { commands: withStdin(lines) });
    expect(json.stdout.length).toBeLessThan(30_000);
    expect(JSON.parse(json.stdout)).toMatchObject({ problems: 400_000, omittedProblems: 399_900, problemsByReason: { 'unknown-dimension': 200_000, 'alarm-set-missing': 200_000 } });
  }, 60_000);

  test.each([
    ['a missing file', (d: string) => path.join(d, 'missing.log'), 'no such file'],
    ['a directory', (d: string) => d, 'is a directory'],
  ])('%s is unreadable input: exit 66 (EX_NOINPUT), not 1 like a bad line, and nothing is checked', async (_name, input, why) => {
    const good = file('fine.log', [GOOD]);
    const unreadable = input(dir);
    const run = await runCommand(['check-emf', good, unreadable]);
    expect(run).toEqual({
      code: 66,
      stdout: '',
      stderr: `error: cannot read ${unreadable}: ${why}; nothing was checked\nnext: Give the log files to check (or - for standard input): npx mcp-rollout check-emf server.log\n`,
    });
  });

  test('several FILEs and - (standard input) are checked in turn, each numbered from line 1', async () => {
    const a = file('a.log', [GOOD, POWERTOOLS_STYLE]);
    const b = file('b.log', ['text', GOOD.replace('"canary"', '"blue"')]);
    const run = await runCommand(['check-emf', a, '-', b], { commands: withStdin(`${GOOD}\n`) });
    expect(run.code).toBe(1);
    expect(run.stdout.split('\n')).toEqual([
      `${a}:2: CloudWatchMetrics[0].Dimensions[0]: dimension "service" is outside the contract; allowed: Environment, Slot, Tool, ErrorCategory`,
      `${a}:2: "ToolCalls" lacks the dimension set [Environment, Slot] that the alarms read`,
      `${b}:2: Slot must be one of stable, canary, got "blue"`,
      'problems by reason:',
      '  1  a dimension outside the contract',
      "  1  a metric without the alarms' dimension set",
      '  1  a dimension value outside the contract',
      '2 of 4 EMF lines do not conform to the metrics contract (1 other line skipped)',
    ]);
  });

  test('an input that fails while it is read is unreadable input too (66), and says the check is incomplete', async () => {
    const failing = () =>
      new Readable({
        read() {
          this.push(`${GOOD}\n`);
          this.destroy(Object.assign(new Error('read EIO'), { code: 'EIO' }));
        },
      });
    const commands = COMMANDS.map((c) => (c.name === 'check-emf' ? createCheckEmfCommand({ stdin: failing }) : c));
    const run = await runCommand(['check-emf'], { commands });
    expect(run.code).toBe(66);
    expect(run.stderr.split('\n')[0]).toBe('error: cannot read <stdin>: read EIO; the check is incomplete');
  });

  test('- given twice is refused: standard input can be read once', async () => {
    const run = await runCommand(['check-emf', '-', '-']);
    expect(run.code).toBe(64);
    expect(run.stderr.split('\n')[0]).toBe('error: - (standard input) is given twice; give it once');
  });

  test('a terminal on standard input and no FILE: a hint on stderr rather than a silent wait', async () => {
    const commands = COMMANDS.map((c) => (c.name === 'check-emf' ? createCheckEmfCommand({ stdin: () => Readable.from([`${GOOD}\n`]), stdinIsTerminal: () => true }) : c));
    const run = await runCommand(['check-emf'], { commands });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('check-emf: reading EMF lines from the terminal: paste them, then press Ctrl-D (or give a file: npx mcp-rollout check-emf server.log)\n');
  });

  test('an empty log, or one without EMF lines, passes by default: nothing to check', async () => {
    const run = await runCommand(['check-emf', file('empty.log', [])]);
    expect(run).toEqual({ code: 0, stdout: 'no EMF lines found (1 other line skipped): nothing to check', stderr: '' });
  });

  test.each([
    [[], 1, 'expected at least 1 EMF line (--min-lines 1), found 0'],
    [[GOOD, GOOD], 3, 'expected at least 3 EMF lines (--min-lines 3), found 2'],
  ])('--min-lines demands EMF lines: %#', async (lines, min, message) => {
    const run = await runCommand(['check-emf', '--min-lines', String(min), file(`few-${min}.log`, ['starting', ...lines])]);
    expect(run.code).toBe(1);
    expect(run.stdout.split('\n').at(-1)).toBe(message);
  });

  test('--min-lines met: exit 0', async () => {
    const run = await runCommand(['check-emf', '--min-lines', '2', file('enough.log', [GOOD, GOOD])]);
    expect(run).toEqual({ code: 0, stdout: '2 EMF lines conform to the metrics contract (0 other lines skipped)', stderr: '' });
  });

  test.each(['0', 'x', '1.5', '-3'])('--min-lines %s is a usage error', async (value) => {
    const run = await runCommand(['check-emf', `--min-lines=${value}`, 'x.log']);
    expect(run.code).toBe(64);
    expect(run.stderr.split('\n')[0]).toBe(`error: --min-lines must be a whole number of 1 or more, got ${JSON.stringify(value)}`);
  });

  test('has its own help', async () => {
    const run = await runCommand(['check-emf', '--help']);
    expect(run.stdout.split('\n')[0]).toBe('usage: npx mcp-rollout check-emf [--min-lines <n>] [FILE|-]...');
    expect(run.stdout).not.toContain('--environment');
  });
});
