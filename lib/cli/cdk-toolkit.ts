/**
 * The real Toolkit: `npx cdk deploy <selector> --exclusively --require-approval never
 * --parameters <stack>:<key>=<value>...`, run from the project root. `cdk deploy` keeps the
 * previous value of every parameter it is not given (`--previous-parameters` defaults to true).
 * The parameter prefix is the CloudFormation stack name, which is how the toolkit matches it.
 *
 * The toolkit runs in its own process group, so Ctrl-C reaches this CLI only: a CloudFormation
 * update cannot be stopped half-way anyway (it completes or rolls back as a whole), so the first
 * Ctrl-C keeps waiting for it and says so; a second one stops watching.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { Toolkit, ToolkitDeployRequest } from './context';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

export function cdkDeployArguments(request: ToolkitDeployRequest): string[] {
  return [
    'cdk',
    'deploy',
    request.selector,
    '--exclusively',
    '--require-approval',
    'never',
    '--progress',
    'events',
    ...Object.entries(request.parameters).flatMap(([key, value]) => ['--parameters', `${request.stackName}:${key}=${value}`]),
  ];
}

export class CdkCliToolkit implements Toolkit {
  constructor(private readonly notify: (line: string) => void) {}

  deploy(request: ToolkitDeployRequest, signal: AbortSignal): Promise<number> {
    // stdout of the toolkit goes to our stderr, so `--json` keeps stdout for the result alone.
    const child = spawn('npx', cdkDeployArguments(request), { cwd: PROJECT_ROOT, stdio: ['ignore', 2, 2], detached: true });
    let stopWatching: (() => void) | undefined;
    const onAbort = () => {
      this.notify(
        'Ctrl-C: CloudFormation cannot stop an update half-way; it completes or rolls back as a whole. Waiting for it so the result and the events are reported. Press Ctrl-C again to stop watching (the update goes on).',
      );
      stopWatching = () => child.kill('SIGINT');
      process.once('SIGINT', stopWatching);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code, killedBy) => {
        signal.removeEventListener('abort', onAbort);
        if (stopWatching) process.removeListener('SIGINT', stopWatching);
        resolve(code ?? (killedBy ? 130 : 1));
      });
    });
  }
}
