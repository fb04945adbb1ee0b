import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoCursorStore } from '#core/cursor/dynamo-cursor-store.js';
import { applyEnv, startStandins } from '#local/standins/index.js';

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

let cleanup: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

describe('startStandins', () => {
  it('points the standard SDK environment at loopback servers, and unmodified clients use them', async () => {
    // Prepare
    const standins = await startStandins({ table: 'cursor-table', bucket: 'lake-bucket' });
    cleanup.push(() => standins.close());
    const restore = applyEnv(standins.env);
    cleanup.push(restore);
    const client = new DynamoDBClient({});
    cleanup.push(() => client.destroy());

    // Act
    const state = await new DynamoCursorStore(client, standins.table).acquireLease(
      'env',
      'run-a',
      new Date('2026-11-25T00:00:00Z'),
      new Date('2026-11-25T00:01:00Z'),
    );

    // Assess
    expect(state?.version).toBe(1);
    expect(standins.env).toMatchObject({
      AWS_REGION: 'us-east-1',
      BUCKET_NAME: 'lake-bucket',
      CURSOR_TABLE_NAME: 'cursor-table',
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    });
    for (const name of [
      'AWS_ENDPOINT_URL_S3',
      'AWS_ENDPOINT_URL_DYNAMODB',
      'AWS_ENDPOINT_URL_SECRETS_MANAGER',
    ]) {
      expect(standins.env[name]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    }
  });

  it('stops every server on close (twice is fine) and removes only a directory it created', async () => {
    // Prepare
    const given = await mkdtemp(join(tmpdir(), 'standins-given-'));
    cleanup.push(() => rm(given, { recursive: true, force: true }));
    const withGiven = await startStandins({ directory: given });
    const withTemp = await startStandins();
    const endpoints = [withGiven, withTemp].flatMap((s) => [
      s.env.AWS_ENDPOINT_URL_S3,
      s.env.AWS_ENDPOINT_URL_DYNAMODB,
      s.env.AWS_ENDPOINT_URL_SECRETS_MANAGER,
    ]);

    // Act
    await Promise.all([withGiven.close(), withTemp.close()]);
    await withGiven.close();
    const reachable = await Promise.all(
      endpoints.map((endpoint) =>
        fetch(`${endpoint}/`).then(
          () => true,
          () => false,
        ),
      ),
    );

    // Assess
    expect(reachable).toEqual(endpoints.map(() => false));
    expect(await exists(given)).toBe(true);
    expect(await exists(withTemp.s3Directory)).toBe(false);
  });
});

describe('applyEnv', () => {
  it('sets variables and restores previous values, removing ones that were absent', () => {
    // Prepare
    process.env.STANDIN_TEST_EXISTING = 'before';
    delete process.env.STANDIN_TEST_NEW;

    // Act
    const restore = applyEnv({ STANDIN_TEST_EXISTING: 'during', STANDIN_TEST_NEW: 'added' });
    const during = [process.env.STANDIN_TEST_EXISTING, process.env.STANDIN_TEST_NEW];
    restore();

    // Assess
    expect(during).toEqual(['during', 'added']);
    expect(process.env.STANDIN_TEST_EXISTING).toBe('before');
    expect('STANDIN_TEST_NEW' in process.env).toBe(false);
    delete process.env.STANDIN_TEST_EXISTING;
  });
});
