/**
 * `check-emf [--min-lines N] [FILE|-]...`: checks a server's EMF log lines against the metrics
 * contract (the pure checker in lib/server-kit/emf-checker.ts), from each FILE in turn, `-` being
 * standard input, or from standard input alone. Server teams run it in their CI; it needs no
 * environment and no AWS.
 *
 * Exit 0 when every EMF line conforms (a log without EMF lines too, unless `--min-lines` asks for
 * some), 1 with `<source>:<line>: <reason>` for the first problems and their counts by reason,
 * 66 (EX_NOINPUT) when an input cannot be read: then nothing is checked, so a typo in a CI path
 * fails the build as a missing file rather than as a bad line. Lines are read one at a time and
 * the report is bounded, so a log of any size fits in memory.
 */
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { EmfLineChecker, formatEmfReport } from '../../server-kit/emf-checker';
import type { LocalCommand } from '../command';
import { CliError, EXIT_CODES, Interrupted, UsageError } from '../errors';
import { stringOption } from '../option-values';

export interface CheckEmfInput {
  /** Standard input, read for `-` or when no FILE is given. @default process.stdin */
  readonly stdin?: () => Readable;
  /** Whether standard input is a terminal (a person would be typing). @default process.stdin.isTTY */
  readonly stdinIsTerminal?: () => boolean;
}

const STDIN = '-';
const STDIN_NAME = '<stdin>';
const NEXT_INPUT = 'Give the log files to check (or - for standard input): npx mcp-rollout check-emf server.log';

/** What the system's error codes mean to someone who gave a path. */
const UNREADABLE: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  ENOTDIR: 'no such file (a part of the path is not a directory)',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

function whyUnreadable(error: unknown): string {
  const code = (error as { code?: string }).code;
  return (code && UNREADABLE[code]) ?? (error instanceof Error ? error.message : String(error));
}

/** Why `file` cannot be read as a log, or undefined when it can be opened. */
function unreadable(file: string): string | undefined {
  try {
    return statSync(file).isDirectory() ? UNREADABLE.EISDIR : undefined;
  } catch (error) {
    return whyUnreadable(error);
  }
}

function minLinesOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d{0,8}$/.test(value)) throw new UsageError(`--min-lines must be a whole number of 1 or more, got ${JSON.stringify(value)}`);
  return Number(value);
}

export function createCheckEmfCommand(input: CheckEmfInput = {}): LocalCommand {
  const stdin = input.stdin ?? (() => process.stdin);
  const stdinIsTerminal = input.stdinIsTerminal ?? (() => process.stdin.isTTY === true);
  return {
    name: 'check-emf',
    scope: 'local',
    usage: 'check-emf [--min-lines <n>] [FILE|-]...',
    summary: "check a server's EMF log lines (FILEs, - or standard input) against the metrics contract; exit 1 on any that does not conform, 66 on an unreadable input",
    options: {
      'min-lines': { type: 'string', value: '<n>', help: 'fail (exit 1) unless at least this many EMF lines were found; by default a log without EMF lines passes' },
    },
    positionals: '[FILE|-]...',
    run: async (ctx, { options, positionals }) => {
      const minLines = minLinesOption(stringOption(options, 'min-lines'));
      const inputs = positionals.length > 0 ? positionals : [STDIN];
      if (inputs.filter((i) => i === STDIN).length > 1) throw new UsageError('- (standard input) is given twice; give it once');
      // Every input is checked before any is read: a report of half the logs would pass for all of them.
      const bad = inputs.filter((i) => i !== STDIN).flatMap((file) => {
        const why = unreadable(file);
        return why === undefined ? [] : [`${file}: ${why}`];
      });
      if (bad.length > 0) throw new CliError(`cannot read ${bad.join('; ')}; nothing was checked`, NEXT_INPUT, EXIT_CODES.noInput);
      if (inputs.includes(STDIN) && stdinIsTerminal()) {
        ctx.report.note('check-emf: reading EMF lines from the terminal: paste them, then press Ctrl-D (or give a file: npx mcp-rollout check-emf server.log)');
      }

      const checker = new EmfLineChecker();
      const sources = inputs.map((i) => (i === STDIN ? STDIN_NAME : i));
      for (const [index, source] of sources.entries()) {
        checker.startSource(source);
        const stream = inputs[index] === STDIN ? stdin() : createReadStream(source);
        try {
          for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
            if (ctx.signal.aborted) throw new Interrupted();
            checker.add(line);
          }
        } catch (error) {
          if (error instanceof Interrupted) throw error;
          throw new CliError(`cannot read ${source}: ${whyUnreadable(error)}; the check is incomplete`, NEXT_INPUT, EXIT_CODES.noInput, { cause: error });
        } finally {
          if (inputs[index] !== STDIN) stream.destroy();
        }
      }

      const result = checker.result();
      const tooFew = minLines !== undefined && result.emfLines < minLines;
      const summary = formatEmfReport(result);
      if (tooFew) summary.push(`expected at least ${minLines} EMF line${minLines === 1 ? '' : 's'} (--min-lines ${minLines}), found ${result.emfLines}`);
      return {
        exitCode: result.violatingLines > 0 || tooFew ? EXIT_CODES.failed : EXIT_CODES.ok,
        summary,
        data: { sources, ...(minLines !== undefined ? { minLines } : {}), ...result },
      };
    },
  };
}

export const checkEmfCommand = createCheckEmfCommand();
