/**
 * The RUNBOOK's emergency box is true to the config and to the rollback function: its generated
 * block is what lib/cli/emergency-facts.ts makes of the default config, its fallback payload is
 * accepted by the function's own input parser, and it is the first section on-call sees.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseRollbackEvent } from '../lambda/rollback/events';
import { EMERGENCY_BLOCK_END, EMERGENCY_BLOCK_START, emergencyFacts, fallbackInvoke, FALLBACK_REQUEST } from '../lib/cli/emergency-facts';
import { DEFAULT_CONFIG } from '../lib/config/environments';
import { parseConfig } from '../lib/config/schema';
import { resetMocks, runCommand } from './helpers/cli';
import { testConfig } from './helpers/config';

const runbook = readFileSync(path.join(__dirname, '..', 'docs', 'RUNBOOK.md'), 'utf8');

test('the generated block in docs/RUNBOOK.md is what the default config says (on failure: paste the expected block)', () => {
  const start = runbook.indexOf(EMERGENCY_BLOCK_START);
  const end = runbook.indexOf(EMERGENCY_BLOCK_END);
  expect(start).toBeGreaterThan(0);
  const inDoc = runbook.slice(start, end + EMERGENCY_BLOCK_END.length);
  expect(inDoc).toBe(emergencyFacts(parseConfig(DEFAULT_CONFIG)).join('\n'));
});

test('the emergency box is the first section, before any release step', () => {
  const headings = runbook.split('\n').filter((l) => l.startsWith('## '));
  expect(headings[0]).toBe('## Emergency: roll back now');
  expect(runbook.indexOf(EMERGENCY_BLOCK_END)).toBeLessThan(runbook.indexOf('## 1. Canary: 10 %'));
});

test('the fallback payload, as pasted, is a manual request the rollback function accepts (not a dry run)', () => {
  const payloads = [...runbook.matchAll(/--payload '([^']+)'/g)].map((m) => m[1]!);
  expect(payloads).toHaveLength(2);
  for (const payload of payloads) {
    expect(parseRollbackEvent(JSON.parse(payload), { triggerAlarms: new Set(), serviceStackName: 'Production-Service', flagEnvironmentId: 'env1234' })).toEqual({ kind: 'manual', reason: 'WHAT YOU SAW', requestedBy: 'YOUR NAME', dryRun: false });
  }
  // The console's test event is the same request.
  expect(runbook).toContain(`\`\`\`json\n${JSON.stringify(FALLBACK_REQUEST)}\n\`\`\``);
});

test('every fallback command sends the JSON raw (AWS CLI v2) to the environment function and prints its answer', () => {
  const invokes = runbook.split('\n').filter((l) => l.startsWith('aws lambda invoke'));
  expect(invokes).toEqual([
    `aws lambda invoke --function-name mcp-rollout-staging-rollback --cli-binary-format raw-in-base64-out --payload '${JSON.stringify(FALLBACK_REQUEST)}' rollback-result.json && cat rollback-result.json`,
    `aws lambda invoke --function-name mcp-rollout-production-rollback --cli-binary-format raw-in-base64-out --payload '${JSON.stringify(FALLBACK_REQUEST)}' rollback-result.json && cat rollback-result.json`,
  ]);
});

test('an environment with a profile, account and region in the config gets them in the table and in its commands', () => {
  const config = testConfig({ environments: { production: { profile: 'mcp-production', account: '123456789012', region: 'eu-west-1' } } });
  const facts = emergencyFacts(config);
  expect(facts).toContain('| production | `mcp-production` | 123456789012 | eu-west-1 | `mcp-rollout-production-rollback` | `/mcp-rollout/production/rollback-latch` | `Production-Service` |');
  expect(fallbackInvoke(config, 'production')).toBe(
    `aws lambda invoke --function-name mcp-rollout-production-rollback --cli-binary-format raw-in-base64-out --payload '${JSON.stringify(FALLBACK_REQUEST)}' --profile mcp-production --region eu-west-1 rollback-result.json && cat rollback-result.json`,
  );
});

describe("the config's profile for an environment", () => {
  // The CLI side of the same fact: what the RUNBOOK table shows is what the CLI uses.
  const environments = testConfig({ environments: { production: { profile: 'oncall' } } }).environments;
  beforeEach(resetMocks);

  test.each([
    [[], { AWS_PROFILE: 'default' }, 'oncall'],
    [['--profile', 'default'], { AWS_PROFILE: 'oncall' }, 'default'],
  ])('with %j and %j the clients use %s (--profile, then the config, then AWS_PROFILE)', async (extra, env, expected) => {
    let used: string | undefined;
    await runCommand(['history', '--environment', 'production', ...extra], { environments, env, onClients: (_region, options) => (used = options.profile) });
    expect(used).toBe(expected);
  });

  test('a config profile that does not exist is named as such, with the file to fix', async () => {
    const run = await runCommand(['history', '--environment', 'production'], { environments, profiles: ['default'] });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error: AWS profile "oncall" (from profile of production in lib/config/environments.ts) does not exist in /home/alice/.aws/config or /home/alice/.aws/credentials');
    expect(run.stderr).toContain('next: Fix the profile of production in lib/config/environments.ts (or pass --profile), or create it: aws configure sso --profile oncall');
  });

  test('the schema refuses a profile name AWS would not accept', () => {
    expect(() => testConfig({ environments: { production: { profile: 'on call' } } })).toThrow(
      /environments\.production\.profile: must be an AWS profile name \(letters, digits and _ \. \+ @ = , -; 1 to 64 characters\), got "on call"/,
    );
  });
});
