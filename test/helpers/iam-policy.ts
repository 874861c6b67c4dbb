/**
 * A small model of IAM policy evaluation over synthesized CloudFormation, for the wiring-rule
 * tests: it renders the intrinsic functions a policy uses into comparable strings and decides
 * whether a statement list allows a request. It implements only what the templates use and throws
 * on anything else, so an unmodelled construct can never pass silently.
 *
 * Evaluation follows the IAM policy evaluation logic: an explicit Deny wins, then any Allow, else
 * implicit deny (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
 * A condition whose key the request does not carry is false, unless the operator ends in
 * `IfExists` (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
 */

export type Json = Record<string, unknown>;

/** The pseudo parameters every test renders with. */
export const PSEUDO = { partition: 'aws', region: 'eu-west-1', account: '123456789012' } as const;

/**
 * Renders a CloudFormation value to a string: pseudo parameters to {@link PSEUDO}, `Ref X` to
 * `ref:X`, `Fn::GetAtt [X, Attr]` to `att:X.Attr`, joins and simple subs to their text.
 */
export function render(value: unknown, stackName = 'Stack'): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error(`cannot render ${JSON.stringify(value)}`);
  const [fn, arg] = Object.entries(value as Json)[0] as [string, unknown];
  switch (fn) {
    case 'Ref':
      return pseudo(arg as string, stackName) ?? `ref:${arg as string}`;
    case 'Fn::GetAtt':
      return `att:${(arg as string[]).join('.')}`;
    case 'Fn::Join': {
      const [separator, parts] = arg as [string, unknown[]];
      return parts.map((p) => render(p, stackName)).join(separator);
    }
    case 'Fn::Sub':
      if (typeof arg !== 'string') throw new Error(`Fn::Sub with variables is not modelled: ${JSON.stringify(value)}`);
      return arg.replace(/\$\{([^}]+)\}/g, (_, name: string) => pseudo(name, stackName) ?? `ref:${name}`);
    default:
      throw new Error(`${fn} is not modelled: ${JSON.stringify(value)}`);
  }
}

function pseudo(name: string, stackName: string): string | undefined {
  switch (name) {
    case 'AWS::Partition':
      return PSEUDO.partition;
    case 'AWS::Region':
      return PSEUDO.region;
    case 'AWS::AccountId':
      return PSEUDO.account;
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::StackName':
      return stackName;
    default:
      return undefined;
  }
}

export const ACCOUNT_ROOT = `arn:${PSEUDO.partition}:iam::${PSEUDO.account}:root`;

/** Who makes the request: an AWS service principal, or an IAM identity of this account (a role). */
export type Caller = { readonly service: string } | { readonly roleArn: string };

export interface AccessRequest {
  readonly caller: Caller;
  readonly action: string;
  readonly resource: string;
  /** The condition keys the request carries, e.g. `aws:SourceArn`. */
  readonly context: Readonly<Record<string, string>>;
}

export type Decision = 'allow' | 'deny' | 'implicit-deny';

/**
 * Decides a request against the statements of one policy. `resourcePolicy` statements must name
 * a principal; identity-policy statements (a role's) name none and apply to their role.
 */
export function decide(statements: readonly Json[], request: AccessRequest, resourcePolicy: boolean): Decision {
  const applying = statements.filter((s) => applies(s, request, resourcePolicy));
  if (applying.some((s) => s.Effect === 'Deny')) return 'deny';
  return applying.some((s) => s.Effect === 'Allow') ? 'allow' : 'implicit-deny';
}

function applies(statement: Json, request: AccessRequest, resourcePolicy: boolean): boolean {
  for (const unmodelled of ['NotAction', 'NotResource', 'NotPrincipal']) {
    if (unmodelled in statement) throw new Error(`${unmodelled} is not modelled: ${JSON.stringify(statement)}`);
  }
  if (resourcePolicy && !principalMatches(statement.Principal, request.caller)) return false;
  if (!resourcePolicy && statement.Principal !== undefined) throw new Error('an identity policy statement names a principal');
  const actions = list(statement.Action).map((a) => render(a));
  if (!actions.some((a) => wildcard(a, true).test(request.action))) return false;
  const resources = list(statement.Resource).map((r) => render(r));
  if (!resources.some((r) => wildcard(r, false).test(request.resource))) return false;
  return conditionsHold((statement.Condition ?? {}) as Json, request.context);
}

function principalMatches(principal: unknown, caller: Caller): boolean {
  if (principal === '*') return true;
  if (!principal || typeof principal !== 'object') return false;
  const p = principal as Json;
  if (list(p.AWS).some((a) => a === '*')) return true;
  if ('service' in caller) return list(p.Service).some((s) => render(s) === caller.service);
  // An account principal delegates to the account's IAM policies; a role ARN names the role.
  return list(p.AWS).some((a) => {
    const arn = render(a);
    return arn === ACCOUNT_ROOT || arn === PSEUDO.account || arn === caller.roleArn;
  });
}

function conditionsHold(condition: Json, context: Readonly<Record<string, string>>): boolean {
  const lowerContext = Object.fromEntries(Object.entries(context).map(([k, v]) => [k.toLowerCase(), v]));
  return Object.entries(condition).every(([operator, entries]) =>
    Object.entries(entries as Json).every(([key, expected]) => {
      const ifExists = operator.endsWith('IfExists');
      const op = ifExists ? operator.slice(0, -'IfExists'.length) : operator;
      const actual = lowerContext[key.toLowerCase()];
      const negated = op === 'StringNotEquals' || op === 'ArnNotEquals' || op === 'ArnNotLike' || op === 'StringNotLike';
      if (actual === undefined) return ifExists || negated;
      const values = list(expected).map((e) => render(e));
      const any = (test: (v: string) => boolean) => values.some(test);
      switch (op) {
        case 'StringEquals':
        case 'ArnEquals':
          return any((v) => v === actual);
        case 'StringNotEquals':
        case 'ArnNotEquals':
          return !any((v) => v === actual);
        case 'StringLike':
        case 'ArnLike':
          return any((v) => wildcard(v, false).test(actual));
        case 'StringNotLike':
        case 'ArnNotLike':
          return !any((v) => wildcard(v, false).test(actual));
        case 'Bool':
          return any((v) => v.toLowerCase() === actual.toLowerCase());
        default:
          throw new Error(`condition operator ${operator} is not modelled`);
      }
    }),
  );
}

function list(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** IAM wildcards: `*` any run of characters, `?` one character. */
function wildcard(pattern: string, ignoreCase: boolean): RegExp {
  const body = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, ignoreCase ? 'i' : '');
}
