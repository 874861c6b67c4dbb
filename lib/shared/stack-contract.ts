/**
 * What the deployed Service stack promises the operator CLI: its name, its deploy-time parameters
 * and its outputs. The stack code and the CLI both import these names, so a rename breaks the
 * build instead of an on-call night. Pure TypeScript (DESIGN.md D4): the CLI starts without
 * loading aws-cdk-lib.
 */
import { STAGE_IDS, type EnvironmentName } from './environment-names';

/** Logical ids of the deploy-time parameters; `cdk deploy --parameters` and the CLI use these names. */
export const PARAMETER_NAMES = {
  canaryTraffic: 'CanaryTraffic',
  stableImageTag: 'StableImageTag',
  canaryImageTag: 'CanaryImageTag',
  rollbackLatch: 'RollbackLatch',
} as const;

/** The canary percents the template accepts: the integers 0 to 100, digits only, no leading zero. */
export const CANARY_TRAFFIC_PATTERN = '^(100|[1-9]?[0-9])$';

/** The image tags the template accepts (the `AllowedPattern` of both tag parameters). */
export const IMAGE_TAG_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$';

/** Output keys the operator CLI reads to find this environment's resources. */
export const SERVICE_OUTPUTS = {
  loadBalancerDnsName: 'LoadBalancerDnsName',
  listenerArn: 'ListenerArn',
  trafficRuleArn: 'TrafficRuleArn',
  clusterName: 'ClusterName',
  stableServiceName: 'StableServiceName',
  canaryServiceName: 'CanaryServiceName',
  stableTargetGroupArn: 'StableTargetGroupArn',
  canaryTargetGroupArn: 'CanaryTargetGroupArn',
  flagsApplicationId: 'FlagsApplicationId',
  flagsEnvironmentId: 'FlagsEnvironmentId',
  flagsProfileId: 'FlagsProfileId',
  flagsGradualStrategyId: 'FlagsGradualStrategyId',
  flagsImmediateStrategyId: 'FlagsImmediateStrategyId',
  rollbackFunctionName: 'RollbackFunctionName',
  latchParameterName: 'LatchParameterName',
  criticalTopicArn: 'CriticalTopicArn',
  warningTopicArn: 'WarningTopicArn',
  infoTopicArn: 'InfoTopicArn',
} as const;

export type ServiceOutputKey = keyof typeof SERVICE_OUTPUTS;

/** The CloudFormation name of an environment's Service stack (`Production-Service`). */
export function serviceStackName(environment: EnvironmentName): string {
  return `${STAGE_IDS[environment]}-Service`;
}

/** The `cdk deploy` selector of the same stack (its construct path, `Production/Service`). */
export function serviceStackSelector(environment: EnvironmentName): string {
  return `${STAGE_IDS[environment]}/Service`;
}

/** The `cdk deploy` selector of the environment's State stack (the latch and the release history). */
export function stateStackSelector(environment: EnvironmentName): string {
  return `${STAGE_IDS[environment]}/State`;
}
