/**
 * Opaque `next` tokens. A token is base64url JSON bound to the search that issued it (a hash of
 * window, categories and query), the as-of time that keeps later pages stable, and the position
 * of the last event returned; a MAC makes edited or foreign tokens detectable.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Position } from './event-store.js';

/** The normalised parameters a token is bound to. */
export interface SearchKey {
  startMs: number;
  endMs: number;
  categories: readonly string[];
  query: string | undefined;
}

/** What a token carries. */
export interface PageCursor {
  searchHash: string;
  asOf: number;
  /** Resume strictly below this position; absent on an "exhausted" token. */
  position?: Position | undefined;
  /** >0 on the tokens handed out after the last page (emptyLastPageWithNext, emptyTailWithNewTokens). */
  exhausted?: number | undefined;
  /** Makes tokens that resume at the same place distinct (the `empty_page` fault hands out several). */
  nonce?: number | undefined;
}

/** A stable hash of a search (page size excluded: clients may change it between pages). */
export function searchHash(key: SearchKey): string {
  const normal = JSON.stringify([key.startMs, key.endMs, [...key.categories].sort(), key.query ?? null]);
  return createHash('sha256').update(normal).digest('base64url').slice(0, 16);
}

const isInt = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value);

/** Issues and checks page tokens with a per-simulator key. */
export class PageTokens {
  private readonly key = randomBytes(32);

  /** Encodes a cursor as an opaque token. */
  encode(cursor: PageCursor): string {
    const body = Buffer.from(
      JSON.stringify({
        h: cursor.searchHash,
        a: cursor.asOf,
        t: cursor.position?.timeMs,
        s: cursor.position?.seq,
        x: cursor.exhausted,
        n: cursor.nonce,
      }),
    ).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  /** Decodes a token, or `undefined` if it is malformed, edited or from another simulator. */
  decode(token: string): PageCursor | undefined {
    const [body, mac, extra] = token.split('.');
    if (!body || !mac || extra !== undefined) return undefined;
    const expected = Buffer.from(this.mac(body));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch (err: unknown) {
      if (err instanceof SyntaxError) return undefined;
      throw err;
    }
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { h, a, t, s, x, n } = parsed as Record<string, unknown>;
    if (typeof h !== 'string' || !isInt(a)) return undefined;
    const position = isInt(t) && isInt(s) ? { timeMs: t, seq: s } : undefined;
    const exhausted = isInt(x) && x > 0 ? x : undefined;
    if (!position && !exhausted) return undefined;
    const nonce = isInt(n) ? n : undefined;
    return { searchHash: h, asOf: a, position, exhausted, nonce };
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url').slice(0, 22);
  }
}
