import { ENVIRONMENT_NAMES, type EnvironmentName } from '../../lib/shared/environment-names';
import { MetricsContractError, resolveThresholds, type KpiThresholdTable } from '../../lib/shared/metrics-contract';
import { ROLLOUT_JUDGE_ENV } from '../../lib/shared/rollout-contract';

/** What the judge function needs, read once at cold start. */
export interface JudgeConfig {
  readonly environment: EnvironmentName;
  readonly serviceStackName: string;
  readonly thresholds: KpiThresholdTable;
  readonly minimumSamplesPerMinute: number;
}

export class ConfigurationError extends Error {
  constructor(problems: readonly string[]) {
    super(`rollout judge misconfigured (redeploy the Rollout stack):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigurationError';
  }
}

/** Reads and checks the function's environment; one error names every missing or bad variable. */
export function readConfig(env: Readonly<Record<string, string | undefined>>): JudgeConfig {
  const problems: string[] = [];
  const E = ROLLOUT_JUDGE_ENV;
  const environment = env[E.environment] ?? '';
  if (!(ENVIRONMENT_NAMES as readonly string[]).includes(environment)) problems.push(`${E.environment} must be one of ${ENVIRONMENT_NAMES.join(', ')}, got "${environment}"`);
  const serviceStackName = env[E.serviceStackName] ?? '';
  if (serviceStackName === '') problems.push(`${E.serviceStackName} is not set`);
  const samples = Number(env[E.minimumSamplesPerMinute]);
  if (!Number.isInteger(samples) || samples < 1) problems.push(`${E.minimumSamplesPerMinute} must be a whole number of 1 or more, got "${env[E.minimumSamplesPerMinute] ?? ''}"`);
  let thresholds: KpiThresholdTable | undefined;
  try {
    // The construct writes the resolved table; resolving it again checks it with the contract's rules.
    thresholds = resolveThresholds(JSON.parse(env[E.thresholds] ?? '') as Parameters<typeof resolveThresholds>[0], E.thresholds);
  } catch (error) {
    problems.push(error instanceof MetricsContractError ? error.problems.join('; ') : `${E.thresholds} must be the KPI table as JSON: ${(error as Error).message}`);
  }
  if (problems.length > 0 || !thresholds) throw new ConfigurationError(problems);
  return { environment: environment as EnvironmentName, serviceStackName, thresholds, minimumSamplesPerMinute: samples };
}
