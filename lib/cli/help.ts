/**
 * The help text: the command list, or one command with its options, wrapped to the terminal's
 * width (80 when it is not a terminal) so that nothing wraps mid-word or mid-option.
 */
import type { CliCommand, OptionSpec } from './command';
import { EXIT_CODE_MEANINGS } from './errors';

export const DEFAULT_WIDTH = 80;
/** Narrower than this, wrapping would only make it worse. */
const MIN_WIDTH = 40;

/**
 * Wraps `text` after `prefix`, continuing under the text's first column. A string wraps between
 * words; an array gives the pieces that should stay whole (whole `[--option value]` groups of a
 * synopsis), and a piece wider than the room wraps between its words after all.
 */
export function wrap(prefix: string, text: string | readonly string[], width: number): string[] {
  const indent = ' '.repeat(prefix.length);
  const room = Math.max(width, MIN_WIDTH) - prefix.length;
  const lines: string[] = [];
  let line = '';
  const pieces = typeof text === 'string' ? (text.match(/\S+/g) ?? []) : text.flatMap((p) => (p.length > room ? (p.match(/\S+/g) ?? []) : [p]));
  for (const atom of pieces) {
    if (line !== '' && line.length + 1 + atom.length > room) {
      lines.push(line);
      line = atom;
    } else {
      line = line === '' ? atom : `${line} ${atom}`;
    }
  }
  lines.push(line);
  return lines.map((l, i) => `${i === 0 ? prefix : indent}${l}`.trimEnd());
}

/**
 * A synopsis as the pieces it wraps between: words, and whole bracket groups, nested ones included
 * (`[--template [--approve-template <digest>]]` is one piece, so no line is left with a lone `]`).
 */
function synopsisPieces(synopsis: string): string[] {
  const pieces: string[] = [];
  let piece = '';
  let depth = 0;
  for (const char of synopsis) {
    if (char === ' ' && depth === 0) {
      if (piece !== '') pieces.push(piece);
      piece = '';
      continue;
    }
    piece += char;
    if (char === '[') depth++;
    else if (char === ']') depth = Math.max(0, depth - 1);
  }
  if (piece !== '') pieces.push(piece);
  return pieces;
}

function optionLabel(name: string, spec: OptionSpec): string {
  return `--${name}${spec.value ? ` ${spec.value}` : ''}`;
}

/** The help of the CLI (no command) or of one command, as lines. */
export function helpText(
  commands: readonly CliCommand[],
  command: CliCommand | undefined,
  options: Readonly<Record<string, OptionSpec>>,
  width = DEFAULT_WIDTH,
): string[] {
  if (command === undefined) {
    const nameWidth = Math.max(...commands.map((c) => c.name.length)) + 1;
    const codeWidth = Math.max(...Object.keys(EXIT_CODE_MEANINGS).map((c) => c.length)) + 2;
    const local = commands.filter((c) => c.scope === 'local').map((c) => c.name);
    return [
      ...wrap('', 'mcp-rollout: deploy phases, gate, promote, rollback, resume, status, flags and drills for the MCP service', width),
      '',
      ...wrap('usage: ', synopsisPieces('npx mcp-rollout <command> --environment <name> [options]'), width),
      '',
      ...commands.flatMap((c) => wrap(`  ${c.name.padEnd(nameWidth)} `, c.summary, width)),
      '',
      ...wrap('every command: ', Object.entries(options).map(([name, spec], i, all) => `${optionLabel(name, spec)}${i < all.length - 1 ? ',' : ''}`), width),
      ...(local.length > 0 ? wrap('', `(${local.join(', ')} need${local.length === 1 ? 's' : ''} no --environment, --region or --profile)`, width) : []),
      'exit codes:',
      ...Object.entries(EXIT_CODE_MEANINGS).flatMap(([code, meaning]) => wrap(`  ${code.padEnd(codeWidth)}`, meaning, width)),
      '',
      ...wrap('', 'Run `npx mcp-rollout <command> --help` (or `npx mcp-rollout help <command>`) for its options; docs/RUNBOOK.md walks through a release.', width),
    ];
  }
  return [
    ...wrap('usage: npx mcp-rollout ', synopsisPieces(command.usage), width),
    '',
    ...wrap('', command.summary, width),
    '',
    ...Object.entries(options).flatMap(([name, spec]) => wrap(`  ${optionLabel(name, spec).padEnd(26)} `, spec.help, width)),
  ];
}
