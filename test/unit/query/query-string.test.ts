import { describe, expect, it } from 'vitest';
import {
  MAX_PARAMETERS,
  parseQueryString,
  QUERY_STRING_FIELD,
} from '../../../functions/query/lib/query-string.js';

const params = (raw: string) => {
  const result = parseQueryString(raw);
  if (!result.ok) throw new Error(`unexpected errors: ${JSON.stringify(result.errors)}`);
  return Object.fromEntries(result.params);
};

describe('parseQueryString', () => {
  it('keeps every value of a repeated parameter instead of joining them like API Gateway', () => {
    // Act
    const parsed = params('category=a&category=b&start=x');
    // Assess
    expect(parsed).toEqual({ category: ['a', 'b'], start: ['x'] });
  });

  it('decodes percent escapes and "+" as a space, as HTML forms and URLSearchParams encode them', () => {
    expect(params('query=failed+login%20from%2Bhere&start=2026-01-01T00%3A00%3A00%2B01%3A00')).toEqual({
      query: ['failed login from+here'],
      start: ['2026-01-01T00:00:00+01:00'],
    });
  });

  it('treats a name without "=" as an empty value and ignores empty segments', () => {
    expect(params('&&flag&x=1&')).toEqual({ flag: [''], x: ['1'] });
  });

  it('returns no parameters for an absent or empty query string', () => {
    expect(params('')).toEqual({});
    const absent = parseQueryString(undefined);
    expect(absent.ok && absent.params.size).toBe(0);
  });

  it('reports values that are not valid percent-encoded UTF-8 under their parameter name', () => {
    // Prepare: a bad escape, a truncated UTF-8 sequence and an encoded lone surrogate
    for (const raw of ['start=%ZZ', 'start=%E2%82', 'start=%ED%A0%80']) {
      // Act
      const result = parseQueryString(raw);
      // Assess
      expect(result).toEqual({
        ok: false,
        errors: [{ field: 'start', message: 'is not valid percent-encoded UTF-8' }],
      });
    }
  });

  it('reports an undecodable parameter name against the query string as a whole', () => {
    const result = parseQueryString('%C0%AF=1');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors[0]?.field).toBe(QUERY_STRING_FIELD);
  });

  it('refuses more parameters than any route could need', () => {
    const raw = Array.from({ length: MAX_PARAMETERS + 1 }, (_, i) => `p${i}=1`).join('&');
    const result = parseQueryString(raw);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors[0]?.message).toContain(String(MAX_PARAMETERS));
  });
});
