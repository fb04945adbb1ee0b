/**
 * Both Mimecast authentication modes, verified for real: OAuth 2.0 bearer tokens the simulator
 * issued (with an expiry on the simulator clock) and API 1.0 HMAC-SHA1 signatures recomputed
 * here, independently of the client. Failure messages never contain secret values.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '#core/ports.js';
import { parseMcDate } from './dates.js';

/** Credentials the simulator accepts. */
export interface SimCredentials {
  oauth2: { clientId: string; clientSecret: string };
  hmac: { appId: string; appKey: string; accessKey: string; secretKey: string };
}

/** Who a verified request belongs to (the rate-limit key). */
export interface Principal {
  mode: 'oauth2' | 'hmac';
  key: string;
}

/** Why authentication failed; `code` is the simulator's own (Mimecast's exact codes vary). */
export interface AuthFailure {
  mode: 'oauth2' | 'hmac' | 'none';
  code: string;
  message: string;
}

/** Compares two strings in constant time (hashing first so lengths never leak or throw). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

function derived(seed: number, label: string, bytes: number): Buffer {
  return createHash('sha512').update(`mimecast-sim/${seed}/${label}`).digest().subarray(0, bytes);
}

function uuidFrom(buffer: Buffer): string {
  const hex = buffer.toString('hex').padEnd(32, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Deterministic, realistic-looking credentials for a seed (simulator-only, never real). */
export function credentialsForSeed(seed: number): SimCredentials {
  return {
    oauth2: {
      clientId: derived(seed, 'client-id', 24).toString('base64url'),
      clientSecret: derived(seed, 'client-secret', 33).toString('base64url'),
    },
    hmac: {
      appId: uuidFrom(derived(seed, 'app-id', 16)),
      appKey: uuidFrom(derived(seed, 'app-key', 16)),
      accessKey: `mYtOL3XZ${derived(seed, 'access-key', 48).toString('base64url')}`,
      // Standard base64 (with + and /), as Mimecast hands secret keys out.
      secretKey: derived(seed, 'secret-key', 64).toString('base64'),
    },
  };
}

/** Issues and verifies OAuth 2.0 access tokens. */
export class OAuthTokens {
  private readonly tokens = new Map<string, { clientId: string; expiresAt: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlSeconds: number,
    private readonly client: SimCredentials['oauth2'],
  ) {}

  /** Checks client credentials; returns a new token or `undefined` when they are wrong. */
  issue(clientId: string, clientSecret: string): { token: string; expiresIn: number } | undefined {
    // Evaluate both comparisons so a wrong id and a wrong secret take the same time.
    const idOk = safeEqual(clientId, this.client.clientId);
    const secretOk = safeEqual(clientSecret, this.client.clientSecret);
    if (!idOk || !secretOk) return undefined;
    const now = this.clock.now();
    for (const [token, entry] of this.tokens) {
      if (entry.expiresAt <= now) this.tokens.delete(token);
    }
    const token = randomBytes(32).toString('base64url');
    this.tokens.set(token, { clientId, expiresAt: now + this.ttlSeconds * 1000 });
    return { token, expiresIn: this.ttlSeconds };
  }

  /** Verifies a bearer token against the simulator clock. */
  verify(token: string): Principal | AuthFailure {
    const entry = this.tokens.get(token);
    if (!entry) return { mode: 'oauth2', code: 'token_invalid', message: 'The access token is not valid' };
    if (entry.expiresAt <= this.clock.now()) {
      return { mode: 'oauth2', code: 'token_expired', message: 'The access token has expired' };
    }
    return { mode: 'oauth2', key: `oauth2:${entry.clientId}` };
  }
}

type Headers = Record<string, string | string[] | undefined>;

const header = (headers: Headers, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** Verifies API 1.0 HMAC-SHA1 signed requests. */
export class HmacVerifier {
  private readonly secret: Buffer;
  /** Request ids seen recently: a replayed `x-mc-req-id` is refused (each call needs a fresh GUID). */
  private readonly seenRequestIds = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly maxSkewSeconds: number,
    private readonly credentials: SimCredentials['hmac'],
  ) {
    this.secret = Buffer.from(credentials.secretKey, 'base64');
  }

  /** Checks headers, date skew and signature for a request to `path`. */
  verify(headers: Headers, path: string): Principal | AuthFailure {
    const fail = (code: string, message: string): AuthFailure => ({ mode: 'hmac', code, message });
    for (const name of ['authorization', 'x-mc-date', 'x-mc-req-id', 'x-mc-app-id']) {
      if (!header(headers, name)?.trim()) return fail('err_missing_header', `The ${name} header is required`);
    }
    const authorization = header(headers, 'authorization') ?? '';
    const date = header(headers, 'x-mc-date') ?? '';
    const requestId = header(headers, 'x-mc-req-id') ?? '';
    const appId = header(headers, 'x-mc-app-id') ?? '';
    const match = /^MC ([^\s:]+):(\S+)$/.exec(authorization);
    if (!match) return fail('err_authorization_format', 'Authorization must be "MC {accessKey}:{signature}"');
    const [, accessKey = '', signature = ''] = match;
    if (!safeEqual(appId, this.credentials.appId))
      return fail('err_unknown_application', 'Unknown x-mc-app-id');
    if (!safeEqual(accessKey, this.credentials.accessKey))
      return fail('err_unknown_access_key', 'Unknown access key');
    const dateMs = parseMcDate(date);
    if (dateMs === undefined) {
      return fail('err_date_format', 'x-mc-date must look like "Tue, 24 Nov 2015 12:50:11 UTC"');
    }
    const now = this.clock.now();
    if (Math.abs(dateMs - now) > this.maxSkewSeconds * 1000) {
      return fail('err_date_skew', `x-mc-date is more than ${this.maxSkewSeconds} s away from server time`);
    }
    const expected = createHmac('sha1', this.secret)
      .update(`${date}:${requestId}:${path}:${this.credentials.appKey}`)
      .digest('base64');
    if (!safeEqual(signature, expected))
      return fail('err_signature_mismatch', 'The request signature does not match');
    if (this.isReplay(requestId, now))
      return fail('err_duplicate_request_id', 'x-mc-req-id was already used');
    return { mode: 'hmac', key: `hmac:${accessKey}` };
  }

  private isReplay(requestId: string, now: number): boolean {
    // Only ids inside the skew window matter: older signed requests are refused by date anyway.
    const horizon = now - 2 * this.maxSkewSeconds * 1000;
    for (const [id, at] of this.seenRequestIds) {
      if (at >= horizon) break;
      this.seenRequestIds.delete(id);
    }
    if (this.seenRequestIds.has(requestId)) return true;
    this.seenRequestIds.set(requestId, now);
    return false;
  }
}

/** True when `value` is a Principal (authentication succeeded). */
export function isPrincipal(value: Principal | AuthFailure): value is Principal {
  return 'key' in value;
}
