import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildDailyObjects, encodeRecordLine } from '#core/archive/encode.js';
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

const lines = (body: Uint8Array): unknown[] =>
  gunzipSync(body)
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as unknown);

describe('buildDailyObjects', () => {
  it('writes one object per UTC date across midnight, keyed by window and date', () => {
    // Prepare
    const records = [
      record('b', '2026-11-26T00:00:00Z'),
      record('a', '2026-11-25T23:59:59Z'),
      record('c', '2026-11-26T00:30:00Z'),
    ];

    // Act
    const objects = buildDailyObjects(records, ctx);

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

  it('round-trips: gunzip gives one newline-terminated JSON record per line, in (event_time, id) order', () => {
    // Prepare
    const records = [
      record('z', '2026-11-25T23:10:00Z'),
      record('m', '2026-11-25T23:05:00Z'),
      record('a', '2026-11-25T23:10:00Z'),
    ];

    // Act
    const [object] = buildDailyObjects(records, ctx);

    // Assess
    expect(object).toBeDefined();
    if (!object) return;
    const text = gunzipSync(object.body).toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(object.rawBytes).toBe(Buffer.byteLength(text));
    expect(lines(object.body)).toEqual([records[1], records[2], records[0]]);
  });

  it('produces identical bytes whatever order the records arrive in', () => {
    // Prepare
    const records = Array.from({ length: 200 }, (_, i) =>
      record(`id-${(i * 7919) % 200}`, `2026-11-25T23:${String(i % 60).padStart(2, '0')}:00Z`),
    );
    const shuffled = [...records].reverse();

    // Act
    const first = buildDailyObjects(records, ctx);
    const second = buildDailyObjects(shuffled, ctx);

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

  it('writes nothing for no records, and does not reorder the caller’s array', () => {
    // Prepare
    const records = [record('b', '2026-11-25T23:10:00Z'), record('a', '2026-11-25T23:00:00Z')];

    // Act
    const none = buildDailyObjects([], ctx);
    buildDailyObjects(records, ctx);

    // Assess
    expect(none).toEqual([]);
    expect(records.map((r) => r.id)).toEqual(['b', 'a']);
  });

  it('keeps every line valid UTF-8 JSON even with lone surrogates in the text', () => {
    // Prepare
    const odd = { ...record('s', '2026-11-25T23:00:00Z'), event_info: 'bad \ud800 half' };

    // Act
    const [object] = buildDailyObjects([odd], ctx);

    // Assess
    expect(object && lines(object.body)).toEqual([{ ...odd }]);
  });
});
