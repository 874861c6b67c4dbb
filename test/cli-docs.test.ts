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

/**
 * Splits a command line into words as sh does: quotes, backslashes, `#` comments; refuses what sh
 * would treat specially, except a `*` glob, which the shell expands to file names (`logs/*.log`):
 * words of the same kind, so the word as written parses as they would.
 */
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
    } else if ('<>|&;()$`?['.includes(c)) {
      throw new Error(`the shell would treat ${JSON.stringify(c)} specially in: ${line}`);
    } else {
      add(c);
    }
  }
  if (quote) throw new Error(`unterminated ${quote} in: ${line}`);
  if (word !== undefined) words.push(word);
  return words;
}

/**
 * The CLI commands a Markdown text shows, with the line each starts on. Outside code blocks the
 * lines of a paragraph are joined first, as Markdown joins them, so a code span that wraps to the
 * next line is one command; a table row is a paragraph of its own.
 */
export function commandsInText(markdown: string): { line: number; text: string }[] {
  const found: { line: number; text: string }[] = [];
  let inBlock = false;
  /** The paragraph being read: its text joined with spaces, and where each of its lines starts in it. */
  let paragraph: { text: string; starts: { at: number; line: number }[] } | undefined;
  const endParagraph = () => {
    if (!paragraph) return;
    const { text, starts } = paragraph;
    for (const span of text.matchAll(/`(npx mcp-rollout\b[^`]*)`/g)) {
      const line = starts.filter((s) => s.at <= span.index).at(-1)!.line;
      found.push({ line, text: span[1]!.replace(/\s+/g, ' ').trim() });
    }
    paragraph = undefined;
  };
  markdown.split('\n').forEach((text, index) => {
    const line = index + 1;
    if (text.startsWith('```')) {
      endParagraph();
      inBlock = !inBlock;
      return;
    }
    if (inBlock) {
      const command = /^(?:\$ )?(npx mcp-rollout\b.*)$/.exec(text)?.[1];
      if (command) found.push({ line, text: command });
      return;
    }
    if (text.trim() === '' || text.startsWith('|')) endParagraph();
    if (text.trim() === '') return;
    paragraph ??= { text: '', starts: [] };
    if (paragraph.text !== '') paragraph.text += ' ';
    paragraph.starts.push({ at: paragraph.text.length, line });
    paragraph.text += text;
    if (text.startsWith('|')) endParagraph();
  });
  endParagraph();
  return found;
}

const commandsIn = (file: string) => commandsInText(readFileSync(path.join(root, file), 'utf8'));

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

test('a code span that wraps across two lines of a paragraph is one command (Markdown joins the lines)', () => {
  const markdown = [
    'If the drift is still there, run `npx mcp-rollout rollback --environment production',
    '--confirm`: it only redoes what is missing, or `npx mcp-rollout',
    'status --environment staging`.',
    '',
    '| `npx mcp-rollout history --environment staging` | a table row |',
  ].join('\n');
  expect(commandsInText(markdown)).toEqual([
    { line: 1, text: 'npx mcp-rollout rollback --environment production --confirm' },
    { line: 2, text: 'npx mcp-rollout status --environment staging' },
    { line: 5, text: 'npx mcp-rollout history --environment staging' },
  ]);
});

describe('shellWords', () => {
  test.each([
    ['npx mcp-rollout rollback --reason "p95 up" # why', ['npx', 'mcp-rollout', 'rollback', '--reason', 'p95 up']],
    ["a 'b c' d\\ e", ['a', 'b c', 'd e']],
    ['npx mcp-rollout check-emf logs/*.log', ['npx', 'mcp-rollout', 'check-emf', 'logs/*.log']],
  ])('%s', (line, words) => {
    expect(shellWords(line)).toEqual(words);
  });

  test.each(['npx mcp-rollout deploy --canary-image <tag>', 'npx mcp-rollout flags set x=true [--immediate]'])('refuses %s', (line) => {
    expect(() => shellWords(line)).toThrow(/the shell would treat/);
  });
});
