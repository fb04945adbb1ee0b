import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  publishedDocument,
  publishedSchema,
  type QueryApiUnderTest,
  startAws,
  startQueryApi,
} from './harness.js';

/** One entry of the corpus: a request and the answer it must get. */
interface HostileRequest {
  name: string;
  method: string;
  path: string;
  query: string;
  status: number;
  /** Fields the problem document must name in `errors`. */
  fields?: string[];
}

const corpus = JSON.parse(
  readFileSync(new URL('./fixtures/hostile-requests.json', import.meta.url), 'utf8'),
) as HostileRequest[];
const problem = publishedSchema(publishedDocument(), 'Problem');

let aws: Awaited<ReturnType<typeof startAws>>;
let q: QueryApiUnderTest;
const placeholders: Record<string, string> = {};

beforeAll(async () => {
  aws = await startAws();
  q = await startQueryApi(aws, { sim: { eventsPerDay: 2000 } });
  // A genuine token, issued for a different search (other range and page size).
  const other = await q.request('/v1/events?start=2026-11-24T00:00:00Z&end=2026-11-24T12:00:00Z&pageSize=5');
  placeholders.otherQueryToken = String(other.json?.nextPageToken);
  // Well-formed, plausible, but bound to nothing.
  placeholders.forgedToken = Buffer.from(
    JSON.stringify({ v: 1, t: 'x', e: Date.UTC(2026, 10, 25, 3), h: 'AAAAAAAAAAAAAAAAAAAAAA' }),
  ).toString('base64url');
  q.sim.clearRequests();
});

afterAll(async () => {
  await q?.close();
  aws?.restoreEnv();
  await aws?.close();
});

/** Expands `{{repeat:text:n}}` and `{{name}}` placeholders. */
function expand(text: string): string {
  return text
    .replace(/\{\{repeat:(.*?):(\d+)\}\}/g, (_, unit: string, times: string) => unit.repeat(Number(times)))
    .replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
      const value = placeholders[name];
      if (value === undefined) throw new Error(`unknown placeholder ${name}`);
      return value;
    });
}

describe('malformed and hostile requests', () => {
  it('has a corpus of at least 30 entries with unique names', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(30);
    expect(new Set(corpus.map((entry) => entry.name)).size).toBe(corpus.length);
    expect(placeholders.otherQueryToken).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each(corpus)('$name → $status', async (entry) => {
    // Prepare
    const query = expand(entry.query);
    // Act
    const answer = await q.request(`${entry.path}${query === '' ? '' : `?${query}`}`, {
      method: entry.method,
    });
    // Assess
    expect(answer.status).toBe(entry.status);
    expect(answer.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(problem.safeParse(answer.json).success).toBe(true);
    expect(answer.json?.status).toBe(entry.status);
    expect(answer.json?.requestId).toBe(answer.headers.get('x-request-id'));
    expect(answer.text).not.toMatch(/<script|\sat\s.+\.ts:\d+/i);
    if (entry.status === 405) expect(answer.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    const named = ((answer.json?.errors ?? []) as Array<{ field: string }>).map((error) => error.field);
    for (const field of entry.fields ?? []) expect(named).toContain(field);
  });

  it('never reached Mimecast with any of them', () => {
    expect(q.sim.requests().filter((request) => request.endpoint === 'get-audit-events')).toEqual([]);
  });
});
