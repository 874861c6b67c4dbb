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
      '2 of 3 EMF lines do not conform to the metrics contract (1 other line skipped)',
    ]);
  });

  test('reads standard input without FILE', async () => {
    const run = await runCommand(['check-emf'], { commands: withStdin(`${GOOD}\r\n${POWERTOOLS_STYLE}`) });
    expect(run.code).toBe(1);
    expect(run.stdout.split('\n')[0]).toBe('<stdin>:2: CloudWatchMetrics[0].Dimensions[0]: dimension "service" is outside the contract; allowed: Environment, Slot, Tool, ErrorCategory');
  });

  test('--json gives the counts and every violation', async () => {
    const run = await runCommand(['check-emf', '--json'], { commands: withStdin(`${GOOD}\n${GOOD.replace('"Count"', '"Seconds"')}\n`) });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({
      command: 'check-emf',
      exitCode: 1,
      source: '<stdin>',
      emfLines: 2,
      skippedLines: 0,
      violations: [{ line: 2, problems: ['CloudWatchMetrics[0].Metrics[0]: unit of "ToolCalls" must be "Count", got "Seconds"'] }],
    });
  });

  test('fails when the file cannot be read', async () => {
    const missing = path.join(dir, 'missing.log');
    const run = await runCommand(['check-emf', missing]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot read ${missing}: ENOENT`);
  });

  test('fails on more than one FILE', async () => {
    const run = await runCommand(['check-emf', 'a.log', 'b.log']);
    expect(run.code).toBe(64);
    expect(run.stderr).toContain('check-emf takes at most one FILE, got 2: a.log, b.log');
  });

  test('has its own help', async () => {
    const run = await runCommand(['check-emf', '--help']);
    expect(run.stdout.split('\n')[0]).toBe('usage: npx mcp-rollout check-emf [FILE]');
    expect(run.stdout).not.toContain('--environment');
  });
});
