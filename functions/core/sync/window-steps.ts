/**
 * New history, one window at a time: plan a window from the watermark (or take the pending one),
 * save it as pending, drain its search, write one object per UTC date, commit. A window that
 * turns out too dense for the memory cap, too slow for its share of the run, interrupted in an
 * earlier run, or that Mimecast's paging fails on, is split: the pending window is replaced by
 * its first part, after removing anything an earlier attempt wrote under the old window's keys,
 * so the smaller window's objects never coexist with the old ones (no duplicates) and a source
 * never stalls on one window. A one-second window cannot be split: it is taken whole, and if
 * Mimecast cannot page through even that, the second is recorded as unreadable.
 */
import { buildDailyObjects, NDJSON_CONTENT_TYPE } from '#core/archive/encode.js';
import { dayPrefix, objectKey, utcDatesOf } from '#core/archive/layout.js';
import { FatalError, ProtocolError } from '#core/mimecast/errors.js';
import type { CursorChanges, PendingWindow, RecordedGap } from '#core/ports.js';
import { toCompactUtc, toIsoSeconds } from '#core/time.js';
import { type MalformedEvent, WindowBatch } from './batch.js';
import { type DrainOutcome, splitSeconds } from './drain.js';
import { EMPTY_FINGERPRINT, fingerprintOf } from './fingerprint.js';
import { alignedEnd, effectiveFloor, planWindow, type WindowPlan } from './plan.js';
import { encodeQuarantine, quarantineKey, quarantinePrefix } from './quarantine.js';
import { addRange } from './ranges.js';
import { WindowSearch } from './read-ahead.js';
import { afterCommit } from './rescan-plan.js';
import type { RunContext } from './run-context.js';
import { initialWindowSeconds, nextWindowSeconds } from './window-size.js';

/** At most this many malformed events per window are logged one by one (the rest are counted). */
export const MALFORMED_LOG_LIMIT = 20;

/** Codes Mimecast (and look-alike fakes) answer when a search starts before the retained history. */
export const HISTORY_REJECTION_CODES: ReadonlySet<string> = new Set([
  'err_validation_date_range',
  'err_validation_date_outside_retention',
]);

/** After a rejection at the floor the floor moves this much first, doubling on each further rejection… */
export const FIRST_FLOOR_ADJUST_MS = 60_000;
/** …up to this; a rejection beyond it is not about the floor, and fails the run. */
export const MAX_FLOOR_ADJUST_MS = 86_400_000;

const DAY_MS = 86_400_000;

type ActivePlan = Exclude<WindowPlan, { kind: 'caught_up' }>;

/** True for Mimecast's "that start is older than the history I keep" answer. */
export function isHistoryRejection(err: unknown): err is FatalError {
  return (
    err instanceof FatalError &&
    !(err instanceof ProtocolError) &&
    err.code !== undefined &&
    HISTORY_REJECTION_CODES.has(err.code)
  );
}

/** Moves the run's history floor forward after a rejection; false when it has moved as far as it may. */
export function adjustFloor(ctx: RunContext): boolean {
  const next = ctx.floorAdjustMs === 0 ? FIRST_FLOOR_ADJUST_MS : ctx.floorAdjustMs * 2;
  if (next > MAX_FLOOR_ADJUST_MS) return false;
  ctx.floorAdjustMs = next;
  return true;
}

/** The window steps of one run. */
export class WindowSteps {
  private size: number;
  private readAhead: WindowSearch | undefined;
  /** Set after Mimecast rejected the pending window's start: redo it from the moved floor, unsplit. */
  private redoWhole = false;

  constructor(private readonly ctx: RunContext) {
    this.size = initialWindowSeconds(ctx.state.windowSeconds, ctx.settings.MAX_WINDOW_SECONDS);
  }

  /** Abandons a search started for a window that will not be worked now. */
  cancelReadAhead(): void {
    this.readAhead?.cancel();
    this.readAhead = undefined;
  }

  /**
   * One step: a window committed, split, or recorded as unreadable. `caught_up` when nothing
   * settled is left to collect. `mayReadAhead` says whether the next step will be a window too.
   */
  async step(mayReadAhead: () => boolean): Promise<'progress' | 'caught_up'> {
    const { ctx } = this;
    const { settings } = ctx;
    const { log } = ctx.deps;
    const plan = planWindow(ctx.state, ctx.now(), settings, this.size, ctx.clockView());
    if (plan.kind === 'caught_up') {
      this.cancelReadAhead();
      return 'caught_up';
    }

    const gap = plan.gap ? this.gapChanges(plan.gap) : undefined;
    let mayHaveObjects: boolean;
    if (plan.kind === 'fresh') {
      const pending: PendingWindow = { ...plan.pending, attempts: 1 };
      await ctx.save({
        pending,
        windowSeconds: this.size,
        ...(plan.backfillFrom === undefined ? {} : { backfillFrom: plan.backfillFrom }),
        ...gap?.changes,
      });
      mayHaveObjects = false;
    } else {
      const attempts = plan.pending.attempts;
      // Items written before attempts were counted: an earlier attempt may have written objects.
      mayHaveObjects = attempts === undefined || attempts > 0;
      const split = this.redoWhole ? undefined : this.splitOnRedo(plan);
      this.redoWhole = false;
      if (split !== undefined) {
        await this.shrink(plan, split, 'an earlier attempt did not finish', mayHaveObjects, gap?.changes);
        if (gap) this.reportGap(plan.gap, gap.addedSeconds);
        return 'progress';
      }
      const pending: PendingWindow = {
        start: plan.pending.start,
        end: plan.pending.end,
        plannedAt: plan.pending.plannedAt,
        attempts: (attempts ?? 0) + 1,
      };
      await ctx.save({ pending, ...gap?.changes });
      if (mayHaveObjects) {
        log.info('Redoing the pending window left by an earlier run', {
          windowStart: plan.pending.start,
          windowEnd: plan.pending.end,
          attempt: pending.attempts,
        });
      }
    }
    if (gap) this.reportGap(plan.gap, gap.addedSeconds);

    const fetchStartMs = plan.kind === 'redo' ? plan.fetchStartMs : plan.startMs;
    // A one-second window cannot be split, so it is taken whole whatever it holds.
    const splittable = plan.endMs - plan.startMs > 1_000;
    const batch = new WindowBatch({
      startMs: fetchStartMs,
      endMs: plan.endMs,
      source: settings.SOURCE_ID,
      collectedAt: ctx.nowIso(),
      cap: splittable ? settings.MAX_EVENTS_PER_WINDOW : undefined,
    });

    let outcome: DrainOutcome = { kind: 'complete' };
    let searchedAtMs = ctx.now();
    let elapsedMs = 0;
    if (fetchStartMs < plan.endMs) {
      const search = this.takeReadAhead(fetchStartMs, plan.endMs) ?? ctx.search(fetchStartMs, plan.endMs);
      searchedAtMs = search.startedAtMs;
      try {
        ({ outcome, elapsedMs } = await ctx.drainInto(search, batch, {
          kind: 'window',
          pending: { start: plan.pending.start, end: plan.pending.end },
          splittable,
        }));
      } catch (err: unknown) {
        if (err instanceof ProtocolError) {
          ctx.drain = undefined;
          return this.onUnreadable(plan, err, mayHaveObjects);
        }
        if (isHistoryRejection(err) && fetchStartMs - effectiveFloor(ctx.now(), ctx.clockView()) < DAY_MS) {
          ctx.drain = undefined;
          return this.onHistoryRejection(plan, err, mayHaveObjects);
        }
        // Left in place: the engine notes on the pending window what this attempt saw.
        throw err;
      }
    }

    if (outcome.kind === 'stopped') {
      const seconds = splitSeconds(
        { startMs: fetchStartMs, endMs: plan.endMs },
        { events: batch.events, oldestMs: batch.oldestMs, elapsedMs },
        { capEvents: settings.MAX_EVENTS_PER_WINDOW, timeShareMs: this.timeShareMs() },
      );
      this.size = seconds;
      const reason =
        outcome.reason === 'events'
          ? `more than MAX_EVENTS_PER_WINDOW (${settings.MAX_EVENTS_PER_WINDOW}) events`
          : 'too slow to drain in its share of the run';
      await this.shrink(plan, seconds, reason, mayHaveObjects);
      return 'progress';
    }

    this.size = nextWindowSeconds(
      this.size,
      batch.records.length,
      (plan.endMs - fetchStartMs) / 1000,
      settings.MAX_EVENTS_PER_WINDOW,
      settings.MAX_WINDOW_SECONDS,
    );
    // Start the next window's search now: its first page then arrives while this window is
    // written and committed. Only if that window is certain to be planned next (same bounds).
    if (mayReadAhead()) this.readAhead = this.startNextSearch(plan);
    await this.persist(plan, batch, searchedAtMs);
    return 'progress';
  }

  /** The time one window may take now (the share of what is left). */
  private timeShareMs(): number {
    return (this.ctx.shareDeadline(true) ?? this.ctx.now()) - this.ctx.now();
  }

  /**
   * Whether (and to how many seconds) a pending window left by an earlier run is split before it
   * is redone: yes when an earlier drain of it started and did not finish, unless that drain was
   * stopped at its first page (throttled, say: the window's size was not the problem).
   */
  private splitOnRedo(plan: Extract<ActivePlan, { kind: 'redo' }>): number | undefined {
    const attempts = plan.pending.attempts;
    if (attempts === undefined || attempts < 1) return undefined;
    const lengthSeconds = Math.floor((plan.endMs - plan.startMs) / 1000);
    if (lengthSeconds <= 1) return undefined;
    const progress = plan.pending.progress;
    // No progress noted: the attempt died without a word (a crash, e.g. out of memory).
    if (!progress) return Math.max(1, Math.floor(lengthSeconds / 2));
    if (progress.pages < 2) return undefined;
    return splitSeconds({ startMs: plan.fetchStartMs, endMs: plan.endMs }, progress, {
      capEvents: this.ctx.settings.MAX_EVENTS_PER_WINDOW,
      timeShareMs: this.timeShareMs(),
    });
  }

  /**
   * Replaces the pending window by its first `seconds`: removes what an earlier attempt may
   * have written under the old keys FIRST, then saves the smaller window (a crash in between
   * leaves the old window pending, whose redo removes again: still no duplicates).
   */
  private async shrink(
    plan: ActivePlan,
    seconds: number,
    reason: string,
    mayHaveObjects: boolean,
    extra: CursorChanges = {},
  ): Promise<void> {
    const { ctx } = this;
    const lengthMs = plan.endMs - plan.startMs;
    let endMs = alignedEnd(plan.startMs, seconds);
    if (endMs >= plan.endMs) endMs = plan.startMs + Math.max(1_000, Math.floor(lengthMs / 2_000) * 1_000);
    if (mayHaveObjects) await this.removeWindowObjects(plan.startMs, plan.endMs);
    const pending: PendingWindow = {
      start: plan.pending.start,
      end: toIsoSeconds(new Date(endMs)),
      plannedAt: ctx.nowIso(),
      attempts: 0,
    };
    await ctx.save({
      ...extra,
      pending,
      windowSeconds: Math.max(1, Math.round((endMs - plan.startMs) / 1000)),
      totals: { ...ctx.state.totals, windowSplits: ctx.state.totals.windowSplits + 1 },
    });
    ctx.stats.splits += 1;
    ctx.deps.log.info('Pending window split: its first part is collected first', {
      reason,
      windowStart: plan.pending.start,
      windowEnd: plan.pending.end,
      newWindowEnd: pending.end,
      removedEarlierObjects: mayHaveObjects,
    });
  }

  /** Deletes every archive and quarantine object stored under a window's keys. */
  private async removeWindowObjects(startMs: number, endMs: number): Promise<void> {
    const { ctx } = this;
    const { objects } = ctx.deps;
    const { DATA_PREFIX: prefix, SOURCE_ID: source } = ctx.settings;
    ctx.phase = 'storage';
    const window = { start: new Date(startMs), end: new Date(endMs) };
    const name = `${toCompactUtc(window.start)}_${toCompactUtc(window.end)}`;
    const wanted = new Set([
      ...utcDatesOf(startMs, endMs).map((dt) => objectKey(prefix, source, window, dt)),
      quarantineKey(prefix, source, window),
    ]);
    // Listing first (rather than deleting every possible key) leaves no delete markers for
    // keys that never existed in the versioned bucket.
    const listed = await Promise.all([
      ...utcDatesOf(startMs, endMs).map((dt) => objects.listKeys(`${dayPrefix(prefix, source, dt)}${name}`)),
      objects.listKeys(`${quarantinePrefix(prefix, source)}${name}`),
    ]);
    const existing = listed.flat().filter((key) => wanted.has(key));
    await Promise.all(existing.map((key) => objects.deleteObject(key)));
  }

  /** Mimecast's paging failed on the window: split it, or (one second) record it as unreadable. */
  private async onUnreadable(
    plan: ActivePlan,
    err: ProtocolError,
    mayHaveObjects: boolean,
  ): Promise<'progress'> {
    const { ctx } = this;
    const lengthSeconds = Math.floor((plan.endMs - plan.startMs) / 1000);
    if (lengthSeconds > 1) {
      const seconds = Math.max(1, Math.floor(lengthSeconds / 2));
      this.size = seconds;
      await this.shrink(plan, seconds, `Mimecast's paging failed (${err.reason})`, mayHaveObjects);
      return 'progress';
    }
    const at = ctx.nowIso();
    const reason = `Mimecast's paging failed on this second however narrowly it was searched (${err.reason})`;
    const { list, addedSeconds } = addRange(ctx.state.unreadable, {
      startMs: plan.startMs,
      endMs: plan.endMs,
      at,
      reason,
    });
    // Kept for rescans: should Mimecast page through it later, its events are merged then.
    const entry = {
      start: plan.startMs / 1000,
      end: plan.endMs / 1000,
      ...EMPTY_FINGERPRINT,
      searchedAt: ctx.conservativeNowSec(),
    };
    const rescan = afterCommit(ctx.state.rescan, entry, ctx.settings.RESCAN_AFTER_SECONDS);
    await ctx.save({
      watermark: plan.pending.end,
      pending: undefined,
      unreadable: list,
      unreadableTotals: {
        count: ctx.state.unreadableTotals.count + (addedSeconds > 0 ? 1 : 0),
        seconds: ctx.state.unreadableTotals.seconds + addedSeconds,
      },
      rescan: rescan.list,
      totals: {
        ...ctx.state.totals,
        windowsCommitted: ctx.state.totals.windowsCommitted + 1,
        rescansSkipped: ctx.state.totals.rescansSkipped + rescan.dropped,
      },
    });
    ctx.stats.windows += 1;
    ctx.stats.unreadableSeconds += addedSeconds;
    ctx.stats.rescansSkipped += rescan.dropped;
    ctx.deps.log.error(
      'Events unreadable: Mimecast would not page through this second; recorded on the cursor',
      {
        rangeStart: plan.pending.start,
        rangeEnd: plan.pending.end,
        reason: err.reason,
        detail: err.message,
      },
    );
    return 'progress';
  }

  /**
   * Mimecast says the window starts before its history: move the floor and go on. The redo then
   * starts at the moved floor and records what lies below it as a gap; on the very first window
   * (nothing collected yet) the backfill is simply planned again from the moved floor instead,
   * as a shorter backfill rather than a loss (the clock estimate taken from Mimecast's answer
   * usually explains the rejection, and is used from now on).
   */
  private async onHistoryRejection(
    plan: ActivePlan,
    err: FatalError,
    mayHaveObjects: boolean,
  ): Promise<'progress'> {
    const { ctx } = this;
    if (!adjustFloor(ctx)) throw err;
    ctx.deps.log.warn(
      'Mimecast rejected a search at the history floor as too old; moving the floor forward',
      {
        windowStart: plan.pending.start,
        code: err.code,
        floorAdjustSeconds: ctx.floorAdjustMs / 1000,
        clockOffsetMs: ctx.clockOffsetMs(),
      },
    );
    if (ctx.state.watermark === undefined && !mayHaveObjects) {
      await ctx.save({ pending: undefined, backfillFrom: undefined });
      return 'progress';
    }
    this.redoWhole = true;
    return 'progress';
  }

  /** Merges a gap into the cursor's list; the seconds it adds are the newly lost ones. */
  private gapChanges(gap: RecordedGap): { changes: CursorChanges; addedSeconds: number } {
    const { state } = this.ctx;
    const { list, addedSeconds } = addRange(state.gaps, {
      startMs: Date.parse(gap.start),
      endMs: Date.parse(gap.end),
      at: gap.recordedAt,
      reason: gap.reason,
    });
    return {
      changes: {
        gaps: list,
        gapTotals: {
          count: state.gapTotals.count + (addedSeconds > 0 ? 1 : 0),
          seconds: state.gapTotals.seconds + addedSeconds,
        },
      },
      addedSeconds,
    };
  }

  private reportGap(gap: RecordedGap | undefined, addedSeconds: number): void {
    if (!gap || addedSeconds <= 0) return;
    const { ctx } = this;
    ctx.stats.gapReports += 1;
    ctx.stats.gapSeconds += addedSeconds;
    ctx.deps.log.warn('Events lost: part of the history was no longer available from Mimecast', {
      gapStart: gap.start,
      gapEnd: gap.end,
      newlyLostSeconds: addedSeconds,
      reason: gap.reason,
    });
  }

  private takeReadAhead(startMs: number, endMs: number): WindowSearch | undefined {
    const search = this.readAhead?.covers(startMs, endMs) ? this.readAhead : undefined;
    if (!search) this.readAhead?.cancel();
    this.readAhead = undefined;
    return search;
  }

  /** The search of the window that will follow `plan` once it is committed, if there is one. */
  private startNextSearch(plan: ActivePlan): WindowSearch | undefined {
    const { ctx } = this;
    const after = { ...ctx.state, watermark: plan.pending.end, pending: undefined };
    const next = planWindow(after, ctx.now(), ctx.settings, this.size, ctx.clockView());
    // A window cut short by the settle horizon ends wherever "now" is when it is planned, so its
    // bounds would differ by the time it is: reading ahead would only cost a wasted request.
    if (next.kind !== 'fresh' || next.endMs !== alignedEnd(next.startMs, this.size)) return undefined;
    return new WindowSearch(
      ctx.client,
      next.startMs,
      next.endMs,
      ctx.settings.PAGE_SIZE,
      ctx.fetchDeadline(),
      ctx.now(),
    );
  }

  /** Writes a drained window's objects (and quarantined events), then commits it. */
  private async persist(plan: ActivePlan, batch: WindowBatch, searchedAtMs: number): Promise<void> {
    const { ctx } = this;
    const { objects, log } = ctx.deps;
    const { settings } = ctx;
    ctx.phase = 'storage';
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
    const quarantined = batch.quarantined();
    if (quarantined.length > 0) {
      const key = quarantineKey(settings.DATA_PREFIX, settings.SOURCE_ID, window);
      await objects.putObject(key, encodeQuarantine(quarantined.map((m) => m.raw)), NDJSON_CONTENT_TYPE);
      this.logQuarantined(quarantined, plan.pending, key);
    }

    const { state } = ctx;
    const fingerprint = fingerprintOf(batch.keptIds());
    const offsetMs = ctx.clockOffsetMs();
    const rescan = afterCommit(
      state.rescan,
      {
        start: plan.startMs / 1000,
        end: plan.endMs / 1000,
        ...fingerprint,
        searchedAt: Math.floor((searchedAtMs + Math.min(0, offsetMs)) / 1000),
      },
      settings.RESCAN_AFTER_SECONDS,
    );
    const changes: CursorChanges = {
      watermark: plan.pending.end,
      pending: undefined,
      lastSuccessAt: ctx.nowIso(),
      lastError: undefined,
      rescan: rescan.list,
      totals: {
        ...state.totals,
        eventsWritten: state.totals.eventsWritten + batch.records.length,
        windowsCommitted: state.totals.windowsCommitted + 1,
        objectsWritten: state.totals.objectsWritten + archive.length,
        malformedEvents: state.totals.malformedEvents + batch.malformed.length,
        rescansSkipped: state.totals.rescansSkipped + rescan.dropped,
      },
    };
    if (state.notConfiguredSince !== undefined) changes.notConfiguredSince = undefined;
    // The estimate is kept so the next container plans with it before its first answer.
    if (Math.abs(offsetMs - (state.clockOffsetMs ?? 0)) >= 1_000)
      changes.clockOffsetMs = Math.round(offsetMs);
    await ctx.save(changes);

    const { stats } = ctx;
    stats.windows += 1;
    stats.events += batch.records.length;
    stats.objects += archive.length;
    stats.malformed += batch.malformed.length;
    stats.conflicts += batch.conflicting.length;
    stats.rescansSkipped += rescan.dropped;
    if (rescan.dropped > 0) {
      log.warn('Rescans skipped: too many windows awaiting rescans; the oldest were dropped', {
        dropped: rescan.dropped,
      });
    }
    log.info('Window committed', {
      windowStart: plan.pending.start,
      windowEnd: plan.pending.end,
      redo: plan.kind === 'redo',
      events: batch.records.length,
      pages: batch.pages,
      objects: archive.length,
      malformed: batch.malformed.length,
      conflictingCopies: batch.conflicting.length,
      outsideWindow: batch.outside,
      duplicates: batch.duplicates,
    });
  }

  private logQuarantined(
    quarantined: readonly MalformedEvent[],
    window: { start: string; end: string },
    key: string,
  ): void {
    const { log } = this.ctx.deps;
    for (const event of quarantined.slice(0, MALFORMED_LOG_LIMIT)) {
      // The reason and id only: the event itself may hold anything, so it stays in the quarantine object.
      log.warn(
        event.reason === 'conflicting_copy' ? 'Conflicting copy quarantined' : 'Malformed event quarantined',
        {
          reason: event.reason,
          eventId: event.id,
          windowStart: window.start,
          windowEnd: window.end,
          quarantineKey: key,
        },
      );
    }
    if (quarantined.length > MALFORMED_LOG_LIMIT) {
      log.warn('More malformed events quarantined', {
        notLogged: quarantined.length - MALFORMED_LOG_LIMIT,
        windowStart: window.start,
        windowEnd: window.end,
        quarantineKey: key,
      });
    }
  }
}
