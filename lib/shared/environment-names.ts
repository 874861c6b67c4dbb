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
