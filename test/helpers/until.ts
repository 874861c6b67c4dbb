/** How long a test waits for one step of a process it started (a server to listen, an agent to be read). */
export const STEP_TIMEOUT_MS = 15_000;

/** Waits until `check` returns a value, polling, or fails with `what`. */
export async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = STEP_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
