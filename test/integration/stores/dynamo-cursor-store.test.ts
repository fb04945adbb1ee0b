import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCursorStore } from '#core/cursor/dynamo-cursor-store.js';
import { emptyTotals } from '#core/cursor/item.js';
import { type CursorChanges, CursorConflictError, type CursorState } from '#core/ports.js';
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
  attempts: 1,
});
/** The changes of a window commit, as the engine makes them (totals are absolute: the save is version-guarded). */
const commit = (watermark: string, events: number): CursorChanges => ({
  watermark,
  pending: undefined,
  lastSuccessAt: at(2).toISOString(),
  lastError: undefined,
  totals: { ...emptyTotals(), eventsWritten: events, windowsCommitted: 1 },
});
const range = (start: string, end: string, reason: string) => ({
  start,
  end,
  recordedAt: at(1).toISOString(),
  reason,
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

  it('saves a pending window and commits it: watermark set, pending cleared, totals written', async () => {
    // Prepare
    const leased = await lease('commit');

    // Act
    const planned = await store.save(
      leased,
      'run-a',
      { pending: pending(0), backfillFrom: '2026-09-26T00:00:00Z', windowSeconds: 3_600 },
      at(1).toISOString(),
    );
    const firstCommit = await store.save(
      planned,
      'run-a',
      commit('2026-11-24T01:00:00Z', 40),
      at(2).toISOString(),
    );
    const planned2 = await store.save(firstCommit, 'run-a', { pending: pending(1) }, at(3).toISOString());
    const secondCommit = await store.save(
      planned2,
      'run-a',
      commit('2026-11-24T02:00:00Z', 42),
      at(4).toISOString(),
    );

    // Assess
    expect(planned).toMatchObject({
      version: 2,
      pending: { ...pending(0), attempts: 1 },
      backfillFrom: '2026-09-26T00:00:00Z',
      windowSeconds: 3_600,
      updatedAt: at(1).toISOString(),
    });
    expect(secondCommit).toMatchObject({
      version: 5,
      watermark: '2026-11-24T02:00:00Z',
      pending: undefined,
      backfillFrom: '2026-09-26T00:00:00Z',
      windowSeconds: 3_600,
      lastSuccessAt: at(2).toISOString(),
      totals: { ...emptyTotals(), eventsWritten: 42, windowsCommitted: 1 },
    });
    expect(await store.get('commit')).toEqual(secondCommit);
  });

  it('round-trips every engine-owned field, including the rescan list and the range lists', async () => {
    // Prepare
    const leased = await lease('fields');
    const changes = {
      pending: {
        ...pending(3),
        attempts: 2,
        progress: { pages: 7, events: 3_400, oldestMs: Date.UTC(2026, 10, 24, 3, 40), elapsedMs: 52_000 },
      },
      gaps: [range('2026-11-01T00:00:00Z', '2026-11-01T00:10:00Z', 'lost')],
      gapTotals: { count: 3, seconds: 600 },
      unreadable: [range('2026-11-02T00:00:00Z', '2026-11-02T00:00:01Z', 'paging')],
      unreadableTotals: { count: 1, seconds: 1 },
      rescan: [
        {
          start: 1_700_000_000,
          end: 1_700_000_300,
          count: 12,
          hash: '00ff00ff00ff00ff',
          searchedAt: 1_700_000_600,
        },
        {
          start: 1_700_000_300,
          end: 1_700_000_600,
          count: 0,
          hash: '0000000000000000',
          searchedAt: 1_700_000_900,
        },
      ],
      lateMaxDelaySeconds: 4_000,
      lastLateAt: at(4).toISOString(),
      clockOffsetMs: -600_000,
      totals: { ...emptyTotals(), lateEvents: 5, rescans: 9, rescansSkipped: 1, windowSplits: 2 },
    };

    // Act
    const saved = await store.save(leased, 'run-a', changes, at(5).toISOString());
    const read = await store.get('fields');

    // Assess
    expect(saved).toMatchObject(changes);
    expect(read).toEqual(saved);
  });

  it('removes a field saved as undefined, leaving the others alone', async () => {
    // Prepare
    const leased = await lease('remove');
    const planned = await store.save(
      leased,
      'run-a',
      { pending: pending(0), lastError: { at: 'x', kind: 'fatal', message: 'm' }, clockOffsetMs: 5_000 },
      at(1).toISOString(),
    );

    // Act
    const cleared = await store.save(
      planned,
      'run-a',
      { pending: undefined, lastError: undefined },
      at(2).toISOString(),
    );

    // Assess
    expect(cleared.pending).toBeUndefined();
    expect(cleared.lastError).toBeUndefined();
    expect(cleared.clockOffsetMs).toBe(5_000);
  });

  it('rejects a save based on a stale version, leaving the item untouched', async () => {
    // Prepare
    const leased = await lease('stale');
    const planned = await store.save(leased, 'run-a', { pending: pending(0) }, at(1).toISOString());
    const committed = await store.save(
      planned,
      'run-a',
      commit('2026-11-24T01:00:00Z', 5),
      at(2).toISOString(),
    );

    // Act
    const staleSave = await store
      .save(planned, 'run-a', { pending: pending(5) }, at(3).toISOString())
      .catch(caught);
    const staleCommit = await store
      .save(planned, 'run-a', commit('2026-11-24T09:00:00Z', 5), at(3).toISOString())
      .catch(caught);

    // Assess
    expect(staleSave).toBeInstanceOf(CursorConflictError);
    expect(staleCommit).toBeInstanceOf(CursorConflictError);
    expect(await store.get('stale')).toEqual(committed);
  });

  it('rejects a commit from a run whose lease was taken over, even with the version it read', async () => {
    // Prepare
    const leased = await lease('takeover', 'run-a');
    const planned = await store.save(leased, 'run-a', { pending: pending(0) }, at(1).toISOString());
    await store.acquireLease('takeover', 'run-b', at(61), at(121));

    // Act
    const lateCommit = await store
      .save(planned, 'run-a', commit('2026-11-24T01:00:00Z', 5), at(62).toISOString())
      .catch(caught);

    // Assess
    expect(lateCommit).toBeInstanceOf(CursorConflictError);
    expect((await store.get('takeover'))?.watermark).toBeUndefined();
  });

  it('records the last error for the lease holder only, and a commit clears it', async () => {
    // Prepare
    const leased = await lease('errors', 'run-a');
    const error = { at: at(5).toISOString(), kind: 'rate_limited', message: 'HTTP 429, waited 0 ms' };

    // Act
    await store.recordError('errors', 'run-a', error);
    const afterError = await store.get('errors');
    const byStranger = await store.recordError('errors', 'run-z', { ...error, kind: 'fatal' }).catch(caught);
    const planned = await store.save(leased, 'run-a', { pending: pending(0) }, at(6).toISOString());
    const committed = await store.save(
      planned,
      'run-a',
      commit('2026-11-24T01:00:00Z', 1),
      at(7).toISOString(),
    );

    // Assess
    expect(afterError).toMatchObject({ lastError: error, version: leased.version });
    expect(byStranger).toBeInstanceOf(CursorConflictError);
    expect(committed.lastError).toBeUndefined();
  });

  it('records how the run stopped when it releases the lease', async () => {
    // Prepare
    await lease('stopped', 'run-a');

    // Act
    await store.releaseLease('stopped', 'run-a', at(9).toISOString(), 'not_configured');

    // Assess
    expect((await store.get('stopped'))?.lastStop).toEqual({
      at: at(9).toISOString(),
      reason: 'not_configured',
    });
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
