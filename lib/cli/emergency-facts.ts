/**
 * The facts of docs/RUNBOOK.md's emergency box, generated from the config and the names module so
 * the box cannot drift from them: per environment, the AWS profile, account and region, the
 * rollback function, the latch, and the exact `aws lambda invoke` that rolls back without a clone.
 * test/runbook-emergency.test.ts fails when the RUNBOOK differs, and prints the block to paste.
 */
import type { RolloutConfig } from '../config/schema';
import { ENVIRONMENT_NAMES, type EnvironmentName } from '../shared/environment-names';
import { latchParameterName, rollbackFunctionName } from '../shared/names';
import type { ManualRollbackRequest } from '../shared/rollback-contract';
import { serviceStackName } from '../shared/stack-contract';

export const EMERGENCY_BLOCK_START = '<!-- emergency-facts: generated from lib/config/environments.ts by lib/cli/emergency-facts.ts; test/runbook-emergency.test.ts keeps it in sync -->';
export const EMERGENCY_BLOCK_END = '<!-- /emergency-facts -->';

/** The manual request of the fallback, with words for the person to replace. */
export const FALLBACK_REQUEST: ManualRollbackRequest = { action: 'rollback', reason: 'WHAT YOU SAW', requestedBy: 'YOUR NAME' };

/** `--profile X --region Y` as far as the config sets them; the rest comes from AWS_PROFILE / AWS_REGION. */
function awsCliTarget(config: RolloutConfig, environment: EnvironmentName): string {
  const { profile, region } = config.environments[environment];
  return `${profile ? ` --profile ${profile}` : ''}${region ? ` --region ${region}` : ''}`;
}

export function fallbackInvoke(config: RolloutConfig, environment: EnvironmentName): string {
  return `aws lambda invoke --function-name ${rollbackFunctionName(environment)} --cli-binary-format raw-in-base64-out --payload '${JSON.stringify(FALLBACK_REQUEST)}'${awsCliTarget(config, environment)} rollback-result.json && cat rollback-result.json`;
}

function latchRead(config: RolloutConfig, environment: EnvironmentName): string {
  return `aws ssm get-parameter --name ${latchParameterName(environment)} --query Parameter.Value --output text${awsCliTarget(config, environment)}`;
}

/** The generated block, line by line. */
export function emergencyFacts(config: RolloutConfig): string[] {
  const unset = {
    profile: 'not set: `--profile`, else `AWS_PROFILE`, else your default profile',
    account: 'not set: the account your profile signs in to (`aws sts get-caller-identity`)',
    region: 'not set: `AWS_REGION`, else your profile\'s region (`aws configure get region`)',
  };
  const rows = ENVIRONMENT_NAMES.map((env) => {
    const c = config.environments[env];
    return `| ${env} | ${c.profile ? `\`${c.profile}\`` : unset.profile} | ${c.account ?? unset.account} | ${c.region ?? unset.region} | \`${rollbackFunctionName(env)}\` | \`${latchParameterName(env)}\` | \`${serviceStackName(env)}\` |`;
  });
  return [
    EMERGENCY_BLOCK_START,
    '',
    '| environment | AWS profile | account | region | rollback function | latch parameter | stack |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'Without a clone (AWS CLI v2; replace WHAT YOU SAW and YOUR NAME, keep the quotes):',
    '',
    '```bash',
    ...ENVIRONMENT_NAMES.flatMap((env) => [`# ${env}: roll back`, fallbackInvoke(config, env), `# ${env}: is a rollback in force? ("clear" means no)`, latchRead(config, env)]),
    '```',
    '',
    EMERGENCY_BLOCK_END,
  ];
}
