import { HEALTH_CHECK_PATH } from '../shared/metrics-contract';
import type { ConfigInput } from './schema';

/**
 * The default configuration of both environments. Platform engineers edit this file (account,
 * region, capacity); `parseConfig` validates it at every synth.
 *
 * Both environments are environment-agnostic and read their certificate ARN from SSM at deploy
 * time, so `npx cdk synth` works offline with no account-specific value in the code. Create
 * `/mcp-rollout/<env>/certificate-arn` in each account before the first deploy, or set
 * `tls.certificateArn` here.
 */
export const DEFAULT_CONFIG: ConfigInput = {
  environments: {
    staging: {
      tier: 'non-production',
      network: { type: 'new', maxAzs: 2, natGateways: 1 },
      tls: { certificateArnParameter: '/mcp-rollout/staging/certificate-arn' },
      container: {
        imageRepository: 'mcp-hierarchical-tools',
        initialImageTag: 'latest',
        port: 8080,
        healthCheckPath: HEALTH_CHECK_PATH,
        cpu: 512,
        memoryMiB: 1024,
      },
      slots: {
        stable: { desiredCount: 1, minCount: 1, maxCount: 4 },
        canary: { desiredCount: 1, minCount: 1, maxCount: 4 },
      },
      defaultTrafficPercent: 0,
      logRetentionDays: 30,
    },
    production: {
      tier: 'production',
      // A region-agnostic stack sees two AZs; set account and region to spread over three.
      network: { type: 'new', maxAzs: 2, natGateways: 2 },
      tls: { certificateArnParameter: '/mcp-rollout/production/certificate-arn' },
      container: {
        imageRepository: 'mcp-hierarchical-tools',
        initialImageTag: 'latest',
        port: 8080,
        healthCheckPath: HEALTH_CHECK_PATH,
        cpu: 1024,
        memoryMiB: 2048,
      },
      slots: {
        stable: { desiredCount: 3, minCount: 3, maxCount: 20 },
        canary: { desiredCount: 2, minCount: 2, maxCount: 20 },
      },
      defaultTrafficPercent: 0,
      logRetentionDays: 365,
    },
  },
};
