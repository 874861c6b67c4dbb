import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';

/**
 * How this app's Lambda handlers run and are bundled: the current Node.js runtime on ARM64, ESM
 * bundled by the local esbuild (no Docker, DESIGN.md D5). The SDK v3 is in the runtime, so it
 * stays out of the bundle; Powertools is bundled (it is not in the runtime). The banner gives ESM
 * bundles the `require` some CommonJS dependencies call.
 */
export const NODE_LAMBDA = {
  runtime: lambda.Runtime.NODEJS_24_X,
  architecture: lambda.Architecture.ARM_64,
  bundling: {
    minify: true,
    sourceMap: false,
    target: 'node24',
    format: nodejs.OutputFormat.ESM,
    mainFields: ['module', 'main'],
    externalModules: ['@aws-sdk/*'],
    banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
    forceDockerBundling: false,
    logLevel: nodejs.LogLevel.ERROR,
  },
} as const satisfies Pick<nodejs.NodejsFunctionProps, 'runtime' | 'architecture' | 'bundling'>;
