import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { settleHorizon } from '#core/sync/index.js';
import { toUtcDate } from '#core/time.js';
import { mirrorS3ToDir, readArchiveWithDuckDb } from '#test/support/archive.js';
import {
  cursorOf,
  DAY,
  expectExactlyOnce,
  HOUR,
  PREFIX,
  T0,
  useCollectors,
  wellFormedIds,
} from './harness.js';

const fx = useCollectors();
const collector = fx.collector;

describe('collector: backfill and incremental runs', () => {
  it('backfills 60 days on the first run, then collects only new events, each exactly once', async () => {
    // Prepare
    const c = await collector({
      settings: { LOOKBACK_DAYS: 60, MAX_WINDOW_SECONDS: 86_400 },
      sim: { eventsPerDay: 100 },
    });

    // Act: the first run, then two later runs as time passes.
    const first = await c.run();
    const afterFirst = await expectExactlyOnce(fx.aws, c);
    c.clock.advance(2 * HOUR);
    const second = await c.run();
    await expectExactlyOnce(fx.aws, c);
    c.clock.advance(DAY + 17 * 60_000);
    const third = await c.run();

    // Assess
    const state = await cursorOf(c);
    expect(first).toMatchObject({ stopReason: 'caught_up', backfillPercent: 100, lagSeconds: 300 });
    expect(afterFirst.ids.length).toBeGreaterThan(5000);
    expect(Date.parse(state.backfillFrom ?? '')).toBeLessThanOrEqual(T0 - 59 * DAY);
    expect(second.events).toBeGreaterThan(0);
    expect(second.events).toBeLessThan(100);
    expect(third.stopReason).toBe('caught_up');
    expect(state.watermark).toBe(
      new Date(settleHorizon(c.clock.now(), 300)).toISOString().replace('.000Z', 'Z'),
    );
    await expectExactlyOnce(fx.aws, c);
  });

  it('writes records with the contract fields, taken from the raw events', async () => {
    // Prepare
    const c = await collector({ settings: { LOOKBACK_DAYS: 1 } });
    const eventTime = T0 - 3 * HOUR;
    c.sim.addEvents([
      {
        id: 'hand-made-1',
        eventTime: '2026-11-25T09:00:00+0000',
        auditType: 'User Logged On',
        category: 'authentication_logs',
        user: 'jane@example.com',
        eventInfo:
          'Successful authentication for Jane <jane@example.com>, IP: 203.0.113.7, Application: Administration Console',
        riskScore: 7,
      },
    ]);

    // Act
    await c.run();

    // Assess
    const archive = await expectExactlyOnce(fx.aws, c);
    const record = archive.records.find((r) => r.id === 'hand-made-1');
    expect(record).toEqual({
      id: 'hand-made-1',
      event_time: new Date(eventTime).toISOString().replace('.000Z', 'Z'),
      category: 'authentication_logs',
      audit_type: 'User Logged On',
      actor: 'jane@example.com',
      event_info:
        'Successful authentication for Jane <jane@example.com>, IP: 203.0.113.7, Application: Administration Console',
      details: expect.objectContaining({ ip: '203.0.113.7', application: 'Administration Console' }),
      extra: { riskScore: 7 },
      source: c.settings.SOURCE_ID,
      collected_at: '2026-11-25T12:00:00Z',
    });
  });

  it('is readable the way Athena reads it: DuckDB per-day counts equal the simulator truth', async () => {
    // Prepare
    const c = await collector({ settings: { LOOKBACK_DAYS: 10 }, sim: { eventsPerDay: 150 } });
    await c.run();
    const state = await cursorOf(c);
    const dir = await mkdtemp(join(tmpdir(), 'collector-duckdb-'));

    try {
      // Act
      await mirrorS3ToDir(
        fx.aws.s3,
        fx.aws.standins.bucket,
        `${PREFIX}/source=${c.settings.SOURCE_ID}/`,
        dir,
      );
      const readout = await readArchiveWithDuckDb(join(dir, PREFIX));

      // Assess
      const truth = c.sim.groundTruth(new Date(state.backfillFrom ?? ''), new Date(state.watermark ?? ''));
      const expected: Record<string, number> = {};
      for (const event of truth) {
        const day = toUtcDate(new Date(String(event.eventTime).replace('+0000', 'Z')));
        const key = `${c.settings.SOURCE_ID}/${day}`;
        expected[key] = (expected[key] ?? 0) + 1;
      }
      expect(readout.perDay).toEqual(expected);
      expect(readout.rows.map((r) => r.id).sort()).toEqual(wellFormedIds(truth).sort());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('collector: the edges of time', () => {
  it('collects late-arriving events that show up within the settle delay', async () => {
    // Prepare: 30 % of events become visible only 4 minutes after their eventTime (settle is 5).
    const c = await collector({
      settings: { LOOKBACK_DAYS: 1 },
      sim: { lateEvents: { share: 0.3, delaySeconds: 240 } },
    });

    // Act: runs every 10 minutes for two hours.
    await c.run();
    for (let i = 0; i < 12; i += 1) {
      c.clock.advance(10 * 60_000);
      await c.run();
    }

    // Assess
    await expectExactlyOnce(fx.aws, c);
  });

  it('keeps each of many events that share the boundary second of two windows exactly once', async () => {
    // Prepare: 450 events in the very second where one 6-hour window ends and the next starts,
    // and 50 in the second before; pages of 100 split them across several pages.
    const c = await collector({ settings: { LOOKBACK_DAYS: 1 } });
    const edge = Date.UTC(2026, 10, 25, 6, 0, 0);
    const at = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}+0000`;
    c.sim.addEvents([
      ...Array.from({ length: 450 }, (_, i) => ({
        id: `edge-${i}`,
        eventTime: at(edge),
        auditType: 'Burst',
      })),
      ...Array.from({ length: 50 }, (_, i) => ({
        id: `before-${i}`,
        eventTime: at(edge - 1000),
        auditType: 'Burst',
      })),
    ]);

    // Act
    await c.run();

    // Assess
    const archive = await expectExactlyOnce(fx.aws, c);
    const edgeKeys = archive.objects
      .filter((o) => o.records.some((r) => r.id.startsWith('edge-')))
      .map((o) => o.key);
    expect(edgeKeys).toEqual([expect.stringMatching(/\/20261125T060000Z_\d{8}T\d{6}Z\.ndjson\.gz$/)]);
    expect(archive.ids.filter((id) => id.startsWith('edge-') || id.startsWith('before-'))).toHaveLength(500);
  });

  it('stops paging at an empty last page that still carries a next token', async () => {
    // Prepare
    const c = await collector({ settings: { LOOKBACK_DAYS: 2 }, sim: { emptyLastPageWithNext: true } });

    // Act
    const summary = await c.run();

    // Assess
    expect(summary.stopReason).toBe('caught_up');
    await expectExactlyOnce(fx.aws, c);
    const emptyPages = c.sim.requests().filter((r) => r.endpoint === 'get-audit-events' && r.returned === 0);
    expect(emptyPages.length).toBeLessThanOrEqual(summary.windows);
  });

  it('records the range lost when the cursor is older than 60 days, and resumes at the floor', async () => {
    // Prepare: a first backfill, then 70 days without a run.
    const c = await collector({
      settings: { LOOKBACK_DAYS: 2, MAX_WINDOW_SECONDS: 86_400 },
      sim: { eventsPerDay: 50 },
    });
    await c.run();
    const before = await cursorOf(c);
    const archivedBefore = wellFormedIds(
      c.sim.groundTruth(new Date(before.backfillFrom ?? ''), new Date(before.watermark ?? '')),
    );
    c.clock.advance(70 * DAY);

    // Act
    const summary = await c.run();

    // Assess
    const after = await cursorOf(c);
    expect(summary.gapsRecorded).toBe(1);
    expect(after.gaps).toEqual([expect.objectContaining({ start: before.watermark })]);
    const gapEnd = Date.parse(after.gaps[0]?.end ?? '');
    expect(gapEnd).toBeGreaterThan(c.clock.now() - 60 * DAY);
    expect(c.log.lines.some((l) => l.level === 'warn' && l.extra?.gapStart === before.watermark)).toBe(true);
    expect(c.metrics.total('GapSeconds')).toBe((gapEnd - Date.parse(before.watermark ?? '')) / 1000);
    const resumed = wellFormedIds(c.sim.groundTruth(new Date(gapEnd), new Date(after.watermark ?? '')));
    await expectExactlyOnce(fx.aws, c, [...archivedBefore, ...resumed]);
  });
});
