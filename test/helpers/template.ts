import { Stack, type CfnElement } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';

type Json = Record<string, unknown>;

/** The logical id CloudFormation sees for a construct (its default child when it is an L2). */
export function logicalIdOf(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(construct).getLogicalId(element);
}

export function resourceOf(template: Template, construct: IConstruct): Json {
  const resources = template.toJSON().Resources as Record<string, Json>;
  const resource = resources[logicalIdOf(construct)];
  if (!resource) throw new Error(`no resource ${logicalIdOf(construct)} in template`);
  return resource;
}

/** Does `fromId` depend on `toId`, directly or through other resources' DependsOn and references? */
export function dependsOn(template: Template, fromId: string, toId: string): boolean {
  const resources = template.toJSON().Resources as Record<string, Json>;
  const seen = new Set<string>();
  const stack = [fromId];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const dep of directDependencies(resources[id] ?? {}, resources)) {
      if (dep === toId) return true;
      stack.push(dep);
    }
  }
  return false;
}

function directDependencies(resource: Json, resources: Record<string, Json>): string[] {
  const explicit = ([] as string[]).concat((resource.DependsOn as string[] | string | undefined) ?? []);
  const refs: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'Ref' && typeof value === 'string' && value in resources) refs.push(value);
        else if (key === 'Fn::GetAtt' && Array.isArray(value) && String(value[0]) in resources) refs.push(String(value[0]));
        else walk(value);
      }
    }
  };
  walk(resource.Properties);
  return [...explicit, ...refs];
}

const NO_VALUE = Symbol('AWS::NoValue');

/**
 * Evaluates the intrinsic functions a weight, condition or policy uses (Ref to a parameter or a
 * pseudo parameter given in `parameters`, Fn::FindInMap, Fn::If with the template's conditions,
 * Fn::Equals, Fn::Not, Fn::Or, Fn::And, Fn::Join of plain values, AWS::NoValue) for the given
 * parameter values, the way CloudFormation would at deploy time.
 */
export function evaluate(template: Template, expression: unknown, parameters: Record<string, string>): unknown {
  const json = template.toJSON() as Json;
  const mappings = (json.Mappings ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
  const conditions = (json.Conditions ?? {}) as Record<string, unknown>;
  const ev = (node: unknown): unknown => {
    // AWS::NoValue removes the list element or property it is the value of.
    if (Array.isArray(node)) return node.map(ev).filter((v) => v !== NO_VALUE);
    if (!node || typeof node !== 'object') return node;
    const [key, value] = Object.entries(node)[0] as [string, unknown];
    switch (key) {
      case 'Ref': {
        const name = value as string;
        if (name === 'AWS::NoValue') return NO_VALUE;
        if (!(name in parameters)) throw new Error(`no value given for parameter ${name}`);
        return parameters[name];
      }
      case 'Fn::FindInMap': {
        const [map, k1, k2] = (value as unknown[]).map(ev) as string[];
        const found = mappings[map as string]?.[k1 as string]?.[k2 as string];
        if (found === undefined) throw new Error(`Fn::FindInMap: no ${map}.${k1}.${k2}`);
        return found;
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = value as [string, unknown, unknown];
        return ev(conditions[condition]) ? ev(whenTrue) : ev(whenFalse);
      }
      case 'Fn::Equals': {
        const [a, b] = (value as unknown[]).map(ev);
        return String(a) === String(b);
      }
      case 'Fn::Not':
        return !ev((value as unknown[])[0]);
      case 'Fn::Or':
        return (value as unknown[]).some((c) => ev(c) === true);
      case 'Fn::And':
        return (value as unknown[]).every((c) => ev(c) === true);
      case 'Fn::Join': {
        const [separator, parts] = value as [string, unknown[]];
        const evaluated = parts.map(ev);
        const plain = evaluated.every((p) => typeof p === 'string' || typeof p === 'number');
        return plain ? evaluated.join(separator) : { 'Fn::Join': [separator, evaluated] };
      }
      case 'Condition':
        return ev(conditions[value as string]);
      default:
        return Object.fromEntries(
          Object.entries(node)
            .map(([k, v]) => [k, ev(v)] as const)
            .filter(([, v]) => v !== NO_VALUE),
        );
    }
  };
  return ev(expression);
}
