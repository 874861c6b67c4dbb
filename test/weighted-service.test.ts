import { Match, type Template } from 'aws-cdk-lib/assertions';
import { synthesize } from './helpers/app';
import { testConfig } from './helpers/config';
import { dependsOn, evaluate, logicalIdOf, resourceOf } from './helpers/template';
import { percentOption } from '../lib/cli/option-values';
import { IMAGE_TAG_PATTERN, SERVICE_OUTPUTS, serviceStackName, serviceStackSelector } from '../lib/shared/stack-contract';

// Two configurations, each synthesized once: the default (HTTPS, region-agnostic) and a staging
// that serves plain HTTP in a fixed region, its server on port 3000.
const defaults = synthesize();
const plainHttp = synthesize(
  testConfig({
    environments: {
      staging: {
        region: 'eu-west-1',
        tls: { certificateArnParameter: undefined, allowPlainHttp: true },
        container: { port: 3000 },
      },
    },
  }),
);

const production = defaults.service.production;
const staging = defaults.service.staging;
const prodService = defaults.rollout.stages.production.serviceStack.service;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- CloudFormation JSON is untyped

function trafficRuleWeights(template: Template, canaryTraffic: string): { stable: number; canary: number } {
  const rule = resourceOf(template, prodService.trafficRule) as Json;
  const [stable, canary] = rule.Properties.Actions[0].ForwardConfig.TargetGroups as Json[];
  return {
    stable: evaluate(template, stable!.Weight, { CanaryTraffic: canaryTraffic, RollbackLatch: 'clear' }) as number,
    canary: evaluate(template, canary!.Weight, { CanaryTraffic: canaryTraffic, RollbackLatch: 'clear' }) as number,
  };
}

describe('deploy parameters (D1)', () => {
  test('CanaryTraffic is a string constrained to the integers 0 to 100, defaulting to the config', () => {
    const parameter = production.toJSON().Parameters.CanaryTraffic;
    expect(parameter).toEqual({
      Type: 'String',
      Default: '0',
      AllowedPattern: '^(100|[1-9]?[0-9])$',
      ConstraintDescription: 'CanaryTraffic must be an integer from 0 to 100',
      Description: 'Percent of requests the canary slot gets (0 to 100); stable gets the rest.',
    });
    const pattern = new RegExp(parameter.AllowedPattern);
    for (let p = 0; p <= 100; p++) expect(pattern.test(String(p))).toBe(true);
    for (const bad of ['101', '140', '010', '10.5', '-1', '', ' 10', '1e1']) expect(pattern.test(bad)).toBe(false);
  });

  test('the image tags are constrained parameters, defaulting to the initial tag', () => {
    for (const name of ['StableImageTag', 'CanaryImageTag']) {
      expect(production.toJSON().Parameters[name]).toMatchObject({
        Type: 'String',
        Default: 'latest',
        AllowedPattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$',
      });
    }
  });

  test('each slot runs the image tag of its own parameter', () => {
    const image = (slot: 'stable' | 'canary') =>
      (resourceOf(production, prodService.slots[slot].taskDefinition) as Json).Properties.ContainerDefinitions[0].Image;
    expect(JSON.stringify(image('stable'))).toContain('{"Ref":"StableImageTag"}');
    expect(JSON.stringify(image('stable'))).not.toContain('CanaryImageTag');
    expect(JSON.stringify(image('canary'))).toContain('{"Ref":"CanaryImageTag"}');
  });

  test.each([
    ['0', 100, 0],
    ['10', 90, 10],
    ['50', 50, 50],
    ['100', 0, 100],
  ])('CanaryTraffic=%s resolves to stable %d, canary %d: the canary gets exactly that share', (percent, stable, canary) => {
    const weights = trafficRuleWeights(production, percent);
    expect(weights).toEqual({ stable, canary });
    expect((100 * weights.canary) / (weights.stable + weights.canary)).toBe(Number(percent));
  });

  test('every allowed percent has weights that sum to 100', () => {
    for (let p = 0; p <= 100; p++) {
      const w = trafficRuleWeights(production, String(p));
      expect(w.stable + w.canary).toBe(100);
      expect(w.canary).toBe(p);
    }
  });
});

describe('load balancer and listeners', () => {
  test('the HTTPS listener uses a TLS 1.2+ policy and the certificate from SSM', () => {
    production.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-PQ-2025-09',
      Certificates: [{ CertificateArn: { Ref: Match.stringLikeRegexp('^SsmParameterValuemcprolloutproductioncertificatearn') } }],
    });
    const ssmParameter = Object.entries(production.toJSON().Parameters as Json).find(([id]) =>
      id.startsWith('SsmParameterValuemcprolloutproductioncertificatearn'),
    );
    expect(ssmParameter?.[1]).toEqual({
      Type: 'AWS::SSM::Parameter::Value<String>',
      Default: '/mcp-rollout/production/certificate-arn',
    });
  });

  test('HTTP on port 80 redirects permanently to HTTPS', () => {
    production.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [{ Type: 'redirect', RedirectConfig: { Port: '443', Protocol: 'HTTPS', StatusCode: 'HTTP_301' } }],
    });
    production.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 2);
  });

  test('the listener default sends everything to stable, and never changes with CanaryTraffic', () => {
    production.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      DefaultActions: [
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: { Ref: logicalIdOf(prodService.slots.stable.targetGroup) }, Weight: 1 },
              { TargetGroupArn: { Ref: logicalIdOf(prodService.slots.canary.targetGroup) }, Weight: 0 },
            ],
          },
        },
      ],
    });
  });

  test('the traffic rule matches every path ahead of the default and never uses group stickiness', () => {
    const rule = resourceOf(production, prodService.trafficRule) as Json;
    expect(rule.Properties.Priority).toBe(1);
    expect(rule.Properties.Conditions).toEqual([{ Field: 'path-pattern', PathPatternConfig: { Values: ['*'] } }]);
    expect(rule.Properties.ListenerArn).toEqual({ Ref: logicalIdOf(prodService.listener) });
    expect(rule.Properties.Actions[0].ForwardConfig.TargetGroupStickinessConfig).toEqual({ Enabled: false });
  });

  test('target groups disable stickiness and drain for 30 s', () => {
    production.resourcePropertiesCountIs(
      'AWS::ElasticLoadBalancingV2::TargetGroup',
      {
        TargetType: 'ip',
        Port: 8080,
        HealthCheckPath: '/health',
        Matcher: { HttpCode: '200' },
        TargetGroupAttributes: Match.arrayWith([
          { Key: 'deregistration_delay.timeout_seconds', Value: '30' },
          { Key: 'stickiness.enabled', Value: 'false' },
        ]),
      },
      2,
    );
  });

  test('the ALB drops invalid header fields and logs to the encrypted access-log bucket', () => {
    production.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
        { Key: 'access_logs.s3.prefix', Value: 'alb' },
      ]),
    });
    production.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: [{ Id: 'ExpireAccessLogs', Status: 'Enabled', ExpirationInDays: 365, NoncurrentVersionExpiration: { NoncurrentDays: 7 }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }, { Id: 'RemoveExpiredDeleteMarkers', Status: 'Enabled', ExpiredObjectDeleteMarker: true }],
      },
    });
    production.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  /** The access-log write statement of the region-agnostic default config, as CloudFormation resolves it. */
  function accessLogWriters(region: string, partition = 'aws'): Json {
    const policy = Object.values(production.findResources('AWS::S3::BucketPolicy'))[0] as Json;
    const bucket = policy.Properties.Bucket.Ref as string;
    const statements = evaluate(production, policy.Properties.PolicyDocument.Statement, {
      'AWS::Region': region,
      'AWS::Partition': partition,
      'AWS::AccountId': '123456789012',
      [bucket]: 'access-logs',
    }) as Json[];
    const writes = statements.filter((s) => s.Action === 's3:PutObject');
    expect(writes).toHaveLength(1);
    expect(writes[0]!.Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, '/alb/AWSLogs/', '123456789012', '/*']] });
    expect(writes[0]!.Condition).toBeUndefined();
    return writes[0]!.Principal as Json;
  }

  // ALB access logs: regions available before August 2022 write as the region's ELB account, later
  // ones as the log delivery service principal; the ELB account IDs below are the documented ones
  // (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html).
  test.each([
    ['us-east-1', '127311923021'],
    ['eu-west-1', '156460612806'],
    ['ap-southeast-2', '783225319266'],
    ['sa-east-1', '507241528517'],
    ['af-south-1', '098369216593'],
  ])('in %s, an older region, its ELB account %s may write the logs under this account\'s prefix', (region, account) => {
    expect((accessLogWriters(region).AWS as string[]).includes(`arn:aws:iam::${account}:root`)).toBe(true);
  });

  test.each(['me-central-1', 'ap-south-2', 'eu-central-2', 'ap-southeast-4', 'il-central-1', 'ca-west-1', 'mx-central-1', 'ap-southeast-7'])(
    'in %s, opened after August 2022, the log delivery service principal may write the logs, and the policy resolves',
    (region) => {
      expect(accessLogWriters(region).Service).toBe('logdelivery.elasticloadbalancing.amazonaws.com');
    },
  );

  test('the writers are the same in every region of a partition: the service principal and the ELB accounts of that partition only', () => {
    const commercial = accessLogWriters('us-east-1');
    expect(accessLogWriters('me-central-1')).toEqual(commercial);
    expect((commercial.AWS as string[]).every((arn) => /^arn:aws:iam::\d{12}:root$/.test(arn))).toBe(true);
    const govCloud = accessLogWriters('us-gov-west-1', 'aws-us-gov');
    expect(govCloud).toEqual({
      AWS: ['arn:aws-us-gov:iam::048591011584:root', 'arn:aws-us-gov:iam::190560391635:root'],
      Service: 'logdelivery.elasticloadbalancing.amazonaws.com',
    });
    expect(accessLogWriters('xx-new-1', 'aws-new-partition')).toEqual({ Service: 'logdelivery.elasticloadbalancing.amazonaws.com' });
  });

  test('with a known region, access logs are granted to that region\'s ELB account only', () => {
    plainHttp.service.staging.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 's3:PutObject',
            // eu-west-1's ELB log-delivery account.
            Principal: { AWS: 'arn:aws:iam::156460612806:root' },
          }),
        ]),
      },
    });
  });

  test('deletion protection is on in production and off in staging', () => {
    const protection = (template: Template) =>
      (Object.values(template.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'))[0] as Json).Properties.LoadBalancerAttributes.find(
        (a: Json) => a.Key === 'deletion_protection.enabled',
      ).Value;
    expect(protection(production)).toBe('true');
    expect(protection(staging)).toBe('false');
    expect(defaults.rollout.stages.production.serviceStack.terminationProtection).toBe(true);
    expect(defaults.rollout.stages.staging.serviceStack.terminationProtection).toBe(false);
  });
});

describe('security groups', () => {
  test('the ALB accepts 443 and 80 from anywhere and may only reach the tasks on the container port', () => {
    production.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'mcp-rollout production: internet-facing ALB',
      SecurityGroupIngress: [
        { CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443, IpProtocol: 'tcp', Description: 'Allow from anyone on port 443' },
        { CidrIp: '0.0.0.0/0', FromPort: 80, ToPort: 80, IpProtocol: 'tcp', Description: 'Allow from anyone on port 80' },
      ],
      SecurityGroupEgress: Match.absent(),
    });
    production.resourceCountIs('AWS::EC2::SecurityGroupEgress', 1);
    production.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^McpLoadBalancerSecurityGroup'), 'GroupId'] },
      DestinationSecurityGroupId: { 'Fn::GetAtt': [logicalIdOf(prodService.serviceSecurityGroup), 'GroupId'] },
      FromPort: 8080,
      ToPort: 8080,
      IpProtocol: 'tcp',
    });
  });

  test('tasks accept traffic only from the ALB security group, on the container port', () => {
    production.resourceCountIs('AWS::EC2::SecurityGroupIngress', 1);
    production.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [logicalIdOf(prodService.serviceSecurityGroup), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^McpLoadBalancerSecurityGroup'), 'GroupId'] },
      FromPort: 8080,
      ToPort: 8080,
      IpProtocol: 'tcp',
    });
    production.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'mcp-rollout production: MCP server tasks, reachable only from the ALB',
      SecurityGroupIngress: Match.absent(),
      SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443, IpProtocol: 'tcp', Description: 'HTTPS to AWS APIs' }],
    });
  });

  test('tasks run in private subnets without public IPs', () => {
    production.resourcePropertiesCountIs(
      'AWS::ECS::Service',
      {
        LaunchType: 'FARGATE',
        NetworkConfiguration: {
          AwsvpcConfiguration: {
            AssignPublicIp: 'DISABLED',
            Subnets: [{ Ref: Match.stringLikeRegexp('^VpcPrivateSubnet1') }, { Ref: Match.stringLikeRegexp('^VpcPrivateSubnet2') }],
          },
        },
        DeploymentConfiguration: {
          DeploymentCircuitBreaker: { Enable: true, Rollback: true },
          MinimumHealthyPercent: 100,
          MaximumPercent: 200,
        },
      },
      2,
    );
  });
});

describe('slots', () => {
  test.each(['stable', 'canary'] as const)('the %s container is told its environment, slot and metrics namespace', (slot) => {
    const taskDefinition = resourceOf(production, prodService.slots[slot].taskDefinition) as Json;
    expect(taskDefinition.Properties.ContainerDefinitions[0]).toMatchObject({
      Name: 'mcp-server',
      Essential: true,
      PortMappings: [{ ContainerPort: 8080, Protocol: 'tcp' }],
      Environment: expect.arrayContaining([
        { Name: 'MCP_ENVIRONMENT', Value: 'production' },
        { Name: 'MCP_SLOT', Value: slot },
        { Name: 'MCP_METRICS_NAMESPACE', Value: 'MCP/HierarchicalTools' },
      ]),
    });
    expect(taskDefinition.Properties).toMatchObject({ Cpu: '1024', Memory: '2048', NetworkMode: 'awsvpc' });
  });

  test.each(['stable', 'canary'] as const)('the %s container is told where to listen: PORT is the container port, HOST 0.0.0.0 (a target on loopback is out of the ALB\'s reach)', (slot) => {
    const server = (resourceOf(production, prodService.slots[slot].taskDefinition) as Json).Properties.ContainerDefinitions[0];
    expect(server.Environment).toEqual(expect.arrayContaining([{ Name: 'PORT', Value: '8080' }, { Name: 'HOST', Value: '0.0.0.0' }]));
  });

  test('a container port other than 8080 reaches the server as PORT, matching the port mapping and the target group', () => {
    const template = plainHttp.service.staging;
    const servers = Object.values(template.findResources('AWS::ECS::TaskDefinition')).map((t) => (t as Json).Properties.ContainerDefinitions[0]);
    expect(servers).toHaveLength(2);
    for (const server of servers) {
      expect(server.PortMappings).toEqual([{ ContainerPort: 3000, Protocol: 'tcp' }]);
      expect(server.Environment).toEqual(expect.arrayContaining([{ Name: 'PORT', Value: '3000' }, { Name: 'HOST', Value: '0.0.0.0' }]));
    }
    template.resourcePropertiesCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', { Port: 3000, HealthCheckPath: '/health', TargetType: 'ip' }, 2);
  });

  test('staging containers are told they are in staging', () => {
    const env = (Object.values(staging.findResources('AWS::ECS::TaskDefinition'))[0] as Json).Properties.ContainerDefinitions[0]
      .Environment;
    expect(env).toContainEqual({ Name: 'MCP_ENVIRONMENT', Value: 'staging' });
  });

  test('each slot scales on CPU between its own minimum and maximum', () => {
    production.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 3, MaxCapacity: 20 });
    production.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 20 });
    production.resourcePropertiesCountIs(
      'AWS::ApplicationAutoScaling::ScalingPolicy',
      {
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: {
          TargetValue: 60,
          PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        },
      },
      2,
    );
    expect((resourceOf(production, prodService.slots.stable.service) as Json).Properties.DesiredCount).toBe(3);
    expect((resourceOf(production, prodService.slots.canary.service) as Json).Properties.DesiredCount).toBe(2);
  });

  test('the cluster has Container Insights', () => {
    production.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
  });
});

describe('promotion order', () => {
  const rule = logicalIdOf(prodService.trafficRule);
  const stableService = logicalIdOf(prodService.slots.stable.service);
  const canaryService = logicalIdOf(prodService.slots.canary.service);
  const listener = logicalIdOf(prodService.listener);

  test('the traffic rule depends on both services, so weights change only after a service update is steady', () => {
    const dependsOnList = (resourceOf(production, prodService.trafficRule) as Json).DependsOn as string[];
    expect(dependsOnList).toEqual(expect.arrayContaining([stableService, canaryService]));
  });

  test('no service depends on the traffic rule (which would reverse the order)', () => {
    expect(dependsOn(production, stableService, rule)).toBe(false);
    expect(dependsOn(production, canaryService, rule)).toBe(false);
  });

  test('the services depend on the listener whose default attaches their target groups', () => {
    expect(dependsOn(production, stableService, listener)).toBe(true);
    expect(dependsOn(production, canaryService, listener)).toBe(true);
  });
});

describe('plain HTTP staging', () => {
  const template = plainHttp.service.staging;

  test('serves the weighted forward on port 80 with no HTTPS listener and no redirect', () => {
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [Match.objectLike({ Type: 'forward' })],
    });
  });

  test('opens only port 80 on the ALB', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'mcp-rollout staging: internet-facing ALB',
      SecurityGroupIngress: [
        { CidrIp: '0.0.0.0/0', FromPort: 80, ToPort: 80, IpProtocol: 'tcp', Description: 'Allow from anyone on port 80' },
      ],
    });
  });
});

describe('the stack contract the operator CLI reads', () => {
  test.each(['staging', 'production'] as const)('%s: stack name, cdk selector and every output the CLI needs', (env) => {
    const stack = defaults.rollout.stages[env].serviceStack;
    expect(stack.stackName).toBe(serviceStackName(env));
    expect(stack.node.path).toBe(serviceStackSelector(env));
    expect(Object.keys(defaults.service[env].toJSON().Outputs).sort()).toEqual(Object.values(SERVICE_OUTPUTS).sort());
  });

  test("the CLI's --canary-image and --traffic checks accept exactly what the template's parameters allow", () => {
    const parameters = production.toJSON().Parameters;
    expect(parameters.CanaryImageTag.AllowedPattern).toBe(IMAGE_TAG_PATTERN);
    expect(parameters.StableImageTag.AllowedPattern).toBe(IMAGE_TAG_PATTERN);
    const trafficPattern = new RegExp(parameters.CanaryTraffic.AllowedPattern);
    for (const value of ['0', '7', '10', '50', '100', '101', '010', '10.5', '-1', '1e1', '']) {
      let accepted = true;
      try {
        percentOption('traffic', value);
      } catch {
        accepted = false;
      }
      expect([value, accepted]).toEqual([value, trafficPattern.test(value)]);
    }
  });
});
