/**
 * How commands talk. Human mode: narration and the result on stdout, progress on stderr. JSON mode
 * (`--json`, for pipelines): stdout holds exactly one JSON document, everything else goes to stderr.
 */
import type { Terminal } from './context';
import type { ExitCode } from './errors';

/** What a command returns: its exit code, the lines a person reads, the document a pipeline reads. */
export interface CommandResult {
  readonly exitCode: ExitCode;
  readonly summary: readonly string[];
  readonly data: Readonly<Record<string, unknown>>;
}

export class Reporter {
  private progressShown = false;

  constructor(
    private readonly terminal: Terminal,
    readonly json: boolean,
  ) {}

  /** Narration: what the command is doing, as it does it. */
  say(line: string): void {
    this.endProgress();
    if (this.json) this.terminal.stderr(`${line}\n`);
    else this.terminal.stdout(line);
  }

  warn(line: string): void {
    this.endProgress();
    this.terminal.stderr(`warning: ${line}\n`);
  }

  /** A line for the person at the terminal that is not the command's output (Ctrl-C notices), on stderr. */
  note(line: string): void {
    this.endProgress();
    this.terminal.stderr(`${line}\n`);
  }

  /**
   * A long wait's state. On a terminal it redraws one line, cut to the terminal's width: a line
   * that wrapped would leave its first part behind at every redraw. In a log it prints one line per call.
   */
  progress(line: string): void {
    if (this.terminal.interactive) {
      this.terminal.stderr(`\r\x1b[2K${fitted(line, this.terminal.stderrColumns ?? DEFAULT_COLUMNS)}`);
      this.progressShown = true;
    } else {
      this.terminal.stderr(`${line}\n`);
    }
  }

  endProgress(): void {
    if (!this.progressShown) return;
    this.terminal.stderr('\n');
    this.progressShown = false;
  }

  result(command: string, environment: string | undefined, result: CommandResult): void {
    this.endProgress();
    if (this.json) {
      this.terminal.stdout(JSON.stringify({ command, ...(environment ? { environment } : {}), exitCode: result.exitCode, ...result.data }, null, 2));
    } else {
      for (const line of result.summary) this.terminal.stdout(line);
    }
  }

  error(command: string, environment: string | undefined, message: string, next: string, exitCode: ExitCode): void {
    this.endProgress();
    if (this.json) {
      this.terminal.stdout(JSON.stringify({ command, ...(environment ? { environment } : {}), exitCode, error: message, next }, null, 2));
    }
    this.terminal.stderr(`error: ${message}\nnext: ${next}\n`);
  }
}

/** What a terminal of unknown width is taken to have. */
const DEFAULT_COLUMNS = 80;

/** The line cut to one less than the width (the last column would wrap on some terminals), ending in `...` when cut. */
export function fitted(line: string, columns: number): string {
  const room = Math.max(columns - 1, 10);
  return line.length <= room ? line : `${line.slice(0, room - 3)}...`;
}

/** Aligns rows into columns separated by two spaces; the first row is the header. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}

export function progressBar(fraction: number, width = 24): string {
  const done = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(done)}${'-'.repeat(width - done)}]`;
}

/** `850 ms`, `4.2 s`, `12m 05s`, `1h 00m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const totalSeconds = Math.round(ms / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  return hours > 0 ? `${hours}h ${String(minutes).padStart(2, '0')}m` : `${minutes}m ${String(seconds).padStart(2, '0')}s`;
}

/** A percent with one decimal, or `n/a` when there was nothing to divide by. */
export function formatPercent(value: number | undefined): string {
  return value === undefined ? 'n/a' : `${value.toFixed(1)} %`;
}

export function formatMs(value: number | undefined): string {
  return value === undefined ? 'n/a' : `${Math.round(value)} ms`;
}
