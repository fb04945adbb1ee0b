/**
 * The OCSF copy of compacted days, over data the real collector wrote: every archived record of a
 * closed day appears exactly once across the classes' Parquet objects (Security Lake layout),
 * each event valid against the pinned OCSF schema; a class with a Security Lake target gets the
 * same bytes there; a failed delivery leaves the day not current (built again by the next run);
 * turning the OCSF output on rebuilds days compacted without it.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '#core/archive/record.js';
import { type CompactorDeps, runCompaction } from '#core/columnar/compactor.js';
import { type OcsfOutput, ocsfOutputOf } from '#core/columnar/ocsf-day.js';
import { S3ColumnarStorage } from '#core/columnar/s3-columnar-storage.js';
import type { ColumnarStorage, StreamingUpload } from '#core/columnar/storage.js';
import { classify } from '#core/ocsf/classify.js';
import { OCSF_VERSION } from '#core/ocsf/version.js';
import { sqlString, withoutNulls } from '#test/support/duckdb.js';
import { getObject, listKeys } from '#test/support/standins.js';
import { loadFixtures, validateEvent } from '../../unit/ocsf/ocsf-validator.js';
import {
  type CompactionFixture,
  DAY,
  dayRecords,
  daysOf,
  PREFIX,
  startCompactionFixture,
  T0,
} from './harness.js';

const OCSF_PREFIX = `${PREFIX}-ocsf`;
const LAKE_PREFIX = 'ext/mimecast-auth/';

let fixture: CompactionFixture;
let records: AuditRecord[];
let closed: string[];
const schema = loadFixtures(OCSF_VERSION);

beforeAll(async () => {
  fixture = await startCompactionFixture({ days: 4, eventsPerDay: 300 });
  records = await fixture.ndjsonRecords();
  closed = daysOf(records).filter((dt) => Date.parse(`${dt}T00:00:00Z`) + DAY + (86_400 + 300) * 1000 <= T0);
}, 120_000);

afterAll(async () => {
  await fixture?.close();
});

/** The OCSF output with one Security Lake target (class 3002) in `lake` storage. */
function output(lake: ColumnarStorage): OcsfOutput {
  const output = ocsfOutputOf(
    {
      OCSF_OUTPUT: true,
      OCSF_REGION: 'eu-west-1',
      OCSF_ACCOUNT_ID: '123456789012',
      DATA_PREFIX: PREFIX,
      PARQUET_ROW_GROUP_SIZE: 100,
      SECURITY_LAKE_TARGETS: [
        {
          classUid: 3002,
          bucket: fixture.aws.standins.bucket,
          prefix: LAKE_PREFIX,
          roleArn: 'arn:aws:iam::123456789012:role/provider',
          externalId: 'x-id',
        },
      ],
    },
    () => lake,
  );
  if (!output) throw new Error('no output');
  return output;
}

const run = (deps: CompactorDeps, force = false) =>
  runCompaction(deps, fixture.settings, { remainingMs: () => 600_000 }, force ? { force: true } : {});

/** The events of every OCSF object under `prefix`, with the key each came from. */
async function ocsfEvents(prefix: string): Promise<Array<{ key: string; event: Record<string, unknown> }>> {
  const keys = (await listKeys(fixture.aws.s3, fixture.aws.standins.bucket, prefix)).filter((k) =>
    k.endsWith('.parquet'),
  );
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  const out: Array<{ key: string; event: Record<string, unknown> }> = [];
  try {
    for (const key of keys) {
      const path = `${fixture.aws.standins.s3Directory}/${fixture.aws.standins.bucket}/${key}._S3rver_object`;
      const reader = await connection.runAndReadAll(
        `SELECT to_json(t)::VARCHAR AS j FROM read_parquet(${sqlString(path)}, hive_partitioning = false) t`,
      );
      for (const [j] of reader.getRows())
        out.push({ key, event: JSON.parse(String(j)) as Record<string, unknown> });
    }
  } finally {
    connection.closeSync();
  }
  return out;
}

/** Storage whose uploads under `prefix` fail on complete. */
function failingUploads(inner: ColumnarStorage, prefix: string): ColumnarStorage {
  return {
    list: (p) => inner.list(p),
    listDirectories: (p) => inner.listDirectories(p),
    get: (k) => inner.get(k),
    metadata: (k) => inner.metadata(k),
    tag: (k, t) => inner.tag(k, t),
    upload(key, options): StreamingUpload {
      const upload = inner.upload(key, options);
      if (!key.startsWith(prefix)) return upload;
      return { ...upload, complete: async () => Promise.reject(new Error('delivery refused')) };
    },
  };
}

describe('the OCSF copy of compacted days', () => {
  it('leaves a day whose delivery failed without a current copy, and builds and delivers it on the next run', async () => {
    const storage = new S3ColumnarStorage(fixture.aws.s3, fixture.aws.standins.bucket);
    const failed = await run({ ...fixture.deps(), ocsf: output(failingUploads(storage, LAKE_PREFIX)) });
    expect(failed.failures.length).toBeGreaterThan(0);
    expect(failed.failures.every((f) => f.error.includes('delivery refused'))).toBe(true);
    expect(failed.compacted + failed.failures.length).toBe(closed.length);

    const again = await run({ ...fixture.deps(), ocsf: output(storage) });
    expect(again.failures).toEqual([]);
    expect(again.compacted).toBe(failed.failures.length);
  });

  it('holds every record of the closed days exactly once, valid OCSF, in the class its audit type maps to', async () => {
    const events = await ocsfEvents(`${OCSF_PREFIX}/`);
    const expected = closed.flatMap((dt) => dayRecords(records, dt));
    const uids = events.map(({ event }) => (event.metadata as { uid: string }).uid);
    expect(uids.length).toBe(new Set(uids).size);
    expect([...uids].sort()).toEqual(expected.map((r) => r.id).sort());

    const byId = new Map(expected.map((r) => [r.id, r]));
    for (const { key, event } of events) {
      const record = byId.get((event.metadata as { uid: string }).uid);
      expect(record).toBeDefined();
      if (!record) continue;
      expect(event.class_uid).toBe(classify(record).classUid);
      expect(event.time).toBe(Date.parse(record.event_time));
      expect(key).toMatch(
        new RegExp(
          `^${OCSF_PREFIX}/ext/mimecast-[a-z-]+/region=eu-west-1/accountId=123456789012/eventDay=${record.event_time.slice(0, 10).replaceAll('-', '')}/`,
        ),
      );
      expect(validateEvent(withoutNulls(event), schema), key).toEqual([]);
    }
  });

  it('delivers the class with a Security Lake target: the same bytes under the custom source prefix', async () => {
    const ours = (
      await listKeys(fixture.aws.s3, fixture.aws.standins.bucket, `${OCSF_PREFIX}/${LAKE_PREFIX}`)
    ).sort();
    const lake = (await listKeys(fixture.aws.s3, fixture.aws.standins.bucket, LAKE_PREFIX)).sort();
    expect(ours.length).toBeGreaterThan(0);
    expect(lake).toEqual(ours.map((k) => k.slice(OCSF_PREFIX.length + 1)));
    for (const key of ours) {
      const a = await getObject(fixture.aws.s3, fixture.aws.standins.bucket, key);
      const b = await getObject(
        fixture.aws.s3,
        fixture.aws.standins.bucket,
        key.slice(OCSF_PREFIX.length + 1),
      );
      expect(Buffer.from(b.body).equals(Buffer.from(a.body))).toBe(true);
    }
  });

  it('rebuilds days compacted without the OCSF copy once the output is turned on', async () => {
    const storage = new S3ColumnarStorage(fixture.aws.s3, fixture.aws.standins.bucket);
    await run(fixture.deps(), true);
    const withoutOcsf = await run(fixture.deps());
    expect(withoutOcsf.recompacted).toBe(0);

    const turnedOn = await run({ ...fixture.deps(), ocsf: output(storage) });
    expect(turnedOn.recompacted).toBe(closed.length);
    expect((await run({ ...fixture.deps(), ocsf: output(storage) })).recompacted).toBe(0);
  });
});
