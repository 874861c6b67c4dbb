/**
 * The example server's image follows README "Server image requirements" (issue 15): the stack runs
 * the server as the config's user on a read-only root filesystem, with each writable path a volume
 * that ECS fills from the image only when the image declares it a VOLUME, with the image's
 * ownership (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/bind-mounts.html).
 * So the runtime stage must run as that user, own each writable path and declare it a VOLUME.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { testConfig } from './helpers/config';

const dockerfile = readFileSync(path.join(__dirname, '..', 'examples', 'mcp-server', 'Dockerfile'), 'utf8');
/** The instructions of the last stage (the image that runs), continuation lines joined. */
const runtime = dockerfile
  .replace(/\\\n\s*/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'))
  .reduce<string[]>((stage, line) => (/^FROM\s/i.test(line) ? [line] : [...stage, line]), []);
const { user, writablePaths } = testConfig().environments.production.container;

test('the runtime stage runs as the user the stack runs the server as (the default of container.user)', () => {
  const users = runtime.filter((l) => /^USER\s/i.test(l));
  expect(users.at(-1)).toBe(`USER ${user}`);
  expect(user).toBe('1000:1000');
});

test.each(writablePaths)('%s (a default writable path) is owned by that user and declared a VOLUME, in that order', (dir) => {
  const chown = runtime.findIndex((l) => /^RUN\s/i.test(l) && l.includes(`mkdir -p ${dir}`) && l.includes(`chown ${user} ${dir}`));
  const volume = runtime.findIndex((l) => /^VOLUME\s/i.test(l) && (JSON.parse(l.replace(/^VOLUME\s+/i, '')) as string[]).includes(dir));
  expect([chown, volume].every((i) => i >= 0)).toBe(true);
  expect(chown).toBeLessThan(volume);
  // Docker discards what a build step changes in a declared volume: nothing may run after it.
  expect(runtime.slice(volume + 1).filter((l) => /^RUN\s/i.test(l))).toEqual([]);
});

test('the image declares no other volume and writes nothing at run time outside the writable paths', () => {
  const volumes = runtime.filter((l) => /^VOLUME\s/i.test(l)).flatMap((l) => JSON.parse(l.replace(/^VOLUME\s+/i, '')) as string[]);
  expect(volumes.sort()).toEqual([...writablePaths].sort());
  // The command and the health check only run node on the bundled file: no npm (its cache), no files.
  expect(runtime.find((l) => /^CMD\s/i.test(l))).toBe('CMD ["node", "server.js"]');
  expect(runtime.filter((l) => /\bnpm\b|\bnpx\b/.test(l))).toEqual([]);
});
