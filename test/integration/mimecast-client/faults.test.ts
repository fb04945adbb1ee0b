import { afterEach, describe, expect, it } from 'vitest';
import { BindingExpiredError, FatalError, RateLimitedError, RetryableError } from '#core/mimecast/errors.js';
import type { AuditEventQuery } from '#core/mimecast/types.js';
import { type AuthMode, HOUR, mimecastFailure, type Rig, type RigOptions, startRig, T0 } from './harness.js';

const QUERY: AuditEventQuery = { start: new Date(T0 - 6 * HOUR), end: new Date(T0), pageSize: 50 };
const PATH = '/api/audit/get-audit-events';

describe.each<AuthMode>(['oauth2', 'hmac'])('Mimecast client faults over HTTP (%s)', (mode) => {
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.sim.close();
    rig = undefined;
  });

  const start = async (options?: RigOptions): Promise<Rig> => {
    rig = await startRig(mode, options);
    return rig;
  };
  const page = (r: Rig, deadline = r.deadline()) =>
    r.client.getAuditEventsPage(QUERY, undefined, { deadline });
  const statuses = (r: Rig) => r.requestsTo('get-audit-events').map((req) => req.status);

  it('retries 5xx with full-jitter backoff and then succeeds', async () => {
    // Prepare
    const r = await start();
    r.sim.scriptFaults({ fault: { type: 'http_error', status: 503 }, times: 2 });
    // Act
    const result = await page(r);
    // Assess
    expect(result.events.length).toBeGreaterThan(0);
    expect(statuses(r)).toEqual([503, 503, 200]);
    // random() = 0.5: half of 250 ms, then half of 500 ms.
    expect(r.sleeps).toEqual([125, 250]);
    expect(r.waits).toEqual([
      { kind: 'retryable', waitMs: 125, attempt: 1, path: PATH },
      { kind: 'retryable', waitMs: 250, attempt: 2, path: PATH },
    ]);
  });

  it('gives up on persistent 5xx after maxAttempts with a RetryableError', async () => {
    const r = await start({ client: { retry: { maxAttempts: 3 } } });
    r.sim.scriptFaults({ fault: { type: 'http_error', status: 500 }, times: 5 });
    const err = await mimecastFailure(page(r));
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).reason).toBe('http_5xx');
    expect(err.status).toBe(500);
    expect(err.attempts).toBe(3);
    expect(statuses(r)).toEqual([500, 500, 500]);
    expect(r.sleeps).toEqual([125, 250]);
  });

  it('waits exactly the X-RateLimit-Reset milliseconds on 429', async () => {
    const r = await start();
    r.sim.scriptFaults({ fault: { type: 'rate_limit', resetMs: 1_750 } });
    await page(r);
    expect(statuses(r)).toEqual([429, 200]);
    expect(r.sleeps).toEqual([1_750]);
    expect(r.waits).toEqual([{ kind: 'rate_limited', waitMs: 1_750, attempt: 1, path: PATH }]);
  });

  it('prefers X-RateLimit-Reset (ms) over Retry-After (s) when both are sent', async () => {
    const r = await start();
    r.sim.scriptFaults({ fault: { type: 'rate_limit', resetMs: 400, retryAfter: '30' } });
    await page(r);
    expect(r.sleeps).toEqual([400]);
  });

  it('ends at once with RateLimitedError when the reset lies beyond the deadline', async () => {
    // Prepare
    const r = await start();
    r.sim.scriptFaults({ fault: { type: 'rate_limit', resetMs: 120_000 } });
    const before = r.clock.now();
    // Act
    const err = await mimecastFailure(page(r, before + 60_000));
    // Assess
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBe(120_000);
    expect(err.attempts).toBe(1);
    expect(statuses(r)).toEqual([429]);
    expect(r.sleeps).toEqual([]);
    expect(r.waits).toEqual([]);
    expect(r.clock.now()).toBe(before);
  });

  it('throttles by the token bucket and recovers after the advertised reset', async () => {
    // Prepare: two requests' worth of capacity, refilled at one per second (simulator clock).
    const r = await start({ sim: { rateLimit: { capacity: 2, refillPerSecond: 1 } } });
    // Act
    for (let i = 0; i < 3; i++) await page(r);
    // Assess
    expect(statuses(r)).toEqual([200, 200, 429, 200]);
    expect(r.sleeps).toHaveLength(1);
    expect(r.sleeps[0]).toBeGreaterThan(0);
    expect(r.sleeps[0]).toBeLessThanOrEqual(1_000);
  });

  it('fails at once with BindingExpiredError on 418', async () => {
    const r = await start();
    r.sim.scriptFaults({ fault: { type: 'binding_expired' }, times: 3 });
    const err = await mimecastFailure(page(r));
    expect(err).toBeInstanceOf(BindingExpiredError);
    expect(err.status).toBe(418);
    expect(err.code).toBe('err_xdk_binding_expired');
    expect(err.attempts).toBe(1);
    expect(statuses(r)).toEqual([418]);
    expect(r.sleeps).toEqual([]);
  });

  it('retries a fail[] marked retryable', async () => {
    const r = await start();
    r.sim.scriptFaults({ fault: { type: 'fail', retryable: true } });
    const result = await page(r);
    expect(result.events.length).toBeGreaterThan(0);
    expect(r.requestsTo('get-audit-events')).toHaveLength(2);
    expect(r.waits.map((w) => w.kind)).toEqual(['retryable']);
  });

  it('fails at once with FatalError on a fail[] not marked retryable, never as "no data"', async () => {
    const r = await start();
    r.sim.scriptFaults({ fault: { type: 'fail', retryable: false, code: 'err_validation_blank' }, times: 2 });
    const err = await mimecastFailure(page(r));
    expect(err).toBeInstanceOf(FatalError);
    expect(err.code).toBe('err_validation_blank');
    expect(err.attempts).toBe(1);
    expect(r.requestsTo('get-audit-events')).toHaveLength(1);
  });

  it('retries malformed JSON, and reports it as malformed_response when it persists', async () => {
    const r = await start({ client: { retry: { maxAttempts: 2 } } });
    r.sim.scriptFaults({ fault: { type: 'malformed_json' } });
    await page(r);
    r.sim.scriptFaults({ fault: { type: 'malformed_json' }, times: 2 });
    const err = await mimecastFailure(page(r));
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).reason).toBe('malformed_response');
    expect(err.attempts).toBe(2);
    expect(r.requestsTo('get-audit-events').map((req) => req.fault)).toEqual([
      'malformed_json',
      undefined,
      'malformed_json',
      'malformed_json',
    ]);
  });

  it('times out a slow answer and retries it', async () => {
    // Prepare: 300 ms per attempt; the first answer takes 3 s (real time).
    const r = await start({ client: { requestTimeoutMs: 300, retry: { maxAttempts: 2 } } });
    r.sim.scriptFaults({ fault: { type: 'slow', delayMs: 3_000 } });
    // Act
    const result = await page(r);
    // Assess
    expect(result.events.length).toBeGreaterThan(0);
    expect(r.waits.map((w) => [w.kind, w.waitMs])).toEqual([['retryable', 125]]);
    expect(r.requestsTo('get-audit-events')).toHaveLength(2);
  });

  it('reports persistent slowness as a timeout after maxAttempts', async () => {
    const r = await start({ client: { requestTimeoutMs: 300, retry: { maxAttempts: 2 } } });
    r.sim.scriptFaults({ fault: { type: 'slow', delayMs: 3_000 }, times: 2 });
    const err = await mimecastFailure(page(r));
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).reason).toBe('timeout');
    expect(err.attempts).toBe(2);
  });

  it('retries a dropped connection as a network failure', async () => {
    const r = await start({ client: { retry: { maxAttempts: 2 } } });
    r.sim.scriptFaults({ fault: { type: 'drop_connection' } });
    await page(r);
    r.sim.scriptFaults({ fault: { type: 'drop_connection' }, times: 2 });
    const err = await mimecastFailure(page(r));
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).reason).toBe('network');
    expect(err.attempts).toBe(2);
    expect(statuses(r)).toEqual([0, 200, 0, 0]);
  });

  it('reports a pending retry as the last error when the deadline leaves no room for it', async () => {
    // 5xx, and the deadline is only 500 ms away: no wait + attempt fits, so no sleep at all.
    const r = await start();
    r.sim.scriptFaults({ fault: { type: 'http_error', status: 502 }, times: 2 });
    const err = await mimecastFailure(page(r, r.clock.now() + 500));
    expect(err).toBeInstanceOf(RetryableError);
    expect(err.attempts).toBe(1);
    expect(r.sleeps).toEqual([]);
  });
});
