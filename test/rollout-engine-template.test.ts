/**
 * The synthesized rollout engine (the Rollout stack): the state machine's definition, states,
 * retries and the catch that rolls back, its IAM actions and resources exactly, the encrypted
 * logs, the judge function, the release history and the rules to the info topic.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import jsonata from 'jsonata';
import { rolloutDefinition, STATE_NAMES, type AslDefinition } from '../lib/constructs/private/rollout-definition';
import { parseConfig } from '../lib/config/schema';
import { SEED_THRESHOLDS } from '../lib/shared/metrics-contract';
import { ROLLOUT_ERRORS, SEED_ROLLOUT_PLAN } from '../lib/shared/rollout-contract';
import { synthesize } from './helpers/app';
import { rawTestConfig, testConfig } from './helpers/config';
import { logicalIdOf } from './helpers/template';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- CloudFormation JSON is untyped

const synthesized = synthesize(testConfig());
const stage = synthesized.rollout.stages.production;
const stack = stage.rolloutStack;
const engine = stack.engine;
const template = Template.fromStack(stack);
const resources = template.toJSON().Resources as Record<string, Json>;
const ids = {
  machine: logicalIdOf(engine.stateMachine),
  role: logicalIdOf(engine.role),
  judge: logicalIdOf(engine.judgeFunction),
  logs: logicalIdOf(engine.logGroup),
  key: logicalIdOf(engine.logKey),
};
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const ROLLBACK_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:mcp-rollout-production-rollback`;
const JUDGE_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:mcp-rollout-production-rollout-judge`;
const HISTORY = '/mcp-rollout/production/release-history';

/** Resolves the intrinsics CloudFormation would, with fixed values for this account. */
function resolve(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(resolve);
  if (!node || typeof node !== 'object') return node;
  const [key, value] = Object.entries(node)[0] as [string, any]; // eslint-disable-line @typescript-eslint/no-explicit-any -- intrinsic arguments
  switch (key) {
    case 'Fn::Join':
      return (value[1] as unknown[]).map(resolve).join(value[0]);
    case 'Ref':
      return { 'AWS::Partition': 'aws', 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT, 'AWS::URLSuffix': 'amazonaws.com' }[value as string] ?? `<Ref ${value}>`;
    case 'Fn::GetAtt':
      return value[0] === ids.judge ? JUDGE_ARN : `<GetAtt ${value.join('.')}>`;
    default:
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolve(v)]));
  }
}

const machine = resources[ids.machine]!;
const definition = JSON.parse(resolve(machine.Properties.DefinitionString) as string) as AslDefinition;
const states = definition.States as Record<string, Json>;

describe('the Rollout stack', () => {
  test('is its own stack per environment, deployed after the Service stack it updates, with no cross-stack reference either way', () => {
    expect(stack.stackName).toBe('Production-Rollout');
    expect(stack.dependencies).toEqual([stage.serviceStack]);
    expect(JSON.stringify(template.toJSON())).not.toMatch(/Fn::ImportValue|Fn::GetStackOutput/);
    expect(Object.keys(synthesized.service.production.toJSON().Outputs).filter((k) => /^(ExportsOutput|PublishOutput)/.test(k))).toEqual([]);
  });

  test('names the state machine and the judge in its outputs', () => {
    expect(Object.keys(template.toJSON().Outputs).sort()).toEqual(['JudgeFunctionName', 'StateMachineArn']);
    template.hasOutput('StateMachineArn', { Value: { Ref: ids.machine } });
  });
});

describe('the state machine', () => {
  test('is a Standard state machine, logging every event with its data to its encrypted log group', () => {
    expect(machine.Properties).toMatchObject({
      StateMachineName: 'mcp-rollout-production-rollout',
      StateMachineType: 'STANDARD',
      RoleArn: { 'Fn::GetAtt': [ids.role, 'Arn'] },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true, Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [ids.logs, 'Arn'] } } }] },
      TracingConfiguration: { Enabled: true },
    });
  });

  test('runs exactly the definition rolloutDefinition builds from the config plan (the one the run tests execute)', () => {
    expect(definition).toEqual(
      JSON.parse(
        JSON.stringify(
          rolloutDefinition({
            environment: 'production',
            plan: SEED_ROLLOUT_PLAN,
            stackName: 'Production-Service',
            latchParameterName: '/mcp-rollout/production/rollback-latch',
            historyParameterName: HISTORY,
            rollbackFunctionArn: ROLLBACK_ARN,
            judgeFunctionArn: JUDGE_ARN,
            lockTableName: 'mcp-rollout-production-rollout-lock',
          }),
        ),
      ),
    );
    expect(definition.QueryLanguage).toBe('JSONata');
  });

  test('has the seed plan as its steps, then promotion', () => {
    const starts = Object.keys(states).filter((n) => n.endsWith(': start'));
    expect(starts).toEqual([
      'Step 1 canary 10 %: start',
      'Step 2 bake 30 min: start',
      'Step 3 canary 50 %: start',
      'Step 4 bake 60 min: start',
      'Step 5 canary 100 %: start',
      'Step 6 bake 60 min: start',
      'Promote: start',
    ]);
  });

  test('is well formed: every transition has a target, every state is reachable, names fit 80 characters', () => {
    const targets = (s: Json): string[] => [
      ...(s.Next ? [s.Next] : []),
      ...(s.Default ? [s.Default] : []),
      ...((s.Choices ?? []) as Json[]).map((c) => c.Next as string),
      ...((s.Catch ?? []) as Json[]).map((c) => c.Next as string),
    ];
    for (const [name, s] of Object.entries(states)) {
      expect(name.length).toBeLessThanOrEqual(80);
      for (const t of targets(s)) expect(Object.keys(states)).toContain(t);
      if (!['Succeed', 'Fail', 'Choice'].includes(s.Type)) expect(s.Next ?? s.End).toBeDefined();
    }
    const reached = new Set<string>([definition.StartAt]);
    const queue = [definition.StartAt];
    while (queue.length > 0) for (const t of targets(states[queue.pop() as string]!)) if (!reached.has(t)) (reached.add(t), queue.push(t));
    expect([...reached].sort()).toEqual(Object.keys(states).sort());
  });

  test('every JSONata expression parses, and States.ALL is alone and last in every Retry and Catch', () => {
    const walk = (v: unknown): void => {
      if (typeof v === 'string') {
        const m = /^\{%([\s\S]*)%\}$/.exec(v);
        if (m) expect(() => jsonata(m[1] as string)).not.toThrow();
      } else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(states);
    for (const s of Object.values(states)) {
      for (const list of [s.Retry ?? [], s.Catch ?? []] as Json[][]) {
        list.forEach((entry, i) => {
          if ((entry.ErrorEquals as string[]).includes('States.ALL')) {
            expect(entry.ErrorEquals).toEqual(['States.ALL']);
            expect(i).toBe(list.length - 1);
          }
        });
      }
    }
  });

  test('changes the Service stack only with UpdateStack and the previous template, never ModifyRule', () => {
    const resourcesUsed = new Set(Object.values(states).filter((s) => s.Type === 'Task').map((s) => s.Resource as string));
    expect([...resourcesUsed].sort()).toEqual([
      'arn:aws:states:::aws-sdk:cloudformation:describeStacks',
      'arn:aws:states:::aws-sdk:cloudformation:updateStack',
      'arn:aws:states:::aws-sdk:sfn:describeExecution',
      'arn:aws:states:::aws-sdk:ssm:getParameter',
      'arn:aws:states:::aws-sdk:ssm:putParameter',
      'arn:aws:states:::dynamodb:deleteItem',
      'arn:aws:states:::dynamodb:getItem',
      'arn:aws:states:::dynamodb:putItem',
      'arn:aws:states:::events:putEvents',
      'arn:aws:states:::lambda:invoke',
    ]);
    const update = states['Step 1 canary 10 %: update stack']!;
    expect(update.Arguments).toMatch(/'UsePreviousTemplate': true/);
    expect(update.Arguments).toMatch(/'UsePreviousValue': true/);
    expect(update.Arguments).not.toMatch(/RoleARN/);
  });

  test('the catch that rolls back: every error after traffic moved goes through "On error" to the rollback function', () => {
    for (const [name, s] of Object.entries(states)) {
      if (s.Type !== 'Task' || name.endsWith('announce') || / announce /.test(name) || name.startsWith('Announce') || name.startsWith('Record') || name === STATE_NAMES.rollBack || name === STATE_NAMES.latched) continue;
      // A failed lock write is decided by reading the lock back; a failed release leaves a lock the next run takes over.
      if (name === STATE_NAMES.takeLock || name === STATE_NAMES.takeOverLock) {
        expect(s.Catch).toEqual([{ ErrorEquals: ['States.ALL'], Assign: { lockAttempts: '{% $lockAttempts + 1 %}' }, Next: STATE_NAMES.readLock }]);
        continue;
      }
      if (name.startsWith('Release the lock: ')) {
        expect(s.Catch).toEqual([{ ErrorEquals: ['States.ALL'], Next: name.slice('Release the lock: '.length) }]);
        continue;
      }
      const last = (s.Catch as Json[]).at(-1)!;
      expect([name, last.ErrorEquals]).toEqual([name, ['States.ALL']]);
      expect([STATE_NAMES.onError, expect.stringMatching(/: update refused\?$|: verdict\?$/)]).toContainEqual(last.Next);
    }
    expect(states[STATE_NAMES.onError]).toEqual({
      Type: 'Choice',
      Choices: [{ Condition: '{% $trafficMoved %}', Next: STATE_NAMES.rollBack }],
      Default: STATE_NAMES.recordFailedBeforeTraffic,
    });
    expect(states[STATE_NAMES.rollBack]).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Arguments: {
        FunctionName: ROLLBACK_ARN,
        Payload: "{% { 'action': 'rollback', 'reason': $substring('rollout: ' & $failure, 0, 1000), 'requestedBy': \"mcp-rollout-production-rollout/\" & $states.context.Execution.Name, 'dryRun': false } %}",
      },
      Next: STATE_NAMES.rollbackDone,
    });
    expect(states[STATE_NAMES.rollbackDone]).toEqual({
      Type: 'Choice',
      Choices: [{ Condition: "{% $rollback.outcome in ['rolled_back', 'already_rolled_back'] %}", Next: STATE_NAMES.recordRolledBack }],
      Default: STATE_NAMES.rollbackNotDone,
    });
    expect(states[STATE_NAMES.rolledBack]).toEqual({ Type: 'Fail', Error: ROLLOUT_ERRORS.rolledBack, Cause: '{% $substring($failure, 0, 32000) %}' });
  });

  test('retries: reads five times with backoff, Lambda service errors six times, the idempotent rollback twice more on any error, never UpdateStack', () => {
    expect(states['Step 1 canary 10 %: read stack']!.Retry).toEqual([{ ErrorEquals: ['States.ALL'], IntervalSeconds: 2, MaxAttempts: 5, BackoffRate: 2, JitterStrategy: 'FULL' }]);
    const lambdaRetry = {
      ErrorEquals: ['Lambda.ClientExecutionTimeoutException', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'],
      IntervalSeconds: 2,
      MaxAttempts: 6,
      BackoffRate: 2,
      JitterStrategy: 'FULL',
    };
    expect(states['Step 2 bake 30 min: judge']!.Retry).toEqual([lambdaRetry]);
    expect(states[STATE_NAMES.rollBack]!.Retry).toEqual([lambdaRetry, { ErrorEquals: ['States.ALL'], IntervalSeconds: 5, MaxAttempts: 2, BackoffRate: 2, JitterStrategy: 'FULL' }]);
    expect(states['Step 1 canary 10 %: update stack']!.Retry).toBeUndefined();
  });

  test('bakes wait 60 s between judgements; stack updates are read back every 20 s', () => {
    expect(states['Step 2 bake 30 min: wait a minute']).toEqual({ Type: 'Wait', Seconds: 60, Next: 'Step 2 bake 30 min: read latch' });
    expect(states['Step 1 canary 10 %: wait for the update']).toEqual({ Type: 'Wait', Seconds: 20, Next: 'Step 1 canary 10 %: read back' });
  });
});

describe('IAM, exactly', () => {
  const statements = (roleId: string) =>
    (Object.values(resources).find((r) => r.Type === 'AWS::IAM::Policy' && (r.Properties.Roles as Json[]).some((x) => x.Ref === roleId))!.Properties.PolicyDocument.Statement as Json[]).map((s) => ({
      Action: s.Action,
      Resource: resolve(s.Resource),
    }));

  test('the state machine may update exactly the Service stack, read the latch, write the history, invoke two functions, put events, use its lock and describe its own executions', () => {
    expect(statements(ids.role)).toEqual([
      { Action: ['cloudformation:DescribeStacks', 'cloudformation:UpdateStack'], Resource: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/Production-Service/*` },
      { Action: 'ssm:GetParameter', Resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/mcp-rollout/production/rollback-latch` },
      { Action: 'ssm:PutParameter', Resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${HISTORY}` }, // the State stack's release history
      { Action: 'lambda:InvokeFunction', Resource: [JUDGE_ARN, ROLLBACK_ARN] },
      { Action: 'events:PutEvents', Resource: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default` },
      { Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem'], Resource: `<GetAtt ${logicalIdOf(engine.lockTable)}.Arn>` },
      { Action: 'states:DescribeExecution', Resource: `arn:aws:states:${REGION}:${ACCOUNT}:execution:mcp-rollout-production-rollout:*` },
      {
        Action: [
          'logs:CreateLogDelivery', 'logs:DeleteLogDelivery', 'logs:DescribeLogGroups', 'logs:DescribeResourcePolicies', 'logs:GetLogDelivery', 'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:UpdateLogDelivery',
          'xray:GetSamplingRules', 'xray:GetSamplingTargets', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments',
        ],
        Resource: '*',
      },
    ]);
  });

  test('the lock table: keyed by environment, on demand, encrypted, recoverable, created before the state machine', () => {
    expect(resources[logicalIdOf(engine.lockTable)]).toMatchObject({
      Type: 'AWS::DynamoDB::GlobalTable',
      DeletionPolicy: 'Delete',
      Properties: {
        TableName: 'mcp-rollout-production-rollout-lock',
        KeySchema: [{ AttributeName: 'environment', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'environment', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        Replicas: [{ Region: { Ref: 'AWS::Region' }, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }],
      },
    });
    expect(resources[ids.machine]!.DependsOn).toContain(logicalIdOf(engine.lockTable));
    expect(definition.States[STATE_NAMES.takeLock]).toMatchObject({
      Resource: 'arn:aws:states:::dynamodb:putItem',
      Arguments: { TableName: 'mcp-rollout-production-rollout-lock', ConditionExpression: 'attribute_not_exists(#key) OR #execution = :me' },
    });
  });

  test('every end after the lock is taken is reached only through a release of the lock', () => {
    const targets = (st: Json): string[] => [st.Next, st.Default, ...((st.Choices as Json[] | undefined) ?? []).map((c) => c.Next), ...((st.Catch as Json[] | undefined) ?? []).map((c) => c.Next)].filter((x): x is string => typeof x === 'string');
    const ends = Object.entries(definition.States).filter(([, st]) => st.Type === 'Fail' || st.Type === 'Succeed').map(([name]) => name);
    const beforeTheLock = [STATE_NAMES.invalidInput, STATE_NAMES.alreadyRunning];
    expect(ends.filter((e) => !beforeTheLock.includes(e as never)).sort()).toEqual(
      [STATE_NAMES.refusedLatched, STATE_NAMES.failedBeforeTraffic, STATE_NAMES.rolledBack, STATE_NAMES.rollbackFailed, STATE_NAMES.stoppedByLatch, STATE_NAMES.promoted].sort(),
    );
    for (const end of ends.filter((e) => !beforeTheLock.includes(e as never))) {
      const from = Object.entries(definition.States).filter(([, st]) => targets(st).includes(end)).map(([name]) => name);
      expect([end, from]).toEqual([end, [`Release the lock: ${end}`]]);
    }
  });

  test('holds no iam:PassRole and no permission on the stack resources: CloudFormation uses the stack role', () => {
    const actions = statements(ids.role).flatMap((s) => [s.Action].flat() as string[]);
    expect(actions.filter((a) => /^(iam|ecs|elasticloadbalancing|appconfig):/.test(a))).toEqual([]);
  });

  test('only Step Functions of this account assumes the role', () => {
    expect(resources[ids.role]!.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'states.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } },
    ]);
  });

  test('the judge reads the stack, metrics and the alarm history, and writes its own log group', () => {
    const judgeRole = (resources[ids.judge]!.Properties.Role as Json)['Fn::GetAtt'][0] as string;
    // DescribeAlarmHistory on "*": the reader asks without AlarmName for metric and composite
    // alarms, and composite alarm history needs the permission scoped to "*" (API reference).
    expect(statements(judgeRole)).toEqual([
      { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '<GetAtt EngineJudgeLogs208DAD66.Arn>' },
      { Action: 'cloudformation:DescribeStacks', Resource: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/Production-Service/*` },
      { Action: ['cloudwatch:DescribeAlarmHistory', 'cloudwatch:DescribeAlarms', 'cloudwatch:GetMetricData'], Resource: '*' },
    ]);
  });
});

describe('logs, history, judge and events', () => {
  test('both log groups are encrypted with a rotating key that only CloudWatch Logs of this account may use for log groups', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/vendedlogs/states/mcp-rollout-production-rollout', KmsKeyId: { 'Fn::GetAtt': [ids.key, 'Arn'] }, RetentionInDays: 365 });
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/lambda/mcp-rollout-production-rollout-judge', KmsKeyId: { 'Fn::GetAtt': [ids.key, 'Arn'] } });
    const key = resources[ids.key]!.Properties;
    expect(key.EnableKeyRotation).toBe(true);
    expect(resolve(key.KeyPolicy.Statement[1])).toEqual({
      Sid: 'AllowCloudWatchLogsOfThisAccountAndRegion',
      Action: ['kms:Decrypt*', 'kms:Describe*', 'kms:Encrypt*', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
      Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:*` } },
      Effect: 'Allow',
      Principal: { Service: `logs.${REGION}.amazonaws.com` },
      Resource: '*',
    });
  });

  test('writes to the release history of the State stack and creates none of its own', () => {
    template.resourceCountIs('AWS::SSM::Parameter', 0);
    Template.fromStack(stage.stateStack).hasResourceProperties('AWS::SSM::Parameter', { Name: HISTORY, Type: 'String', Value: 'none' });
  });

  test('the judge runs on Node.js 24 on ARM64 with the environment KPI table', () => {
    const fn = resources[ids.judge]!.Properties;
    expect(fn).toMatchObject({ FunctionName: 'mcp-rollout-production-rollout-judge', Runtime: 'nodejs24.x', Architectures: ['arm64'], Timeout: 30 });
    expect(fn.Environment.Variables).toMatchObject({ MCP_ENVIRONMENT: 'production', SERVICE_STACK_NAME: 'Production-Service', MINIMUM_SAMPLES_PER_MINUTE: '10' });
    expect(JSON.parse(fn.Environment.Variables.KPI_THRESHOLDS)).toEqual(SEED_THRESHOLDS);
  });

  const infoTopic = `arn:aws:sns:${REGION}:${ACCOUNT}:mcp-rollout-production-info`;
  const targetsOf = (detailType: string) =>
    (Object.values(resources).find((r) => r.Type === 'AWS::Events::Rule' && r.Properties.EventPattern['detail-type'][0] === detailType)!.Properties.Targets as Json[]).map((t) => resolve(t.Arn));

  test('execution status changes of this state machine reach the info topic', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.states'], 'detail-type': ['Step Functions Execution Status Change'], detail: { stateMachineArn: [{ Ref: ids.machine }] } },
    });
    expect(targetsOf('Step Functions Execution Status Change')).toEqual([infoTopic]);
  });

  test('step and result events of this environment reach the info topic', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['mcp-rollout'], 'detail-type': ['rollout_step', 'rollout_finished'], detail: { environment: ['production'] } },
    });
    expect(targetsOf('rollout_step')).toEqual([infoTopic]);
    expect(targetsOf('rollout_approval_requested')).toEqual([infoTopic]);
  });

  test('approval requests reach the info topic without their task token', () => {
    const rule = Object.values(resources).find((r) => r.Type === 'AWS::Events::Rule' && r.Properties.EventPattern['detail-type']?.[0] === 'rollout_approval_requested')!;
    const transformer = rule.Properties.Targets[0].InputTransformer;
    expect(Object.values(transformer.InputPathsMap)).not.toContain('$.detail');
    expect(JSON.stringify(transformer)).not.toMatch(/taskToken/);
  });

  test('the info topic lets EventBridge publish (the SNS target grants it in the Service stack)', () => {
    synthesized.service.production.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'sns:Publish', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' } })]) },
    });
  });
});

describe('the plan in the config', () => {
  const plan = (rollout: unknown) => () => parseConfig(rawTestConfig({ environments: { production: { rollout } } } as never));

  test('defaults to the seed plan', () => {
    expect(testConfig().environments.production.rollout).toEqual({ ...SEED_ROLLOUT_PLAN, tracing: true });
  });

  test.each([
    [{ steps: [] }, 'environments.production.rollout.steps: must have at least one weight step and one bake, got none'],
    [{ steps: [{ type: 'bake', minutes: 5 }] }, 'environments.production.rollout.steps.0.type: must be "weight" (the first step sets the canary image and its traffic), got "bake"'],
    [{ steps: [{ type: 'weight', canaryPercent: 10 }, { type: 'weight', canaryPercent: 100 }, { type: 'bake', minutes: 5 }] }, 'environments.production.rollout.steps.1: a bake must follow the weight step 0 before traffic changes again (every weight is judged)'],
    [{ steps: [{ type: 'weight', canaryPercent: 50 }, { type: 'bake', minutes: 5 }, { type: 'weight', canaryPercent: 10 }, { type: 'bake', minutes: 5 }] }, 'environments.production.rollout.steps.2.canaryPercent: must be above the previous weight (50), got 10'],
    [{ steps: [{ type: 'weight', canaryPercent: 10 }, { type: 'bake', minutes: 5 }] }, 'environments.production.rollout.steps: the last weight step must be 100 (promotion follows full traffic), got 10'],
    [{ steps: [{ type: 'weight', canaryPercent: 100 }] }, 'environments.production.rollout.steps.0: a bake must follow the last weight step before promotion (every weight is judged)'],
    [{ steps: [{ type: 'weight', canaryPercent: 140 }] }, 'environments.production.rollout.steps.0.canaryPercent: must be an integer from 1 to 100, got 140'],
    [{ steps: [{ type: 'pause', minutes: 5 }] }, 'environments.production.rollout.steps.0.type: must be one of "weight", "bake", "approval", got "pause"'],
    [
      { steps: [{ type: 'weight', canaryPercent: 100 }, { type: 'bake', minutes: 1000, judge: { holdMinutes: 600 } }] },
      'environments.production.rollout.steps: a run could write 29,140 execution history events (16 a bake or hold minute, 12 every 5 minutes of approval, 27 a minute of stack update timeout), more than the 25,000 a Standard execution keeps: shorten the bakes, holds or approval timeouts',
    ],
    [
      { steps: [{ type: 'weight', canaryPercent: 10 }, { type: 'bake', minutes: 30 }, { type: 'approval', timeoutMinutes: 10080 }, { type: 'weight', canaryPercent: 100 }, { type: 'bake', minutes: 30 }] },
      'environments.production.rollout.steps: a run could write 31,422 execution history events',
    ],
    [{ stackUpdateTimeoutMinutes: 2 }, 'environments.production.rollout.stackUpdateTimeoutMinutes: must be an integer from 5 to 360, got 2'],
  ])('refuses %j: %s', (rollout, message) => {
    expect(plan(rollout)).toThrow(message);
  });

  test('accepts an approval step, with a default timeout of a day', () => {
    const parsed = plan({ steps: [{ type: 'weight', canaryPercent: 10 }, { type: 'bake', minutes: 30 }, { type: 'approval' }, { type: 'weight', canaryPercent: 100 }, { type: 'bake', minutes: 30 }] })();
    expect(parsed.environments.production.rollout.steps[2]).toEqual({ type: 'approval', timeoutMinutes: 1440 });
    expect(parsed.environments.production.rollout.steps[1]).toEqual({ type: 'bake', minutes: 30, judge: { holdMinutes: 30 } });
  });
});
