import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDailyObjects, NDJSON_CONTENT_TYPE } from '#core/archive/encode.js';
import { normaliseEvent } from '#core/archive/normalise.js';
import type { AuditRecord } from '#core/archive/record.js';
import { S3ObjectStore } from '#core/archive/s3-object-store.js';
import type { RawAuditEvent } from '#core/mimecast/types.js';
import { mirrorS3ToDir, readArchiveWithDuckDb } from '#test/support/archive.js';
import { type StandinsWithClients, withStandins } from '#test/support/standins.js';

const PREFIX = 'mimecast/audit-events';

let local: StandinsWithClients;
let mirror: string;

beforeAll(async () => {
  local = await withStandins();
  mirror = await mkdtemp(join(tmpdir(), 'archive-mirror-'));
});

afterAll(async () => {
  await local?.close();
  if (mirror) await rm(mirror, { recursive: true, force: true });
});

/** `count` events spread evenly over [startMs, startMs + spanMs). */
function events(startMs: number, spanMs: number, count: number, idPrefix: string): RawAuditEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${idPrefix}-${i}`,
    eventTime: new Date(startMs + Math.floor((i * spanMs) / count))
      .toISOString()
      .replace(/\.\d{3}Z$/, '+0000'),
    category: 'authentication_logs',
    auditType: 'User Logged On',
    user: `user${i % 7}@example.com`,
    eventInfo: `Successful authentication for User <user${i % 7}@example.com>, IP: 203.0.113.${i % 250}, Application: Administration Console`,
    loginMethod: i % 2 === 0 ? 'SAML' : 'Password',
  }));
}

function normaliseAll(raw: RawAuditEvent[], source: string): AuditRecord[] {
  return raw.flatMap((event) => {
    const result = normaliseEvent(event, { source, collectedAt: '2026-11-26T06:00:00Z' });
    return result.ok ? [result.record] : [];
  });
}

describe('Athena compatibility (DuckDB over what S3 holds)', () => {
  it('reads the objects with hive partitions and the Glue column list; per-day counts match', async () => {
    // Prepare: two windows of one source, spanning three UTC days, plus a second source.
    const store = new S3ObjectStore(local.s3, local.standins.bucket);
    const day = 86_400_000;
    const d24 = Date.UTC(2026, 10, 24);
    const windows = [
      {
        start: new Date(d24 + 20 * 3_600_000),
        end: new Date(d24 + day + 6 * 3_600_000),
        events: events(d24 + 20 * 3_600_000, 10 * 3_600_000, 300, 'w1'),
      },
      {
        start: new Date(d24 + day + 6 * 3_600_000),
        end: new Date(d24 + 2 * day + 1_800_000),
        events: events(d24 + day + 6 * 3_600_000, 18.5 * 3_600_000, 185, 'w2'),
      },
    ];
    const written = new Map<string, number>();
    for (const window of windows) {
      for (const [source, records] of [
        ['default', normaliseAll(window.events, 'default')],
        ['eu', normaliseAll(window.events.slice(0, 10), 'eu')],
      ] as const) {
        for (const object of await buildDailyObjects(records, { prefix: PREFIX, sourceId: source, window })) {
          await store.putObject(object.key, object.body, NDJSON_CONTENT_TYPE);
          written.set(`${source}/${object.dt}`, (written.get(`${source}/${object.dt}`) ?? 0) + object.count);
        }
      }
    }

    // Act
    const keys = await mirrorS3ToDir(local.s3, local.standins.bucket, `${PREFIX}/`, mirror);
    const { rows, perDay } = await readArchiveWithDuckDb(mirror);

    // Assess
    expect(keys.length).toBeGreaterThan(0);
    // Window 1: one event every 120 s from 20:00 on the 24th (120 that day, 180 on the 25th);
    // window 2: one every 360 s from 06:00 on the 25th (180 that day, 5 after midnight).
    expect(perDay).toEqual({
      'default/2026-11-24': 120,
      'default/2026-11-25': 360,
      'default/2026-11-26': 5,
      'eu/2026-11-24': 10,
      'eu/2026-11-25': 10,
    });
    expect(perDay).toEqual(Object.fromEntries(written));
    const defaultRows = rows.filter((row) => row.source === 'default');
    expect(new Set(defaultRows.map((row) => row.id)).size).toBe(300 + 185);
    expect(rows.every((row) => row.dt === row.event_time.slice(0, 10))).toBe(true);
    const sample = rows.find((row) => row.id === 'w1-3' && row.source === 'default');
    expect(sample).toEqual({
      id: 'w1-3',
      event_time: '2026-11-24T20:06:00Z',
      category: 'authentication_logs',
      audit_type: 'User Logged On',
      actor: 'user3@example.com',
      event_info:
        'Successful authentication for User <user3@example.com>, IP: 203.0.113.3, Application: Administration Console',
      details: {
        summary: 'Successful authentication for User <user3@example.com>',
        ip: '203.0.113.3',
        application: 'Administration Console',
        email_addresses: 'user3@example.com',
      },
      extra: '{"loginMethod":"Password"}',
      collected_at: '2026-11-26T06:00:00Z',
      source: 'default',
      dt: '2026-11-24',
    });
  });

  it('reads an empty archive as no rows', async () => {
    // Prepare
    const empty = await mkdtemp(join(tmpdir(), 'archive-empty-'));
    try {
      // Act
      const readout = await readArchiveWithDuckDb(empty);

      // Assess
      expect(readout).toEqual({ rows: [], perDay: {} });
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
