import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDailyObjects, NDJSON_CONTENT_TYPE } from '#core/archive/encode.js';
import type { AuditRecord } from '#core/archive/record.js';
import { ObjectStoreError, S3ObjectStore } from '#core/archive/s3-object-store.js';
import {
  applyEnv,
  decodeNdjsonGzip,
  downloadArchive,
  getObject,
  listKeys,
  type StandinsWithClients,
  withStandins,
} from '#test/support/standins.js';

let local: StandinsWithClients;

beforeAll(async () => {
  local = await withStandins();
});

afterAll(async () => {
  await local?.close();
});

const window = { start: new Date('2026-11-25T20:00:00Z'), end: new Date('2026-11-26T02:00:00Z') };

function record(id: string, eventTime: string, note = 'first'): AuditRecord {
  return {
    id,
    event_time: eventTime,
    category: 'account_logs',
    audit_type: 'User Password Changed',
    actor: 'admin@example.com',
    event_info: `Note: ${note}`,
    details: { note },
    extra: {},
    source: 'default',
    collected_at: '2026-11-26T03:00:00Z',
  };
}

describe('S3ObjectStore against the S3 stand-in', () => {
  it('writes objects that read back as gzip NDJSON with the right Content-Type and no Content-Encoding', async () => {
    // Prepare
    const store = new S3ObjectStore(local.s3, local.standins.bucket);
    const records = [record('a', '2026-11-25T23:59:59Z'), record('b', '2026-11-26T00:00:00Z')];
    const objects = await buildDailyObjects(records, { prefix: 'write-read', sourceId: 'default', window });

    // Act
    for (const object of objects) await store.putObject(object.key, object.body, NDJSON_CONTENT_TYPE);
    const archive = await downloadArchive(local.s3, local.standins.bucket, 'write-read/');

    // Assess
    expect(archive).toEqual([
      {
        key: 'write-read/source=default/dt=2026-11-25/20261125T200000Z_20261126T020000Z.ndjson.gz',
        contentType: 'application/x-ndjson',
        contentEncoding: undefined,
        records: [records[0]],
      },
      {
        key: 'write-read/source=default/dt=2026-11-26/20261125T200000Z_20261126T020000Z.ndjson.gz',
        contentType: 'application/x-ndjson',
        contentEncoding: undefined,
        records: [records[1]],
      },
    ]);
  });

  it('replaces an object when the same window is written again, leaving no duplicate', async () => {
    // Prepare
    const store = new S3ObjectStore(local.s3, local.standins.bucket);
    const ctx = { prefix: 'rewrite', sourceId: 'default', window };
    const [firstAttempt] = await buildDailyObjects([record('a', '2026-11-25T21:00:00Z', 'first')], ctx);
    const [redo] = await buildDailyObjects(
      [record('a', '2026-11-25T21:00:00Z', 'second'), record('c', '2026-11-25T21:00:01Z', 'second')],
      ctx,
    );
    if (!firstAttempt || !redo) throw new Error('expected one object per attempt');

    // Act
    await store.putObject(firstAttempt.key, firstAttempt.body, NDJSON_CONTENT_TYPE);
    await store.putObject(redo.key, redo.body, NDJSON_CONTENT_TYPE);
    const keys = await listKeys(local.s3, local.standins.bucket, 'rewrite/');
    const stored = await getObject(local.s3, local.standins.bucket, redo.key);

    // Assess
    expect(redo.key).toBe(firstAttempt.key);
    expect(keys).toEqual([redo.key]);
    expect(decodeNdjsonGzip(stored.body)).toEqual([
      record('a', '2026-11-25T21:00:00Z', 'second'),
      record('c', '2026-11-25T21:00:01Z', 'second'),
    ]);
  });

  it('reports a failed write as ObjectStoreError with the S3 error name and status', async () => {
    // Prepare
    const store = new S3ObjectStore(local.s3, 'no-such-bucket');

    // Act
    const failure = await store
      .putObject('k.ndjson.gz', new Uint8Array([1]), NDJSON_CONTENT_TYPE)
      .catch((err: unknown) => err);

    // Assess
    expect(failure).toBeInstanceOf(ObjectStoreError);
    expect(failure).toMatchObject({ errorName: 'NoSuchBucket', status: 404 });
  });

  it('is reachable through the standard environment alone (AWS_ENDPOINT_URL_S3, path-style)', async () => {
    // Prepare: a client built like the Lambda builds it, from nothing but the environment.
    const restore = applyEnv(local.standins.env);
    const s3 = new S3Client({});
    try {
      const store = new S3ObjectStore(s3, local.standins.bucket);
      const [object] = await buildDailyObjects([record('env', '2026-11-25T22:00:00Z')], {
        prefix: 'from-env',
        sourceId: 'default',
        window,
      });
      if (!object) throw new Error('expected one object');

      // Act
      await store.putObject(object.key, object.body, NDJSON_CONTENT_TYPE);
      const archive = await downloadArchive(local.s3, local.standins.bucket, 'from-env/');

      // Assess
      expect(archive.map((o) => o.records)).toEqual([[record('env', '2026-11-25T22:00:00Z')]]);
    } finally {
      s3.destroy();
      restore();
    }
  });

  it('lists every key across several pages', async () => {
    // Prepare
    const store = new S3ObjectStore(local.s3, local.standins.bucket);
    const keys = Array.from({ length: 5 }, (_, i) => `paging/k${i}.ndjson.gz`);
    for (const key of keys) await store.putObject(key, new Uint8Array([1]), NDJSON_CONTENT_TYPE);

    // Act
    const listed = await listKeys(local.s3, local.standins.bucket, 'paging/', 2);

    // Assess
    expect(listed).toEqual(keys);
  });
});
