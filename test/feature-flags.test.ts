import {
  buildFlagDocument,
  changedFlags,
  DEFAULT_FLAG_VALUES,
  DEFAULT_ROLLBACK_FLAGS,
  FlagDocumentError,
  flagValuesOf,
  parseFlagDocument,
  rolledBackDocument,
  serializeFlagDocument,
  withValues,
  type FlagName,
} from '../lib/shared/feature-flags';

const allOn = buildFlagDocument(DEFAULT_FLAG_VALUES);

function problemsOf(input: unknown): readonly string[] {
  try {
    parseFlagDocument(input);
    return [];
  } catch (error) {
    if (error instanceof FlagDocumentError) return error.problems;
    throw error;
  }
}

describe('buildFlagDocument', () => {
  test('holds the five seed flags with names, descriptions and values', () => {
    expect(allOn.version).toBe('1');
    expect(Object.keys(allOn.flags)).toEqual([
      'hierarchical_tools_enabled',
      'enumdescriptions_validation',
      'auto_correction_enabled',
      'enhanced_error_messages',
      'performance_monitoring',
    ]);
    expect(allOn.flags.hierarchical_tools_enabled).toEqual({
      name: 'Hierarchical tools',
      description: 'Serve the hierarchical tool tree instead of the flat tool list.',
    });
    expect(Object.values(allOn.values)).toEqual(Array(5).fill({ enabled: true }));
  });

  test('fails when a value is not a boolean', () => {
    expect(() => buildFlagDocument({ ...DEFAULT_FLAG_VALUES, performance_monitoring: 'yes' as never })).toThrow(
      'values.performance_monitoring: must be true or false, got "yes"',
    );
  });
});

describe('parseFlagDocument', () => {
  test('round-trips a built document through its JSON', () => {
    expect(parseFlagDocument(serializeFlagDocument(allOn))).toEqual(allOn);
  });

  test('keeps the fields AppConfig adds when flags are edited in the console', () => {
    const edited = {
      ...allOn,
      flags: { ...allOn.flags, performance_monitoring: { ...allOn.flags.performance_monitoring, _createdAt: '2026-11-01T10:00:00Z' } },
      values: { ...allOn.values, performance_monitoring: { enabled: false, _updatedAt: '2026-11-02T10:00:00Z' } },
    };
    expect(parseFlagDocument(JSON.stringify(edited))).toEqual(edited);
  });

  test('fails on text that is not JSON', () => {
    expect(problemsOf('{"version": "1",')).toEqual([expect.stringMatching(/^document is not valid JSON: /)]);
  });

  test('fails on a version other than "1"', () => {
    expect(problemsOf({ ...allOn, version: '2' })).toEqual(['version: must be "1", got "2"']);
  });

  test('fails on an invalid flag key', () => {
    const flags = { ...allOn.flags, 'Hierarchical Tools!': { name: 'x' } };
    expect(problemsOf({ ...allOn, flags })).toEqual([
      'flags: "Hierarchical Tools!" is not a valid flag key: it must start with a lowercase letter and contain only letters, digits, "_" or "-" (at most 64 characters)',
    ]);
  });

  test('fails on a flag that is not one of the five', () => {
    const values = { ...allOn.values, dark_mode: { enabled: true } };
    expect(problemsOf({ ...allOn, values })).toEqual([
      'values: unknown flag "dark_mode"; the flags are hierarchical_tools_enabled, enumdescriptions_validation, auto_correction_enabled, enhanced_error_messages, performance_monitoring',
    ]);
  });

  test('fails on a non-boolean value', () => {
    const values = { ...allOn.values, auto_correction_enabled: { enabled: 'true' } };
    expect(problemsOf({ ...allOn, values })).toEqual(['values.auto_correction_enabled.enabled: must be true or false, got "true"']);
  });

  test('fails on unknown fields at every level', () => {
    const doc = {
      ...allOn,
      extra: 1,
      flags: { ...allOn.flags, performance_monitoring: { name: 'p', owner: 'me' } },
      values: { ...allOn.values, performance_monitoring: { enabled: true, variant: 'a' } },
    };
    expect(problemsOf(doc)).toEqual([
      'unknown field "extra"; allowed: version, flags, values',
      'flags.performance_monitoring: unknown field "owner"; allowed: name, description, _createdAt, _updatedAt, _deprecation, attributes',
      'values.performance_monitoring: unknown field "variant"; allowed: enabled, _createdAt, _updatedAt',
    ]);
  });

  test('fails on names and descriptions over AppConfig limits', () => {
    const flags = {
      ...allOn.flags,
      hierarchical_tools_enabled: { name: 'n'.repeat(65) },
      performance_monitoring: { name: 'ok', description: 'd'.repeat(1025) },
    };
    expect(problemsOf({ ...allOn, flags })).toEqual([
      `flags.hierarchical_tools_enabled.name: must be a string of 1 to 64 characters, got "${'n'.repeat(65)}"`,
      'flags.performance_monitoring.description: must be a string of at most 1024 characters',
    ]);
  });

  test('fails when a seed flag or its value is missing', () => {
    const { performance_monitoring: _flag, ...flags } = allOn.flags;
    const { auto_correction_enabled: _value, ...values } = allOn.values;
    expect(problemsOf({ ...allOn, flags, values })).toEqual([
      'values: missing value for flag "auto_correction_enabled"',
      'flags: missing flag "performance_monitoring"',
    ]);
  });

  test('fails on a document that is not an object', () => {
    expect(problemsOf([1, 2])).toEqual(['document must be a JSON object, got [1,2]']);
  });
});

describe('rolledBackDocument', () => {
  const rolledBack = rolledBackDocument(allOn, DEFAULT_ROLLBACK_FLAGS);

  test('turns off exactly the rollback flags and keeps the rest', () => {
    expect(flagValuesOf(rolledBack)).toEqual({
      hierarchical_tools_enabled: false,
      enumdescriptions_validation: false,
      auto_correction_enabled: true,
      enhanced_error_messages: true,
      performance_monitoring: true,
    });
    expect(rolledBack.flags).toEqual(allOn.flags);
    expect(changedFlags(allOn, rolledBack)).toEqual(['hierarchical_tools_enabled', 'enumdescriptions_validation']);
  });

  test('round-trips through JSON and parses as a valid document', () => {
    expect(parseFlagDocument(serializeFlagDocument(rolledBack))).toEqual(rolledBack);
  });

  test('is idempotent: rolling back a rolled-back document changes nothing', () => {
    const twice = rolledBackDocument(rolledBack, DEFAULT_ROLLBACK_FLAGS);
    expect(twice).toEqual(rolledBack);
    expect(changedFlags(rolledBack, twice)).toEqual([]);
  });

  test('keeps values an operator had already turned off, and AppConfig fields', () => {
    const edited = withValues(allOn, { performance_monitoring: false });
    const withStamp = { ...edited, values: { ...edited.values, hierarchical_tools_enabled: { enabled: true, _updatedAt: 't' } } };
    const result = rolledBackDocument(withStamp, ['hierarchical_tools_enabled']);
    expect(result.values.hierarchical_tools_enabled).toEqual({ enabled: false, _updatedAt: 't' });
    expect(result.values.performance_monitoring).toEqual({ enabled: false });
  });

  test('does not change its input', () => {
    const before = JSON.stringify(allOn);
    rolledBackDocument(allOn, DEFAULT_ROLLBACK_FLAGS);
    expect(JSON.stringify(allOn)).toBe(before);
  });

  test('fails when a rollback flag does not exist', () => {
    expect(() => rolledBackDocument(allOn, ['dark_mode' as FlagName])).toThrow(
      'rollback flag unknown flag "dark_mode"; the flags are hierarchical_tools_enabled, enumdescriptions_validation, auto_correction_enabled, enhanced_error_messages, performance_monitoring',
    );
  });
});
