import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type MimecastSimulator, startMimecastSimulator } from '#local/mimecast-sim/index.js';
import { createTestClock } from '#test/support/clock.js';
import {
  AUDIT_PATH,
  accessToken,
  auditBody,
  bearer,
  CATEGORIES_PATH,
  failCodes,
  hmacHeaders,
  post,
  requestToken,
} from './sim-http.js';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const HOUR = 3_600_000;

describe('simulator faults', () => {
  const clock = createTestClock(NOW);
  let sim: MimecastSimulator;
  let token: string;
  const search = (extra: { pageSize?: number; pageToken?: string } = {}) =>
    post(sim, AUDIT_PATH, bearer(token), auditBody(NOW - 6 * HOUR, NOW, { pageSize: 50, ...extra }));

  beforeAll(async () => {
    sim = await startMimecastSimulator({ clock, seed: 12, rateLimit: false });
    token = await accessToken(sim);
    sim.clearRequests();
  });
  afterEach(() => {
    sim.setRandomFaults(undefined);
    sim.setPageLatency(0);
    sim.clearRequests();
  });
  afterAll(async () => {
    await sim.close();
  });

  it('answers http_error with that 5xx for `times` requests, then normally', async () => {
    // Prepare
    sim.scriptFaults({ fault: { type: 'http_error', status: 503 }, times: 2 });
    // Act
    const answers = [await search(), await search(), await search()];
    // Assess
    expect(answers.map((answer) => answer.status)).toEqual([503, 503, 200]);
    expect(answers[0]?.body.fail?.[0]?.errors?.[0]?.retryable).toBe(true);
    expect(sim.requests().map((request) => request.fault)).toEqual(['http_error', 'http_error', undefined]);
  });

  it('plays scripted faults in FIFO order', async () => {
    sim.scriptFaults({ fault: { type: 'http_error', status: 500 } }, { fault: { type: 'binding_expired' } });
    const answers = [await search(), await search(), await search()];
    expect(answers.map((answer) => answer.status)).toEqual([500, 418, 200]);
  });

  it('answers rate_limit with 429, X-RateLimit-Reset in ms and an optional Retry-After', async () => {
    sim.scriptFaults(
      { fault: { type: 'rate_limit', resetMs: 1500 } },
      { fault: { type: 'rate_limit', resetMs: 0, retryAfter: '3' } },
    );
    const first = await search();
    const second = await search();
    expect(first.status).toBe(429);
    expect(first.headers.get('x-ratelimit-reset')).toBe('1500');
    expect(first.headers.get('retry-after')).toBeNull();
    expect(second.headers.get('retry-after')).toBe('3');
  });

  it('answers binding_expired with 418 and err_xdk_binding_expired (not retryable)', async () => {
    sim.scriptFaults({ fault: { type: 'binding_expired' } });
    const answer = await search();
    expect(answer.status).toBe(418);
    expect(answer.body.fail?.[0]?.errors).toEqual([
      { code: 'err_xdk_binding_expired', message: expect.any(String), retryable: false },
    ]);
  });

  it('answers unauthorized with 401 in the style of the auth mode used', async () => {
    sim.scriptFaults({ fault: { type: 'unauthorized' }, times: 2 });
    const oauth = await search();
    const hmac = await post(
      sim,
      AUDIT_PATH,
      hmacHeaders(sim.secrets.hmac, AUDIT_PATH, clock.now()),
      auditBody(NOW - HOUR, NOW),
    );
    expect(oauth.status).toBe(401);
    expect(oauth.body.fail?.[0]?.code).toEqual(expect.any(String));
    expect(hmac.status).toBe(401);
    expect(hmac.body.fail?.[0]?.errors?.[0]?.code).toEqual(expect.any(String));
  });

  it('answers fail with a 200 whose fail[] carries the retryable flag and code', async () => {
    sim.scriptFaults(
      { fault: { type: 'fail', retryable: true } },
      { fault: { type: 'fail', retryable: false, code: 'err_audit_log_incorrect_region' } },
    );
    const retryable = await search();
    const fatal = await search();
    expect(retryable.status).toBe(200);
    expect(retryable.body.data).toEqual([]);
    expect(retryable.body.fail?.[0]?.errors?.[0]?.retryable).toBe(true);
    expect(fatal.status).toBe(200);
    expect(fatal.body.fail?.[0]?.errors?.[0]).toMatchObject({
      code: 'err_audit_log_incorrect_region',
      retryable: false,
    });
  });

  it('answers malformed_json with a 200 that does not parse', async () => {
    sim.scriptFaults({ fault: { type: 'malformed_json' } });
    const response = await fetch(`${sim.baseUrl}${AUDIT_PATH}`, {
      method: 'POST',
      headers: bearer(token),
      body: JSON.stringify(auditBody(NOW - HOUR, NOW)),
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
  });

  it('drops the connection without an answer on drop_connection', async () => {
    sim.scriptFaults({ fault: { type: 'drop_connection' } });
    await expect(search()).rejects.toThrow();
    expect(sim.requests()).toEqual([expect.objectContaining({ status: 0, fault: 'drop_connection' })]);
    expect((await search()).status).toBe(200);
  });

  it('holds the answer on slow long enough for a client timeout to fire', async () => {
    sim.scriptFaults({ fault: { type: 'slow', delayMs: 30_000 } });
    const body = auditBody(NOW - HOUR, NOW);
    await expect(post(sim, AUDIT_PATH, bearer(token), body, AbortSignal.timeout(100))).rejects.toThrow(
      /timeout|abort/i,
    );
    expect(sim.requests()[0]).toMatchObject({ fault: 'slow' });
  });

  it('adds page latency that a client timeout notices, and removes it again', async () => {
    sim.setPageLatency(30_000);
    const body = auditBody(NOW - HOUR, NOW);
    await expect(post(sim, AUDIT_PATH, bearer(token), body, AbortSignal.timeout(100))).rejects.toThrow();
    sim.setPageLatency(0);
    expect((await post(sim, AUDIT_PATH, bearer(token), body)).status).toBe(200);
  });

  it('repeats the request page token as next on repeat_token', async () => {
    // Prepare
    const first = await search({ pageSize: 5 });
    const token1 = first.body.meta?.pagination?.next;
    sim.scriptFaults({ fault: { type: 'repeat_token' } });
    // Act
    const second = await search({ pageSize: 5, pageToken: token1 });
    // Assess
    expect(token1).toEqual(expect.any(String));
    expect(second.body.data).toHaveLength(5);
    expect(second.body.meta?.pagination?.next).toBe(token1);
  });

  it('targets faults at the endpoint named', async () => {
    sim.scriptFaults(
      { endpoint: 'oauth-token', fault: { type: 'http_error', status: 502 } },
      { endpoint: 'get-categories', fault: { type: 'fail', retryable: false } },
    );
    const search1 = await search();
    const tokenAnswer = await requestToken(sim);
    const categories = await post(sim, CATEGORIES_PATH, bearer(token), { data: [] });
    expect(search1.status).toBe(200);
    expect(tokenAnswer.status).toBe(502);
    expect(failCodes(categories)).toHaveLength(1);
    expect((await requestToken(sim)).status).toBe(200);
  });

  it('injects random faults with the given probability, reproducibly per seed', async () => {
    // Prepare
    const run = async (): Promise<number[]> => {
      sim.setRandomFaults({ probability: 0.5, faults: [{ type: 'http_error', status: 500 }], seed: 99 });
      const statuses: number[] = [];
      for (let i = 0; i < 20; i += 1) statuses.push((await search({ pageSize: 1 })).status);
      return statuses;
    };
    // Act
    const first = await run();
    const second = await run();
    sim.setRandomFaults(undefined);
    const after = await search({ pageSize: 1 });
    // Assess
    expect(first).toEqual(second);
    expect(first).toContain(500);
    expect(first).toContain(200);
    expect(after.status).toBe(200);
  });
});

describe('simulator close()', () => {
  it('returns promptly while a slow answer and keep-alive sockets are pending', async () => {
    // Prepare
    const sim = await startMimecastSimulator({ seed: 1, rateLimit: false });
    const token = await accessToken(sim);
    sim.scriptFaults({ fault: { type: 'slow', delayMs: 600_000 } });
    const pending = post(sim, AUDIT_PATH, bearer(token), auditBody(Date.now() - HOUR, Date.now()));
    pending.catch(() => undefined); // assessed below
    await expect.poll(() => sim.requests().filter((r) => r.endpoint === 'get-audit-events').length).toBe(1);
    // Act: would hang for ten minutes (and time the test out) if close() waited for the answer
    await sim.close();
    // Assess
    await expect(pending).rejects.toThrow();
    await expect(fetch(`${sim.baseUrl}/oauth/token`, { method: 'POST' })).rejects.toThrow();
  });
});
