import { describe, expect, it } from 'vitest';
import {
  decodePageToken,
  encodePageToken,
  type PageTokenBinding,
} from '../../../functions/query/lib/page-token.js';

const binding: PageTokenBinding = {
  source: 'default',
  start: Date.UTC(2026, 0, 1),
  end: Date.UTC(2026, 0, 2),
  query: 'login',
  categories: ['b', 'a'],
  pageSize: 100,
};
const content = { upstream: 'mimecast-next-token==', effectiveEnd: Date.UTC(2026, 0, 1, 12) };

describe('page tokens', () => {
  it('round-trip the upstream token and the fixed range end for the same search', () => {
    // Prepare
    const token = encodePageToken(content, binding);
    // Act
    const decoded = decodePageToken(token, { ...binding, categories: ['a', 'b'] });
    // Assess: category order does not make a different search
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decoded).toEqual({ ok: true, content });
  });

  it('are refused for any other search', () => {
    const token = encodePageToken(content, binding);
    const others: PageTokenBinding[] = [
      { ...binding, source: 'emea' },
      { ...binding, start: binding.start + 1000 },
      { ...binding, end: binding.end - 1000 },
      { ...binding, query: undefined },
      { ...binding, query: 'logout' },
      { ...binding, categories: ['a'] },
      { ...binding, pageSize: 101 },
    ];
    for (const other of others)
      expect(decodePageToken(token, other)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('are refused when malformed or hand-edited', () => {
    const encode = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString('base64url');
    const good = JSON.parse(Buffer.from(encodePageToken(content, binding), 'base64url').toString()) as Record<
      string,
      unknown
    >;
    const candidates = [
      'not base64!',
      'AAAA',
      encode('a string'),
      encode([1, 2]),
      encode({ ...good, v: 2 }),
      encode({ ...good, t: '' }),
      encode({ ...good, t: 'x'.repeat(2049) }),
      encode({ ...good, e: 'soon' }),
      encode({ ...good, extra: true }),
      encode({ ...good, e: binding.end + 1000 }),
      encode({ ...good, e: binding.start }),
    ];
    for (const token of candidates) {
      expect(decodePageToken(token, binding)).toEqual({ ok: false, reason: 'malformed' });
    }
  });
});
