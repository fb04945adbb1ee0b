/**
 * The source registry on the DynamoDB stand-in, with the real SDK: items under
 * `source-config#<id>` beside the cursor items of the same table, conditional create / update /
 * dispatch marks, paginated listing, and unreadable items reported instead of used.
 */
import { GetItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCursorStore } from '#core/cursor/dynamo-cursor-store.js';
import {
  DynamoSourceRegistry,
  type RegistryProblem,
  UnreadableSourceConfigError,
} from '#core/registry/dynamo-registry.js';
import { SourceExistsError, SourceNotFoundError } from '#core/registry/source-config.js';
import { type StandinsWithClients, withStandins } from '#test/support/standins.js';

let local: StandinsWithClients;
let registry: DynamoSourceRegistry;
let cursors: DynamoCursorStore;

beforeAll(async () => {
  local = await withStandins();
  registry = new DynamoSourceRegistry(local.dynamodb, local.standins.table);
  cursors = new DynamoCursorStore(local.dynamodb, local.standins.table);
});

afterAll(async () => {
  await local?.close();
});

const T0 = '2026-11-25T10:00:00.000Z';
const T1 = '2026-11-25T10:05:00.000Z';
const secret = (id: string) =>
  `arn:aws:secretsmanager:us-east-1:000000000000:secret:mimecast-audit-lake/${id}-AbCdEf`;

/** Writes a raw item (bypassing the registry), as a hand edit or another version might. */
async function putRaw(pk: string, fields: Record<string, unknown>): Promise<void> {
  const item: Record<string, { S: string } | { N: string } | { BOOL: boolean }> = { pk: { S: pk } };
  for (const [name, value] of Object.entries(fields)) {
    item[name] =
      typeof value === 'number'
        ? { N: String(value) }
        : typeof value === 'boolean'
          ? { BOOL: value }
          : { S: String(value) };
  }
  await local.dynamodb.send(new PutItemCommand({ TableName: local.standins.table, Item: item }));
}

const rawItem = async (pk: string) =>
  (await local.dynamodb.send(new GetItemCommand({ TableName: local.standins.table, Key: { pk: { S: pk } } })))
    .Item;

describe('DynamoSourceRegistry against the DynamoDB stand-in', () => {
  it('adds a source with the defaults under source-config#<id>, at version 1, and reads it back', async () => {
    // Act
    const added = await registry.add({ sourceId: 'acme', secretId: secret('acme') }, T0);
    const read = await registry.get('acme');

    // Assess
    const want = {
      sourceId: 'acme',
      secretId: secret('acme'),
      enabled: true,
      scheduleMinutes: 5,
      lookbackDays: 60,
      settleSeconds: 300,
      rescanAfterSeconds: [3600, 86_400],
      createdAt: T0,
      updatedAt: T0,
      version: 1,
    };
    expect(added).toEqual(want);
    expect(read).toEqual(want);
    expect((await rawItem('source-config#acme'))?.sourceId).toEqual({ S: 'acme' });
    expect(await registry.get('nobody')).toBeUndefined();
  });

  it('refuses to add an id that exists, leaving the item as it was', async () => {
    // Prepare
    await registry.add({ sourceId: 'taken', secretId: secret('taken'), scheduleMinutes: 10 }, T0);

    // Act
    const failure = await registry
      .add({ sourceId: 'taken', secretId: secret('other'), scheduleMinutes: 1 }, T1)
      .catch((err: unknown) => err);

    // Assess
    expect(failure).toBeInstanceOf(SourceExistsError);
    expect(await registry.get('taken')).toMatchObject({
      secretId: secret('taken'),
      scheduleMinutes: 10,
      createdAt: T0,
    });
  });

  it('refuses an invalid source on add and writes nothing', async () => {
    // Act
    const badId = await registry
      .add({ sourceId: 'Not An Id', secretId: 's' }, T0)
      .catch((err: unknown) => err);
    const badSchedule = await registry
      .add({ sourceId: 'too-slow', secretId: 's', scheduleMinutes: 61 }, T0)
      .catch((err: unknown) => err);

    // Assess
    expect(badId).toBeInstanceOf(Error);
    expect(badSchedule).toBeInstanceOf(Error);
    expect(await rawItem('source-config#too-slow')).toBeUndefined();
  });

  it('updates only the given fields, bumps the version and updatedAt, and keeps createdAt', async () => {
    // Prepare
    await registry.add({ sourceId: 'upd', secretId: secret('upd') }, T0);

    // Act
    const first = await registry.update('upd', { scheduleMinutes: 15, rescanAfterSeconds: [] }, T1);
    const second = await registry.update(
      'upd',
      { enabled: false, secretId: secret('upd2') },
      '2026-11-25T11:00:00.000Z',
    );

    // Assess
    expect(first).toMatchObject({
      scheduleMinutes: 15,
      rescanAfterSeconds: [],
      lookbackDays: 60,
      version: 2,
      updatedAt: T1,
    });
    expect(second).toEqual({
      ...first,
      enabled: false,
      secretId: secret('upd2'),
      version: 3,
      updatedAt: '2026-11-25T11:00:00.000Z',
    });
    expect(await registry.get('upd')).toEqual(second);
    expect(second.createdAt).toBe(T0);
  });

  it('refuses to update a source that does not exist, without creating it', async () => {
    // Act
    const failure = await registry.update('ghost', { enabled: false }, T1).catch((err: unknown) => err);

    // Assess
    expect(failure).toBeInstanceOf(SourceNotFoundError);
    expect(await rawItem('source-config#ghost')).toBeUndefined();
  });

  it('refuses an invalid change and leaves the item alone', async () => {
    // Prepare
    await registry.add({ sourceId: 'strict', secretId: secret('strict') }, T0);

    // Act
    const failure = await registry.update('strict', { scheduleMinutes: 0 }, T1).catch((err: unknown) => err);
    const unknownField = await registry
      .update('strict', { sourceId: 'renamed' } as never, T1)
      .catch((err: unknown) => err);

    // Assess
    expect(failure).toBeInstanceOf(Error);
    expect(unknownField).toBeInstanceOf(Error);
    expect(await registry.get('strict')).toMatchObject({ scheduleMinutes: 5, version: 1 });
  });

  it('lives beside the cursor items: a cursor for the same id is neither listed nor touched, and survives remove', async () => {
    // Prepare
    await registry.add({ sourceId: 'shared', secretId: secret('shared') }, T0);
    const lease = await cursors.acquireLease('shared', 'run-a', new Date(T0), new Date(T1));
    await cursors.acquireLease('cursor-only', 'run-a', new Date(T0), new Date(T1));
    if (!lease) throw new Error('no lease');

    // Act
    const listed = await registry.list();
    await registry.update('shared', { lookbackDays: 7 }, T1);
    const removed = await registry.remove('shared');
    const removedAgain = await registry.remove('shared');

    // Assess
    expect(listed.map((s) => s.sourceId)).toContain('shared');
    expect(listed.map((s) => s.sourceId)).not.toContain('cursor-only');
    expect(removed).toBe(true);
    expect(removedAgain).toBe(false);
    expect(await registry.get('shared')).toBeUndefined();
    expect(await cursors.get('shared')).toEqual(lease);
    expect(await cursors.get('cursor-only')).not.toBeNull();
  });

  it('lists every source in id order, across scan pages', async () => {
    // Prepare: large non-registry items first make DynamoDB's 1 MB scan pages split the listing.
    const { table } = local.standins;
    const filler = 'x'.repeat(350_000);
    for (let i = 0; i < 4; i++) await putRaw(`filler#${i}`, { blob: filler });
    const ids = Array.from({ length: 25 }, (_, i) => `page-${String(24 - i).padStart(2, '0')}`);
    for (const id of ids) await registry.add({ sourceId: id, secretId: secret(id) }, T0);
    const firstPage = await local.dynamodb.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: 'begins_with(pk, :p)',
        ExpressionAttributeValues: { ':p': { S: 'source-config#page-' } },
      }),
    );

    // Act
    const listed = (await registry.list()).map((s) => s.sourceId).filter((id) => id.startsWith('page-'));

    // Assess
    expect(firstPage.LastEvaluatedKey).toBeDefined();
    expect(firstPage.Items?.length ?? 0).toBeLessThan(ids.length);
    expect(listed).toEqual([...ids].sort());
  });

  it('leaves unreadable items out of the listing, reports them, and refuses them on get', async () => {
    // Prepare
    await putRaw('source-config#broken', { sourceId: 'broken', secretId: 's', scheduleMinutes: 0 });
    await putRaw('source-config#mismatch', { sourceId: 'someone-else', secretId: 's' });
    await registry.add({ sourceId: 'fine', secretId: secret('fine') }, T0);
    const reported: RegistryProblem[] = [];
    const watched = new DynamoSourceRegistry(local.dynamodb, local.standins.table, {
      onProblem: (problem) => reported.push(problem),
    });

    // Act
    const listing = await watched.listWithProblems();
    const listed = await registry.list();
    const failure = await registry.get('broken').catch((err: unknown) => err);

    // Assess
    expect(listing.sources.map((s) => s.sourceId)).toContain('fine');
    expect(listing.sources.map((s) => s.sourceId)).not.toContain('broken');
    expect(listing.sources.map((s) => s.sourceId)).not.toContain('someone-else');
    expect(listed.map((s) => s.sourceId)).toEqual(listing.sources.map((s) => s.sourceId));
    expect(listing.problems).toEqual([
      { key: 'source-config#broken', reason: expect.stringContaining('scheduleMinutes') },
      { key: 'source-config#mismatch', reason: 'sourceId does not match the key' },
    ]);
    expect(reported).toEqual(listing.problems);
    expect(failure).toBeInstanceOf(UnreadableSourceConfigError);
  });

  describe('markDispatched', () => {
    const slot = (minute: number) => `2026-11-25T10:${String(minute).padStart(2, '0')}:00.000Z`;

    it('records one dispatch per slot, and leaves the version alone', async () => {
      // Prepare
      await registry.add({ sourceId: 'disp', secretId: secret('disp') }, T0);

      // Act
      // A dispatch at the slot's very start counts for that slot.
      const first = await registry.markDispatched('disp', slot(0), slot(0));
      const sameSlot = await registry.markDispatched('disp', '2026-11-25T10:01:05.000Z', slot(0));
      const nextSlot = await registry.markDispatched('disp', '2026-11-25T10:05:02.000Z', slot(5));
      const stale = await registry.markDispatched('disp', '2026-11-25T10:05:09.000Z', slot(5));

      // Assess
      expect([first, sameSlot, nextSlot, stale]).toEqual([true, false, true, false]);
      expect(await registry.get('disp')).toMatchObject({
        lastDispatchedAt: '2026-11-25T10:05:02.000Z',
        version: 1,
        updatedAt: T0,
      });
    });

    it('of concurrent marks for one slot, exactly one wins', async () => {
      // Prepare
      await registry.add({ sourceId: 'race', secretId: secret('race') }, T0);
      const pair = ['2026-11-25T10:00:01.000Z', '2026-11-25T10:00:02.000Z'];
      const crowd = Array.from({ length: 10 }, (_, i) => `2026-11-25T10:05:${String(i + 10)}.000Z`);

      // Act
      const twoResults = await Promise.all(pair.map((at) => registry.markDispatched('race', at, slot(0))));
      const afterPair = (await registry.get('race'))?.lastDispatchedAt;
      const crowdResults = await Promise.all(crowd.map((at) => registry.markDispatched('race', at, slot(5))));

      // Assess
      expect(twoResults.filter(Boolean)).toHaveLength(1);
      expect(afterPair).toBe(pair[twoResults.indexOf(true)]);
      expect(crowdResults.filter(Boolean)).toHaveLength(1);
      expect((await registry.get('race'))?.lastDispatchedAt).toBe(crowd[crowdResults.indexOf(true)]);
    });

    it('answers false for a source that does not exist, and creates nothing', async () => {
      // Act
      const marked = await registry.markDispatched('nobody-here', T1, slot(5));

      // Assess
      expect(marked).toBe(false);
      expect(await rawItem('source-config#nobody-here')).toBeUndefined();
    });

    it('keeps an edit made between reading and marking (only lastDispatchedAt is written)', async () => {
      // Prepare
      await registry.add({ sourceId: 'edit', secretId: secret('edit') }, T0);
      await registry.update('edit', { enabled: false }, T1);

      // Act
      await registry.markDispatched('edit', '2026-11-25T10:06:00.000Z', slot(5));

      // Assess
      expect(await registry.get('edit')).toMatchObject({ enabled: false, version: 2 });
    });
  });
});
