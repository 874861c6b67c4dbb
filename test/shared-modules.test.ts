import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

// DESIGN.md D4: modules the rollback Lambda and the CLI share stay free of aws-cdk-lib and constructs.
const sharedDir = path.join(__dirname, '..', 'lib', 'shared');

test.each(readdirSync(sharedDir).filter((f) => f.endsWith('.ts')))('lib/shared/%s imports nothing from aws-cdk-lib or constructs', (file) => {
  const source = readFileSync(path.join(sharedDir, file), 'utf8');
  const imports = [...source.matchAll(/(?:from|require\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
  expect(imports.filter((i) => /^(aws-cdk-lib|constructs)(\/|$)/.test(i!))).toEqual([]);
});
