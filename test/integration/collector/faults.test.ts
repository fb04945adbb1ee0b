import { describe, expect, it } from 'vitest';
import type { Fault } from '#local/mimecast-sim/index.js';
import { createTestClock } from '#test/support/clock.js';
import { cursorOf, expectExactlyOnce, HOUR, T0, useCollectors, withPageHook } from './harness.js';

const fx = useCollectors();
const collector = fx.collector;

describe('collector: transient Mimecast faults are retried within the run', () => {
  it.each<[string, Fault, number]>([
    ['a burst of 5xx answers', { type: 'http_error', status: 503 }, 3],
    ['timeouts', { type: 'slow', delayMs: 1_500 }, 2],
    ['malformed JSON', { type: 'malformed_json' }, 2],
    ['dropped connections', { type: 'drop_connection' }, 2],
    ['fail[] items marked retryable', { type: 'fail', retryable: true, code: 'err_server_busy' }, 3],
    ['429 with a short X-RateLimit-Reset', { type: 'rate_limit', resetMs: 150 }, 2],
  ])('survives %s and archives every event exactly once', async (_label, fault, times) => {
    // Prepare: the faults start after the third page, in the middle of the backfill.
    const c = await collector();
    const client = withPageHook(c.client, (page) => {
      if (page === 3) c.sim.scriptFaults({ fault, times });
    });

    // Act
    const summary = await c.run({ client });

    // Assess
    expect(summary.stopReason).toBe('caught_up');
    expect(c.waits.length).toBeGreaterThanOrEqual(times);
    if (fault.type === 'rate_limit') {
      expect(c.waits.filter((w) => w.kind === 'rate_limited').map((w) => w.waitMs)).toEqual([150, 150]);
    }
    await expectExactlyOnce(fx.aws, c);
  });

  it('takes a fresh OAuth token when Mimecast rejects the cached one mid-run', async () => {
    // Prepare
    const c = await collector();
    const client = withPageHook(c.client, (page) => {
      if (page === 2) c.sim.scriptFaults({ fault: { type: 'unauthorized' } });
    });

    // Act
    const summary = await c.run({ client });

    // Assess
    expect(summary.stopReason).toBe('caught_up');
    expect(c.waits.some((w) => w.kind === 'authentication')).toBe(true);
    expect(c.sim.requests().filter((r) => r.endpoint === 'oauth-token')).toHaveLength(2);
    await expectExactlyOnce(fx.aws, c);
  });

  it('recovers when the token expires on the server before the client expected (clock skew)', async () => {
    // Prepare: the client's clock stands still while the server's moves on past the token's
    // 60-second lifetime after the first page, so the server rejects a token the client thinks is fresh.
    const clientClock = createTestClock(T0);
    const c = await collector({ clientClock, sim: { tokenTtlSeconds: 60 } });
    const client = withPageHook(c.client, (page) => {
      if (page === 1) c.clock.advance(5 * 60_000);
    });

    // Act
    const summary = await c.run({ client });

    // Assess
    expect(summary.stopReason).toBe('caught_up');
    expect(c.sim.requests().filter((r) => r.endpoint === 'oauth-token').length).toBeGreaterThanOrEqual(2);
    await expectExactlyOnce(fx.aws, c);
  });
});

describe('collector: faults that end the run leave the cursor for the next run', () => {
  it('ends cleanly as throttled when the 429 wait does not fit, and the next run catches up', async () => {
    // Prepare: the wait asked for (10 min) is longer than the time the run has left.
    const c = await collector();
    c.sim.scriptFaults({ fault: { type: 'rate_limit', resetMs: 600_000 } });

    // Act
    const throttled = await c.run({ budget: { remainingMs: () => 30_000 + 60_000 } });
    const pendingAfter = (await cursorOf(c)).pending;
    const next = await c.run();

    // Assess
    expect(throttled).toMatchObject({ stopReason: 'throttled', windows: 0 });
    expect(c.metrics.total('ThrottledStops')).toBe(1);
    expect(pendingAfter).toBeDefined();
    expect(next.stopReason).toBe('caught_up');
    await expectExactlyOnce(fx.aws, c);
  });

  it.each<[string, Fault, string]>([
    ['a non-retryable fail[]', { type: 'fail', retryable: false, code: 'err_validation_blank' }, 'fatal'],
    ['HTTP 418 (binding expired)', { type: 'binding_expired' }, 'binding_expired'],
  ])(
    'fails on %s without moving the cursor; the next run after the fault clears catches up',
    async (_l, fault, kind) => {
      // Prepare: a first successful run, then six hours of new events. The next run's windows
      // are [11:55, 12:00) (one page) and [12:00, 17:55) (three pages of 20): the fault hits the
      // request for the second page of the second window.
      const c = await collector({ settings: { PAGE_SIZE: 20 } });
      await c.run();
      const before = await cursorOf(c);
      c.clock.advance(6 * HOUR);
      const client = withPageHook(c.client, (page) => {
        if (page === 2) c.sim.scriptFaults({ fault });
      });

      // Act
      const failure = await c.run({ client }).catch((err: unknown) => err);
      const afterFailure = await cursorOf(c);
      const recovery = await c.run();

      // Assess
      expect(failure).toMatchObject({ name: 'SyncRunError', kind });
      expect(afterFailure.watermark).toBe('2026-11-25T12:00:00Z');
      expect(afterFailure.pending).toMatchObject({
        start: '2026-11-25T12:00:00Z',
        end: '2026-11-25T17:55:00Z',
      });
      expect(afterFailure.totals.windowsCommitted).toBe(before.totals.windowsCommitted + 1);
      expect(afterFailure.lastError).toMatchObject({ kind });
      expect(afterFailure.lease).toBeUndefined();
      expect(recovery.stopReason).toBe('caught_up');
      await expectExactlyOnce(fx.aws, c);
    },
  );

  it('fails when retries are exhausted, and catches up once Mimecast is back', async () => {
    // Prepare
    const c = await collector();
    c.sim.scriptFaults({ fault: { type: 'http_error', status: 500 }, times: 6 });

    // Act
    const failure = await c.run().catch((err: unknown) => err);
    const recovery = await c.run();

    // Assess
    expect(failure).toMatchObject({ kind: 'retryable' });
    expect(c.metrics.total('RunFailures')).toBe(1);
    expect(recovery.stopReason).toBe('caught_up');
    await expectExactlyOnce(fx.aws, c);
  });
});
