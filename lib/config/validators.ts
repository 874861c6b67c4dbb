import { z } from 'zod';

/**
 * Zod building blocks whose messages always say what is allowed and show the value given,
 * e.g. "must be an integer from 1 to 65535, got 70000". The path is added by `formatIssues`.
 */

export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return JSON.stringify(value);
}

export function intRange(min: number, max: number) {
  const error = (iss: { input?: unknown }) => `must be an integer from ${min} to ${max}, got ${show(iss.input)}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

export function oneOfNumbers<const T extends readonly number[]>(allowed: T, what = 'one of') {
  return z
    .number({ error: (iss) => `must be ${what} ${allowed.join(', ')}, got ${show(iss.input)}` })
    .refine((v) => allowed.includes(v), {
      error: (iss) => `must be ${what} ${allowed.join(', ')}, got ${show(iss.input)}`,
    });
}

export function boolean() {
  return z.boolean({ error: (iss) => `must be true or false, got ${show(iss.input)}` });
}

export function matching(pattern: RegExp, description: string) {
  const error = (iss: { input?: unknown }) => `must be ${description}, got ${show(iss.input)}`;
  return z.string({ error }).regex(pattern, { error });
}

/** Turns zod issues into one line per problem: `<field path>: <what is wrong>`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], root: string): string[] {
  return issues.map((issue) => {
    const path = [root, ...issue.path.map(String)].filter((p) => p !== '').join('.');
    if (issue.code === 'unrecognized_keys') {
      return `${path}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    }
    if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) {
      return `${path}: is required (${issue.expected})`;
    }
    return `${path}: ${issue.message}`;
  });
}
