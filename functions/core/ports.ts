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

/** Writes archive objects. Keys are full S3 keys; bodies are already gzipped. */
export interface ObjectStore {
  putObject(key: string, body: Uint8Array, contentType: string): Promise<void>;
}

/** A half-open time window `[start, end)`, as ISO 8601 UTC strings with `Z`. */
export interface TimeWindow {
  start: string;
  end: string;
}

/** A range whose events could not be collected (fell out of Mimecast's 60-day history). */
export interface RecordedGap extends TimeWindow {
  recordedAt: string;
  reason: string;
}

/** Running totals kept on the cursor item. */
export interface CursorTotals {
  eventsWritten: number;
  windowsCommitted: number;
  objectsWritten: number;
  malformedEvents: number;
}

/** The collector's state for one source, as stored in the cursor table (`pk = source#<id>`). */
export interface CursorState {
  sourceId: string;
  /** Optimistic-concurrency version; 0 when the item does not exist yet. */
  version: number;
  /** Every event with `eventTime < watermark` is in S3. Absent before the first commit. */
  watermark?: string | undefined;
  /** The window being worked; a run that finds one redoes exactly it. */
  pending?: (TimeWindow & { plannedAt: string }) | undefined;
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
  /** The most recent recorded gaps (the store caps the list). */
  gaps: RecordedGap[];
  /** Totals over every gap ever recorded, including those trimmed from `gaps`. */
  gapTotals?: { count: number; seconds: number } | undefined;
  updatedAt?: string | undefined;
}

/** Thrown by a CursorStore when a version or lease guard fails (another run moved the cursor). */
export class CursorConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CursorConflictError';
  }
}

/** The cursor table. Every mutating call is guarded by version and lease owner. */
export interface CursorStore {
  /** Plain read for status reporting; `null` when the source has never run. */
  get(sourceId: string): Promise<CursorState | null>;
  /**
   * Takes the lease if it is free, expired, or already `owner`'s; creates the item on first use.
   * Returns the state with the lease, or `null` when another live run holds it.
   */
  acquireLease(sourceId: string, owner: string, now: Date, expiresAt: Date): Promise<CursorState | null>;
  /** Saves the pending window (plus first-run `backfillFrom`, any newly recorded gap and the window size). */
  savePending(
    state: CursorState,
    owner: string,
    update: {
      pending: TimeWindow & { plannedAt: string };
      backfillFrom?: string;
      gap?: RecordedGap;
      /** The engine's window size when it planned `pending` (stored as `windowSeconds`). */
      windowSeconds?: number;
    },
  ): Promise<CursorState>;
  /** Commits a drained window: `watermark = end`, pending cleared, totals incremented. */
  commitWindow(
    state: CursorState,
    owner: string,
    commit: {
      watermark: string;
      at: string;
      eventsWritten: number;
      objectsWritten: number;
      malformedEvents: number;
    },
  ): Promise<CursorState>;
  /** Records the last error (kind + safe message) without touching watermark or pending. */
  recordError(
    sourceId: string,
    owner: string,
    error: { at: string; kind: string; message: string },
  ): Promise<void>;
  /** Releases the lease if `owner` still holds it; records `lastRunAt`. */
  releaseLease(sourceId: string, owner: string, at: string): Promise<void>;
}
