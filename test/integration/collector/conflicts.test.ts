/**
 * Conflicting copies: Mimecast returns one id twice with different content. The first copy stays
 * the record, exactly once; the other is quarantined beside the malformed events, counted
 * (ConflictingCopies) and logged by id, so the disagreement is never silent; identical repeats
 * (overlapping pages) are plain duplicates and no conflict.
 */
import { describe, expect, it } from 'vitest';
import type { RawAuditEvent } from '#core/mimecast/types.js';
import { CollectorMetric } from '#core/observability.js';
import { quarantinePrefix } from '#core/sync/quarantine.js';
import { decodeNdjsonGzip, getObject, listKeys } from '#test/support/standins.js';
import { type CollectorUnderTest, cursorOf, HOUR, PREFIX, readArchive, useCollectors } from './harness.js';

const fx = useCollectors();
const MINUTE = 60_000;
const mimecastTime = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}+0000`;

const copy = (id: string, eventMs: number, eventInfo: string): RawAuditEvent => ({
  id,
  eventTime: mimecastTime(eventMs),
  auditType: 'User Logged On',
  category: 'authentication_logs',
  user: 'jane@example.com',
  eventInfo,
});

/** Every line of every quarantine object of the source. */
async function quarantined(c: CollectorUnderTest): Promise<Array<Record<string, unknown>>> {
  const keys = await listKeys(
    fx.aws.s3,
    fx.aws.standins.bucket,
    quarantinePrefix(PREFIX, c.settings.SOURCE_ID),
  );
  const lines: Array<Record<string, unknown>> = [];
  for (const key of keys) {
    const object = await getObject(fx.aws.s3, fx.aws.standins.bucket, key);
    lines.push(...(decodeNdjsonGzip(object.body) as Array<Record<string, unknown>>));
  }
  return lines;
}

describe('collector: conflicting copies of one id', () => {
  it('keeps the first copy within a window, quarantines and counts the different one, ignores identical repeats', async () => {
    // Prepare
    const c = await fx.collector({ sim: { eventsPerDay: 200 }, settings: { LOOKBACK_DAYS: 1 } });
    const at = c.clock.now() - 3 * HOUR;
    c.sim.addEvents([
      copy('conflict-1', at, 'Successful authentication, IP: 198.51.100.1'),
      copy('conflict-1', at, 'Successful authentication, IP: 6.6.6.6'),
      copy('repeat-1', at + 1000, 'Same text'),
      copy('repeat-1', at + 1000, 'Same text'),
    ]);

    // Act
    const summary = await c.run();

    // Assess
    const archive = await readArchive(fx.aws, c.settings.SOURCE_ID);
    const kept = archive.records.filter((r) => r.id === 'conflict-1');
    expect(kept).toHaveLength(1);
    expect(archive.records.filter((r) => r.id === 'repeat-1')).toHaveLength(1);
    const other = kept[0]?.event_info?.includes('198.51.100.1') ? '6.6.6.6' : '198.51.100.1';
    const lines = await quarantined(c);
    expect(lines.filter((l) => l.id === 'conflict-1')).toEqual([
      expect.objectContaining({ eventInfo: `Successful authentication, IP: ${other}` }),
    ]);
    expect(lines.some((l) => l.id === 'repeat-1')).toBe(false);
    expect(summary.conflictingCopies).toBe(1);
    expect(c.metrics.total(CollectorMetric.ConflictingCopies)).toBe(1);
    expect(
      c.log.lines.some(
        (e) => e.message === 'Conflicting copy quarantined' && e.extra?.eventId === 'conflict-1',
      ),
    ).toBe(true);
    expect(JSON.stringify(c.log.lines)).not.toContain('6.6.6.6');
  });

  it('quarantines a different copy a rescan finds for an archived id, once however many rescans see it', async () => {
    // Prepare: one event archived; later Mimecast also returns a changed copy of it beside a
    // genuinely late event of the same window (so the window's ids change and it is merged).
    const c = await fx.collector({
      sim: { eventsPerDay: 200 },
      settings: { LOOKBACK_DAYS: 1, RESCAN_AFTER_SECONDS: [1_800, 7_200] },
    });
    const at = c.clock.now() - 20 * MINUTE;
    c.sim.addEvents([copy('archived-1', at, 'Original text')]);
    await c.run();
    const visible = new Date(c.clock.now() + 10 * MINUTE);
    c.sim.addEvents(
      [copy('archived-1', at, 'Rewritten text'), copy('late-1', at + 1000, 'Late text')],
      visible,
    );

    // Act: the schedule runs past both rescan ages.
    for (let elapsed = 0; elapsed < 3 * HOUR; elapsed += 5 * MINUTE) {
      c.clock.advance(5 * MINUTE);
      await c.run();
    }

    // Assess
    const archive = await readArchive(fx.aws, c.settings.SOURCE_ID);
    expect(archive.records.filter((r) => r.id === 'archived-1').map((r) => r.event_info)).toEqual([
      'Original text',
    ]);
    expect(archive.records.filter((r) => r.id === 'late-1')).toHaveLength(1);
    const lines = (await quarantined(c)).filter((l) => l.id === 'archived-1');
    expect(lines).toEqual([expect.objectContaining({ event_info: 'Rewritten text' })]);
    expect(c.metrics.total(CollectorMetric.ConflictingCopies)).toBe(1);
    expect((await cursorOf(c)).pending).toBeUndefined();
  });
});
