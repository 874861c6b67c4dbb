import * as logs from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';
import type { McpRolloutStage } from '../mcp-rollout-stage';

/**
 * The AWS Control Tower proactive controls this app does not meet, each with the reason and the
 * exact resources it covers: the one list of exemptions. Every other control of the bundled rule
 * set (one reference page per service, e.g.
 * https://docs.aws.amazon.com/controltower/latest/controlreference/s3-rules.html) passes on every stack the app creates; test/control-tower.test.ts runs the rules (the
 * `@cdklabs/cdk-validator-cfnguard` plugin) and fails on any finding not listed here, and on any
 * entry here that no longer covers a finding.
 *
 * Proactive controls are CloudFormation hooks enabled per organizational unit: a control listed
 * here blocks a deploy only where an organization turns it on. README "Security" says what to do then.
 */
export interface ControlTowerExemption {
  /** The control's identifier, as Control Tower names it. */
  readonly control: string;
  /** Why the control does not apply to these resources, with the AWS page that says so. */
  readonly reason: string;
  /** The resources the exemption covers in one stage; none where the control passes. */
  readonly resources: (stage: McpRolloutStage) => readonly IConstruct[];
  /**
   * The plugin cannot report this rule's findings on our templates (cdk-validator-cfnguard 0.0.62
   * throws while parsing them), so a finding cannot be acknowledged on its resource: the rule is
   * switched off for the stages where `resources` is not empty, and on everywhere else.
   * @default false
   */
  readonly pluginCannotReport?: boolean;
}

const accessLogBucket = (stage: McpRolloutStage) => [stage.serviceStack.service.accessLogBucket];

/** A control a log group fails because the environment's config chooses a shorter retention. */
const ONE_YEAR_DAYS = 365;

export const CONTROL_TOWER_EXEMPTIONS: readonly ControlTowerExemption[] = [
  {
    control: 'CT.S3.PR.2',
    reason:
      'Server access logging of the ALB access-log bucket itself: it could only log into itself, which S3 says causes an endless loop of logs, or into a further bucket that must not log in turn (https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html). The ALB access logs it holds are the access record.',
    resources: accessLogBucket,
  },
  {
    control: 'CT.S3.PR.4',
    reason:
      'Event notifications on the ALB access-log bucket: nothing processes access logs as they arrive, and a notification needs a consumer (https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventNotifications.html). A team that ships logs to a SIEM adds the notification together with its consumer.',
    resources: accessLogBucket,
  },
  {
    control: 'CT.S3.PR.9',
    reason:
      'S3 Object Lock on the ALB access-log bucket: Object Lock cannot be turned off once on, without a default retention it protects nothing, and with one every upload must carry a Content-MD5 or checksum header, which the ALB log delivery does not document sending (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-configure.html, https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html). Versioning with a noncurrent-version expiry (CT.S3.PR.11) guards against deletion here; immutable copies belong in the organization log archive.',
    resources: accessLogBucket,
  },
  {
    control: 'CT.S3.PR.10',
    reason:
      'SSE-KMS on the ALB access-log bucket: ALB access logs support only SSE-S3 (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html); the bucket uses SSE-S3 and denies non-TLS access.',
    resources: accessLogBucket,
  },
  {
    control: 'CT.LAMBDA.PR.3',
    reason:
      'A VPC for the rollback function, the rollout engine\'s judge function and CDK\'s providers (the default security group\'s, and the State stack\'s create-only latch): they call AWS APIs only, and a VPC would put NAT gateways or interface endpoints on the rollback path, failure modes a rollback must not have (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html: a function in a VPC reaches AWS APIs only through NAT or endpoints).',
    resources: (stage) => {
      const stack = stage.serviceStack;
      const provider = stack.node.tryFindChild('Custom::VpcRestrictDefaultSGCustomResourceProvider');
      return [stack.rollback.function, ...(provider ? [provider] : []), stage.stateStack.latchProvider, stage.rolloutStack.engine.judgeFunction];
    },
  },
  {
    control: 'CT.CLOUDWATCH.PR.2',
    reason:
      'Log retention of at least a year: the environment\'s config (logRetentionDays) chooses a shorter retention for its log groups, as staging does; production keeps logs for 365 days.',
    resources: (stage) =>
      stage.config.logRetentionDays >= ONE_YEAR_DAYS
        ? []
        : [stage.serviceStack, stage.stateStack, stage.rolloutStack].flatMap((stack) => stack.node.findAll().filter((c) => c instanceof logs.LogGroup)),
  },
  {
    control: 'CT.STEPFUNCTIONS.PR.2',
    reason:
      'X-Ray tracing of the rollout state machine: the environment\'s config (rollout.tracing) turns it off; every state transition is still logged with its data to the encrypted log group and kept in the execution history (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-xray-tracing.html). The default is on.',
    resources: (stage) => (stage.config.rollout.tracing ? [] : [stage.rolloutStack.engine.stateMachine]),
  },
  {
    control: 'CT.ELASTICLOADBALANCING.PR.5',
    reason:
      'ALB deletion protection: the environment\'s config (deletionProtection) turns it off, as staging does so it can be torn down; production keeps it on.',
    resources: (stage) => (stage.config.deletionProtection ? [] : [stage.serviceStack.service.loadBalancer]),
  },
  {
    control: 'CT.ELASTICLOADBALANCING.PR.2',
    reason:
      'An ACM certificate on the HTTPS listener, where the config gives the certificate ARN as an SSM parameter (tls.certificateArnParameter): the template holds a reference that CloudFormation resolves at deploy time, which a template-level rule cannot read. With tls.certificateArn (an ACM ARN, checked by the config) the control passes.',
    resources: (stage) => (stage.config.tls.certificateArnParameter ? [stage.serviceStack.service.listener] : []),
    pluginCannotReport: true,
  },
];
