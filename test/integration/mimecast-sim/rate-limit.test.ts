import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MimecastSimulator, startMimecastSimulator } from '#local/mimecast-sim/index.js';
import { createTestClock } from '#test/support/clock.js';
import { AUDIT_PATH, accessToken, auditBody, bearer, failCodes, hmacHeaders, post } from './sim-http.js';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);

describe('simulator rate limiting', () => {
  const clock = createTestClock(NOW);
  let sim: MimecastSimulator;
  let token: string;
  const body = () => auditBody(NOW - 3_600_000, NOW, { pageSize: 1 });

  beforeAll(async () => {
    sim = await startMimecastSimulator({ clock, seed: 4, rateLimit: { capacity: 3, refillPerSecond: 2 } });
    token = await accessToken(sim);
  });
  afterAll(async () => {
    await sim.close();
  });

  it('reports the bucket on successes, then answers 429 with the wait in milliseconds', async () => {
    // Act
    const answers = [];
    for (let i = 0; i < 4; i += 1) answers.push(await post(sim, AUDIT_PATH, bearer(token), body()));
    // Assess
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 429]);
    expect(answers.map((answer) => answer.headers.get('x-ratelimit-remaining'))).toEqual([
      '2',
      '1',
      '0',
      '0',
    ]);
    expect(answers[0]?.headers.get('x-ratelimit-limit')).toBe('3');
    // Two tokens a second: the next one arrives 500 ms after the bucket ran dry.
    expect(answers[3]?.headers.get('x-ratelimit-reset')).toBe('500');
    expect(answers[3]?.body.fail?.[0]?.errors?.[0]).toMatchObject({ retryable: true });
  });

  it('lets the next call through exactly when the reset has elapsed on the simulator clock', async () => {
    clock.advance(499);
    const early = await post(sim, AUDIT_PATH, bearer(token), body());
    clock.advance(1);
    const onTime = await post(sim, AUDIT_PATH, bearer(token), body());
    expect(early.status).toBe(429);
    expect(early.headers.get('x-ratelimit-reset')).toBe('1');
    expect(onTime.status).toBe(200);
  });

  it('keeps a separate bucket per credential and does not limit the token endpoint', async () => {
    const hmac = await post(sim, AUDIT_PATH, hmacHeaders(sim.secrets.hmac, AUDIT_PATH, clock.now()), body());
    const oauth = await post(sim, AUDIT_PATH, bearer(token), body());
    const freshToken = await accessToken(sim);
    expect(hmac.status).toBe(200);
    expect(oauth.status).toBe(429);
    expect(failCodes(oauth)).toEqual(['err_throttling_limit']);
    expect(freshToken).not.toBe('');
  });
});
