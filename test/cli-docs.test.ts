/**
 * Every command README.md and docs/RUNBOOK.md show works when pasted: each is split into words as
 * a POSIX shell would and parsed by the CLI's own parser against its own command registry.
 * Commands are the lines of code blocks that start with `npx mcp-rollout` (or `$ npx mcp-rollout`)
 * and every inline code span that does (in prose and in an error's `next:`); the output lines of
 * a run ("Next: ...") are not commands.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseCommandLine } from '../lib/cli/args';
import { COMMANDS } from '../lib/cli/commands';

const root = path.join(__dirname, '..');
const DOCS = ['README.md', 'docs/RUNBOOK.md'];

/** Splits a command line into words as sh does: quotes, backslashes, `#` comments; refuses what sh would treat specially. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  const add = (text: string) => (word = (word ?? '') + text);
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) add(line[++i]!);
      else add(c);
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (c === '\\' && i + 1 < line.length) {
      add(line[++i]!);
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === '#' && word === undefined) {
      break;
    } else if ('<>|&;()$`*?['.includes(c)) {
      throw new Error(`the shell would treat ${JSON.stringify(c)} specially in: ${line}`);
    } else {
      add(c);
    }
  }
  if (quote) throw new Error(`unterminated ${quote} in: ${line}`);
  if (word !== undefined) words.push(word);
  return words;
}

function commandsIn(file: string): { line: number; text: string }[] {
  const found: { line: number; text: string }[] = [];
  let inBlock = false;
  readFileSync(path.join(root, file), 'utf8')
    .split('\n')
    .forEach((text, index) => {
      if (text.startsWith('```')) {
        inBlock = !inBlock;
        return;
      }
      const line = index + 1;
      const command = inBlock ? /^(?:\$ )?(npx mcp-rollout\b.*)$/.exec(text)?.[1] : undefined;
      if (command) found.push({ line, text: command });
      else for (const span of text.matchAll(/`(npx mcp-rollout\b[^`]*)`/g)) found.push({ line, text: span[1]! });
    });
  return found;
}

const cases = DOCS.flatMap((file) => commandsIn(file).map(({ line, text }) => [`${file}:${line}`, text] as const));

test('the docs show the CLI (the extraction finds them)', () => {
  expect(cases.length).toBeGreaterThanOrEqual(30);
  expect(cases.map(([, text]) => text)).toContain('npx mcp-rollout rollback --environment production --confirm --reason p95 regression on canary');
});

test.each(cases)('%s: %s parses', (_where, text) => {
  const [npx, bin, ...argv] = shellWords(text);
  expect([npx, bin]).toEqual(['npx', 'mcp-rollout']);
  expect(() => parseCommandLine(argv, COMMANDS)).not.toThrow();
});

describe('shellWords', () => {
  test.each([
    ['npx mcp-rollout rollback --reason "p95 up" # why', ['npx', 'mcp-rollout', 'rollback', '--reason', 'p95 up']],
    ["a 'b c' d\\ e", ['a', 'b c', 'd e']],
  ])('%s', (line, words) => {
    expect(shellWords(line)).toEqual(words);
  });

  test.each(['npx mcp-rollout deploy --canary-image <tag>', 'npx mcp-rollout flags set x=true [--immediate]'])('refuses %s', (line) => {
    expect(() => shellWords(line)).toThrow(/the shell would treat/);
  });
});
