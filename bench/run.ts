/**
 * `npm run bench`: wall-clock figures from one run, printed as a table.
 * - synth: the full app (bin/app.ts) against the baseline (bench/baseline-app.ts), each run as the
 *   CDK CLI runs an app (a child process with cdk.json's context), median of several runs, as a ratio;
 * - lambda (bench/lambda.ts): the rollback function bundled as the stack bundles it, its size and
 *   the median time to import it in a fresh Node.js process (its cold-start module load);
 * - cli: the operator CLI's start-up time (`--help` in a fresh process);
 * - server kit: the instrumentation's added CPU per tools/call (bench/server-kit.ts);
 * - test: the wall time of `npm test`;
 * - judge: the canary judge against the old fixed-threshold gate on seeded windows (bench/judge.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { benchJudge } from './judge';
import { benchLambda } from './lambda';
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

export function median(values: number[]): number {
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
