import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  alarmName,
  alarmNamePrefix,
  dashboardName,
  flagStrategyName,
  flagsApplicationName,
  latchParameterName,
  parseAlarmName,
  resourcePrefix,
  rollbackFunctionName,
  slackChannelConfigurationName,
  topicName,
} from '../lib/shared/names';
import { isPagingAlarm } from '../lib/cli/live-state';

describe('resource names', () => {
  test.each([
    [resourcePrefix('production'), 'mcp-rollout-production'],
    [topicName('staging', 'critical'), 'mcp-rollout-staging-critical'],
    [slackChannelConfigurationName('production'), 'mcp-rollout-production'],
    [rollbackFunctionName('production'), 'mcp-rollout-production-rollback'],
    [flagsApplicationName('staging'), 'mcp-rollout-staging'],
    [flagStrategyName('production', 'gradual'), 'mcp-rollout-production-gradual'],
    [flagStrategyName('production', 'immediate'), 'mcp-rollout-production-immediate'],
    [dashboardName('staging', 'realtime'), 'mcp-rollout-staging-realtime'],
    [latchParameterName('production'), '/mcp-rollout/production/rollback-latch'],
    [alarmNamePrefix('staging'), 'mcp-rollout-staging-'],
    [alarmName('production', 'canary', 'llm-success-rate', 'trigger'), 'mcp-rollout-production-canary-llm-success-rate-trigger'],
  ])('%s', (built, expected) => {
    expect(built).toBe(expected);
  });
});

describe('alarm names read back', () => {
  test.each([
    ['mcp-rollout-production-canary-llm-success-rate-trigger', { environment: 'production', scope: 'canary', kpi: 'llm-success-rate', severity: 'trigger' }],
    ['mcp-rollout-staging-service-any-rollback-trigger-trigger', { environment: 'staging', scope: 'service', kpi: 'any-rollback-trigger', severity: 'trigger' }],
    ['mcp-rollout-staging-service-rollback-function-errors-critical', { environment: 'staging', scope: 'service', kpi: 'rollback-function-errors', severity: 'critical' }],
    ['mcp-rollout-production-canary-response-time-p95-warning', { environment: 'production', scope: 'canary', kpi: 'response-time-p95', severity: 'warning' }],
    ['mcp-rollout-production-service-new-enum-patterns-info', { environment: 'production', scope: 'service', kpi: 'new-enum-patterns', severity: 'info' }],
  ])('%s', (name, parts) => {
    expect(parseAlarmName(name)).toEqual(parts);
  });

  test.each([
    ['another app', 'billing-production-canary-errors-critical'],
    ['an unknown environment', 'mcp-rollout-dev-canary-error-rate-critical'],
    ['an unknown scope', 'mcp-rollout-production-blue-error-rate-critical'],
    ['an unknown severity', 'mcp-rollout-production-canary-error-rate-page'],
    ['no KPI', 'mcp-rollout-production-canary-critical'],
    ['an empty word', 'mcp-rollout-production-canary-error--rate-critical'],
    ['a name that only ends like a critical alarm', 'my-own-critical'],
  ])('is not ours: %s', (_why, name) => {
    expect(parseAlarmName(name)).toBeUndefined();
    expect(isPagingAlarm(name)).toBe(false);
  });

  test.each([
    ['mcp-rollout-production-canary-error-rate-critical', true],
    ['mcp-rollout-production-canary-error-rate-trigger', true],
    ['mcp-rollout-production-canary-error-rate-warning', false],
    ['mcp-rollout-production-service-new-enum-patterns-info', false],
  ])('%s pages: %s', (name, pages) => {
    expect(isPagingAlarm(name)).toBe(pages);
  });

  test('every name built parses back to its parts', () => {
    for (const environment of ['staging', 'production'] as const) {
      for (const scope of ['stable', 'canary', 'service'] as const) {
        for (const severity of ['critical', 'warning', 'info', 'trigger'] as const) {
          expect(parseAlarmName(alarmName(environment, scope, 'llm-success-rate', severity))).toEqual({ environment, scope, kpi: 'llm-success-rate', severity });
        }
      }
    }
  });
});

test('no module outside lib/shared/names.ts writes the mcp-rollout-<env> prefix', () => {
  const root = path.join(__dirname, '..');
  const files = execFileSync('git', ['ls-files', 'lib', 'lambda', 'bin'], { cwd: root, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f.endsWith('.ts') && f !== 'lib/shared/names.ts');
  const offenders = files.filter((f) => {
    const source = readFileSync(path.join(root, f), 'utf8');
    // A name built from the prefix: `mcp-rollout-${...}` or "/mcp-rollout/${...}".
    return /mcp-rollout-\$\{|\/mcp-rollout\/\$\{/.test(source);
  });
  expect(offenders).toEqual([]);
});
