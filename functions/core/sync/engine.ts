/**
 * The exactly-once sync engine (DESIGN.md, "The sync engine"). One run:
 *   lease → (redo the pending window | plan one from the watermark and save it as pending)
 *   → drain every page → filter `[start, end)` + dedupe by id → one object per UTC date
 *   → commit (watermark = end, pending cleared; version-guarded) → repeat while time allows
 *   → release the lease.
 * Object keys depend only on the window, so a crash anywhere leaves either the old state or a
 * pending window whose redo overwrites exactly what the crashed attempt wrote.
 */
import { buildDailyObjects, NDJSON_CONTENT_TYPE } from '#core/archive/encode.js';
import {
  AuthenticationError,
  BindingExpiredError,
  isMimecastError,
  RateLimitedError,
  RetryableError,
} from '#core/mimecast/errors.js';
import type { MimecastClient } from '#core/mimecast/types.js';
import { CollectorMetric } from '#core/observability.js';
import {
  type Clock,
  CursorConflictError,
  type CursorState,
  type CursorStore,
  type ObjectStore,
  type RecordedGap,
} from '#core/ports.js';
import { toIsoSeconds } from '#core/time.js';
import { WindowBatch } from './batch.js';
import { alignedEnd, backfillPercent, planWindow, type WindowPlan, windowSeconds } from './plan.js';
import { encodeQuarantine, quarantineKey } from './quarantine.js';
import { WindowSearch } from './read-ahead.js';
import type { SyncSettings } from './settings.js';
import type { RunSummary, StopReason } from './summary.js';
import type { SyncLogger, SyncMetrics } from './telemetry.js';
import { initialWindowSeconds, nextWindowSeconds, shrinkAfterOverflow } from './window-size.js';

/** The lease outlives the invocation's remaining time by this much (a crashed run blocks the next one at most this long). */
export const LEASE_GRACE_MS = 60_000;
/** A window is not started unless at least this much time is left beyond the safety margin. */
export const MIN_WINDOW_BUDGET_MS = 5_000;
/**
 * A retryable failure that escapes the client this close to the deadline means the client ran
 * out of time, not out of attempts: the run stops cleanly and the next one redoes the window.
 */
export const DEADLINE_SLACK_MS = 30_000;
/** At most this many malformed events per window are logged one by one (the rest are counted). */
export const MALFORMED_LOG_LIMIT = 20;
/** Error messages recorded on the cursor and thrown are cut to this length. */
const MAX_MESSAGE_CHARS = 500;

/** Everything the engine talks to. */
export interface SyncDeps {
  /**
   * The Mimecast client, or a function that provides it once the lease is held (the handler
   * reads the secret lazily, so a malformed or unreadable secret is recorded on the cursor).
   */
  client: MimecastClient | (() => Promise<MimecastClient>);
  objects: ObjectStore;
  cursor: CursorStore;
  clock: Clock;
  log: SyncLogger;
  metrics: SyncMetrics;
  /** Unique per invocation: the lease owner. */
  owner: string;
}

/** The invocation's time budget (Lambda: `context.getRemainingTimeInMillis`). */
export interface SyncBudget {
  remainingMs(): number;
}

/** A run that failed. `summary` says what it did before; the cursor's watermark and pending are untouched. */
export class SyncRunError extends Error {
  /**
   * `configuration`, `authentication`, `binding_expired`, `retryable`, `fatal` (Mimecast), or
   * `credentials` (the secret could not be read), `cursor`, `storage`, `internal`.
   */
  readonly kind: string;
  readonly summary: RunSummary;

  constructor(kind: string, message: string, summary: RunSummary, cause: unknown) {
    super(message, { cause });
    this.name = 'SyncRunError';
    this.kind = kind;
    this.summary = summary;
  }
}

/** Runs the sync loop once; resolves with the run's summary, rejects with SyncRunError on failure. */
export async function runSync(
  deps: SyncDeps,
  settings: SyncSettings,
  budget: SyncBudget,
): Promise<RunSummary> {
  return new SyncRun(deps, settings, budget).execute();
}

/** Which kind of step was running, to name failures that are not Mimecast's. */
type Phase = 'credentials' | 'cursor' | 'fetch' | 'storage';

type Drained = { overflow: true; nextSeconds: number } | { overflow: false; batch: WindowBatch };

type ActivePlan = Exclude<WindowPlan, { kind: 'caught_up' }>;

interface Failure {
  kind: string;
  message: string;
  cause: unknown;
}

class SyncRun {
  private windows = 0;
  private events = 0;
  private objectsWritten = 0;
  private pages = 0;
  private malformed = 0;
  private gapsRecorded = 0;
  private state: CursorState | null = null;
  private phase: Phase = 'cursor';
  private deadline = Number.POSITIVE_INFINITY;

  constructor(
    private readonly deps: SyncDeps,
    private readonly settings: SyncSettings,
    private readonly budget: SyncBudget,
  ) {}

  async execute(): Promise<RunSummary> {
    const { clock, cursor, owner, log } = this.deps;
    const sourceId = this.settings.SOURCE_ID;
    let holdsLease = false;
    let stop: StopReason | undefined;
    let failure: Failure | undefined;

    try {
      const now = clock.now();
      const expiresAt = now + Math.max(0, this.budget.remainingMs()) + LEASE_GRACE_MS;
      const acquired = await cursor.acquireLease(sourceId, owner, new Date(now), new Date(expiresAt));
      if (acquired === null) {
        log.info('Another run holds the lease; this run steps aside', { source: sourceId });
        this.state = await cursor.get(sourceId).catch(() => null);
        return this.summary('lease_held');
      }
      holdsLease = true;
      this.state = acquired;
      this.phase = 'credentials';
      const client = typeof this.deps.client === 'function' ? await this.deps.client() : this.deps.client;
      stop = await this.loop(acquired, client);
    } catch (err: unknown) {
      const outcome = this.classify(err);
      if ('stop' in outcome) stop = outcome.stop;
      else failure = outcome.failure;
    }

    if (failure && holdsLease) await this.recordError(failure);
    if (holdsLease) await this.releaseLease();
    this.emitMetrics(stop, failure);
    const summary = this.summary(stop ?? 'error', failure?.kind);
    if (failure) {
      throw new SyncRunError(
        failure.kind,
        `Collector run failed (${failure.kind}): ${failure.message}`,
        summary,
        failure.cause,
      );
    }
    return summary;
  }

  /** Windows until caught up, out of time, or stopped by an error. */
  private async loop(initial: CursorState, client: MimecastClient): Promise<StopReason> {
    const { clock, cursor, owner, log } = this.deps;
    const { settings } = this;
    let state = initial;
    let size = initialWindowSeconds(state.windowSeconds, settings.MAX_WINDOW_SECONDS);
    let lastWindowMs = MIN_WINDOW_BUDGET_MS;
    // The next window's search, started while the current window is written and committed.
    let readAhead: WindowSearch | undefined;
    // Set after a fresh window overflowed: its pending entry is ours and nothing was written
    // under its keys, so it is replanned smaller instead of redone.
    let replanPending = false;

    try {
      for (;;) {
        const remaining = this.budget.remainingMs();
        if (!this.timeForAnotherWindow(remaining, lastWindowMs)) {
          log.info('Stopping: not enough time left for another window', { remainingMs: remaining });
          return 'time_budget';
        }

        const now = clock.now();
        this.phase = 'cursor';
        // A replanned window starts where the overflowed one did (already clamped to the history
        // floor, with any gap already recorded), so it is planned as if the watermark were there.
        const basis =
          replanPending && state.pending
            ? { ...state, watermark: state.pending.start, pending: undefined }
            : state;
        const plan = planWindow(basis, now, settings, size);
        replanPending = false;
        if (plan.kind === 'caught_up') return 'caught_up';

        if (plan.kind === 'fresh') {
          state = await cursor.savePending(state, owner, {
            pending: plan.pending,
            windowSeconds: size,
            ...(plan.backfillFrom === undefined ? {} : { backfillFrom: plan.backfillFrom }),
            ...(plan.gap === undefined ? {} : { gap: plan.gap }),
          });
        } else if (plan.gap) {
          // Same pending window (same keys), only the gap is new.
          state = await cursor.savePending(state, owner, { pending: plan.pending, gap: plan.gap });
        } else {
          log.info('Redoing the pending window left by an earlier run', {
            windowStart: plan.pending.start,
            windowEnd: plan.pending.end,
          });
        }
        this.state = state;
        if (plan.gap) this.reportGap(plan.gap);

        const fetchStartMs = plan.kind === 'redo' ? plan.fetchStartMs : plan.startMs;
        const search = readAhead?.covers(fetchStartMs, plan.endMs) ? readAhead : undefined;
        if (!search) readAhead?.cancel();
        readAhead = undefined;
        const drained = await this.drain(plan, fetchStartMs, client, search);
        if (drained.overflow) {
          size = drained.nextSeconds;
          replanPending = true;
          lastWindowMs = remaining - this.budget.remainingMs();
          continue;
        }
        const { batch } = drained;
        const lengthSeconds = (plan.endMs - fetchStartMs) / 1000;
        size = nextWindowSeconds(
          size,
          batch.records.length,
          lengthSeconds,
          settings.MAX_EVENTS_PER_WINDOW,
          settings.MAX_WINDOW_SECONDS,
        );
        // Start the next window's search now: its first page then arrives while this window is
        // written and committed. Only if that window is certain to be planned next (same bounds).
        if (this.timeForAnotherWindow(this.budget.remainingMs(), remaining - this.budget.remainingMs())) {
          readAhead = this.startNextSearch(client, state, plan, size);
        }
        state = await this.persist(plan, state, batch);
        this.state = state;
        lastWindowMs = remaining - this.budget.remainingMs();
      }
    } finally {
      // Stopped (caught up, out of time, or failed) with a search still running: nobody reads it.
      readAhead?.cancel();
    }
  }

  /** Whether the remaining time allows one more window like the last one, plus the safety margin. */
  private timeForAnotherWindow(remainingMs: number, lastWindowMs: number): boolean {
    return remainingMs - Math.max(lastWindowMs, MIN_WINDOW_BUDGET_MS) >= this.settings.SAFETY_MARGIN_MS;
  }

  /** The search of the window that will follow `plan` once it is committed, if there is one. */
  private startNextSearch(
    client: MimecastClient,
    state: CursorState,
    plan: ActivePlan,
    size: number,
  ): WindowSearch | undefined {
    const after = { ...state, watermark: plan.pending.end, pending: undefined };
    const next = planWindow(after, this.deps.clock.now(), this.settings, size);
    // A window cut short by the settle horizon ends wherever "now" is when it is planned, so its
    // bounds would differ by the time it is: reading ahead would only cost a wasted request.
    if (next.kind !== 'fresh' || next.endMs !== alignedEnd(next.startMs, size)) return undefined;
    return new WindowSearch(client, next.startMs, next.endMs, this.settings.PAGE_SIZE, this.fetchDeadline());
  }

  /** The client's deadline for the rest of this invocation. */
  private fetchDeadline(): number {
    return this.deps.clock.now() + this.budget.remainingMs() - this.settings.SAFETY_MARGIN_MS;
  }

  /** Reads every page of a window into a batch (or reports that a fresh window overflowed). */
  private async drain(
    plan: ActivePlan,
    fetchStartMs: number,
    client: MimecastClient,
    started: WindowSearch | undefined,
  ): Promise<Drained> {
    const { clock, log } = this.deps;
    const { settings } = this;
    const lengthSeconds = (plan.endMs - fetchStartMs) / 1000;
    // Only a fresh window may be cut short: nothing has been written under its keys yet.
    // A one-second window cannot be split further, so it is taken whole.
    const cap = plan.kind === 'fresh' && lengthSeconds > 1 ? settings.MAX_EVENTS_PER_WINDOW : undefined;
    const batch = new WindowBatch({
      startMs: fetchStartMs,
      endMs: plan.endMs,
      source: settings.SOURCE_ID,
      collectedAt: toIsoSeconds(new Date(clock.now())),
      cap,
    });

    if (fetchStartMs < plan.endMs) {
      this.phase = 'fetch';
      this.deadline = this.fetchDeadline();
      const search =
        started ?? new WindowSearch(client, fetchStartMs, plan.endMs, settings.PAGE_SIZE, this.deadline);
      for await (const page of search.pages()) {
        this.pages += 1;
        batch.addPage(page.events);
        if (batch.overCap) break;
      }
    }

    if (batch.overCap && cap !== undefined) {
      const nextSeconds = shrinkAfterOverflow(lengthSeconds, batch.records.length, cap);
      log.info('Window too dense for one batch; retrying it smaller', {
        windowStart: plan.pending.start,
        windowEnd: plan.pending.end,
        keptSoFar: batch.records.length,
        maxEventsPerWindow: cap,
        nextWindowSeconds: nextSeconds,
      });
      return { overflow: true, nextSeconds };
    }
    return { overflow: false, batch };
  }

  /** Writes a drained window's objects (and quarantined events), then commits it. */
  private async persist(plan: ActivePlan, state: CursorState, batch: WindowBatch): Promise<CursorState> {
    const { clock, cursor, objects, owner, log } = this.deps;
    const { settings } = this;
    this.phase = 'storage';
    const window = { start: new Date(plan.startMs), end: new Date(plan.endMs) };
    const archive = await buildDailyObjects(batch.records, {
      prefix: settings.DATA_PREFIX,
      sourceId: settings.SOURCE_ID,
      window,
    });
    // A window's objects are independent; writing them together saves round trips.
    await Promise.all(
      archive.map((object) => objects.putObject(object.key, object.body, NDJSON_CONTENT_TYPE)),
    );
    if (batch.malformed.length > 0) {
      const key = quarantineKey(settings.DATA_PREFIX, settings.SOURCE_ID, window);
      await objects.putObject(key, encodeQuarantine(batch.malformed.map((m) => m.raw)), NDJSON_CONTENT_TYPE);
      this.logMalformed(batch, plan.pending, key);
    }

    this.phase = 'cursor';
    const committed = await cursor.commitWindow(state, owner, {
      watermark: plan.pending.end,
      at: toIsoSeconds(new Date(clock.now())),
      eventsWritten: batch.records.length,
      objectsWritten: archive.length,
      malformedEvents: batch.malformed.length,
    });
    this.windows += 1;
    this.events += batch.records.length;
    this.objectsWritten += archive.length;
    this.malformed += batch.malformed.length;
    log.info('Window committed', {
      windowStart: plan.pending.start,
      windowEnd: plan.pending.end,
      redo: plan.kind === 'redo',
      events: batch.records.length,
      pages: batch.pages,
      objects: archive.length,
      malformed: batch.malformed.length,
      outsideWindow: batch.outside,
      duplicates: batch.duplicates,
    });
    return committed;
  }

  private logMalformed(batch: WindowBatch, window: { start: string; end: string }, key: string): void {
    const { log } = this.deps;
    for (const event of batch.malformed.slice(0, MALFORMED_LOG_LIMIT)) {
      // The reason and id only: the event itself may hold anything, so it stays in the quarantine object.
      log.warn('Malformed event quarantined', {
        reason: event.reason,
        eventId: event.id,
        windowStart: window.start,
        windowEnd: window.end,
        quarantineKey: key,
      });
    }
    if (batch.malformed.length > MALFORMED_LOG_LIMIT) {
      log.warn('More malformed events quarantined', {
        notLogged: batch.malformed.length - MALFORMED_LOG_LIMIT,
        windowStart: window.start,
        windowEnd: window.end,
        quarantineKey: key,
      });
    }
  }

  private reportGap(gap: RecordedGap): void {
    const seconds = windowSeconds(gap);
    this.gapsRecorded += 1;
    this.deps.log.warn('Events lost: part of the history was no longer available from Mimecast', {
      gapStart: gap.start,
      gapEnd: gap.end,
      gapSeconds: seconds,
      reason: gap.reason,
    });
    this.deps.metrics.gauge(CollectorMetric.GapSeconds, seconds, 'Seconds');
  }

  /** A clean stop, or a failure to record and rethrow. */
  private classify(err: unknown): { stop: StopReason } | { failure: Failure } {
    const { log, clock } = this.deps;
    if (err instanceof RateLimitedError) {
      log.warn('Stopping: Mimecast asked for a longer wait than the time left; the next run continues', {
        retryAfterMs: err.retryAfterMs,
      });
      return { stop: 'throttled' };
    }
    if (err instanceof CursorConflictError) {
      log.warn('Stopping: the cursor was moved by someone else (lost lease or concurrent run)', {
        detail: err.message,
      });
      return { stop: 'conflict' };
    }
    if (err instanceof RetryableError && this.deadline - clock.now() < DEADLINE_SLACK_MS) {
      log.warn('Stopping: Mimecast did not answer in the time left; the next run redoes the window', {
        reason: err.reason,
        detail: err.message,
      });
      return { stop: 'time_budget' };
    }
    if (isMimecastError(err))
      return { failure: { kind: err.kind, message: bounded(err.message), cause: err } };
    const kind = this.phase === 'fetch' ? 'internal' : this.phase;
    const text = err instanceof Error ? `${err.name}: ${err.message}` : 'non-error value thrown';
    return { failure: { kind, message: bounded(text), cause: err } };
  }

  private async recordError(failure: Failure): Promise<void> {
    const { cursor, clock, owner, log } = this.deps;
    const at = toIsoSeconds(new Date(clock.now()));
    log.error('Collector run failed', { kind: failure.kind, detail: failure.message });
    try {
      await cursor.recordError(this.settings.SOURCE_ID, owner, {
        at,
        kind: failure.kind,
        message: failure.message,
      });
    } catch (err: unknown) {
      log.warn('Could not record the error on the cursor', { detail: describe(err) });
    }
  }

  private async releaseLease(): Promise<void> {
    const { cursor, clock, owner, log } = this.deps;
    try {
      await cursor.releaseLease(this.settings.SOURCE_ID, owner, toIsoSeconds(new Date(clock.now())));
    } catch (err: unknown) {
      // The lease expires on its own; the next run only waits for it.
      log.warn('Could not release the lease', { detail: describe(err) });
    }
  }

  private emitMetrics(stop: StopReason | undefined, failure: Failure | undefined): void {
    const { metrics } = this.deps;
    metrics.count(CollectorMetric.EventsWritten, this.events);
    metrics.count(CollectorMetric.PagesFetched, this.pages);
    metrics.count(CollectorMetric.WindowsCommitted, this.windows);
    metrics.count(CollectorMetric.MalformedEvents, this.malformed);
    const lag = this.lagSeconds();
    if (lag !== null) metrics.gauge(CollectorMetric.LagSeconds, lag, 'Seconds');
    if (stop === 'throttled') metrics.count(CollectorMetric.ThrottledStops, 1);
    if (failure) {
      metrics.count(CollectorMetric.RunFailures, 1);
      metrics.failure(failure.kind);
      if (failure.cause instanceof AuthenticationError) metrics.count(CollectorMetric.AuthFailures, 1);
      if (failure.cause instanceof BindingExpiredError) metrics.count(CollectorMetric.BindingExpired, 1);
    }
  }

  private lagSeconds(): number | null {
    const watermark = this.state?.watermark;
    if (watermark === undefined) return null;
    const ms = Date.parse(watermark);
    if (!Number.isFinite(ms)) return null;
    return Math.max(0, Math.round((this.deps.clock.now() - ms) / 1000));
  }

  private summary(stopReason: StopReason, errorKind?: string): RunSummary {
    const state = this.state;
    return {
      windows: this.windows,
      events: this.events,
      objects: this.objectsWritten,
      pages: this.pages,
      malformed: this.malformed,
      watermark: state?.watermark ?? null,
      lagSeconds: this.lagSeconds(),
      stopReason,
      backfillPercent: state
        ? backfillPercent(state, this.deps.clock.now(), this.settings.SETTLE_SECONDS)
        : 0,
      gapsRecorded: this.gapsRecorded,
      ...(errorKind === undefined ? {} : { errorKind }),
    };
  }
}

function bounded(text: string): string {
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS - 1)}…` : text;
}

function describe(err: unknown): string {
  return bounded(err instanceof Error ? `${err.name}: ${err.message}` : 'non-error value thrown');
}
