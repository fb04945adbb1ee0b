/**
 * The collector's completeness promise under the ways Mimecast and time misbehave: windows too
 * dense or too slow to drain in one go, throttling mid-window, empty pages in the middle of a
 * search, page tokens that repeat forever, clocks that disagree, and failing runs at the history
 * floor. Real HTTP to the simulator, the real stores over the stand-ins.
 */
import { describe, expect, it } from 'vitest';
import { DynamoCursorStore } from '#core/cursor/dynamo-cursor-store.js';
import type { AuditEventQuery, MimecastClient, RawAuditEvent } from '#core/mimecast/types.js';
import { CollectorMetric } from '#core/observability.js';
import type { CursorChanges } from '#core/ports.js';
import { effectiveFloor, historyFloor, settleHorizon } from '#core/sync/index.js';
import {
  type CollectorUnderTest,
  cursorOf,
  DAY,
  expectExactlyOnce,
  HOUR,
  readArchive,
  T0,
  truthBetween,
  useCollectors,
  wellFormedIds,
} from './harness.js';

const fx = useCollectors();
const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const mimecastTime = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}+0000`;

/** `count` events evenly over `[fromMs, toMs)`, ids `<prefix>-<i>`. */
function spread(prefix: string, fromMs: number, toMs: number, count: number): RawAuditEvent[] {
  const step = (toMs - fromMs) / count;
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${i}`,
    eventTime: mimecastTime(fromMs + Math.floor((i * step) / 1000) * 1000),
    auditType: 'Search Action',
    category: 'case_review_logs',
    user: 'analyst@example.com',
    eventInfo: `Search ${i}`,
  }));
}

/** A client whose searches tell `onPage` which search (its query) and which of its pages was just read. */
function hookSearches(
  client: MimecastClient,
  onPage: (query: AuditEventQuery, page: number) => void,
): MimecastClient {
  return {
    getAuditEventsPage: (...args) => client.getAuditEventsPage(...args),
    getCategories: (...args) => client.getCategories(...args),
    serverClockOffsetMs: () => client.serverClockOffsetMs(),
    async *auditEventPages(query, options) {
      let page = 0;
      for await (const answer of client.auditEventPages(query, options)) {
        page += 1;
        yield answer;
        onPage(query, page);
      }
    },
  };
}

/** Puts a pending window on a source's cursor, as an earlier run that stopped part-way would have left it. */
async function leavePending(c: CollectorUnderTest, changes: CursorChanges): Promise<void> {
  const store = new DynamoCursorStore(fx.aws.dynamodb, fx.aws.standins.table);
  const owner = 'earlier-run';
  const now = c.clock.now();
  const leased = await store.acquireLease(c.settings.SOURCE_ID, owner, new Date(now), new Date(now + 1));
  if (!leased) throw new Error('lease refused');
  await store.save(leased, owner, changes, iso(now));
  await store.releaseLease(c.settings.SOURCE_ID, owner, iso(now));
}

/** The largest number of records any one archive object holds. */
async function largestObject(c: CollectorUnderTest): Promise<number> {
  const archive = await readArchive(fx.aws, c.settings.SOURCE_ID);
  return Math.max(0, ...archive.objects.map((o) => o.records.length));
}

describe('collector: windows too dense or too slow to drain in one go', () => {
  it('drains a dense 6-hour pending window slowly with a small budget: every run commits, the cap holds', async () => {
    // Prepare: 3 000 events in six hours, left pending by an earlier run that died without a word;
    // every page costs one second of the run's 12 s budget (2 s of it kept free).
    const c = await fx.collector({
      sim: { eventsPerDay: 0 },
      settings: { MAX_EVENTS_PER_WINDOW: 200, PAGE_SIZE: 100, SAFETY_MARGIN_MS: 2_000 },
    });
    const start = Math.floor((T0 - 12 * HOUR) / (6 * HOUR)) * 6 * HOUR;
    const end = start + 6 * HOUR;
    const dense = spread('dense', start, end, 3_000);
    c.sim.addEvents(dense);
    await leavePending(c, {
      watermark: iso(start),
      pending: { start: iso(start), end: iso(end), plannedAt: iso(start), attempts: 1 },
    });
    let remaining = 0;
    const client = hookSearches(c.client, () => {
      c.clock.advance(1_000);
      remaining -= 1_000;
    });

    // Act: the schedule's runs, until the six hours are collected (the clock moves a second per
    // page, so the settle horizon keeps moving ahead of a watermark chasing it).
    const runs = [];
    for (let i = 0; i < 60 && Date.parse((await cursorOf(c)).watermark ?? '') < end; i += 1) {
      remaining = 12_000;
      runs.push(await c.run({ client, budget: { remainingMs: () => remaining } }));
    }

    // Assess: progress in every run, no object above the cap, each event once.
    expect(Date.parse((await cursorOf(c)).watermark ?? '')).toBeGreaterThanOrEqual(end);
    expect(runs.length).toBeGreaterThan(3);
    expect(runs.every((r) => r.windows >= 1)).toBe(true);
    expect(runs.reduce((n, r) => n + r.windowSplits, 0)).toBeGreaterThan(0);
    expect(await largestObject(c)).toBeLessThanOrEqual(200);
    await expectExactlyOnce(fx.aws, c, wellFormedIds(dense));
  });

  it('splits a window that Mimecast throttled part-way, holding the cap on the redo', async () => {
    // Prepare: a dense six hours in the backfill; Mimecast answers 429 (a wait too long for the
    // run) after the second page of that window's search.
    const c = await fx.collector({
      sim: { eventsPerDay: 0 },
      settings: { MAX_EVENTS_PER_WINDOW: 200, PAGE_SIZE: 50 },
    });
    const start = Math.floor((T0 - 30 * HOUR) / (6 * HOUR)) * 6 * HOUR;
    const dense = spread('throttled', start, start + 6 * HOUR, 2_000);
    c.sim.addEvents(dense);
    let scripted = false;
    const client = hookSearches(c.client, (query, page) => {
      if (!scripted && query.start.getTime() === start && page === 2) {
        scripted = true;
        c.sim.scriptFaults({ fault: { type: 'rate_limit', resetMs: 600_000 } });
      }
    });

    // Act
    const throttled = await c.run({ client, budget: { remainingMs: () => 30_000 + 60_000 } });
    const left = await cursorOf(c);
    const outcomes = await c.runUntilCaughtUp();

    // Assess: the interrupted window was noted, then split; every event once; the cap held.
    expect(throttled.stopReason).toBe('throttled');
    expect(left.pending).toMatchObject({ start: iso(start), attempts: 1 });
    expect(left.pending?.progress?.pages).toBeGreaterThanOrEqual(2);
    expect(outcomes.some((o) => 'windowSplits' in o && o.windowSplits > 0)).toBe(true);
    expect(await largestObject(c)).toBeLessThanOrEqual(200);
    await expectExactlyOnce(fx.aws, c, wellFormedIds(dense));
  });
});

describe('collector: paging that cannot drop pages', () => {
  it('follows next across empty pages in the middle of a search and loses nothing', async () => {
    // Prepare: three empty pages (each with a new next) in the middle of a multi-page search.
    const c = await fx.collector({ settings: { PAGE_SIZE: 20 } });
    let scripted = false;
    const client = hookSearches(c.client, (_query, page) => {
      if (!scripted && page === 1) {
        scripted = true;
        c.sim.scriptFaults({ fault: { type: 'empty_page' }, times: 3 });
      }
    });

    // Act
    const summary = await c.run({ client });

    // Assess
    expect(summary.stopReason).toBe('caught_up');
    expect(c.sim.requests().filter((r) => r.fault === 'empty_page')).toHaveLength(3);
    await expectExactlyOnce(fx.aws, c);
  });

  it('narrows a window whose page token repeats forever and records only the one unreadable second', async () => {
    // Prepare: paging is stuck in one half hour; 30 events share one second in it, more than a
    // page of 20 holds, so even a one-second search needs the (repeating) token.
    const c = await fx.collector({
      settings: { PAGE_SIZE: 20, LOOKBACK_DAYS: 1, RESCAN_AFTER_SECONDS: [3_600] },
    });
    const stuck = { startMs: T0 - 40 * MINUTE, endMs: T0 - 10 * MINUTE };
    const second = T0 - 25 * MINUTE;
    const burst = Array.from({ length: 30 }, (_, i) => ({
      id: `burst-${i}`,
      eventTime: mimecastTime(second),
      auditType: 'Completed Directory Sync',
    }));
    c.sim.addEvents(burst);
    c.sim.setStuckRanges([stuck]);

    // Act
    const outcomes = await c.runUntilCaughtUp();
    const state = await cursorOf(c);

    // Assess: the rest of the history moved on; the second is recorded, metered and not archived.
    // (The second before it may be recorded too: the simulator treats endDateTime as inclusive,
    // as Mimecast may, so the search of that second also holds the burst and cannot be paged.)
    expect(outcomes.at(-1)).toMatchObject({ stopReason: 'caught_up' });
    expect(state.unreadable).toHaveLength(1);
    const [range] = state.unreadable;
    expect(Date.parse(range?.start ?? '')).toBeGreaterThanOrEqual(second - 1_000);
    expect(Date.parse(range?.start ?? '')).toBeLessThanOrEqual(second);
    expect(range?.end).toBe(iso(second + 1_000));
    expect(state.unreadableTotals.seconds).toBeLessThanOrEqual(2);
    expect(c.metrics.total(CollectorMetric.UnreadableSeconds)).toBe(state.unreadableTotals.seconds);
    const truth = wellFormedIds(
      truthBetween(c, Date.parse(state.backfillFrom ?? ''), Date.parse(state.watermark ?? '')),
    );
    const burstIds = new Set(burst.map((e) => e.id));
    await expectExactlyOnce(
      fx.aws,
      c,
      truth.filter((id) => !burstIds.has(id)),
    );

    // Act again: Mimecast pages through it later; the window's rescan reads it and un-records it.
    c.sim.setStuckRanges([]);
    for (let i = 0; i < 18; i += 1) {
      c.clock.advance(5 * MINUTE);
      await c.run();
    }

    // Assess
    const recovered = await cursorOf(c);
    expect(recovered.unreadable).toEqual([]);
    await expectExactlyOnce(fx.aws, c);
  });
});

describe("collector: Mimecast's clock is not ours", () => {
  it('backfills 60 days when Mimecast runs 40 minutes ahead (its floor, not ours)', async () => {
    // Prepare: a floor by our clock would be 10 minutes older than Mimecast keeps, and it says
    // so with err_validation_date_range.
    const offset = 40 * MINUTE;
    const c = await fx.collector({
      sim: { clockOffsetMs: offset, retentionErrorCode: 'err_validation_date_range' },
      settings: { LOOKBACK_DAYS: 60 },
    });

    // Act
    const first = await c.run();
    c.clock.advance(HOUR);
    c.sim.clearRequests();
    const second = await c.run();

    // Assess: both runs succeed, the backfill starts inside Mimecast's 60 days, no gap is
    // recorded for a first backfill, and the second run is not rejected at all.
    expect(first.stopReason).toBe('caught_up');
    expect(second.stopReason).toBe('caught_up');
    const state = await cursorOf(c);
    expect(Date.parse(state.backfillFrom ?? '')).toBeGreaterThanOrEqual(historyFloor(T0 + offset));
    expect(state.gaps).toEqual([]);
    expect(state.clockOffsetMs).toBeGreaterThan(offset - 2_000);
    expect(c.sim.requests().every((r) => r.status === 200)).toBe(true);
    await expectExactlyOnce(fx.aws, c);
  });

  it('moves the floor when a long outage left the watermark where Mimecast no longer searches, recording the gap once', async () => {
    // Prepare: the watermark is just inside 60 days by our clock, outside by Mimecast's (+40 min).
    const offset = 40 * MINUTE;
    const c = await fx.collector({
      sim: { clockOffsetMs: offset, retentionErrorCode: 'err_validation_date_range' },
    });
    const watermark = historyFloor(T0);
    await leavePending(c, { watermark: iso(watermark), backfillFrom: iso(watermark - DAY) });

    // Act
    const outcomes = await c.runUntilCaughtUp();
    const state = await cursorOf(c);

    // Assess: one merged gap from the old watermark to where Mimecast's history begins (plus margin).
    expect(outcomes.at(-1)).toMatchObject({ stopReason: 'caught_up' });
    expect(state.gaps).toHaveLength(1);
    expect(state.gaps[0]?.start).toBe(iso(watermark));
    const gapEnd = Date.parse(state.gaps[0]?.end ?? '');
    expect(gapEnd).toBeGreaterThanOrEqual(T0 + offset - 60 * DAY);
    expect(state.gapTotals.seconds).toBe((gapEnd - watermark) / 1000);
  });

  it('closes windows by the earlier clock when Mimecast runs 10 minutes behind, so no new event is skipped', async () => {
    // Prepare: events exist (by Mimecast's clock) only up to our now − 10 min.
    const offset = -10 * MINUTE;
    const c = await fx.collector({
      sim: { clockOffsetMs: offset, eventsPerDay: 5_000 },
      settings: { LOOKBACK_DAYS: 1 },
    });

    // Act: a first run, then an hour of the 5-minute schedule.
    await c.run();
    for (let i = 0; i < 12; i += 1) {
      c.clock.advance(5 * MINUTE);
      await c.run();
    }

    // Assess: the watermark respects Mimecast's now − settle, and everything before it is there.
    const state = await cursorOf(c);
    expect(Date.parse(state.watermark ?? '')).toBeLessThanOrEqual(settleHorizon(c.clock.now() + offset, 300));
    await expectExactlyOnce(fx.aws, c);
  });
});

describe('collector: gap accounting', () => {
  it('merges the gaps of runs failing at the history floor and counts each lost second once', async () => {
    // Prepare: a pending window starting 10 s below the floor; five runs fail after recording the
    // gap, each five seconds later, so each sees the floor five seconds further on.
    const c = await fx.collector();
    const floor = historyFloor(T0);
    const start = floor - 10_000;
    await leavePending(c, {
      watermark: iso(start),
      backfillFrom: iso(start),
      pending: { start: iso(start), end: iso(start + HOUR), plannedAt: iso(start), attempts: 1 },
    });
    const failures: unknown[] = [];

    // Act
    for (let i = 0; i < 5; i += 1) {
      c.sim.scriptFaults({ fault: { type: 'fail', retryable: false, code: 'err_request_rejected' } });
      failures.push(await c.run().catch((err: unknown) => err));
      c.clock.advance(5_000);
    }
    const recovered = await c.run();
    const state = await cursorOf(c);

    // Assess: 10 + 4 × 5 + 5 = 35 s lost (the last, successful run saw the floor 5 s further on).
    const lostSeconds = (effectiveFloor(c.clock.now(), { offsetMs: 0, floorAdjustMs: 0 }) - start) / 1000;
    expect(failures.every((f) => f instanceof Error && f.name === 'SyncRunError')).toBe(true);
    expect(recovered.stopReason).toBe('caught_up');
    expect(state.gaps).toHaveLength(1);
    expect(state.gaps[0]).toMatchObject({ start: iso(start) });
    expect(state.gapTotals.seconds).toBe(lostSeconds);
    expect(c.metrics.total(CollectorMetric.GapSeconds)).toBe(lostSeconds);
    expect(lostSeconds).toBe(35);
  });
});
