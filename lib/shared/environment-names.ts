/**
 * Environment names shared by the CDK app, the rollback Lambda and the operator CLI.
 *
 * Pure TypeScript: nothing here may import aws-cdk-lib (DESIGN.md D4), so the Lambda bundle and
 * the CLI stay light.
 */
export const ENVIRONMENT_NAMES = ['staging', 'production'] as const;

export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];

export const SLOT_NAMES = ['stable', 'canary'] as const;

export type SlotName = (typeof SLOT_NAMES)[number];

/** The CDK Stage id of each environment; stack names derive from it (`Production-Service`). */
export const STAGE_IDS: Record<EnvironmentName, string> = {
  staging: 'Staging',
  production: 'Production',
};

export function isEnvironmentName(value: unknown): value is EnvironmentName {
  return typeof value === 'string' && (ENVIRONMENT_NAMES as readonly string[]).includes(value);
}

/** Name of the CloudFormation stack that holds the service of an environment. */
export function serviceStackName(environment: EnvironmentName): string {
  return `${STAGE_IDS[environment]}-Service`;
}

/** Name of the CloudFormation stack that holds the state that outlives service deploys (the latch). */
export function stateStackName(environment: EnvironmentName): string {
  return `${STAGE_IDS[environment]}-State`;
}

/** SSM parameter that latches an environment as rolled back (DESIGN.md D2). */
export function rollbackLatchParameterName(environment: EnvironmentName): string {
  return `/mcp-rollout/${environment}/rollback-latch`;
}

/** The latch value that means "not rolled back". Any other value keeps the canary at 0 %. */
export const LATCH_CLEAR = 'clear';
