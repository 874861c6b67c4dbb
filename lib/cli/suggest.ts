/** "Did you mean": the closest of the allowed names to a mistyped one, as git and kubectl suggest. */

/** Edits (insert, delete, replace, swap two neighbours) between two words: optimal string alignment distance. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The allowed name closest to `word`, when it is close enough to be a typo: at most one edit per
 * three letters (so "stauts" finds "status", "launch" finds nothing), or a unique prefix.
 */
export function closest(word: string, allowed: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const limit = Math.max(1, Math.floor(lower.length / 3));
  const ranked = allowed.map((name) => ({ name, distance: editDistance(lower, name.toLowerCase()) })).sort((x, y) => x.distance - y.distance);
  const best = ranked[0];
  if (best && best.distance <= limit && ranked[1]?.distance !== best.distance) return best.name;
  const prefixed = allowed.filter((name) => lower.length >= 2 && name.toLowerCase().startsWith(lower));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}
