/** The real clock and terminal for `bin/mcp-rollout.ts` (the AWS clients are in aws-clients.ts). */
import type { Clock, Terminal } from './context';
import { Interrupted } from './errors';
import { colorsWanted } from './output';

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal.aborted) return reject(new Interrupted());
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(new Interrupted());
      };
      signal.addEventListener('abort', onAbort, { once: true });
    }),
};

/** Streams whose reader went away (`mcp-rollout --help | head -1`): later output is dropped, quietly. */
const closed = new Set<NodeJS.WriteStream>();

for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    // EPIPE: the reader closed the pipe. The command goes on (it may be in a change that must
    // finish); only its output has no reader any more.
    if (error.code === 'EPIPE') closed.add(stream);
    else throw error;
  });
}

function write(stream: NodeJS.WriteStream, text: string): void {
  if (!closed.has(stream)) stream.write(text);
}

export const processTerminal: Terminal = {
  stdout: (line) => write(process.stdout, `${line}\n`),
  stderr: (text) => write(process.stderr, text),
  interactive: process.stderr.isTTY === true,
  stdoutInteractive: process.stdout.isTTY === true,
  colors: colorsWanted(process.env, process.stdout),
  get stdoutColumns() {
    return process.stdout.isTTY ? process.stdout.columns : undefined;
  },
  get stderrColumns() {
    return process.stderr.isTTY ? process.stderr.columns : undefined;
  },
};

/**
 * Ends the process once the output is flushed. Explicitly, because a command stopped by Ctrl-C
 * may leave an abandoned SDK retry wait behind that would keep Node alive for seconds.
 */
export function exitAfterOutput(code: number): void {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}
