import { checkEmfLine, checkEmfLines, EmfLineChecker, formatEmfReport, MAX_REPORTED_PROBLEMS } from '../lib/server-kit/emf-checker';

/** A conforming line, as the instrumentation writes it for a failed call. */
const GOOD = {
  _aws: {
    Timestamp: 1764000000000,
    CloudWatchMetrics: [
      {
        Namespace: 'MCP/HierarchicalTools',
        Dimensions: [
          ['Environment', 'Slot'],
          ['Environment', 'Slot', 'Tool'],
        ],
        Metrics: [
          { Name: 'ToolCalls', Unit: 'Count' },
          { Name: 'ToolCallSuccesses', Unit: 'Count' },
        ],
      },
      {
        Namespace: 'MCP/HierarchicalTools',
        Dimensions: [
          ['Environment', 'Slot'],
          ['Environment', 'Slot', 'Tool'],
          ['Environment', 'Slot', 'ErrorCategory'],
        ],
        Metrics: [{ Name: 'ToolCallErrors', Unit: 'Count' }],
      },
    ],
  },
  Environment: 'production',
  Slot: 'canary',
  Tool: 'documents',
  ErrorCategory: 'tool_error',
  ToolCalls: 1,
  ToolCallSuccesses: 0,
  ToolCallErrors: 1,
};

type Line = Record<string, unknown>;
const clone = (): Line => JSON.parse(JSON.stringify(GOOD)) as Line;
const directive = (line: Line, i: number) => (line._aws as { CloudWatchMetrics: Record<string, unknown>[] }).CloudWatchMetrics[i]!;
const variant = (change: (line: Line) => void): string => {
  const line = clone();
  change(line);
  return JSON.stringify(line);
};

describe('checkEmfLine', () => {
  test('a line with the contract namespace, metrics, units and dimension sets conforms', () => {
    expect(checkEmfLine(JSON.stringify(GOOD))).toEqual({ kind: 'conforms' });
  });

  test('a metric may be emitted with a subset of its contract sets, as long as the alarms\' set is there', () => {
    const line = variant((l) => {
      directive(l, 0).Dimensions = [['Slot', 'Environment']];
    });
    expect(checkEmfLine(line)).toEqual({ kind: 'conforms' });
  });

  test.each([
    ['an empty line', ''],
    ['plain text', 'listening on http://127.0.0.1:8080'],
    ['a JSON log line without _aws', '{"level":"INFO","message":"started"}'],
    ['a JSON array', '[1,2]'],
    ['invalid JSON that never names _aws', '{"level":'],
  ])('skips %s', (_name, text) => {
    expect(checkEmfLine(text)).toEqual({ kind: 'not-emf' });
  });

  test.each<[string, (l: Line) => void, string[]]>([
    [
      'wrong namespace',
      (l) => {
        directive(l, 0).Namespace = 'MCP/Other';
      },
      ['CloudWatchMetrics[0].Namespace: wrong namespace "MCP/Other"; the contract\'s is "MCP/HierarchicalTools"'],
    ],
    [
      'a dimension outside the contract (Powertools adds "service")',
      (l) => {
        directive(l, 0).Dimensions = [['Environment', 'Slot', 'service']];
        l.service = 'mcp';
      },
      [
        'CloudWatchMetrics[0].Dimensions[0]: dimension "service" is outside the contract; allowed: Environment, Slot, Tool, ErrorCategory',
        '"ToolCalls" lacks the dimension set [Environment, Slot] that the alarms read',
        '"ToolCallSuccesses" lacks the dimension set [Environment, Slot] that the alarms read',
      ],
    ],
    [
      'a dimension set of contract names that the metric does not have',
      (l) => {
        directive(l, 0).Dimensions = [
          ['Environment', 'Slot'],
          ['Environment', 'Slot', 'ErrorCategory'],
        ];
      },
      [
        'CloudWatchMetrics[0].Dimensions[1]: dimension set [Environment, Slot, ErrorCategory] is outside the contract for "ToolCalls"; allowed: [Environment, Slot], [Environment, Slot, Tool]',
        'CloudWatchMetrics[0].Dimensions[1]: dimension set [Environment, Slot, ErrorCategory] is outside the contract for "ToolCallSuccesses"; allowed: [Environment, Slot], [Environment, Slot, Tool]',
      ],
    ],
    [
      'a missing dimension value',
      (l) => {
        delete l.Tool;
      },
      ['missing dimension value: "Tool" must be a non-empty string at the top level of the line, got nothing'],
    ],
    [
      'a dimension value that is not a string',
      (l) => {
        l.Slot = 1;
      },
      ['missing dimension value: "Slot" must be a non-empty string at the top level of the line, got 1'],
    ],
    [
      'an unknown metric',
      (l) => {
        (directive(l, 0).Metrics as unknown[]).push({ Name: 'Latency', Unit: 'Milliseconds' });
        l.Latency = 3;
      },
      ['CloudWatchMetrics[0].Metrics[2]: unknown metric "Latency"; the contract\'s metrics are ToolCalls, ToolCallSuccesses, ToolCallErrors, EnumValidations, EnumValidationFailures, AutoCorrections, NewEnumPatterns'],
    ],
    [
      'a wrong unit',
      (l) => {
        (directive(l, 1).Metrics as Record<string, unknown>[])[0]!.Unit = 'Percent';
      },
      ['CloudWatchMetrics[1].Metrics[0]: unit of "ToolCallErrors" must be "Count", got "Percent"'],
    ],
    [
      'no unit (EMF then records None)',
      (l) => {
        delete (directive(l, 1).Metrics as Record<string, unknown>[])[0]!.Unit;
      },
      ['CloudWatchMetrics[1].Metrics[0]: unit of "ToolCallErrors" must be "Count", got none (EMF then records "None")'],
    ],
    [
      'a metric without a value',
      (l) => {
        delete l.ToolCallErrors;
      },
      ['"ToolCallErrors" must have a number (or an array of numbers) at the top level of the line, got nothing'],
    ],
    [
      'a slot that is not stable or canary',
      (l) => {
        l.Slot = 'blue';
      },
      ['Slot must be one of stable, canary, got "blue"'],
    ],
    [
      'an environment the stack does not have',
      (l) => {
        l.Environment = 'dev';
      },
      ['Environment must be one of staging, production, got "dev"'],
    ],
    [
      'an error category outside the closed list',
      (l) => {
        l.ErrorCategory = 'TimeoutError';
      },
      ['ErrorCategory must be one of the closed list (tool_error, -32600, -32601, -32602, -32603, -32000, -32001, -32042, cancelled, _OTHER), got "TimeoutError"'],
    ],
    [
      'no timestamp',
      (l) => {
        delete (l._aws as Record<string, unknown>).Timestamp;
      },
      ['_aws.Timestamp must be a number (milliseconds since the epoch), got nothing'],
    ],
    [
      'a timestamp in seconds (CloudWatch reads milliseconds: 1970, older than its 14 days)',
      (l) => {
        (l._aws as Record<string, unknown>).Timestamp = 1764000000;
      },
      ['_aws.Timestamp must be milliseconds since the epoch, got 1764000000 (seconds?)'],
    ],
    [
      'a storage resolution other than 1 or 60',
      (l) => {
        ((directive(l, 0).Metrics as Record<string, unknown>[])[0]!).StorageResolution = 5;
      },
      ['CloudWatchMetrics[0].Metrics[0]: StorageResolution of "ToolCalls" must be 1 or 60, got 5'],
    ],
    [
      'a negative count',
      (l) => {
        l.ToolCalls = -1;
      },
      ['"ToolCalls" must be a count (a number of 0 or more, or an array of them), got -1'],
    ],
    [
      'the same metric and dimension set declared in two directives (CloudWatch counts the value twice)',
      (l) => {
        (directive(l, 1).Metrics as unknown[]).push({ Name: 'ToolCalls', Unit: 'Count' });
      },
      [
        'CloudWatchMetrics[1].Metrics[1]: "ToolCalls" with dimension set [Environment, Slot] is declared a second time in this line; CloudWatch would count its value twice',
        'CloudWatchMetrics[1].Metrics[1]: "ToolCalls" with dimension set [Environment, Slot, Tool] is declared a second time in this line; CloudWatch would count its value twice',
        'CloudWatchMetrics[1].Dimensions[2]: dimension set [Environment, Slot, ErrorCategory] is outside the contract for "ToolCalls"; allowed: [Environment, Slot], [Environment, Slot, Tool]',
      ],
    ],
    [
      'the same dimension set twice in one directive (names in another order are the same set)',
      (l) => {
        directive(l, 0).Dimensions = [
          ['Environment', 'Slot'],
          ['Slot', 'Environment'],
        ];
      },
      [
        'CloudWatchMetrics[0].Metrics[0]: "ToolCalls" with dimension set [Slot, Environment] is declared a second time in this line; CloudWatch would count its value twice',
        'CloudWatchMetrics[0].Metrics[1]: "ToolCallSuccesses" with dimension set [Slot, Environment] is declared a second time in this line; CloudWatch would count its value twice',
      ],
    ],
    [
      'no directives',
      (l) => {
        (l._aws as Record<string, unknown>).CloudWatchMetrics = 'ToolCalls';
      },
      ['_aws.CloudWatchMetrics must be an array of metric directives, got "ToolCalls"'],
    ],
    [
      'dimensions that are not arrays of names',
      (l) => {
        directive(l, 1).Dimensions = ['Environment'];
      },
      [
        'CloudWatchMetrics[1].Dimensions[0]: must be an array of dimension names, got "Environment"',
        '"ToolCallErrors" lacks the dimension set [Environment, Slot] that the alarms read',
      ],
    ],
  ])('reports %s', (_name, change, problems) => {
    expect(checkEmfLine(variant(change))).toEqual({ kind: 'violates', problems });
  });

  test('reports an EMF-looking line that is not valid JSON', () => {
    expect(checkEmfLine('{"_aws":{"Timestamp":1,')).toEqual({
      kind: 'violates',
      problems: ['names "_aws" but is not valid JSON (a truncated EMF line?)'],
    });
  });

  test('a line that is not an object under _aws', () => {
    expect(checkEmfLine('{"_aws":[]}')).toEqual({ kind: 'violates', problems: ['_aws must be an object, got []'] });
  });
});

describe('checkEmfLines and the report', () => {
  const text = ['starting', JSON.stringify(GOOD), variant((l) => (l.Slot = 'blue')), '', variant((l) => directive(l, 0).Namespace = 'X')].join('\n');

  test('numbers lines from 1, counts EMF and skipped lines, lists every problem and counts them by reason', () => {
    const result = checkEmfLines(text.split('\n'), 'server.log');
    expect(result).toEqual({
      emfLines: 3,
      skippedLines: 2,
      violatingLines: 2,
      problems: 2,
      problemsByReason: { 'dimension-value': 1, namespace: 1 },
      violations: [
        { source: 'server.log', line: 3, problems: ['Slot must be one of stable, canary, got "blue"'] },
        { source: 'server.log', line: 5, problems: ['CloudWatchMetrics[0].Namespace: wrong namespace "X"; the contract\'s is "MCP/HierarchicalTools"'] },
      ],
      omittedProblems: 0,
    });
    expect(formatEmfReport(result)).toEqual([
      'server.log:3: Slot must be one of stable, canary, got "blue"',
      'server.log:5: CloudWatchMetrics[0].Namespace: wrong namespace "X"; the contract\'s is "MCP/HierarchicalTools"',
      'problems by reason:',
      '  1  a wrong namespace',
      '  1  a dimension value outside the contract',
      '2 of 3 EMF lines do not conform to the metrics contract (2 other lines skipped)',
    ]);
  });

  test('a conforming input says so', () => {
    const result = checkEmfLines([JSON.stringify(GOOD), 'hello']);
    expect(formatEmfReport(result)).toEqual(['1 EMF line conforms to the metrics contract (1 other line skipped)']);
  });

  test('one failing line reads in the singular', () => {
    expect(formatEmfReport(checkEmfLines([variant((l) => (l.Slot = 'blue'))])).at(-1)).toBe('1 of 1 EMF line does not conform to the metrics contract (0 other lines skipped)');
  });

  test('an input without EMF lines says that nothing was checked', () => {
    expect(formatEmfReport(checkEmfLines(['hello']))).toEqual(['no EMF lines found (1 other line skipped): nothing to check']);
  });

  test('memory and output stay bounded: 200,000 bad lines keep the first 100 problems and count the rest by reason', () => {
    const bad = variant((l) => {
      directive(l, 0).Dimensions = [['Environment', 'Slot', 'service']];
      l.service = 'mcp';
    });
    const checker = new EmfLineChecker({ source: 'big.log' });
    for (let i = 0; i < 200_000; i++) checker.add(bad);
    const result = checker.result();
    expect(result.violations.flatMap((v) => v.problems)).toHaveLength(MAX_REPORTED_PROBLEMS);
    expect(MAX_REPORTED_PROBLEMS).toBe(100);
    // 3 problems a line: the 34th line is cut after its first problem.
    expect(result.violations).toHaveLength(34);
    expect(result.violations[33]).toEqual({ source: 'big.log', line: 34, problems: ['CloudWatchMetrics[0].Dimensions[0]: dimension "service" is outside the contract; allowed: Environment, Slot, Tool, ErrorCategory'] });
    expect(result).toMatchObject({
      emfLines: 200_000,
      violatingLines: 200_000,
      problems: 600_000,
      problemsByReason: { 'unknown-dimension': 200_000, 'alarm-set-missing': 400_000 },
      omittedProblems: 599_900,
    });
    const report = formatEmfReport(result);
    expect(report).toHaveLength(100 + 5);
    expect(report.slice(100)).toEqual([
      '... and 599900 more problems (the first 100 are shown above)',
      'problems by reason:',
      "  400000  a metric without the alarms' dimension set",
      '  200000  a dimension outside the contract',
      '200000 of 200000 EMF lines do not conform to the metrics contract (0 other lines skipped)',
    ]);
  });

  test('lines are numbered per source', () => {
    const checker = new EmfLineChecker({ source: 'a.log' });
    checker.add('hello');
    checker.add(variant((l) => (l.Slot = 'blue')));
    checker.startSource('b.log');
    checker.add(variant((l) => (l.Slot = 'green')));
    expect(formatEmfReport(checker.result()).slice(0, 2)).toEqual([
      'a.log:2: Slot must be one of stable, canary, got "blue"',
      'b.log:1: Slot must be one of stable, canary, got "green"',
    ]);
  });
});
