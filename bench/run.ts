/**
 * `npm run bench`: wall-clock figures from one run, printed as a table.
 * - synth: the full app (bin/app.ts) against the baseline (bench/baseline-app.ts), each run as the
 *   CDK CLI runs an app (a child process with cdk.json's context), median of several runs, as a ratio;
 * - lambda: the rollback function bundled as the stack bundles it (minified, SDK v3 left to the
 *   runtime), its size and the median time to import it in a fresh Node.js process (its cold-start
 *   module load, SDK clients included);
 * - cli: the operator CLI's start-up time (`--help` in a fresh process);
 * - server kit: the instrumentation's added CPU per tools/call (bench/server-kit.ts);
 * - test: the wall time of `npm test`;
 * - judge: the canary judge against the old fixed-threshold gate on seeded windows (bench/judge.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { buildSync } from 'esbuild';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { benchJudge } from './judge';
import { benchServerKit } from './server-kit';

const root = path.join(__dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const context = (JSON.parse(readFileSync(path.join(root, 'cdk.json'), 'utf8')) as { context: object }).context;

function timeMs(run: () => void): number {
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function synthOnce(entry: string): number {
  const outdir = mkdtempSync(path.join(tmpdir(), 'mcp-rollout-bench-'));
  try {
    return timeMs(() =>
      execFileSync(process.execPath, ['--import', 'tsx', entry], {
        cwd: root,
        env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context) },
        stdio: ['ignore', 'ignore', 'inherit'],
      }),
    );
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface BenchRow {
  readonly name: string;
  readonly value: string;
  readonly goal?: string;
}

export function benchSynth(): BenchRow[] {
  const full: number[] = [];
  const baseline: number[] = [];
  synthOnce('bin/app.ts'); // warm the file system cache and tsx's compile cache for both
  synthOnce('bench/baseline-app.ts');
  for (let i = 0; i < RUNS; i++) {
    // Interleaved so that machine noise hits both alike.
    full.push(synthOnce('bin/app.ts'));
    baseline.push(synthOnce('bench/baseline-app.ts'));
  }
  const ratio = median(full) / median(baseline);
  return [
    { name: `synth, full app (median of ${RUNS})`, value: `${median(full).toFixed(0)} ms` },
    { name: `synth, baseline app (median of ${RUNS})`, value: `${median(baseline).toFixed(0)} ms` },
    { name: 'synth ratio full / baseline', value: `${ratio.toFixed(2)}x`, goal: '<= 1.50x' },
  ];
}

export function benchLambda(): BenchRow[] {
  // Inside the repository, so the bundle's external @aws-sdk imports resolve from node_modules,
  // as they resolve from the runtime in Lambda.
  const dir = path.join(root, 'node_modules', '.cache', 'mcp-rollout-bench');
  mkdirSync(dir, { recursive: true });
  const outfile = path.join(dir, 'rollback.mjs');
  buildSync({
    entryPoints: [path.join(root, 'lambda', 'rollback', 'index.ts')],
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    mainFields: ['module', 'main'],
    external: ['@aws-sdk/*'],
    banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
    outfile,
    logLevel: 'error',
  });
  const env = {
    ...process.env,
    MCP_ENVIRONMENT: 'staging',
    TRAFFIC_RULE_ARN: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/a/b/c/d',
    STABLE_TARGET_GROUP_ARN: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/s/1',
    CANARY_TARGET_GROUP_ARN: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/c/2',
    APPCONFIG_APPLICATION_ID: 'a',
    APPCONFIG_ENVIRONMENT_ID: 'e',
    APPCONFIG_PROFILE_ID: 'p',
    APPCONFIG_IMMEDIATE_STRATEGY_ID: 'i',
    ROLLBACK_FLAGS: 'hierarchical_tools_enabled',
    LATCH_PARAMETER: '/mcp-rollout/staging/rollback-latch',
    CRITICAL_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:t',
    TRIGGER_ALARM_NAMES: 'x',
    AWS_REGION: 'eu-west-1',
  };
  const script = `const t = performance.now(); await import(${JSON.stringify(outfile)}); console.log(performance.now() - t);`;
  const loads: number[] = [];
  for (let i = 0; i < RUNS + 1; i++) {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, env, encoding: 'utf8' });
    if (i > 0) loads.push(Number(out.trim())); // the first run warms the file system cache
  }
  const kb = statSync(outfile).size / 1024;
  return [
    { name: 'rollback Lambda bundle (minified, SDK external)', value: `${kb.toFixed(1)} KB`, goal: '< 100 KB' },
    { name: `rollback Lambda module load (median of ${RUNS})`, value: `${median(loads).toFixed(0)} ms` },
  ];
}

/**
 * The operator CLI's start-up: `node bin/mcp-rollout.js --help` in a fresh process (tsx, the config
 * check and every SDK client loaded), which every command pays before its first AWS call.
 */
export function benchCli(): BenchRow[] {
  const runs = Array.from({ length: RUNS }, () =>
    timeMs(() => execFileSync(process.execPath, [path.join(root, 'bin', 'mcp-rollout.js'), '--help'], { cwd: root, stdio: 'ignore' })),
  );
  return [{ name: `mcp-rollout start-up, --help (median of ${RUNS})`, value: `${median(runs).toFixed(0)} ms`, goal: '< 2000 ms' }];
}

export function benchTests(): BenchRow[] {
  let status = 0;
  const ms = timeMs(() => {
    status = spawnSync('npm', ['test', '--silent'], { cwd: root, stdio: 'ignore' }).status ?? 1;
  });
  return [{ name: 'npm test wall time', value: `${(ms / 1000).toFixed(1)} s${status === 0 ? '' : ' (FAILED)'}` }];
}

function printTable(rows: readonly BenchRow[]): void {
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const row of rows) {
    console.log(`${row.name.padEnd(width)}  ${row.value.padStart(10)}${row.goal ? `  (goal ${row.goal})` : ''}`);
  }
}

if (require.main === module) {
  printTable([...benchLambda(), ...benchCli(), ...benchServerKit(), ...benchSynth(), ...benchTests(), ...benchJudge()]);
}
