/**
 * An archive query as the engine runs it: a half-open time range of any age plus optional
 * filters, already validated and normalised by the API (sources resolved, duplicates removed).
 * The same shape is stored with the query, returned by the status route and hashed for reuse.
 */

/** A validated archive query. Times are epoch milliseconds; `end` is exclusive. */
export interface ArchiveQueryRequest {
  start: number;
  end: number;
  /** Source ids to read (at least one, each configured). */
  sources: string[];
  /** Category codes; absent means every category. */
  categories?: string[] | undefined;
  /** Audit types (exact); absent means every type. */
  auditTypes?: string[] | undefined;
  /** Exact actor (Mimecast's `user`), compared case-insensitively. */
  actor?: string | undefined;
  /** Exact `details.ip`. */
  ip?: string | undefined;
  /** Case-insensitive substring of `event_info`, matched literally. */
  text?: string | undefined;
  /** Most records the query returns. */
  limit: number;
}

/** Most records one archive query may return (documented; larger asks are a 400). */
export const MAX_ARCHIVE_LIMIT = 1_000_000;
/** Records returned when a query gives no `limit`. */
export const DEFAULT_ARCHIVE_LIMIT = 10_000;
/** Most values one list filter (sources, categories, audit types) may hold. */
export const MAX_FILTER_VALUES = 50;
/** Longest value of a text filter (actor, ip, text, one category or audit type), in code points. */
export const MAX_FILTER_LENGTH = 200;
