import { describe, expect, it } from 'vitest';
import { toAuditCategory } from '#core/mimecast/client.js';
import {
  AuthenticationError,
  BindingExpiredError,
  FatalError,
  RateLimitedError,
  RetryableError,
} from '#core/mimecast/errors.js';
import {
  createRedactor,
  errorFromStatus,
  parseEnvelope,
  parseRateLimitWait,
  type ResponseContext,
} from '#core/mimecast/response.js';

const NOW = Date.UTC(2026, 0, 10, 12, 0, 0);
const redact = createRedactor(() => ['topsecret-value']);
const ctx: ResponseContext = {
  label: 'get-audit-events',
  redact,
  now: NOW,
  fallbackRateLimitWaitMs: () => 4_000,
};
const bytes = (value: unknown): Uint8Array =>
  new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
const failBody = (errors: unknown[]) =>
  bytes({ meta: { status: 200 }, data: [], fail: [{ key: {}, errors }] });

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err: unknown) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('parseRateLimitWait', () => {
  it('reads X-RateLimit-Reset as milliseconds (not seconds)', () => {
    expect(parseRateLimitWait(new Headers({ 'X-RateLimit-Reset': '1500' }), NOW)).toBe(1_500);
  });

  it('prefers X-RateLimit-Reset over Retry-After', () => {
    const headers = new Headers({ 'X-RateLimit-Reset': '250', 'Retry-After': '30' });
    expect(parseRateLimitWait(headers, NOW)).toBe(250);
  });

  it('reads Retry-After in seconds', () => {
    expect(parseRateLimitWait(new Headers({ 'Retry-After': '12' }), NOW)).toBe(12_000);
  });

  it('reads Retry-After as an HTTP date relative to the client clock', () => {
    const at = new Date(NOW + 42_000).toUTCString();
    expect(parseRateLimitWait(new Headers({ 'Retry-After': at }), NOW)).toBe(42_000);
    const past = new Date(NOW - 5_000).toUTCString();
    expect(parseRateLimitWait(new Headers({ 'Retry-After': past }), NOW)).toBe(0);
  });

  it('ignores unusable values', () => {
    expect(
      parseRateLimitWait(new Headers({ 'X-RateLimit-Reset': 'soon', 'Retry-After': 'later' }), NOW),
    ).toBe(undefined);
    expect(parseRateLimitWait(new Headers(), NOW)).toBeUndefined();
  });
});

describe('errorFromStatus', () => {
  it('carries the server wait on 429, or the backoff fallback without one', () => {
    const withHeader = errorFromStatus(429, new Headers({ 'X-RateLimit-Reset': '900' }), bytes(''), ctx);
    const without = errorFromStatus(429, new Headers(), bytes(''), ctx);
    expect(withHeader).toBeInstanceOf(RateLimitedError);
    expect((withHeader as RateLimitedError).retryAfterMs).toBe(900);
    expect((without as RateLimitedError).retryAfterMs).toBe(4_000);
  });

  it.each([
    [401, AuthenticationError],
    [403, AuthenticationError],
    [418, BindingExpiredError],
    [500, RetryableError],
    [503, RetryableError],
    [400, FatalError],
    [404, FatalError],
    [409, FatalError],
    [302, FatalError],
  ])('classifies HTTP %i', (status, kind) => {
    const err = errorFromStatus(status, new Headers(), bytes('<html>proxy page</html>'), ctx);
    expect(err).toBeInstanceOf(kind);
    expect(err.status).toBe(status);
    expect(err.message).not.toContain('proxy page');
  });

  it('treats err_xdk_binding_expired as binding expired whatever the status', () => {
    const err = errorFromStatus(
      401,
      new Headers(),
      failBody([{ code: 'err_xdk_binding_expired', message: 'expired', retryable: false }]),
      ctx,
    );
    expect(err).toBeInstanceOf(BindingExpiredError);
    expect(err.code).toBe('err_xdk_binding_expired');
  });

  it('names the code and a cleaned message from a gateway-style fail item, scrubbing secrets', () => {
    const body = bytes({ fail: [{ code: 'err_auth', message: 'token topsecret-value\nis\tinvalid' }] });
    const err = errorFromStatus(401, new Headers(), body, ctx);
    expect(err.code).toBe('err_auth');
    expect(err.message).toContain('err_auth: token [redacted] is invalid');
    expect(err.message).not.toContain('topsecret-value');
  });

  it('drops a code that does not look like one and truncates long messages', () => {
    const body = bytes({ fail: [{ code: 'has spaces <b>', message: 'x'.repeat(1_000) }] });
    const err = errorFromStatus(400, new Headers(), body, ctx);
    expect(err.code).toBeUndefined();
    expect(err.message.length).toBeLessThan(260);
  });
});

describe('parseEnvelope', () => {
  it('returns data and the next token', () => {
    const envelope = parseEnvelope(
      200,
      bytes({
        meta: { pagination: { pageSize: 2, next: 'tok-2' } },
        data: [{ id: 'a' }, { id: 'b' }],
        fail: [],
      }),
      ctx,
    );
    expect(envelope).toEqual({ data: [{ id: 'a' }, { id: 'b' }], next: 'tok-2' });
  });

  it('treats an empty next as absent', () => {
    expect(
      parseEnvelope(200, bytes({ meta: { pagination: { next: '' } }, data: [] }), ctx).next,
    ).toBeUndefined();
  });

  it('never treats a 200 with a fail item as "no data"', () => {
    const retryable = thrown(() =>
      parseEnvelope(200, failBody([{ code: 'err_busy', message: 'try later', retryable: true }]), ctx),
    );
    const fatal = thrown(() =>
      parseEnvelope(
        200,
        failBody([{ code: 'err_validation_blank', message: 'blank', retryable: false }]),
        ctx,
      ),
    );
    const unflagged = thrown(() => parseEnvelope(200, failBody([{ code: 'err_unknown' }]), ctx));
    expect(retryable).toBeInstanceOf(RetryableError);
    expect((retryable as RetryableError).reason).toBe('fail_retryable');
    expect(fatal).toBeInstanceOf(FatalError);
    expect((fatal as FatalError).code).toBe('err_validation_blank');
    expect(unflagged).toBeInstanceOf(FatalError);
  });

  it('is permanent when one of several failures is permanent', () => {
    const err = thrown(() =>
      parseEnvelope(
        200,
        failBody([
          { code: 'err_busy', retryable: true },
          { code: 'err_validation_null', retryable: false },
        ]),
        ctx,
      ),
    );
    expect(err).toBeInstanceOf(FatalError);
    expect((err as FatalError).code).toBe('err_validation_null');
  });

  it.each([
    ['truncated JSON', '{"data":[{"id":"a"'],
    ['a JSON array', '[]'],
    ['no data array', '{"meta":{}}'],
    ['a fail that is not an array', '{"data":[],"fail":{"code":"x"}}'],
    ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0x7d])],
  ])('calls %s a retryable malformed response', (_case, body) => {
    const err = thrown(() => parseEnvelope(200, typeof body === 'string' ? bytes(body) : body, ctx));
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).reason).toBe('malformed_response');
  });
});

describe('toAuditCategory', () => {
  it('keeps code, id and name', () => {
    expect(toAuditCategory({ code: 'account_logs', id: '17', name: 'Account Logs' })).toEqual({
      code: 'account_logs',
      id: '17',
      name: 'Account Logs',
    });
  });

  it('falls back to id, then name, when code is missing; drops items with none', () => {
    expect(toAuditCategory({ id: 'policy_logs' })).toEqual({ code: 'policy_logs', id: 'policy_logs' });
    expect(toAuditCategory({ name: 'Policy Logs' })).toEqual({ code: 'Policy Logs', name: 'Policy Logs' });
    expect(toAuditCategory('journaling_logs')).toEqual({ code: 'journaling_logs' });
    expect(toAuditCategory({ code: '  ' })).toBeUndefined();
    expect(toAuditCategory(42)).toBeUndefined();
  });
});
