/**
 * Every bad request to the archive routes, on both engines: a 400 problem document naming the
 * field (or 404/409/413/415 where that is the answer), nothing started, nothing echoed back
 * beyond a short printable cut.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeArchivePageToken } from '../../../functions/query/lib/archive-page-token.js';
import { type ArchiveFixture, call, DAY, iso, runQuery, startArchiveFixture, T0 } from './harness.js';

let fixture: ArchiveFixture;

beforeAll(async () => {
  fixture = await startArchiveFixture();
}, 120_000);

afterAll(async () => {
  await fixture?.close();
});

const range = { start: iso(T0 - 2 * DAY), end: iso(T0 - DAY) };
const fieldsOf = (json: Record<string, unknown>) =>
  ((json.errors ?? []) as Array<{ field: string }>).map((e) => e.field);

describe.each(['local', 'athena'] as const)('bad input on the %s engine', (name) => {
  const engine = () => {
    const found = fixture.engines.find((e) => e.name === name);
    if (!found) throw new Error(name);
    return found;
  };
  const post = (body: unknown) => call(engine(), 'POST', '/v1/archive/queries', body);

  it.each([
    ['an unknown source', { ...range, sources: ['nope'] }, 'sources'],
    ['a missing start', { end: range.end }, 'start'],
    ['a missing end', { start: range.start }, 'end'],
    ['a reversed range', { start: range.end, end: range.start }, 'end'],
    ['an empty range', { start: range.start, end: range.start }, 'end'],
    ['a time without offset', { start: '2026-11-20T10:00:00', end: range.end }, 'start'],
    ['a date alone', { start: '2026-11-20', end: range.end }, 'start'],
    ['a number for a time', { start: 1_700_000_000, end: range.end }, 'start'],
    ['an unknown field', { ...range, user: 'x' }, 'user'],
    ['a non-string category', { ...range, categories: ['account_logs', 7] }, 'categories'],
    ['a non-array category list', { ...range, categories: 'account_logs' }, 'categories'],
    ['an empty list', { ...range, auditTypes: [] }, 'auditTypes'],
    ['a category that is not a code', { ...range, categories: ["x' OR 1=1"] }, 'categories'],
    ['a limit beyond the maximum', { ...range, limit: 1_000_001 }, 'limit'],
    ['a fractional limit', { ...range, limit: 2.5 }, 'limit'],
    ['an empty actor', { ...range, actor: '' }, 'actor'],
    ['text with control characters', { ...range, text: 'a\u0000b' }, 'text'],
    ['too long text', { ...range, text: 'x'.repeat(201) }, 'text'],
    [
      'too many values',
      { ...range, auditTypes: Array.from({ length: 51 }, (_, i) => `t${i}`) },
      'auditTypes',
    ],
  ])('refuses %s with a 400 naming the field', async (_label, body, field) => {
    const answer = await post(body);

    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(fieldsOf(answer.json)).toContain(field);
  });

  it('refuses malformed JSON, a body that is not an object and an empty body, naming the body', async () => {
    for (const body of ['{"start": ', '[1,2]', '"text"', '   ']) {
      const answer = await post(body);
      expect(answer.status, body).toBe(400);
      expect(fieldsOf(answer.json)).toEqual(['(body)']);
    }
  });

  it('refuses a body that is not JSON (415) and one that is too large (413)', async () => {
    const form = await fetch(`${engine().api.url}/v1/archive/queries`, {
      method: 'POST',
      body: 'start=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const huge = await post({ ...range, text: 'x', padding: 'y'.repeat(70_000) });

    expect(form.status).toBe(415);
    expect(huge.status).toBe(413);
  });

  it('refuses query parameters on POST and unknown results parameters', async () => {
    const withQuery = await call(engine(), 'POST', '/v1/archive/queries?limit=5', range);
    const id = await runQuery(engine(), range);
    const unknown = await call(engine(), 'GET', `/v1/archive/queries/${id}/results?page=2`);

    expect(withQuery.status).toBe(400);
    expect(fieldsOf(withQuery.json)).toEqual(['limit']);
    expect(unknown.status).toBe(400);
    expect(fieldsOf(unknown.json)).toEqual(['page']);
  });

  it('refuses a pageSize beyond 1000, garbage page tokens and a token of another query', async () => {
    const id = await runQuery(engine(), range);
    const other = await runQuery(engine(), { ...range, limit: 3 });
    const otherPage = await call(engine(), 'GET', `/v1/archive/queries/${other}/results?pageSize=1`);
    const foreign = String(otherPage.json.nextPageToken);
    const results = (query: string) => call(engine(), 'GET', `/v1/archive/queries/${id}/results?${query}`);

    for (const query of [
      'pageSize=1001',
      'pageSize=0',
      'pageSize=ten',
      'pageToken=not-a-token',
      `pageToken=${'A'.repeat(5000)}`,
    ]) {
      const answer = await results(query);
      expect(answer.status, query).toBe(400);
    }
    const stolen = await results(`pageToken=${foreign}`);
    expect(stolen.status).toBe(400);
    expect(JSON.stringify(stolen.json.errors)).toContain('another archive query');
    // A token naming this query but carrying an engine token it never issued.
    const forged = await results(`pageToken=${encodeArchivePageToken(id, '999999')}`);
    expect(forged.status).toBe(400);
  });

  it('answers 404 for unknown, malformed and engine-side ids, on every route', async () => {
    for (const id of ['aq_AAAAAAAAAAAAAAAAAAAAAA', 'not-an-id', '00000000-0000-0000-0000-000000000000']) {
      for (const [method, path] of [
        ['GET', `/v1/archive/queries/${id}`],
        ['GET', `/v1/archive/queries/${id}/results`],
        ['DELETE', `/v1/archive/queries/${id}`],
      ] as const) {
        const answer = await call(engine(), method, path);
        expect(answer.status, `${method} ${path}`).toBe(404);
      }
    }
  });

  it('answers 405 with the allowed methods for a method a route does not take', async () => {
    const put = await call(engine(), 'PUT', '/v1/archive/queries', range);
    const postOne = await call(engine(), 'POST', '/v1/archive/queries/aq_AAAAAAAAAAAAAAAAAAAAAA', range);

    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('POST, OPTIONS');
    expect(postOne.status).toBe(405);
    expect(postOne.headers.get('allow')).toBe('GET, DELETE, HEAD, OPTIONS');
  });
});
