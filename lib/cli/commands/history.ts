/**
 * `history`: the release history, newest first: who deployed which image tags when, the weights,
 * the gate verdicts, rollbacks, resumes, undos and rollouts (lib/shared/release-history.ts).
 * Read-only.
 */
import {
  RELEASE_HISTORY_MAX_RECORDS,
  readReleaseHistory,
  type HistoryEntry,
  type ReleaseRecord,
  type RolloutRecord,
} from '../../shared/release-history';
import { stateStackSelector } from '../../shared/stack-contract';
import type { EnvironmentCommand } from '../command';
import type { CommandContext } from '../context';
import { EXIT_CODES, UsageError } from '../errors';
import { aws } from '../live-state';
import { stringOption } from '../option-values';
import { table, type CommandResult } from '../output';

export const historyCommand: EnvironmentCommand = {
  name: 'history',
  scope: 'environment',
  usage: 'history --environment <name> [--limit <count>]',
  summary: 'the release history: deploys, gates, promotions, undos, rollbacks, resumes and rollouts, newest first',
  options: {
    limit: { type: 'string', value: '<count>', help: `how many records, newest first, 1 to ${RELEASE_HISTORY_MAX_RECORDS} (default 20)` },
  },
  run: (ctx, { options }) => history(ctx, options),
};

const DEFAULT_LIMIT = 20;

export async function history(ctx: CommandContext, options: Readonly<Record<string, string | boolean | undefined>>): Promise<CommandResult> {
  const limitText = stringOption(options, 'limit');
  const limit = limitText === undefined ? DEFAULT_LIMIT : Number(limitText);
  if (limitText !== undefined && (!/^\d{1,3}$/.test(limitText) || limit < 1 || limit > RELEASE_HISTORY_MAX_RECORDS)) {
    throw new UsageError(`--limit must be a whole number from 1 to ${RELEASE_HISTORY_MAX_RECORDS}, got ${JSON.stringify(limitText)}`);
  }
  const stored = await aws('reading the release history (ssm:GetParameterHistory)', () => readReleaseHistory(ctx.clients.ssm, ctx.environment));
  if (!stored.exists) {
    return {
      exitCode: EXIT_CODES.ok,
      summary: [
        `No release history for ${ctx.environment}: ${stored.parameterName} does not exist.`,
        `The State stack creates it: npx cdk deploy ${stateStackSelector(ctx.environment)}`,
      ],
      data: { parameterName: stored.parameterName, exists: false, records: [] },
    };
  }
  const newest = [...stored.entries].reverse().slice(0, limit);
  const rows = newest.map(row);
  const summary =
    newest.length === 0
      ? [`No release recorded in ${ctx.environment} yet (${stored.parameterName}).`]
      : [
          ...table([['#', 'time', 'what', 'by', 'stable', 'canary', 'traffic', 'result'], ...rows.map((r) => [r.version, r.time, r.what, r.by, r.stable, r.canary, r.traffic, r.result])]),
          '',
          `${newest.length} of ${stored.entries.length} record(s), newest first. SSM keeps the last ${RELEASE_HISTORY_MAX_RECORDS} versions of ${stored.parameterName}: older records are gone.`,
        ];
  return {
    exitCode: EXIT_CODES.ok,
    summary,
    data: {
      parameterName: stored.parameterName,
      exists: true,
      records: newest.map((e) => ({
        version: e.version,
        kind: e.kind,
        ...(e.storedAt ? { storedAt: e.storedAt.toISOString() } : {}),
        ...(e.identity ? { identity: e.identity } : {}),
        ...(e.record ? { record: e.record } : { raw: e.raw }),
      })),
    },
  };
}

interface Row {
  readonly version: string;
  readonly time: string;
  readonly what: string;
  readonly by: string;
  readonly stable: string;
  readonly canary: string;
  readonly traffic: string;
  readonly result: string;
}

const shorten = (text: string, max = 80) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
/** `2026-11-24 10:00:00Z`: sortable and short. */
const when = (iso: string | undefined) => (iso ? iso.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z') : '?');

function row(entry: HistoryEntry): Row {
  const base = { version: String(entry.version), time: when(entry.storedAt?.toISOString()), by: entry.identity ?? '?', stable: '', canary: '', traffic: '' };
  if (!entry.record) return { ...base, what: 'unknown', result: shorten(`not a record of this tool: ${entry.raw}`) };
  if (entry.kind === 'rollout') {
    const r = entry.record as RolloutRecord;
    return {
      ...base,
      time: when(r.endedAt),
      what: 'rollout',
      by: r.requestedBy,
      stable: r.outcome === 'promoted' ? `${r.previousStableImage ?? '?'} -> ${r.canaryImage}` : (r.previousStableImage ?? ''),
      canary: r.canaryImage,
      result: shorten(`${r.outcome}: ${r.detail}`),
    };
  }
  const r = entry.record as ReleaseRecord;
  const common = { ...base, time: when(r.time), what: r.kind, by: r.by };
  switch (r.kind) {
    case 'deploy':
      return {
        ...common,
        stable: r.images.stable,
        canary: r.images.canary,
        traffic: r.canaryPercent.from === r.canaryPercent.to ? `${r.canaryPercent.to} %` : `${r.canaryPercent.from} -> ${r.canaryPercent.to} %`,
        result: shorten(r.outcome === 'done' ? `done${r.template === 'local' ? ' (local template)' : ''}${r.weights ? `, weights ${r.weights.stable}/${r.weights.canary}` : ''}` : `failed: ${r.detail ?? ''}`),
      };
    case 'promote':
    case 'undo':
      return {
        ...common,
        stable: r.outcome === 'done' ? `${r.previousStableImage} -> ${r.images.stable}` : r.images.stable,
        canary: r.images.canary,
        traffic: r.weights ? `${r.weights.canary} %` : '',
        result: shorten(r.outcome === 'done' ? `done${r.kind === 'undo' && r.reason ? `: ${r.reason}` : ''}` : `failed: ${r.detail ?? ''}`),
      };
    case 'gate':
      return {
        ...common,
        stable: r.images?.stable ?? '',
        canary: r.images?.canary ?? '',
        traffic: `${r.canaryPercent} %`,
        result: shorten(
          `${r.verdict}${r.canarySuccessPercent !== undefined ? ` (${r.canarySuccessPercent.toFixed(1)} % of ${r.canaryCalls ?? 0} calls, ${r.windowMinutes} min)` : ''}${r.reasons.length > 0 ? `: ${r.reasons[0]}` : ''}`,
        ),
      };
    case 'rollback':
      return {
        ...common,
        traffic: r.weightsAfter ? `${r.weightsBefore?.canary ?? '?'} -> ${r.weightsAfter.canary} %` : '',
        result: shorten(`${r.outcome} (${r.trigger.kind} ${r.trigger.name}): ${r.trigger.reason}`),
      };
    case 'resume':
      return { ...common, stable: r.images.stable, canary: r.images.canary, traffic: '0 %', result: shorten(`latch cleared (rollback by ${r.rollback.by}: ${r.rollback.reason})`) };
  }
}
