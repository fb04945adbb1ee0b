/**
 * Compaction of closed days over data the real collector wrote: the Parquet copy of a day holds
 * exactly its NDJSON records (ids, values, order), reruns change nothing, a late merge into a
 * closed day rebuilds it, a crash in the middle leaves no half day, a day too large fails
 * loudly, open days are never compacted, and the view answers every record exactly once on both
 * sides of the boundary whatever the compactor has done.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDailyObjects } from '#core/archive/encode.js';
import type { AuditRecord } from '#core/archive/record.js';
import { S3ObjectStore } from '#core/archive/s3-object-store.js';
import { parquetDayKey } from '#core/columnar/layout.js';
import { S3ColumnarStorage } from '#core/columnar/s3-columnar-storage.js';
import type { ColumnarStorage } from '#core/columnar/storage.js';
import {
  type CompactionFixture,
  DAY,
  dayRecords,
  daysOf,
  PREFIX,
  startCompactionFixture,
  T0,
  VIEW,
} from './harness.js';

let fixture: CompactionFixture;
let records: AuditRecord[];
let days: string[];
/** Days closed at T0: their end is more than a day and 5 minutes ago. */
let closed: string[];

beforeAll(async () => {
  fixture = await startCompactionFixture();
  records = await fixture.ndjsonRecords();
  days = daysOf(records);
  closed = days.filter((dt) => Date.parse(`${dt}T00:00:00Z`) + DAY + (86_400 + 300) * 1000 <= T0);
}, 120_000);

afterAll(async () => {
  await fixture?.close();
});

const ids = (list: readonly AuditRecord[]) => list.map((r) => r.id);

/** Every id the view answers, in order, and how many times each. */
async function viewIds(): Promise<string[]> {
  return (await fixture.query(`SELECT id FROM ${VIEW} ORDER BY event_time, id`)).map(([id]) => String(id));
}

describe('compaction of closed days', () => {
  it('reads every record exactly once through the view before anything is compacted', async () => {
    const [before] = [...(await fixture.leases.boundaries([fixture.sourceId])).values()];

    expect(before).toBeUndefined();
    expect(await viewIds()).toEqual(ids(dayRecords(records, '')));
  });

  it('writes one Parquet object per closed day with exactly its records, in event_time then id order', async () => {
    const summary = await fixture.compact();

    expect(closed.length).toBeGreaterThanOrEqual(3);
    expect(summary).toMatchObject({ compacted: closed.length, recompacted: 0, failures: [] });
    for (const dt of closed) {
      expect(await fixture.parquetDay(dt), dt).toEqual(dayRecords(records, dt));
    }
    for (const dt of days.filter((d) => !closed.includes(d)))
      expect(await fixture.parquetDay(dt), dt).toBeUndefined();
    // Every closed day is before the boundary, the first open day is the boundary.
    expect(summary.boundaries[fixture.sourceId]).toBe(days.find((d) => !closed.includes(d)));
  });

  it('answers every record exactly once through the view, across the boundary', async () => {
    const all = await viewIds();

    expect(all).toEqual(ids(dayRecords(records, '')));
    expect(new Set(all).size).toBe(all.length);
    // And day by day: the last closed day from Parquet, the first open day from NDJSON.
    const lastClosed = closed.at(-1) ?? '';
    const firstOpen = days.find((d) => !closed.includes(d)) ?? '';
    for (const dt of [lastClosed, firstOpen]) {
      const got = (
        await fixture.query(`SELECT id FROM ${VIEW} WHERE dt = '${dt}' ORDER BY event_time, id`)
      ).map(([id]) => String(id));
      expect(got, dt).toEqual(ids(dayRecords(records, dt)));
    }
  });

  it('changes nothing on a rerun, and a forced rebuild writes the same bytes', async () => {
    const key = parquetDayKey(PREFIX, fixture.sourceId, closed[0] ?? '');
    const storage = new S3ColumnarStorage(fixture.aws.s3, fixture.aws.standins.bucket);
    const etag = async () => (await storage.list(key))[0]?.etag;
    const before = await etag();

    const again = await fixture.compact();
    const rebuilt = await fixture.compact({ from: closed[0], to: closed[0], force: true });

    expect(again).toMatchObject({ compacted: 0, recompacted: 0, current: closed.length });
    expect(rebuilt).toMatchObject({ compacted: 0, recompacted: 1 });
    expect(await etag()).toBe(before);
  });

  it('rebuilds a closed day whose NDJSON changed (a late merge), on the S3 event of that day', async () => {
    const dt = closed[1] ?? '';
    const late: AuditRecord = {
      ...(dayRecords(records, dt)[0] as AuditRecord),
      id: 'late-merged-event',
      event_time: `${dt}T23:59:59Z`,
    };
    // A late event lands in the day's last window, as a rescan merge would write it.
    const windowStart = new Date(`${dt}T23:59:00Z`);
    const objects = await buildDailyObjects([late], {
      prefix: PREFIX,
      sourceId: fixture.sourceId,
      window: { start: windowStart, end: new Date(windowStart.getTime() + 60_000) },
    });
    const store = new S3ObjectStore(fixture.aws.s3, fixture.aws.standins.bucket);
    for (const o of objects) await store.putObject(o.key, o.body, 'application/x-ndjson');

    const summary = await fixture.compact({ sources: [fixture.sourceId], from: dt, to: dt });

    expect(summary).toMatchObject({ recompacted: 1, failures: [] });
    const parquet = await fixture.parquetDay(dt);
    expect(parquet?.at(-1)?.id).toBe('late-merged-event');
    expect(parquet).toEqual(dayRecords([...records, late], dt));
    records.push(late);
    expect(await viewIds()).toEqual(ids(dayRecords(records, '')));
  });

  it('leaves no half day when a compaction dies mid-upload: the previous copy stays and the view stays whole', async () => {
    const dt = closed[2] ?? '';
    const key = parquetDayKey(PREFIX, fixture.sourceId, dt);
    const real = new S3ColumnarStorage(fixture.aws.s3, fixture.aws.standins.bucket);
    const before = (await real.list(key))[0]?.etag;
    // The upload of this day fails after its first chunk, as a crash or an S3 outage would.
    const crashing: ColumnarStorage = {
      ...real,
      list: (p) => real.list(p),
      listDirectories: (p) => real.listDirectories(p),
      get: (k) => real.get(k),
      metadata: (k) => real.metadata(k),
      tag: (k, t) => real.tag(k, t),
      upload: (k, o) => {
        const upload = real.upload(k, o);
        if (k !== key) return upload;
        let chunks = 0;
        return {
          write: async (chunk) => {
            chunks += 1;
            if (chunks > 1) throw new Error('simulated crash mid-upload');
            await upload.write(chunk);
          },
          complete: () => upload.complete(),
          abort: () => upload.abort(),
        };
      },
    };

    const summary = await fixture.compact({ from: dt, to: dt, force: true }, crashing);

    expect(summary.failures).toEqual([
      expect.objectContaining({ dt, error: expect.stringContaining('simulated crash') }),
    ]);
    expect((await real.list(key))[0]?.etag).toBe(before);
    expect(await fixture.parquetDay(dt)).toEqual(dayRecords(records, dt));
    expect(await viewIds()).toEqual(ids(dayRecords(records, '')));
  });

  it('moves the boundary back to a day whose compaction failed, so the view reads its NDJSON', async () => {
    const dt = closed[0] ?? '';
    // The first closed day changes, and its rebuild fails: its Parquet copy is stale now.
    const late: AuditRecord = {
      ...(dayRecords(records, dt)[0] as AuditRecord),
      id: 'late-and-unbuilt',
      event_time: `${dt}T23:59:58Z`,
    };
    const windowStart = new Date(`${dt}T23:59:00Z`);
    const store = new S3ObjectStore(fixture.aws.s3, fixture.aws.standins.bucket);
    for (const o of await buildDailyObjects([late], {
      prefix: PREFIX,
      sourceId: fixture.sourceId,
      window: { start: windowStart, end: new Date(windowStart.getTime() + 60_000) },
    })) {
      await store.putObject(o.key, o.body, 'application/x-ndjson');
    }
    records.push(late);
    const real = new S3ColumnarStorage(fixture.aws.s3, fixture.aws.standins.bucket);
    const failing: ColumnarStorage = {
      ...real,
      list: (p) => real.list(p),
      listDirectories: (p) => real.listDirectories(p),
      get: (k) => real.get(k),
      metadata: (k) => real.metadata(k),
      tag: (k, t) => real.tag(k, t),
      upload: () => ({
        write: async () => {
          throw new Error('S3 is down');
        },
        complete: async () => undefined,
        abort: async () => undefined,
      }),
    };

    const summary = await fixture.compact({}, failing);

    expect(summary.failures.map((f) => f.dt)).toEqual([dt]);
    expect(summary.boundaries[fixture.sourceId]).toBe(dt);
    // The stale Parquet day is not read: the late event is there, every record once.
    expect(await viewIds()).toEqual(ids(dayRecords(records, '')));

    const healed = await fixture.compact();
    expect(healed).toMatchObject({ recompacted: 1, failures: [] });
    expect(healed.boundaries[fixture.sourceId]).toBe(days.find((d) => !closed.includes(d)));
    expect(await viewIds()).toEqual(ids(dayRecords(records, '')));
  });

  it('fails a day over the record limit with a clear reason, leaving it to the NDJSON', async () => {
    const dt = closed[0] ?? '';
    const summary = await fixture.compact({ from: dt, to: dt, force: true }, undefined);
    expect(summary.failures).toEqual([]);
    const limited = await (async () => {
      const { runCompaction } = await import('#core/columnar/compactor.js');
      return runCompaction(
        fixture.deps(),
        { ...fixture.settings, MAX_DAY_RECORDS: 10 },
        { remainingMs: () => 600_000 },
        { from: dt, to: dt, force: true },
      );
    })();

    expect(limited.failures).toEqual([
      expect.objectContaining({
        dt,
        error: expect.stringMatching(/DayTooLargeError: day .* more than 10 records/),
      }),
    ]);
    expect(await viewIds()).toEqual(ids(dayRecords(records, '')));
  });

  it('takes a lease per source: a second run at the same time leaves the source alone', async () => {
    const now = fixture.collector.clock.now();
    expect(await fixture.leases.acquire(fixture.sourceId, 'someone-else', now, now + 60_000)).toBe(true);
    try {
      const summary = await fixture.compact();
      expect(summary).toMatchObject({ sources: 0, leaseHeld: 1, compacted: 0 });
    } finally {
      await fixture.leases.release(fixture.sourceId, 'someone-else');
    }
  });
});
