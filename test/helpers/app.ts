import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, type AppProps } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { createRolloutApp, type RolloutApp } from '../../lib/app';
import type { RolloutConfig } from '../../lib/config/schema';
import { ENVIRONMENT_NAMES, type EnvironmentName } from '../../lib/shared/environment-names';
import { testConfig } from './config';

/** The context of cdk.json (feature flags, strict validation), so tests synthesize what `cdk synth` does. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

export interface SynthesizedApp {
  readonly app: App;
  readonly rollout: RolloutApp;
  /** The service stack template of each environment. */
  readonly service: Readonly<Record<EnvironmentName, Template>>;
}

/**
 * Builds the real app (the same `createRolloutApp` as bin/app.ts) and synthesizes it once.
 * Call it once per distinct configuration per test file and share the result.
 */
export function synthesize(config: RolloutConfig = testConfig(), appProps: AppProps = {}): SynthesizedApp {
  const app = new App({ ...appProps, context: { ...cdkJsonContext(), ...appProps.context } });
  const rollout = createRolloutApp(app, config);
  const service = Object.fromEntries(
    ENVIRONMENT_NAMES.map((name) => [name, Template.fromStack(rollout.stages[name].serviceStack)]),
  ) as Record<EnvironmentName, Template>;
  return { app, rollout, service };
}
