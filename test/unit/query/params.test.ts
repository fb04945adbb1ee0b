import { describe, expect, it } from 'vitest';
import { buildRouteSchemas, MAX_CATEGORIES, validateParams } from '../../../functions/query/lib/params.js';
import type { FieldError } from '../../../functions/query/lib/problem.js';
import { parseQueryString } from '../../../functions/query/lib/query-string.js';

const schemas = buildRouteSchemas(['default', 'emea']);
const RANGE = 'start=2026-01-01T00:00:00Z&end=2026-01-02T00:00:00Z';

function validateEvents(raw: string) {
  const parsed = parseQueryString(raw);
  if (!parsed.ok) throw new Error('query string did not parse');
  return validateParams(schemas.events, parsed.params);
}

function errorsOf(raw: string): FieldError[] {
  const result = validateEvents(raw);
  if (result.ok) throw new Error(`accepted ${raw}`);
  return result.errors;
}

describe('events parameters', () => {
  it('turns valid parameters into typed values', () => {
    // Act
    const result = validateEvents(
      `${RANGE}&query=failed+login&category=authentication_logs&category=policy_logs&pageSize=25&source=emea`,
    );
    // Assess
    expect(result).toEqual({
      ok: true,
      value: {
        start: Date.UTC(2026, 0, 1),
        end: Date.UTC(2026, 0, 2),
        query: 'failed login',
        category: ['authentication_logs', 'policy_logs'],
        pageSize: 25,
        source: 'emea',
      },
    });
  });

  it('accepts comma-separated categories and drops duplicates', () => {
    const result = validateEvents(`${RANGE}&category=a,b&category=a`);
    expect(result.ok && result.value.category).toEqual(['a', 'b']);
  });

  it('names each missing required parameter', () => {
    expect(errorsOf('')).toEqual([
      { field: 'start', message: 'is required' },
      { field: 'end', message: 'is required' },
    ]);
  });

  it('rejects unknown parameters by name and lists the accepted ones', () => {
    const [error] = errorsOf(`${RANGE}&limit=5`);
    expect(error?.field).toBe('limit');
    expect(error?.message).toContain('accepted: start, end, query, category, pageSize, pageToken, source');
  });

  it('rejects a repeated single-valued parameter even when the values agree', () => {
    expect(errorsOf(`${RANGE}&pageSize=5&pageSize=5`)).toEqual([
      { field: 'pageSize', message: 'must be given at most once (got 2)' },
    ]);
  });

  it('accepts pageSize 1 and 500 and rejects everything else', () => {
    expect(validateEvents(`${RANGE}&pageSize=1`).ok).toBe(true);
    expect(validateEvents(`${RANGE}&pageSize=500`).ok).toBe(true);
    for (const bad of ['0', '501', '-1', '1.5', '1e2', '0x10', 'ten', '', '99999999999999999999']) {
      expect(errorsOf(`${RANGE}&pageSize=${bad}`)).toEqual([
        { field: 'pageSize', message: 'must be a whole number from 1 to 500' },
      ]);
    }
  });

  it('bounds the number and shape of category codes', () => {
    const many = Array.from({ length: MAX_CATEGORIES + 1 }, (_, i) => `category=c${i}`).join('&');
    expect(errorsOf(`${RANGE}&${many}`)).toEqual([
      { field: 'category', message: 'must list at most 20 category codes' },
    ]);
    const [bad] = errorsOf(`${RANGE}&category=ok&category=Policy-Logs`);
    expect(bad).toMatchObject({ field: 'category' });
    expect(bad?.message).toMatch(/^value 2: must be a category code/);
    expect(errorsOf(`${RANGE}&category=${'a'.repeat(65)}`)[0]?.field).toBe('category');
  });

  it('counts the query length in characters, not UTF-16 units, and refuses invisible characters', () => {
    expect(validateEvents(`${RANGE}&query=${encodeURIComponent('😀'.repeat(200))}`).ok).toBe(true);
    expect(errorsOf(`${RANGE}&query=${'a'.repeat(201)}`)[0]?.message).toContain('at most 200 characters');
    for (const hidden of ['%00', '%0A', '%E2%80%AE', '%E2%80%8B']) {
      expect(errorsOf(`${RANGE}&query=x${hidden}y`)).toEqual([
        { field: 'query', message: 'must not contain control or invisible formatting characters' },
      ]);
    }
    expect(errorsOf(`${RANGE}&query=`)[0]?.message).toContain('must not be empty');
  });

  it('rejects unknown sources and lists the configured ones', () => {
    expect(errorsOf(`${RANGE}&source=apac`)).toEqual([
      { field: 'source', message: 'is not a configured source; configured sources: default, emea' },
    ]);
  });

  it('rejects page tokens that cannot be ours before decoding them', () => {
    expect(errorsOf(`${RANGE}&pageToken=a.b`)[0]?.field).toBe('pageToken');
    expect(errorsOf(`${RANGE}&pageToken=${'a'.repeat(5000)}`)[0]?.field).toBe('pageToken');
  });

  it('reports every bad field of one request together', () => {
    const fields = errorsOf('start=2026-01-01&end=nope&pageSize=0&x=1').map((e) => e.field);
    expect(fields.sort()).toEqual(['end', 'pageSize', 'start', 'x']);
  });
});

describe('parameterless routes', () => {
  it('reject any parameter and say the route takes none', () => {
    const parsed = parseQueryString('verbose=1');
    if (!parsed.ok) throw new Error('query string did not parse');
    const result = validateParams(schemas.status, parsed.params);
    expect(result).toEqual({
      ok: false,
      errors: [{ field: 'verbose', message: 'is not a parameter of this route (it takes no parameters)' }],
    });
  });
});
