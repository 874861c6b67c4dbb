import { DEFAULT_CONFIG } from '../lib/config/environments';
import { ConfigError, parseConfig } from '../lib/config/schema';
import { rawTestConfig, testConfig, type DeepPartial } from './helpers/config';
import type { ConfigInput } from '../lib/config/schema';

/** The exact list of problems a config produces, or [] when it is valid. */
function problems(overrides: DeepPartial<ConfigInput>): readonly string[] {
  try {
    testConfig(overrides);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

const prod = (overrides: DeepPartial<ConfigInput['environments']['production']>) => ({
  environments: { production: overrides },
});
const staging = (overrides: DeepPartial<ConfigInput['environments']['staging']>) => ({
  environments: { staging: overrides },
});

describe('default configuration', () => {
  const config = parseConfig(DEFAULT_CONFIG);

  test('parses, with deletion protection on in production and off in staging', () => {
    expect(config.environments.production.deletionProtection).toBe(true);
    expect(config.environments.staging.deletionProtection).toBe(false);
  });

  test('applies defaults and names each environment', () => {
    expect(config.environments.staging.name).toBe('staging');
    expect(config.environments.production.name).toBe('production');
    expect(config.environments.production.tls.allowPlainHttp).toBe(false);
    expect(config.environments.production.scalingCpuTargetPercent).toBe(60);
  });

  test('deletion protection can be set explicitly', () => {
    expect(testConfig(staging({ deletionProtection: true })).environments.staging.deletionProtection).toBe(true);
  });

  test('each environment states its tier: production is "production", staging "non-production"', () => {
    expect(config.environments.production.tier).toBe('production');
    expect(config.environments.staging.tier).toBe('non-production');
  });
});

describe('tier', () => {
  test('deletion protection defaults from the tier, not the name', () => {
    expect(testConfig(staging({ tier: 'production' })).environments.staging.deletionProtection).toBe(true);
    expect(testConfig(prod({ tier: 'non-production' })).environments.production.deletionProtection).toBe(false);
  });

  test('fails when an environment leaves its tier out, so no environment silently loses the production rules', () => {
    expect(problems(prod({ tier: undefined }))).toEqual([
      'environments.production.tier: must be "production" or "non-production", got nothing',
    ]);
  });

  test('fails on a tier that is not one of the two', () => {
    expect(problems(staging({ tier: 'prod' as never }))).toEqual([
      'environments.staging.tier: must be "production" or "non-production", got "prod"',
    ]);
  });
});

describe('environment and network', () => {
  test('fails when the account is not 12 digits', () => {
    expect(problems(prod({ account: '1234' }))).toEqual([
      'environments.production.account: must be a 12-digit AWS account id, got "1234"',
    ]);
  });

  test('fails when the region is not a region name', () => {
    expect(problems(prod({ region: 'Europe' }))).toEqual([
      'environments.production.region: must be an AWS region like "eu-west-1", got "Europe"',
    ]);
  });

  test('fails when the network type is unknown', () => {
    expect(
      problems({ environments: { production: { network: { type: 'shared' } as never } } }),
    ).toEqual([
      'environments.production.network.type: type must be "new" (with maxAzs, natGateways) or "existing" (with vpcId), got "shared"',
    ]);
  });

  test('fails when a new VPC has fewer than two AZs', () => {
    expect(problems(staging({ network: { type: 'new', maxAzs: 1, natGateways: 1 } }))).toEqual([
      'environments.staging.network.maxAzs: must be an integer from 2 to 6, got 1',
    ]);
  });

  test('fails when there are more NAT gateways than AZs', () => {
    expect(problems(staging({ network: { type: 'new', maxAzs: 2, natGateways: 3 } }))).toEqual([
      'environments.staging.network.natGateways: must be at most maxAzs (2), got 3',
    ]);
  });

  test('fails when an existing VPC id is malformed', () => {
    const network = { type: 'existing', vpcId: 'my-vpc', maxAzs: undefined, natGateways: undefined } as never;
    expect(problems(staging({ network }))).toEqual([
      'environments.staging.network.vpcId: must be a VPC id like "vpc-0123456789abcdef0", got "my-vpc"',
    ]);
  });

  test('fails when a new VPC also names a VPC id', () => {
    expect(
      problems(staging({ network: { type: 'new', maxAzs: 2, natGateways: 1, vpcId: 'vpc-12345678' } as never })),
    ).toEqual(['environments.staging.network: unknown field "vpcId"']);
  });
});

describe('TLS', () => {
  const noCertificate = { certificateArnParameter: undefined };

  test('fails when production has no certificate', () => {
    expect(problems(prod({ tls: noCertificate }))).toEqual([
      'environments.production.tls: tier "production" needs a TLS certificate: set certificateArn or certificateArnParameter',
    ]);
  });

  test('fails when production allows plain HTTP', () => {
    expect(problems(prod({ tls: { ...noCertificate, allowPlainHttp: true } }))).toEqual([
      'environments.production.tls.allowPlainHttp: must be false when tier is "production" (a production environment always serves HTTPS), got true',
    ]);
  });

  test('the HTTPS rule follows the tier, not the name: a production-tier staging needs a certificate too', () => {
    expect(problems(staging({ tier: 'production', tls: { ...noCertificate, allowPlainHttp: true } }))).toEqual([
      'environments.staging.tls.allowPlainHttp: must be false when tier is "production" (a production environment always serves HTTPS), got true',
    ]);
    expect(problems(staging({ tier: 'production', tls: noCertificate }))).toEqual([
      'environments.staging.tls: tier "production" needs a TLS certificate: set certificateArn or certificateArnParameter',
    ]);
  });

  test('fails when staging has no certificate and does not allow plain HTTP explicitly', () => {
    expect(problems(staging({ tls: noCertificate }))).toEqual([
      'environments.staging.tls: needs a TLS certificate (certificateArn or certificateArnParameter), or allowPlainHttp: true to serve plain HTTP',
    ]);
  });

  test('staging may serve plain HTTP when allowPlainHttp is true', () => {
    expect(problems(staging({ tls: { ...noCertificate, allowPlainHttp: true } }))).toEqual([]);
  });

  test('fails when a certificate is set and plain HTTP is allowed', () => {
    expect(problems(staging({ tls: { allowPlainHttp: true } }))).toEqual([
      'environments.staging.tls.allowPlainHttp: must be false when a certificate is set (HTTP always redirects to HTTPS then), got true',
    ]);
  });

  test('fails when both a certificate ARN and a parameter are set', () => {
    const arn = 'arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab';
    expect(problems(prod({ tls: { certificateArn: arn } }))).toEqual([
      'environments.production.tls: must set one of certificateArn or certificateArnParameter, not both',
    ]);
  });

  test('fails when the certificate ARN is not an ACM ARN', () => {
    expect(problems(prod({ tls: { ...noCertificate, certificateArn: 'arn:aws:iam::123456789012:role/x' } }))).toEqual([
      'environments.production.tls.certificateArn: must be an ACM certificate ARN like "arn:aws:acm:eu-west-1:123456789012:certificate/<id>", got "arn:aws:iam::123456789012:role/x"',
    ]);
  });

  test('fails when the certificate parameter name does not start with a slash', () => {
    expect(problems(prod({ tls: { certificateArnParameter: 'cert-arn' } }))).toEqual([
      'environments.production.tls.certificateArnParameter: must be an SSM parameter name starting with "/", got "cert-arn"',
    ]);
  });
});

describe('container', () => {
  test('fails when the image repository is not an ECR repository name', () => {
    expect(problems(prod({ container: { imageRepository: 'MCP Server' } }))).toEqual([
      'environments.production.container.imageRepository: must be an ECR repository name (lowercase letters, digits, ".", "_", "-", "/"; 2 to 256 characters), got "MCP Server"',
    ]);
  });

  test('fails when the initial image tag is not a tag', () => {
    expect(problems(prod({ container: { initialImageTag: '-bad' } }))).toEqual([
      'environments.production.container.initialImageTag: must be an image tag (letters, digits, "_", ".", "-"; 1 to 128 characters, not starting with "." or "-"), got "-bad"',
    ]);
  });

  test('fails when the port is out of range', () => {
    expect(problems(prod({ container: { port: 70000 } }))).toEqual([
      'environments.production.container.port: must be an integer from 1 to 65535, got 70000',
    ]);
  });

  test('fails when the port is the AppConfig Agent port', () => {
    expect(problems(prod({ container: { port: 2772 } }))).toEqual([
      'environments.production.container.port: must not be 2772: the AppConfig Agent sidecar listens there, got 2772',
    ]);
  });

  test('fails when the health check path does not start with a slash', () => {
    expect(problems(prod({ container: { healthCheckPath: 'health' } }))).toEqual([
      'environments.production.container.healthCheckPath: must be a URL path starting with "/", got "health"',
    ]);
  });

  test('fails when the CPU is not a Fargate size', () => {
    expect(problems(prod({ container: { cpu: 300 } }))).toEqual([
      'environments.production.container.cpu: must be Fargate CPU units, one of 256, 512, 1024, 2048, 4096, 8192, 16384, got 300',
    ]);
  });

  test('fails when the memory does not fit the CPU', () => {
    expect(problems(prod({ container: { cpu: 256, memoryMiB: 4096 } }))).toEqual([
      'environments.production.container.memoryMiB: must be one of 512, 1024, 2048 for cpu 256, got 4096',
    ]);
  });

  test('the server runs as 1000:1000, may write /tmp and gets the task memory less the agent\'s 128 MiB by default', () => {
    const { container } = testConfig().environments.production;
    expect({ user: container.user, writablePaths: container.writablePaths, memoryLimitMiB: container.memoryLimitMiB }).toEqual({
      user: '1000:1000',
      writablePaths: ['/tmp'],
      memoryLimitMiB: 2048 - 128,
    });
  });

  test.each(['1000', '1000:1000', 'node', 'node:node', 'mcp-server:0', '_app'])('accepts the non-root user %s', (user) => {
    expect(problems(prod({ container: { user } }))).toEqual([]);
  });

  test.each(['root', '0', '0:0', 'root:root', '00:1000'])('fails when the user is root (%s)', (user) => {
    expect(problems(prod({ container: { user } }))).toEqual([
      `environments.production.container.user: must not be root (uid 0): the server runs as a non-root user, got "${user}"`,
    ]);
  });

  test.each(['', 'Node', '1000:', 'a b', 'user:group:extra'])('fails when the user is not an ECS user (%j)', (user) => {
    expect(problems(prod({ container: { user } }))).toEqual([
      `environments.production.container.user: must be a user as "uid", "uid:gid", "user" or "user:group", got ${JSON.stringify(user)}`,
    ]);
  });

  test('fails when the server memory limit leaves no room for the agent', () => {
    expect(problems(prod({ container: { memoryLimitMiB: 2000 } }))).toEqual([
      "environments.production.container.memoryLimitMiB: must be at most memoryMiB (2048) minus the AppConfig Agent's 128 MiB, 1920, got 2000",
    ]);
    expect(testConfig(prod({ container: { memoryLimitMiB: 1920 } })).environments.production.container.memoryLimitMiB).toBe(1920);
  });

  test('fails when the server memory limit is below what Docker reserves', () => {
    expect(problems(prod({ container: { memoryLimitMiB: 4 } }))).toEqual([
      'environments.production.container.memoryLimitMiB: must be an integer from 6 to 122880, got 4',
    ]);
  });

  test.each(['/', 'tmp', '/tmp/', '/var/../etc', '/./tmp', '/a b'])('fails when a writable path is not a plain absolute path (%j)', (path) => {
    expect(problems(prod({ container: { writablePaths: ['/tmp', path] } }))).toEqual([
      `environments.production.container.writablePaths.1: must be an absolute path like "/tmp" (letters, digits, ".", "_", "-"), not "/", got ${JSON.stringify(path)}`,
    ]);
  });

  test('fails when a writable path repeats', () => {
    expect(problems(prod({ container: { writablePaths: ['/tmp', '/data', '/tmp'] } }))).toEqual([
      'environments.production.container.writablePaths.2: must not repeat a path, got "/tmp" twice',
    ]);
  });

  test('no writable path at all is allowed', () => {
    expect(testConfig(prod({ container: { writablePaths: [] } })).environments.production.container.writablePaths).toEqual([]);
  });
});

describe('capacity, traffic and logs', () => {
  test('fails when a slot minimum exceeds its maximum', () => {
    expect(problems(prod({ slots: { canary: { minCount: 5, maxCount: 2, desiredCount: 2 } } }))).toEqual([
      'environments.production.slots.canary.minCount: must be at most maxCount (2), got 5',
    ]);
  });

  test('fails when a slot desired count is outside min and max', () => {
    expect(problems(prod({ slots: { stable: { desiredCount: 30 } } }))).toEqual([
      'environments.production.slots.stable.desiredCount: must be from minCount (3) to maxCount (20), got 30',
    ]);
  });

  test('fails when the default traffic percent is above 100', () => {
    expect(problems(prod({ defaultTrafficPercent: 140 }))).toEqual([
      'environments.production.defaultTrafficPercent: must be an integer from 0 to 100, got 140',
    ]);
  });

  test('fails when the default traffic percent is not an integer', () => {
    expect(problems(prod({ defaultTrafficPercent: 10.5 }))).toEqual([
      'environments.production.defaultTrafficPercent: must be an integer from 0 to 100, got 10.5',
    ]);
  });

  test('fails when the autoscaling CPU target is out of range', () => {
    expect(problems(prod({ scalingCpuTargetPercent: 95 }))).toEqual([
      'environments.production.scalingCpuTargetPercent: must be an integer from 10 to 90, got 95',
    ]);
  });

  test('fails when the log retention is not a CloudWatch Logs value', () => {
    expect(problems(prod({ logRetentionDays: 42 }))).toEqual([
      'environments.production.logRetentionDays: must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, got 42',
    ]);
  });

  test('fails when deletion protection is not a boolean', () => {
    expect(problems(prod({ deletionProtection: 'yes' as never }))).toEqual([
      'environments.production.deletionProtection: must be true or false, got "yes"',
    ]);
  });
});

describe('feature flags', () => {
  test('flags left out of initialValues are on; the rollback flags default to the seed', () => {
    const flags = testConfig(prod({ flags: { initialValues: { performance_monitoring: false } } })).environments.production.flags;
    expect(flags.initialValues).toEqual({
      hierarchical_tools_enabled: true,
      enumdescriptions_validation: true,
      auto_correction_enabled: true,
      enhanced_error_messages: true,
      performance_monitoring: false,
    });
    expect(flags.rollbackFlags).toEqual(['hierarchical_tools_enabled', 'enumdescriptions_validation']);
    expect(flags.agentPollIntervalSeconds).toBe(15);
  });

  test('fails when a flag name is invalid', () => {
    expect(problems(prod({ flags: { initialValues: { 'Dark Mode': true } as never } }))).toEqual([
      'environments.production.flags.initialValues.Dark Mode: "Dark Mode" is not a valid flag key: it must start with a lowercase letter and contain only letters, digits, "_" or "-" (at most 64 characters)',
    ]);
  });

  test('fails when a flag is unknown', () => {
    expect(problems(prod({ flags: { initialValues: { dark_mode: true } as never } }))).toEqual([
      'environments.production.flags.initialValues.dark_mode: unknown flag "dark_mode"; the flags are hierarchical_tools_enabled, enumdescriptions_validation, auto_correction_enabled, enhanced_error_messages, performance_monitoring',
    ]);
  });

  test('fails when a flag value is not a boolean', () => {
    expect(problems(prod({ flags: { initialValues: { auto_correction_enabled: 'on' } as never } }))).toEqual([
      'environments.production.flags.initialValues.auto_correction_enabled: must be true or false, got "on"',
    ]);
  });

  test('fails when the rollback list names a flag that does not exist', () => {
    expect(problems(prod({ flags: { rollbackFlags: ['hierarchical_tools_enabled', 'dark_mode'] as never } }))).toEqual([
      'environments.production.flags.rollbackFlags.1: unknown flag "dark_mode"; the flags are hierarchical_tools_enabled, enumdescriptions_validation, auto_correction_enabled, enhanced_error_messages, performance_monitoring',
    ]);
  });

  test('fails when the rollback list is empty', () => {
    expect(problems(prod({ flags: { rollbackFlags: [] } }))).toEqual([
      'environments.production.flags.rollbackFlags: must name at least one flag',
    ]);
  });

  // The agent polls through AppConfig Data, whose session poll interval is at least 15 s
  // (https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_appconfigdata_StartConfigurationSession.html).
  test.each([5, 14, 61, 300, 15.5])('fails when the agent poll interval is %s s', (seconds) => {
    expect(problems(prod({ flags: { agentPollIntervalSeconds: seconds } }))).toEqual([
      `environments.production.flags.agentPollIntervalSeconds: must be an integer from 15 to 60, got ${seconds}`,
    ]);
  });

  test.each([15, 60])('accepts an agent poll interval of %s s', (seconds) => {
    expect(testConfig(prod({ flags: { agentPollIntervalSeconds: seconds } })).environments.production.flags.agentPollIntervalSeconds).toBe(seconds);
  });
});

describe('shape', () => {
  test('fails when a field is unknown', () => {
    expect(problems(prod({ replicas: 3 } as never))).toEqual([
      'environments.production: unknown field "replicas"',
    ]);
  });

  test('fails when an environment is missing', () => {
    expect(problems({ environments: { staging: undefined } })).toEqual(['environments.staging: is required (object)']);
  });

  test('lists every problem at once, and the error message names each', () => {
    const input = rawTestConfig(prod({ container: { port: 0 }, defaultTrafficPercent: -1 }));
    expect(() => parseConfig(input)).toThrow(
      'Invalid mcp-rollout configuration:\n' +
        '  - environments.production.container.port: must be an integer from 1 to 65535, got 0\n' +
        '  - environments.production.defaultTrafficPercent: must be an integer from 0 to 100, got -1',
    );
  });
});

describe('KPI thresholds and sample minimum', () => {
  test('default to the seed numbers', () => {
    const { thresholds, minimumSamplesPerMinute } = testConfig().environments.production;
    expect(thresholds.llmSuccessRate).toEqual({ target: 95, warning: 90, critical: 85, trigger: { threshold: 85, minutes: 5 } });
    expect(minimumSamplesPerMinute).toBe(10);
  });

  test('an override replaces only the fields it names', () => {
    const { thresholds } = testConfig(prod({ kpiThresholds: { errorRate: { warning: 3, trigger: { minutes: 3 } } } })).environments.production;
    expect(thresholds.errorRate).toEqual({ target: 1, warning: 3, critical: 5, trigger: { threshold: 10, minutes: 3 } });
  });

  test('fails when a warning is not less severe than its critical', () => {
    expect(problems(prod({ kpiThresholds: { llmSuccessRate: { warning: 80 } } }))).toEqual([
      'environments.production.kpiThresholds.llmSuccessRate.critical: must be below warning (80): warning is the less severe level, got 85',
    ]);
  });

  test('fails when a trigger is less severe than its critical', () => {
    expect(problems(staging({ kpiThresholds: { responseTimeP95: { trigger: { threshold: 250 } } } }))).toEqual([
      'environments.staging.kpiThresholds.responseTimeP95.trigger.threshold: must be at least as severe as critical (300, so above or equal), got 250',
    ]);
  });

  test('fails when a percent is outside 0 to 100', () => {
    expect(problems(prod({ kpiThresholds: { availability: { target: 139.8 } } }))).toEqual([
      'environments.production.kpiThresholds.availability.target: must be a percent from 0 to 100, got 139.8',
    ]);
  });

  test('fails when a KPI has no such level in the seed', () => {
    expect(problems(prod({ kpiThresholds: { availability: { warning: 99.5 } } }))).toEqual([
      'environments.production.kpiThresholds.availability.warning: Availability has no warning level in the seed, got 99.5',
    ]);
  });

  test('fails on an unknown KPI, a non-number and a bad trigger duration', () => {
    expect(
      problems(
        prod({
          kpiThresholds: { successRate: {}, errorRate: { critical: '5' }, llmSuccessRate: { trigger: { minutes: 0 } } } as never,
        }),
      ),
    ).toEqual([
      'environments.production.kpiThresholds.llmSuccessRate.trigger.minutes: must be an integer from 1 to 60, got 0',
      'environments.production.kpiThresholds.errorRate.critical: must be a number, got "5"',
      'environments.production.kpiThresholds: unknown field "successRate"',
    ]);
  });

  test('fails when the sample minimum is not a positive integer', () => {
    expect(problems(prod({ minimumSamplesPerMinute: 0 }))).toEqual([
      'environments.production.minimumSamplesPerMinute: must be an integer from 1 to 10000, got 0',
    ]);
  });
});

describe('notifications', () => {
  test('default to no subscribers and no Slack channel', () => {
    expect(testConfig().environments.production.notifications).toEqual({
      critical: { emails: [], httpsUrls: [] },
      warning: { emails: [], httpsUrls: [] },
      info: { emails: [], httpsUrls: [] },
    });
  });

  test('fail on a bad email, a plain-HTTP endpoint and a bad Slack channel', () => {
    expect(
      problems(
        prod({
          notifications: {
            critical: { emails: ['oncall'], httpsUrls: ['http://pager.example.com/hook'] },
            slack: { workspaceId: 'T0123ABCD', channelId: '#mcp-alerts', severities: ['page'] as never },
          },
        }),
      ),
    ).toEqual([
      'environments.production.notifications.critical.emails.0: must be an email address, got "oncall"',
      'environments.production.notifications.critical.httpsUrls.0: must be an https:// URL, got "http://pager.example.com/hook"',
      'environments.production.notifications.slack.channelId: must be a Slack channel id like "C0123ABCD", got "#mcp-alerts"',
      'environments.production.notifications.slack.severities.0: must be one of critical, warning, info, got "page"',
    ]);
  });
});
