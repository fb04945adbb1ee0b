import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseEvent } from '#core/archive/normalise.js';
import { DynamoCursorStore } from '#core/cursor/dynamo-cursor-store.js';
import {
  DAY,
  HOUR,
  iso,
  publishedDocument,
  publishedSchema,
  type QueryApiUnderTest,
  startAws,
  startQueryApi,
  T0,
} from './harness.js';

const doc = publishedDocument();
let aws: Awaited<ReturnType<typeof startAws>>;

beforeAll(async () => {
  aws = await startAws();
});

afterAll(async () => {
  aws?.restoreEnv();
  await aws?.close();
});

describe.each(['oauth2', 'hmac'] as const)('the query API against the simulator (%s)', (mode) => {
  let q: QueryApiUnderTest;

  beforeAll(async () => {
    q = await startQueryApi(aws, { mode, sim: { eventsPerDay: 2500 } });
  });
  afterAll(async () => {
    await q?.close();
  });

  it('pages through a large range returning each event exactly once, as the archive would hold it', async () => {
    // Prepare: two days of events, a few thousand of them
    const start = T0 - 2 * DAY - 1500;
    const end = T0 - 500;
    const truth = q.sim.groundTruth(new Date(start), new Date(end));
    const query = `start=${new Date(start).toISOString()}&end=${new Date(end).toISOString()}&pageSize=500`;
    // Act
    const seen: Array<Record<string, unknown>> = [];
    let pages = 0;
    let token: string | null = null;
    do {
      const answer = await q.request(`/v1/events?${query}${token ? `&pageToken=${token}` : ''}`);
      expect(answer.status).toBe(200);
      expect(publishedSchema(doc, 'EventsPage').safeParse(answer.json).success).toBe(true);
      const body = answer.json as { events: Array<Record<string, unknown>>; nextPageToken: string | null };
      seen.push(...body.events);
      token = body.nextPageToken;
      pages++;
    } while (token !== null && pages < 100);
    // Assess
    expect(truth.length).toBeGreaterThan(3000);
    expect(pages).toBeGreaterThan(5);
    const ids = seen.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(truth.map((e) => String(e.id)).sort());
    // The same normalisation as the archive, with this API's collected_at.
    const sample = truth[Math.floor(truth.length / 2)];
    if (sample === undefined) throw new Error('no ground truth');
    const expected = normaliseEvent(sample, { source: 'default', collectedAt: iso(T0) });
    expect(expected.ok && seen.find((e) => e.id === expected.record.id)).toEqual(
      expected.ok ? expected.record : undefined,
    );
  });

  it('filters by category and free text through Mimecast', async () => {
    const start = T0 - 6 * HOUR;
    const answer = await q.request(
      `/v1/events?start=${iso(start)}&end=${iso(T0)}&category=authentication_logs&pageSize=500`,
    );
    const events = (answer.json?.events ?? []) as Array<{ category: string }>;
    expect(answer.status).toBe(200);
    expect(events.length).toBeGreaterThan(0);
    expect(new Set(events.map((e) => e.category))).toEqual(new Set(['authentication_logs']));
  });

  it("refuses a well-formed but unknown category as the caller's mistake (400 naming category), without searching", async () => {
    // Prepare
    q.sim.clearRequests();

    // Act
    const answer = await q.request(
      `/v1/events?start=${iso(T0 - HOUR)}&end=${iso(T0)}&category=authentication_logs&category=authentcation_logs`,
    );

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.json?.errors).toEqual([
      { field: 'category', message: expect.stringContaining('"authentcation_logs"') },
    ]);
    expect(String(answer.json?.detail)).not.toMatch(/Mimecast refused/);
    expect(q.sim.requests().filter((r) => r.endpoint === 'get-audit-events')).toHaveLength(0);
  });

  it('still answers 400 when Mimecast itself refuses a category the list did not know about', async () => {
    // Prepare: the category list cannot be read, so only Mimecast can say the code is wrong.
    const isolated = await startQueryApi(aws, {
      secretId: 'search/categories-down',
      sim: { eventsPerDay: 10 },
    });
    try {
      isolated.sim.scriptFaults({
        endpoint: 'get-categories',
        fault: { type: 'http_error', status: 503 },
        times: 20,
      });

      // Act
      const answer = await isolated.request(
        `/v1/events?start=${iso(T0 - HOUR)}&end=${iso(T0)}&category=no_such_logs`,
      );

      // Assess
      expect(answer.status).toBe(400);
      expect(answer.json?.errors).toEqual([
        { field: 'category', message: 'was refused by Mimecast (err_validation_invalid_category)' },
      ]);
    } finally {
      await isolated.close();
    }
  });

  it("lists Mimecast's categories", async () => {
    const answer = await q.request('/v1/categories');
    expect(answer.status).toBe(200);
    expect(publishedSchema(doc, 'Categories').safeParse(answer.json).success).toBe(true);
    const codes = ((answer.json?.categories ?? []) as Array<{ code: string }>).map((c) => c.code);
    expect(codes).toContain('authentication_logs');
  });
});

describe('GET /v1/status', () => {
  let q: QueryApiUnderTest;

  beforeAll(async () => {
    q = await startQueryApi(aws, {
      sim: { eventsPerDay: 10 },
      env: {
        SOURCES: JSON.stringify([
          { id: 'status-ran', secretId: 'mimecast/oauth2' },
          { id: 'status-never', secretId: 'mimecast/oauth2' },
        ]),
      },
    });
  });
  afterAll(async () => {
    await q?.close();
  });

  it('reflects the cursor item the collector writes, and reports a source that never ran', async () => {
    // Prepare: a collector-like history written through the real DynamoCursorStore
    const cursor = new DynamoCursorStore(aws.dynamodb, aws.standins.table);
    const owner = 'collector-run-1';
    const at = (ms: number) => new Date(ms);
    const leased = await cursor.acquireLease('status-ran', owner, at(T0 - HOUR), at(T0 - HOUR + 15 * 60_000));
    if (leased === null) throw new Error('lease not granted');
    const pending = await cursor.save(
      leased,
      owner,
      {
        pending: { start: iso(T0 - 60 * DAY), end: iso(T0 - 30 * DAY), plannedAt: iso(T0 - HOUR) },
        backfillFrom: iso(T0 - 60 * DAY),
      },
      iso(T0 - HOUR),
    );
    await cursor.save(
      pending,
      owner,
      {
        watermark: iso(T0 - 30 * DAY),
        pending: undefined,
        lastSuccessAt: iso(T0 - HOUR + 60_000),
        totals: {
          ...pending.totals,
          eventsWritten: 1234,
          windowsCommitted: 1,
          objectsWritten: 31,
          malformedEvents: 2,
        },
      },
      iso(T0 - HOUR + 60_000),
    );
    await cursor.recordError('status-ran', owner, {
      at: iso(T0 - HOUR + 120_000),
      kind: 'rate_limited',
      message: 'Mimecast throttled the run',
    });
    await cursor.releaseLease('status-ran', owner, iso(T0 - HOUR + 121_000));
    // Act
    const answer = await q.request('/v1/status');
    // Assess
    expect(answer.status).toBe(200);
    expect(publishedSchema(doc, 'Status').safeParse(answer.json).success).toBe(true);
    const [ran, never] = (answer.json?.sources ?? []) as Array<Record<string, unknown>>;
    expect(ran).toMatchObject({
      source: 'status-ran',
      state: 'failing',
      running: false,
      watermark: iso(T0 - 30 * DAY),
      lagSeconds: 30 * 86_400,
      pending: null,
      backfill: { from: iso(T0 - 60 * DAY), progressPercent: 50 },
      lastSuccessAt: iso(T0 - HOUR + 60_000),
      lastError: {
        at: iso(T0 - HOUR + 120_000),
        kind: 'rate_limited',
        message: 'Mimecast throttled the run',
      },
      totals: { eventsWritten: 1234, windowsCommitted: 1, objectsWritten: 31, malformedEvents: 2 },
    });
    expect(never).toMatchObject({ source: 'status-never', state: 'never_run', watermark: null });
  });
});
