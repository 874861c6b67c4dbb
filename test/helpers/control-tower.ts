import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Validations, type IPolicyValidationContext, type IPolicyValidationPlugin, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import type { RolloutApp } from '../../lib/app';
import { CONTROL_TOWER_EXEMPTIONS, type ControlTowerExemption } from '../../lib/compliance/control-tower-exemptions';
import { ENVIRONMENT_NAMES } from '../../lib/shared/environment-names';

/** The Control Tower rules the plugin bundles, one `ct-<service>-pr-<n>.guard` file per control. */
export const CONTROL_TOWER_RULES_DIR = path.join(
  path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json')),
  'rules',
  'control-tower',
  'cfn-guard',
);

/** The cfn-guard binary inside the plugin's npm package (no download at install), picked as the plugin picks it. */
export const CFN_GUARD_BINARY = path.join(
  path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json')),
  'bin',
  process.platform === 'darwin' ? 'macos' : 'ubuntu',
  process.arch === 'arm64' ? 'aarch64' : 'x86_64',
  'cfn-guard',
);

/** The name the plugin reports findings under. */
export const PLUGIN_NAME = 'cdk-validator-cfnguard';

export interface GuardRule {
  /** The rule file's path. */
  readonly file: string;
  /** The file's name without `.guard`: what the plugin's `disabledRules` takes. */
  readonly id: string;
  /** The guard rule's name: what the plugin reports as a finding's rule name. */
  readonly name: string;
}

/**
 * The bundled rule of a control, read from the rule file itself (the file states the control id in
 * its messages and names the rule), so no rule name is typed by hand here.
 */
export function guardRuleOf(control: string): GuardRule {
  const id = control.toLowerCase().replace(/\./g, '-');
  for (const service of readdirSync(CONTROL_TOWER_RULES_DIR)) {
    const file = path.join(CONTROL_TOWER_RULES_DIR, service, `${id}.guard`);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    if (!text.includes(`[${control}]`)) throw new Error(`${file} does not implement ${control}`);
    const name = /^rule (\w+) when/m.exec(text)?.[1];
    if (!name) throw new Error(`no primary rule in ${file}`);
    return { file, id, name };
  }
  throw new Error(`no bundled Control Tower rule for ${control}`);
}

/** The acknowledgement id of a control's findings, as CDK matches it against the plugin's report. */
export function acknowledgementId(control: string): string {
  return `${PLUGIN_NAME}::${guardRuleOf(control).name}`;
}

/**
 * The plugin, with every finding marked as an error. The plugin leaves `severity` unset; CDK
 * re-judges a report once any finding is acknowledged, and counts only findings marked as errors,
 * so without this a run with one acknowledgement passes synth whatever else it finds.
 */
export class ControlTowerChecks implements IPolicyValidationPlugin {
  readonly name = PLUGIN_NAME;
  readonly version?: string;
  readonly ruleIds?: string[];
  private readonly validator: CfnGuardValidator;

  constructor(disabledRules: readonly string[] = []) {
    this.validator = new CfnGuardValidator({ disabledRules: [...disabledRules] });
    this.version = this.validator.version;
    this.ruleIds = this.validator.ruleIds;
  }

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const report = this.validator.validate(context);
    return {
      success: report.success,
      violations: report.violations.map((v) => ({ ...v, severity: v.severity ?? 'error' })),
    };
  }
}

/**
 * Adds the Control Tower rules to every stage of the app, the way test/checks.test.ts adds
 * cdk-nag: each exemption is acknowledged on exactly its resources (or, where the plugin cannot
 * report the rule, the rule is off for the stages it covers), so any other finding fails synth.
 * Stages that switch off the same rules share one cfn-guard run (it reads every rule file each run).
 */
export function addControlTowerChecks(rollout: RolloutApp, exemptions: readonly ControlTowerExemption[] = CONTROL_TOWER_EXEMPTIONS): void {
  const disabledByStage = ENVIRONMENT_NAMES.map((name) => {
    const stage = rollout.stages[name];
    const disabledRules: string[] = [];
    for (const exemption of exemptions) {
      const resources = exemption.resources(stage);
      if (resources.length === 0) continue;
      if (exemption.pluginCannotReport) {
        disabledRules.push(guardRuleOf(exemption.control).id);
        continue;
      }
      const id = acknowledgementId(exemption.control);
      for (const resource of resources) Validations.of(resource).acknowledge({ id, reason: `${exemption.control}: ${exemption.reason}` });
    }
    return { stage, disabledRules: disabledRules.sort() };
  });
  const [first] = disabledByStage;
  if (first && disabledByStage.every((s) => s.disabledRules.join() === first.disabledRules.join())) {
    Validations.of(first.stage.node.root).addPlugins(new ControlTowerChecks(first.disabledRules));
    return;
  }
  for (const { stage, disabledRules } of disabledByStage) Validations.of(stage).addPlugins(new ControlTowerChecks(disabledRules));
}
