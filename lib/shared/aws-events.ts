/**
 * The AWS service events the enforce path of the rollback function answers (DESIGN.md D2: whatever
 * ends while the latch is set is driven back to the latched state). The EventBridge rules of the
 * construct and the function's event parser both use these, so the pattern and the parser cannot
 * disagree. Pure TypeScript (D4).
 */

/**
 * "CloudFormation Stack Status Change", sent by CloudFormation to the default bus for every stack
 * (delivery: durable). Detail: `stack-id`, `status-details.status`, `status-details.status-reason`,
 * `client-request-token`
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/event-detail-stack-status-change.html,
 * https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-cloudformation.html).
 */
export const STACK_STATUS_EVENT = { source: 'aws.cloudformation', detailType: 'CloudFormation Stack Status Change' } as const;

/**
 * Stack statuses after which the stack's resources hold what the operation wrote: the traffic
 * rule's weights and the flag deployment are final for that operation. A cleanup status comes
 * first and sooner (old resources are still being deleted), so the enforce path acts on it and
 * again, idempotently, on the final status
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html#cfn-console-view-stack-data-resources-status-codes).
 */
export const STACK_STATUSES_TO_ENFORCE = [
  'CREATE_COMPLETE',
  'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
  'UPDATE_COMPLETE',
  'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
  'UPDATE_ROLLBACK_COMPLETE',
  'UPDATE_ROLLBACK_FAILED',
  'IMPORT_COMPLETE',
  'IMPORT_ROLLBACK_COMPLETE',
] as const;

/**
 * Events of the "AWS AppConfig deployment events to Amazon EventBridge" extension (source
 * `aws.appconfig`, default bus only, delivery: best effort). They reach EventBridge only once the
 * extension is associated with the application, environment or profile. Detail:
 * `Type`, `Application.Id`, `Environment.Id`, `ConfigurationProfile.Id`, `DeploymentNumber`,
 * `ConfigurationVersion`
 * (https://docs.aws.amazon.com/appconfig/latest/userguide/working-with-appconfig-extensions-about-predefined-notification-eventbridge.html,
 * https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-appconfig.html).
 */
export const APPCONFIG_DEPLOYMENT_EVENTS = {
  source: 'aws.appconfig',
  start: 'On Deployment Start',
  complete: 'On Deployment Complete',
  rollback: 'On Deployment Rollback',
} as const;

/** The AWS-authored extension that sends APPCONFIG_DEPLOYMENT_EVENTS, once associated (page above). */
export const APPCONFIG_EVENTBRIDGE_EXTENSION = 'AWS.AppConfig.DeploymentNotificationsToEventBridge';

/**
 * The AppConfig deployment events the enforce path answers: a deployment that starts (one that turns
 * a rollback flag on is stopped at once, before it spreads), and one that ends (the served document
 * may have changed). Every one carries the same detail (the extension page's sample; its Type is
 * OnDeploymentStart, OnDeploymentComplete or OnDeploymentRolledBack).
 */
export const FLAG_DEPLOYMENT_EVENTS_TO_ENFORCE = [APPCONFIG_DEPLOYMENT_EVENTS.start, APPCONFIG_DEPLOYMENT_EVENTS.complete, APPCONFIG_DEPLOYMENT_EVENTS.rollback] as const;

/** `Production-Service` from `arn:aws:cloudformation:eu-west-1:123456789012:stack/Production-Service/uuid`. */
export function stackNameOfId(stackId: string): string | undefined {
  return /^arn:aws[a-z-]*:cloudformation:[^:]*:[^:]*:stack\/([^/]+)\//.exec(stackId)?.[1];
}
