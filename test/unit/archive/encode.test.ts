import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildDailyObjects, encodeRecordLine, GZIP_LEVEL } from '#core/archive/encode.js';
import type { AuditRecord } from '#core/archive/record.js';

const window = { start: new Date('2026-11-25T23:00:00Z'), end: new Date('2026-11-26T01:00:00Z') };
const ctx = { prefix: 'mimecast/audit-events', sourceId: 'default', window };

function record(id: string, eventTime: string): AuditRecord {
  return {
    id,
    event_time: eventTime,
    category: 'authentication_logs',
    audit_type: 'User Logged On',
    actor: 'jane@example.com',
    event_info: `IP: 203.0.113.7, Note: ${id} ünïcode`,
    details: { ip: '203.0.113.7', note: `${id} ünïcode` },
    extra: { n: 1 },
    source: 'default',
    collected_at: '2026-11-26T02:00:00Z',
  };
}

/** The contract's field order, spelled out independently of the encoder. */
const CONTRACT_ORDER = [
  'id',
  'event_time',
  'category',
  'audit_type',
  'actor',
  'event_info',
  'details',
  'extra',
  'source',
  'collected_at',
] as const;

/** A line as the contract defines it: the fields in contract order, JSON, newline. */
const contractLine = (r: AuditRecord): string =>
  `${JSON.stringify(Object.fromEntries(CONTRACT_ORDER.map((field) => [field, r[field]])))}\n`;

const lines = (body: Uint8Array): unknown[] =>
  gunzipSync(body)
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as unknown);

describe('buildDailyObjects', () => {
  it('writes one object per UTC date across midnight, keyed by window and date', async () => {
    // Prepare
    const records = [
      record('b', '2026-11-26T00:00:00Z'),
      record('a', '2026-11-25T23:59:59Z'),
      record('c', '2026-11-26T00:30:00Z'),
    ];

    // Act
    const objects = await buildDailyObjects(records, ctx);

    // Assess
    expect(objects.map((o) => [o.dt, o.key, o.count])).toEqual([
      [
        '2026-11-25',
        'mimecast/audit-events/source=default/dt=2026-11-25/20261125T230000Z_20261126T010000Z.ndjson.gz',
        1,
      ],
      [
        '2026-11-26',
        'mimecast/audit-events/source=default/dt=2026-11-26/20261125T230000Z_20261126T010000Z.ndjson.gz',
        2,
      ],
    ]);
  });

  it('round-trips: gunzip gives one newline-terminated JSON record per line, in (event_time, id) order', async () => {
    // Prepare
    const records = [
      record('z', '2026-11-25T23:10:00Z'),
      record('m', '2026-11-25T23:05:00Z'),
      record('a', '2026-11-25T23:10:00Z'),
    ];

    // Act
    const [object] = await buildDailyObjects(records, ctx);

    // Assess
    expect(object).toBeDefined();
    if (!object) return;
    const text = gunzipSync(object.body).toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(object.rawBytes).toBe(Buffer.byteLength(text));
    expect(lines(object.body)).toEqual([records[1], records[2], records[0]]);
  });

  it('produces identical bytes whatever order the records arrive in', async () => {
    // Prepare
    const records = Array.from({ length: 200 }, (_, i) =>
      record(`id-${(i * 7919) % 200}`, `2026-11-25T23:${String(i % 60).padStart(2, '0')}:00Z`),
    );
    const shuffled = [...records].reverse();

    // Act
    const first = await buildDailyObjects(records, ctx);
    const second = await buildDailyObjects(shuffled, ctx);

    // Assess
    expect(second.map((o) => o.key)).toEqual(first.map((o) => o.key));
    expect(second.map((o) => Buffer.from(o.body).toString('hex'))).toEqual(
      first.map((o) => Buffer.from(o.body).toString('hex')),
    );
  });

  it('writes the fields in contract order even if the record object has another order', () => {
    // Prepare
    const { id, ...rest } = record('x', '2026-11-25T23:00:00Z');
    const reordered = { ...rest, id } as AuditRecord;

    // Act
    const line = encodeRecordLine(reordered);

    // Assess
    expect(Object.keys(JSON.parse(line) as object)).toEqual([
      'id',
      'event_time',
      'category',
      'audit_type',
      'actor',
      'event_info',
      'details',
      'extra',
      'source',
      'collected_at',
    ]);
  });

  it('writes nothing for no records, and does not reorder the caller’s array', async () => {
    // Prepare
    const records = [record('b', '2026-11-25T23:10:00Z'), record('a', '2026-11-25T23:00:00Z')];

    // Act
    const none = await buildDailyObjects([], ctx);
    await buildDailyObjects(records, ctx);

    // Assess
    expect(none).toEqual([]);
    expect(records.map((r) => r.id)).toEqual(['b', 'a']);
  });

  it('keeps every line valid UTF-8 JSON even with lone surrogates in the text', async () => {
    // Prepare
    const odd = { ...record('s', '2026-11-25T23:00:00Z'), event_info: 'bad \ud800 half' };

    // Act
    const [object] = await buildDailyObjects([odd], ctx);

    // Assess
    expect(object && lines(object.body)).toEqual([{ ...odd }]);
  });

  it('grows its buffer for long multi-byte lines without losing or splitting characters', async () => {
    // Prepare: lines far longer than a typical record, in 2-, 3- and 4-byte UTF-8.
    const records = [
      { ...record('long-1', '2026-11-25T23:00:00Z'), event_info: 'é€😀'.repeat(20_000) },
      { ...record('long-2', '2026-11-25T23:00:01Z'), details: { subject: '€'.repeat(50_000) } },
      record('short', '2026-11-25T23:00:02Z'),
    ];

    // Act
    const [object] = await buildDailyObjects(records, ctx);

    // Assess
    expect(object).toBeDefined();
    if (!object) return;
    const text = gunzipSync(object.body).toString('utf8');
    expect(text).toBe(records.map(contractLine).join(''));
    expect(object.rawBytes).toBe(Buffer.byteLength(text));
  });

  it('encodes any records as the contract lines, sorted by (event_time, id), and gzips them like gzipSync (property)', async () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.constantFrom('\ud800', 'a\udc00b', '"quoted"\n\\', ''),
    );
    const anyRecord = fc
      .record({
        id: fc.oneof(fc.string({ unit: 'binary', maxLength: 6 }), fc.constantFrom('a', 'b')),
        // Around the window's midnight, with many records sharing a second.
        second: fc.oneof(fc.integer({ min: 0, max: 7_199 }), fc.constantFrom(3_599, 3_600)),
        eventInfo: fc.option(text),
        details: fc.dictionary(fc.string({ maxLength: 6 }), text, { maxKeys: 4 }),
        extra: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
        // The encoder must not depend on the order in which the record's keys were created.
        keyOrder: fc.shuffledSubarray([...CONTRACT_ORDER], { minLength: CONTRACT_ORDER.length }),
      })
      .map(({ id, second, eventInfo, details, extra, keyOrder }) => {
        const values: AuditRecord = {
          ...record(id, new Date(window.start.getTime() + second * 1000).toISOString().replace('.000Z', 'Z')),
          event_info: eventInfo,
          details,
          extra,
        };
        return Object.fromEntries(keyOrder.map((field) => [field, values[field]])) as unknown as AuditRecord;
      });

    await fc.assert(
      fc.asyncProperty(fc.array(anyRecord, { maxLength: 40 }), async (records) => {
        const objects = await buildDailyObjects(records, ctx);

        const byDate = new Map<string, AuditRecord[]>();
        for (const r of records) {
          const dt = r.event_time.slice(0, 10);
          byDate.set(dt, [...(byDate.get(dt) ?? []), r]);
        }
        expect(objects.map((o) => o.dt)).toEqual([...byDate.keys()].sort());
        for (const object of objects) {
          // event_time has a fixed width, so (event_time, id) order is the order of their concatenation.
          const expected = [...(byDate.get(object.dt) ?? [])]
            .map((r) => ({ key: r.event_time + r.id, line: contractLine(r) }))
            .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
            .map((entry) => entry.line)
            .join('');
          expect(gunzipSync(object.body).toString('utf8')).toBe(expected);
          expect(Buffer.from(object.body)).toEqual(
            gzipSync(Buffer.from(expected, 'utf8'), { level: GZIP_LEVEL }),
          );
          expect(object.rawBytes).toBe(Buffer.byteLength(expected));
          expect(object.count).toBe(byDate.get(object.dt)?.length);
        }
      }),
      { seed: 20261126, numRuns: 150 },
    );
  });
});

describe('encodeRecordLine', () => {
  it('writes the contract fields only, whatever else the record object carries', () => {
    // Prepare
    const plain = record('x', '2026-11-25T23:00:00Z');
    const withMore = { ...plain, internal: 'not for S3' } as AuditRecord;

    // Act
    const line = encodeRecordLine(withMore);

    // Assess
    expect(line).toBe(contractLine(plain));
    expect(line).not.toContain('internal');
  });
});
