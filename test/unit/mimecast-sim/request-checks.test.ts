import { describe, expect, it } from 'vitest';
import type { Clock } from '#core/ports.js';
import { HmacVerifier } from '#local/mimecast-sim/auth.js';
import { parseMcDate, parseRequestDate } from '#local/mimecast-sim/dates.js';
import { PageTokens } from '#local/mimecast-sim/page-token.js';

describe('HMAC verification', () => {
  // Vector computed outside the code under test:
  //   printf '%s' '<date>:<req-id>:<path>:app-key-0001' | openssl dgst -sha1 -hmac 'secret-key-for-tests' -binary | base64
  const date = 'Tue, 24 Nov 2015 12:50:11 UTC';
  const requestId = '6a1ef5b2-6c0e-4a55-9d38-5d3c5f6d7e01';
  const clock: Clock = { now: () => Date.UTC(2015, 10, 24, 12, 50, 11) };
  const credentials = {
    appId: 'app-id-0001',
    appKey: 'app-key-0001',
    accessKey: 'access-key-0001',
    secretKey: 'c2VjcmV0LWtleS1mb3ItdGVzdHM=',
  };
  const headers = (signature: string) => ({
    authorization: `MC access-key-0001:${signature}`,
    'x-mc-date': date,
    'x-mc-req-id': requestId,
    'x-mc-app-id': 'app-id-0001',
  });

  it('accepts the openssl-computed signature', () => {
    const verifier = new HmacVerifier(clock, 900, credentials);
    expect(verifier.verify(headers('p//ECpqaHdia3qDV6RmTm7eqQ5o='), '/api/audit/get-audit-events')).toEqual({
      mode: 'hmac',
      key: 'hmac:access-key-0001',
    });
  });

  it('refuses the same signature for another path', () => {
    const verifier = new HmacVerifier(clock, 900, credentials);
    expect(
      verifier.verify(headers('p//ECpqaHdia3qDV6RmTm7eqQ5o='), '/api/audit/get-categories'),
    ).toMatchObject({
      code: 'err_signature_mismatch',
    });
  });
});

describe('date parsing', () => {
  it('reads request dates with any numeric offset and nothing else', () => {
    expect(parseRequestDate('2026-11-25T10:15:30+0000')).toBe(Date.UTC(2026, 10, 25, 10, 15, 30));
    expect(parseRequestDate('2026-11-25T12:15:30+0200')).toBe(Date.UTC(2026, 10, 25, 10, 15, 30));
    expect(parseRequestDate('2026-11-25T04:45:30-0530')).toBe(Date.UTC(2026, 10, 25, 10, 15, 30));
    for (const bad of [
      '2026-11-25T10:15:30Z',
      '2026-11-25T10:15:30+00:00',
      '2026-11-25T10:15:30.000+0000',
      'now',
    ]) {
      expect(parseRequestDate(bad)).toBeUndefined();
    }
  });

  it('reads x-mc-date only in the documented form with a matching weekday', () => {
    expect(parseMcDate('Tue, 24 Nov 2015 12:50:11 UTC')).toBe(Date.UTC(2015, 10, 24, 12, 50, 11));
    expect(parseMcDate('Wed, 24 Nov 2015 12:50:11 UTC')).toBeUndefined();
    expect(parseMcDate('Tue, 24 Nov 2015 12:50:11 GMT')).toBeUndefined();
  });
});

describe('page tokens', () => {
  it('round-trip, and refuse edits and tokens from another simulator', () => {
    const tokens = new PageTokens();
    const cursor = { searchHash: 'abc', asOf: 1000, position: { timeMs: 500, seq: 3 }, exhausted: undefined };
    const token = tokens.encode(cursor);
    expect(tokens.decode(token)).toEqual(cursor);
    // Change the last character (to one it is not: the token's signature is random per instance).
    const edited = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    expect(tokens.decode(edited)).toBeUndefined();
    expect(new PageTokens().decode(token)).toBeUndefined();
    expect(tokens.decode('not a token')).toBeUndefined();
  });
});
