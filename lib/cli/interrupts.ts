/**
 * Ctrl-C, as on-call needs it: any command stops within a second, except inside a change that
 * must finish (an AWS call that changes something, a flag version and its deployment, a
 * `cdk deploy`), which says so, finishes, and then stops.
 *
 * `signal` is what waits and AWS calls listen to. It aborts on Ctrl-C, but only once no change is
 * running: a change started before the Ctrl-C is never cut off half-way, and none starts after it.
 */
import { Interrupted } from './errors';

export interface MustFinishOptions {
  /** Say nothing on Ctrl-C: whatever runs inside announces it (the CDK toolkit does). */
  readonly quiet?: boolean;
}

export class Interrupts {
  private readonly effective = new AbortController();
  private readonly running = new Set<string>();
  private readonly quiet = new Set<string>();
  /** Changes that were running when Ctrl-C came, and were let finish. */
  readonly finishedAfterInterrupt: string[] = [];

  constructor(
    /** Aborted when the operator presses Ctrl-C. */
    readonly requested: AbortSignal,
    private readonly announce: (line: string) => void,
  ) {
    if (requested.aborted) this.effective.abort();
    else requested.addEventListener('abort', () => this.onInterrupt(), { once: true });
  }

  /** Aborts on Ctrl-C once no change that must finish is running. */
  get signal(): AbortSignal {
    return this.effective.signal;
  }

  /**
   * Runs a change that must not be cut off: Ctrl-C during it is held until it ends. A change does
   * not start once Ctrl-C has taken effect (that throws Interrupted); inside another change that
   * must finish it does, being part of it.
   */
  async mustFinish<T>(what: string, change: () => Promise<T>, options: MustFinishOptions = {}): Promise<T> {
    const section = this.begin(what, options);
    try {
      return await change();
    } finally {
      section.end();
    }
  }

  /** mustFinish for code that cannot be wrapped in a function: call `end()` when the change is done. */
  begin(what: string, options: MustFinishOptions = {}): { end(): void } {
    if (this.effective.signal.aborted) throw new Interrupted();
    // Several changes may run at once (one key each); the signal waits for the last.
    let key = what;
    for (let n = 2; this.running.has(key); n++) key = `${what} (${n})`;
    this.running.add(key);
    if (options.quiet) this.quiet.add(key);
    let ended = false;
    return {
      end: () => {
        if (ended) return;
        ended = true;
        this.running.delete(key);
        this.quiet.delete(key);
        if (!this.requested.aborted) return;
        this.finishedAfterInterrupt.push(what);
        if (this.running.size === 0) this.effective.abort();
      },
    };
  }

  private onInterrupt(): void {
    if (this.running.size === 0) {
      this.effective.abort();
      return;
    }
    const announced = [...this.running].filter((key) => !this.quiet.has(key));
    if (announced.length > 0) {
      this.announce(`Ctrl-C: waiting for ${announced.join(' and ')} to finish first: a change cut off half-way would be worse than one that finishes. Stopping right after.`);
    }
  }
}
