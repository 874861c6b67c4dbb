/**
 * A read that fails before the steps never stops the rollback (issue 11 review): the function reads
 * the rule, the latch and every flag document before ModifyRule, so an AppConfig outage, a missing
 * latch parameter or a document the strict parser refuses would otherwise leave canary traffic on.
 * A read that failed leaves its step to act on what it can read again, and the report says what
 * could not be read. A latch parameter that no longer exists (README "Upgrading a State stack":
 * CloudFormation deletes the old AWS::SSM::Parameter) is created again, latched.
 */
import { InternalServerException } from '@aws-sdk/client-appconfig';
import { ElasticLoadBalancingV2ServiceException } from '@aws-sdk/client-elastic-load-balancing-v2';
import { performRollback, RollbackFailed } from '../lambda/rollback/rollback';
import { parseLatch } from '../lib/shared/rollback-contract';
import { AwsState } from './fakes/aws-state';
import { freshEnvironmentEachTest } from './fakes/environment';

const world = freshEnvironmentEachTest(() => new AwsState());
const TRIGGER = 'mcp-rollout-production-canary-error-rate-trigger';
const alarm = { kind: 'alarm' as const, alarmName: TRIGGER, reason: 'Threshold Crossed', via: 'lambda-action' as const, dryRun: false as const };
const { weights } = world;
const latch = () => parseLatch(world.fake.parameter(world.env.outputs.latchParameterName).value);
const $metadata = { httpStatusCode: 500 };
/** ELBv2 models no 5xx error: the SDK answers with its service exception named by the error code. */
const unavailable = () => new ElasticLoadBalancingV2ServiceException({ name: 'ServiceUnavailable', $fault: 'server', message: 'service unavailable', $metadata: { httpStatusCode: 503 } });

/** Fails the next `times` calls of `command`, the way the service answers (real SDK error classes). */
function failing(command: string, error: () => Error, times = 1): void {
  let left = times;
  world.fake.before(command, () => {
    if (left-- > 0) throw error();
  }, false);
}

// Every read is retried (lambda/rollback/retry.ts); these fail for longer than the retries last.
const OUTAGE = 100;

test.each([
  ['DescribeRulesCommand', 'the traffic rule', unavailable],
  ['ListDeploymentsCommand', 'the flag deployments', () => new InternalServerException({ message: 'internal error', $metadata })],
  ['GetHostedConfigurationVersionCommand', 'the flag deployments', () => new InternalServerException({ message: 'internal error', $metadata })],
  ['GetParameterCommand', 'the latch', () => Object.assign(new Error('We encountered an internal error. Please try again.'), { name: 'InternalServerError', $fault: 'server', $metadata })],
])('%s failing before the steps: traffic still goes to stable first, and on-call is told what could not be read', async (command, what, error) => {
  failing(command, error, OUTAGE);
  const thrown = await performRollback(alarm, world.run.deps).catch((e: unknown) => e);
  expect(world.fake.ruleWrites.at(-1)).toMatchObject({ by: 'api', weights: [100, 0] });
  expect(weights()).toEqual({ stable: 100, canary: 0 });
  expect(world.fake.published).toHaveLength(1);
  expect(world.fake.published[0]!.message).toContain(`Could not read before acting: ${what} (`);
  // The outage outlasts the run: the read-back fails too, so the run is thrown and Lambda retries it.
  expect(thrown).toBeInstanceOf(RollbackFailed);
  expect((thrown as RollbackFailed).result.before?.unread).toEqual([expect.stringMatching(new RegExp(`^${what}: `))]);
});

test('AppConfig failing only for the first reads: the flags step reads again and turns the flags off; nothing fails', async () => {
  failing('ListDeploymentsCommand', () => new InternalServerException({ message: 'internal error', $metadata }), 5);
  const result = await performRollback(alarm, world.run.deps);
  expect(result.outcome).toBe('rolled_back');
  expect(result.steps.map((s) => [s.step, s.status])).toEqual([
    ['traffic', 'done'],
    ['flags', 'done'],
    ['latch', 'done'],
    ['verify', 'done'],
    ['report', 'done'],
  ]);
  expect(result.before?.unread).toEqual(['the flag deployments: InternalServerException: internal error']);
  expect(latch().latched).toBe(true);
});

test('a dry run with an unreadable rule says the weights are unknown, not "canary -1 %"', async () => {
  failing('DescribeRulesCommand', unavailable, OUTAGE);
  const result = await performRollback({ kind: 'manual', requestedBy: 'alice', reason: 'drill', dryRun: true }, world.run.deps);
  expect(result.steps[0]).toEqual({
    step: 'traffic',
    status: 'skipped',
    detail: 'would set stable 100 / canary 0 (the live weights are unknown: ServiceUnavailable: service unavailable)',
  });
  expect(JSON.stringify(result)).not.toContain('-1');
  expect(result.before?.weights).toBeUndefined();
});

describe('the latch parameter does not exist (a State stack upgrade deleted the old AWS::SSM::Parameter)', () => {
  beforeEach(() => world.fake.parameters.delete(world.env.outputs.latchParameterName));

  test('a rollback moves traffic, turns the flags off, creates the latch latched, and says the parameter was missing', async () => {
    const result = await performRollback(alarm, world.run.deps);
    expect(result.outcome).toBe('rolled_back');
    expect(weights()).toEqual({ stable: 100, canary: 0 });
    expect(latch()).toMatchObject({ latched: true, record: { requestedBy: TRIGGER } });
    // Created, never overwritten: a value someone put back meanwhile wins.
    expect(world.fake.calls.filter(([, c]) => c === 'PutParameterCommand')[0]![2]).toEqual({
      Name: world.env.outputs.latchParameterName,
      Value: expect.any(String),
      Type: 'String',
      Overwrite: false,
    });
    const step = result.steps.find((s) => s.step === 'latch');
    expect(step).toEqual({
      step: 'latch',
      status: 'done',
      detail: `${world.env.outputs.latchParameterName} did not exist (README "Upgrading a State stack"): created it, set by ${TRIGGER}`,
    });
    expect(world.fake.published[0]!.message).toContain('did not exist (README "Upgrading a State stack")');
  });

  test('the enforce path cannot tell whether a rollback is in force: it fails loudly, naming the parameter and what to do', async () => {
    const error = await performRollback(
      { kind: 'enforce', name: 'Production-Service', reason: 'Production-Service UPDATE_COMPLETE', cause: { type: 'stack', status: 'UPDATE_COMPLETE' }, dryRun: false },
      world.run.deps,
    ).catch((e: unknown) => e);
    expect(String(error)).toBe(
      `Error: the latch parameter ${world.env.outputs.latchParameterName} does not exist, so whether a rollback is in force is unknown: put it back (README "Upgrading a State stack"), or roll back with npx mcp-rollout rollback --environment production --confirm, which creates it latched`,
    );
    expect(world.fake.ruleWrites.filter((w) => w.by === 'api')).toEqual([]);
  });
});

test('ParameterNotFound is not retried: it will not pass by waiting', async () => {
  world.fake.parameters.delete(world.env.outputs.latchParameterName);
  await performRollback(alarm, world.run.deps);
  const reads = world.fake.calls.filter(([, c, input]) => c === 'GetParameterCommand' && (input as { Name: string }).Name === world.env.outputs.latchParameterName);
  // One before the steps, one in the latch step, one in the read-back: each answered at once.
  expect(reads).toHaveLength(3);
  expect(world.run.warnings.filter((w) => /retrying/.test(w))).toEqual([]);
});
