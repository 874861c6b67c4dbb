import { checkEnumArguments, enumFailureMessage, enumSchemaProblems, nearMiss, type ToolInputSchema } from '../lib/server-kit/enum-arguments';

const OPERATIONS = ['search', 'get', 'summarize', 'list_recent'];
const SCHEMA: ToolInputSchema = {
  type: 'object',
  properties: {
    operation: { type: 'string', enum: OPERATIONS, enumDescriptions: ['Find by keywords', 'Read one', 'Summarize one', 'Newest first'] },
    format: { type: 'string', enum: ['md', 'txt'], enumDescriptions: ['Markdown', 'Plain text'] },
    query: { type: 'string' },
  },
  required: ['operation'],
};
const ON = { validate: true, autoCorrect: true };

describe('nearMiss', () => {
  test.each([
    ['SEARCH', 'search', 'case'],
    [' search ', 'search', 'spaces around'],
    ['list-recent', 'list_recent', '"-" for "_"'],
    ['List Recent', 'list_recent', 'spaces for "_"'],
    ['serch', 'search', 'one deletion'],
    ['saerch', 'search', 'one swap'],
    ['summarise', 'summarize', 'one replacement'],
    ['summarizze', 'summarize', 'one insertion'],
    ['summrise', 'summarize', 'two edits on a long value'],
    ['gte', 'get', 'a swap on a short value'],
  ])('%j -> %j (%s)', (value, expected) => {
    expect(nearMiss(value, OPERATIONS)).toBe(expected);
  });

  test.each([
    ['frobnicate', 'nothing close'],
    ['gxx', 'two edits on a value of at most 4 characters'],
    ['sea', 'three edits'],
    ['', 'empty'],
  ])('%j is not corrected (%s)', (value) => {
    expect(nearMiss(value, OPERATIONS)).toBeUndefined();
  });

  test('a tie is not corrected', () => {
    expect(nearMiss('cat', ['bat', 'car'])).toBeUndefined();
  });
});

describe('checkEnumArguments', () => {
  test('an exact value is a validation and nothing else', () => {
    expect(checkEnumArguments(SCHEMA, { operation: 'search', query: 'x' }, ON)).toEqual({
      arguments: { operation: 'search', query: 'x' },
      validations: 1,
      failures: [],
      corrections: [],
    });
  });

  test('a near miss is corrected when auto-correction is on, and still counts as a validation', () => {
    const args = { operation: 'Serch', format: 'MD' };
    expect(checkEnumArguments(SCHEMA, args, ON)).toEqual({
      arguments: { operation: 'search', format: 'md' },
      validations: 2,
      failures: [],
      corrections: [
        { kind: 'value', parameter: 'operation', from: 'Serch', to: 'search' },
        { kind: 'value', parameter: 'format', from: 'MD', to: 'md' },
      ],
    });
    expect(args).toEqual({ operation: 'Serch', format: 'MD' });
  });

  test('a near miss fails, with the suggestion, when auto-correction is off', () => {
    expect(checkEnumArguments(SCHEMA, { operation: 'serch' }, { validate: true, autoCorrect: false })).toEqual({
      arguments: { operation: 'serch' },
      validations: 1,
      failures: [{ parameter: 'operation', value: 'serch', allowed: OPERATIONS, descriptions: ['Find by keywords', 'Read one', 'Summarize one', 'Newest first'], suggestion: 'search' }],
      corrections: [],
    });
  });

  test('a value nothing can correct fails without a suggestion; a non-string value too', () => {
    const result = checkEnumArguments(SCHEMA, { operation: 'frobnicate', format: 3 }, ON);
    expect(result.validations).toBe(2);
    expect(result.failures.map((f) => [f.parameter, f.value, f.suggestion])).toEqual([
      ['operation', 'frobnicate', undefined],
      ['format', 3, undefined],
    ]);
  });

  test('a near-miss parameter name is corrected, then its value is checked', () => {
    expect(checkEnumArguments(SCHEMA, { operaton: 'serch', query: 'q' }, ON)).toEqual({
      arguments: { operation: 'search', query: 'q' },
      validations: 1,
      failures: [],
      corrections: [
        { kind: 'parameter', parameter: 'operation', from: 'operaton', to: 'operation' },
        { kind: 'value', parameter: 'operation', from: 'serch', to: 'search' },
      ],
    });
  });

  test('a parameter name is not corrected onto a parameter the call already has', () => {
    expect(checkEnumArguments(SCHEMA, { operation: 'get', operaton: 'x' }, ON).arguments).toEqual({ operation: 'get', operaton: 'x' });
  });

  test('with validation off nothing is checked or counted; parameter names are still corrected', () => {
    expect(checkEnumArguments(SCHEMA, { Operation: 'frobnicate' }, { validate: false, autoCorrect: true })).toEqual({
      arguments: { operation: 'frobnicate' },
      validations: 0,
      failures: [],
      corrections: [{ kind: 'parameter', parameter: 'operation', from: 'Operation', to: 'operation' }],
    });
  });

  test('absent enum parameters are not validations', () => {
    expect(checkEnumArguments(SCHEMA, {}, ON).validations).toBe(0);
    expect(checkEnumArguments(SCHEMA, undefined, ON).validations).toBe(0);
  });
});

describe('enumSchemaProblems', () => {
  test.each<[string, ToolInputSchema, string]>([
    [
      'a missing enumDescriptions',
      { type: 'object', properties: { op: { type: 'string', enum: ['a', 'b'] } } },
      'inputSchema.properties.op.enumDescriptions: must hold one non-empty description per enum value (2), in the same order',
    ],
    [
      'one description too few',
      { type: 'object', properties: { op: { type: 'string', enum: ['a', 'b'], enumDescriptions: ['A'] } } },
      'inputSchema.properties.op.enumDescriptions: must hold one non-empty description per enum value (2), in the same order',
    ],
    [
      'non-string values',
      { type: 'object', properties: { op: { enum: [1, 2], enumDescriptions: ['1', '2'] } } },
      'inputSchema.properties.op.enum: must be a non-empty array of strings',
    ],
    [
      'values equal after normalization',
      { type: 'object', properties: { op: { type: 'string', enum: ['list-all', 'list_all'], enumDescriptions: ['1', '2'] } } },
      'inputSchema.properties.op.enum: values must differ after normalization (case, spaces, "-" and "_"), or a correction would be ambiguous',
    ],
  ])('reports %s', (_name, schema, problem) => {
    expect(enumSchemaProblems(schema)).toEqual([problem]);
    expect(() => checkEnumArguments(schema, {}, ON)).toThrow(problem);
  });

  test('accepts the example schema', () => {
    expect(enumSchemaProblems(SCHEMA)).toEqual([]);
  });
});

describe('enumFailureMessage', () => {
  const failure = { parameter: 'format', value: 'pdf', allowed: ['md', 'txt'], descriptions: ['Markdown', 'Plain text'] };

  test('enhanced: the parameter, the value, each allowed value with its description, the suggestion', () => {
    expect(enumFailureMessage(failure, true)).toBe('Parameter "format" got "pdf", which is not one of the allowed values: "md" (Markdown), "txt" (Plain text).');
    expect(enumFailureMessage({ ...failure, value: 'mdd', suggestion: 'md' }, true)).toBe(
      'Parameter "format" got "mdd", which is not one of the allowed values: "md" (Markdown), "txt" (Plain text). Did you mean "md"?',
    );
  });

  test('plain: the parameter only', () => {
    expect(enumFailureMessage(failure, false)).toBe('Invalid value for parameter "format".');
  });
});
