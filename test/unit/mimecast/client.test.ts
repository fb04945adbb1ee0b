import { describe, expect, it } from 'vitest';
import { createMimecastClient } from '#core/mimecast/client.js';
import { AuthenticationError, ConfigurationError, FatalError, ProtocolError } from '#core/mimecast/errors.js';
import type { AuditEventPage, MimecastClient, MimecastSecret } from '#core/mimecast/types.js';
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

  it('fails the iterator with ProtocolError (a FatalError) when a page token repeats', async () => {
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
    const err = await run().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FatalError);
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err).toMatchObject({ kind: 'fatal', reason: 'repeated_token', name: 'ProtocolError' });
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
    expect(() => createMimecastClient(OAUTH, { maxEmptyPages: -1 })).toThrow(ConfigurationError);
    expect(() => createMimecastClient(OAUTH, { maxEmptyPages: 2.5 })).toThrow(ConfigurationError);
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

/** A page the scripted server answers: its event ids and its `next`. */
interface ScriptedPage {
  ids: string[];
  next?: string;
}

/**
 * A get-audit-events server from a script keyed by the page token sent ('' for the first
 * request). Tokens not in the script make the test fail loudly.
 */
function scriptedServer(script: Record<string, ScriptedPage | 'hang'>) {
  const requested: (string | undefined)[] = [];
  const signals: AbortSignal[] = [];
  const fetch = async (input: string, init: RequestInit): Promise<Response> => {
    if (input.endsWith('/oauth/token')) return tokenAnswer(1);
    const token = (JSON.parse(String(init.body)) as { meta: { pagination: { pageToken?: string } } }).meta
      .pagination.pageToken;
    requested.push(token);
    if (init.signal) signals.push(init.signal);
    const entry = script[token ?? ''];
    if (entry === undefined) throw new Error(`unscripted page token ${token}`);
    if (entry === 'hang') {
      // Answers only by failing once its request is aborted.
      return new Promise<Response>((_resolve, reject) =>
        init.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true }),
      );
    }
    const pagination = entry.next === undefined ? {} : { next: entry.next };
    return json({ meta: { pagination }, data: entry.ids.map((id) => ({ id })), fail: [] });
  };
  return { fetch, requested, signals };
}

const SEARCH = { start: new Date(T0 - 3_600_000), end: new Date(T0) };

/** Drains the iterator; returns the ids and page count so far and the error it ended with, if any. */
async function drainPages(client: MimecastClient) {
  const ids: unknown[] = [];
  let pages = 0;
  try {
    for await (const page of client.auditEventPages(SEARCH, { deadline: T0 + 60_000 })) {
      pages += 1;
      ids.push(...page.events.map((e) => e.id));
    }
  } catch (err: unknown) {
    if (!(err instanceof ProtocolError)) throw err;
    return { ids, pages, error: err };
  }
  return { ids, pages, error: undefined };
}

describe('auditEventPages (paging rules)', () => {
  const clientFor = (fetch: ReturnType<typeof scriptedServer>['fetch'], maxEmptyPages?: number) =>
    createMimecastClient(OAUTH, { fetch, clock: createTestClock(T0), maxEmptyPages });

  it('follows next past empty pages in the middle of a search, losing nothing', async () => {
    const server = scriptedServer({
      '': { ids: ['e1', 'e2'], next: 'A' },
      A: { ids: [], next: 'B' },
      B: { ids: [], next: 'C' },
      C: { ids: ['e3'], next: 'D' },
      D: { ids: ['e4'] },
    });
    const result = await drainPages(clientFor(server.fetch));
    expect(result).toEqual({ ids: ['e1', 'e2', 'e3', 'e4'], pages: 5, error: undefined });
    expect(server.requested).toEqual([undefined, 'A', 'B', 'C', 'D']);
  });

  it('follows next after an empty first page', async () => {
    const server = scriptedServer({ '': { ids: [], next: 'A' }, A: { ids: ['e1'] } });
    const result = await drainPages(clientFor(server.fetch));
    expect(result.ids).toEqual(['e1']);
    expect(result.error).toBeUndefined();
  });

  it('ends normally when an empty page hands back the token just sent', async () => {
    const server = scriptedServer({ '': { ids: ['e1'], next: 'A' }, A: { ids: [], next: 'A' } });
    const result = await drainPages(clientFor(server.fetch));
    expect(result).toEqual({ ids: ['e1'], pages: 2, error: undefined });
    expect(server.requested).toEqual([undefined, 'A']); // one extra request, not a loop
  });

  it('ends normally when next is absent, even on a page with events', async () => {
    const server = scriptedServer({ '': { ids: ['e1'] } });
    expect(await drainPages(clientFor(server.fetch))).toEqual({ ids: ['e1'], pages: 1, error: undefined });
  });

  it('fails with repeated_token when a page with events returns the token just sent', async () => {
    const server = scriptedServer({ '': { ids: ['e1'], next: 'A' }, A: { ids: ['e2'], next: 'A' } });
    const result = await drainPages(clientFor(server.fetch));
    expect(result.error?.reason).toBe('repeated_token');
    expect(result.ids).toEqual(['e1']); // the page that repeats is not handed out
    expect(server.requested).toEqual([undefined, 'A']);
  });

  it('fails with repeated_token when an empty page points back at an older token', async () => {
    const server = scriptedServer({
      '': { ids: ['e1'], next: 'A' },
      A: { ids: ['e2'], next: 'B' },
      B: { ids: [], next: 'A' },
    });
    const result = await drainPages(clientFor(server.fetch));
    expect(result.error?.reason).toBe('repeated_token');
    expect(server.requested).toEqual([undefined, 'A', 'B']);
  });

  it('allows maxEmptyPages empty pages with new tokens in a row, and fails with empty_pages on one more', async () => {
    const chain = (empties: number): Record<string, ScriptedPage> => {
      const script: Record<string, ScriptedPage> = { '': { ids: ['e1'], next: 't1' } };
      for (let i = 1; i <= empties; i += 1) script[`t${i}`] = { ids: [], next: `t${i + 1}` };
      script[`t${empties + 1}`] = { ids: ['e2'] };
      return script;
    };
    const atBound = scriptedServer(chain(3));
    const overBound = scriptedServer(chain(4));
    const ok = await drainPages(clientFor(atBound.fetch, 3));
    const failed = await drainPages(clientFor(overBound.fetch, 3));
    expect(ok).toEqual({ ids: ['e1', 'e2'], pages: 5, error: undefined });
    expect(failed.error?.reason).toBe('empty_pages');
    expect(failed.error).toBeInstanceOf(FatalError);
    expect(overBound.requested).toEqual([undefined, 't1', 't2', 't3', 't4']); // t5 never asked for
  });

  it('counts only consecutive empty pages towards maxEmptyPages', async () => {
    const server = scriptedServer({
      '': { ids: [], next: 'A' },
      A: { ids: [], next: 'B' },
      B: { ids: ['e1'], next: 'C' },
      C: { ids: [], next: 'D' },
      D: { ids: [], next: 'E' },
      E: { ids: ['e2'] },
    });
    const result = await drainPages(clientFor(server.fetch, 2));
    expect(result).toEqual({ ids: ['e1', 'e2'], pages: 6, error: undefined });
  });

  it('defaults maxEmptyPages to 10', async () => {
    const script: Record<string, ScriptedPage> = { '': { ids: [], next: 't1' } };
    for (let i = 1; i <= 20; i += 1) script[`t${i}`] = { ids: [], next: `t${i + 1}` };
    const server = scriptedServer(script);
    const result = await drainPages(clientFor(server.fetch));
    expect(result.error?.reason).toBe('empty_pages');
    expect(server.requested).toHaveLength(11);
  });

  it('reads ahead after an empty page too, and aborts that read-ahead when the caller stops', async () => {
    const server = scriptedServer({ '': { ids: ['e1'], next: 'A' }, A: { ids: [], next: 'B' }, B: 'hang' });
    const pages = clientFor(server.fetch)
      .auditEventPages(SEARCH, { deadline: T0 + 60_000 })
      [Symbol.asyncIterator]();
    const first: IteratorResult<AuditEventPage> = await pages.next();
    const empty: IteratorResult<AuditEventPage> = await pages.next();
    // The caller has not asked for the page after the empty one, yet it is being fetched.
    await expect.poll(() => server.requested).toEqual([undefined, 'A', 'B']);
    await pages.return?.(undefined);
    expect(first.value?.events).toEqual([{ id: 'e1' }]);
    expect(empty.value?.events).toEqual([]);
    expect(server.signals.at(-1)?.aborted).toBe(true);
  });
});

describe('serverClockOffsetMs', () => {
  const dated = (body: unknown, dateMs: number | string | undefined, status = 200) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (dateMs !== undefined)
      headers.date = typeof dateMs === 'string' ? dateMs : new Date(dateMs).toUTCString();
    return new Response(JSON.stringify(body), { status, headers });
  };

  it('is undefined before any answer, then Date − local receive time from every endpoint', async () => {
    // Prepare: Mimecast 90 s ahead; the token answer and the API answer both carry a Date
    const clock = createTestClock(T0);
    const { fetch, seen } = fakeFetch((req) =>
      req.url.endsWith('/oauth/token')
        ? dated({ access_token: 'token-1', expires_in: 1799 }, clock.now() + 90_000)
        : dated({ data: [] }, clock.now() + 90_000),
    );
    const client = createMimecastClient(OAUTH, { fetch, clock });
    // Act
    const before = client.serverClockOffsetMs();
    await client.getCategories({ deadline: T0 + 60_000 });
    // Assess
    expect(before).toBeUndefined();
    expect(seen).toHaveLength(2);
    expect(client.serverClockOffsetMs()).toBe(90_000);
  });

  it('measures against the time the answer arrived, not when the request left', async () => {
    // Prepare: Mimecast stamps 10 s ahead, then the answer takes 2 s to arrive
    const clock = createTestClock(T0);
    const fetch = async (input: string) => {
      const stamped = clock.now() + 10_000;
      clock.advance(2_000);
      return input.endsWith('/oauth/token') ? tokenAnswer(1) : dated({ data: [] }, stamped);
    };
    const client = createMimecastClient(OAUTH, { fetch, clock });
    // Act
    await client.getCategories({ deadline: T0 + 60_000 });
    // Assess
    expect(client.serverClockOffsetMs()).toBe(8_000);
  });

  it('learns from failed answers too, and ignores answers without a usable Date', async () => {
    // Prepare: a 401 from the token endpoint dated −40 min; then junk and missing dates
    const clock = createTestClock(T0);
    const answers = [
      () => dated({ error: 'invalid_client' }, clock.now() - 2_400_000, 401),
      () => dated({ access_token: 't', expires_in: 1799 }, 'yesterday'),
      () => dated({ data: [] }, '2026'),
      () => dated({ data: [] }, undefined),
    ];
    const fetch = async () => (answers.shift() ?? (() => dated({ data: [] }, undefined)))();
    const client = createMimecastClient(OAUTH, { fetch, clock, retry: { maxAttempts: 1 } });
    // Act
    const failed = await client.getCategories({ deadline: T0 + 60_000 }).catch((err: unknown) => err);
    const afterFailure = client.serverClockOffsetMs();
    await client.getCategories({ deadline: T0 + 60_000 });
    await client.getCategories({ deadline: T0 + 60_000 });
    // Assess
    expect(failed).toBeInstanceOf(AuthenticationError);
    expect(afterFailure).toBe(-2_400_000);
    expect(client.serverClockOffsetMs()).toBe(-2_400_000);
  });

  it('keeps a median of recent answers: a few outliers do not move it, a lasting change does', async () => {
    // Prepare: each answer's offset comes from this list
    const clock = createTestClock(T0);
    const offsets = [...Array(13).fill(30_000), 3_600_000, -3_600_000];
    let current = 30_000;
    const fetch = async (input: string) => {
      if (input.endsWith('/oauth/token'))
        return dated({ access_token: 't', expires_in: 1799 }, clock.now() + 30_000);
      current = offsets.shift() ?? current;
      return dated({ data: [] }, clock.now() + current);
    };
    const client = createMimecastClient(OAUTH, { fetch, clock });
    const call = () => client.getCategories({ deadline: clock.now() + 60_000 });
    // Act
    for (let i = 0; i < 15; i += 1) await call();
    const withOutliers = client.serverClockOffsetMs();
    current = 120_000;
    for (let i = 0; i < 15; i += 1) await call();
    // Assess
    expect(withOutliers).toBe(30_000);
    expect(client.serverClockOffsetMs()).toBe(120_000);
  });
});
