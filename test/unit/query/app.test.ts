import { describe, expect, it } from 'vitest';
import { parseEnvironment, queryEnvSchema } from '#core/config/env.js';
import { AuthenticationError, FatalError, RateLimitedError, RetryableError } from '#core/mimecast/errors.js';
import type {
  AuditEventPage,
  AuditEventQuery,
  MimecastClient,
  RawAuditEvent,
  RequestOptions,
} from '#core/mimecast/types.js';
import type { CursorState } from '#core/ports.js';
import { createTestClock } from '#test/support/clock.js';
import { createQueryApp } from '../../../functions/query/lib/app.js';
import { archiveQueryBodySchema } from '../../../functions/query/lib/archive-params.js';
import { buildOpenApiDocument } from '../../../functions/query/lib/openapi.js';
import { buildRouteSchemas } from '../../../functions/query/lib/params.js';
import { apiEvent, lambdaContext } from './helpers/events.js';
import { type OpenApiDocument, publishedSchema } from './helpers/published-schemas.js';
import { recordingTelemetry } from './helpers/telemetry.js';

const NOW = Date.UTC(2026, 0, 31, 12);
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const SECRET_TEXT = JSON.stringify({
  clientId: 'client-id',
  clientSecret: 'very-secret-value',
  baseUrl: 'https://mimecast.test',
});

type PageFn = (
  query: AuditEventQuery,
  token: string | undefined,
  options: RequestOptions,
) => Promise<AuditEventPage>;

function harness(
  options: { page?: PageFn; env?: Record<string, string>; states?: Record<string, CursorState> } = {},
) {
  const clock = createTestClock(NOW);
  const telemetry = recordingTelemetry();
  const calls: Array<{ query: AuditEventQuery; token: string | undefined }> = [];
  let categoryCalls = 0;
  const client: MimecastClient = {
    getAuditEventsPage: (query, token, requestOptions) => {
      calls.push({ query, token });
      return (options.page ?? (async () => ({ events: [], responseBytes: 2 })))(query, token, requestOptions);
    },
    auditEventPages: () => {
      throw new Error('the query API pages itself');
    },
    getCategories: async () => {
      categoryCalls++;
      return [{ code: 'authentication_logs', name: 'Authentication' }];
    },
    serverClockOffsetMs: () => undefined,
  };
  const config = parseEnvironment(queryEnvSchema, {
    MIMECAST_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:mimecast-default',
    BUCKET_NAME: 'archive-bucket',
    CURSOR_TABLE_NAME: 'cursor-table',
    ...options.env,
  });
  const app = createQueryApp({
    config,
    clock,
    telemetry,
    cursorStore: { get: async (id) => options.states?.[id] ?? null },
    readSecret: async () => SECRET_TEXT,
    createClient: () => client,
  });
  const call = async (method: string, path: string, query = '', requestId = 'lambda-request-1') => {
    const response = await app(apiEvent(method, path, query), lambdaContext(requestId));
    return {
      ...response,
      json: response.body ? (JSON.parse(response.body) as Record<string, unknown>) : undefined,
    };
  };
  return { app, call, clock, telemetry, calls, categoryCalls: () => categoryCalls };
}

const event = (id: string, eventTimeMs: number, extra: RawAuditEvent = {}): RawAuditEvent => ({
  id,
  eventTime: iso(eventTimeMs).replace('Z', '+0000'),
  auditType: 'User Logged On',
  category: 'authentication_logs',
  user: 'jane@example.com',
  eventInfo: 'IP: 203.0.113.7, Application: Administration Console',
  ...extra,
});

const range = (startMs: number, endMs: number) => `start=${iso(startMs)}&end=${iso(endMs)}`;
const doc = buildOpenApiDocument(
  buildRouteSchemas(['default']),
  archiveQueryBodySchema(['default']),
) as unknown as OpenApiDocument;

describe('routing and HTTP behaviour', () => {
  it('answers unknown paths with a 404 problem document carrying the request id', async () => {
    // Prepare
    const { call } = harness();
    // Act
    const response = await call('GET', '/v1/nope', '', 'req-404');
    // Assess
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(response.headers['x-request-id']).toBe('req-404');
    expect(response.json).toMatchObject({
      status: 404,
      title: 'Not found',
      instance: '/v1/nope',
      requestId: 'req-404',
    });
    expect(publishedSchema(doc, 'Problem').safeParse(response.json).success).toBe(true);
  });

  it('answers other methods with 405 and an Allow header, OPTIONS with 204', async () => {
    const { call } = harness();
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const response = await call(method, '/v1/status');
      expect(response.statusCode).toBe(405);
      expect(response.headers.allow).toBe('GET, HEAD, OPTIONS');
    }
    const options = await call('OPTIONS', '/v1/events');
    expect(options.statusCode).toBe(204);
    expect(options.headers.allow).toBe('GET, HEAD, OPTIONS');
  });

  it('answers HEAD like GET without a body', async () => {
    const { call } = harness();
    const response = await call('HEAD', '/v1/openapi.json');
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('');
    expect(response.headers['content-type']).toContain('application/json');
  });

  it('sends the security headers on successes and problems alike', async () => {
    const { call } = harness();
    for (const response of [await call('GET', '/v1/status'), await call('GET', '/v1/status', 'x=1')]) {
      expect(response.headers).toMatchObject({
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'x-request-id': 'lambda-request-1',
      });
    }
  });

  it('refuses an overlong query string with 414', async () => {
    const { call } = harness();
    const response = await call('GET', '/v1/events', `query=${'a'.repeat(9000)}`);
    expect(response.statusCode).toBe(414);
  });

  it('falls back to the API Gateway request id, and strips a named stage from the path', async () => {
    const { app } = harness();
    const response = await app(
      apiEvent('GET', '/prod/v1/status', '', { stage: 'prod', requestId: 'apigw-7' }),
    );
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-request-id']).toBe('apigw-7');
  });

  it('logs and measures every request under its route and status, with the same request id', async () => {
    const { call, telemetry } = harness();
    await call('GET', '/v1/status', '', 'req-a');
    await call('GET', '/v1/elsewhere', '', 'req-b');
    expect(telemetry.requests).toEqual([
      { route: '/v1/status', status: 200 },
      { route: 'unmatched', status: 404 },
    ]);
    const logged = telemetry.lines.filter((l) => l.message === 'request').map((l) => l.attributes.requestId);
    expect(logged).toEqual(['req-a', 'req-b']);
  });
});

describe('GET /v1/events', () => {
  it('returns normalised records inside [start, end), counts malformed ones and drops duplicates', async () => {
    // Prepare: Mimecast's inclusive end and sloppy data
    const start = NOW - 2 * HOUR;
    const end = NOW - HOUR;
    const { call, calls } = harness({
      page: async () => ({
        events: [
          event('at-end', end),
          event('inside', end - 1000),
          event('inside', end - 1000),
          event('at-start', start),
          event('before', start - 1000),
          { eventTime: iso(start + 1000) },
          event('bad-time', start, { eventTime: 'yesterday' }),
        ],
        responseBytes: 100,
      }),
    });
    // Act
    const response = await call('GET', '/v1/events', range(start, end));
    // Assess
    expect(response.statusCode).toBe(200);
    expect(publishedSchema(doc, 'EventsPage').safeParse(response.json).success).toBe(true);
    const body = response.json as {
      events: Array<Record<string, unknown>>;
      malformedEvents: number;
      nextPageToken: unknown;
    };
    expect(body.events.map((e) => e.id)).toEqual(['inside', 'at-start']);
    expect(body.events[0]).toMatchObject({
      event_time: iso(end - 1000),
      actor: 'jane@example.com',
      audit_type: 'User Logged On',
      source: 'default',
      collected_at: iso(NOW),
    });
    expect(body.malformedEvents).toBe(2);
    expect(body.nextPageToken).toBeNull();
    expect(calls[0]?.query).toMatchObject({ start: new Date(start), end: new Date(end), pageSize: 500 });
  });

  it('pages with its own token, which only works for the same search', async () => {
    // Prepare
    const start = NOW - 2 * HOUR;
    const end = NOW - HOUR;
    const { call, calls } = harness({
      page: async (_query, token) =>
        token === undefined
          ? { events: [event('newest', end - 1000)], next: 'upstream-2', responseBytes: 10 }
          : { events: [event('oldest', start)], responseBytes: 10 },
    });
    // Act
    const first = await call('GET', '/v1/events', `${range(start, end)}&pageSize=1`);
    const token = String(first.json?.nextPageToken);
    const second = await call('GET', '/v1/events', `${range(start, end)}&pageSize=1&pageToken=${token}`);
    const replayed = await call('GET', '/v1/events', `${range(start, end)}&pageSize=2&pageToken=${token}`);
    // Assess
    expect(token).not.toContain('upstream-2');
    expect(calls.map((c) => c.token)).toEqual([undefined, 'upstream-2']);
    expect((second.json?.events ?? []) as unknown[]).toHaveLength(1);
    expect(second.json?.nextPageToken).toBeNull();
    expect(replayed.statusCode).toBe(400);
    expect(replayed.json?.errors).toEqual([
      {
        field: 'pageToken',
        message:
          'belongs to a different search: send the same start, end, query, category, pageSize and source as the request that returned it',
      },
    ]);
  });

  it('ends paging on an empty page or a repeated upstream token', async () => {
    const { call } = harness({ page: async () => ({ events: [], next: 'still-set', responseBytes: 2 }) });
    const response = await call('GET', '/v1/events', range(NOW - HOUR, NOW));
    expect(response.json?.nextPageToken).toBeNull();
  });

  it('clamps a future end to now in whole seconds, like every other instant it reports', async () => {
    const { call, clock } = harness({
      page: async () => ({ events: [], next: undefined, responseBytes: 2 }),
    });
    clock.set(NOW + 456);
    const answer = await call('GET', '/v1/events', range(NOW - HOUR, NOW + HOUR));
    expect(answer.json?.range).toEqual({ start: iso(NOW - HOUR), end: iso(NOW) });
  });

  it('clamps a future end to now and keeps that end for the following pages', async () => {
    const { call, calls, clock } = harness({
      page: async () => ({ events: [event('e', NOW - 1000)], next: 'more', responseBytes: 2 }),
    });
    const first = await call('GET', '/v1/events', range(NOW - HOUR, NOW + 24 * HOUR));
    clock.advance(60_000);
    await call(
      'GET',
      '/v1/events',
      `${range(NOW - HOUR, NOW + 24 * HOUR)}&pageToken=${String(first.json?.nextPageToken)}`,
    );
    expect(first.json?.range).toEqual({ start: iso(NOW - HOUR), end: iso(NOW) });
    expect(calls.map((c) => c.query.end.getTime())).toEqual([NOW, NOW]);
  });

  it('refuses ranges Mimecast cannot answer, pointing old ones to the Athena archive', async () => {
    const { call, calls } = harness();
    const old = await call('GET', '/v1/events', range(NOW - 61 * 24 * HOUR, NOW - HOUR));
    const backwards = await call('GET', '/v1/events', range(NOW - HOUR, NOW - 2 * HOUR));
    const future = await call('GET', '/v1/events', range(NOW + HOUR, NOW + 2 * HOUR));
    expect(old.statusCode).toBe(400);
    expect(JSON.stringify(old.json?.errors)).toContain('Athena');
    expect(backwards.json?.errors).toEqual([{ field: 'end', message: 'must be later than start' }]);
    expect(((future.json?.errors ?? []) as Array<{ field: string }>)[0]?.field).toBe('start');
    expect(calls).toEqual([]);
  });

  it('accepts a start just inside the 60 days', async () => {
    const { call } = harness();
    const response = await call('GET', '/v1/events', range(NOW - 60 * 24 * HOUR + 2 * 60_000, NOW));
    expect(response.statusCode).toBe(200);
  });

  it('refuses an unknown source, and searches a named one', async () => {
    const sources = JSON.stringify([
      { id: 'default', secretId: 's1' },
      { id: 'emea', secretId: 's2' },
    ]);
    const { call } = harness({ env: { SOURCES: sources } });
    const unknown = await call('GET', '/v1/events', `${range(NOW - HOUR, NOW)}&source=apac`);
    const named = await call('GET', '/v1/events', `${range(NOW - HOUR, NOW)}&source=emea`);
    expect(unknown.statusCode).toBe(400);
    expect(named.json?.source).toBe('emea');
  });
});

describe('upstream failures', () => {
  const cases: Array<[string, Error, number, Record<string, string>?]> = [
    ['throttling', new RateLimitedError('429', 1_500, { status: 429 }), 429, { 'retry-after': '2' }],
    ['rejected credentials', new AuthenticationError('401', { status: 401 }), 502],
    ['a timeout', new RetryableError('slow', 'timeout'), 504],
    ['a server error', new RetryableError('5xx', 'http_5xx', { status: 503 }), 502],
    ['a refusal', new FatalError('fail', { code: 'err_validation_blank' }), 502],
  ];
  for (const [name, error, status, headers] of cases) {
    it(`maps ${name} to ${status} without leaking the secret`, async () => {
      const { call } = harness({
        page: async () => {
          throw error;
        },
      });
      const response = await call('GET', '/v1/events', range(NOW - HOUR, NOW));
      expect(response.statusCode).toBe(status);
      expect(response.headers).toMatchObject(headers ?? {});
      expect(response.body).not.toContain('very-secret-value');
      expect(response.body).not.toContain('    at ');
      expect(publishedSchema(doc, 'Problem').safeParse(response.json).success).toBe(true);
    });
  }

  it('says "second" for a one-second throttling wait, and "seconds" otherwise', async () => {
    const wait = async (ms: number) => {
      const { call } = harness({
        page: async () => {
          throw new RateLimitedError('429', ms, { status: 429 });
        },
      });
      return String((await call('GET', '/v1/events', range(NOW - HOUR, NOW))).json?.detail);
    };
    expect(await wait(400)).toMatch(/Retry after 1 second\.$/);
    expect(await wait(2_500)).toMatch(/Retry after 3 seconds\.$/);
  });

  it('names the secret to fix when the credentials are rejected', async () => {
    const { call } = harness({
      page: async () => {
        throw new AuthenticationError('401', { status: 401 });
      },
    });
    const response = await call('GET', '/v1/events', range(NOW - HOUR, NOW));
    expect(String(response.json?.detail)).toContain('secret:mimecast-default');
  });

  it('answers 504 when its own deadline passes while Mimecast is silent', async () => {
    // Prepare: a client that only gives up when aborted
    const { call } = harness({
      env: { QUERY_DEADLINE_MS: '20' },
      page: (_q, _t, options) =>
        new Promise((_resolve, reject) =>
          options.signal?.addEventListener('abort', () => reject(new RetryableError('aborted', 'timeout'))),
        ),
    });
    // Act
    const response = await call('GET', '/v1/events', range(NOW - HOUR, NOW));
    // Assess
    expect(response.statusCode).toBe(504);
  });

  it('answers 500 without details for a bug, and logs it under the request id', async () => {
    const { call, telemetry } = harness({
      page: async () => {
        throw new TypeError('secret internals');
      },
    });
    const response = await call('GET', '/v1/events', range(NOW - HOUR, NOW), 'req-bug');
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('secret internals');
    expect(telemetry.lines.some((l) => l.level === 'error' && l.attributes.requestId === 'req-bug')).toBe(
      true,
    );
  });
});

describe('GET /v1/categories', () => {
  it('caches the list per source for CATEGORY_CACHE_SECONDS', async () => {
    const { call, clock, categoryCalls } = harness({ env: { CATEGORY_CACHE_SECONDS: '60' } });
    const first = await call('GET', '/v1/categories');
    await call('GET', '/v1/categories');
    clock.advance(60_000);
    await call('GET', '/v1/categories');
    expect(first.json).toEqual({
      source: 'default',
      categories: [{ code: 'authentication_logs', name: 'Authentication' }],
    });
    expect(categoryCalls()).toBe(2);
  });
});

describe('GET /v1/status', () => {
  it('reports a source that never ran as such', async () => {
    const { call } = harness();
    const response = await call('GET', '/v1/status');
    expect(publishedSchema(doc, 'Status').safeParse(response.json).success).toBe(true);
    expect(response.json?.sources).toEqual([
      expect.objectContaining({ source: 'default', state: 'never_run', watermark: null }),
    ]);
  });
});
