/**
 * Reading the live ALB weights of the traffic rule, for the rollback Lambda and the operator CLI.
 * The rule's forward action carries both target groups; a group the rule does not name gets 0.
 */
import { DescribeRulesCommand, type ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { SlotName } from './environment-names';
import type { CallWrapper } from './flag-deployments';
import type { TrafficWeights } from './traffic-weights';

export async function readLiveWeights(
  client: ElasticLoadBalancingV2Client,
  ruleArn: string,
  targetGroupArns: Readonly<Record<SlotName, string>>,
  call: CallWrapper = (_what, fn) => fn(),
): Promise<TrafficWeights> {
  const rules = await call('DescribeRules', () => client.send(new DescribeRulesCommand({ RuleArns: [ruleArn] })));
  const groups = rules.Rules?.[0]?.Actions?.find((a) => a.Type === 'forward')?.ForwardConfig?.TargetGroups ?? [];
  const weightOf = (arn: string) => groups.find((g) => g.TargetGroupArn === arn)?.Weight ?? 0;
  return { stable: weightOf(targetGroupArns.stable), canary: weightOf(targetGroupArns.canary) };
}
