/** The README and RUNBOOK say what the code does about the rollout engine. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseCommandLine } from '../lib/cli/args';
import { COMMANDS } from '../lib/cli/commands';
import { ROLLOUT_ERRORS, ROLLOUT_INPUT_SCHEMA } from '../lib/shared/rollout-contract';
import { judgeBake } from '../lambda/rollout-judge/bake-check';
import { describeProgress, progressFromHistory, stepLabels } from '../lib/cli/rollouts';
import { alignedRange } from '../lib/shared/metric-window-reader';
import { SEED_THRESHOLDS } from '../lib/shared/metrics-contract';
import { engineWorld } from './helpers/rollout-world';
import { windowOf } from './helpers/windows';

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

describe('the RUNBOOK\'s hold and hold-deadline output is what `status` prints for such a run', () => {
  // A canary that gets 4 calls a minute at 10 %: 148 by minute 37 of the 30-minute bake, 240 at the
  // hold deadline, short of the 300 the bake needs. The real judge decides on each look.
  const run = (async () => {
    const clock = { current: Date.parse('2026-11-24T10:00:00.000Z'), now() { return this.current; } };
    const { world, start } = engineWorld(clock);
    const quiet = () => ({ ToolCalls: 4, ToolCallSuccesses: 4, ToolCallErrors: 0, EnumValidations: 2, EnumValidationFailures: 0, RequestCount: 4, HTTPCode_Target_5XX_Count: 0, TargetConnectionErrorCount: 0, TargetResponseTimeP95Ms: 80 });
    world.judge = (request) => {
      const range = alignedRange({ startMs: Date.parse(request.windowStart), endMs: Date.parse(request.windowEnd) });
      const window = windowOf({ minutes: range.periods, start: new Date(range.startMs).toISOString(), canaryPercent: request.canaryPercent, canary: quiet });
      const j = judgeBake(window, request, { thresholds: SEED_THRESHOLDS, minimumSamplesPerMinute: 10 });
      return { verdict: j.verdict, reasons: j.reasons };
    };
    const execution = await start({ canaryImage: 'v1.5.0', requestedBy: 'alice' }, 'v1-5-0-20261124T100000Z');
    const status = () =>
      describeProgress(
        progressFromHistory(
          { executionArn: execution.context.executionArn, name: execution.context.name, status: execution.status, startDate: execution.startDate, ...(execution.stopDate ? { stopDate: execution.stopDate } : {}), input: JSON.stringify(execution.input), ...(execution.error ? { error: execution.error } : {}), ...(execution.cause ? { cause: execution.cause } : {}) },
          stepLabels(JSON.stringify(execution.definition)),
          execution.history,
        ),
        'production',
      );
    await world.runFor(40 * 60_000);
    const holding = status();
    await world.runFor(60 * 60_000);
    return { holding, ended: status() };
  })();

  test('holding at minute 37', async () => {
    const { holding } = await run;
    expect(runbook).toContain(holding.filter((l) => /Step 2 bake|last verdict/.test(l)).join('\n'));
  });

  test('rolled back at the hold deadline', async () => {
    const { ended } = await run;
    const shown = [...ended.slice(0, 4), '  ...', ended.at(-1)!].join('\n');
    expect(runbook).toContain(shown);
  });
});
