/**
 * How the rollback function is bundled: the construct hands these to NodejsFunction, and
 * `npm run bench` (bench/lambda.ts) builds the same bundle with esbuild to measure it. Everything
 * is bundled, the AWS SDK v3 clients included: the function runs the versions package-lock.json
 * pins, not whatever the Lambda runtime ships, and esbuild keeps only the commands it sends (the
 * ES module builds of the SDK, `mainFields` below, are what make that possible).
 */
export const ROLLBACK_ENTRY = 'lambda/rollback/index.ts';

export const ROLLBACK_BUNDLE = {
  minify: true,
  sourceMap: false,
  target: 'node24',
  mainFields: ['module', 'main'],
  // Some bundled CommonJS dependencies call require() for Node.js built-ins; ESM has none.
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
} as const;
