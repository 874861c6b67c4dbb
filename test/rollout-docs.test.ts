/** The README and RUNBOOK say what the code does about the rollout engine. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseCommandLine } from '../lib/cli/args';
import { COMMANDS } from '../lib/cli/commands';
import { ROLLOUT_ERRORS, ROLLOUT_INPUT_SCHEMA } from '../lib/shared/rollout-contract';

const read = (file: string) => readFileSync(path.join(__dirname, '..', file), 'utf8');
const readme = read('README.md');
const runbook = read('docs/RUNBOOK.md');
const section = readme.slice(readme.indexOf('## Rollout engine'), readme.indexOf('## Operator CLI'));

test('the README prints the execution input schema the code checks, exactly', () => {
  const block = /### Starting a rollout from a pipeline[\s\S]*?```json\n([\s\S]*?)\n```/.exec(section)?.[1];
  expect(JSON.parse(block ?? 'null')).toEqual(ROLLOUT_INPUT_SCHEMA);
});

test('the README names every way a rollout ends except the abort error, which becomes RolledBack', () => {
  for (const [key, error] of Object.entries(ROLLOUT_ERRORS)) {
    if (key !== 'aborted') expect(section).toContain(`\`${error}\``);
  }
});

test.each([...`${section}\n${runbook}`.matchAll(/^npx mcp-rollout ((?:release|approve|abort)[^\n#]*)/gm)].map((m) => [m[1]!.trim()]))(
  'the documented command "%s" parses',
  (line) => {
    const argv = [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
    expect(parseCommandLine(argv, COMMANDS).kind).toBe('environment');
  },
);
