/**
 * The rollback function records each rollback in the release history (lib/shared/release-history.ts),
 * once, whoever asked for it, after the environment is safe; a history it cannot write never fails
 * the rollback. Against the stateful fake (test/fakes/aws-state.ts).
 */
import { performRollback } from '../lambda/rollback/rollback';
import type { RollbackRequest } from '../lambda/rollback/events';
import { parseRecord, releaseHistoryParameterName } from '../lib/shared/release-history';
import { AwsState } from './fakes/aws-state';
import { functionDeps, seedEnvironment, type SeededEnvironment } from './fakes/environment';

const stubs = new AwsState().install();
let fake: AwsState;
let env: SeededEnvironment;
const HISTORY = releaseHistoryParameterName('production');
const TRIGGER = 'mcp-rollout-production-canary-error-rate-trigger';
const alarm: RollbackRequest = { kind: 'alarm', alarmName: TRIGGER, reason: 'Threshold Crossed', via: 'lambda-action', dryRun: false };

function setup(withHistory: boolean): void {
  for (const s of Object.values(stubs)) s.reset();
  fake = new AwsState();
  fake.install(stubs);
  // seedEnvironment creates the history with its empty value, as the State stack does.
  env = seedEnvironment(fake, { canaryTraffic: 10 });
  if (!withHistory) fake.parameters.delete(HISTORY);
}

const records = () => (fake.parameters.get(HISTORY) ?? []).map((v) => parseRecord(v.value)).filter((r) => r.kind !== 'empty');

test('a rollback adds one rollback record with its trigger and the weights before and after', async () => {
  setup(true);
  const run = functionDeps(fake, env);
  const result = await performRollback(alarm, run.deps);
  expect(result.outcome).toBe('rolled_back');
  expect(records()).toEqual([
    {
      kind: 'rollback',
      record: {
        kind: 'rollback',
        environment: 'production',
        time: new Date(fake.now()).toISOString(),
        by: TRIGGER,
        outcome: 'rolled_back',
        trigger: { kind: 'alarm', name: TRIGGER, reason: 'Threshold Crossed' },
        weightsBefore: { stable: 90, canary: 10 },
        weightsAfter: { stable: 100, canary: 0 },
      },
    },
  ]);
  expect(run.warnings).toEqual([]);
});

test('a second alarm finds the environment rolled back and records nothing more', async () => {
  setup(true);
  await performRollback(alarm, functionDeps(fake, env).deps);
  const again = await performRollback({ ...alarm, alarmName: 'mcp-rollout-production-service-error-rate-trigger' }, functionDeps(fake, env).deps);
  expect(again.outcome).toBe('already_rolled_back');
  expect(records()).toHaveLength(1);
});

test('a dry run records nothing', async () => {
  setup(true);
  await performRollback({ kind: 'manual', requestedBy: 'alice', reason: 'look', dryRun: true }, functionDeps(fake, env).deps);
  expect(records()).toEqual([]);
});

test('without the history parameter (a State stack from before it) the rollback succeeds and warns', async () => {
  setup(false);
  const run = functionDeps(fake, env);
  const result = await performRollback(alarm, run.deps);
  expect(result.outcome).toBe('rolled_back');
  expect(fake.parameters.has(HISTORY)).toBe(false);
  expect(run.warnings).toEqual(['the release history was not updated; the rollback itself is not affected']);
});
