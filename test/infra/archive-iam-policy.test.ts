/**
 * The example IAM policy of docs/api.md ("One source only") evaluated against every operation
 * of the API as API Gateway's IAM authorization would: the execute-api ARN of the request's
 * stage, method and path, matched with IAM's wildcard rules (`*` spans any characters,
 * `/` included). It must allow exactly the archive operations of its one source.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { QUERY_OPERATIONS } from '#query/lib/routes.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const HEADING = '### One source only: an example IAM policy';

interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
}

/** The first ```json block after the heading. */
function documentedPolicy(): { Statement: Statement[] } {
  const text = readFileSync(resolve(ROOT, 'docs/api.md'), 'utf8');
  const section = text.slice(text.indexOf(HEADING));
  const block = /```json\n([\s\S]*?)\n```/.exec(section)?.[1];
  if (section === '' || block === undefined) throw new Error('docs/api.md has no example policy');
  return JSON.parse(block) as { Statement: Statement[] };
}

const list = (value: string | string[]): string[] => (Array.isArray(value) ? value : [value]);
/** IAM's ARN wildcards: `*` any run of characters, `?` one character. */
const matches = (pattern: string, value: string): boolean =>
  new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
  ).test(value);

function allowed(policy: { Statement: Statement[] }, action: string, resource: string): boolean {
  const applying = policy.Statement.filter(
    (s) =>
      list(s.Action).some((a) => matches(a, action)) && list(s.Resource).some((r) => matches(r, resource)),
  );
  return applying.some((s) => s.Effect === 'Allow') && !applying.some((s) => s.Effect === 'Deny');
}

const arn = (method: string, path: string) =>
  `arn:aws:execute-api:eu-west-1:111122223333:abc123def4/$default/${method}${path}`;

/** Every operation with its path parameters filled in for `source`. */
function requests(source: string): Array<{ method: string; path: string; scoped: boolean }> {
  return QUERY_OPERATIONS.map((o) => ({
    method: o.method,
    path: o.path.replace('{source}', source).replace('{id}', 'aq_Q2yH3v0x6J1cV5m8a1Zt4w'),
    scoped: o.path.includes('{source}'),
  }));
}

describe('the documented one-source IAM policy', () => {
  const policy = documentedPolicy();

  it("allows every archive operation of its source's own routes", () => {
    for (const request of requests('tenant-a').filter((r) => r.scoped)) {
      expect(
        allowed(policy, 'execute-api:Invoke', arn(request.method, request.path)),
        `${request.method} ${request.path}`,
      ).toBe(true);
    }
  });

  it('allows nothing else: no other source, no all-sources route, no live search, no status', () => {
    const others = [
      ...requests('tenant-a').filter((r) => !r.scoped),
      ...requests('tenant-b'),
      ...requests('tenant-ab'),
      ...requests('tenant'),
      // Not operations of the API, but paths a loose pattern would let through.
      { method: 'GET', path: '/v1/sources/tenant-a/archive/queries', scoped: true },
      { method: 'PUT', path: '/v1/sources/tenant-a/archive/queries/x', scoped: true },
    ];
    expect(others.length).toBeGreaterThan(20);
    for (const request of others) {
      expect(
        allowed(policy, 'execute-api:Invoke', arn(request.method, request.path)),
        `${request.method} ${request.path}`,
      ).toBe(false);
    }
  });

  it('grants only execute-api:Invoke', () => {
    expect(policy.Statement.flatMap((s) => list(s.Action))).toEqual(['execute-api:Invoke']);
  });
});
