/**
 * `deploy --template`: the local template against the deployed one. The deployed template comes
 * from CloudFormation GetTemplate (stage `Original`, what was submitted:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_GetTemplate.html), the
 * local one from the CDK toolkit's synth of the operator's clone. Differences are listed per
 * template entry, with the ones that touch permissions marked, and the local template is named
 * by a digest: `--approve-template <digest>` applies exactly the template that was reviewed, not
 * whatever the clone holds by the time the command runs again.
 */
import { createHash } from 'node:crypto';
import { GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import type { CommandContext } from './context';
import { CliError } from './errors';
import { aws } from './live-state';

type Json = Record<string, unknown>;

export interface TemplateDifference {
  /** The template section: Resources, Parameters, Outputs, Conditions, Mappings, Rules... */
  readonly section: string;
  readonly id: string;
  readonly change: 'added' | 'removed' | 'modified';
  /** The resource type, for resources. */
  readonly type?: string;
  /** Property paths that differ, for a modified entry (at most a few). */
  readonly paths: readonly string[];
  /** IAM, a resource policy or network access: what a stale clone must never change silently. */
  readonly security: boolean;
}

/** Resource types whose change alters who may do what, or who may connect. */
const SECURITY_TYPES = /^AWS::IAM::|::(\w+)?Policy$|^AWS::Lambda::Permission$|^AWS::KMS::Key$|^AWS::EC2::SecurityGroup(Ingress|Egress)?$/;
const SECURITY_PROPERTIES = /(Policy|Policies|PolicyDocument|ManagedPolicyArns|Role|RoleArn|Principal|SecurityGroup)/;

/** The local template's identity: sha256 of its canonical JSON, 12 hex digits. */
export function templateDigest(template: unknown): string {
  return createHash('sha256').update(canonical(template)).digest('hex').slice(0, 12);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as Json).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Json)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Every entry that differs between the deployed and the local template, in template order. */
export function templateDifferences(deployed: Json, local: Json): TemplateDifference[] {
  const differences: TemplateDifference[] = [];
  const sections = [...new Set([...Object.keys(deployed), ...Object.keys(local)])];
  for (const section of sections) {
    const before = deployed[section];
    const after = local[section];
    const isMap = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
    if (!isMap(before) || !isMap(after)) {
      if (canonical(before) !== canonical(after)) {
        differences.push({ section, id: section, change: before === undefined ? 'added' : after === undefined ? 'removed' : 'modified', paths: [], security: false });
      }
      continue;
    }
    for (const id of [...new Set([...Object.keys(before), ...Object.keys(after)])]) {
      const b = before[id];
      const a = after[id];
      if (canonical(b) === canonical(a)) continue;
      const type = section === 'Resources' ? String(((a ?? b) as Json | undefined)?.Type ?? '') : undefined;
      const change = b === undefined ? 'added' : a === undefined ? 'removed' : 'modified';
      const paths = change === 'modified' ? changedPaths(b, a, '') : [];
      const security = type !== undefined && (SECURITY_TYPES.test(type) || paths.some((p) => SECURITY_PROPERTIES.test(p)));
      differences.push({ section, id, change, ...(type ? { type } : {}), paths: paths.slice(0, 5), security });
    }
  }
  return differences;
}

function changedPaths(before: unknown, after: unknown, at: string): string[] {
  const isMap = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isMap(before) || !isMap(after)) return canonical(before) === canonical(after) ? [] : [at || '(whole)'];
  const paths: string[] = [];
  for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])]) {
    const here = at ? `${at}.${key}` : key;
    // Below Properties.X the path says enough: a policy document's insides are listed as one path.
    if (here.split('.').length >= 2) {
      if (canonical(before[key]) !== canonical(after[key])) paths.push(here);
    } else {
      paths.push(...changedPaths(before[key], after[key], here));
    }
  }
  return paths;
}

/** One line per difference: `+ Resources Queue (AWS::SQS::Queue)`, `~ Resources TaskRole (AWS::IAM::Role) [security] Properties.Policies`. */
export function describeDifferences(differences: readonly TemplateDifference[]): string[] {
  const mark = { added: '+', removed: '-', modified: '~' } as const;
  return differences.map(
    (d) => `  ${mark[d.change]} ${d.section} ${d.id}${d.type ? ` (${d.type})` : ''}${d.security ? ' [security]' : ''}${d.paths.length > 0 ? ` ${d.paths.join(', ')}` : ''}`,
  );
}

/** The template CloudFormation holds for the stack, as submitted. */
export async function readDeployedTemplate(ctx: CommandContext, stackName: string): Promise<Json> {
  const result = await aws(`reading the deployed template of ${stackName} (cloudformation:GetTemplate)`, () =>
    ctx.clients.cloudformation.send(new GetTemplateCommand({ StackName: stackName, TemplateStage: 'Original' })),
  );
  try {
    return JSON.parse(result.TemplateBody ?? '') as Json;
  } catch {
    throw new CliError(
      `the deployed template of ${stackName} is not JSON (was it deployed by something other than the CDK?)`,
      `Compare it by hand: aws cloudformation get-template --stack-name ${stackName}; deploy without --template to change only the parameters.`,
    );
  }
}
