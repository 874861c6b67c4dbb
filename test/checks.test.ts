import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { createRolloutApp } from '../lib/app';
import { ENVIRONMENT_NAMES } from '../lib/shared/environment-names';
import { cdkJsonContext } from './helpers/app';
import { testConfig } from './helpers/config';

interface ValidationReport {
  readonly pluginReports: readonly { readonly summary: { readonly pluginName: string }; readonly violations: readonly unknown[] }[];
}

function readReport(directory: string): ValidationReport {
  return JSON.parse(readFileSync(path.join(directory, 'validation-report.json'), 'utf8')) as ValidationReport;
}

/**
 * The real app with cdk-nag AwsSolutions added to every stack, synthesized once. Production has
 * every optional resource (subscriptions, the Slack channel) so they are checked too.
 */
function synthesizeWithNag() {
  const app = new App({ context: cdkJsonContext() });
  const config = testConfig({
    environments: {
      production: {
        notifications: {
          critical: { emails: ['oncall@example.com'], httpsUrls: ['https://pager.example.com/hook'] },
          slack: { workspaceId: 'T0123ABCD', channelId: 'C0456EFGH' },
        },
      },
    },
  });
  const rollout = createRolloutApp(app, config);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { rollout, assembly: app.synth() };
}

describe('cdk-nag AwsSolutions and CloudFormation validation', () => {
  const { rollout, assembly } = synthesizeWithNag();

  test('every stack of every stage is checked and none has a finding', () => {
    // The report lists a plugin only when it has findings; the negative controls below show it does.
    expect(readReport(assembly.directory).pluginReports).toEqual([]);
    const stacks = ENVIRONMENT_NAMES.flatMap((name) => rollout.stages[name].node.children.filter(Stack.isStack));
    expect(stacks.map((s) => s.stackName).sort()).toEqual(['Production-Rollout', 'Production-Service', 'Production-State', 'Staging-Rollout', 'Staging-Service', 'Staging-State']);
  });

  test('strict CloudFormation validation is on, as in cdk.json', () => {
    expect(cdkJsonContext()['@aws-cdk/core:validateAgainstDefaultRules']).toBe(true);
  });
});

describe('negative controls: the checks do catch problems', () => {
  test('cdk-nag fails synth on an unacknowledged finding and names the rule', () => {
    const app = new App({ context: cdkJsonContext() });
    const stack = new Stack(app, 'Bad');
    new s3.Bucket(stack, 'Plain');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-S10/);
  });

  test('CloudFormation validation fails synth on a schema error', () => {
    const app = new App({ context: cdkJsonContext() });
    const stack = new Stack(app, 'Bad');
    new CfnResource(stack, 'Rule', {
      type: 'AWS::ElasticLoadBalancingV2::ListenerRule',
      properties: { Priority: 'first', Actions: [], Conditions: [] },
    });
    expect(() => app.synth()).toThrow(/Priority: 'first' is not of type 'integer' \(CloudFormation Validate\)/);
  });
});
