import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCursorStore } from '#core/cursor/dynamo-cursor-store.js';
import { MAX_STORED_GAPS } from '#core/cursor/item.js';
import { CursorConflictError, type CursorState } from '#core/ports.js';
import { type StandinsWithClients, withStandins } from '#test/support/standins.js';

let local: StandinsWithClients;
let store: DynamoCursorStore;

beforeAll(async () => {
  local = await withStandins();
  store = new DynamoCursorStore(local.dynamodb, local.standins.table);
});

afterAll(async () => {
  await local?.close();
});

const t0 = new Date('2026-11-25T10:00:00.000Z');
const at = (seconds: number): Date => new Date(t0.getTime() + seconds * 1000);
const pending = (hour: number) => ({
  start: `2026-11-24T${String(hour).padStart(2, '0')}:00:00Z`,
  end: `2026-11-24T${String(hour + 1).padStart(2, '0')}:00:00Z`,
  plannedAt: at(1).toISOString(),
});
const commit = (watermark: string, events: number) => ({
  watermark,
  at: at(2).toISOString(),
  eventsWritten: events,
  objectsWritten: 1,
  malformedEvents: 1,
});

/** The rejection reason, as a value (so the assertion can come after other awaits). */
const caught = (err: unknown): unknown => err;

/** Takes the lease for `owner` at t0 for 60 s, failing the test if it is refused. */
async function lease(sourceId: string, owner = 'run-a', now = t0): Promise<CursorState> {
  const state = await store.acquireLease(sourceId, owner, now, new Date(now.getTime() + 60_000));
  if (!state) throw new Error(`lease refused to ${owner}`);
  return state;
}

describe('DynamoCursorStore against the DynamoDB stand-in', () => {
  it('returns null for a source that has never run', async () => {
    expect(await store.get('never-ran')).toBeNull();
  });

  it('creates the item under the contract key on first acquire, at version 1, with the lease', async () => {
    // Act
    const state = await store.acquireLease('first', 'run-a', t0, at(60));
    const stored = await store.get('first');

    // Assess
    expect(state).toEqual(stored);
    expect(stored).toMatchObject({
      sourceId: 'first',
      version: 1,
      watermark: undefined,
      pending: undefined,
      lease: { owner: 'run-a', expiresAt: at(60).toISOString() },
      totals: { eventsWritten: 0, windowsCommitted: 0, objectsWritten: 0, malformedEvents: 0 },
      gaps: [],
    });
  });

  it('refuses a second owner while the lease is live and grants it once the lease has expired', async () => {
    // Prepare
    await lease('contended', 'run-a');

    // Act
    const whileLive = await store.acquireLease('contended', 'run-b', at(30), at(90));
    const afterExpiry = await store.acquireLease('contended', 'run-b', at(61), at(121));

    // Assess
    expect(whileLive).toBeNull();
    expect(afterExpiry).toMatchObject({
      version: 2,
      lease: { owner: 'run-b', expiresAt: at(121).toISOString() },
    });
  });

  it('lets exactly one of two simultaneous first runs take the lease', async () => {
    // Act
    const results = await Promise.all([
      store.acquireLease('race', 'run-a', t0, at(60)),
      store.acquireLease('race', 'run-b', t0, at(60)),
    ]);

    // Assess
    const winners = results.filter((state) => state !== null);
    expect(winners).toHaveLength(1);
    expect((await store.get('race'))?.lease?.owner).toBe(winners[0]?.lease?.owner);
  });

  it('lets the holder renew its own lease', async () => {
    // Prepare
    await lease('renew', 'run-a');

    // Act
    const renewed = await store.acquireLease('renew', 'run-a', at(30), at(90));

    // Assess
    expect(renewed?.lease).toEqual({ owner: 'run-a', expiresAt: at(90).toISOString() });
  });

  it('saves a pending window and commits it: watermark set, pending cleared, totals accumulated', async () => {
    // Prepare
    const leased = await lease('commit');

    // Act
    const planned = await store.savePending(leased, 'run-a', {
      pending: pending(0),
      backfillFrom: '2026-09-26T00:00:00Z',
      windowSeconds: 3_600,
    });
    const firstCommit = await store.commitWindow(planned, 'run-a', commit('2026-11-24T01:00:00Z', 40));
    const planned2 = await store.savePending(firstCommit, 'run-a', { pending: pending(1) });
    const secondCommit = await store.commitWindow(planned2, 'run-a', commit('2026-11-24T02:00:00Z', 2));

    // Assess
    expect(planned).toMatchObject({
      version: 2,
      pending: pending(0),
      backfillFrom: '2026-09-26T00:00:00Z',
      windowSeconds: 3_600,
    });
    expect(secondCommit).toMatchObject({
      version: 5,
      watermark: '2026-11-24T02:00:00Z',
      pending: undefined,
      backfillFrom: '2026-09-26T00:00:00Z',
      windowSeconds: 3_600,
      lastSuccessAt: at(2).toISOString(),
      totals: { eventsWritten: 42, windowsCommitted: 2, objectsWritten: 2, malformedEvents: 2 },
    });
    expect(await store.get('commit')).toEqual(secondCommit);
  });

  it('rejects savePending and commitWindow based on a stale version, leaving the item untouched', async () => {
    // Prepare
    const leased = await lease('stale');
    const planned = await store.savePending(leased, 'run-a', { pending: pending(0) });
    const committed = await store.commitWindow(planned, 'run-a', commit('2026-11-24T01:00:00Z', 5));

    // Act
    const staleSave = await store.savePending(planned, 'run-a', { pending: pending(5) }).catch(caught);
    const staleCommit = await store
      .commitWindow(planned, 'run-a', commit('2026-11-24T09:00:00Z', 5))
      .catch(caught);

    // Assess
    expect(staleSave).toBeInstanceOf(CursorConflictError);
    expect(staleCommit).toBeInstanceOf(CursorConflictError);
    expect(await store.get('stale')).toEqual(committed);
  });

  it('rejects a commit from a run whose lease was taken over, even with the version it read', async () => {
    // Prepare
    const leased = await lease('takeover', 'run-a');
    const planned = await store.savePending(leased, 'run-a', { pending: pending(0) });
    await store.acquireLease('takeover', 'run-b', at(61), at(121));

    // Act
    const lateCommit = await store
      .commitWindow(planned, 'run-a', commit('2026-11-24T01:00:00Z', 5))
      .catch(caught);

    // Assess
    expect(lateCommit).toBeInstanceOf(CursorConflictError);
    expect((await store.get('takeover'))?.watermark).toBeUndefined();
  });

  it('records gaps, keeps the most recent in the list and counts every one of them', async () => {
    // Prepare
    let state = await lease('gaps');
    const total = MAX_STORED_GAPS + 2;

    // Act
    for (let i = 0; i < total; i += 1) {
      state = await store.savePending(state, 'run-a', {
        pending: pending(0),
        gap: {
          start: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
          end: new Date(Date.UTC(2026, 0, 1, 0, i, 30)).toISOString(),
          recordedAt: at(1).toISOString(),
          reason: 'history_limit',
        },
      });
    }
    const stored = await store.get('gaps');

    // Assess
    expect(stored?.gaps).toHaveLength(MAX_STORED_GAPS);
    expect(stored?.gaps.at(-1)?.start).toBe(new Date(Date.UTC(2026, 0, 1, 0, total - 1)).toISOString());
    expect(stored?.gaps[0]?.start).toBe(new Date(Date.UTC(2026, 0, 1, 0, 2)).toISOString());
    expect(stored?.gapTotals).toEqual({ count: total, seconds: total * 30 });
  });

  it('records the last error for the lease holder only, and a commit clears it', async () => {
    // Prepare
    const leased = await lease('errors', 'run-a');
    const error = { at: at(5).toISOString(), kind: 'rate_limited', message: 'HTTP 429, waited 0 ms' };

    // Act
    await store.recordError('errors', 'run-a', error);
    const afterError = await store.get('errors');
    const byStranger = await store.recordError('errors', 'run-z', { ...error, kind: 'fatal' }).catch(caught);
    const planned = await store.savePending(leased, 'run-a', { pending: pending(0) });
    const committed = await store.commitWindow(planned, 'run-a', commit('2026-11-24T01:00:00Z', 1));

    // Assess
    expect(afterError).toMatchObject({ lastError: error, version: leased.version });
    expect(byStranger).toBeInstanceOf(CursorConflictError);
    expect(committed.lastError).toBeUndefined();
  });

  it('ignores a release by a run that does not hold the lease, and frees it for the next run on release', async () => {
    // Prepare
    await lease('release', 'run-a');

    // Act
    await store.releaseLease('release', 'run-z', at(10).toISOString());
    const afterStranger = await store.get('release');
    await store.releaseLease('release', 'run-a', at(11).toISOString());
    const afterRelease = await store.get('release');
    const nextRun = await store.acquireLease('release', 'run-b', at(12), at(72));

    // Assess
    expect(afterStranger?.lease?.owner).toBe('run-a');
    expect(afterStranger?.lastRunAt).toBeUndefined();
    expect(afterRelease).toMatchObject({ lease: undefined, lastRunAt: at(11).toISOString() });
    expect(nextRun?.lease?.owner).toBe('run-b');
  });
});
