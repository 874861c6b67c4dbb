/** The CLI's version: the package's, read from package.json (`--version`). */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export const CLI_VERSION = (JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
