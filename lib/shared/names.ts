/**
 * Every name this app gives an AWS resource, in one place: the `mcp-rollout-<env>` prefix and the
 * grammar of each name built on it. The constructs name resources with these functions and the
 * operator CLI finds and reads them back with the same ones, so the two cannot drift (as
 * cdk-monitoring-constructs does with one AlarmNamingStrategy). Renaming here renames deployed
 * resources: CloudFormation replaces a resource whose physical name changes.
 *
 * Pure TypeScript (DESIGN.md D4): the rollback Lambda and the CLI import it without aws-cdk-lib.
 */
import { ENVIRONMENT_NAMES, SLOT_NAMES, type EnvironmentName } from './environment-names';
import { SEVERITIES, type AlarmSeverity, type KpiScope, type Severity } from './metrics-contract';

/** The application's name: the first word of every resource name. */
export const APP_NAME = 'mcp-rollout';

/** `mcp-rollout-<env>`: the prefix of every named resource of one environment. */
export function resourcePrefix(environment: EnvironmentName): string {
  return `${APP_NAME}-${environment}`;
}

/** The SNS topic of one notification severity: `mcp-rollout-<env>-<severity>`. */
export function topicName(environment: EnvironmentName, severity: Severity): string {
  return `${resourcePrefix(environment)}-${severity}`;
}

/** The AWS Chatbot Slack channel configuration: `mcp-rollout-<env>`. */
export function slackChannelConfigurationName(environment: EnvironmentName): string {
  return resourcePrefix(environment);
}

/** The rollback function: `mcp-rollout-<env>-rollback`. */
export function rollbackFunctionName(environment: EnvironmentName): string {
  return `${resourcePrefix(environment)}-rollback`;
}

/** The AppConfig application holding the environment's feature flags: `mcp-rollout-<env>`. */
export function flagsApplicationName(environment: EnvironmentName): string {
  return resourcePrefix(environment);
}

/** The two AppConfig deployment strategies: ordinary changes, and emergencies and rollbacks. */
export type FlagStrategyKind = 'gradual' | 'immediate';

/** `mcp-rollout-<env>-gradual` or `mcp-rollout-<env>-immediate`. */
export function flagStrategyName(environment: EnvironmentName, kind: FlagStrategyKind): string {
  return `${resourcePrefix(environment)}-${kind}`;
}

/** The dashboard cadences of the seed (real time, hourly and daily reports). */
export type DashboardCadence = 'realtime' | 'hourly' | 'daily';

/** `mcp-rollout-<env>-<cadence>`. */
export function dashboardName(environment: EnvironmentName, cadence: DashboardCadence): string {
  return `${resourcePrefix(environment)}-${cadence}`;
}

/** An SSM parameter of this app: `/mcp-rollout/<env>/<leaf>` (SSM hierarchies use slashes). */
export function parameterName(environment: EnvironmentName, leaf: string): string {
  return `/${APP_NAME}/${environment}/${leaf}`;
}

/** The SSM parameter that latches an environment as rolled back (DESIGN.md D2). */
export function latchParameterName(environment: EnvironmentName): string {
  return parameterName(environment, 'rollback-latch');
}

/**
 * The SSM parameter whose version history is the release history (lib/shared/release-history.ts):
 * every deploy, promotion, undo, gate, rollback, resume and rollout writes one version.
 */
export function releaseHistoryParameterName(environment: EnvironmentName): string {
  return parameterName(environment, 'release-history');
}

// ---------------------------------------------------------------------------------------------
// Alarms: `mcp-rollout-<env>-<scope>-<kpi>-<severity>`

/** Every scope an alarm name can carry (the KPI scopes). */
const ALARM_NAME_SCOPES: readonly KpiScope[] = [...SLOT_NAMES, 'service'];

/** Every severity an alarm name can end with. */
const ALARM_NAME_SEVERITIES: readonly AlarmSeverity[] = [...SEVERITIES, 'trigger'];

/** What an alarm name says about its alarm. */
export interface AlarmNameParts {
  readonly environment: EnvironmentName;
  readonly scope: KpiScope;
  /** The KPI's slug (`llm-success-rate`), or what else the alarm watches (`rollback-function-errors`). */
  readonly kpi: string;
  readonly severity: AlarmSeverity;
}

/** The one alarm naming scheme: `mcp-rollout-<env>-<scope>-<kpi>-<severity>`. */
export function alarmName(environment: EnvironmentName, scope: KpiScope, kpi: string, severity: AlarmSeverity): string {
  return `${alarmNamePrefix(environment)}${scope}-${kpi}-${severity}`;
}

/**
 * The composite of every rollback trigger: the AppConfig environment's monitor. The rollback
 * function disables its actions before it deploys flags, `resume` enables them again.
 */
export function rollbackMonitorName(environment: EnvironmentName): string {
  return alarmName(environment, 'service', 'any-rollback-trigger', 'trigger');
}

/** The prefix every alarm of the environment starts with (DescribeAlarms `AlarmNamePrefix`). */
export function alarmNamePrefix(environment: EnvironmentName): string {
  return `${resourcePrefix(environment)}-`;
}

/**
 * An alarm name read back into its parts, or undefined when this app did not name it (another
 * app's alarm, a hand-made one). Environment, scope and severity must be ones this app uses; the
 * KPI is what lies between, and may contain dashes.
 */
export function parseAlarmName(name: string): AlarmNameParts | undefined {
  const environment = ENVIRONMENT_NAMES.find((env) => name.startsWith(alarmNamePrefix(env)));
  if (environment === undefined) return undefined;
  const words = name.slice(alarmNamePrefix(environment).length).split('-');
  const scope = ALARM_NAME_SCOPES.find((s) => s === words[0]);
  const severity = ALARM_NAME_SEVERITIES.find((s) => s === words[words.length - 1]);
  const kpi = words.slice(1, -1).join('-');
  if (scope === undefined || severity === undefined || kpi === '' || words.slice(1, -1).includes('')) return undefined;
  return { environment, scope, kpi, severity };
}
