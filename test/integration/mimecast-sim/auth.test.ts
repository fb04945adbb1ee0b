import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe('simulator authentication', () => {
  const clock = createTestClock(NOW);
  let sim: MimecastSimulator;

  beforeAll(async () => {
    sim = await startMimecastSimulator({ clock, seed: 7, tokenTtlSeconds: 1799, rateLimit: false });
  });
  afterAll(async () => {
    await sim.close();
  });

  describe('API 1.0 (HMAC)', () => {
    const body = () => auditBody(clock.now() - HOUR, clock.now(), { pageSize: 10 });

    it('accepts a correctly signed request', async () => {
      // Prepare
      const headers = hmacHeaders(sim.secrets.hmac, AUDIT_PATH, clock.now());
      // Act
      const response = await post(sim, AUDIT_PATH, headers, body());
      // Assess
      expect(response.status).toBe(200);
      expect(response.body.fail).toEqual([]);
      expect(response.body.data?.length).toBeGreaterThan(0);
      expect(sim.requests().at(-1)).toMatchObject({
        authMode: 'hmac',
        status: 200,
        endpoint: 'get-audit-events',
      });
    });

    it('rejects a signature made with a wrong secret key', async () => {
      const wrongKey = Buffer.alloc(32, 7).toString('base64');
      const headers = hmacHeaders({ ...sim.secrets.hmac, secretKey: wrongKey }, AUDIT_PATH, clock.now());
      const response = await post(sim, AUDIT_PATH, headers, body());
      expect(response.status).toBe(401);
      expect(failCodes(response)).toEqual(['err_signature_mismatch']);
    });

    it('rejects a signature computed with the app id instead of the app key', async () => {
      const headers = hmacHeaders(sim.secrets.hmac, AUDIT_PATH, clock.now(), {
        appKeyForSignature: sim.secrets.hmac.appId,
      });
      const response = await post(sim, AUDIT_PATH, headers, body());
      expect(response.status).toBe(401);
      expect(failCodes(response)).toEqual(['err_signature_mismatch']);
    });

    it('rejects a signature over another path (the path is part of the signed message)', async () => {
      const headers = hmacHeaders(sim.secrets.hmac, CATEGORIES_PATH, clock.now());
      const response = await post(sim, AUDIT_PATH, headers, body());
      expect(response.status).toBe(401);
    });

    it.each(['x-mc-date', 'x-mc-req-id', 'x-mc-app-id', 'authorization'])(
      'rejects a request without %s',
      async (name) => {
        const headers = hmacHeaders(sim.secrets.hmac, AUDIT_PATH, clock.now());
        delete headers[name];
        const response = await post(sim, AUDIT_PATH, headers, body());
        expect(response.status).toBe(401);
        expect(failCodes(response)).toHaveLength(1);
      },
    );

    it('rejects an x-mc-date more than 15 minutes away, in either direction', async () => {
      for (const offset of [-16 * 60_000, 16 * 60_000]) {
        const headers = hmacHeaders(sim.secrets.hmac, AUDIT_PATH, clock.now() + offset);
        const response = await post(sim, AUDIT_PATH, headers, body());
        expect(response.status).toBe(401);
        expect(failCodes(response)).toEqual(['err_date_skew']);
      }
    });

    it('accepts an x-mc-date 14 minutes old', async () => {
      const headers = hmacHeaders(sim.secrets.hmac, AUDIT_PATH, clock.now() - 14 * 60_000);
      const response = await post(sim, AUDIT_PATH, headers, body());
      expect(response.status).toBe(200);
    });

    it('rejects dates not in the documented format (GMT suffix, ISO)', async () => {
      for (const date of [new Date(clock.now()).toUTCString(), new Date(clock.now()).toISOString()]) {
        const headers = hmacHeaders(sim.secrets.hmac, AUDIT_PATH, clock.now(), { date });
        const response = await post(sim, AUDIT_PATH, headers, body());
        expect(response.status).toBe(401);
        expect(failCodes(response)).toEqual(['err_date_format']);
      }
    });

    it('rejects an unknown application id or access key', async () => {
      const headers = hmacHeaders(sim.secrets.hmac, AUDIT_PATH, clock.now());
      const unknownApp = await post(
        sim,
        AUDIT_PATH,
        { ...headers, 'x-mc-app-id': sim.secrets.hmac.appKey },
        body(),
      );
      const signed = hmacHeaders({ ...sim.secrets.hmac, accessKey: 'someoneElse' }, AUDIT_PATH, clock.now());
      const unknownKey = await post(sim, AUDIT_PATH, signed, body());
      expect(unknownApp.status).toBe(401);
      expect(failCodes(unknownApp)).toEqual(['err_unknown_application']);
      expect(unknownKey.status).toBe(401);
      expect(failCodes(unknownKey)).toEqual(['err_unknown_access_key']);
    });

    it('rejects a replayed x-mc-req-id (every call needs a fresh GUID)', async () => {
      const headers = hmacHeaders(sim.secrets.hmac, AUDIT_PATH, clock.now());
      const first = await post(sim, AUDIT_PATH, headers, body());
      const replay = await post(sim, AUDIT_PATH, headers, body());
      expect(first.status).toBe(200);
      expect(replay.status).toBe(401);
      expect(failCodes(replay)).toEqual(['err_duplicate_request_id']);
    });

    it('signs get-categories the same way and lists category codes', async () => {
      const headers = hmacHeaders(sim.secrets.hmac, CATEGORIES_PATH, clock.now());
      const response = await post(sim, CATEGORIES_PATH, headers, { data: [] });
      expect(response.status).toBe(200);
      const codes = (response.body.data ?? []).map((category) => category.code);
      expect(codes).toContain('authentication_logs');
      expect(codes).toContain('continuity_services_logs');
      expect(response.body.data?.[0]).toEqual({
        code: expect.any(String),
        id: expect.any(String),
        name: expect.any(String),
      });
    });
  });

  describe('API 2.0 (OAuth)', () => {
    it('issues a bearer token with the configured lifetime', async () => {
      // Act
      const response = await requestToken(sim);
      const body = (await response.json()) as Record<string, unknown>;
      // Assess
      expect(response.status).toBe(200);
      expect(body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 1799 });
    });

    it('accepts a valid token and rejects it once it has expired on the simulator clock', async () => {
      // Prepare
      const token = await accessToken(sim);
      const body = () => auditBody(clock.now() - HOUR, clock.now(), { pageSize: 5 });
      // Act
      const fresh = await post(sim, AUDIT_PATH, bearer(token), body());
      clock.advance(1798 * 1000);
      const nearlyExpired = await post(sim, AUDIT_PATH, bearer(token), body());
      clock.advance(1000);
      const expired = await post(sim, AUDIT_PATH, bearer(token), body());
      // Assess
      expect(fresh.status).toBe(200);
      expect(nearlyExpired.status).toBe(200);
      expect(expired.status).toBe(401);
      expect(expired.body.fail?.[0]).toEqual({ code: 'token_expired', message: expect.any(String) });
    });

    it('rejects an unknown token and a request without Authorization', async () => {
      const body = auditBody(clock.now() - HOUR, clock.now());
      const unknown = await post(sim, AUDIT_PATH, bearer('made-up-token'), body);
      const missing = await post(sim, AUDIT_PATH, { 'content-type': 'application/json' }, body);
      expect(unknown.status).toBe(401);
      expect(failCodes(unknown)).toEqual(['token_invalid']);
      expect(missing.status).toBe(401);
      expect(sim.requests().at(-1)?.authMode).toBe('none');
    });

    it('refuses a wrong client secret or client id with 401 invalid_client', async () => {
      const wrongSecret = await requestToken(sim, sim.secrets.oauth2.clientId, 'not-the-secret');
      const wrongId = await requestToken(sim, 'not-the-client', sim.secrets.oauth2.clientSecret);
      expect(wrongSecret.status).toBe(401);
      expect(await wrongSecret.json()).toMatchObject({ error: 'invalid_client' });
      expect(wrongId.status).toBe(401);
    });

    it('refuses a token request with another grant type or a JSON body', async () => {
      const wrongGrant = await fetch(`${sim.baseUrl}/oauth/token`, {
        method: 'POST',
        body: new URLSearchParams({ ...sim.secrets.oauth2, grant_type: 'password' }),
      });
      const json = await fetch(`${sim.baseUrl}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_id: sim.secrets.oauth2.clientId, grant_type: 'client_credentials' }),
      });
      expect(wrongGrant.status).toBe(400);
      expect(await wrongGrant.json()).toMatchObject({ error: 'unsupported_grant_type' });
      expect(json.status).toBe(400);
    });

    it('answers unknown paths with 404 and other methods with 405', async () => {
      const token = await accessToken(sim);
      const notFound = await fetch(`${sim.baseUrl}/api/audit/get-audit-event`, {
        method: 'POST',
        headers: bearer(token),
      });
      const wrongMethod = await fetch(`${sim.baseUrl}${AUDIT_PATH}`, { headers: bearer(token) });
      expect(notFound.status).toBe(404);
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.headers.get('allow')).toBe('POST');
    });
  });
});
