/**
 * The named profiles of the shared AWS `config` and `credentials` files, so that a profile that
 * does not exist is reported as such instead of as a missing region or missing credentials.
 * The files are INI: `config` names a profile `[profile NAME]` (and `[default]`), `credentials`
 * names it `[NAME]`; AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE move them
 * (https://docs.aws.amazon.com/sdkref/latest/guide/file-format.html,
 * https://docs.aws.amazon.com/sdkref/latest/guide/file-location.html).
 */
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface AwsProfiles {
  /** Profile names, in the order the files list them. */
  readonly names: readonly string[];
  /** The files looked in. */
  readonly files: readonly string[];
}

export function readAwsProfiles(env: Readonly<Record<string, string | undefined>>): AwsProfiles {
  const home = os.homedir();
  const configFile = env.AWS_CONFIG_FILE ?? path.join(home, '.aws', 'config');
  const credentialsFile = env.AWS_SHARED_CREDENTIALS_FILE ?? path.join(home, '.aws', 'credentials');
  const names = [...sections(configFile, true), ...sections(credentialsFile, false)];
  return { names: [...new Set(names)], files: [...new Set([configFile, credentialsFile])] };
}

/** Section names that are profiles; `config` also holds `[sso-session x]` and `[services x]`, which are not. */
function sections(file: string, isConfig: boolean): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const names: string[] = [];
  for (const match of text.matchAll(/^\s*\[\s*([^\]]+?)\s*\]/gm)) {
    const section = match[1]!;
    if (!isConfig) names.push(section);
    else if (section === 'default') names.push(section);
    else if (/^profile\s+/.test(section)) names.push(section.replace(/^profile\s+/, ''));
  }
  return names;
}
