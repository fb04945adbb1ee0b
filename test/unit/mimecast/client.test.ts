import { describe, expect, it } from 'vitest';
import { createMimecastClient } from '#core/mimecast/client.js';
import { ConfigurationError, FatalError } from '#core/mimecast/errors.js';
import type { MimecastSecret } from '#core/mimecast/types.js';
import { createTestClock } from '#test/support/clock.js';

// In-process fetch stand-in: these tests check the client's own bookkeeping (request shape,
// token caching, page-token loop detection). Behaviour over real HTTP is in test/integration.

const T0 = Date.UTC(2026, 0, 10, 12, 0, 0);
const OAUTH: MimecastSecret = {
  mode: 'oauth2',
  baseUrl: 'https://api.example.test/',
  clientId: 'client-id',
  clientSecret: 'client-secret',
};

interface Seen {
  url: string;
  headers: Record<string, string>;
  body: string;
}

function fakeFetch(answer: (req: Seen) => Promise<Response> | Response) {
  const seen: Seen[] = [];
  const fetch = async (input: string, init: RequestInit) => {
    const req = {
      url: input,
      headers: Object.fromEntries(new Headers(init.headers).entries()),
      body: String(init.body),
    };
    seen.push(req);
    return answer(req);
  };
  return { fetch, seen };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const tokenAnswer = (n: number, expiresIn = 1799) =>
  json({ access_token: `token-${n}`, token_type: 'Bearer', expires_in: expiresIn });

describe('createMimecastClient (request bookkeeping)', () => {
  it('sends the documented get-audit-events body with +0000 dates', async () => {
    // Prepare
    let tokens = 0;
    const { fetch, seen } = fakeFetch((req) =>
      req.url.endsWith('/oauth/token')
        ? tokenAnswer(++tokens)
        : json({ meta: {}, data: [{ id: 'e1' }], fail: [] }),
    );
    const client = createMimecastClient(OAUTH, { fetch, clock: createTestClock(T0), pageSize: 100 });
    // Act
    const page = await client.getAuditEventsPage(
      {
        start: new Date(Date.UTC(2026, 0, 9, 0, 0, 0)),
        end: new Date(Date.UTC(2026, 0, 9, 6, 30, 15)),
        categories: ['account_logs'],
        query: 'logon',
      },
      'page-token-7',
      { deadline: T0 + 60_000 },
    );
    // Assess
    expect(page.events).toEqual([{ id: 'e1' }]);
    expect(page.next).toBeUndefined();
    const api = seen[1];
    expect(api?.url).toBe('https://api.example.test/api/audit/get-audit-events');
    expect(api?.headers.authorization).toBe('Bearer token-1');
    expect(JSON.parse(api?.body ?? '')).toEqual({
      meta: { pagination: { pageSize: 100, pageToken: 'page-token-7' } },
      data: [
        {
          startDateTime: '2026-01-09T00:00:00+0000',
          endDateTime: '2026-01-09T06:30:15+0000',
          query: 'logon',
          categories: ['account_logs'],
        },
      ],
    });
    expect(seen[0]?.body).toBe(
      'client_id=client-id&client_secret=client-secret&grant_type=client_credentials',
    );
  });

  it('shares one token request between concurrent callers and caches the token', async () => {
    // Prepare: the token answer is held until both callers are waiting for it.
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let tokens = 0;
    const { fetch, seen } = fakeFetch(async (req) => {
      if (req.url.endsWith('/oauth/token')) {
        await gate;
        return tokenAnswer(++tokens);
      }
      return json({ data: [] });
    });
    const client = createMimecastClient(OAUTH, { fetch, clock: createTestClock(T0) });
    const options = { deadline: T0 + 60_000 };
    // Act
    const both = Promise.all([client.getCategories(options), client.getCategories(options)]);
    release();
    await both;
    await client.getCategories(options);
    // Assess
    expect(seen.filter((r) => r.url.endsWith('/oauth/token'))).toHaveLength(1);
    expect(seen.filter((r) => r.headers.authorization === 'Bearer token-1')).toHaveLength(3);
  });

  it('renews the token about 60 s before it expires, by the injected clock', async () => {
    let tokens = 0;
    const { fetch, seen } = fakeFetch((req) =>
      req.url.endsWith('/oauth/token') ? tokenAnswer(++tokens) : json({ data: [] }),
    );
    const clock = createTestClock(T0);
    const client = createMimecastClient(OAUTH, { fetch, clock });
    const call = () => client.getCategories({ deadline: clock.now() + 60_000 });
    // Act
    await call();
    clock.advance(1_799_000 - 60_000 - 1); // just before the renewal point
    await call();
    clock.advance(1);
    await call();
    // Assess
    expect(seen.filter((r) => !r.url.endsWith('/oauth/token')).map((r) => r.headers.authorization)).toEqual([
      'Bearer token-1',
      'Bearer token-1',
      'Bearer token-2',
    ]);
  });

  it('fails the iterator with FatalError when a page token repeats', async () => {
    // Prepare: page 1 → next A, page A → next B, page B → next A again.
    const nextOf: Record<string, string> = { '': 'A', A: 'B', B: 'A' };
    const { fetch } = fakeFetch((req) => {
      if (req.url.endsWith('/oauth/token')) return tokenAnswer(1);
      const token = (JSON.parse(req.body) as { meta: { pagination: { pageToken?: string } } }).meta.pagination
        .pageToken;
      return json({
        meta: { pagination: { next: nextOf[token ?? ''] } },
        data: [{ id: `from-${token ?? 'start'}` }],
      });
    });
    const client = createMimecastClient(OAUTH, { fetch, clock: createTestClock(T0) });
    const ids: unknown[] = [];
    // Act
    const run = async () => {
      for await (const page of client.auditEventPages(
        { start: new Date(T0 - 3_600_000), end: new Date(T0) },
        { deadline: T0 + 60_000 },
      )) {
        ids.push(...page.events.map((e) => e.id));
      }
    };
    // Assess
    await expect(run()).rejects.toBeInstanceOf(FatalError);
    expect(ids).toEqual(['from-start', 'from-A']);
  });

  it('reads one page ahead while the caller works, and aborts the read-ahead when the caller stops', async () => {
    // Prepare: an endless chain of pages; requests are recorded with their abort signals.
    const signals: AbortSignal[] = [];
    let served = 0;
    const fetch = async (input: string, init: RequestInit) => {
      if (input.endsWith('/oauth/token')) return tokenAnswer(1);
      if (init.signal) signals.push(init.signal);
      served += 1;
      if (served === 1) return json({ meta: { pagination: { next: 'p1' } }, data: [{ id: 'e1' }] });
      // Later pages are slow: they answer only by failing when their request is aborted.
      return new Promise<Response>((_resolve, reject) =>
        init.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true }),
      );
    };
    const client = createMimecastClient(OAUTH, { fetch, clock: createTestClock(T0) });
    const pages = client
      .auditEventPages({ start: new Date(T0 - 3_600_000), end: new Date(T0) }, { deadline: T0 + 60_000 })
      [Symbol.asyncIterator]();

    // Act: take the first page, then let the event loop run while "processing" it.
    const first = await pages.next();
    await new Promise((resolve) => setImmediate(resolve));
    const requestedWhileProcessing = served;
    await pages.return?.(undefined);

    // Assess
    expect(first.value?.events).toEqual([{ id: 'e1' }]);
    expect(requestedWhileProcessing).toBe(2);
    expect(signals.at(-1)?.aborted).toBe(true);
    expect(served).toBe(2);
  });

  it('rejects unusable options and secrets as configuration errors', () => {
    expect(() => createMimecastClient(OAUTH, { pageSize: 0 })).toThrow(ConfigurationError);
    expect(() => createMimecastClient(OAUTH, { retry: { maxAttempts: 1.5 } })).toThrow(ConfigurationError);
    expect(() => createMimecastClient({ ...OAUTH, baseUrl: 'http://api.example.test' })).toThrow(
      ConfigurationError,
    );
    expect(() =>
      createMimecastClient({
        mode: 'hmac',
        baseUrl: 'https://eu-api.mimecast.com',
        appId: 'a',
        appKey: 'b',
        accessKey: 'c',
        secretKey: '%%%',
      }),
    ).toThrow(ConfigurationError);
  });
});
