/**
 * The real Toolkit, for `deploy --template` only (parameter changes never use it: stack-update.ts):
 * - synth: `npx cdk synth <selector> --quiet --output <fresh temp dir>`, run from the project
 *   root, then the stack's template from the assembly's manifest;
 * - deploy: `npx cdk deploy --app <that assembly> <selector> --exclusively --require-approval
 *   never --parameters <stack>:<key>=<value>...`, so what CloudFormation gets is exactly the
 *   template the operator reviewed and approved by its digest. `cdk deploy` keeps the previous
 *   value of every parameter it is not given (`--previous-parameters` defaults to true).
 *
 * The toolkit runs in its own process group, so Ctrl-C reaches this CLI only: a CloudFormation
 * update cannot be stopped half-way anyway (it completes or rolls back as a whole), so the first
 * Ctrl-C keeps waiting for it and says so; a second one stops watching.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { SynthesizedStack, Toolkit, ToolkitDeployRequest, ToolkitSynthRequest } from './context';
import { CliError, Interrupted } from './errors';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

export function cdkDeployArguments(request: ToolkitDeployRequest): string[] {
  return [
    'cdk',
    'deploy',
    '--app',
    request.assemblyDir,
    request.selector,
    '--exclusively',
    '--require-approval',
    'never',
    '--progress',
    'events',
    ...Object.entries(request.parameters).flatMap(([key, value]) => ['--parameters', `${request.stackName}:${key}=${value}`]),
  ];
}

function cdkSynthArguments(request: ToolkitSynthRequest, outputDir: string): string[] {
  return ['cdk', 'synth', request.selector, '--quiet', '--output', outputDir];
}

interface ManifestArtifact {
  readonly type: string;
  readonly properties?: { readonly directoryName?: string; readonly templateFile?: string; readonly stackName?: string };
}

/** The template file of `stackName` in a cloud assembly, nested stage assemblies included. */
function findStackTemplate(assemblyDir: string, stackName: string): string | undefined {
  const manifest = JSON.parse(readFileSync(path.join(assemblyDir, 'manifest.json'), 'utf8')) as { artifacts?: Record<string, ManifestArtifact> };
  for (const artifact of Object.values(manifest.artifacts ?? {})) {
    if (artifact.type === 'aws:cloudformation:stack' && artifact.properties?.stackName === stackName && artifact.properties.templateFile) {
      return path.join(assemblyDir, artifact.properties.templateFile);
    }
    if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
      const nested = findStackTemplate(path.join(assemblyDir, artifact.properties.directoryName), stackName);
      if (nested) return nested;
    }
  }
  return undefined;
}

export class CdkCliToolkit implements Toolkit {
  constructor(private readonly notify: (line: string) => void) {}

  async synth(request: ToolkitSynthRequest, signal: AbortSignal): Promise<SynthesizedStack> {
    const assemblyDir = mkdtempSync(path.join(tmpdir(), 'mcp-rollout-synth-'));
    // A synth changes nothing: Ctrl-C ends it at once.
    const child = spawn('npx', cdkSynthArguments(request, assemblyDir), { cwd: PROJECT_ROOT, stdio: ['ignore', 2, 2], signal });
    const code = await new Promise<number>((resolve, reject) => {
      child.on('error', (error) => (signal.aborted ? reject(new Interrupted()) : reject(error)));
      child.on('exit', (exitCode) => resolve(exitCode ?? 1));
    });
    if (signal.aborted) throw new Interrupted();
    if (code !== 0) {
      throw new CliError(`npx cdk synth ${request.selector} failed (exit ${code}): the local app does not synthesize`, 'Read the toolkit output above and fix the clone, or deploy without --template to change only the parameters.');
    }
    const file = findStackTemplate(assemblyDir, request.stackName);
    if (!file) throw new CliError(`the synthesized assembly ${assemblyDir} has no stack ${request.stackName}`, 'Check the app in bin/app.ts; deploy without --template to change only the parameters.');
    return { template: JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>, assemblyDir };
  }

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
