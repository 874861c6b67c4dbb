import { z } from 'zod';
import { ENVIRONMENT_NAMES, type EnvironmentName } from '../shared/environment-names';
import {
  DEFAULT_FLAG_VALUES,
  DEFAULT_ROLLBACK_FLAGS,
  flagNameProblem,
  type FlagName,
  type FlagValues,
} from '../shared/feature-flags';
import {
  DEFAULT_MINIMUM_SAMPLES_PER_MINUTE,
  KPI_IDS,
  MetricsContractError,
  resolveThresholds,
  SEVERITIES,
  type KpiId,
  type KpiThresholdTable,
} from '../shared/metrics-contract';
import { DEFAULT_ROLLOUT_CONFIG, rolloutSchema } from './rollout-plan';
import { boolean, formatIssues, intRange, matching, oneOfNumbers, show } from './validators';

/**
 * The deployment configuration, typed and validated once at load (STYLE.md). Every bad value
 * fails synth with `<field path>: must be <what is allowed>, got <value>`.
 */

/** Fargate task sizes: CPU units -> allowed memory (MiB). https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size */
export const FARGATE_MEMORY_BY_CPU: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

/** Retention values CloudWatch Logs accepts. https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/**
 * An environment's tier. The production rules hang on it, never on the environment's name: HTTPS
 * required, deletion and termination protection on by default, drills refused without
 * `--allow-production`.
 */
export const TIERS = ['production', 'non-production'] as const;
export type Tier = (typeof TIERS)[number];

/** The AppConfig Agent listens on this port inside the task; the server must not take it. */
export const APPCONFIG_AGENT_PORT = 2772;

/**
 * How often the AppConfig Agent may poll, in seconds. The agent retrieves through AppConfig Data,
 * whose sessions poll at least 15 s apart (RequiredMinimumPollIntervalInSeconds, 15 to 86400:
 * https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_appconfigdata_StartConfigurationSession.html).
 * The maximum is ours: a rolled-back flag reaches every task within one poll, and the time-to-safe
 * budget (README "Time to safe") counts on at most a minute.
 */
export const AGENT_POLL_INTERVAL_SECONDS = { min: 15, max: 60 } as const;

/** Hard memory limit of the AppConfig Agent sidecar; the server's limit defaults to the rest of the task. */
export const APPCONFIG_AGENT_MEMORY_LIMIT_MIB = 128;

/** The server's user when the config names none: uid and gid 1000, the `node` user of the official Node.js images. */
export const DEFAULT_SERVER_USER = '1000:1000';

/** An ECS container `user`: "uid", "uid:gid", "user" or "user:group". */
const CONTAINER_USER = /^(?:[a-z_][a-z0-9_-]{0,31}|\d{1,10})(?::(?:[a-z_][a-z0-9_-]{0,31}|\d{1,10}))?$/;

/** Does an ECS container `user` run as root (named root or uid 0, whatever the group)? */
export function isRootUser(user: string): boolean {
  return /^(?:root|0+)(?::|$)/.test(user);
}

const serverUserSchema = z
  .string({ error: (iss) => `must be a user as "uid", "uid:gid", "user" or "user:group", got ${show(iss.input)}` })
  .superRefine((user, ctx) => {
    if (!CONTAINER_USER.test(user)) {
      ctx.addIssue({ code: 'custom', message: `must be a user as "uid", "uid:gid", "user" or "user:group", got ${show(user)}` });
    } else if (isRootUser(user)) {
      ctx.addIssue({ code: 'custom', message: `must not be root (uid 0): the server runs as a non-root user, got ${show(user)}` });
    }
  });

/** An absolute path inside the container, without "." or ".." segments and not "/" itself. */
const writablePathSchema = matching(/^(?:\/(?!\.{1,2}(?:\/|$))[A-Za-z0-9._-]+)+$/, 'an absolute path like "/tmp" (letters, digits, ".", "_", "-"), not "/"');

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

const newVpcSchema = z.strictObject({
  type: z.literal('new'),
  /** Availability zones to spread over; an ALB needs at least two. */
  maxAzs: intRange(2, 6),
  /** NAT gateways for the private subnets (tasks pull images through them); 1 to maxAzs. */
  natGateways: intRange(1, 6),
});

const existingVpcSchema = z.strictObject({
  type: z.literal('existing'),
  /** Looked up at synth time (needs credentials once; the result is cached in cdk.context.json). */
  vpcId: matching(/^vpc-[0-9a-f]{8,17}$/, 'a VPC id like "vpc-0123456789abcdef0"'),
});

const networkSchema = z.discriminatedUnion('type', [newVpcSchema, existingVpcSchema], {
  error: (iss) =>
    `type must be "new" (with maxAzs, natGateways) or "existing" (with vpcId), got ${show(
      (iss.input as { type?: unknown } | undefined)?.type,
    )}`,
});

const tlsSchema = z.strictObject({
  /** ACM certificate ARN for the HTTPS listener. */
  certificateArn: matching(
    /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/,
    'an ACM certificate ARN like "arn:aws:acm:eu-west-1:123456789012:certificate/<id>"',
  ).optional(),
  /**
   * SSM parameter that holds the certificate ARN, resolved by CloudFormation at deploy time. Lets the
   * default config synthesize offline without an account-specific ARN in the code.
   */
  certificateArnParameter: matching(/^\/[A-Za-z0-9_.\-/]{1,1010}$/, 'an SSM parameter name starting with "/"').optional(),
  /** Serve plain HTTP with no certificate. Staging only; production always serves HTTPS. */
  allowPlainHttp: boolean().default(false),
});

const slotCapacitySchema = z
  .strictObject({
    desiredCount: intRange(0, 100),
    minCount: intRange(0, 100),
    maxCount: intRange(1, 100),
  })
  .superRefine((slot, ctx) => {
    if (slot.minCount > slot.maxCount) {
      ctx.addIssue({
        code: 'custom',
        path: ['minCount'],
        message: `must be at most maxCount (${slot.maxCount}), got ${slot.minCount}`,
      });
    } else if (slot.desiredCount < slot.minCount || slot.desiredCount > slot.maxCount) {
      ctx.addIssue({
        code: 'custom',
        path: ['desiredCount'],
        message: `must be from minCount (${slot.minCount}) to maxCount (${slot.maxCount}), got ${slot.desiredCount}`,
      });
    }
  });

const containerSchema = z
  .strictObject({
    /** ECR repository name (in the environment's account and region) holding the server image. */
    imageRepository: matching(
      /^(?=.{2,256}$)(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/,
      'an ECR repository name (lowercase letters, digits, ".", "_", "-", "/"; 2 to 256 characters)',
    ),
    /** Image tag both slots start with, before the first `--parameters StableImageTag=...`. */
    initialImageTag: matching(
      /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/,
      'an image tag (letters, digits, "_", ".", "-"; 1 to 128 characters, not starting with "." or "-")',
    ),
    port: intRange(1, 65535),
    healthCheckPath: matching(/^\/[A-Za-z0-9\-._~%!$&'()*+,;=:@/]{0,1023}$/, 'a URL path starting with "/"'),
    cpu: oneOfNumbers([256, 512, 1024, 2048, 4096, 8192, 16384] as const, 'Fargate CPU units, one of'),
    memoryMiB: intRange(512, 122880),
    /** The user the server container runs as; never root. */
    user: serverUserSchema.default(DEFAULT_SERVER_USER),
    /** Hard memory limit of the server container. @default - memoryMiB minus the AppConfig Agent's limit */
    memoryLimitMiB: intRange(6, 122880).optional(),
    /** Where the server writes: each path is a task-scoped volume; the rest of its filesystem is read-only. */
    writablePaths: z
      .array(writablePathSchema, { error: (iss) => `must be a list of absolute paths, got ${show(iss.input)}` })
      .default(['/tmp']),
  })
  .superRefine((c, ctx) => {
    const serverMemoryMax = c.memoryMiB - APPCONFIG_AGENT_MEMORY_LIMIT_MIB;
    if (c.memoryLimitMiB !== undefined && c.memoryLimitMiB > serverMemoryMax) {
      ctx.addIssue({
        code: 'custom',
        path: ['memoryLimitMiB'],
        message: `must be at most memoryMiB (${c.memoryMiB}) minus the AppConfig Agent's ${APPCONFIG_AGENT_MEMORY_LIMIT_MIB} MiB, ${serverMemoryMax}, got ${c.memoryLimitMiB}`,
      });
    }
    c.writablePaths.forEach((p, i) => {
      if (c.writablePaths.indexOf(p) !== i) {
        ctx.addIssue({ code: 'custom', path: ['writablePaths', i], message: `must not repeat a path, got ${show(p)} twice` });
      }
    });
    const allowed = FARGATE_MEMORY_BY_CPU[c.cpu];
    if (allowed && !allowed.includes(c.memoryMiB)) {
      ctx.addIssue({
        code: 'custom',
        path: ['memoryMiB'],
        message: `must be one of ${allowed.join(', ')} for cpu ${c.cpu}, got ${c.memoryMiB}`,
      });
    }
    if (c.port === APPCONFIG_AGENT_PORT) {
      ctx.addIssue({
        code: 'custom',
        path: ['port'],
        message: `must not be ${APPCONFIG_AGENT_PORT}: the AppConfig Agent sidecar listens there, got ${c.port}`,
      });
    }
  })
  .transform((c) => ({ ...c, memoryLimitMiB: c.memoryLimitMiB ?? c.memoryMiB - APPCONFIG_AGENT_MEMORY_LIMIT_MIB }));

/** Flag values keyed by flag; keys are checked against the five seed flags, values must be booleans. */
const flagValuesSchema = z
  .record(z.string(), z.unknown(), { error: (iss) => `must be an object of flag: true|false, got ${show(iss.input)}` })
  .superRefine((values, ctx) => {
    for (const [key, value] of Object.entries(values)) {
      const problem = flagNameProblem(key);
      if (problem) ctx.addIssue({ code: 'custom', path: [key], message: problem });
      else if (typeof value !== 'boolean') {
        ctx.addIssue({ code: 'custom', path: [key], message: `must be true or false, got ${show(value)}` });
      }
    }
  })
  .transform((values) => ({ ...DEFAULT_FLAG_VALUES, ...(values as Partial<FlagValues>) }) as FlagValues);

const flagNameSchema = z.string({ error: (iss) => `must be a flag name, got ${show(iss.input)}` }).superRefine((key, ctx) => {
  const problem = flagNameProblem(key);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const flagsSchema = z.strictObject({
  /** Initial value of each flag; flags left out are on (the seed's defaults). */
  initialValues: flagValuesSchema.default(DEFAULT_FLAG_VALUES),
  /** Flags a rollback turns off. */
  rollbackFlags: z
    .array(flagNameSchema, { error: (iss) => `must be a list of flag names, got ${show(iss.input)}` })
    .min(1, { error: 'must name at least one flag' })
    .default([...DEFAULT_ROLLBACK_FLAGS])
    .transform((names) => [...new Set(names)] as FlagName[]),
  /** How often the AppConfig Agent in each task polls for a new flag version. */
  agentPollIntervalSeconds: intRange(AGENT_POLL_INTERVAL_SECONDS.min, AGENT_POLL_INTERVAL_SECONDS.max).default(15),
  /** The gradual strategy for ordinary flag changes. */
  gradual: z
    .strictObject({
      deploymentMinutes: intRange(1, 1440).default(10),
      growthFactorPercent: intRange(1, 100).default(20),
      bakeMinutes: intRange(0, 1440).default(10),
    })
    .default({ deploymentMinutes: 10, growthFactorPercent: 20, bakeMinutes: 10 }),
});

const thresholdNumber = z.number({ error: (iss) => `must be a number, got ${show(iss.input)}` });

const kpiOverrideSchema = z
  .strictObject({
    target: thresholdNumber.optional(),
    warning: thresholdNumber.optional(),
    critical: thresholdNumber.optional(),
    trigger: z.strictObject({ threshold: thresholdNumber.optional(), minutes: intRange(1, 60).optional() }).optional(),
  })
  .optional();

/** Per-KPI overrides of the seed's thresholds; the metrics contract checks their order and units. */
const kpiThresholdsSchema = z.strictObject(
  Object.fromEntries(KPI_IDS.map((id) => [id, kpiOverrideSchema])) as Record<KpiId, typeof kpiOverrideSchema>,
);

const subscriptionsSchema = z.strictObject({
  /** Email addresses; each must confirm the subscription from the mail SNS sends. */
  emails: z
    .array(matching(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'an email address'), {
      error: (iss) => `must be a list of email addresses, got ${show(iss.input)}`,
    })
    .default([]),
  /** HTTPS endpoints (paging services, webhooks); plain HTTP is refused. */
  httpsUrls: z
    .array(matching(/^https:\/\/[^\s]+$/, 'an https:// URL'), {
      error: (iss) => `must be a list of https:// URLs, got ${show(iss.input)}`,
    })
    .default([]),
});

const noSubscriptions = { emails: [], httpsUrls: [] };

const notificationsSchema = z.strictObject({
  critical: subscriptionsSchema.default(noSubscriptions),
  warning: subscriptionsSchema.default(noSubscriptions),
  info: subscriptionsSchema.default(noSubscriptions),
  /**
   * An AWS Chatbot Slack channel (the seed's #mcp-alerts). The workspace must be authorized in
   * the Chatbot console once per account before the first deploy.
   */
  slack: z
    .strictObject({
      workspaceId: matching(/^[A-Z0-9]{9,15}$/, 'a Slack workspace id like "T0123ABCD"'),
      channelId: matching(/^[A-Z0-9]{9,15}$/, 'a Slack channel id like "C0123ABCD"'),
      severities: z
        .array(z.enum(SEVERITIES, { error: (iss) => `must be one of ${SEVERITIES.join(', ')}, got ${show(iss.input)}` }))
        .min(1, { error: 'must name at least one severity' })
        .default([...SEVERITIES]),
    })
    .optional(),
});

/** AWS region names (`eu-west-1`, `us-gov-west-1`); the CLI's --region is checked with it too. */
export const AWS_REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;

const environmentSchema = z.strictObject({
  /** Production or not; required, so a new environment never silently loses the production rules. */
  tier: z.enum(TIERS, { error: (iss) => `must be ${TIERS.map((t) => `"${t}"`).join(' or ')}, got ${show(iss.input)}` }),
  /** AWS account id; unset means environment-agnostic (resolved at deploy time). */
  account: matching(/^\d{12}$/, 'a 12-digit AWS account id').optional(),
  /** AWS region; unset means environment-agnostic. */
  region: matching(AWS_REGION_PATTERN, 'an AWS region like "eu-west-1"').optional(),
  /**
   * The named AWS profile (shared config file) on-call uses for this environment. The operator
   * CLI uses it unless --profile names another, so an AWS_PROFILE left over from other work
   * cannot point a production command at another account; docs/RUNBOOK.md shows it.
   * @default - none: --profile, AWS_PROFILE or the default profile
   */
  profile: matching(/^[A-Za-z0-9_.+@=,-]{1,64}$/, 'an AWS profile name (letters, digits and _ . + @ = , -; 1 to 64 characters)').optional(),
  network: networkSchema,
  tls: tlsSchema,
  container: containerSchema,
  slots: z.strictObject({ stable: slotCapacitySchema, canary: slotCapacitySchema }),
  /** Target CPU utilisation of each slot's target-tracking autoscaling. */
  scalingCpuTargetPercent: intRange(10, 90).default(60),
  /** CanaryTraffic parameter default: the share of requests the canary gets on the first deploy. */
  defaultTrafficPercent: intRange(0, 100),
  logRetentionDays: oneOfNumbers(LOG_RETENTION_DAYS),
  flags: flagsSchema.default({
    initialValues: DEFAULT_FLAG_VALUES,
    rollbackFlags: [...DEFAULT_ROLLBACK_FLAGS],
    agentPollIntervalSeconds: 15,
    gradual: { deploymentMinutes: 10, growthFactorPercent: 20, bakeMinutes: 10 },
  }),
  /** Overrides of the seed's KPI thresholds for this environment. @default - the seed's numbers */
  kpiThresholds: kpiThresholdsSchema.default({}),
  /**
   * Requests (tool calls, validations) a one-minute period needs before a rate can alarm; below
   * it the rate reads as healthy, so three requests and one failure cannot page anyone.
   */
  minimumSamplesPerMinute: intRange(1, 10_000).default(DEFAULT_MINIMUM_SAMPLES_PER_MINUTE),
  /** Who hears each severity. @default - no subscriptions (the topics still exist) */
  notifications: notificationsSchema.default({ critical: noSubscriptions, warning: noSubscriptions, info: noSubscriptions }),
  /** ALB deletion protection and stack termination protection. @default - on for tier "production", off otherwise */
  deletionProtection: boolean().optional(),
  /** The rollout engine's plan (lib/config/rollout-plan.ts). @default - the seed's plan */
  rollout: rolloutSchema.default(DEFAULT_ROLLOUT_CONFIG),
});

const rootSchema = z
  .strictObject({
    environments: z.strictObject(
      Object.fromEntries(ENVIRONMENT_NAMES.map((name) => [name, environmentSchema])) as Record<
        EnvironmentName,
        typeof environmentSchema
      >,
    ),
  })
  .superRefine((root, ctx) => {
    for (const name of ENVIRONMENT_NAMES) {
      const env = root.environments[name];
      const at = (...path: string[]) => ['environments', name, ...path];
      const { certificateArn, certificateArnParameter, allowPlainHttp } = env.tls;
      if (certificateArn !== undefined && certificateArnParameter !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: at('tls'),
          message: 'must set one of certificateArn or certificateArnParameter, not both',
        });
      }
      const hasCertificate = certificateArn !== undefined || certificateArnParameter !== undefined;
      const production = env.tier === 'production';
      if (production && allowPlainHttp) {
        ctx.addIssue({
          code: 'custom',
          path: at('tls', 'allowPlainHttp'),
          message: 'must be false when tier is "production" (a production environment always serves HTTPS), got true',
        });
      } else if (!hasCertificate && !allowPlainHttp) {
        ctx.addIssue({
          code: 'custom',
          path: at('tls'),
          message: production
            ? 'tier "production" needs a TLS certificate: set certificateArn or certificateArnParameter'
            : 'needs a TLS certificate (certificateArn or certificateArnParameter), or allowPlainHttp: true to serve plain HTTP',
        });
      } else if (hasCertificate && allowPlainHttp) {
        ctx.addIssue({
          code: 'custom',
          path: at('tls', 'allowPlainHttp'),
          message: 'must be false when a certificate is set (HTTP always redirects to HTTPS then), got true',
        });
      }
      if (env.network.type === 'new' && env.network.natGateways > env.network.maxAzs) {
        ctx.addIssue({
          code: 'custom',
          path: at('network', 'natGateways'),
          message: `must be at most maxAzs (${env.network.maxAzs}), got ${env.network.natGateways}`,
        });
      }
    }
  });

export type ConfigInput = z.input<typeof rootSchema>;
type ParsedRoot = z.output<typeof rootSchema>;
type ParsedEnvironment = ParsedRoot['environments'][EnvironmentName];

/** One environment's validated configuration, with its name and every default applied. */
export interface EnvironmentConfig extends Omit<ParsedEnvironment, 'deletionProtection'> {
  readonly name: EnvironmentName;
  readonly deletionProtection: boolean;
  /** The seed's KPI thresholds with this environment's overrides applied, validated. */
  readonly thresholds: KpiThresholdTable;
}

export interface RolloutConfig {
  readonly environments: Readonly<Record<EnvironmentName, EnvironmentConfig>>;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid mcp-rollout configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Validates raw configuration and applies defaults; throws a ConfigError listing every problem. */
export function parseConfig(input: unknown): RolloutConfig {
  const result = rootSchema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(formatIssues(result.error.issues, ''));
  }
  const problems: string[] = [];
  const environments = Object.fromEntries(
    ENVIRONMENT_NAMES.map((name) => {
      const env = result.data.environments[name];
      let thresholds: KpiThresholdTable | undefined;
      try {
        thresholds = resolveThresholds(env.kpiThresholds, `environments.${name}.kpiThresholds`);
      } catch (error) {
        if (!(error instanceof MetricsContractError)) throw error;
        problems.push(...error.problems);
      }
      return [name, { ...env, name, thresholds, deletionProtection: env.deletionProtection ?? env.tier === 'production' }];
    }),
  ) as Record<EnvironmentName, EnvironmentConfig>;
  if (problems.length > 0) throw new ConfigError(problems);
  return { environments };
}
