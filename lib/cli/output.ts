/**
 * How commands talk. Human mode: narration and the result on stdout, progress on stderr. JSON mode
 * (`--json`, for pipelines): stdout holds exactly one JSON document, everything else goes to stderr.
 */
import { styleText } from 'node:util';
import type { Terminal } from './context';
import type { ExitCode } from './errors';

/** What a command returns: its exit code, the lines a person reads, the document a pipeline reads. */
export interface CommandResult {
  readonly exitCode: ExitCode;
  readonly summary: readonly string[];
  readonly data: Readonly<Record<string, unknown>>;
}

/** The styles the CLI uses: states and verdicts, nothing decorative. */
export type Style = 'red' | 'green' | 'yellow' | 'bold' | 'dim';

/** A wait shorter than this shows nothing; a longer one shows a spinner (on a terminal). */
export const SPINNER_DELAY_MS = 1000;
const SPINNER_FRAME_MS = 100;
const SPINNER_FRAMES = ['|', '/', '-', '\\'];

/** Real timers; a test passes jest's fake ones through the same functions. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
  now(): number;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  setInterval: (fn, ms) => setInterval(fn, ms).unref(),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
  now: () => Date.now(),
};

export class Reporter {
  private progressShown = false;
  /** The last progress line, redrawn after a spinner leaves. */
  private lastProgress?: string;
  /** Waits in flight (AWS calls, the toolkit), oldest first; the spinner names the oldest. */
  private readonly waits: { label: string; since: number }[] = [];
  private spinnerDelay?: unknown;
  private spinnerTimer?: unknown;
  private spinnerFrame = 0;

  constructor(
    private readonly terminal: Terminal,
    readonly json: boolean,
    private readonly timers: Timers = realTimers,
  ) {}

  /** Standard output shows colors: a terminal that has them, no NO_COLOR, no --json. */
  get colors(): boolean {
    return !this.json && this.terminal.colors === true;
  }

  /** `text` in a style when standard output shows colors (Node's util.styleText), plain otherwise. */
  paint(style: Style | readonly Style[], text: string): string {
    // This object decided whether to color (colorsWanted); styleText must not check process.stdout again.
    return this.colors ? styleText(style as Parameters<typeof styleText>[0], text, { validateStream: false }) : text;
  }

  /**
   * Marks the start of a wait; the returned function marks its end. While any wait has lasted
   * over a second, a terminal shows a spinner with its name and duration on standard error.
   */
  waiting(label: string): () => void {
    const wait = { label, since: this.timers.now() };
    this.waits.push(wait);
    if (this.terminal.interactive && this.spinnerDelay === undefined && this.spinnerTimer === undefined) {
      this.spinnerDelay = this.timers.setTimeout(() => {
        this.spinnerDelay = undefined;
        this.drawSpinner();
        this.spinnerTimer = this.timers.setInterval(() => this.drawSpinner(), SPINNER_FRAME_MS);
      }, SPINNER_DELAY_MS);
    }
    return () => {
      const at = this.waits.indexOf(wait);
      if (at >= 0) this.waits.splice(at, 1);
      if (this.waits.length > 0) return;
      if (this.spinnerDelay !== undefined) this.timers.clearTimeout(this.spinnerDelay);
      this.spinnerDelay = undefined;
      if (this.spinnerTimer !== undefined) {
        this.timers.clearInterval(this.spinnerTimer);
        this.spinnerTimer = undefined;
        // Erase the spinner, and put back the progress line it covered.
        this.terminal.stderr('\r\x1b[2K');
        this.progressShown = false;
        if (this.lastProgress !== undefined) this.progress(this.lastProgress);
      }
    };
  }

  /** Runs `work` as one named wait (see `waiting`). */
  async waitFor<T>(label: string, work: Promise<T>): Promise<T> {
    const done = this.waiting(label);
    try {
      return await work;
    } finally {
      done();
    }
  }

  private drawSpinner(): void {
    const oldest = this.waits[0];
    if (!oldest) return;
    const frame = SPINNER_FRAMES[this.spinnerFrame++ % SPINNER_FRAMES.length];
    this.terminal.stderr(`\r\x1b[2K${frame} ${oldest.label} (${formatDuration(this.timers.now() - oldest.since)})`);
  }

  /**
   * One frame of a view that redraws (status --watch): a terminal's screen is cleared first, a log
   * gets the frame after a rule, so each frame stays readable in order.
   */
  frame(lines: readonly string[]): void {
    this.endProgress();
    if (this.terminal.stdoutInteractive) {
      this.terminal.stdout(`\x1b[H\x1b[2J${lines[0] ?? ''}`);
      for (const line of lines.slice(1)) this.terminal.stdout(line);
    } else {
      this.terminal.stdout('----');
      for (const line of lines) this.terminal.stdout(line);
    }
  }

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
    this.lastProgress = line;
    if (this.terminal.interactive) {
      this.terminal.stderr(`\r\x1b[2K${fitted(line, this.terminal.stderrColumns ?? DEFAULT_COLUMNS)}`);
      this.progressShown = true;
    } else {
      this.terminal.stderr(`${line}\n`);
    }
  }

  endProgress(): void {
    this.lastProgress = undefined;
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

/**
 * Whether standard output should show colors: a terminal with colors, unless NO_COLOR is set to
 * anything but the empty string (https://no-color.org) or TERM is dumb.
 */
export function colorsWanted(env: Readonly<Record<string, string | undefined>>, stream: { isTTY?: boolean; hasColors?: () => boolean }): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true && (stream.hasColors?.() ?? true);
}
