/**
 * Shapes shared by the Mimecast client, the simulator-facing tests, the sync engine and the
 * query API. The client implementation lives beside this file; consumers depend on these
 * types and on `MimecastClient`, not on the implementation.
 */

/** API 2.0: OAuth 2.0 client credentials. */
export interface OAuthSecret {
  mode: 'oauth2';
  baseUrl: string;
  clientId: string;
  clientSecret: string;
}

/** API 1.0: HMAC-SHA1 signed requests. */
export interface HmacSecret {
  mode: 'hmac';
  baseUrl: string;
  appId: string;
  appKey: string;
  accessKey: string;
  /** base64; decoded once when the client is built (a bad value is a ConfigurationError). */
  secretKey: string;
}

/** The parsed secret; the mode follows from which fields are present. */
export type MimecastSecret = OAuthSecret | HmacSecret;

/** An audit event as Mimecast returns it. Only `id` and `eventTime` matter to the engine. */
export interface RawAuditEvent {
  id?: unknown;
  eventTime?: unknown;
  auditType?: unknown;
  category?: unknown;
  user?: unknown;
  eventInfo?: unknown;
  [field: string]: unknown;
}

/** Parameters of one `get-audit-events` search. */
export interface AuditEventQuery {
  /** Sent as `startDateTime` (Mimecast treats it inclusively). */
  start: Date;
  /** Sent as `endDateTime` (inclusivity unknown: callers filter `[start, end)` themselves). */
  end: Date;
  /** Free-text query. */
  query?: string | undefined;
  /** Category codes; none means all. */
  categories?: readonly string[] | undefined;
  /** Page size; the client defaults to 500. */
  pageSize?: number | undefined;
}

/** One page of results. */
export interface AuditEventPage {
  events: RawAuditEvent[];
  /** The opaque token for the next page; absent on the last page. */
  next?: string | undefined;
  /** Size of the response body in bytes (for storage-efficiency accounting). */
  responseBytes: number;
}

/** A Mimecast audit category. */
export interface AuditCategory {
  code: string;
  id?: string | undefined;
  name?: string | undefined;
}

/** What the retry loop reports each time it is about to wait. */
export interface RetryWait {
  /** Which error caused the wait. */
  kind: 'rate_limited' | 'retryable' | 'authentication';
  /** The milliseconds about to be slept. */
  waitMs: number;
  /** 1-based number of the attempt that just failed. */
  attempt: number;
  path: string;
}

/** Per-call options. */
export interface RequestOptions {
  /**
   * Absolute time (epoch ms, same clock as the client's) after which no new attempt starts
   * and no wait extends. The collector passes `now + remainingTime − margin`.
   */
  deadline: number;
  /** Aborts in-flight requests and waits. */
  signal?: AbortSignal | undefined;
}

/** The Mimecast API as the rest of the product sees it. */
export interface MimecastClient {
  /** One `get-audit-events` page (the query API passes tokens through). */
  getAuditEventsPage(
    query: AuditEventQuery,
    pageToken: string | undefined,
    options: RequestOptions,
  ): Promise<AuditEventPage>;
  /**
   * All pages of a search, in the server's order, empty ones included. Follows `next` whenever
   * it is present and new, also after empty pages; ends when `next` is absent or an empty page
   * returns the token just sent. Throws ProtocolError (a FatalError) with reason
   * `repeated_token` when a page with events (or any page, pointing at an older token) repeats a
   * token, and `empty_pages` after more than `maxEmptyPages` (default 10) empty pages in a row
   * with new tokens. One page is read ahead; stopping early aborts it.
   */
  auditEventPages(query: AuditEventQuery, options: RequestOptions): AsyncIterable<AuditEventPage>;
  /** `get-categories`. */
  getCategories(options: RequestOptions): Promise<AuditCategory[]>;
  /**
   * Estimated `Mimecast's clock − ours` in ms (positive: Mimecast is ahead), from the `Date`
   * header of recent answers (median; reads up to about a second low, see server-clock.ts), or
   * `undefined` before any answer carried a usable `Date`.
   */
  serverClockOffsetMs(): number | undefined;
}
