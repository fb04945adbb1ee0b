/**
 * Committed history, searched again: the rescans of RESCAN_AFTER_SECONDS. One step searches a
 * batch of adjacent due windows in one request sequence, compares what Mimecast now returns for
 * each window with the fingerprint of what the archive holds for it, and, for a window that
 * differs, reads its objects back and writes them again with the late ids added (same keys,
 * each id once, whatever the number of rescans, crashes or redone steps: a merge is a union).
 * The cursor moves only after the objects are written, so a crash repeats the merge, which
 * finds the late ids already stored and writes the same objects again.
 */
import { decodeArchiveObject } from '#core/archive/decode.js';
import { buildDailyObjects, NDJSON_CONTENT_TYPE } from '#core/archive/encode.js';
import { objectKey, utcDatesOf } from '#core/archive/layout.js';
import type { AuditRecord } from '#core/archive/record.js';
import { ProtocolError } from '#core/mimecast/errors.js';
import type { CursorChanges, RescanWindow } from '#core/ports.js';
import { toIsoSeconds } from '#core/time.js';
import { conflictKey, sameContent } from './conflict.js';
import type { DrainOutcome } from './drain.js';
import { type Fingerprint, fingerprintOf, sameFingerprint } from './fingerprint.js';
import { decodeQuarantineLines, encodeQuarantineLines, rescanQuarantineKey } from './quarantine.js';
import { removeRange } from './ranges.js';
import { RescanCollector } from './rescan-collector.js';
import { afterRescan, largestAge, planRescan, type RescanPlan, withoutWindows } from './rescan-plan.js';
import type { RunContext } from './run-context.js';
import { adjustFloor, isHistoryRejection } from './window-steps.js';

/** At most this many windows are searched together (bounds the per-window bookkeeping of one search). */
export const MAX_RESCAN_BATCH_WINDOWS = 500;
/** A batch is sized to this share of the pages that fit its time (pages are not all full, nor equally fast). */
export const RESCAN_TIME_SAFETY = 0.7;

const iso = (seconds: number) => toIsoSeconds(new Date(seconds * 1000));
const ctxAges = (ctx: RunContext): readonly number[] => ctx.settings.RESCAN_AFTER_SECONDS;

/** What merging late ids into one window did. */
interface MergeResult {
  window: RescanWindow;
  late: number;
  maxDelaySeconds: number;
  objects: number;
}

/** The rescan steps of one run. */
export class RescanSteps {
  private maxWindows = MAX_RESCAN_BATCH_WINDOWS;

  constructor(private readonly ctx: RunContext) {}

  /** What is due now (pure: no I/O). */
  plan(): RescanPlan {
    const { ctx } = this;
    const ages = ctx.settings.RESCAN_AFTER_SECONDS;
    if (ages.length === 0 || ctx.state.rescan.length === 0) return { skipped: [], batch: [], age: 0 };
    return planRescan(ctx.state.rescan, ctx.conservativeNowSec(), ctx.floorSec(), ages, {
      maxEvents: this.affordableEvents(),
      maxWindows: this.maxWindows,
    });
  }

  /**
   * How many stored events a batch may cover: half the cap (what its windows held when committed,
   * plus room for what arrived late), and no more than the pages this run has shown it can read in
   * a step's share of the time left (a search stopped at its share is wasted work).
   */
  private affordableEvents(): number {
    const { ctx } = this;
    const byMemory = Math.max(1, Math.floor(ctx.settings.MAX_EVENTS_PER_WINDOW / 2));
    const msPerPage = ctx.msPerPage();
    const share = ctx.shareDeadline(true);
    if (msPerPage === undefined || msPerPage <= 0 || share === undefined) return byMemory;
    const pages = ((share - ctx.now()) / msPerPage) * RESCAN_TIME_SAFETY;
    return Math.max(1, Math.min(byMemory, Math.floor(pages * ctx.settings.PAGE_SIZE)));
  }

  /** True when a rescan step would do something now. */
  hasWork(): boolean {
    const plan = this.plan();
    return plan.batch.length > 0 || plan.skipped.length > 0;
  }

  /** One step: skipped windows recorded, or one batch searched (and merged). `idle` when nothing is due. */
  async step(): Promise<'progress' | 'idle'> {
    const plan = this.plan();
    if (plan.skipped.length > 0) {
      await this.skip(plan.skipped, "the window fell out of Mimecast's 60-day history before its rescan");
      return 'progress';
    }
    if (plan.batch.length === 0) return 'idle';
    return this.search(plan.batch, plan.age === largestAge(ctxAges(this.ctx)));
  }

  /**
   * Searches `batch` and merges what is new. `atLastAge`: this is the batch's search at the largest
   * age, the last chance to find late events in it (what it finds is counted apart: events that
   * arrive this late suggest some arrive later still, beyond every rescan).
   */
  private async search(batch: RescanWindow[], atLastAge: boolean): Promise<'progress'> {
    const { ctx } = this;
    const first = batch[0];
    const last = batch[batch.length - 1];
    if (!first || !last) return 'progress';
    const startMs = first.start * 1000;
    const endMs = last.end * 1000;
    const collector = new RescanCollector(batch, {
      source: ctx.settings.SOURCE_ID,
      collectedAt: ctx.nowIso(),
      cap: ctx.settings.MAX_EVENTS_PER_WINDOW,
    });
    const searchedAt = ctx.conservativeNowSec();
    let outcome: DrainOutcome;
    try {
      ({ outcome } = await ctx.drainInto(ctx.search(startMs, endMs), collector, {
        kind: 'rescan',
        splittable: batch.length > 1,
      }));
    } catch (err: unknown) {
      ctx.drain = undefined;
      if (err instanceof ProtocolError) return this.narrow(batch, `Mimecast's paging failed (${err.reason})`);
      if (isHistoryRejection(err) && adjustFloor(ctx)) {
        ctx.deps.log.warn(
          'Mimecast rejected a rescan at the history floor as too old; moving the floor forward',
          {
            windowStart: iso(first.start),
            code: err.code,
          },
        );
        return 'progress';
      }
      throw err;
    }
    if (outcome.kind === 'stopped') return this.narrow(batch, 'too slow to search in its share of the run');

    const merges: MergeResult[] = [];
    const updated: RescanWindow[] = [];
    for (const window of batch) {
      const found = collector.fingerprint(window);
      const conflicts = collector.conflicts(window);
      if (sameFingerprint(found, window) && conflicts.length === 0) {
        updated.push(window);
        continue;
      }
      const merge = await this.merge(window, collector.records(window), conflicts);
      if (merge === undefined) return 'progress';
      updated.push(merge.window);
      if (merge.late > 0) merges.push(merge);
    }
    await this.commit(batch, updated, merges, searchedAt, {
      startMs,
      endMs,
      events: collector.events,
      last: atLastAge,
    });
    return 'progress';
  }

  /**
   * Reads `window`'s objects and writes them again with the ids Mimecast now returns that they
   * lack. `found` are the rescan's records for the window; `undefined` when they were dropped at
   * the memory cap, in which case the window alone is searched again for the missing ids.
   */
  private async merge(
    window: RescanWindow,
    found: AuditRecord[] | undefined,
    searchConflicts: readonly AuditRecord[],
  ): Promise<MergeResult | undefined> {
    const { ctx } = this;
    const { objects } = ctx.deps;
    const { DATA_PREFIX: prefix, SOURCE_ID: source } = ctx.settings;
    const dates = { start: new Date(window.start * 1000), end: new Date(window.end * 1000) };
    ctx.phase = 'storage';
    const stored = new Map<string, AuditRecord[]>();
    for (const dt of utcDatesOf(window.start * 1000, window.end * 1000)) {
      const key = objectKey(prefix, source, dates, dt);
      const body = await objects.getObject(key);
      if (body !== undefined) stored.set(dt, await decodeArchiveObject(key, body));
    }
    const storedById = new Map<string, AuditRecord>();
    for (const records of stored.values()) for (const record of records) storedById.set(record.id, record);
    const storedIds = new Set(storedById.keys());

    let candidates = found;
    if (candidates === undefined) {
      candidates = await this.researchWindow(window);
      if (candidates === undefined) return undefined;
    }
    const late = candidates.filter((record) => !storedIds.has(record.id));
    // A copy that differs from what is archived, or (for an id not archived yet, now merged as
    // late) a second copy this search returned that differs from the one kept.
    const conflicting: AuditRecord[] = [];
    for (const record of [...candidates, ...searchConflicts]) {
      const archived = storedById.get(record.id);
      if (archived !== undefined ? !sameContent(archived, record) : searchConflicts.includes(record))
        conflicting.push(record);
    }
    if (conflicting.length > 0) await this.quarantineConflicts(window, conflicting);
    let maxDelaySeconds = 0;
    let written = 0;
    if (late.length > 0) {
      const byDate = new Map<string, AuditRecord[]>();
      for (const record of late) {
        const dt = record.event_time.slice(0, 10);
        byDate.set(dt, [...(byDate.get(dt) ?? []), record]);
        // At least this long invisible: it was not in the window's previous search.
        const delay = window.searchedAt - Math.floor(Date.parse(record.event_time) / 1000);
        maxDelaySeconds = Math.max(maxDelaySeconds, delay);
      }
      const merged = [...byDate.entries()].flatMap(([dt, records]) => [
        ...(stored.get(dt) ?? []),
        ...records,
      ]);
      const archive = await buildDailyObjects(merged, { prefix, sourceId: source, window: dates });
      ctx.phase = 'storage';
      await Promise.all(archive.map((o) => objects.putObject(o.key, o.body, NDJSON_CONTENT_TYPE)));
      written = archive.length;
      ctx.deps.log.info('Late events merged into a committed window', {
        windowStart: iso(window.start),
        windowEnd: iso(window.end),
        lateEvents: late.length,
        maxDelaySeconds,
        objects: written,
      });
    }
    const fingerprint: Fingerprint = fingerprintOf(new Set([...storedIds, ...late.map((r) => r.id)]));
    return { window: { ...window, ...fingerprint }, late: late.length, maxDelaySeconds, objects: written };
  }

  /**
   * Keeps the conflicting copies a rescan found (the archived record stays as it is) in the
   * window's rescan quarantine object, as the records they would have been. A union with what the
   * object already holds: the same conflict found again by a later rescan is neither lost nor
   * counted twice.
   */
  private async quarantineConflicts(
    window: RescanWindow,
    conflicting: readonly AuditRecord[],
  ): Promise<void> {
    const { ctx } = this;
    const { objects, log } = ctx.deps;
    const dates = { start: new Date(window.start * 1000), end: new Date(window.end * 1000) };
    const key = rescanQuarantineKey(ctx.settings.DATA_PREFIX, ctx.settings.SOURCE_ID, dates);
    ctx.phase = 'storage';
    const existing = await objects.getObject(key);
    const lines = existing === undefined ? [] : decodeQuarantineLines(existing);
    // Known by content, not by line: a later rescan's copy differs in collected_at only.
    const known = new Set(lines.map((line) => conflictKey(JSON.parse(line) as AuditRecord)));
    const added: AuditRecord[] = [];
    for (const record of conflicting) {
      const k = conflictKey(record);
      if (known.has(k)) continue;
      known.add(k);
      added.push(record);
    }
    if (added.length === 0) return;
    const all = [...lines, ...added.map((record) => JSON.stringify(record))];
    await objects.putObject(key, encodeQuarantineLines(all), NDJSON_CONTENT_TYPE);
    ctx.stats.conflicts += added.length;
    for (const record of added.slice(0, 20)) {
      log.warn('Conflicting copy quarantined', {
        reason: 'conflicting_copy',
        eventId: record.id,
        windowStart: iso(window.start),
        windowEnd: iso(window.end),
        quarantineKey: key,
      });
    }
  }

  /** Searches one window again, keeping its records (after a batch too large to keep them all). */
  private async researchWindow(window: RescanWindow): Promise<AuditRecord[] | undefined> {
    const { ctx } = this;
    const collector = new RescanCollector([window], {
      source: ctx.settings.SOURCE_ID,
      collectedAt: ctx.nowIso(),
      cap: Number.POSITIVE_INFINITY,
    });
    try {
      await ctx.drainInto(ctx.search(window.start * 1000, window.end * 1000), collector, {
        kind: 'rescan',
        splittable: false,
      });
    } catch (err: unknown) {
      ctx.drain = undefined;
      if (err instanceof ProtocolError) {
        await this.narrow([window], `Mimecast's paging failed (${err.reason})`);
        return undefined;
      }
      throw err;
    }
    return collector.records(window) ?? [];
  }

  /** Searches fewer windows at a time from now on, or (one window) gives up on its rescan. */
  private async narrow(batch: RescanWindow[], reason: string): Promise<'progress'> {
    if (batch.length > 1) {
      this.maxWindows = Math.max(1, Math.floor(batch.length / 2));
      return 'progress';
    }
    await this.skip(batch, reason);
    return 'progress';
  }

  /** Removes windows whose rescans cannot be made from the list, counting them. */
  private async skip(windows: readonly RescanWindow[], reason: string): Promise<void> {
    const { ctx } = this;
    const { state } = ctx;
    await ctx.save({
      rescan: withoutWindows(state.rescan, windows),
      totals: { ...state.totals, rescansSkipped: state.totals.rescansSkipped + windows.length },
    });
    ctx.stats.rescansSkipped += windows.length;
    ctx.deps.log.warn('Rescans skipped: late events in these windows can no longer be found', {
      reason,
      windows: windows.length,
      from: iso(windows[0]?.start ?? 0),
      to: iso(windows[windows.length - 1]?.end ?? 0),
    });
  }

  /** Saves the searched windows' new state and the run's late-event figures. */
  private async commit(
    batch: readonly RescanWindow[],
    updated: readonly RescanWindow[],
    merges: readonly MergeResult[],
    searchedAt: number,
    search: { startMs: number; endMs: number; events: number; last: boolean },
  ): Promise<void> {
    const { ctx } = this;
    const { state } = ctx;
    const late = merges.reduce((sum, m) => sum + m.late, 0);
    const maxDelay = merges.reduce((max, m) => Math.max(max, m.maxDelaySeconds), 0);
    const changes: CursorChanges = {
      rescan: afterRescan(state.rescan, updated, searchedAt, ctx.settings.RESCAN_AFTER_SECONDS),
      totals: {
        ...state.totals,
        rescans: state.totals.rescans + 1,
        lateEvents: state.totals.lateEvents + late,
      },
    };
    if (late > 0) {
      changes.lateMaxDelaySeconds = Math.max(state.lateMaxDelaySeconds ?? 0, maxDelay);
      changes.lastLateAt = ctx.nowIso();
    }
    // A second recorded as unreadable that Mimecast has now paged through is no longer lost
    // (its events, if any, were merged above).
    let unreadable = state.unreadable;
    let recovered = 0;
    for (const window of batch) {
      const after = removeRange(unreadable, window.start * 1000, window.end * 1000);
      unreadable = after.list;
      recovered += after.removedSeconds;
    }
    if (recovered > 0) {
      changes.unreadable = unreadable;
      ctx.deps.log.info('Unreadable history read after all by a rescan', { seconds: recovered });
    }
    await ctx.save(changes);
    ctx.stats.rescans += 1;
    ctx.stats.lateEvents += late;
    if (search.last) ctx.stats.lateAtLastRescan += late;
    ctx.stats.lateMaxDelaySeconds = Math.max(ctx.stats.lateMaxDelaySeconds, maxDelay);
    ctx.stats.objects += merges.reduce((sum, m) => sum + m.objects, 0);
    ctx.deps.log.debug('Rescan searched committed windows', {
      rangeStart: toIsoSeconds(new Date(search.startMs)),
      rangeEnd: toIsoSeconds(new Date(search.endMs)),
      windows: batch.length,
      eventsReturned: search.events,
      lateEvents: late,
    });
  }
}
