import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Fault } from '#local/mimecast-sim/index.js';
import {
  cursorOf,
  expectExactlyOnce,
  failingCommit,
  failingPut,
  readArchive,
  T0,
  useCollectors,
  windowOfKey,
} from './harness.js';

const fx = useCollectors();
const collector = fx.collector;

describe('collector: crashes', () => {
  it('redoes a window whose objects were written but whose commit never happened, without duplicates', async () => {
    // Prepare: the third commit "crashes" after its window's objects are in S3.
    const c = await collector();
    const cursor = failingCommit(c.cursor, 3);
    const crash = await c.run({ cursor }).catch((err: unknown) => err);
    const afterCrash = await cursorOf(c);
    const keysAfterCrash = (await readArchive(fx.aws, c.settings.SOURCE_ID)).objects.map((o) => o.key);

    // Act
    const summary = await c.run();

    // Assess
    expect(crash).toMatchObject({ name: 'SyncRunError', kind: 'cursor' });
    expect(afterCrash.pending).toBeDefined();
    const pendingWindow = `${afterCrash.pending?.start.replace(/[-:]/g, '')}`;
    expect(keysAfterCrash.some((key) => windowOfKey(key).startsWith(pendingWindow))).toBe(true);
    expect(summary.stopReason).toBe('caught_up');
    await expectExactlyOnce(fx.aws, c);
  });

  it('redoes a window that crashed after the first of its two daily objects', async () => {
    // Prepare: 7-hour windows, so some cross midnight and have one object per date; the
    // second object of such a window fails to write.
    const c = await collector({ settings: { MAX_WINDOW_SECONDS: 7 * 3600 } });
    const objects = failingPut(
      c.objects,
      (key, previous) => previous !== undefined && windowOfKey(key) === windowOfKey(previous),
    );
    const crash = await c.run({ objects }).catch((err: unknown) => err);

    // Act
    await c.run();

    // Assess
    expect(crash).toMatchObject({ kind: 'storage' });
    expect(objects.failedKey).toBeDefined();
    await expectExactlyOnce(fx.aws, c);
  });

  it('lets only one of two simultaneous invocations work; the other steps aside', async () => {
    // Prepare
    const c = await collector();

    // Act
    const [a, b] = await Promise.all([c.run({ owner: 'invocation-a' }), c.run({ owner: 'invocation-b' })]);

    // Assess
    expect([a.stopReason, b.stopReason].sort()).toEqual(['caught_up', 'lease_held']);
    await expectExactlyOnce(fx.aws, c);
  });

  it('starts no window when the time budget is nearly exhausted', async () => {
    // Prepare
    const c = await collector();

    // Act
    const summary = await c.run({ budget: { remainingMs: () => 30_000 + 1_000 } });

    // Assess
    expect(summary).toMatchObject({ stopReason: 'time_budget', windows: 0 });
    const state = await cursorOf(c);
    expect(state.pending).toBeUndefined();
    expect(state.watermark).toBeUndefined();
    expect(await readArchive(fx.aws, c.settings.SOURCE_ID)).toMatchObject({ ids: [] });
  });

  it('stops between whole windows when time runs short, and the next run continues', async () => {
    // Prepare: every look at the clock costs 4 s of a 50 s budget.
    const c = await collector();
    let remaining = 30_000 + 20_000;
    const budget = {
      remainingMs: () => {
        remaining -= 4_000;
        return remaining;
      },
    };

    // Act
    const first = await c.run({ budget });
    const afterFirst = await cursorOf(c);
    const second = await c.run();

    // Assess
    expect(first.stopReason).toBe('time_budget');
    expect(first.windows).toBeGreaterThan(0);
    expect(afterFirst.pending).toBeUndefined();
    expect(second.stopReason).toBe('caught_up');
    await expectExactlyOnce(fx.aws, c);
  });
});

/** Faults a real deployment can meet; most are retryable, a few end the run. */
const FAULTS: Fault[] = [
  { type: 'http_error', status: 500 },
  { type: 'http_error', status: 503 },
  { type: 'malformed_json' },
  { type: 'drop_connection' },
  { type: 'slow', delayMs: 800 },
  { type: 'fail', retryable: true },
  { type: 'rate_limit', resetMs: 20 },
  { type: 'unauthorized' },
  { type: 'fail', retryable: false },
  { type: 'binding_expired' },
];

describe('collector: randomised faults and crashes', () => {
  it('archives every event exactly once whatever faults and crash points are drawn', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.integer({ min: 1, max: 1_000_000 }),
          probability: fc.double({ min: 0, max: 0.3, noNaN: true }),
          faults: fc.subarray(FAULTS, { minLength: 1 }),
          windowSeconds: fc.constantFrom(3_600, 7 * 3_600, 6 * 3_600),
          maxEvents: fc.integer({ min: 20, max: 400 }),
          pageSize: fc.integer({ min: 10, max: 150 }),
          commitCrash: fc.option(fc.integer({ min: 1, max: 12 })),
          putCrash: fc.option(fc.integer({ min: 1, max: 12 })),
          hoursLater: fc.integer({ min: 1, max: 30 }),
          // Bursts in the very second where one window ends and the next begins.
          edgeBursts: fc.array(fc.integer({ min: 1, max: 60 }), { maxLength: 3 }),
        }),
        async (draw) => {
          const c = await collector({
            sim: { seed: draw.seed, eventsPerDay: 150, burstShare: 0.3 },
            settings: {
              LOOKBACK_DAYS: 2,
              MAX_WINDOW_SECONDS: draw.windowSeconds,
              MAX_EVENTS_PER_WINDOW: draw.maxEvents,
              PAGE_SIZE: draw.pageSize,
            },
          });
          try {
            const sizeMs = draw.windowSeconds * 1000;
            draw.edgeBursts.forEach((count, i) => {
              const edge = (Math.floor(T0 / sizeMs) - 3 - 5 * i) * sizeMs;
              const eventTime = `${new Date(edge).toISOString().slice(0, 19)}+0000`;
              c.sim.addEvents(
                Array.from({ length: count }, (_, n) => ({
                  id: `edge-${i}-${n}`,
                  eventTime,
                  auditType: 'Burst',
                })),
              );
            });
            c.sim.setRandomFaults({ probability: draw.probability, faults: draw.faults, seed: draw.seed });
            // One run with a crash point, then the schedule's runs until caught up; again later.
            const cursor = draw.commitCrash === null ? c.cursor : failingCommit(c.cursor, draw.commitCrash);
            const putCrash = draw.putCrash;
            const objects =
              putCrash === null ? c.objects : failingPut(c.objects, (_k, _p, n) => n === putCrash);
            await c.run({ cursor, objects }).catch(() => undefined);
            await c.runUntilCaughtUp(100);
            await expectExactlyOnce(fx.aws, c);
            c.clock.advance(draw.hoursLater * 3_600_000);
            await c.runUntilCaughtUp(100);
            await expectExactlyOnce(fx.aws, c);
          } finally {
            await c.close();
          }
        },
      ),
      { seed: 20261125, numRuns: 12, endOnFailure: true },
    );
  });
});
