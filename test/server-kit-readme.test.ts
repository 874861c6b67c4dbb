import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CONTAINER_ENVIRONMENT, ERROR_CATEGORIES, type ErrorCategory } from '../lib/shared/metrics-contract';
import { checkEmfLine } from '../lib/server-kit/emf-checker';
import { EmfLineBuilder } from '../lib/server-kit/emf-line';

// README "What the server must emit" is what server teams copy: keep it true to the code.
const readme = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

test('the README lists exactly the closed ErrorCategory list', () => {
  const table = readme.slice(readme.indexOf('| `ErrorCategory` | when |'));
  const rows = table.slice(0, table.indexOf('\n\n')).split('\n').slice(2);
  expect(rows.map((r) => /^\| `([^`]+)`/.exec(r)![1])).toEqual(Object.keys(ERROR_CATEGORIES));
});

test("the README's example line is one the instrumentation writes, and it conforms", () => {
  const start = readme.indexOf('```json', readme.indexOf('A real line from the example server'));
  const block = readme.slice(start + '```json'.length, readme.indexOf('```', start + 7));
  const line = block.split('\n').map((l) => l.trim()).join('');
  expect(checkEmfLine(line)).toEqual({ kind: 'conforms' });
  const fields = JSON.parse(line) as Record<string, number | string> & { _aws: { Timestamp: number } };
  const rebuilt = new EmfLineBuilder('production', 'canary').line(
    {
      tool: fields.Tool as string,
      errorCategory: fields.ErrorCategory as ErrorCategory,
      enums: {
        validations: fields.EnumValidations as number,
        failures: fields.EnumValidationFailures as number,
        corrections: fields.AutoCorrections as number,
        newPatterns: fields.NewEnumPatterns as number,
      },
      durationMs: fields.durationMs as number,
    },
    fields._aws.Timestamp,
  );
  expect(line).toBe(rebuilt);
});

test('the README lists exactly the variables the stack gives each container', () => {
  const table = readme.slice(readme.indexOf('| variable | value |'));
  const rows = table.slice(0, table.indexOf('\n\n')).split('\n').slice(2);
  expect(rows.map((r) => /^\| `([^`]+)`/.exec(r)![1])).toEqual(Object.values(CONTAINER_ENVIRONMENT));
});
