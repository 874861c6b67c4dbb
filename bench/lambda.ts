/**
 * The rollback function's cold start, as `npm run bench` reports it: the function bundled exactly
 * as the stack bundles it (lib/constructs/private/rollback-bundle.ts: minified, tree-shaken, the
 * SDK v3 clients inside), its size, and the median time a fresh Node.js process takes to import
 * it: the module load Lambda pays on every cold start (SDK clients, Powertools, config read).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { ROLLBACK_BUNDLE, ROLLBACK_ENTRY } from '../lib/constructs/private/rollback-bundle';
import { ROLLBACK_FUNCTION_ENV } from '../lib/shared/rollback-contract';
import { median, type BenchRow } from './run';

const root = path.join(__dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/** The goal for this machine (issue 11, "the function's cold start"). */
const LOAD_GOAL_MS = 100;

/** Values the function's config check accepts; no AWS call happens at import. */
const E = ROLLBACK_FUNCTION_ENV;
const FUNCTION_ENV: Record<string, string> = {
  [E.environment]: 'staging',
  [E.trafficRuleArn]: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/a/b/c/d',
  [E.stableTargetGroupArn]: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/s/1',
  [E.canaryTargetGroupArn]: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/c/2',
  [E.applicationId]: 'app1234',
  [E.environmentId]: 'env1234',
  [E.profileId]: 'prof123',
  [E.immediateStrategyId]: 'imm1234',
  [E.rollbackFlags]: 'hierarchical_tools_enabled',
  [E.latchParameter]: '/mcp-rollout/staging/rollback-latch',
  [E.criticalTopicArn]: 'arn:aws:sns:eu-west-1:123456789012:t',
  [E.triggerAlarms]: 'x',
  [E.serviceStackName]: 'Staging-Service',
  [E.monitorAlarmName]: 'mcp-rollout-staging-service-any-rollback-trigger-trigger',
  AWS_REGION: 'eu-west-1',
  // The SDK warns about Node.js 20 at import; Lambda runs the function on Node.js 24.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

export function benchLambda(): BenchRow[] {
  // Outside the repository: nothing may resolve from node_modules, as nothing does in Lambda.
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-rollout-lambda-'));
  try {
    const outfile = path.join(dir, 'index.mjs');
    buildSync({
      entryPoints: [path.join(root, ROLLBACK_ENTRY)],
      bundle: true,
      minify: ROLLBACK_BUNDLE.minify,
      sourcemap: ROLLBACK_BUNDLE.sourceMap,
      platform: 'node',
      target: ROLLBACK_BUNDLE.target,
      format: 'esm',
      mainFields: [...ROLLBACK_BUNDLE.mainFields],
      banner: { js: ROLLBACK_BUNDLE.banner },
      outfile,
      logLevel: 'error',
    });
    const env = { ...process.env, ...FUNCTION_ENV };
    const script = `const t = performance.now(); await import(${JSON.stringify(outfile)}); console.log(performance.now() - t);`;
    const loads: number[] = [];
    for (let i = 0; i < RUNS + 1; i++) {
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, env, encoding: 'utf8' });
      if (i > 0) loads.push(Number(out.trim().split('\n').at(-1))); // the first run warms the file system cache
    }
    const kb = statSync(outfile).size / 1024;
    return [
      { name: 'rollback Lambda bundle (minified, SDK clients bundled)', value: `${kb.toFixed(0)} KB` },
      { name: `rollback Lambda module load (median of ${RUNS})`, value: `${median(loads).toFixed(0)} ms`, goal: `< ${LOAD_GOAL_MS} ms` },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
