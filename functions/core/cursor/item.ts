/**
 * The cursor item's attribute layout and its conversion to and from CursorState. Reading is
 * defensive: an item edited by hand or written by an older version yields a usable state
 * (missing counters are 0, malformed entries are ignored) instead of a crash in the collector.
 *
 * Item (`pk = source#<SOURCE_ID>`, the contract's key):
 *   sourceId S, version N, watermark S,
 *   pending M{start,end,plannedAt,attempts N,progress M{pages,events,oldestMs,elapsedMs}},
 *   backfillFrom S, windowSeconds N, lease M{owner,expiresAt},
 *   eventsWritten N, windowsCommitted N, objectsWritten N, malformedEvents N, lateEvents N,
 *   rescans N, rescansSkipped N, windowSplits N,
 *   lastRunAt S, lastSuccessAt S, lastError M{at,kind,message}, lastStop M{at,reason},
 *   gaps L[M{start,end,recordedAt,reason}], gapCount N, gapSeconds N,
 *   unreadable L[M{…same…}], unreadableCount N, unreadableSeconds N,
 *   rescan L[L[start N, end N, count N, hash S, searchedAt N]] (epoch seconds),
 *   lateMaxDelaySeconds N, lastLateAt S, clockOffsetMs N, notConfiguredSince S, updatedAt S.
 * Counters are flat top-level numbers (easy to read in the console, cheap to update).
 */
import type {
  CursorChanges,
  CursorState,
  CursorTotals,
  DrainProgress,
  PendingWindow,
  RangeTotals,
  RecordedRange,
  RescanWindow,
  TimeWindow,
} from '#core/ports.js';

/** `lastError.message` is cut to this length so a verbose error cannot bloat the item. */
export const MAX_ERROR_MESSAGE_CHARS = 1_000;

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
  lateEvents: 'lateEvents',
  rescans: 'rescans',
  rescansSkipped: 'rescansSkipped',
  windowSplits: 'windowSplits',
};

/** Zero totals. */
export function emptyTotals(): CursorTotals {
  return {
    eventsWritten: 0,
    windowsCommitted: 0,
    objectsWritten: 0,
    malformedEvents: 0,
    lateEvents: 0,
    rescans: 0,
    rescansSkipped: 0,
    windowSplits: 0,
  };
}

/** A state for a source that has no item yet. */
export function initialState(sourceId: string): CursorState {
  return {
    sourceId,
    version: 0,
    totals: emptyTotals(),
    gaps: [],
    gapTotals: { count: 0, seconds: 0 },
    unreadable: [],
    unreadableTotals: { count: 0, seconds: 0 },
    rescan: [],
  };
}

type Item = Record<string, unknown>;

const isItem = (value: unknown): value is Item =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const finite = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;
const num = (value: unknown): number => finite(value) ?? 0;
const positiveNumber = (value: unknown): number | undefined => {
  const n = finite(value);
  return n !== undefined && n > 0 ? n : undefined;
};

function windowOf(value: unknown): TimeWindow | undefined {
  if (!isItem(value)) return undefined;
  const start = str(value.start);
  const end = str(value.end);
  return start !== undefined && end !== undefined ? { start, end } : undefined;
}

function rangeOf(value: unknown): RecordedRange | undefined {
  const window = windowOf(value);
  if (!window || !isItem(value)) return undefined;
  return { ...window, recordedAt: str(value.recordedAt) ?? '', reason: str(value.reason) ?? '' };
}

function rangesOf(value: unknown): RecordedRange[] {
  return Array.isArray(value) ? value.map(rangeOf).filter((r): r is RecordedRange => r !== undefined) : [];
}

function progressOf(value: unknown): DrainProgress | undefined {
  if (!isItem(value)) return undefined;
  const pages = finite(value.pages);
  const events = finite(value.events);
  const elapsedMs = finite(value.elapsedMs);
  if (pages === undefined || events === undefined || elapsedMs === undefined) return undefined;
  return { pages, events, elapsedMs, oldestMs: finite(value.oldestMs) };
}

function pendingOf(value: unknown): PendingWindow | undefined {
  const window = windowOf(value);
  if (!window || !isItem(value)) return undefined;
  return {
    ...window,
    plannedAt: str(value.plannedAt) ?? '',
    attempts: finite(value.attempts),
    progress: progressOf(value.progress),
  };
}

function rescanWindowOf(value: unknown): RescanWindow | undefined {
  if (!Array.isArray(value)) return undefined;
  const [start, end, count, hash, searchedAt] = value as unknown[];
  const s = finite(start);
  const e = finite(end);
  const c = finite(count);
  const t = finite(searchedAt);
  if (s === undefined || e === undefined || c === undefined || t === undefined || typeof hash !== 'string') {
    return undefined;
  }
  return e > s ? { start: s, end: e, count: c, hash, searchedAt: t } : undefined;
}

function rescanOf(value: unknown): RescanWindow[] {
  if (!Array.isArray(value)) return [];
  const windows = value.map(rescanWindowOf).filter((w): w is RescanWindow => w !== undefined);
  // Kept sorted and disjoint by the engine; a hand-edited list is repaired rather than trusted.
  windows.sort((a, b) => a.start - b.start);
  return windows.filter((w, i) => i === 0 || w.start >= (windows[i - 1]?.end ?? Number.NEGATIVE_INFINITY));
}

function totalsOf(count: unknown, seconds: unknown, list: readonly RecordedRange[]): RangeTotals {
  return { count: Math.max(num(count), list.length), seconds: num(seconds) };
}

/** Converts a DynamoDB document (as lib-dynamodb unmarshals it) into the state. */
export function itemToState(item: Item, sourceId: string): CursorState {
  const leaseOwner = isItem(item.lease) ? str(item.lease.owner) : undefined;
  const leaseExpiresAt = isItem(item.lease) ? str(item.lease.expiresAt) : undefined;
  const lastError = isItem(item.lastError) ? item.lastError : undefined;
  const lastStop = isItem(item.lastStop) ? item.lastStop : undefined;
  const gaps = rangesOf(item.gaps);
  const unreadable = rangesOf(item.unreadable);
  const totals = emptyTotals();
  for (const key of Object.keys(TOTAL_ATTRIBUTES) as (keyof CursorTotals)[]) {
    totals[key] = num(item[TOTAL_ATTRIBUTES[key]]);
  }

  return {
    sourceId: str(item.sourceId) ?? sourceId,
    version: num(item.version),
    watermark: str(item.watermark),
    pending: pendingOf(item.pending),
    backfillFrom: str(item.backfillFrom),
    windowSeconds: positiveNumber(item.windowSeconds),
    lease:
      leaseOwner !== undefined && leaseExpiresAt !== undefined
        ? { owner: leaseOwner, expiresAt: leaseExpiresAt }
        : undefined,
    totals,
    lastRunAt: str(item.lastRunAt),
    lastSuccessAt: str(item.lastSuccessAt),
    lastError: lastError
      ? {
          at: str(lastError.at) ?? '',
          kind: str(lastError.kind) ?? '',
          message: str(lastError.message) ?? '',
        }
      : undefined,
    lastStop: lastStop ? { at: str(lastStop.at) ?? '', reason: str(lastStop.reason) ?? '' } : undefined,
    gaps,
    gapTotals: totalsOf(item.gapCount, item.gapSeconds, gaps),
    unreadable,
    unreadableTotals: totalsOf(item.unreadableCount, item.unreadableSeconds, unreadable),
    rescan: rescanOf(item.rescan),
    lateMaxDelaySeconds: finite(item.lateMaxDelaySeconds),
    lastLateAt: str(item.lastLateAt),
    clockOffsetMs: finite(item.clockOffsetMs),
    notConfiguredSince: str(item.notConfiguredSince),
    updatedAt: str(item.updatedAt),
  };
}

/** The pending window as stored (only known fields, whatever else the caller passed). */
export function pendingToItem(pending: PendingWindow): Item {
  const item: Item = { start: pending.start, end: pending.end, plannedAt: pending.plannedAt };
  if (pending.attempts !== undefined) item.attempts = pending.attempts;
  if (pending.progress !== undefined) {
    const { pages, events, elapsedMs, oldestMs } = pending.progress;
    item.progress = { pages, events, elapsedMs, ...(oldestMs === undefined ? {} : { oldestMs }) };
  }
  return item;
}

/** A recorded range as stored. */
export function rangeToItem(range: RecordedRange): Item {
  return { start: range.start, end: range.end, recordedAt: range.recordedAt, reason: range.reason };
}

/** The last error as stored, with the message bounded. */
export function errorToItem(error: { at: string; kind: string; message: string }): Item {
  return { at: error.at, kind: error.kind, message: error.message.slice(0, MAX_ERROR_MESSAGE_CHARS) };
}

/**
 * The attribute assignments for a guarded save: `set` maps attribute names to their new values,
 * `remove` lists attributes to delete (changes given as `undefined`).
 */
export function changesToAttributes(changes: CursorChanges): { set: Item; remove: string[] } {
  const set: Item = {};
  const remove: string[] = [];
  const put = (name: string, value: unknown) => {
    if (value === undefined) remove.push(name);
    else set[name] = value;
  };
  for (const [key, value] of Object.entries(changes) as [keyof CursorChanges, unknown][]) {
    switch (key) {
      case 'pending':
        put('pending', changes.pending === undefined ? undefined : pendingToItem(changes.pending));
        break;
      case 'lastError':
        put('lastError', changes.lastError === undefined ? undefined : errorToItem(changes.lastError));
        break;
      case 'totals':
        if (changes.totals) {
          for (const name of Object.keys(TOTAL_ATTRIBUTES) as (keyof CursorTotals)[]) {
            set[TOTAL_ATTRIBUTES[name]] = changes.totals[name];
          }
        }
        break;
      case 'gaps':
        put('gaps', changes.gaps?.map(rangeToItem));
        break;
      case 'gapTotals':
        if (changes.gapTotals) {
          set.gapCount = changes.gapTotals.count;
          set.gapSeconds = changes.gapTotals.seconds;
        }
        break;
      case 'unreadable':
        put('unreadable', changes.unreadable?.map(rangeToItem));
        break;
      case 'unreadableTotals':
        if (changes.unreadableTotals) {
          set.unreadableCount = changes.unreadableTotals.count;
          set.unreadableSeconds = changes.unreadableTotals.seconds;
        }
        break;
      case 'rescan':
        put(
          'rescan',
          changes.rescan?.map((w) => [w.start, w.end, w.count, w.hash, w.searchedAt]),
        );
        break;
      default:
        put(key, value);
    }
  }
  return { set, remove };
}

/** The state after a successful guarded save (the semantics every CursorStore implements). */
export function applyChanges(state: CursorState, changes: CursorChanges, at: string): CursorState {
  const next: CursorState = { ...state, version: state.version + 1, updatedAt: at };
  const target = next as unknown as Record<string, unknown>;
  // A removed field reads back as present-but-undefined, as itemToState returns it.
  for (const [key, value] of Object.entries(changes)) target[key] = value;
  return next;
}
