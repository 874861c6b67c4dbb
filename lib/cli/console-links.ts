/**
 * Links to the environment's pages in the AWS console, for `status`: the three dashboards (names
 * from lib/shared/names.ts), the alarms, the Service stack, the rollback function, the ECS
 * services, the flags and the latch. The region and partition come from the stack's ARN, the
 * place the CLI really read, so a link never points at another region than the one shown.
 */
import { dashboardName, type DashboardCadence } from '../shared/names';
import type { EnvironmentName } from '../shared/environment-names';
import type { ServiceStackState } from './service-stack';

export interface ConsoleLink {
  readonly name: string;
  readonly url: string;
}

/** `arn:<partition>:cloudformation:<region>:<account>:stack/...` -> its parts. */
export function arnParts(arn: string): { partition: string; region: string; account: string } | undefined {
  const match = /^arn:(aws[a-z-]*):[a-z0-9-]+:([a-z0-9-]+):(\d{12}):/.exec(arn);
  return match ? { partition: match[1]!, region: match[2]!, account: match[3]! } : undefined;
}

/** The console's address for a region: its own hostname in the commercial partition, the partition's console elsewhere. */
export function consoleOrigin(partition: string, region: string): string {
  if (partition === 'aws-cn') return 'https://console.amazonaws.cn';
  if (partition === 'aws-us-gov') return 'https://console.amazonaws-us-gov.com';
  return `https://${region}.console.aws.amazon.com`;
}

const CADENCES: readonly DashboardCadence[] = ['realtime', 'hourly', 'daily'];

export function consoleLinks(environment: EnvironmentName, stack: ServiceStackState, fallbackRegion?: string): ConsoleLink[] {
  const parts = stack.stackId ? arnParts(stack.stackId) : undefined;
  const region = parts?.region ?? fallbackRegion;
  if (!region) return [];
  const origin = consoleOrigin(parts?.partition ?? 'aws', region);
  const q = `region=${region}`;
  const o = stack.outputs;
  return [
    ...CADENCES.map((cadence) => ({
      name: `dashboard ${cadence}`,
      url: `${origin}/cloudwatch/home?${q}#dashboards/dashboard/${encodeURIComponent(dashboardName(environment, cadence))}`,
    })),
    { name: 'alarms', url: `${origin}/cloudwatch/home?${q}#alarmsV2:` },
    ...(stack.stackId ? [{ name: 'stack events', url: `${origin}/cloudformation/home?${q}#/stacks/events?stackId=${encodeURIComponent(stack.stackId)}` }] : []),
    { name: 'rollback function', url: `${origin}/lambda/home?${q}#/functions/${encodeURIComponent(o.rollbackFunctionName)}` },
    { name: 'ECS services', url: `${origin}/ecs/v2/clusters/${encodeURIComponent(o.clusterName)}/services?${q}` },
    { name: 'feature flags', url: `${origin}/systems-manager/appconfig/applications/${encodeURIComponent(o.flagsApplicationId)}?${q}` },
    { name: `latch ${o.latchParameterName}`, url: `${origin}/systems-manager/parameters?${q}` },
  ];
}
