/**
 * The release history of an environment: who deployed which image tags when, with what weights,
 * the gate verdicts, rollbacks, resumes, undos and rollouts. Its one home: the record kinds, the
 * writer every writer uses (the CLI commands, the rollback function, the rollout engine's summary
 * shape) and the reader behind `mcp-rollout history` and `undo`.
 *
 * Storage: the version history of one SSM String parameter, `/mcp-rollout/<env>/release-history`
 * (names.ts), created by the State stack. Each record is one PutParameter, so one version:
 * - appending never reads and rewrites a document, so two writers at once cannot lose a record;
 * - SSM keeps who wrote each version (`LastModifiedUser`, the caller's IAM ARN) and when;
 * - SSM keeps up to 100 versions and removes the oldest when a new one is created, unless the
 *   oldest carries a label: then the new version fails with ParameterMaxVersionLimitExceeded
 *   (https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-versions.html).
 *   The history is therefore the last 100 records, and each
 *   record carries the whole state it produced (both image tags, the weights), so the newest ones
 *   are enough to undo a promotion;
 * - a standard parameter's value is at most 4 KB (https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html):
 *   serializeRecord shortens the free text to fit;
 * - GetParameterHistory returns at most 50 versions per page, oldest first
 *   (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameterHistory.html).
 *
 * A failed history write never fails or undoes the operation it records: appendReleaseRecord
 * never throws; it says why it could not write, and its caller warns and goes on.
 *
 * Pure TypeScript (DESIGN.md D4): the rollback Lambda and the CLI import it without aws-cdk-lib.
 */
import { GetParameterCommand, GetParameterHistoryCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { describeError } from './aws-errors';
import type { EnvironmentName } from './environment-names';
import { releaseHistoryParameterName } from './names';
import { stateStackSelector } from './stack-contract';

export { releaseHistoryParameterName } from './names';

/** The value the parameter starts with (the State stack creates it so): no record. */
export const RELEASE_HISTORY_EMPTY = 'none';

/** SSM keeps this many versions of a parameter (see above). */
export const RELEASE_HISTORY_MAX_RECORDS = 100;

/** A standard SSM parameter's value holds at most 4096 characters. */
export const MAX_RECORD_LENGTH = 4096;

export interface ImageTags {
  readonly stable: string;
  readonly canary: string;
}

export interface SlotWeights {
  readonly stable: number;
  readonly canary: number;
}

/** What every record written by this module carries. */
interface RecordBase {
  readonly environment: EnvironmentName;
  /** ISO 8601: when the operation ended. */
  readonly time: string;
  /** Who asked: a person (MCP_ROLLOUT_USER or the OS user), an alarm name, an execution. */
  readonly by: string;
}

/** How a change ended: applied, or failed (CloudFormation rolled it back, or it never started). */
export type ChangeOutcome = 'done' | 'failed';

/** `deploy`: a canary phase (traffic and, perhaps, a new canary image). */
export interface DeployRecord extends RecordBase {
  readonly kind: 'deploy';
  readonly outcome: ChangeOutcome;
  /** Both image tags after the deploy (before it, when it failed). */
  readonly images: ImageTags;
  readonly canaryPercent: { readonly from: number; readonly to: number };
  /** Live weights read back after the deploy. */
  readonly weights?: SlotWeights;
  /** `previous`: parameters only; `local`: the operator's synthesized template, approved by its digest. */
  readonly template: 'previous' | 'local';
  readonly detail?: string;
}

/** `promote` (the canary's image becomes stable's) and `undo` (stable's previous image comes back). */
export interface StableChangeRecord extends RecordBase {
  readonly kind: 'promote' | 'undo';
  readonly outcome: ChangeOutcome;
  /** Both image tags after the change (before it, when it failed). */
  readonly images: ImageTags;
  /** The stable image the change replaced. */
  readonly previousStableImage: string;
  readonly weights?: SlotWeights;
  /** undo: why. */
  readonly reason?: string;
  readonly detail?: string;
}

/** `gate`: a verdict on a bake. */
export interface GateRecord extends RecordBase {
  readonly kind: 'gate';
  readonly verdict: 'pass' | 'fail' | 'inconclusive';
  readonly canaryPercent: number;
  /** Both image tags when the verdict was given (absent when they could not be read). */
  readonly images?: ImageTags;
  readonly windowMinutes: number;
  /** The canary's LLM success rate over the window, when there were calls. */
  readonly canarySuccessPercent?: number;
  readonly canaryCalls?: number;
  readonly reasons: readonly string[];
}

/** A rollback by the rollback function, whatever asked for it (alarm, engine, CLI, console). */
export interface RollbackRecord extends RecordBase {
  readonly kind: 'rollback';
  readonly outcome: 'rolled_back' | 'already_rolled_back' | 'failed';
  readonly trigger: { readonly kind: 'alarm' | 'manual'; readonly name: string; readonly reason: string };
  readonly weightsBefore?: SlotWeights;
  readonly weightsAfter?: SlotWeights;
  readonly detail?: string;
}

/** `resume`: the latch cleared after a rollback. */
export interface ResumeRecord extends RecordBase {
  readonly kind: 'resume';
  /** The rollback it ended: who or which alarm set the latch, and why. */
  readonly rollback: { readonly by: string; readonly reason: string };
  /** Both image tags when the environment resumed (the canary at 0 %). */
  readonly images: ImageTags;
}

/**
 * The summary a rollout writes when it ends (the rollout engine, DESIGN.md D8). The engine writes
 * it as it is, without a `kind`; the reader knows it by its fields.
 */
export interface ReleaseSummary {
  readonly execution: string;
  readonly environment: EnvironmentName;
  readonly outcome: 'promoted' | 'rolled_back' | 'stopped_by_latch' | 'failed';
  readonly canaryImage: string;
  readonly previousStableImage?: string;
  readonly requestedBy: string;
  readonly startedAt: string;
  readonly endedAt: string;
  /** Why it ended that way: the judge's reasons, the error, or "promoted". */
  readonly detail: string;
}

export type RolloutRecord = ReleaseSummary & { readonly kind?: 'rollout' };

/** Every record this module writes (the engine's summary is read, see ReleaseSummary). */
export type ReleaseRecord = DeployRecord | StableChangeRecord | GateRecord | RollbackRecord | ResumeRecord;

export type HistoryKind = ReleaseRecord['kind'] | 'rollout';

/** One version of the parameter, read back. */
export interface HistoryEntry {
  /** The parameter version (1, 2, ...): increases with every record. */
  readonly version: number;
  readonly kind: HistoryKind | 'unknown';
  /** When SSM stored it (LastModifiedDate). */
  readonly storedAt?: Date;
  /** The IAM identity that wrote it (LastModifiedUser): who really called, whatever `by` says. */
  readonly identity?: string;
  /** The record; for `unknown`, absent (the raw value is kept). */
  readonly record?: ReleaseRecord | RolloutRecord;
  readonly raw: string;
}

const TEXT_FIELDS = ['detail', 'reason'] as const;

/**
 * The record as the parameter's value: JSON, at most 4096 characters. Free text is shortened to
 * fit (gate reasons, details, reasons), never the facts (images, weights, who, when).
 */
export function serializeRecord(record: ReleaseRecord): string {
  let value = JSON.stringify(record);
  if (value.length <= MAX_RECORD_LENGTH) return value;
  const shortened: Record<string, unknown> = { ...record };
  for (const field of TEXT_FIELDS) {
    if (typeof shortened[field] === 'string') shortened[field] = (shortened[field] as string).slice(0, 500);
  }
  if (record.kind === 'gate') shortened.reasons = record.reasons.slice(0, 5).map((r) => r.slice(0, 300));
  if (record.kind === 'rollback') shortened.trigger = { ...record.trigger, reason: record.trigger.reason.slice(0, 500) };
  if (record.kind === 'resume') shortened.rollback = { ...record.rollback, reason: record.rollback.reason.slice(0, 500) };
  shortened.by = record.by.slice(0, 256);
  value = JSON.stringify(shortened);
  if (value.length > MAX_RECORD_LENGTH) throw new Error(`a release record must fit in ${MAX_RECORD_LENGTH} characters, got ${value.length}`);
  return value;
}

const KINDS: readonly HistoryKind[] = ['deploy', 'promote', 'undo', 'gate', 'rollback', 'resume', 'rollout'];
const ROLLOUT_OUTCOMES: readonly string[] = ['promoted', 'rolled_back', 'stopped_by_latch', 'failed'];

/** A value read back: one of the kinds, the engine's summary (no kind), the empty start value, or unknown. */
export function parseRecord(value: string): { kind: HistoryKind | 'unknown' | 'empty'; record?: ReleaseRecord | RolloutRecord } {
  if (value === RELEASE_HISTORY_EMPTY) return { kind: 'empty' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return { kind: 'unknown' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { kind: 'unknown' };
  const o = parsed as Record<string, unknown>;
  if (o.kind === undefined || o.kind === 'rollout') {
    const isSummary = typeof o.execution === 'string' && typeof o.canaryImage === 'string' && typeof o.outcome === 'string' && ROLLOUT_OUTCOMES.includes(o.outcome);
    return isSummary ? { kind: 'rollout', record: o as unknown as RolloutRecord } : { kind: 'unknown' };
  }
  if (typeof o.kind !== 'string' || !KINDS.includes(o.kind as HistoryKind) || typeof o.time !== 'string' || typeof o.by !== 'string') return { kind: 'unknown' };
  return { kind: o.kind as HistoryKind, record: o as unknown as ReleaseRecord };
}

export type AppendResult = { readonly written: true; readonly version: number } | { readonly written: false; readonly reason: string };

export interface AppendOptions {
  /** The caller's abort signal (Ctrl-C in the CLI). */
  readonly abortSignal?: AbortSignal;
}

/**
 * Appends one record. Never throws: a history that cannot be written must not fail the operation
 * it records, so the answer says why and the caller warns.
 *
 * It first checks that the parameter exists: PutParameter would otherwise create it outside the
 * State stack, whose next deploy would then fail on a parameter that already exists.
 */
export async function appendReleaseRecord(ssm: SSMClient, record: ReleaseRecord, options: AppendOptions = {}): Promise<AppendResult> {
  const name = releaseHistoryParameterName(record.environment);
  const send = { abortSignal: options.abortSignal };
  let value: string;
  try {
    value = serializeRecord(record);
  } catch (error) {
    return { written: false, reason: describeError(error) };
  }
  try {
    await ssm.send(new GetParameterCommand({ Name: name }), send);
  } catch (error) {
    if (error instanceof Error && error.name === 'ParameterNotFound') {
      return {
        written: false,
        reason: `the release history parameter ${name} does not exist: deploy the State stack, which creates it (npx cdk deploy ${stateStackSelector(record.environment)})`,
      };
    }
    return { written: false, reason: `could not read ${name} (ssm:GetParameter): ${describeError(error)}` };
  }
  try {
    const result = await ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: true }), send);
    return { written: true, version: result.Version ?? 0 };
  } catch (error) {
    if (error instanceof Error && error.name === 'ParameterMaxVersionLimitExceeded') {
      return {
        written: false,
        reason: `${name} holds ${RELEASE_HISTORY_MAX_RECORDS} versions and the oldest has a label, so SSM keeps it and refuses a new one: remove the label (aws ssm unlabel-parameter-version) so the oldest record can go`,
      };
    }
    return { written: false, reason: `could not write ${name} (ssm:PutParameter): ${describeError(error)}` };
  }
}

export interface ReleaseHistory {
  readonly parameterName: string;
  /** Oldest first, as SSM returns them; the empty start value is left out. */
  readonly entries: readonly HistoryEntry[];
  /** False when the parameter does not exist (the State stack predates the history). */
  readonly exists: boolean;
}

/** Reads every stored version (at most 100, two pages of 50). Errors are the caller's to explain. */
export async function readReleaseHistory(ssm: SSMClient, environment: EnvironmentName, options: AppendOptions = {}): Promise<ReleaseHistory> {
  const name = releaseHistoryParameterName(environment);
  const entries: HistoryEntry[] = [];
  let nextToken: string | undefined;
  try {
    do {
      const page = await ssm.send(
        new GetParameterHistoryCommand({ Name: name, MaxResults: 50, ...(nextToken ? { NextToken: nextToken } : {}) }),
        { abortSignal: options.abortSignal },
      );
      for (const p of page.Parameters ?? []) {
        const raw = p.Value ?? '';
        const { kind, record } = parseRecord(raw);
        if (kind === 'empty') continue;
        entries.push({
          version: p.Version ?? 0,
          kind,
          ...(p.LastModifiedDate ? { storedAt: p.LastModifiedDate } : {}),
          ...(p.LastModifiedUser ? { identity: p.LastModifiedUser } : {}),
          ...(record ? { record } : {}),
          raw,
        });
      }
      nextToken = page.NextToken || undefined;
    } while (nextToken);
  } catch (error) {
    if (error instanceof Error && error.name === 'ParameterNotFound') return { parameterName: name, entries: [], exists: false };
    throw error;
  }
  entries.sort((a, b) => a.version - b.version);
  return { parameterName: name, entries, exists: true };
}

// ---------------------------------------------------------------------------------------------
// Reading the records back as a release timeline

/** A change of stable's image: a promotion (by hand or by a rollout) or an undo. */
export interface StableChange {
  readonly version: number;
  readonly how: 'promote' | 'rollout' | 'undo';
  readonly from?: string;
  readonly to: string;
  readonly by: string;
  readonly time: string;
}

/** The stable image changes the history records, oldest first (failed ones left out). */
function stableChanges(entries: readonly HistoryEntry[]): StableChange[] {
  const changes: StableChange[] = [];
  for (const e of entries) {
    const r = e.record;
    if (!r) continue;
    if (e.kind === 'rollout') {
      const s = r as RolloutRecord;
      if (s.outcome === 'promoted') {
        changes.push({ version: e.version, how: 'rollout', ...(s.previousStableImage ? { from: s.previousStableImage } : {}), to: s.canaryImage, by: s.requestedBy, time: s.endedAt });
      }
    } else if ((r as ReleaseRecord).kind === 'promote' || (r as ReleaseRecord).kind === 'undo') {
      const s = r as StableChangeRecord;
      if (s.outcome === 'done' && s.previousStableImage !== s.images.stable) {
        changes.push({ version: e.version, how: s.kind, from: s.previousStableImage, to: s.images.stable, by: s.by, time: s.time });
      }
    }
  }
  return changes;
}

export type UndoTarget =
  | { readonly found: true; readonly image: string; readonly promotion: StableChange }
  | { readonly found: false; readonly why: 'no-record' | 'changed-elsewhere' | 'already-undone'; readonly last?: StableChange; readonly further?: string };

/**
 * The image an undo puts back on stable: the one stable ran before the promotion that brought
 * the current image. Never forward: when the current image was itself put back by an undo, a
 * second undo would go further back, so that needs the image named (`further` suggests it).
 */
export function undoTarget(entries: readonly HistoryEntry[], currentStable: string): UndoTarget {
  const changes = stableChanges(entries);
  const last = changes[changes.length - 1];
  if (!last) return { found: false, why: 'no-record' };
  if (last.to !== currentStable) return { found: false, why: 'changed-elsewhere', last };
  const promotion = [...changes].reverse().find((c) => c.to === currentStable && c.how !== 'undo' && c.from !== undefined);
  if (last.how === 'undo') {
    return { found: false, why: 'already-undone', last, ...(promotion?.from ? { further: promotion.from } : {}) };
  }
  if (!promotion?.from) return { found: false, why: 'no-record', last };
  return { found: true, image: promotion.from, promotion };
}
