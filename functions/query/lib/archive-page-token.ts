/**
 * Page tokens of archive results: the engine's own token wrapped with the query id it belongs
 * to, so a token is refused (400) on any other query instead of paging through someone else's
 * result. Possession of a token grants nothing by itself: the query id in the path must still
 * belong to the caller, and the token's id must equal it.
 */

const VERSION = 1;
/** Athena's NextToken is well under this; anything longer is not one of ours. */
const MAX_ENGINE_TOKEN_LENGTH = 2_048;

/** The outcome of decoding a caller's token. */
export type ArchiveTokenResult =
  | { ok: true; engineToken: string }
  | { ok: false; reason: 'malformed' | 'foreign' };

/** Wraps the engine's token for query `id`. */
export function encodeArchivePageToken(id: string, engineToken: string): string {
  return Buffer.from(JSON.stringify({ v: VERSION, q: id, t: engineToken }), 'utf8').toString('base64url');
}

/** Unwraps a token for query `id`. Never throws. */
export function decodeArchivePageToken(token: string, id: string): ArchiveTokenResult {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    return { ok: false, reason: 'malformed' };
  const { v, q, t } = payload as Record<string, unknown>;
  if (
    v !== VERSION ||
    typeof q !== 'string' ||
    typeof t !== 'string' ||
    t === '' ||
    t.length > MAX_ENGINE_TOKEN_LENGTH
  ) {
    return { ok: false, reason: 'malformed' };
  }
  if (q !== id) return { ok: false, reason: 'foreign' };
  return { ok: true, engineToken: t };
}
