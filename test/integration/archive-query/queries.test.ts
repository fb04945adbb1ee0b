/**
 * Archive queries over data the real collector wrote, on both engines: every filter alone and
 * in random combinations (fast-check draws filters from values that exist), half-open ranges
 * on exact seconds, paging to the end without duplicate or gap, and literal matching of text
 * that would be a wildcard, a quote or an escape in SQL.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '#core/archive/record.js';
import {
  type ArchiveFixture,
  allResults,
  bodyOf,
  call,
  DAY,
  EMPTY_SOURCE,
  expected,
  type Filter,
  HOUR,
  runQuery,
  startArchiveFixture,
  T0,
} from './harness.js';

let fixture: ArchiveFixture;
let everything: Filter;

beforeAll(async () => {
  fixture = await startArchiveFixture();
  everything = { start: T0 - 30 * DAY, end: T0 + DAY };
}, 120_000);

afterAll(async () => {
  await fixture?.close();
});

const ids = (records: readonly AuditRecord[]) => records.map((r) => r.id);

describe.each(['local', 'athena'] as const)('archive queries on the %s engine', (name) => {
  const engine = () => {
    const found = fixture.engines.find((e) => e.name === name);
    if (!found) throw new Error(name);
    return found;
  };
  const answer = async (filter: Filter, pageSize = 1000) => {
    const id = await runQuery(engine(), bodyOf(filter));
    return (await allResults(engine(), id, pageSize)).records;
  };

  it('returns every archived record of a range, exactly as stored, ordered by event_time then id', async () => {
    const got = await answer(everything);

    expect(fixture.records.length).toBeGreaterThan(500);
    expect(got).toEqual(expected(fixture.records, everything));
    // details and extra come back as the objects that were stored, not as text.
    const hostile = got.find((r) => r.id === 'hostile-percent');
    expect(hostile?.details).toMatchObject({ ip: '198.51.100.7' });
    expect(typeof hostile?.extra).toBe('object');
  });

  it('pages to the end without a duplicate or a gap, the last page without nextPageToken', async () => {
    const filter = { ...everything, limit: 250 };
    const id = await runQuery(engine(), bodyOf(filter));
    const { records, pages } = await allResults(engine(), id, 37);

    expect(ids(records)).toEqual(ids(expected(fixture.records, filter)));
    expect(new Set(ids(records)).size).toBe(records.length);
    expect(pages.every((n) => n <= 37)).toBe(true);
    expect(pages.at(-1)).toBeGreaterThan(0);
  });

  it('keeps ranges half-open on exact seconds: start is included, end is excluded', async () => {
    const pivot = expected(fixture.records, everything)[300];
    if (!pivot) throw new Error('not enough records');
    const t = Date.parse(pivot.event_time);
    const from = await answer({ start: t, end: t + 1000 });
    const until = await answer({ start: t - 1000, end: t });

    expect(ids(from)).toContain(pivot.id);
    expect(ids(until)).not.toContain(pivot.id);
    expect(from).toEqual(expected(fixture.records, { start: t, end: t + 1000 }));
    expect(until).toEqual(expected(fixture.records, { start: t - 1000, end: t }));
  });

  it('reads a range that starts and ends mid-second as whole seconds, exclusive end kept', async () => {
    const pivot = expected(fixture.records, everything)[120];
    if (!pivot) throw new Error('not enough records');
    const t = Date.parse(pivot.event_time);
    // ISO input with milliseconds: [t - 0.5 s, t + 0.5 s) holds exactly the events of second t.
    const id = await runQuery(engine(), {
      start: new Date(t - 500).toISOString(),
      end: new Date(t + 500).toISOString(),
    });
    const { records } = await allResults(engine(), id, 100);

    expect(records).toEqual(expected(fixture.records, { start: t, end: t + 1000 }));
  });

  it('matches %, _, quotes, backslashes and non-ASCII text literally, ignoring case', async () => {
    const day = { start: fixture.hostileAt - HOUR, end: fixture.hostileAt + HOUR };
    const cases: Array<[string, string[]]> = [
      ['100%', ['hostile-percent']],
      ['a_b', ['hostile-underscore']],
      ["O'Brien's", ['hostile-quote']],
      ['C:\\Temp\\x', ['hostile-backslash']],
      ['"hello" -- /*', ['hostile-double-quote']],
      ['ZOË SIGNED IN FROM ZÜRICH', ['hostile-unicode']],
      ['%', ['hostile-percent']],
      ['_', ['hostile-underscore']],
    ];
    for (const [text, want] of cases) {
      const got = await answer({ ...day, text });
      expect(ids(got), text).toEqual(want);
    }
  });

  it('matches the actor exactly, ignoring case, and the IP exactly', async () => {
    const day = { start: fixture.hostileAt - HOUR, end: fixture.hostileAt + HOUR };

    expect(ids(await answer({ ...day, actor: 'JANE.DOE@EXAMPLE.COM' }))).toEqual([
      'hostile-percent',
      'hostile-no-percent',
    ]);
    expect(ids(await answer({ ...day, actor: 'jane.doe@example' }))).toEqual([]);
    expect(ids(await answer({ ...day, actor: "O'BRIEN@example.com" }))).toEqual(['hostile-quote']);
    expect(ids(await answer({ ...day, actor: 'ZOË@EXAMPLE.COM' }))).toEqual(['hostile-unicode']);
    expect(ids(await answer({ ...day, ip: '198.51.100.8' }))).toEqual([
      'hostile-underscore',
      'hostile-no-underscore',
    ]);
    expect(ids(await answer({ ...day, ip: '198.51.100.' }))).toEqual([]);
    expect(ids(await answer({ ...day, ip: '2001:db8::1' }))).toEqual(['hostile-unicode']);
  });

  it('filters on sources, an empty source included, without mixing them up', async () => {
    const mine = await answer({ ...everything, sources: [fixture.sourceId], limit: 100 });
    const empty = await answer({ ...everything, sources: [EMPTY_SOURCE] });

    expect(mine).toEqual(
      expected(fixture.records, { ...everything, sources: [fixture.sourceId], limit: 100 }),
    );
    expect(empty).toEqual([]);
  });

  it('answers random filter combinations exactly as the archive holds them', async () => {
    const values = <K extends keyof AuditRecord>(key: K) => [
      ...new Set(
        fixture.records.map((r) => r[key]).filter((v): v is NonNullable<AuditRecord[K]> => v !== null),
      ),
    ];
    const categories = values('category') as string[];
    const auditTypes = values('audit_type') as string[];
    const actors = (values('actor') as string[]).filter((a) => a !== '');
    const ips = [...new Set(fixture.records.flatMap((r) => (r.details.ip ? [r.details.ip] : [])))];
    const times = fixture.records.map((r) => Date.parse(r.event_time)).sort((a, b) => a - b);
    const first = times[0] ?? T0;
    const last = times.at(-1) ?? T0;

    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            start: fc.integer({ min: first - HOUR, max: last }),
            span: fc.integer({ min: 1, max: 4 * DAY }),
            categories: fc.subarray(categories, { minLength: 1, maxLength: 3 }),
            auditTypes: fc.subarray(auditTypes, { minLength: 1, maxLength: 3 }),
            actor: fc.constantFrom(...actors).map((a) => (a.length % 2 === 0 ? a.toUpperCase() : a)),
            ip: fc.constantFrom(...ips),
            text: fc.constantFrom('logon', 'IP', 'policy', 'a', '.'),
            limit: fc.integer({ min: 1, max: 400 }),
          },
          { requiredKeys: ['start', 'span'] },
        ),
        async ({ start, span, ...rest }) => {
          const filter: Filter = {
            start: Math.floor(start / 1000) * 1000,
            end: Math.floor(start / 1000) * 1000 + span * 1000,
            ...rest,
          };
          filter.end = Math.min(filter.end, filter.start + 5 * DAY);
          const got = await answer(filter, 500);
          expect(got).toEqual(expected(fixture.records, filter));
        },
      ),
      { numRuns: 12, seed: 4242 },
    );
  }, 120_000);

  it('reports the bytes it scanned, and a one-day query scans one day only', async () => {
    const midnight = Math.floor((T0 - 3 * DAY) / DAY) * DAY;
    const oneDay = await runQuery(engine(), bodyOf({ start: midnight, end: midnight + DAY }));
    const all = await runQuery(engine(), bodyOf(everything));
    const stats = async (id: string) =>
      (await call(engine(), 'GET', `/v1/archive/queries/${id}`)).json.statistics as Record<string, number>;
    const day = await stats(oneDay);
    const whole = await stats(all);

    expect(day.bytesScanned).toBeGreaterThan(0);
    expect(whole.bytesScanned).toBeGreaterThan(4 * Number(day.bytesScanned));
    expect(whole.rows).toBe(expected(fixture.records, everything).length);
  });
});
