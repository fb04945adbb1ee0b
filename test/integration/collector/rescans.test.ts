/**
 * Rescans for events Mimecast indexes late (RESCAN_AFTER_SECONDS), on the simulator's clock:
 * the collector runs on a 5-minute schedule while events become searchable minutes to days after
 * their eventTime. Each committed window is searched again at the configured ages; what is found
 * then is merged into the window's objects, each id once, through crashes and overlapping runs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RawAuditEvent } from '#core/mimecast/types.js';
import { CollectorMetric } from '#core/observability.js';
import {
  type CollectorUnderTest,
  cursorOf,
  expectExactlyOnce,
  failingPut,
  failingSave,
  HOUR,
  readArchive,
  truthBetween,
  useCollectors,
  wellFormedIds,
  withPageHook,
} from './harness.js';

const fx = useCollectors();
const MINUTE = 60_000;
const mimecastTime = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}+0000`;

/** Runs the 5-minute schedule for `minutes` of simulated time (one invocation per tick). */
async function schedule(c: CollectorUnderTest, minutes: number): Promise<void> {
  for (let elapsed = 0; elapsed < minutes; elapsed += 5) {
    c.clock.advance(5 * MINUTE);
    await c.run();
  }
}

/** Hand-made events at `eventMs` that Mimecast makes searchable only `delayMs` later. */
function lateEvent(id: string, eventMs: number): RawAuditEvent {
  return {
    id,
    eventTime: mimecastTime(eventMs),
    auditType: 'User Logged On',
    category: 'authentication_logs',
  };
}

describe('collector: late-indexed events', () => {
  it('archives events indexed within the largest rescan age exactly once, and none later than that', async () => {
    // Prepare: rescans at 30 min and 2 h. During four hours of the 5-minute schedule, each
    // quarter hour gets three late events: searchable 10 min, 50 min and 3 days after they happened.
    const c = await fx.collector({
      sim: { eventsPerDay: 2_000 },
      settings: { LOOKBACK_DAYS: 1, RESCAN_AFTER_SECONDS: [1_800, 7_200] },
    });
    await c.run();
    const from = c.clock.now();
    const classes = { soon: 10 * MINUTE, later: 50 * MINUTE, beyond: 3 * 24 * HOUR };
    const planted: Record<keyof typeof classes, string[]> = { soon: [], later: [], beyond: [] };
    for (let at = from + 7 * MINUTE; at < from + 4 * HOUR; at += 15 * MINUTE) {
      for (const [name, delay] of Object.entries(classes) as [keyof typeof classes, number][]) {
        const id = `late-${name}-${at}`;
        c.sim.addEvents([lateEvent(id, at)], new Date(at + delay));
        planted[name].push(id);
      }
    }

    // Act: four hours of schedule, then three more so every window passes 2 h (+ its 30 min of batching).
    await schedule(c, 4 * 60);
    await schedule(c, 3 * 60);

    // Assess
    const archive = await readArchive(fx.aws, c.settings.SOURCE_ID);
    const ids = new Set(archive.ids);
    expect(ids.size, 'no id is archived twice').toBe(archive.ids.length);
    expect(planted.soon.every((id) => ids.has(id))).toBe(true);
    expect(planted.later.every((id) => ids.has(id))).toBe(true);
    expect(planted.beyond.some((id) => ids.has(id))).toBe(false);
    // Everything else Mimecast had by each window's last rescan is there, once.
    const beyond = new Set(planted.beyond);
    const state = await cursorOf(c);
    const truth = wellFormedIds(
      truthBetween(c, Date.parse(state.backfillFrom ?? ''), Date.parse(state.watermark ?? '')),
    ).filter((id) => !beyond.has(id));
    expect([...ids].sort()).toEqual(truth.sort());
    // The 50-minute ones were certainly missed by their window's first search: found late, metered.
    const late = c.metrics.total(CollectorMetric.LateEvents);
    expect(late).toBeGreaterThanOrEqual(planted.later.length);
    expect(late).toBeLessThanOrEqual(planted.later.length + planted.soon.length);
    expect(state.totals.lateEvents).toBe(late);
    expect(state.lateMaxDelaySeconds).toBeGreaterThan(30 * 60);
    expect(state.lateMaxDelaySeconds).toBeLessThanOrEqual(50 * 60);
    // The 50-minute ones need the 2-hour rescan (the 30-minute one is too early for most).
    expect(c.metrics.total(CollectorMetric.LateEventsAtLastRescan)).toBeGreaterThan(0);
    // The windows of the first six hours have had every rescan: none is awaiting one.
    expect(state.rescan.every((w) => w.start * 1000 >= from + 4 * HOUR)).toBe(true);
    expect(
      c.log.lines.filter((l) => l.message === 'Late events merged into a committed window').length,
    ).toBeGreaterThan(0);
  });

  it('gives rescans and new windows both a share of a run that cannot finish both (a backlog)', async () => {
    // Prepare: two hours of schedule (windows awaiting rescans), then six hours without a run.
    // Every page then costs a second of a 40-second budget.
    const c = await fx.collector({
      sim: { eventsPerDay: 20_000 },
      settings: {
        LOOKBACK_DAYS: 1,
        PAGE_SIZE: 50,
        SAFETY_MARGIN_MS: 5_000,
        RESCAN_AFTER_SECONDS: [600, 3_600],
      },
    });
    await c.run();
    await schedule(c, 120);
    c.clock.advance(6 * HOUR);
    let remaining = 0;
    const client = withPageHook(c.client, () => {
      c.clock.advance(1_000);
      remaining -= 1_000;
    });

    // Act: three runs on that budget, then the schedule until caught up.
    const limited = [];
    for (let i = 0; i < 3; i += 1) {
      remaining = 40_000;
      limited.push(await c.run({ client, budget: { remainingMs: () => remaining } }));
    }
    const outcomes = await c.runUntilCaughtUp();

    // Assess: every limited run moved the new history (a window committed, or the pending one
    // split smaller); the first also did rescans though new windows were waiting; the next runs
    // caught up exactly once.
    for (const run of limited) {
      expect(run.stopReason).toBe('time_budget');
      expect(run.windows + run.windowSplits).toBeGreaterThan(0);
    }
    expect(limited[0]?.rescans).toBeGreaterThan(0);
    expect(limited.reduce((n, r) => n + r.windows, 0)).toBeGreaterThan(0);
    expect(outcomes.at(-1)).toMatchObject({ stopReason: 'caught_up' });
    await expectExactlyOnce(fx.aws, c);
  });

  it('never archives a late event twice, nor loses one indexed within the largest age, whatever crashes and overlapping runs occur (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.integer({ min: 1, max: 1_000_000 }),
          delays: fc.array(fc.integer({ min: 60, max: 1_800 }), { minLength: 1, maxLength: 3 }),
          share: fc.double({ min: 0.05, max: 0.3, noNaN: true }),
          pageSize: fc.integer({ min: 15, max: 120 }),
          // Per tick: 0 normal, 1 a crash before a cursor write, 2 a crash writing an object, 3 two runs at once.
          ticks: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 24, maxLength: 36 }),
          crashAt: fc.integer({ min: 1, max: 6 }),
        }),
        async (draw) => {
          const c = await fx.collector({
            sim: {
              seed: draw.seed,
              eventsPerDay: 3_000,
              lateEvents: draw.delays.map((delaySeconds) => ({
                share: draw.share / draw.delays.length,
                delaySeconds,
              })),
            },
            settings: { LOOKBACK_DAYS: 1, PAGE_SIZE: draw.pageSize, RESCAN_AFTER_SECONDS: [600, 1_800] },
          });
          try {
            for (const tick of draw.ticks) {
              c.clock.advance(5 * MINUTE);
              if (tick === 1) {
                let saves = 0;
                const cursor = failingSave(c.cursor, () => {
                  saves += 1;
                  return saves === draw.crashAt;
                });
                await c.run({ cursor }).catch(() => undefined);
              } else if (tick === 2) {
                const objects = failingPut(c.objects, (_k, _p, n) => n === draw.crashAt);
                await c.run({ objects }).catch(() => undefined);
              } else if (tick === 3) {
                await Promise.all([c.run({ owner: 'a' }), c.run({ owner: 'b' })]);
              } else {
                await c.run().catch(() => undefined);
              }
              const archive = await readArchive(fx.aws, c.settings.SOURCE_ID);
              expect(new Set(archive.ids).size, 'no id is archived twice').toBe(archive.ids.length);
            }
            // Quiet runs until every window has had its 30-minute rescan (+ batching).
            await schedule(c, 45);
            const state = await cursorOf(c);
            const done = c.clock.now() - 40 * MINUTE;
            const archive = await readArchive(fx.aws, c.settings.SOURCE_ID);
            const truth = wellFormedIds(truthBetween(c, Date.parse(state.backfillFrom ?? ''), done));
            const archived = new Set(archive.ids);
            expect(archived.size).toBe(archive.ids.length);
            expect(truth.filter((id) => !archived.has(id))).toEqual([]);
            const known = new Set(
              wellFormedIds(truthBetween(c, Date.parse(state.backfillFrom ?? ''), c.clock.now())),
            );
            expect(archive.ids.filter((id) => !known.has(id))).toEqual([]);
          } finally {
            await c.close();
          }
        },
      ),
      { seed: 20261201, numRuns: 6, endOnFailure: true },
    );
  });
});
