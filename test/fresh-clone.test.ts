import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

// What a fresh clone holds is what git tracks: a path package.json names but .gitignore hides
// (`*.js` once hid bin/mcp-rollout.js) works here and fails on every other machine.
const root = path.join(__dirname, '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { bin?: Record<string, string>; main?: string };
const named = [...Object.values(pkg.bin ?? {}), ...(pkg.main ? [pkg.main] : [])];

function tracked(file: string): boolean {
  return spawnSync('git', ['ls-files', '--error-unmatch', file], { cwd: root, stdio: 'ignore' }).status === 0;
}

describe('a fresh clone holds every entry point package.json names', () => {
  test('package.json names the CLI entry point', () => {
    expect(pkg.bin).toEqual({ 'mcp-rollout': 'bin/mcp-rollout.js' });
  });

  test.each(named)('%s is tracked by git and not ignored', (file) => {
    expect(tracked(file)).toBe(true);
    expect(spawnSync('git', ['check-ignore', '-q', '--no-index', file], { cwd: root }).status).toBe(1);
  });

  test('the bin starts the CLI with node alone (no build step)', () => {
    const out = execFileSync(process.execPath, [path.join(root, 'bin', 'mcp-rollout.js'), '--help'], { cwd: root, encoding: 'utf8' });
    expect(out).toMatch(/^usage: npx mcp-rollout <command>/m);
  });

  test('negative control: an untracked path is reported as untracked', () => {
    expect(tracked('bin/no-such-entry.js')).toBe(false);
  });
});
