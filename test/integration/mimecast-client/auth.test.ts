import { afterEach, describe, expect, it } from 'vitest';
import { createMimecastClient } from '#core/mimecast/client.js';
import { AuthenticationError, BindingExpiredError, RetryableError } from '#core/mimecast/errors.js';
import { parseMimecastSecret } from '#core/mimecast/secret.js';
import type { AuditEventQuery } from '#core/mimecast/types.js';
import { createTestClock } from '#test/support/clock.js';
import { HOUR, mimecastFailure, type Rig, startRig, T0 } from './harness.js';

const QUERY: AuditEventQuery = { start: new Date(T0 - 2 * HOUR), end: new Date(T0), pageSize: 10 };
const PATH = '/api/audit/get-audit-events';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.sim.close();
  rig = undefined;
});

const page = (r: Rig) => r.client.getAuditEventsPage(QUERY, undefined, { deadline: r.deadline() });

describe('API 2.0 (OAuth) authentication over HTTP', () => {
  it('fetches one token and reuses it across calls', async () => {
    rig = await startRig('oauth2');
    await page(rig);
    await page(rig);
    await rig.client.getCategories({ deadline: rig.deadline() });
    expect(rig.requestsTo('oauth-token')).toHaveLength(1);
    expect(rig.sim.requests().every((r) => r.status === 200)).toBe(true);
  });

  it('renews the token before the simulator expires it', async () => {
    // Prepare
    rig = await startRig('oauth2', { sim: { tokenTtlSeconds: 1799 } });
    await page(rig);
    // Act: past the token's lifetime on the shared clock.
    rig.clock.advance(1_800_000);
    await page(rig);
    // Assess: a new token was fetched up front; the API never saw an expired one.
    expect(rig.requestsTo('oauth-token')).toHaveLength(2);
    expect(rig.requestsTo('get-audit-events').map((r) => r.status)).toEqual([200, 200]);
  });

  it('renews inside the last minute of the token’s life, not after it', async () => {
    rig = await startRig('oauth2', { sim: { tokenTtlSeconds: 1799 } });
    await page(rig);
    rig.clock.advance((1799 - 30) * 1000); // still valid for 30 s: too close to rely on
    await page(rig);
    expect(rig.requestsTo('oauth-token')).toHaveLength(2);
  });

  it('retries a 401 once with a fresh token and succeeds', async () => {
    // Prepare
    rig = await startRig('oauth2');
    rig.sim.scriptFaults({ fault: { type: 'unauthorized' } });
    // Act
    const result = await page(rig);
    // Assess
    expect(result.events.length).toBeGreaterThan(0);
    expect(rig.requestsTo('get-audit-events').map((r) => r.status)).toEqual([401, 200]);
    expect(rig.requestsTo('oauth-token')).toHaveLength(2);
    expect(rig.waits).toEqual([{ kind: 'authentication', waitMs: 0, attempt: 1, path: PATH }]);
    expect(rig.sleeps).toEqual([]);
  });

  it('gives up with AuthenticationError when the fresh token is rejected too', async () => {
    rig = await startRig('oauth2');
    rig.sim.scriptFaults({ fault: { type: 'unauthorized' }, times: 2 });
    const err = await mimecastFailure(page(rig));
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err.status).toBe(401);
    expect(err.attempts).toBe(2);
    expect(rig.requestsTo('get-audit-events').map((r) => r.status)).toEqual([401, 401]);
    expect(rig.requestsTo('oauth-token')).toHaveLength(2);
  });

  it('reports wrong client credentials as AuthenticationError without calling the API', async () => {
    // Prepare
    rig = await startRig('oauth2');
    const secret = parseMimecastSecret(
      JSON.stringify({ ...rig.sim.secrets.oauth2, clientSecret: 'wrong-secret-value-123' }),
    );
    const client = createMimecastClient(secret, { clock: rig.clock, sleep: async () => undefined });
    // Act
    const err = await mimecastFailure(client.getCategories({ deadline: rig.deadline() }));
    // Assess
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err.attempts).toBe(1);
    expect(err.message).not.toContain('wrong-secret-value-123');
    expect(rig.requestsTo('get-categories')).toHaveLength(0);
  });

  it('retries a 5xx from the token endpoint', async () => {
    rig = await startRig('oauth2');
    rig.sim.scriptFaults({ endpoint: 'oauth-token', fault: { type: 'http_error', status: 503 } });
    await page(rig);
    expect(rig.requestsTo('oauth-token').map((r) => r.status)).toEqual([503, 200]);
    expect(rig.waits.map((w) => w.kind)).toEqual(['retryable']);
  });

  it('treats a 401 from the token endpoint as final (a new token cannot help)', async () => {
    rig = await startRig('oauth2');
    rig.sim.scriptFaults({ endpoint: 'oauth-token', fault: { type: 'unauthorized' } });
    const err = await mimecastFailure(page(rig));
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err.attempts).toBe(1);
    expect(rig.requestsTo('get-audit-events')).toHaveLength(0);
  });
});

describe('API 1.0 (HMAC) authentication over HTTP', () => {
  it('signs every request so the simulator accepts it', async () => {
    rig = await startRig('hmac');
    await page(rig);
    await rig.client.getCategories({ deadline: rig.deadline() });
    expect(rig.sim.requests().map((r) => [r.authMode, r.status])).toEqual([
      ['hmac', 200],
      ['hmac', 200],
    ]);
  });

  it('does not retry a 401 (API 1.0 keys do not renew)', async () => {
    rig = await startRig('hmac');
    rig.sim.scriptFaults({ fault: { type: 'unauthorized' } });
    const err = await mimecastFailure(page(rig));
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err.attempts).toBe(1);
    expect(rig.requestsTo('get-audit-events')).toHaveLength(1);
    expect(rig.waits).toEqual([]);
  });

  it('is rejected with AuthenticationError when its clock is more than 15 minutes off', async () => {
    // Prepare: the client's clock runs 16 minutes ahead of the simulator's.
    const clientClock = createTestClock(T0 + 16 * 60_000);
    rig = await startRig('hmac', { clientClock });
    // Act
    const err = await mimecastFailure(page(rig));
    // Assess
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err.status).toBe(401);
    expect(err.attempts).toBe(1);
    expect(rig.requestsTo('get-audit-events').map((r) => r.status)).toEqual([401]);
  });

  it('is accepted with a clock 14 minutes off (inside the allowed skew)', async () => {
    const clientClock = createTestClock(T0 - 14 * 60_000);
    rig = await startRig('hmac', { clientClock });
    await page(rig);
    expect(rig.requestsTo('get-audit-events').map((r) => r.status)).toEqual([200]);
  });

  it('reports wrong keys as AuthenticationError and never echoes them', async () => {
    rig = await startRig('hmac');
    const wrongKey = Buffer.from('definitely-not-the-key').toString('base64');
    const secret = parseMimecastSecret(JSON.stringify({ ...rig.sim.secrets.hmac, secretKey: wrongKey }));
    const client = createMimecastClient(secret, { clock: rig.clock, sleep: async () => undefined });
    const err = await mimecastFailure(client.getCategories({ deadline: rig.deadline() }));
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err.message).not.toContain(wrongKey);
    expect(err.message).not.toContain(rig.sim.secrets.hmac.accessKey);
  });

  it('fails at once on 418 binding expired', async () => {
    rig = await startRig('hmac');
    rig.sim.scriptFaults({ endpoint: 'get-categories', fault: { type: 'binding_expired' } });
    const err = await mimecastFailure(rig.client.getCategories({ deadline: rig.deadline() }));
    expect(err).toBeInstanceOf(BindingExpiredError);
    expect(err.attempts).toBe(1);
  });

  it('stops retrying when the caller aborts', async () => {
    rig = await startRig('hmac', { client: { requestTimeoutMs: 5_000 } });
    rig.sim.scriptFaults({ fault: { type: 'slow', delayMs: 3_000 } });
    const controller = new AbortController();
    const pending = rig.client.getAuditEventsPage(QUERY, undefined, {
      deadline: rig.deadline(),
      signal: controller.signal,
    });
    controller.abort();
    const err = await mimecastFailure(pending);
    expect(err).toBeInstanceOf(RetryableError);
    expect(err.message).toContain('aborted by the caller');
    expect(err.attempts).toBe(1);
  });
});
