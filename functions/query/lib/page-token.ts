/**
 * Our page tokens wrap Mimecast's opaque token together with a hash of the query it belongs
 * to, so a token replayed with other parameters is refused (400) instead of silently paging
 * through a different search. They also carry the range end fixed by the first page (a future
 * `end` is clamped to "now" once, so every page of one search covers the same range).
 *
 * The hash is a consistency check, not an authenticity proof: anyone may compute it, and that
 * is fine, because a token only grants what the caller's own request parameters already grant.
 */
import { createHash } from 'node:crypto';

/** The parameters a token is bound to (after defaults are applied). */
export interface PageTokenBinding {
  source: string;
  start: number;
  end: number;
  query: string | undefined;
  categories: readonly string[];
  pageSize: number;
}

/** What a valid token carries. */
export interface PageTokenContent {
  /** Mimecast's `next` token. */
  upstream: string;
  /** The range end fixed by the first page (epoch ms, ≤ the requested end). */
  effectiveEnd: number;
}

/** Mimecast tokens seen in practice are a few hundred characters; anything far longer is not one. */
const MAX_UPSTREAM_TOKEN_LENGTH = 2_048;
const VERSION = 1;

/** A short, stable digest of the binding (128 bits, base64url). Categories are order-insensitive. */
export function bindingHash(binding: PageTokenBinding): string {
  const canonical = JSON.stringify([
    VERSION,
    binding.source,
    binding.start,
    binding.end,
    binding.query ?? null,
    [...new Set(binding.categories)].sort(),
    binding.pageSize,
  ]);
  return createHash('sha256').update(canonical, 'utf8').digest('base64url').slice(0, 22);
}

/** Builds the token handed to the caller as `nextPageToken`. */
export function encodePageToken(content: PageTokenContent, binding: PageTokenBinding): string {
  const payload = { v: VERSION, t: content.upstream, e: content.effectiveEnd, h: bindingHash(binding) };
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

/** The token's content, or why it is refused. */
export type PageTokenResult =
  | { ok: true; content: PageTokenContent }
  | { ok: false; reason: 'malformed' | 'mismatch' };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Decodes a token and checks it belongs to `binding`. Never throws. */
export function decodePageToken(token: string, binding: PageTokenBinding): PageTokenResult {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) return { ok: false, reason: 'malformed' };
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (!isRecord(payload) || Object.keys(payload).length !== 4) return { ok: false, reason: 'malformed' };
  const { v, t, e, h } = payload;
  if (
    v !== VERSION ||
    typeof t !== 'string' ||
    t === '' ||
    t.length > MAX_UPSTREAM_TOKEN_LENGTH ||
    typeof h !== 'string' ||
    typeof e !== 'number' ||
    !Number.isSafeInteger(e)
  ) {
    return { ok: false, reason: 'malformed' };
  }
  if (h !== bindingHash(binding)) return { ok: false, reason: 'mismatch' };
  // Guards a hand-edited end: it may only narrow the requested range, never widen or empty it.
  if (e <= binding.start || e > binding.end) return { ok: false, reason: 'malformed' };
  return { ok: true, content: { upstream: t, effectiveEnd: e } };
}
