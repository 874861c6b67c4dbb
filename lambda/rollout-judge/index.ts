/** Placeholder replaced once the judge modules are merged (see the engine branch history). */
export async function handler(): Promise<{ verdict: 'hold'; reasons: string[] }> {
  return { verdict: 'hold', reasons: ['judge not wired yet'] };
}
