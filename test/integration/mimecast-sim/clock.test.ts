import { afterEach, describe, expect, it } from 'vitest';
import {
  type MimecastSimulator,
  type SimulatorOptions,
  startMimecastSimulator,
} from '#local/mimecast-sim/index.js';
import { createTestClock, type TestClock } from '#test/support/clock.js';
import {
  AUDIT_PATH,
  accessToken,
  auditBody,
  bearer,
  CATEGORIES_PATH,
  drain,
  failCodes,
  hmacHeaders,
  mcIso,
  post,
  requestToken,
} from './sim-http.js';

// The simulator's "now" is its clock plus clockOffsetMs, for everything: these tests run a
// collector-side clock (the test clock) against a Mimecast whose clock is off.

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const httpDate = (ms: number): string => new Date(ms).toUTCString();

describe('simulator clock', () => {
  const running: MimecastSimulator[] = [];
  let clock: TestClock;
  const start = async (options: SimulatorOptions = {}): Promise<MimecastSimulator> => {
    clock = createTestClock(NOW);
    const sim = await startMimecastSimulator({ clock, seed: 31, rateLimit: false, ...options });
    running.push(sim);
    return sim;
  };
  afterEach(async () => {
    await Promise.all(running.splice(0).map((sim) => sim.close()));
  });

  it('stamps every answer with a Date header from its own clock, not wall time', async () => {
    // Prepare
    const sim = await start({ rateLimit: { capacity: 1, refillPerSecond: 0.001 } });
    const token = await accessToken(sim);
    // Act
    const search = await post(sim, AUDIT_PATH, bearer(token), auditBody(NOW - HOUR, NOW));
    const throttled = await post(sim, AUDIT_PATH, bearer(token), auditBody(NOW - HOUR, NOW));
    const unauthorised = await post(sim, CATEGORIES_PATH, bearer('nope'), { data: [] });
    const missing = await fetch(`${sim.baseUrl}/api/nothing`, { method: 'POST' });
    clock.advance(90_000);
    const tokenAnswer = await requestToken(sim);
    // Assess
    expect(search.status).toBe(200);
    expect(throttled.status).toBe(429);
    expect(unauthorised.status).toBe(401);
    expect(missing.status).toBe(404);
    for (const headers of [search.headers, throttled.headers, unauthorised.headers, missing.headers]) {
      expect(headers.get('date')).toBe(httpDate(NOW));
    }
    expect(tokenAnswer.headers.get('date')).toBe(httpDate(NOW + 90_000));
  });

  it('shifts the Date header by clockOffsetMs, also when the offset changes at run time', async () => {
    // Prepare
    const sim = await start({ clockOffsetMs: 40 * MINUTE });
    // Act
    const ahead = await requestToken(sim);
    sim.setClockOffset(-10 * MINUTE);
    const behind = await requestToken(sim);
    // Assess
    expect(ahead.headers.get('date')).toBe(httpDate(NOW + 40 * MINUTE));
    expect(behind.headers.get('date')).toBe(httpDate(NOW - 10 * MINUTE));
    expect(sim.requests().map((r) => r.at)).toEqual([NOW + 40 * MINUTE, NOW - 10 * MINUTE]);
  });

  it('applies the 60-day floor on its own clock: +40 min refuses a start 60 days − 30 min back', async () => {
    // Prepare
    const sim = await start();
    const token = await accessToken(sim);
    const body = auditBody(NOW - 60 * DAY + 30 * MINUTE, NOW - 59 * DAY, { pageSize: 1 });
    // Act
    const onTime = await post(sim, AUDIT_PATH, bearer(token), body);
    sim.setClockOffset(40 * MINUTE);
    // A fresh token: 40 minutes on, the first one (30 min lifetime) has expired.
    const ahead = await post(sim, AUDIT_PATH, bearer(await accessToken(sim)), body);
    // Assess
    expect(onTime.body.fail).toEqual([]);
    expect(failCodes(ahead)).toEqual(['err_validation_date_outside_retention']);
  });

  it('answers an out-of-retention start with retentionErrorCode when one is set', async () => {
    // Prepare
    const sim = await start({ retentionErrorCode: 'err_validation_date_range' });
    const token = await accessToken(sim);
    // Act
    const old = await post(sim, AUDIT_PATH, bearer(token), auditBody(NOW - 61 * DAY, NOW - 59 * DAY));
    // Assess
    expect(old.status).toBe(200);
    expect(old.body.data).toEqual([]);
    expect(old.body.fail?.[0]?.errors).toEqual([
      expect.objectContaining({ code: 'err_validation_date_range', retryable: false }),
    ]);
  });

  it('with −10 min, holds generated events only up to the collector clock − 10 min', async () => {
    // Prepare: the same seed without an offset is the reference
    const sim = await start({ clockOffsetMs: -10 * MINUTE, eventsPerDay: 24_000 });
    const reference = await start({ eventsPerDay: 24_000 });
    const token = await accessToken(sim);
    // Act
    const { events } = await drain(sim, () => bearer(token), NOW - HOUR, NOW);
    // Assess
    const expected = reference.groundTruth(new Date(NOW - HOUR), new Date(NOW - 10 * MINUTE + 1));
    expect(expected.length).toBeGreaterThan(500);
    expect(events.map((e) => e.id).sort()).toEqual(expected.map((e) => e.id).sort());
    expect(
      sim
        .groundTruth(new Date(NOW - HOUR), new Date(NOW))
        .map((e) => e.id)
        .sort(),
    ).toEqual(expected.map((e) => e.id).sort());
  });

  it('makes late events visible by its own clock', async () => {
    // Prepare: an event that Mimecast indexes 3 minutes after it happened
    const sim = await start({ eventsPerDay: 0 });
    const token = await accessToken(sim);
    sim.addEvents(
      [{ id: 'late', eventTime: mcIso(NOW - MINUTE), category: 'policy_logs' }],
      new Date(NOW + 2 * MINUTE),
    );
    // Act
    const before = await drain(sim, () => bearer(token), NOW - HOUR, NOW);
    sim.setClockOffset(2 * MINUTE);
    const after = await drain(sim, () => bearer(token), NOW - HOUR, NOW);
    // Assess
    expect(before.events).toEqual([]);
    expect(after.events.map((e) => e.id)).toEqual(['late']);
  });

  it('expires OAuth tokens by its own clock', async () => {
    // Prepare
    const sim = await start({ tokenTtlSeconds: 1799 });
    const token = await accessToken(sim);
    // Act
    const fresh = await post(sim, CATEGORIES_PATH, bearer(token), { data: [] });
    sim.setClockOffset(1799 * 1000);
    const expired = await post(sim, CATEGORIES_PATH, bearer(token), { data: [] });
    // Assess
    expect(fresh.status).toBe(200);
    expect(expired.status).toBe(401);
    expect(failCodes(expired)).toEqual(['token_expired']);
  });

  it('checks HMAC x-mc-date skew against its own clock', async () => {
    // Prepare: 20 min ahead, beyond the 900 s allowed
    const sim = await start({ clockOffsetMs: 20 * MINUTE });
    // Act
    const collectorTime = await post(
      sim,
      CATEGORIES_PATH,
      hmacHeaders(sim.secrets.hmac, CATEGORIES_PATH, clock.now()),
      { data: [] },
    );
    const mimecastTime = await post(
      sim,
      CATEGORIES_PATH,
      hmacHeaders(sim.secrets.hmac, CATEGORIES_PATH, clock.now() + 20 * MINUTE),
      { data: [] },
    );
    // Assess
    expect(collectorTime.status).toBe(401);
    expect(failCodes(collectorTime)).toEqual(['err_date_skew']);
    expect(mimecastTime.status).toBe(200);
  });

  it('refuses unusable offsets and error codes up front', async () => {
    await expect(start({ clockOffsetMs: Number.NaN })).rejects.toThrow(RangeError);
    await expect(start({ retentionErrorCode: 'not a code' })).rejects.toThrow(RangeError);
    const sim = await start();
    expect(() => sim.setClockOffset(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
