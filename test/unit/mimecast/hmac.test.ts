import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '#core/mimecast/errors.js';
import { createHmacSigner, formatMcDate, signRequest } from '#core/mimecast/hmac.js';

/*
 * Test vector computed independently of the code under test, with OpenSSL 3.0:
 *
 *   KEYHEX=00ff10e3a1b2c3d4e5f60718293a4b5c6d7e8f90aa55          # binary key (has 0x00 and high bytes)
 *   printf %s "$KEYHEX" | xxd -r -p | base64                      # → AP8Q46Gyw9Tl9gcYKTpLXG1+j5CqVQ==
 *   msg='Tue, 24 Nov 2015 12:50:11 UTC:8f0d3c4e-6b2a-4d1e-9c77-0b5a1f2e3d4c:/api/audit/get-audit-events:c5b9a2e0-1111-4c3d-8e9f-0123456789ab'
 *   printf '%s' "$msg" | openssl dgst -sha1 -mac HMAC -macopt hexkey:$KEYHEX -binary | base64
 *                                                                 # → vtvySqDuPO2jHaNyHpux+X0bih0=
 */
const VECTOR = {
  appId: 'app-id-0001',
  appKey: 'c5b9a2e0-1111-4c3d-8e9f-0123456789ab',
  accessKey: 'access-key-0002',
  secretKey: 'AP8Q46Gyw9Tl9gcYKTpLXG1+j5CqVQ==',
  path: '/api/audit/get-audit-events',
  date: new Date(Date.UTC(2015, 10, 24, 12, 50, 11)),
  requestId: '8f0d3c4e-6b2a-4d1e-9c77-0b5a1f2e3d4c',
};
const EXPECTED_SIGNATURE = 'vtvySqDuPO2jHaNyHpux+X0bih0=';

describe('HMAC request signing (API 1.0)', () => {
  it('formats x-mc-date like Mimecast documents it', () => {
    expect(formatMcDate(new Date(Date.UTC(2015, 10, 24, 12, 50, 11)))).toBe('Tue, 24 Nov 2015 12:50:11 UTC');
    expect(formatMcDate(new Date(Date.UTC(2026, 0, 4, 3, 5, 9, 999)))).toBe('Sun, 04 Jan 2026 03:05:09 UTC');
  });

  it('matches the signature computed with openssl', () => {
    // Act
    const headers = signRequest(VECTOR);
    // Assess
    expect(headers).toEqual({
      'x-mc-date': 'Tue, 24 Nov 2015 12:50:11 UTC',
      'x-mc-req-id': VECTOR.requestId,
      'x-mc-app-id': VECTOR.appId, // the header carries the app id, the signature uses the app key
      authorization: `MC ${VECTOR.accessKey}:${EXPECTED_SIGNATURE}`,
    });
  });

  it('signs the path only: another path gives another signature', () => {
    const other = signRequest({ ...VECTOR, path: '/api/audit/get-categories' });
    expect(other.authorization).not.toBe(`MC ${VECTOR.accessKey}:${EXPECTED_SIGNATURE}`);
  });

  it('gives every request a fresh request id', () => {
    // Prepare
    const sign = createHmacSigner(VECTOR);
    // Act
    const first = sign(VECTOR.path, VECTOR.date);
    const second = sign(VECTOR.path, VECTOR.date);
    // Assess
    expect(first['x-mc-req-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(first['x-mc-req-id']).not.toBe(second['x-mc-req-id']);
    expect(first.authorization).not.toBe(second.authorization);
  });

  it('reports a secret key that is not base64 as a configuration error, without the key', () => {
    const secretKey = 'not*base64*at*all';
    expect(() => createHmacSigner({ ...VECTOR, secretKey })).toThrow(ConfigurationError);
    expect(() => signRequest({ ...VECTOR, secretKey })).toThrow(/secretKey must be valid base64/);
    try {
      signRequest({ ...VECTOR, secretKey });
    } catch (err: unknown) {
      expect(String(err)).not.toContain(secretKey);
    }
  });
});
