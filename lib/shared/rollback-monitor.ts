/**
 * The AppConfig environment's monitor (the composite of every rollback trigger) and its actions.
 *
 * AppConfig rolls a flag deployment back while a monitor is in ALARM or INSUFFICIENT_DATA, and
 * documents no exemption for the immediate strategy; but "a deployment doesn't automatically roll
 * back if actions have been disabled in an associated CloudWatch alarm", with DisableAlarmActions
 * and EnableAlarmActions (https://docs.aws.amazon.com/appconfig/latest/userguide/monitoring-deployments.html).
 * The monitor is in ALARM exactly when a rollback deploys the flags off, so the rollback function
 * (and `flags set --immediate` while rolled back) disables its actions first, and `resume` enables
 * them once the latch is clear. The composite has no actions of its own (only AppConfig reads it),
 * so disabling them silences nothing else. Both calls take the alarm's ARN as their resource
 * (Service Authorization Reference, https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html).
 * Pure SDK v3 (DESIGN.md D4).
 */
import { DescribeAlarmsCommand, DisableAlarmActionsCommand, EnableAlarmActionsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';

type Call = <T>(what: string, fn: () => Promise<T>) => Promise<T>;
const direct: Call = (_what, fn) => fn();

export async function setMonitorActions(client: CloudWatchClient, alarmName: string, enabled: boolean, call: Call = direct): Promise<void> {
  await (enabled
    ? call('EnableAlarmActions', () => client.send(new EnableAlarmActionsCommand({ AlarmNames: [alarmName] })))
    : call('DisableAlarmActions', () => client.send(new DisableAlarmActionsCommand({ AlarmNames: [alarmName] }))));
}

/** Whether the monitor's actions are enabled, or undefined when no such composite alarm exists. */
export async function monitorActionsEnabled(client: CloudWatchClient, alarmName: string): Promise<boolean | undefined> {
  // Without AlarmTypes, DescribeAlarms returns metric alarms only (DescribeAlarms API reference).
  const answer = await client.send(new DescribeAlarmsCommand({ AlarmNames: [alarmName], AlarmTypes: ['CompositeAlarm'] }));
  const monitor = answer?.CompositeAlarms?.find((a) => a.AlarmName === alarmName);
  return monitor ? monitor.ActionsEnabled !== false : undefined;
}
