/**
 * The release history's one home: record format, reading back, the writer's refusal to fail the
 * operation it records, the undo target, and the State stack resource with its grants.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { PutParameterCommand, SSMClient, SSMServiceException } from '@aws-sdk/client-ssm';
import { ReleaseHistory } from '../lib/constructs/release-history';
import {
  appendReleaseRecord,
  MAX_RECORD_LENGTH,
  parseRecord,
  readReleaseHistory,
  serializeRecord,
  undoTarget,
  type GateRecord,
  type HistoryEntry,
  type ReleaseRecord,
} from '../lib/shared/release-history';
import { StateStack } from '../lib/stacks/state-stack';
import { mocks, resetMocks } from './helpers/cli';
import { OperatorWorld } from './fakes/operator-world';

const HISTORY = '/mcp-rollout/production/release-history';
const ssm = new SSMClient({ region: 'eu-west-1' });
const base = { environment: 'production' as const, time: '2026-11-24T10:00:00.000Z', by: 'alice' };
const gate = (reasons: string[]): GateRecord => ({ kind: 'gate', ...base, verdict: 'fail', canaryPercent: 10, windowMinutes: 30, reasons });

beforeEach(resetMocks);

describe('records', () => {
  test('a record is its JSON when it fits', () => {
    const record: ReleaseRecord = { kind: 'resume', ...base, rollback: { by: 'x', reason: 'y' }, images: { stable: 'a', canary: 'b' } };
    expect(serializeRecord(record)).toBe(JSON.stringify(record));
  });

  test('free text is shortened to fit a standard parameter (4096 characters), the facts are kept', () => {
    const value = serializeRecord(gate(Array.from({ length: 40 }, (_, i) => `${i} ${'x'.repeat(400)}`)));
    expect(value.length).toBeLessThanOrEqual(MAX_RECORD_LENGTH);
    const parsed = JSON.parse(value) as GateRecord;
    expect(parsed.reasons).toHaveLength(5);
    expect(parsed.reasons[0]).toHaveLength(300);
    expect(parsed).toMatchObject({ verdict: 'fail', canaryPercent: 10, by: 'alice' });
  });

  test.each([
    ['none', 'empty'],
    ['not json', 'unknown'],
    ['[1,2]', 'unknown'],
    [JSON.stringify({ kind: 'deploy', ...base }), 'deploy'],
    [JSON.stringify({ kind: 'launch', ...base }), 'unknown'],
    [JSON.stringify({ kind: 'deploy', environment: 'production' }), 'unknown'],
    [JSON.stringify({ execution: 'arn:...:r-1', outcome: 'promoted', canaryImage: 'v2', environment: 'production', requestedBy: 'p', startedAt: 'a', endedAt: 'b', detail: 'd' }), 'rollout'],
    [JSON.stringify({ execution: 'arn:...:r-1', outcome: 'exploded', canaryImage: 'v2' }), 'unknown'],
  ])('%s reads as %s', (value, kind) => {
    expect(parseRecord(value).kind).toBe(kind);
  });
});

describe('appendReleaseRecord', () => {
  const record: ReleaseRecord = { kind: 'resume', ...base, rollback: { by: 'x', reason: 'y' }, images: { stable: 'a', canary: 'b' } };

  test('writes one new version with exactly the record, after checking the parameter exists', async () => {
    const world = new OperatorWorld().install();
    await expect(appendReleaseRecord(ssm, record)).resolves.toEqual({ written: true, version: 2 });
    expect(mocks.ssm.calls().map((c) => [c.args[0].constructor.name, c.args[0].input])).toEqual([
      ['GetParameterCommand', { Name: HISTORY }],
      ['PutParameterCommand', { Name: HISTORY, Value: JSON.stringify(record), Type: 'String', Overwrite: true }],
    ]);
    expect(world.historyValues()).toEqual([JSON.stringify(record)]);
  });

  test.each([
    ['AccessDeniedException', 'User: arn:aws:sts::123456789012:assumed-role/oncall/alice is not authorized to perform: ssm:PutParameter'],
    ['ThrottlingException', 'Rate exceeded'],
  ])('never throws: %s becomes a reason to warn with', async (name, message) => {
    new OperatorWorld().install();
    mocks.ssm.on(PutParameterCommand).rejects(new SSMServiceException({ name, message, $fault: 'client', $metadata: {} }));
    await expect(appendReleaseRecord(ssm, record)).resolves.toEqual({ written: false, reason: `could not write ${HISTORY} (ssm:PutParameter): ${name}: ${message}` });
  });

  test('reads every version back, oldest first, without the empty start value, with who wrote it', async () => {
    new OperatorWorld({ history: [JSON.stringify(record)] }).install();
    const history = await readReleaseHistory(ssm, 'production');
    expect(history.exists).toBe(true);
    expect(history.entries.map((e) => [e.version, e.kind, e.identity])).toEqual([[2, 'resume', 'arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role']]);
  });
});

describe('undoTarget', () => {
  let version = 0;
  const entry = (value: string): HistoryEntry => {
    const { kind, record } = parseRecord(value);
    return { version: ++version, kind: kind as HistoryEntry['kind'], ...(record ? { record } : {}), raw: value };
  };
  const change = (kind: 'promote' | 'undo', from: string, to: string, outcome = 'done') =>
    entry(JSON.stringify({ kind, ...base, outcome, images: { stable: outcome === 'done' ? to : from, canary: to }, previousStableImage: from }));

  test.each([
    ['the promotion that brought the current image', [change('promote', 'v1', 'v2')], 'v2', { found: true, image: 'v1' }],
    ['the newest of several promotions', [change('promote', 'v1', 'v2'), change('promote', 'v2', 'v3')], 'v3', { found: true, image: 'v2' }],
    ['not a failed promotion', [change('promote', 'v1', 'v2'), change('promote', 'v2', 'v3', 'failed')], 'v2', { found: true, image: 'v1' }],
    ['nothing recorded', [], 'v2', { found: false, why: 'no-record' }],
    ['stable changed outside the tool', [change('promote', 'v1', 'v2')], 'v9', { found: false, why: 'changed-elsewhere' }],
    ['after an undo: never forward, the next one back suggested', [change('promote', 'v1', 'v2'), change('promote', 'v2', 'v3'), change('undo', 'v3', 'v2')], 'v2', { found: false, why: 'already-undone', further: 'v1' }],
  ])('%s', (_name, entries, current, expected) => {
    expect(undoTarget(entries, current)).toMatchObject(expected);
  });
});

describe('the State stack resource', () => {
  const app = new App();
  const state = new StateStack(app, 'State', { environmentName: 'production', logRetention: logs.RetentionDays.ONE_MONTH });
  const other = new Stack(app, 'Other');
  const role = new iam.Role(other, 'Writer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  ReleaseHistory.grantAppend(role, other, 'production');
  ReleaseHistory.grantRead(role, other, 'production');
  const template = Template.fromStack(state);

  test('one standard String parameter named by names.ts, starting at "none", beside the latch', () => {
    // The latch is created by a create-only custom resource, so the history is the one AWS::SSM::Parameter.
    template.resourceCountIs('AWS::SSM::Parameter', 1);
    template.hasResourceProperties('AWS::SSM::Parameter', { Name: HISTORY, Type: 'String', Value: 'none', Tier: 'Standard' });
    expect(state.releaseHistory.parameter.parameterName).toBeDefined();
  });

  test('writers get GetParameter and PutParameter, readers GetParameterHistory, on that parameter only', () => {
    const arn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':parameter/mcp-rollout/production/release-history']] };
    Template.fromStack(other).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayEquals([
          { Action: ['ssm:GetParameter', 'ssm:PutParameter'], Effect: 'Allow', Resource: arn },
          { Action: 'ssm:GetParameterHistory', Effect: 'Allow', Resource: arn },
        ]),
      },
    });
  });
});
