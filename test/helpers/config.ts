import { DEFAULT_CONFIG } from '../../lib/config/environments';
import { parseConfig, type ConfigInput, type RolloutConfig } from '../../lib/config/schema';

/** Overrides for the raw config: nested objects merge, anything else (arrays too) replaces, `undefined` removes. */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> | undefined }
    : T;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function deepMerge<T>(base: T, overrides: unknown): T {
  if (!isPlainObject(base) || !isPlainObject(overrides)) return (overrides === undefined ? base : overrides) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete out[key];
    else out[key] = key in out ? deepMerge(out[key], value) : value;
  }
  return out as T;
}

/** The default configuration with `overrides` merged in, before validation. */
export function rawTestConfig(overrides: DeepPartial<ConfigInput> = {}): ConfigInput {
  return deepMerge(DEFAULT_CONFIG, overrides);
}

/** The default configuration with `overrides` merged in, parsed by the real schema. */
export function testConfig(overrides: DeepPartial<ConfigInput> = {}): RolloutConfig {
  return parseConfig(rawTestConfig(overrides));
}
