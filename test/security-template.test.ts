import { App, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { APPCONFIG_AGENT_USER } from '../lib/constructs/feature-flags';
import { FargateSlot, type FargateSlotProps } from '../lib/constructs/private/fargate-slot';
import { SLOT_NAMES } from '../lib/shared/environment-names';
import { synthesize } from './helpers/app';
import { testConfig } from './helpers/config';
import { logicalIdOf, resourceOf } from './helpers/template';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- CloudFormation JSON is untyped

// Production on the defaults; staging with its own server user, memory limit and writable paths.
const synthesized = synthesize(
  testConfig({
    environments: {
      staging: { container: { user: 'mcp:mcp', memoryLimitMiB: 768, writablePaths: ['/tmp', '/var/cache/mcp'] } },
    },
  }),
);
const stages = synthesized.rollout.stages;
const templates = synthesized.service;

const containers = (env: 'staging' | 'production', slot: 'stable' | 'canary') =>
  (resourceOf(templates[env], stages[env].serviceStack.service.slots[slot].taskDefinition) as Json).Properties as Json;
const container = (env: 'staging' | 'production', slot: 'stable' | 'canary', name: string) =>
  (containers(env, slot).ContainerDefinitions as Json[]).find((c) => c.Name === name)!;

describe('containers run as non-root users on read-only root filesystems with memory hard limits', () => {
  test.each(SLOT_NAMES)('production %s: the server runs as 1000:1000 with /tmp writable and the task memory less the agent', (slot) => {
    const server = container('production', slot, 'mcp-server');
    expect(server).toMatchObject({
      User: '1000:1000',
      ReadonlyRootFilesystem: true,
      Memory: 2048 - 128,
      MountPoints: [{ ContainerPath: '/tmp', SourceVolume: 'server-tmp', ReadOnly: false }],
    });
    expect(server.MemoryReservation).toBeUndefined();
    // A bind mount on the task's ephemeral storage: no host path, no EFS, no Docker volume.
    expect(containers('production', slot).Volumes).toEqual([{ Name: 'server-tmp' }]);
    expect(containers('production', slot).Memory).toBe('2048');
  });

  test.each(SLOT_NAMES)('staging %s: the user, memory limit and writable paths come from the config', (slot) => {
    expect(container('staging', slot, 'mcp-server')).toMatchObject({
      User: 'mcp:mcp',
      ReadonlyRootFilesystem: true,
      Memory: 768,
      MountPoints: [
        { ContainerPath: '/tmp', SourceVolume: 'server-tmp', ReadOnly: false },
        { ContainerPath: '/var/cache/mcp', SourceVolume: 'server-var-cache-mcp', ReadOnly: false },
      ],
    });
    expect(containers('staging', slot).Volumes).toEqual([{ Name: 'server-tmp' }, { Name: 'server-var-cache-mcp' }]);
  });

  test.each(SLOT_NAMES)('the AppConfig Agent in %s runs as nobody, read-only, with no volume and a 128 MiB limit', (slot) => {
    for (const env of ['staging', 'production'] as const) {
      const agent = container(env, slot, 'appconfig-agent');
      expect(agent).toMatchObject({ User: '65534:65534', ReadonlyRootFilesystem: true, Memory: 128, MemoryReservation: 64 });
      expect(agent.MountPoints).toBeUndefined();
      // Nothing tells the agent to write to disk (backups, a log file, a manifest).
      expect((agent.Environment as Json[]).map((e) => e.Name).sort()).toEqual(['HTTP_PORT', 'POLL_INTERVAL', 'PREFETCH_LIST']);
    }
    expect(APPCONFIG_AGENT_USER).toBe('65534:65534');
  });

  test('the containers reserve less than the task has (ECS: the total reserved must be lower than the task memory)', () => {
    for (const env of ['staging', 'production'] as const) {
      const task = containers(env, 'stable');
      const reserved = (task.ContainerDefinitions as Json[]).reduce((sum, c) => sum + (c.MemoryReservation ?? c.Memory), 0);
      const hardLimits = (task.ContainerDefinitions as Json[]).reduce((sum, c) => sum + c.Memory, 0);
      expect(reserved).toBeLessThan(Number(task.Memory));
      expect(hardLimits).toBeLessThanOrEqual(Number(task.Memory));
    }
  });
});

describe('log groups are encrypted with the environment\'s logs key', () => {
  test.each(['staging', 'production'] as const)('%s: the slots\', the rollback function\'s and the flow logs\' log groups use the logs key', (env) => {
    const stack = stages[env].serviceStack;
    const keyArn = { 'Fn::GetAtt': [logicalIdOf(stack.logsKey.key), 'Arn'] };
    const logGroups = templates[env].findResources('AWS::Logs::LogGroup') as Record<string, Json>;
    const expected = [
      logicalIdOf(stack.service.slots.stable.logGroup),
      logicalIdOf(stack.service.slots.canary.logGroup),
      logicalIdOf(stack.rollback.function.logGroup),
      Object.keys(logGroups).find((id) => id.startsWith('FlowLogs'))!,
    ].sort();
    expect(Object.keys(logGroups).sort()).toEqual(expected);
    for (const logGroup of Object.values(logGroups)) expect(logGroup.Properties.KmsKeyId).toEqual(keyArn);
  });

  test('the logs key lets CloudWatch Logs of this region use it for this account\'s log groups only, and no one create grants', () => {
    const stack = stages.production.serviceStack;
    const key = resourceOf(templates.production, stack.logsKey.key) as Json;
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
    expect(key.Properties.KeyPolicy.Statement).toEqual([
      {
        Action: 'kms:*',
        Effect: 'Allow',
        Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] } },
        Resource: '*',
      },
      {
        Sid: 'AllowCloudWatchLogsOfThisAccountAndRegion',
        Effect: 'Allow',
        Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]] } },
        Action: ['kms:Decrypt*', 'kms:Describe*', 'kms:Encrypt*', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
        Resource: '*',
        Condition: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':log-group:*']],
            },
          },
        },
      },
      denyGrants,
    ]);
  });

  test('the notifications key also denies grants to anyone but AWS services, and CloudWatch and EventBridge keep using it', () => {
    const stack = stages.production.serviceStack;
    const statements = (resourceOf(templates.production, stack.notifications.key) as Json).Properties.KeyPolicy.Statement as Json[];
    expect(statements).toContainEqual(denyGrants);
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Action: expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']),
        Principal: { Service: expect.arrayContaining(['cloudwatch.amazonaws.com', 'events.amazonaws.com']) },
      }),
    );
    // The two keys are distinct: CloudWatch Logs is not on the notifications key.
    expect(JSON.stringify(statements)).not.toContain('logs.');
  });
});

/** Control Tower CT.KMS.PR.3's statement, exactly as its rule reads it. */
const denyGrants = {
  Sid: 'DenyGrantsExceptForAwsServices',
  Effect: 'Deny',
  Principal: { AWS: '*' },
  Action: 'kms:CreateGrant',
  Resource: '*',
  Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
};

describe('public subnets assign no public IPs', () => {
  test.each(['staging', 'production'] as const)('%s: no subnet maps public IPs; the NAT gateways use Elastic IPs and the ALB is internet-facing', (env) => {
    const template = templates[env];
    const subnets = Object.values(template.findResources('AWS::EC2::Subnet')) as Json[];
    expect(subnets).toHaveLength(4);
    for (const subnet of subnets) expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
    const nats = Object.values(template.findResources('AWS::EC2::NatGateway')) as Json[];
    expect(nats.length).toBeGreaterThan(0);
    for (const nat of nats) expect(nat.Properties.AllocationId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/EIP/), 'AllocationId'] });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internet-facing' });
  });
});

describe('the access-log bucket keeps versions for a week after a log expires', () => {
  test.each([
    ['staging', 30],
    ['production', 365],
  ] as const)('%s: versioned; logs expire after %i days, old versions 7 days later, expired delete markers removed', (env, days) => {
    const bucket = resourceOf(templates[env], stages[env].serviceStack.service.accessLogBucket) as Json;
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.Properties.LifecycleConfiguration).toEqual({
      Rules: [
        {
          Id: 'ExpireAccessLogs',
          Status: 'Enabled',
          ExpirationInDays: days,
          NoncurrentVersionExpiration: { NoncurrentDays: 7 },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        },
        { Id: 'RemoveExpiredDeleteMarkers', Status: 'Enabled', ExpiredObjectDeleteMarker: true },
      ],
    });
    // ALB access logs support SSE-S3 only.
    expect(bucket.Properties.BucketEncryption).toEqual({ ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] });
  });

  test('the ALB still writes its logs into that bucket', () => {
    templates.production.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'access_logs.s3.enabled', Value: 'true' },
        { Key: 'access_logs.s3.bucket', Value: { Ref: logicalIdOf(stages.production.serviceStack.service.accessLogBucket) } },
      ]),
    });
  });
});

describe('the slot refuses what Control Tower would block', () => {
  function slot(overrides: Partial<FargateSlotProps>) {
    const stack = new Stack(new App(), 'SlotTest');
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 1, maxAzs: 2 });
    return new FargateSlot(stack, 'Slot', {
      environmentName: 'staging',
      slot: 'stable',
      cluster: new ecs.Cluster(stack, 'Cluster', { vpc }),
      repository: ecr.Repository.fromRepositoryName(stack, 'Repo', 'mcp'),
      imageTag: 'v1',
      containerPort: 8080,
      healthCheckPath: '/health',
      cpu: 512,
      memoryMiB: 1024,
      serverMemoryLimitMiB: 896,
      serverUser: '1000:1000',
      serverWritablePaths: ['/tmp'],
      capacity: { desiredCount: 1, minCount: 1, maxCount: 1 },
      scalingCpuTargetPercent: 60,
      logRetention: logs.RetentionDays.ONE_MONTH,
      logEncryptionKey: new kms.Key(stack, 'Key'),
      securityGroup: new ec2.SecurityGroup(stack, 'Sg', { vpc }),
      metricsNamespace: 'Test',
      ...overrides,
    });
  }

  test('accepts a non-root user and a limit within the task', () => {
    expect(() => slot({})).not.toThrow();
  });

  test.each(['root', '0', '0:1000'])('fails when the server user is root (%s)', (serverUser) => {
    expect(() => slot({ serverUser })).toThrow(`serverUser must be a non-root user, got "${serverUser}"`);
  });

  test.each([5, 1025, 100.5])('fails when the server memory limit is %d MiB', (serverMemoryLimitMiB) => {
    expect(() => slot({ serverMemoryLimitMiB })).toThrow(
      `serverMemoryLimitMiB must be an integer from 6 to memoryMiB (1024), got ${serverMemoryLimitMiB}`,
    );
  });

  test('fails when two writable paths would share a volume name', () => {
    expect(() => slot({ serverWritablePaths: ['/var/a.b', '/var/a-b'] })).toThrow(
      'serverWritablePaths must map to distinct volume names, got two paths for server-var-a-b: /var/a.b, /var/a-b',
    );
  });
});
