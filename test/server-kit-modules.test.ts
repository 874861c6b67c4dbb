import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

// DESIGN.md D4/D10: the server kit and the example server ship to server teams; they import the
// contract and the MCP SDK, never aws-cdk-lib or constructs.
const root = path.join(__dirname, '..');
const sources = (dir: string): string[] =>
  readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );

test.each([...sources('lib/server-kit'), ...sources('examples')])('%s imports nothing from aws-cdk-lib, constructs or the CDK app', (file) => {
  const source = readFileSync(path.join(root, file), 'utf8');
  const imports = [...source.matchAll(/(?:from|require\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
  expect(imports.filter((i) => /^(aws-cdk-lib|constructs)(\/|$)/.test(i) || /\/(constructs|stacks|config|cli)\//.test(`${i}/`))).toEqual([]);
});
