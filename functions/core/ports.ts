/**
 * Ports: the small interfaces through which the core reaches the outside world. Lambda
 * handlers, `npm start` and tests plug real adapters (S3, DynamoDB, Secrets Manager) or
 * in-memory ones into the same engine.
 */

/** Wall clock; injected so tests and the simulator can agree on "now". */
export interface Clock {
  now(): number;
}

/** The system clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** Sleeps `ms` unless aborted; injected so tests can record waits instead of taking them. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** The archive's objects. Keys are full S3 keys; bodies are already gzipped. */
export interface ObjectStore {
  putObject(key: string, body: Uint8Array, contentType: string): Promise<void>;
  /** The object's bytes, or `undefined` when there is no such key. */
  getObject(key: string): Promise<Uint8Array | undefined>;
  /** Every key under `prefix`, in key order. */
  listKeys(prefix: string): Promise<string[]>;
  /** Deletes one key (no error when it does not exist). */
  deleteObject(key: string): Promise<void>;
}

/** A half-open time window `[start, end)`, as ISO 8601 UTC strings with `Z`. */
export interface TimeWindow {
  start: string;
  end: string;
}

/**
 * A range of history recorded on the cursor: lost (fell out of Mimecast's 60 days) or
 * unreadable (Mimecast's paging failed on it however narrowly it was searched). Lists of
 * these are kept merged and disjoint.
 */
export interface RecordedRange extends TimeWindow {
  /** When it was last reported. */
  recordedAt: string;
  /** Why (the first report's reason). */
  reason: string;
}

/** A range lost because Mimecast no longer had it. */
export type RecordedGap = RecordedRange;

/** Totals over every range ever recorded in a list (the list itself keeps only the most recent). */
export interface RangeTotals {
  /** Reports that added new seconds. */
  count: number;
  /** Seconds recorded, each second once. */
  seconds: number;
}

/** Running totals kept on the cursor item. */
export interface CursorTotals {
  eventsWritten: number;
  windowsCommitted: number;
  objectsWritten: number;
  malformedEvents: number;
  /** Events found by rescans that the first search of their window had not returned. */
  lateEvents: number;
  /** Rescan searches completed. */
  rescans: number;
  /** Windows whose due rescan could not be made (fell out of Mimecast's history, or unreadable). */
  rescansSkipped: number;
  /** Pending windows replaced by smaller ones (too dense, too slow, interrupted, unreadable). */
  windowSplits: number;
}

/** What an interrupted drain of the pending window saw (sizes the split on the next run). */
export interface DrainProgress {
  pages: number;
  /** Distinct in-window events seen. */
  events: number;
  /** The oldest eventTime seen (epoch ms), when any. */
  oldestMs?: number | undefined;
  /** How long the attempt drained before it was stopped. */
  elapsedMs: number;
}

/** The window being worked, as the cursor stores it. */
export interface PendingWindow extends TimeWindow {
  plannedAt: string;
  /** Drains of this window started so far; absent on items written before it existed (read as 0). */
  attempts?: number | undefined;
  /** Set when an attempt was stopped part-way (throttled, out of time). */
  progress?: DrainProgress | undefined;
}

/**
 * A committed window that is still to be searched again (rescans for late-indexed events).
 * All instants in epoch seconds; `count`/`hash` fingerprint the ids archived for it.
 */
export interface RescanWindow {
  start: number;
  end: number;
  count: number;
  hash: string;
  /** When it was last searched (conservative: the earlier of our clock and Mimecast's). */
  searchedAt: number;
}

/** The collector's state for one source, as stored in the cursor table (`pk = source#<id>`). */
export interface CursorState {
  sourceId: string;
  /** Optimistic-concurrency version; 0 when the item does not exist yet. */
  version: number;
  /** Every event with `eventTime < watermark` is in S3. Absent before the first commit. */
  watermark?: string | undefined;
  /** The window being worked; a run that finds one redoes it (or splits it). */
  pending?: PendingWindow | undefined;
  /** Where the first backfill started (for progress reporting). */
  backfillFrom?: string | undefined;
  /**
   * The sync engine's current window size in seconds (it adapts to event density); saved with
   * each pending window so the next run starts from it. Absent: the engine starts at its maximum.
   */
  windowSeconds?: number | undefined;
  lease?: { owner: string; expiresAt: string } | undefined;
  totals: CursorTotals;
  lastRunAt?: string | undefined;
  lastSuccessAt?: string | undefined;
  lastError?: { at: string; kind: string; message: string } | undefined;
  /** How the last finished run stopped (`caught_up`, `not_configured`, …) and when. */
  lastStop?: { at: string; reason: string } | undefined;
  /** Lost history, merged and disjoint (the most recent ranges). */
  gaps: RecordedGap[];
  /** Totals over every gap ever recorded, including those trimmed from `gaps`. */
  gapTotals: RangeTotals;
  /** History Mimecast would not page through, merged and disjoint. */
  unreadable: RecordedRange[];
  unreadableTotals: RangeTotals;
  /** Committed windows still to be searched again, oldest first, disjoint. */
  rescan: RescanWindow[];
  /** The largest indexing delay seen (seconds an event stayed invisible after its eventTime, at least). */
  lateMaxDelaySeconds?: number | undefined;
  /** When a rescan last found late events. */
  lastLateAt?: string | undefined;
  /** Mimecast's clock minus ours (ms), as last estimated from its Date headers. */
  clockOffsetMs?: number | undefined;
  /** Since when the source's secret has held no credentials (cleared by the next commit). */
  notConfiguredSince?: string | undefined;
  updatedAt?: string | undefined;
}

/** The engine-owned fields a guarded save may change. A key present with `undefined` removes the field. */
export type CursorChanges = Partial<
  Pick<
    CursorState,
    | 'watermark'
    | 'pending'
    | 'backfillFrom'
    | 'windowSeconds'
    | 'totals'
    | 'lastSuccessAt'
    | 'lastError'
    | 'gaps'
    | 'gapTotals'
    | 'unreadable'
    | 'unreadableTotals'
    | 'rescan'
    | 'lateMaxDelaySeconds'
    | 'lastLateAt'
    | 'clockOffsetMs'
    | 'notConfiguredSince'
  >
>;

/** Thrown by a CursorStore when a version or lease guard fails (another run moved the cursor). */
export class CursorConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CursorConflictError';
  }
}

/** The cursor table. Every mutating call is guarded by the lease owner; `save` by the version as well. */
export interface CursorStore {
  /** Plain read for status reporting; `null` when the source has never run. */
  get(sourceId: string): Promise<CursorState | null>;
  /**
   * Takes the lease if it is free, expired, or already `owner`'s; creates the item on first use.
   * Returns the state with the lease, or `null` when another live run holds it.
   */
  acquireLease(sourceId: string, owner: string, now: Date, expiresAt: Date): Promise<CursorState | null>;
  /**
   * Applies `changes` if the item is still at `state.version` and `owner` holds the lease;
   * bumps the version and sets `updatedAt = at`. Throws CursorConflictError otherwise.
   */
  save(state: CursorState, owner: string, changes: CursorChanges, at: string): Promise<CursorState>;
  /** Records the last error (kind + safe message) without touching watermark or pending. */
  recordError(
    sourceId: string,
    owner: string,
    error: { at: string; kind: string; message: string },
  ): Promise<void>;
  /** Releases the lease if `owner` still holds it; records `lastRunAt` and, when given, how the run stopped. */
  releaseLease(sourceId: string, owner: string, at: string, stopReason?: string): Promise<void>;
}
