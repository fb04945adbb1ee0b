/**
 * The life of an archive query and its guarantees: asynchronous (queued → running → succeeded),
 * cancellable, results only after success, owned by the caller who started it (another caller,
 * another source's route or an engine-side id finds nothing), and Athena's own failures —
 * throttling, a failed query, the workgroup's scan limit — reported honestly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildQueryApp } from '../../../functions/query/dependencies.js';
import { publishedSchema } from '../../unit/query/helpers/published-schemas.js';
import { recordingTelemetry } from '../../unit/query/helpers/telemetry.js';
import { publishedDocument } from '../query/harness.js';
import {
  type ArchiveFixture,
  call,
  DAY,
  EMPTY_SOURCE,
  type EngineUnderTest,
  HOUR,
  iso,
  runQuery,
  signedEvent,
  startArchiveFixture,
  T0,
} from './harness.js';

let fixture: ArchiveFixture;

beforeAll(async () => {
  fixture = await startArchiveFixture();
}, 120_000);

afterAll(async () => {
  await fixture?.close();
});

const range = { start: iso(T0 - 3 * DAY), end: iso(T0 - DAY) };
const engineNamed = (name: 'local' | 'athena'): EngineUnderTest => {
  const found = fixture.engines.find((e) => e.name === name);
  if (!found) throw new Error(name);
  return found;
};

describe.each(['local', 'athena'] as const)('query lifecycle on the %s engine', (name) => {
  const engine = () => engineNamed(name);

  it('answers the POST at once, reports queued while held, and 409 for results until it succeeds', async () => {
    engine().hold();
    let id: string;
    try {
      const started = await call(engine(), 'POST', '/v1/archive/queries', range);
      expect(started.status).toBe(202);
      expect(started.json.state).toBe('queued');
      id = String(started.json.id);
      expect(started.headers.get('location')).toBe(`/v1/archive/queries/${id}`);

      const waiting = await call(engine(), 'GET', `/v1/archive/queries/${id}`);
      expect(['queued', 'running']).toContain(waiting.json.state);
      const early = await call(engine(), 'GET', `/v1/archive/queries/${id}/results`);
      expect(early.status).toBe(409);
      expect(early.json.type).toMatch(/archive-query-not-finished$/);
      expect(Number(early.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      engine().release();
    }
    await engine().settled(id);
    const done = await call(engine(), 'GET', `/v1/archive/queries/${id}`);
    expect(done.json.state).toBe('succeeded');
    expect(done.json.query).toMatchObject({ start: range.start, end: range.end, limit: 10_000 });
    const results = await call(engine(), 'GET', `/v1/archive/queries/${id}/results?pageSize=3`);
    expect(results.status).toBe(200);
    // Every answer is what the published OpenAPI document says it is.
    const doc = publishedDocument([fixture.sourceId, 'empty-source']);
    expect(publishedSchema(doc, 'ArchiveQuery').safeParse(done.json).success).toBe(true);
    expect(publishedSchema(doc, 'ArchiveResults').safeParse(results.json).success).toBe(true);
    const started = await call(engine(), 'POST', '/v1/archive/queries', range);
    expect(publishedSchema(doc, 'ArchiveQueryStarted').safeParse(started.json).success).toBe(true);
    expect(
      publishedSchema(doc, 'Problem').safeParse((await call(engine(), 'GET', '/v1/archive/queries/x')).json)
        .success,
    ).toBe(true);
    await engine().settled(String(started.json.id));
  });

  it('cancels a query before it finishes; its results then say it was cancelled', async () => {
    engine().hold();
    let id: string;
    try {
      id = String((await call(engine(), 'POST', '/v1/archive/queries', range)).json.id);
      const cancelled = await call(engine(), 'DELETE', `/v1/archive/queries/${id}`);
      expect(cancelled.status).toBe(200);
      expect(cancelled.json.state).toBe('cancelled');
    } finally {
      engine().release();
    }
    await engine().settled(id);
    const results = await call(engine(), 'GET', `/v1/archive/queries/${id}/results`);
    expect(results.status).toBe(409);
    expect(results.json.type).toMatch(/archive-query-cancelled$/);
    expect(String(results.json.detail)).toMatch(/cancelled/);
  });

  it('leaves a finished query as it is when asked to cancel it', async () => {
    const id = await runQuery(engine(), range);
    const again = await call(engine(), 'DELETE', `/v1/archive/queries/${id}`);

    expect(again.status).toBe(200);
    expect(again.json.state).toBe('succeeded');
    expect((await call(engine(), 'GET', `/v1/archive/queries/${id}/results?pageSize=1`)).status).toBe(200);
  });

  it("never shows one caller another caller's query, by id, results or cancel", async () => {
    const alice = 'arn:aws:sts::111122223333:assumed-role/Analyst/alice';
    const mallory = 'arn:aws:sts::111122223333:assumed-role/Analyst/mallory';
    const { app } = engine();
    const started = await app(signedEvent('POST', '/v1/archive/queries', alice, range));
    const id = String(JSON.parse(String(started.body)).id);
    await engine().settled(id);

    for (const [method, path] of [
      ['GET', `/v1/archive/queries/${id}`],
      ['GET', `/v1/archive/queries/${id}/results`],
      ['DELETE', `/v1/archive/queries/${id}`],
    ] as const) {
      expect((await app(signedEvent(method, path, mallory))).statusCode, `${method} ${path}`).toBe(404);
    }
    expect((await app(signedEvent('GET', `/v1/archive/queries/${id}/results`, alice))).statusCode).toBe(200);
  });

  it('scopes /v1/sources/{source}/… routes to that source alone', async () => {
    const base = `/v1/sources/${fixture.sourceId}/archive/queries`;
    const scoped = await call(engine(), 'POST', base, range);
    const wrongBody = await call(engine(), 'POST', base, { ...range, sources: [EMPTY_SOURCE] });
    const unknownSource = await call(engine(), 'POST', '/v1/sources/nope/archive/queries', range);
    const everySource = await runQuery(engine(), range);

    expect(scoped.status).toBe(202);
    expect((scoped.json.query as { sources: string[] }).sources).toEqual([fixture.sourceId]);
    expect((scoped.json.links as { self: string }).self).toBe(`${base}/${String(scoped.json.id)}`);
    expect(wrongBody.status).toBe(400);
    expect(unknownSource.status).toBe(404);
    // A query over every source is not readable through one source's route.
    expect((await call(engine(), 'GET', `${base}/${everySource}`)).status).toBe(404);
    expect(
      (await call(engine(), 'GET', `/v1/sources/${EMPTY_SOURCE}/archive/queries/${String(scoped.json.id)}`))
        .status,
    ).toBe(404);
  });
});

describe('Athena specifics (through the stand-in)', () => {
  const athenaEngine = () => engineNamed('athena');

  it('passes every value as an execution parameter, never in the SQL text', async () => {
    const before = fixture.athena.requests.length;
    const text = "O'Brien's 100% a_b \\ --";
    await runQuery(athenaEngine(), { ...range, text, actor: 'x@example.com', categories: ['account_logs'] });
    const start = fixture.athena.requests.slice(before).find((r) => r.operation === 'StartQueryExecution');
    const sql = String(start?.body.QueryString);
    const parameters = start?.body.ExecutionParameters as string[];

    expect(sql).not.toContain("O'Brien");
    expect(sql).not.toContain('x@example.com');
    expect(sql).not.toContain('account_logs');
    expect(parameters).toContain("'O''Brien''s 100% a_b \\ --'");
    expect(parameters).toContain("'x@example.com'");
    expect(start?.body.WorkGroup).toBe('mimecast-audit-lake');
  });

  it('answers 429 with Retry-After while Athena throttles beyond the SDK retries', async () => {
    fixture.athena.throttle(50);
    try {
      const answer = await call(athenaEngine(), 'POST', '/v1/archive/queries', range);
      expect(answer.status).toBe(429);
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(answer.json.type).toMatch(/archive-throttled$/);
    } finally {
      fixture.athena.throttle(0);
    }
    // A throttled call or two is retried by the SDK and never reaches the caller.
    fixture.athena.throttle(1);
    expect((await call(athenaEngine(), 'POST', '/v1/archive/queries', range)).status).toBe(202);
  });

  it("reports a failed query with Athena's reason: 422 when it is the caller's to fix, 502 otherwise", async () => {
    fixture.athena.failNext({
      reason: 'COLUMN_NOT_FOUND: line 1:8: Column x cannot be resolved',
      category: 2,
      errorType: 1006,
    });
    const userFailure = await runQuery(athenaEngine(), range);
    fixture.athena.failNext({ reason: 'Internal error', category: 1, errorType: 100 });
    const systemFailure = await runQuery(athenaEngine(), range);

    const state = await call(athenaEngine(), 'GET', `/v1/archive/queries/${userFailure}`);
    expect(state.json.state).toBe('failed');
    expect(state.json.error).toEqual({
      category: 'user',
      reason: 'COLUMN_NOT_FOUND: line 1:8: Column x cannot be resolved',
    });
    const user = await call(athenaEngine(), 'GET', `/v1/archive/queries/${userFailure}/results`);
    expect(user.status).toBe(422);
    expect(String(user.json.detail)).toContain('COLUMN_NOT_FOUND');
    const system = await call(athenaEngine(), 'GET', `/v1/archive/queries/${systemFailure}/results`);
    expect(system.status).toBe(502);
    expect(JSON.stringify(system.json)).not.toMatch(/at \w+ \(|node_modules/);
  });

  it("applies the workgroup's bytes-scanned cutoff: the query fails and says why", async () => {
    const tiny = buildQueryApp(
      { ...fixture.config, ARCHIVE_WORKGROUP: 'tiny-cutoff' },
      { clock: fixture.collector.clock, telemetry: recordingTelemetry() },
    );
    const started = await tiny(
      signedEvent('POST', '/v1/archive/queries', 'arn:aws:iam::111122223333:user/a', range),
    );
    const id = String(JSON.parse(String(started.body)).id);
    await athenaEngine().settled(id);
    const results = await tiny(
      signedEvent('GET', `/v1/archive/queries/${id}/results`, 'arn:aws:iam::111122223333:user/a'),
    );

    expect(results.statusCode).toBe(422);
    expect(String(results.body)).toMatch(/Bytes scanned limit was exceeded/);
  });

  it('reuses a stored result when the same query repeats within the configured age', async () => {
    const reusing = buildQueryApp(
      { ...fixture.config, ARCHIVE_RESULT_REUSE_MINUTES: 60 },
      { clock: fixture.collector.clock, telemetry: recordingTelemetry() },
    );
    const caller = 'arn:aws:iam::111122223333:user/reuse';
    const body = { start: iso(T0 - 2 * DAY), end: iso(T0 - 2 * DAY + 6 * HOUR), text: 'reuse-probe' };
    const run = async () => {
      const id = String(
        JSON.parse(String((await reusing(signedEvent('POST', '/v1/archive/queries', caller, body))).body)).id,
      );
      await athenaEngine().settled(id);
      return JSON.parse(
        String((await reusing(signedEvent('GET', `/v1/archive/queries/${id}`, caller))).body),
      ) as {
        statistics: { bytesScanned: number; resultReused?: boolean };
      };
    };
    const first = await run();
    const second = await run();

    expect(first.statistics.resultReused).toBe(false);
    expect(first.statistics.bytesScanned).toBeGreaterThan(0);
    expect(second.statistics).toMatchObject({ resultReused: true, bytesScanned: 0 });
  });
});
