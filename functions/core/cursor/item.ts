/**
 * The cursor item's attribute layout and its conversion to CursorState. Reading is defensive:
 * an item edited by hand or written by an older version yields a usable state (missing
 * counters are 0, malformed entries are ignored) instead of a crash in the collector.
 *
 * Item (`pk = source#<SOURCE_ID>`, the contract's key):
 *   sourceId S, version N, watermark S, pending M{start,end,plannedAt}, backfillFrom S,
 *   windowSeconds N (the engine's adaptive window size, saved with each pending window),
 *   lease M{owner,expiresAt}, eventsWritten N, windowsCommitted N, objectsWritten N,
 *   malformedEvents N, lastRunAt S, lastSuccessAt S, lastError M{at,kind,message},
 *   gaps L[M{start,end,recordedAt,reason}] (most recent MAX_STORED_GAPS), gapCount N,
 *   gapSeconds N (every gap ever recorded, so trimming the list forgets nothing), updatedAt S.
 * Counters are flat top-level numbers so `ADD` can create and increment them in one step.
 */
import type { CursorState, CursorTotals, RecordedGap, TimeWindow } from '#core/ports.js';

/** The gap list keeps this many most recent entries; `gapCount`/`gapSeconds` count them all. */
export const MAX_STORED_GAPS = 100;
/** `lastError.message` is cut to this length so a verbose error cannot bloat the item. */
export const MAX_ERROR_MESSAGE_CHARS = 1_000;

/** Totals of every gap ever recorded (the `gaps` list holds only the most recent ones). */
export interface GapTotals {
  count: number;
  seconds: number;
}

/** CursorState plus the all-time gap totals that this store keeps beside the capped list. */
export interface StoredCursorState extends CursorState {
  gapTotals: GapTotals;
}

/** The partition key value of a source's cursor item. */
export function cursorKey(sourceId: string): string {
  return `source#${sourceId}`;
}

/** Attribute names of the counters, by CursorTotals field. */
export const TOTAL_ATTRIBUTES: Readonly<Record<keyof CursorTotals, string>> = {
  eventsWritten: 'eventsWritten',
  windowsCommitted: 'windowsCommitted',
  objectsWritten: 'objectsWritten',
  malformedEvents: 'malformedEvents',
};

type Item = Record<string, unknown>;

const isItem = (value: unknown): value is Item =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
const positiveNumber = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;

function windowOf(value: unknown): TimeWindow | undefined {
  if (!isItem(value)) return undefined;
  const start = str(value.start);
  const end = str(value.end);
  return start !== undefined && end !== undefined ? { start, end } : undefined;
}

function gapOf(value: unknown): RecordedGap | undefined {
  const window = windowOf(value);
  if (!window || !isItem(value)) return undefined;
  return { ...window, recordedAt: str(value.recordedAt) ?? '', reason: str(value.reason) ?? '' };
}

/** Converts a DynamoDB document (as lib-dynamodb unmarshals it) into the state. */
export function itemToState(item: Item, sourceId: string): StoredCursorState {
  const pendingWindow = windowOf(item.pending);
  const plannedAt = isItem(item.pending) ? str(item.pending.plannedAt) : undefined;
  const leaseOwner = isItem(item.lease) ? str(item.lease.owner) : undefined;
  const leaseExpiresAt = isItem(item.lease) ? str(item.lease.expiresAt) : undefined;
  const lastError = isItem(item.lastError) ? item.lastError : undefined;
  const gaps = Array.isArray(item.gaps)
    ? item.gaps.map(gapOf).filter((gap): gap is RecordedGap => gap !== undefined)
    : [];

  return {
    sourceId: str(item.sourceId) ?? sourceId,
    version: num(item.version),
    watermark: str(item.watermark),
    pending: pendingWindow ? { ...pendingWindow, plannedAt: plannedAt ?? '' } : undefined,
    backfillFrom: str(item.backfillFrom),
    windowSeconds: positiveNumber(item.windowSeconds),
    lease:
      leaseOwner !== undefined && leaseExpiresAt !== undefined
        ? { owner: leaseOwner, expiresAt: leaseExpiresAt }
        : undefined,
    totals: {
      eventsWritten: num(item[TOTAL_ATTRIBUTES.eventsWritten]),
      windowsCommitted: num(item[TOTAL_ATTRIBUTES.windowsCommitted]),
      objectsWritten: num(item[TOTAL_ATTRIBUTES.objectsWritten]),
      malformedEvents: num(item[TOTAL_ATTRIBUTES.malformedEvents]),
    },
    lastRunAt: str(item.lastRunAt),
    lastSuccessAt: str(item.lastSuccessAt),
    lastError: lastError
      ? {
          at: str(lastError.at) ?? '',
          kind: str(lastError.kind) ?? '',
          message: str(lastError.message) ?? '',
        }
      : undefined,
    gaps,
    gapTotals: { count: Math.max(num(item.gapCount), gaps.length), seconds: num(item.gapSeconds) },
    updatedAt: str(item.updatedAt),
  };
}

/** The pending window as stored (only the contract's fields, whatever else the caller passed). */
export function pendingToItem(pending: TimeWindow & { plannedAt: string }): Item {
  return { start: pending.start, end: pending.end, plannedAt: pending.plannedAt };
}

/** A recorded gap as stored. */
export function gapToItem(gap: RecordedGap): Item {
  return { start: gap.start, end: gap.end, recordedAt: gap.recordedAt, reason: gap.reason };
}

/** The gap list after appending `gap`: the most recent MAX_STORED_GAPS entries. */
export function appendGap(gaps: readonly RecordedGap[], gap: RecordedGap): Item[] {
  return [...gaps, gap].slice(-MAX_STORED_GAPS).map(gapToItem);
}

/** Whole seconds covered by a gap (0 when its bounds are unparseable or reversed). */
export function gapSeconds(gap: TimeWindow): number {
  const seconds = (Date.parse(gap.end) - Date.parse(gap.start)) / 1000;
  return Number.isFinite(seconds) && seconds > 0 ? Math.floor(seconds) : 0;
}

/** The last error as stored, with the message bounded. */
export function errorToItem(error: { at: string; kind: string; message: string }): Item {
  return { at: error.at, kind: error.kind, message: error.message.slice(0, MAX_ERROR_MESSAGE_CHARS) };
}
