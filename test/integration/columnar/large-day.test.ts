/**
 * A day of 1,000,000 events (about 17× the benchmark's density, a very large tenant) compacts
 * within the compactor's memory: the real handler runs in a child process with a 1 GiB heap
 * limit (the function has 2 GiB), and its peak RSS is measured. The Parquet copy holds every
 * record once, in order.
 */
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDailyObjects } from '#core/archive/encode.js';
import type { AuditRecord } from '#core/archive/record.js';
import { S3ObjectStore } from '#core/archive/s3-object-store.js';
import { DynamoCompactionLeases } from '#core/columnar/lease.js';
import { DynamoCursorStore } from '#core/cursor/dynamo-cursor-store.js';
import { localArchiveCatalog } from '#local/archive-engine/catalog.js';
import { DuckDbArchive } from '#local/archive-engine/duckdb-archive.js';
import type { StandinsWithClients } from '#test/support/standins.js';
import { compactChildEnv } from '../../../bench/child/compact-env.js';
import { PREFIX, startAws } from '../collector/harness.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const DAY = '2026-10-01';
const EVENTS = 1_000_000;
/** One object per window of 72 minutes: 50,000 records each. */
const OBJECTS = 20;
const WINDOW_MS = 86_400_000 / OBJECTS;
const SOURCE = 'large-tenant';
/** The child's heap limit: half the function's memory, so the rest is left for buffers and native code. */
const HEAP_LIMIT_MB = 1024;

let aws: StandinsWithClients;

/** Synthetic but realistic records: ids unique, times ascending through the day. */
function recordsOfWindow(index: number): AuditRecord[] {
  const perWindow = EVENTS / OBJECTS;
  return Array.from({ length: perWindow }, (_, i) => {
    const n = index * perWindow + i;
    const second = Math.floor((n / EVENTS) * 86_400);
    const time = new Date(Date.parse(`${DAY}T00:00:00Z`) + second * 1000).toISOString().replace('.000Z', 'Z');
    const actor = `user${n % 997}@example.com`;
    const ip = `198.51.${(n >> 8) % 256}.${n % 256}`;
    return {
      id: `evt-${n.toString(36).padStart(8, '0')}-${((n * 2_654_435_761) % 4_294_967_296).toString(16)}`,
      event_time: time,
      category: ['authentication_logs', 'account_logs', 'policy_logs'][n % 3] ?? null,
      audit_type:
        ['Logon Authentication Failed', 'User Logged On', 'Policy Changed', 'Export Finished'][n % 4] ?? null,
      actor,
      event_info: `Event ${n} for ${actor}, Date: ${DAY}, Time: ${time.slice(11, 19)}, IP: ${ip}, Application: Administration Console`,
      details: {
        summary: `Event ${n} for ${actor}`,
        date: DAY,
        time: time.slice(11, 19),
        ip,
        application: 'Administration Console',
      },
      extra: {},
      source: SOURCE,
      collected_at: '2026-10-02T00:10:00Z',
    };
  });
}

beforeAll(async () => {
  aws = await startAws();
  const store = new S3ObjectStore(aws.s3, aws.standins.bucket);
  for (let index = 0; index < OBJECTS; index++) {
    const start = new Date(Date.parse(`${DAY}T00:00:00Z`) + index * WINDOW_MS);
    const window = { start, end: new Date(start.getTime() + WINDOW_MS) };
    for (const object of await buildDailyObjects(recordsOfWindow(index), {
      prefix: PREFIX,
      sourceId: SOURCE,
      window,
    })) {
      await store.putObject(object.key, object.body, 'application/x-ndjson');
    }
  }
  // The collector is past the day (its watermark), nothing of it pending or owed a rescan.
  const cursor = new DynamoCursorStore(aws.dynamodb, aws.standins.table);
  const state = await cursor.acquireLease(SOURCE, 'seed', new Date(), new Date(Date.now() + 60_000));
  if (!state) throw new Error('no cursor');
  await cursor.save(state, 'seed', { watermark: '2026-10-03T00:00:00Z' }, new Date().toISOString());
  await cursor.releaseLease(SOURCE, 'seed', new Date().toISOString());
}, 300_000);

afterAll(async () => {
  await aws?.close();
});

describe('a day of 1,000,000 events', () => {
  it('compacts within the memory limit, every record once and in order', async () => {
    const child = spawn(
      process.execPath,
      [`--max-old-space-size=${HEAP_LIMIT_MB}`, '--import', 'tsx', 'bench/child/compact-child.ts'],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          ...compactChildEnv(aws.standins.env, { dataPrefix: PREFIX, sourceId: SOURCE }),
        },
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code, err).toBe(0);
    const line = out.trim().split('\n').at(-1) ?? '{}';
    const { summary, peakRssBytes } = JSON.parse(line) as {
      summary: { compacted: number; records: number; failures: unknown[] };
      peakRssBytes: number;
    };

    expect(summary).toMatchObject({ compacted: 1, records: EVENTS, failures: [] });
    expect(peakRssBytes).toBeLessThan(HEAP_LIMIT_MB * 1024 * 1024);

    const archive = await DuckDbArchive.create(
      localArchiveCatalog({
        s3Directory: aws.standins.s3Directory,
        bucket: aws.standins.bucket,
        dataPrefix: PREFIX,
        database: 'db',
        view: 'audit_events',
        boundaries: () => new DynamoCompactionLeases(aws.dynamodb, aws.standins.table).boundaries([SOURCE]),
      }),
    );
    try {
      const [[rows, distinct, ordered]] = (
        await archive.execute(
          `SELECT count(*), count(DISTINCT id), bool_and(ordered) FROM (
             SELECT id, (lag(event_time) OVER () IS NULL OR lag(event_time) OVER () <= event_time) AS ordered
             FROM audit_events_parquet WHERE dt = ?)`,
          [DAY],
          { database: 'db' },
        )
      ).rows as [[string, string, string]];
      expect([rows, distinct, ordered]).toEqual([String(EVENTS), String(EVENTS), 'true']);
      // Through the view the day now comes from Parquet alone: the same million, once.
      const [[viewRows]] = (
        await archive.execute('SELECT count(*) FROM audit_events WHERE dt = ?', [DAY], { database: 'db' })
      ).rows as [[string]];
      expect(viewRows).toBe(String(EVENTS));
    } finally {
      await archive.close();
    }
  }, 600_000);
});
