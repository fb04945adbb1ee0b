import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MimecastSimulator, startMimecastSimulator } from '#local/mimecast-sim/index.js';
import { createTestClock } from '#test/support/clock.js';
import { AUDIT_PATH, accessToken, auditBody, bearer, drain, failCodes, mcIso, post } from './sim-http.js';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const timeOf = (event: Record<string, unknown>): number =>
  Date.parse(String(event.eventTime).replace('+0000', 'Z'));

describe('simulator searches and paging', () => {
  const clock = createTestClock(NOW);
  let sim: MimecastSimulator;
  let headers: () => Record<string, string>;

  beforeAll(async () => {
    sim = await startMimecastSimulator({
      clock,
      seed: 11,
      eventsPerDay: 6000,
      rateLimit: false,
      tokenTtlSeconds: 30 * 86_400,
    });
    const token = await accessToken(sim);
    headers = () => bearer(token);
  });
  afterAll(async () => {
    await sim.close();
  });

  it('pages newest first and covers exactly the ground truth, without duplicates', async () => {
    // Prepare: one day, ~6000 events, pages of 500
    const start = NOW - DAY;
    const end = NOW - 1000; // last second included by the server; groundTruth is half-open
    // Act
    const { events, pages } = await drain(sim, headers, start, end, { pageSize: 500 });
    // Assess
    const truth = sim.groundTruth(new Date(start), new Date(end + 1000));
    expect(truth.length).toBeGreaterThan(4000);
    expect(pages).toBe(Math.ceil(truth.length / 500));
    const ids = events.map((event) => event.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set(truth.map((event) => event.id)));
    const times = events.map(timeOf);
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('returns pages of the requested size and no next on the last one', async () => {
    const start = NOW - 2 * HOUR;
    const first = await post(sim, AUDIT_PATH, headers(), auditBody(start, NOW, { pageSize: 7 }));
    expect(first.body.data).toHaveLength(7);
    expect(first.body.meta?.pagination).toEqual({ pageSize: 7, next: expect.any(String) });
    const { events } = await drain(sim, headers, start, NOW, { pageSize: 7 });
    const truthCount = sim.groundTruth(new Date(start), new Date(NOW + 1000)).length;
    expect(events).toHaveLength(truthCount);
  });

  it('includes events exactly at endDateTime (end is inclusive: clients must filter)', async () => {
    // Prepare
    const boundary = NOW - 5 * DAY;
    sim.addEvents([
      {
        id: 'at-start',
        eventTime: mcIso(boundary - HOUR),
        category: 'policy_logs',
        auditType: 'x',
        user: '',
        eventInfo: '',
      },
      {
        id: 'at-end',
        eventTime: mcIso(boundary),
        category: 'policy_logs',
        auditType: 'x',
        user: '',
        eventInfo: '',
      },
    ]);
    // Act
    const { events } = await drain(sim, headers, boundary - HOUR, boundary, {
      query: 'x',
      categories: ['policy_logs'],
    });
    // Assess
    const ids = events.map((event) => event.id);
    expect(ids).toContain('at-start');
    expect(ids).toContain('at-end');
    expect(
      sim.groundTruth(new Date(boundary - HOUR), new Date(boundary)).map((event) => event.id),
    ).not.toContain('at-end');
  });

  it('filters by category codes and by free text', async () => {
    const start = NOW - DAY;
    const { events: auth } = await drain(sim, headers, start, NOW, { categories: ['authentication_logs'] });
    const { events: failed } = await drain(sim, headers, start, NOW, { query: 'FAILED AUTHENTICATION' });
    expect(auth.length).toBeGreaterThan(0);
    expect(auth.every((event) => event.category === 'authentication_logs')).toBe(true);
    expect(failed.length).toBeGreaterThan(0);
    expect(
      failed.every((event) => String(event.eventInfo).toLowerCase().includes('failed authentication')),
    ).toBe(true);
  });

  it('refuses a start older than the 60 days of history with a non-retryable fail[]', async () => {
    const response = await post(sim, AUDIT_PATH, headers(), auditBody(NOW - 61 * DAY, NOW - 59 * DAY));
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual([]);
    expect(response.body.fail?.[0]?.errors).toEqual([
      expect.objectContaining({ code: 'err_validation_date_outside_retention', retryable: false }),
    ]);
    const edge = await post(
      sim,
      AUDIT_PATH,
      headers(),
      auditBody(NOW - 60 * DAY, NOW - 59 * DAY, { pageSize: 1 }),
    );
    expect(edge.body.fail).toEqual([]);
  });

  it.each([
    ['a missing startDateTime', { data: [{ endDateTime: mcIso(NOW) }] }, 'err_validation_null'],
    [
      'a blank endDateTime',
      { data: [{ startDateTime: mcIso(NOW - HOUR), endDateTime: '' }] },
      'err_validation_blank',
    ],
    ['no data at all', { meta: { pagination: { pageSize: 10 } } }, 'err_validation_null'],
    [
      'a Z date instead of +0000',
      { data: [{ startDateTime: '2026-11-25T10:00:00Z', endDateTime: mcIso(NOW) }] },
      'err_validation_invalid_format',
    ],
    [
      'an impossible date',
      { data: [{ startDateTime: '2026-02-31T10:00:00+0000', endDateTime: mcIso(NOW) }] },
      'err_validation_invalid_format',
    ],
    ['start after end', auditBody(NOW, NOW - HOUR), 'err_validation_out_of_range'],
    ['pageSize 501', auditBody(NOW - HOUR, NOW, { pageSize: 501 }), 'err_validation_out_of_range'],
    ['pageSize 0', auditBody(NOW - HOUR, NOW, { pageSize: 0 }), 'err_validation_out_of_range'],
    [
      'an unknown category',
      auditBody(NOW - HOUR, NOW, { categories: ['audit_logs'] }),
      'err_validation_invalid_category',
    ],
    [
      'a misspelt field',
      { data: [{ startDateTime: mcIso(NOW - HOUR), endDateTime: mcIso(NOW), categroies: [] }] },
      'err_validation_unknown_field',
    ],
    [
      'the next token sent as "next"',
      {
        meta: { pagination: { next: 'abc' } },
        data: [{ startDateTime: mcIso(NOW - HOUR), endDateTime: mcIso(NOW) }],
      },
      'err_validation_unknown_field',
    ],
  ])('answers %s with a validation fail[]', async (_name, body, code) => {
    // Act
    const response = await post(sim, AUDIT_PATH, headers(), body);
    // Assess
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual([]);
    expect(failCodes(response)).toContain(code);
    expect(response.body.fail?.[0]?.errors?.every((error) => error.retryable === false)).toBe(true);
  });

  it('accepts other numeric offsets for request dates', async () => {
    const body = {
      data: [{ startDateTime: '2026-11-25T13:00:00+0200', endDateTime: '2026-11-25T06:30:00-0500' }],
    };
    const response = await post(sim, AUDIT_PATH, headers(), body);
    expect(response.body.fail).toEqual([]);
    for (const event of response.body.data ?? []) {
      expect(timeOf(event)).toBeGreaterThanOrEqual(Date.UTC(2026, 10, 25, 11, 0, 0));
      expect(timeOf(event)).toBeLessThanOrEqual(Date.UTC(2026, 10, 25, 11, 30, 0));
    }
  });

  it('refuses a page token used with another search or edited', async () => {
    // Prepare
    const first = await post(sim, AUDIT_PATH, headers(), auditBody(NOW - DAY, NOW, { pageSize: 10 }));
    const token = first.body.meta?.pagination?.next ?? '';
    // Act
    const otherWindow = await post(
      sim,
      AUDIT_PATH,
      headers(),
      auditBody(NOW - DAY, NOW - HOUR, { pageToken: token }),
    );
    const edited = await post(
      sim,
      AUDIT_PATH,
      headers(),
      auditBody(NOW - DAY, NOW, { pageToken: `x${token}` }),
    );
    const blank = await post(sim, AUDIT_PATH, headers(), auditBody(NOW - DAY, NOW, { pageToken: '' }));
    // Assess
    expect(token).not.toBe('');
    expect(failCodes(otherWindow)).toEqual(['err_validation_invalid_page_token']);
    expect(failCodes(edited)).toEqual(['err_validation_invalid_page_token']);
    expect(failCodes(blank)).toEqual(['err_validation_blank']);
  });

  it('refuses a body that is not JSON with 400 and a non-JSON content type with 415', async () => {
    const notJson = await post(sim, AUDIT_PATH, headers(), '{"data": [');
    const wrongType = await fetch(`${sim.baseUrl}${AUDIT_PATH}`, {
      method: 'POST',
      headers: { ...headers(), 'content-type': 'text/plain' },
      body: JSON.stringify(auditBody(NOW - HOUR, NOW)),
    });
    expect(notJson.status).toBe(400);
    expect(wrongType.status).toBe(415);
  });

  it('keeps later pages stable while the clock moves on (pages answer as of the first page)', async () => {
    // Prepare: a search whose window reaches past now
    const start = NOW - 2 * HOUR;
    const end = NOW + 2 * HOUR;
    const first = await post(sim, AUDIT_PATH, headers(), auditBody(start, end, { pageSize: 20 }));
    const firstIds = (first.body.data ?? []).map((event) => event.id);
    // Act: time passes (new events happen), then the search continues
    clock.advance(HOUR);
    const rest: unknown[] = [];
    let next = first.body.meta?.pagination?.next;
    while (next) {
      const page = await post(
        sim,
        AUDIT_PATH,
        headers(),
        auditBody(start, end, { pageSize: 20, pageToken: next }),
      );
      rest.push(...(page.body.data ?? []).map((event) => event.id));
      next = page.body.meta?.pagination?.next;
    }
    const fresh = await drain(sim, headers, start, end);
    clock.set(NOW);
    // Assess: the continued search saw the old world; a new search sees the new hour too
    const seen = [...firstIds, ...rest];
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toHaveLength(sim.groundTruth(new Date(start), new Date(NOW + 1)).length);
    expect(fresh.events.length).toBeGreaterThan(seen.length);
  });
});
