/**
 * Review (issue 11): a read that fails before the steps must not stop the traffic step. On main,
 * readState reads the rule, the latch and every flag document before ModifyRule, so an AppConfig
 * outage, a missing latch parameter or a document the strict parser refuses leaves canary traffic on.
 */
import { InternalServerException } from '@aws-sdk/client-appconfig';
import { ParameterNotFound } from '@aws-sdk/client-ssm';
import { performRollback } from '../lambda/rollback/rollback';
import { AwsState } from './fakes/aws-state';
import { functionDeps, seedEnvironment, type FunctionRun, type SeededEnvironment } from './fakes/environment';

const stubs = new AwsState().install();
let fake: AwsState;
let env: SeededEnvironment;
let run: FunctionRun;
beforeEach(() => {
  for (const s of Object.values(stubs)) s.reset();
  fake = new AwsState();
  fake.install(stubs);
  env = seedEnvironment(fake, { canaryTraffic: 10 });
  run = functionDeps(fake, env);
});
const alarm = { kind: 'alarm' as const, alarmName: 'mcp-rollout-production-canary-error-rate-trigger', reason: 'Threshold Crossed', via: 'lambda-action' as const, dryRun: false as const };
const weights = () => fake.weights(env.outputs.trafficRuleArn, env.outputs.stableTargetGroupArn, env.outputs.canaryTargetGroupArn);

test.each([
  ['ListDeploymentsCommand', () => new InternalServerException({ message: 'internal error', $metadata: {} })],
  ['GetHostedConfigurationVersionCommand', () => new InternalServerException({ message: 'internal error', $metadata: {} })],
  ['GetParameterCommand', () => new ParameterNotFound({ message: 'not found', $metadata: {} })],
])('%s failing before the steps: traffic still goes to stable and on-call is told', async (command, error) => {
  let failures = 1;
  fake.before(command, () => {
    if (failures-- > 0) throw error();
  });
  const thrown = await performRollback(alarm, run.deps).catch((e: unknown) => e);
  expect(weights()).toEqual({ stable: 100, canary: 0 });
  expect(fake.published).toHaveLength(1);
  void thrown;
});
