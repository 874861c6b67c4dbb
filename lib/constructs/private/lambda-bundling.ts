import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { ROLLBACK_BUNDLE } from './rollback-bundle';

/**
 * The NodejsFunction bundling of this app's handlers (the rollback function, the rollout judge):
 * ESM by the local esbuild, no Docker (DESIGN.md D5), and nothing external: the SDK clients are
 * bundled and pinned (rollback-bundle.ts says why).
 */
export function handlerBundling(): nodejs.BundlingOptions {
  return {
    minify: ROLLBACK_BUNDLE.minify,
    sourceMap: ROLLBACK_BUNDLE.sourceMap,
    target: ROLLBACK_BUNDLE.target,
    format: nodejs.OutputFormat.ESM,
    mainFields: [...ROLLBACK_BUNDLE.mainFields],
    externalModules: [],
    banner: ROLLBACK_BUNDLE.banner,
    forceDockerBundling: false,
    logLevel: nodejs.LogLevel.ERROR,
  };
}
