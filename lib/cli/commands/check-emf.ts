/**
 * `check-emf [FILE]`: checks a server's EMF log lines against the metrics contract (the pure
 * checker in lib/server-kit/emf-checker.ts), from FILE or standard input. Exit 0 when every EMF
 * line conforms, 1 with `<source>:<line>: <reason>` for each that does not. Server teams run it in
 * their CI; it needs no environment and no AWS.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { EmfLineChecker, formatEmfReport } from '../../server-kit/emf-checker';
import type { LocalCommand } from '../command';
import { CliError, EXIT_CODES, UsageError } from '../errors';

export interface CheckEmfInput {
  /** Standard input, read when no FILE is given. @default process.stdin */
  readonly stdin?: () => Readable;
}

const STDIN = '<stdin>';

export function createCheckEmfCommand(input: CheckEmfInput = {}): LocalCommand {
  return {
    name: 'check-emf',
    scope: 'local',
    usage: 'check-emf [FILE]',
    summary: "check a server's EMF log lines (FILE, or standard input) against the metrics contract; exit 1 on any that does not conform",
    options: {},
    positionals: '[FILE]',
    run: async (ctx, { positionals }) => {
      if (positionals.length > 1) {
        throw new UsageError(`check-emf takes at most one FILE, got ${positionals.length}: ${positionals.join(', ')}`, 'Check one log at a time, or pipe them in: `cat *.log | npx mcp-rollout check-emf`.');
      }
      const file = positionals[0];
      const source = file ?? STDIN;
      const stream = file !== undefined ? createReadStream(file) : (input.stdin ?? (() => process.stdin))();
      const checker = new EmfLineChecker();
      try {
        for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
          if (ctx.signal.aborted) break;
          checker.add(line);
        }
      } catch (error) {
        const code = (error as { code?: string }).code;
        throw new CliError(`cannot read ${source}: ${code ?? (error as Error).message}`, 'Give a readable log file, or pipe the log into `npx mcp-rollout check-emf`.');
      } finally {
        stream.destroy();
      }
      const result = checker.result();
      return {
        exitCode: result.violations.length > 0 ? EXIT_CODES.failed : EXIT_CODES.ok,
        summary: formatEmfReport(result, source),
        data: { source, ...result },
      };
    },
  };
}

export const checkEmfCommand = createCheckEmfCommand();
