import type { App } from 'aws-cdk-lib';
import type { RolloutConfig } from './config/schema';
import { McpRolloutStage } from './mcp-rollout-stage';
import { ENVIRONMENT_NAMES, STAGE_IDS, type EnvironmentName } from './shared/environment-names';

export interface RolloutApp {
  readonly stages: Readonly<Record<EnvironmentName, McpRolloutStage>>;
}

/** Creates every stage of the app. `bin/app.ts` and the tests both call this, so tests check the real wiring. */
export function createRolloutApp(app: App, config: RolloutConfig): RolloutApp {
  const stages = Object.fromEntries(
    ENVIRONMENT_NAMES.map((name) => [
      name,
      new McpRolloutStage(app, STAGE_IDS[name], { config: config.environments[name] }),
    ]),
  ) as Record<EnvironmentName, McpRolloutStage>;
  return { stages };
}
