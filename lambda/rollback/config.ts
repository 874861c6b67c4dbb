import { ENVIRONMENT_NAMES, type EnvironmentName } from '../../lib/shared/environment-names';
import { flagNameProblem, type FlagName } from '../../lib/shared/feature-flags';
import { ROLLBACK_FUNCTION_ENV } from '../../lib/shared/rollback-contract';

/** Everything the function needs to find this environment's resources, read once at cold start. */
export interface RollbackConfig {
  readonly environment: EnvironmentName;
  readonly trafficRuleArn: string;
  readonly targetGroupArns: { readonly stable: string; readonly canary: string };
  readonly appConfig: {
    readonly applicationId: string;
    readonly environmentId: string;
    readonly profileId: string;
    readonly immediateStrategyId: string;
  };
  readonly rollbackFlags: readonly FlagName[];
  readonly latchParameter: string;
  readonly criticalTopicArn: string;
  readonly eventBusName: string;
  /** The trigger alarms this function answers; any other alarm is refused. */
  readonly triggerAlarms: ReadonlySet<string>;
  /** The Service stack whose operations the enforce path answers. */
  readonly serviceStackName: string;
  /** The AppConfig environment's monitor, whose actions are disabled before a flag deployment. */
  readonly monitorAlarmName: string;
}

export class ConfigurationError extends Error {
  constructor(problems: readonly string[]) {
    super(`rollback function misconfigured (redeploy the Service stack):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigurationError';
  }
}

/** Reads and checks the function's environment; throws one error naming every missing or bad variable. */
export function readConfig(env: Readonly<Record<string, string | undefined>>): RollbackConfig {
  const problems: string[] = [];
  const read = (name: string, pattern?: RegExp): string => {
    const value = env[name];
    if (value === undefined || value === '') problems.push(`${name} is not set`);
    else if (pattern && !pattern.test(value)) problems.push(`${name} must match ${pattern}, got "${value}"`);
    return value ?? '';
  };
  const E = ROLLBACK_FUNCTION_ENV;
  const environment = read(E.environment);
  if (environment && !(ENVIRONMENT_NAMES as readonly string[]).includes(environment)) {
    problems.push(`${E.environment} must be one of ${ENVIRONMENT_NAMES.join(', ')}, got "${environment}"`);
  }
  const elbArn = /^arn:aws[a-z-]*:elasticloadbalancing:/;
  const config = {
    environment: environment as EnvironmentName,
    trafficRuleArn: read(E.trafficRuleArn, elbArn),
    targetGroupArns: { stable: read(E.stableTargetGroupArn, elbArn), canary: read(E.canaryTargetGroupArn, elbArn) },
    appConfig: {
      applicationId: read(E.applicationId),
      environmentId: read(E.environmentId),
      profileId: read(E.profileId),
      immediateStrategyId: read(E.immediateStrategyId),
    },
    rollbackFlags: read(E.rollbackFlags)
      .split(',')
      .filter((f) => f !== '') as FlagName[],
    latchParameter: read(E.latchParameter, /^\//),
    criticalTopicArn: read(E.criticalTopicArn, /^arn:aws[a-z-]*:sns:/),
    eventBusName: env[E.eventBusName] || 'default',
    triggerAlarms: new Set(
      read(E.triggerAlarms)
        .split(',')
        .filter((a) => a !== ''),
    ),
    serviceStackName: read(E.serviceStackName),
    monitorAlarmName: read(E.monitorAlarmName),
  };
  for (const flag of config.rollbackFlags) {
    const problem = flagNameProblem(flag);
    if (problem) problems.push(`${E.rollbackFlags}: ${problem}`);
  }
  if (problems.length > 0) throw new ConfigurationError(problems);
  return config;
}
