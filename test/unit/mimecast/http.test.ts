import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { RetryableError } from '#core/mimecast/errors.js';
import { attemptSignal, type FetchLike, post, transportError } from '#core/mimecast/http.js';

/** A loopback port with nothing listening (bound once, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** What post() throws when fetch fails with `err`. */
async function failure(url: string, fetchFn: FetchLike): Promise<RetryableError> {
  const attempt = attemptSignal(5_000, undefined);
  try {
    await post(fetchFn, url, {}, '{}', 'get-audit-events', attempt);
  } catch (err: unknown) {
    if (err instanceof RetryableError) return err;
    throw err;
  } finally {
    attempt.dispose();
  }
  throw new Error('post did not fail');
}

const failWith =
  (err: unknown): FetchLike =>
  () =>
    Promise.reject(err);
const systemError = (code: string, extra: Record<string, unknown> = {}) =>
  new TypeError('fetch failed', { cause: Object.assign(new Error(`${code} something`), { code, ...extra }) });

describe('transport errors name host, port and reason', () => {
  it('says a refused connection could not connect, with host and port (a real refused connect)', async () => {
    const port = await closedPort();
    const err = await failure(`http://127.0.0.1:${port}/api/audit/get-audit-events`, fetch);
    expect(err.message).toBe(
      `Mimecast get-audit-events: cannot connect to 127.0.0.1:${port} (ECONNREFUSED: connection refused)`,
    );
    // Retries behave as before: still a retryable network failure with the code.
    expect(err.reason).toBe('network');
    expect(err.code).toBe('ECONNREFUSED');
  });

  it('says when fetch refuses the port itself (port 9 is on the Fetch standard’s bad-port list)', async () => {
    const err = await failure('http://127.0.0.1:9/api/audit/get-audit-events', fetch);
    expect(err.message).toBe(
      "Mimecast get-audit-events: cannot connect to 127.0.0.1:9 (fetch refuses this port: it is on the Fetch standard's list of bad ports)",
    );
    expect(err.reason).toBe('network');
  });

  it('uses the scheme’s default port and tells a broken connection from a failed connect', async () => {
    const reset = await failure('https://eu-api.mimecast.com/api/x', failWith(systemError('ECONNRESET')));
    const dns = await failure('https://nowhere.invalid/api/x', failWith(systemError('ENOTFOUND')));
    const other = await failure('https://eu-api.mimecast.com/api/x', failWith(systemError('EWEIRD')));
    const dialled = await failure(
      'https://eu-api.mimecast.com/api/x',
      failWith(systemError('ETIMEDOUT', { address: '192.0.2.7', port: 443 })),
    );
    expect(reset.message).toBe(
      'Mimecast get-audit-events: connection to eu-api.mimecast.com:443 failed (ECONNRESET: connection reset by the server)',
    );
    expect(dns.message).toBe(
      'Mimecast get-audit-events: cannot connect to nowhere.invalid:443 (ENOTFOUND: host name not found)',
    );
    expect(other.message).toBe(
      'Mimecast get-audit-events: network error talking to eu-api.mimecast.com:443 (EWEIRD)',
    );
    expect(dialled.message).toBe(
      'Mimecast get-audit-events: cannot connect to eu-api.mimecast.com:443 at 192.0.2.7 (ETIMEDOUT: connection timed out)',
    );
  });

  it('never shows credentials, the path or the query string of the URL', async () => {
    const url = 'https://user:hunter2@eu-api.mimecast.com:8443/api/x?token=abc123#frag';
    const withCode = await failure(url, failWith(systemError('ECONNREFUSED')));
    const withoutCode = await failure(url, failWith(new TypeError(`fetch to ${url} failed`)));
    for (const err of [withCode, withoutCode]) {
      expect(err.message).toContain('eu-api.mimecast.com:8443');
      for (const secret of ['hunter2', 'user', 'token', 'abc123', '/api/x', 'frag']) {
        expect(err.message).not.toContain(secret);
      }
    }
    expect(withoutCode.message).toBe(
      'Mimecast get-audit-events: network error talking to eu-api.mimecast.com:8443 (TypeError, no error code)',
    );
  });

  it('keeps the timeout reason for an aborted attempt', () => {
    const controller = new AbortController();
    const aborted = attemptSignal(5_000, controller.signal);
    controller.abort();
    const err = transportError('get-audit-events', aborted, systemError('ECONNRESET'), 'https://h/x');
    aborted.dispose();
    expect(err.reason).toBe('timeout');
    expect(err.message).toBe('Mimecast get-audit-events: aborted by the caller');
  });
});
