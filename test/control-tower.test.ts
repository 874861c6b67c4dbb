import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { createRolloutApp } from '../lib/app';
import { CONTROL_TOWER_EXEMPTIONS } from '../lib/compliance/control-tower-exemptions';
import type { McpRolloutStage } from '../lib/mcp-rollout-stage';
import { ENVIRONMENT_NAMES } from '../lib/shared/environment-names';
import { cdkJsonContext } from './helpers/app';
import { testConfig } from './helpers/config';
import { addControlTowerChecks, CFN_GUARD_BINARY, ControlTowerChecks, guardRuleOf, PLUGIN_NAME } from './helpers/control-tower';
import { logicalIdOf } from './helpers/template';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- report and template JSON are untyped

interface Violation {
  readonly ruleName: string;
  readonly description: string;
  readonly violatingConstructs: readonly { readonly constructPath: string }[];
}

interface PluginReport {
  readonly pluginName: string;
  readonly violations: readonly Violation[];
  readonly suppressedViolations?: readonly (Violation & { readonly acknowledgedAt: string })[];
}

function readReport(directory: string): readonly PluginReport[] {
  const report = JSON.parse(readFileSync(path.join(directory, 'validation-report.json'), 'utf8')) as { pluginReports: PluginReport[] };
  return report.pluginReports.filter((r) => r.pluginName === PLUGIN_NAME);
}

/** `[CT.S3.PR.11]: Require ...` -> `CT.S3.PR.11` */
const controlOf = (v: Violation) => /^\[([A-Z0-9.]+)\]/.exec(v.description)?.[1];

/** Every (control, construct path) pair a report lists. */
const findings = (violations: readonly Violation[]) =>
  violations.flatMap((v) => v.violatingConstructs.map((c) => `${controlOf(v)} ${c.constructPath}`)).sort();

const ACM_ARN = 'arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789';

// Production with every optional resource (subscriptions, the Slack channel), as the cdk-nag test.
const withEverything = {
  production: {
    notifications: {
      critical: { emails: ['oncall@example.com'], httpsUrls: ['https://pager.example.com/hook'] },
      slack: { workspaceId: 'T0123ABCD', channelId: 'C0456EFGH' },
    },
  },
};

/** The real app with the Control Tower rules on every stage, synthesized once. */
function synthesizeWithControlTower() {
  const app = new App({ context: cdkJsonContext() });
  const rollout = createRolloutApp(app, testConfig({ environments: withEverything }));
  addControlTowerChecks(rollout);
  let error: unknown;
  try {
    app.synth();
  } catch (e) {
    error = e;
  }
  return { rollout, error, reports: readReport(app.outdir), directory: app.outdir };
}

describe('AWS Control Tower proactive controls (the cfn-guard rules of @cdklabs/cdk-validator-cfnguard)', () => {
  const { rollout, error, reports, directory } = synthesizeWithControlTower();

  test('every stack of both stages passes every control but the listed exemptions', () => {
    expect(findings(reports.flatMap((r) => r.violations))).toEqual([]);
    expect(error).toBeUndefined();
    // Both stages turn off the same rule, so one run covers all four stacks.
    expect(reports).toHaveLength(1);
    const suppressedIn = new Set(reports.flatMap((r) => r.suppressedViolations ?? []).map((v) => v.violatingConstructs[0]!.constructPath.split('/')[0]));
    expect([...suppressedIn].sort()).toEqual(['Production', 'Staging']);
    const stacks = ENVIRONMENT_NAMES.flatMap((name) => rollout.stages[name].node.children.filter(Stack.isStack));
    expect(stacks.map((s) => s.stackName).sort()).toEqual(['Production-Rollout', 'Production-Service', 'Production-State', 'Staging-Rollout', 'Staging-Service', 'Staging-State']);
  });

  test('each acknowledged exemption covers a real finding on each of its resources (none is stale)', () => {
    const suppressed = reports.flatMap((r) => r.suppressedViolations ?? []);
    const covered = (stage: McpRolloutStage) =>
      CONTROL_TOWER_EXEMPTIONS.filter((e) => !e.pluginCannotReport).flatMap((e) =>
        e.resources(stage).map((resource) => ({ control: e.control, rule: guardRuleOf(e.control).name, at: resource.node.path })),
      );
    const expected = ENVIRONMENT_NAMES.flatMap((name) => covered(rollout.stages[name]));
    expect(expected.length).toBeGreaterThan(0);
    for (const { control, rule, at } of expected) {
      const hits = suppressed.filter((s) => s.ruleName === rule && s.acknowledgedAt === at && controlOf(s) === control);
      expect({ control, at, hits: hits.length > 0 }).toEqual({ control, at, hits: true });
    }
    // And nothing was suppressed that the list does not name.
    expect(suppressed.every((s) => expected.some((e) => e.rule === s.ruleName && e.at === s.acknowledgedAt))).toBe(true);
  });

  test('the exemptions that apply depend on each environment\'s config, not on its name', () => {
    const controls = (name: (typeof ENVIRONMENT_NAMES)[number]) =>
      CONTROL_TOWER_EXEMPTIONS.filter((e) => e.resources(rollout.stages[name]).length > 0).map((e) => e.control).sort();
    // Staging keeps logs 30 days and has no deletion protection; production keeps logs a year and has it.
    expect(controls('staging')).toEqual([
      'CT.CLOUDWATCH.PR.2',
      'CT.ELASTICLOADBALANCING.PR.2',
      'CT.ELASTICLOADBALANCING.PR.5',
      'CT.LAMBDA.PR.3',
      'CT.S3.PR.10',
      'CT.S3.PR.2',
      'CT.S3.PR.4',
      'CT.S3.PR.9',
    ]);
    expect(controls('production')).toEqual(['CT.ELASTICLOADBALANCING.PR.2', 'CT.LAMBDA.PR.3', 'CT.S3.PR.10', 'CT.S3.PR.2', 'CT.S3.PR.4', 'CT.S3.PR.9']);
  });

  test('ELB.PR.2 fails only on the certificate ARN CloudFormation resolves from SSM at deploy time', () => {
    // The plugin cannot parse this rule's result, so the rule is run with the binary directly.
    const stack = rollout.stages.staging.serviceStack;
    const templatePath = path.join(directory, rollout.stages.staging.artifactId, stack.templateFile);
    const template = JSON.parse(readFileSync(templatePath, 'utf8')) as Json;
    const run = (file: string) => {
      try {
        execFileSync(CFN_GUARD_BINARY, ['validate', '--rules', guardRuleOf('CT.ELASTICLOADBALANCING.PR.2').file, '--data', file, '--output-format', 'json', '--show-summary', 'none', '--structured']);
        return { status: 0, output: '' };
      } catch (e) {
        const failed = e as { status: number; stdout: Buffer };
        return { status: failed.status, output: failed.stdout.toString() };
      }
    };
    const result = run(templatePath);
    expect(result.status).not.toBe(0); // cfn-guard exits non-zero on a failing rule
    const paths = [...result.output.matchAll(/"path":\s*"(\/Resources\/[^"]+)"/g)].map((m) => m[1]!);
    const listener = logicalIdOf(stack.service.listener);
    const certificatePath = `/Resources/${listener}/Properties/Certificates/0/CertificateArn`;
    expect(paths.length).toBeGreaterThan(0);
    expect(paths.filter((p) => p !== certificatePath && p !== `${certificatePath}/Ref`)).toEqual([]);
    const reference = template.Resources[listener].Properties.Certificates[0].CertificateArn.Ref as string;
    expect(template.Parameters[reference]).toMatchObject({
      Type: 'AWS::SSM::Parameter::Value<String>',
      Default: '/mcp-rollout/staging/certificate-arn',
    });

    // The same template with the ACM ARN that tls.certificateArn would put there passes the rule.
    const certificateArn = testConfig({
      environments: { staging: { tls: { certificateArn: ACM_ARN, certificateArnParameter: undefined } } },
    }).environments.staging.tls.certificateArn;
    template.Resources[listener].Properties.Certificates[0].CertificateArn = certificateArn;
    const literal = path.join(mkdtempSync(path.join(tmpdir(), 'elb-pr-2-')), 'template.json');
    writeFileSync(literal, JSON.stringify(template));
    expect(run(literal)).toEqual({ status: 0, output: '' });
  });
});

describe('negative controls: the Control Tower check fails on what it should', () => {
  test('a log group without a KMS key fails synth and names the control', () => {
    const app = new App({ context: cdkJsonContext() });
    const stack = new Stack(app, 'Bad');
    new logs.LogGroup(stack, 'Plain', { retention: logs.RetentionDays.ONE_YEAR });
    Validations.of(app).addPlugins(new ControlTowerChecks());
    expect(() => app.synth()).toThrow(/\[CT\.CLOUDWATCH\.PR\.3\][\s\S]*Bad\/Plain\/Resource/);
  });

  test('an acknowledgement covers only its own resource, and one acknowledged finding does not let another pass synth', () => {
    const app = new App({ context: cdkJsonContext() });
    const stack = new Stack(app, 'Bad');
    const covered = new s3.Bucket(stack, 'Covered');
    new s3.Bucket(stack, 'Uncovered');
    // Every control a plain bucket fails, acknowledged on one of two identical buckets.
    const plainBucketControls = ['CT.S3.PR.1', 'CT.S3.PR.10', 'CT.S3.PR.11', 'CT.S3.PR.2', 'CT.S3.PR.3', 'CT.S3.PR.4', 'CT.S3.PR.5', 'CT.S3.PR.6', 'CT.S3.PR.9'];
    for (const control of plainBucketControls) {
      Validations.of(covered).acknowledge({ id: `${PLUGIN_NAME}::${guardRuleOf(control).name}`, reason: 'test' });
    }
    Validations.of(app).addPlugins(new ControlTowerChecks());
    expect(() => app.synth()).toThrow(/\[CT\.S3\.PR\.11\][\s\S]*Bad\/Uncovered\/Resource/);
    const [report] = readReport(app.outdir);
    expect(findings(report!.violations)).toEqual(plainBucketControls.map((c) => `${c} Bad/Uncovered/Resource`));
    expect(findings(report!.suppressedViolations ?? [])).toEqual(plainBucketControls.map((c) => `${c} Bad/Covered/Resource`));
  });
});

describe('the plugin installs from the npm registry alone', () => {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as Json;
  const plugin = JSON.parse(readFileSync(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json'), 'utf8')) as Json;

  test('is pinned to an exact version and runs no install script (the cfn-guard binary ships in the package)', () => {
    expect(pkg.devDependencies['@cdklabs/cdk-validator-cfnguard']).toBe(plugin.version);
    expect(plugin.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(Object.keys(plugin.scripts ?? {}).filter((s) => /^(pre|post)?install$/.test(s))).toEqual([]);
    expect(execFileSync(CFN_GUARD_BINARY, ['--version']).toString()).toMatch(/^cfn-guard 3\.\d+\.\d+/);
  });
});

test('every exemption names a bundled control and gives a reason', () => {
  for (const exemption of CONTROL_TOWER_EXEMPTIONS) {
    expect(guardRuleOf(exemption.control).name).toMatch(/^[a-z0-9_]+$/);
    expect(exemption.reason.length).toBeGreaterThan(40);
  }
  expect(new Set(CONTROL_TOWER_EXEMPTIONS.map((e) => e.control)).size).toBe(CONTROL_TOWER_EXEMPTIONS.length);
});
