/** Option values, validated with messages that name the option, the value and what is allowed. */
import { MAX_REASON_LENGTH } from '../shared/rollback-contract';
import { CANARY_TRAFFIC_PATTERN, IMAGE_TAG_PATTERN } from '../shared/stack-contract';
import { UsageError } from './errors';

type Options = Readonly<Record<string, string | boolean | undefined>>;

export function stringOption(options: Options, name: string): string | undefined {
  const value = options[name];
  return typeof value === 'string' ? value : undefined;
}

export function requiredString(options: Options, name: string, what: string): string {
  const value = stringOption(options, name);
  if (value === undefined) throw new UsageError(`--${name} is required: ${what}`);
  return value;
}

/**
 * `--reason`, trimmed: 1 to `maxLength` characters (the latch keeps MAX_REASON_LENGTH), or
 * undefined when not given.
 */
export function reasonOption(options: Options, maxLength = MAX_REASON_LENGTH): string | undefined {
  const reason = stringOption(options, 'reason')?.trim();
  if (reason !== undefined && (reason.length === 0 || reason.length > maxLength)) {
    throw new UsageError(`--reason must be 1 to ${maxLength} characters, got ${reason.length}`);
  }
  return reason;
}

/** An integer percent 0 to 100, as the template's CanaryTraffic accepts it (no "10.5", "1e1" or "010"). */
export function percentOption(name: string, value: string): number {
  if (!new RegExp(CANARY_TRAFFIC_PATTERN).test(value)) {
    throw new UsageError(`--${name} must be an integer from 0 to 100, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

/** A percent that may have decimals (a success-rate target such as 99.5). */
export function ratePercentOption(name: string, value: string): number {
  const n = Number(value);
  if (!/^\d{1,3}(\.\d+)?$/.test(value) || n > 100) {
    throw new UsageError(`--${name} must be a percent from 0 to 100 (decimals allowed), got ${JSON.stringify(value)}`);
  }
  return n;
}

export function countOption(name: string, value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw new UsageError(`--${name} must be a whole number of 0 or more, got ${JSON.stringify(value)}`);
  return Number(value);
}

export function imageTagOption(name: string, value: string): string {
  if (!new RegExp(IMAGE_TAG_PATTERN).test(value)) {
    throw new UsageError(
      `--${name} must be an image tag: 1 to 128 letters, digits, "_", "." or "-", not starting with "." or "-", got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000 } as const;
const MIN_WINDOW_MS = 60_000;
const MAX_WINDOW_MS = 24 * 3_600_000;

/** A duration such as `90s`, `30m` or `1h`, from one minute to 24 hours. */
export function windowOption(name: string, value: string): number {
  return durationOption(name, value, MIN_WINDOW_MS, MAX_WINDOW_MS);
}

/** A duration written like `90s`, `30m` or `1h`, within [minMs, maxMs]. */
export function durationOption(name: string, value: string, minMs: number, maxMs: number): number {
  const match = /^(\d{1,5})([smh])$/.exec(value);
  const ms = match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : NaN;
  if (!match || ms < minMs || ms > maxMs) {
    throw new UsageError(`--${name} must be a duration from ${durationText(minMs)} to ${durationText(maxMs)} written like 90s, 30m or 1h, got ${JSON.stringify(value)}`);
  }
  return ms;
}

/** `1m`, `24h`, `10s`: the largest whole unit. */
function durationText(ms: number): string {
  if (ms % UNIT_MS.h === 0) return `${ms / UNIT_MS.h}h`;
  if (ms % UNIT_MS.m === 0) return `${ms / UNIT_MS.m}m`;
  return `${ms / UNIT_MS.s}s`;
}
