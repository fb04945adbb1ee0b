import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '#core/mimecast/errors.js';
import { parseMimecastSecret } from '#core/mimecast/secret.js';

// Distinctive values, so a leak into an error message is easy to detect.
const OAUTH = { clientId: 'cid-LEAKCHECK-1111', clientSecret: 'csecret-LEAKCHECK-2222' };
const HMAC = {
  baseUrl: 'https://eu-api.mimecast.com',
  appId: 'appid-LEAKCHECK-3333',
  appKey: 'appkey-LEAKCHECK-4444',
  accessKey: 'access-LEAKCHECK-5555',
  secretKey: 'c2VjcmV0LUxFQUtDSEVDSy02NjY2', // base64 of "secret-LEAKCHECK-6666"
};
const ALL_VALUES = [...Object.values(OAUTH), ...Object.values(HMAC), 'LEAKCHECK'];

/** Parses and returns the ConfigurationError, failing the test if parsing succeeds. */
function configError(raw: string): ConfigurationError {
  try {
    parseMimecastSecret(raw);
  } catch (err: unknown) {
    if (err instanceof ConfigurationError) return err;
    throw err;
  }
  throw new Error('expected a ConfigurationError');
}

function expectNoValues(message: string): void {
  for (const value of ALL_VALUES) expect(message).not.toContain(value);
}

describe('parseMimecastSecret: API 2.0 (OAuth)', () => {
  it('defaults the base URL to the global endpoint', () => {
    // Act
    const secret = parseMimecastSecret(JSON.stringify(OAUTH));
    // Assess
    expect(secret).toEqual({ mode: 'oauth2', baseUrl: 'https://api.services.mimecast.com', ...OAUTH });
  });

  it('keeps a regional base URL, trims whitespace and strips the trailing slash', () => {
    const secret = parseMimecastSecret(
      JSON.stringify({
        clientId: `  ${OAUTH.clientId}\n`,
        clientSecret: OAUTH.clientSecret,
        baseUrl: ' https://uk-api.services.mimecast.com/ ',
      }),
    );
    expect(secret).toEqual({ mode: 'oauth2', baseUrl: 'https://uk-api.services.mimecast.com', ...OAUTH });
  });

  it('names a missing clientSecret without echoing the clientId', () => {
    const err = configError(JSON.stringify({ clientId: OAUTH.clientId }));
    expect(err.message).toContain('clientSecret is missing');
    expectNoValues(err.message);
  });

  it('names empty and non-string fields', () => {
    const err = configError(JSON.stringify({ clientId: '   ', clientSecret: 12345 }));
    expect(err.message).toContain('clientId must not be empty');
    expect(err.message).toContain('clientSecret must be a string');
    expect(err.message).not.toContain('12345');
  });
});

describe('parseMimecastSecret: API 1.0 (HMAC)', () => {
  it('parses the five fields', () => {
    const secret = parseMimecastSecret(JSON.stringify({ ...HMAC, baseUrl: 'https://eu-api.mimecast.com/' }));
    expect(secret).toEqual({ mode: 'hmac', ...HMAC });
  });

  it.each(['baseUrl', 'appId', 'appKey', 'accessKey', 'secretKey'] as const)(
    'names a missing %s',
    (field) => {
      // Prepare
      const partial: Record<string, string> = { ...HMAC };
      delete partial[field];
      // Act
      const err = configError(JSON.stringify(partial));
      // Assess
      expect(err.message).toContain(`${field} is missing`);
      expect(err.message).toContain('API 1.0');
      expectNoValues(err.message);
    },
  );

  it('lists every missing field at once', () => {
    const err = configError(JSON.stringify({ appId: HMAC.appId }));
    for (const field of ['baseUrl', 'appKey', 'accessKey', 'secretKey']) {
      expect(err.message).toContain(`${field} is missing`);
    }
    expectNoValues(err.message);
  });

  it.each([
    ['characters outside the alphabet', 'not base64 at all!'],
    ['missing padding', 'c2VjcmV0'.slice(0, 7)],
    ['base64url characters', 'ab-_cd=='],
    ['non-canonical final bits', 'QR=='],
    ['inner whitespace', 'c2Vj cmV0'],
  ])('rejects a secretKey with %s', (_case, secretKey) => {
    const err = configError(JSON.stringify({ ...HMAC, secretKey }));
    expect(err.message).toContain('secretKey must be valid base64');
    expect(err.message).not.toContain(secretKey);
    expectNoValues(err.message);
  });

  it('requires a base URL (there is no API 1.0 default)', () => {
    const { baseUrl: _omitted, ...rest } = HMAC;
    expect(configError(JSON.stringify(rest)).message).toContain('baseUrl is missing');
  });
});

describe('parseMimecastSecret: base URL rules', () => {
  it.each(['http://127.0.0.1:8080', 'http://127.12.0.1', 'http://localhost:3000/', 'http://[::1]:9000'])(
    'allows plain http on the loopback host %s',
    (baseUrl) => {
      const secret = parseMimecastSecret(JSON.stringify({ ...OAUTH, baseUrl }));
      expect(secret.baseUrl).toBe(baseUrl.replace(/\/$/, ''));
    },
  );

  it.each([
    'http://api.services.mimecast.com',
    'http://10.0.0.5:8080',
    'http://127.0.0.1.example.com',
    'ftp://api.services.mimecast.com',
  ])('rejects %s', (baseUrl) => {
    const err = configError(JSON.stringify({ ...OAUTH, baseUrl }));
    expect(err.message).toContain('baseUrl must use https://');
    expect(err.message).not.toContain(baseUrl);
  });

  it('rejects credentials embedded in the URL without echoing them', () => {
    const err = configError(
      JSON.stringify({ ...OAUTH, baseUrl: 'https://user:pw-LEAKCHECK@x.mimecast.com' }),
    );
    expect(err.message).toContain('baseUrl must not contain credentials');
    expectNoValues(err.message);
  });

  it('rejects text that is not a URL', () => {
    expect(configError(JSON.stringify({ ...OAUTH, baseUrl: 'api.services.mimecast.com' })).message).toContain(
      'baseUrl must be an absolute URL',
    );
  });
});

describe('parseMimecastSecret: shape and mode', () => {
  it('refuses a secret that mixes both modes, naming the fields', () => {
    const err = configError(JSON.stringify({ ...OAUTH, ...HMAC }));
    expect(err.message).toMatch(/mixes API 2\.0 fields \(clientId, clientSecret\) with API 1\.0 fields/);
    expectNoValues(err.message);
  });

  it('refuses a secret with neither shape', () => {
    const err = configError(JSON.stringify({ baseUrl: 'https://api.services.mimecast.com', user: 'x' }));
    expect(err.message).toContain('expected API 2.0 fields');
  });

  it('never repeats invalid JSON text (JSON.parse quotes fragments of it)', () => {
    const raw = `{"clientId":"${OAUTH.clientId}","clientSecret":"${OAUTH.clientSecret}"`;
    const err = configError(raw);
    expect(err.message).toBe('Invalid Mimecast secret: the value is not valid JSON');
    expect(err.cause).toBeUndefined();
  });

  it.each(['[]', 'null', '"text"', '42'])('refuses the JSON value %s', (raw) => {
    expect(configError(raw).message).toContain('must be a JSON object');
  });
});
