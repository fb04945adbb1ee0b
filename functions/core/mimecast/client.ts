/**
 * The Mimecast API client: `get-audit-events` (single pages and an iterator over all pages)
 * and `get-categories`, under either auth mode, with the retry policy of `retry.ts`.
 */
import { type Clock, type Sleep, systemClock } from '../ports.js';
import { toMimecastDate } from '../time.js';
import { ConfigurationError, FatalError, type MimecastError, ProtocolError } from './errors.js';
import { createHmacSigner, type HmacSigner } from './hmac.js';
import { type AttemptSignal, attemptSignal, type FetchLike, post } from './http.js';
import { OAuthTokenProvider } from './oauth.js';
import { createRedactor, type Envelope, errorFromStatus, parseEnvelope } from './response.js';
import {
  type AttemptInfo,
  backoffCeiling,
  DEFAULT_RETRY,
  type RetrySettings,
  realSleep,
  runWithRetry,
} from './retry.js';
import { normaliseBaseUrl } from './secret.js';
import { ServerClockEstimator } from './server-clock.js';
import type {
  AuditCategory,
  AuditEventPage,
  AuditEventQuery,
  MimecastClient,
  MimecastSecret,
  RawAuditEvent,
  RequestOptions,
  RetryWait,
} from './types.js';

/** Endpoint paths (the same under API 1.0 and 2.0). */
export const AUDIT_EVENTS_PATH = '/api/audit/get-audit-events';
export const CATEGORIES_PATH = '/api/audit/get-categories';

/** Tuning and test seams of the client. */
export interface MimecastClientOptions {
  /** HTTP implementation; default the global fetch. */
  fetch?: FetchLike | undefined;
  /** Clock for deadlines, HMAC dates and token expiry; default the system clock. */
  clock?: Clock | undefined;
  /** How retry waits are taken; default a real, abortable timer. */
  sleep?: Sleep | undefined;
  /** Source of jitter in [0, 1); default Math.random. */
  random?: (() => number) | undefined;
  /** Time limit of one HTTP attempt (also shortened to the deadline). Default 20 000 ms. */
  requestTimeoutMs?: number | undefined;
  /** Default page size for get-audit-events. Default 500. */
  pageSize?: number | undefined;
  /**
   * `auditEventPages` gives up (ProtocolError `empty_pages`) after more than this many empty
   * pages in a row that each carry a new `next`. Default 10; 0 tolerates none.
   */
  maxEmptyPages?: number | undefined;
  retry?: Partial<RetrySettings> | undefined;
  /** Called before every retry with what is about to be waited (0 ms for the fresh-token retry). */
  onWait?: ((wait: RetryWait) => void) | undefined;
}

/** How one attempt is authenticated. */
interface Authenticator {
  /** Headers for one attempt; `token` is set in OAuth mode so a 401 can invalidate exactly it. */
  headers(
    path: string,
    attempt: AttemptSignal,
    fallbackRateLimitWaitMs: () => number,
  ): Promise<{ headers: Record<string, string>; token?: string }>;
  /** Called on a 401; returns true when a retry with a fresh token may succeed. */
  rejected(token: string | undefined): boolean;
  /** Secret values to scrub from upstream messages. */
  secrets(): readonly string[];
}

function hmacAuthenticator(signer: HmacSigner, clock: Clock, secretValues: readonly string[]): Authenticator {
  return {
    // Each attempt is signed afresh: new x-mc-req-id and a current x-mc-date.
    headers: async (path) => ({ headers: { ...signer(path, new Date(clock.now())) } }),
    // API 1.0 keys do not renew: a 401 means the keys or the clock are wrong.
    rejected: () => false,
    secrets: () => secretValues,
  };
}

function oauthAuthenticator(provider: OAuthTokenProvider, secretValues: readonly string[]): Authenticator {
  return {
    headers: async (_path, attempt, fallbackRateLimitWaitMs) => {
      const token = await provider.getToken(attempt, fallbackRateLimitWaitMs);
      return { headers: { authorization: `Bearer ${token}` }, token };
    },
    rejected: (token) => {
      if (token !== undefined) provider.invalidate(token);
      return true;
    },
    secrets: () => [...secretValues, ...provider.knownTokens()],
  };
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigurationError(`Mimecast client option ${name} must be a positive integer`);
  }
  return value;
}

function nonNegativeInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) {
    throw new ConfigurationError(`Mimecast client option ${name} must be a non-negative integer`);
  }
  return value;
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) {
    throw new ConfigurationError(`Mimecast client option ${name} must be a non-negative number`);
  }
  return value;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const nonEmptyString = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;

/**
 * Reads one `get-categories` item. `code` is what the audit search filters on; the response
 * shape is only "likely" (docs/development.md, Mimecast API behaviour), so an item without `code` falls back to its `id`,
 * then its `name` (better a usable label than a silently missing category), and a bare string
 * is taken as a code. Items with none of these are dropped.
 */
export function toAuditCategory(item: unknown): AuditCategory | undefined {
  if (typeof item === 'string') return nonEmptyString(item) ? { code: item.trim() } : undefined;
  if (!isRecord(item)) return undefined;
  const id = nonEmptyString(item.id);
  const name = nonEmptyString(item.name);
  const code = nonEmptyString(item.code) ?? id ?? name;
  if (code === undefined) return undefined;
  return { code, ...(id === undefined ? {} : { id }), ...(name === undefined ? {} : { name }) };
}

/**
 * Events are passed through as Mimecast sent them. A non-object entry is wrapped as
 * `{ value }` rather than dropped, so the engine can count it as malformed: nothing is lost silently.
 */
function toRawEvent(item: unknown): RawAuditEvent {
  return isRecord(item) ? item : { value: item };
}

function checkQuery(query: AuditEventQuery): void {
  for (const [name, date] of [
    ['start', query.start],
    ['end', query.end],
  ] as const) {
    if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
      throw new FatalError(`Mimecast get-audit-events: query.${name} must be a valid Date`);
    }
  }
}

/** Builds a client for one secret. Throws ConfigurationError for an unusable secret or option. */
export function createMimecastClient(
  secret: MimecastSecret,
  options: MimecastClientOptions = {},
): MimecastClient {
  const baseUrl = normaliseBaseUrl(secret.baseUrl);
  const clock = options.clock ?? systemClock;
  // Every answer, token endpoint included, feeds the estimate of Mimecast's clock.
  const serverClock = new ServerClockEstimator(clock);
  const fetchFn: FetchLike = serverClock.wrap(options.fetch ?? ((input, init) => fetch(input, init)));
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  const requestTimeoutMs = positiveInteger(options.requestTimeoutMs, 20_000, 'requestTimeoutMs');
  const defaultPageSize = positiveInteger(options.pageSize, 500, 'pageSize');
  const maxEmptyPages = nonNegativeInteger(options.maxEmptyPages, 10, 'maxEmptyPages');
  const settings: RetrySettings = {
    baseDelayMs: nonNegative(options.retry?.baseDelayMs, DEFAULT_RETRY.baseDelayMs, 'retry.baseDelayMs'),
    maxDelayMs: nonNegative(options.retry?.maxDelayMs, DEFAULT_RETRY.maxDelayMs, 'retry.maxDelayMs'),
    maxAttempts: positiveInteger(options.retry?.maxAttempts, DEFAULT_RETRY.maxAttempts, 'retry.maxAttempts'),
  };

  // Upstream messages are scrubbed of every secret value and recent token (belt and braces:
  // Mimecast has no reason to echo them, but a message must never be the place they leak).
  const redact = createRedactor(() => auth.secrets());
  const auth: Authenticator =
    secret.mode === 'hmac'
      ? hmacAuthenticator(createHmacSigner(secret), clock, [
          secret.appKey,
          secret.accessKey,
          secret.secretKey,
        ])
      : oauthAuthenticator(
          new OAuthTokenProvider({ ...secret, baseUrl }, { fetch: fetchFn, clock, requestTimeoutMs, redact }),
          [secret.clientSecret],
        );

  // 401s for a cached OAuth token: the retry loop grants these one immediate fresh-token retry.
  const staleTokenErrors = new WeakSet<MimecastError>();

  async function attemptCall(path: string, body: string, info: AttemptInfo, signal: AbortSignal | undefined) {
    const attempt = attemptSignal(info.timeoutMs, signal);
    try {
      const label = path.replace(/^\/api\/audit\//, '');
      // A 429 without a wait header falls back to this attempt's backoff ceiling (the cautious end).
      const fallbackRateLimitWaitMs = () => backoffCeiling(info.attempt, settings);
      const { headers, token } = await auth.headers(path, attempt, fallbackRateLimitWaitMs);
      const answer = await post(
        fetchFn,
        `${baseUrl}${path}`,
        { ...headers, 'content-type': 'application/json', accept: 'application/json' },
        body,
        label,
        attempt,
      );
      if (answer.status >= 200 && answer.status <= 299) {
        return {
          envelope: parseEnvelope(answer.status, answer.body, { label, redact }),
          bytes: answer.body.byteLength,
        };
      }
      const error = errorFromStatus(answer.status, answer.headers, answer.body, {
        label,
        redact,
        now: clock.now(),
        fallbackRateLimitWaitMs,
      });
      if (answer.status === 401 && auth.rejected(token)) staleTokenErrors.add(error);
      throw error;
    } finally {
      attempt.dispose();
    }
  }

  function call(
    path: string,
    payload: unknown,
    requestOptions: RequestOptions,
  ): Promise<{ envelope: Envelope; bytes: number }> {
    const body = JSON.stringify(payload);
    return runWithRetry((info) => attemptCall(path, body, info, requestOptions.signal), {
      path,
      deadline: requestOptions.deadline,
      signal: requestOptions.signal,
      clock,
      sleep,
      random,
      settings,
      requestTimeoutMs,
      onWait: options.onWait,
      isStaleToken: (err) => staleTokenErrors.has(err),
    });
  }

  async function getAuditEventsPage(
    query: AuditEventQuery,
    pageToken: string | undefined,
    requestOptions: RequestOptions,
  ): Promise<AuditEventPage> {
    checkQuery(query);
    const pageSize = positiveInteger(query.pageSize, defaultPageSize, 'pageSize');
    const search: Record<string, unknown> = {
      startDateTime: toMimecastDate(query.start),
      endDateTime: toMimecastDate(query.end),
    };
    if (query.query !== undefined && query.query !== '') search.query = query.query;
    if (query.categories !== undefined && query.categories.length > 0)
      search.categories = [...query.categories];
    const payload = {
      meta: { pagination: { pageSize, ...(pageToken === undefined ? {} : { pageToken }) } },
      data: [search],
    };
    const { envelope, bytes } = await call(AUDIT_EVENTS_PATH, payload, requestOptions);
    return { events: envelope.data.map(toRawEvent), next: envelope.next, responseBytes: bytes };
  }

  /**
   * Pages of a search. While the caller works on one page, the next is already being fetched
   * (one page ahead, no more): Mimecast's latency then overlaps the caller's processing instead
   * of adding to it. If the caller stops early, the read-ahead request is aborted.
   *
   * An empty page alone never ends a search (docs/development.md, Paging and time: whether one can come in the
   * middle is unknown, and ending there would drop the rest silently). The search ends when
   * `next` is absent, or when an empty page hands back the token just sent (the cursor did not
   * move). Everything else that cannot make progress is a ProtocolError, never a quiet end.
   */
  async function* auditEventPages(query: AuditEventQuery, requestOptions: RequestOptions) {
    const seen = new Set<string>();
    const stop = new AbortController();
    const signal = requestOptions.signal
      ? AbortSignal.any([requestOptions.signal, stop.signal])
      : stop.signal;
    const options = { ...requestOptions, signal };
    let sent: string | undefined;
    let ahead: Promise<AuditEventPage> | undefined = getAuditEventsPage(query, undefined, options);
    let emptyRun = 0;
    /** The token to request next, `undefined` at the normal end; throws when paging cannot go on. */
    const nextToFollow = (page: AuditEventPage, sentToken: string | undefined): string | undefined => {
      const next = page.next;
      if (next === undefined) return undefined;
      const empty = page.events.length === 0;
      // The cursor did not move and there was nothing here: the search is complete.
      if (empty && next === sentToken) return undefined;
      if (seen.has(next)) {
        // Following it would loop forever (or, worse, re-read pages as if they were new).
        throw new ProtocolError(
          'Mimecast get-audit-events: a page token repeated; the search cannot be completed',
          'repeated_token',
        );
      }
      emptyRun = empty ? emptyRun + 1 : 0;
      if (emptyRun > maxEmptyPages) {
        throw new ProtocolError(
          `Mimecast get-audit-events: more than ${maxEmptyPages} empty pages in a row, each with a new page token; the search cannot be completed`,
          'empty_pages',
        );
      }
      return next;
    };
    try {
      while (ahead) {
        const page: AuditEventPage = await ahead;
        ahead = undefined;
        const next = nextToFollow(page, sent);
        if (next !== undefined) {
          sent = next;
          seen.add(next);
          ahead = getAuditEventsPage(query, next, options);
          // Its failure is reported when the caller asks for that page; until then it must not
          // count as an unhandled rejection.
          ahead.catch(() => undefined);
        }
        yield page;
      }
    } finally {
      // The caller stopped early (or a page failed): nobody will read the page being fetched.
      if (ahead) stop.abort();
    }
  }

  async function getCategories(requestOptions: RequestOptions): Promise<AuditCategory[]> {
    const { envelope } = await call(CATEGORIES_PATH, { data: [] }, requestOptions);
    return envelope.data.map(toAuditCategory).filter((c): c is AuditCategory => c !== undefined);
  }

  return {
    getAuditEventsPage,
    auditEventPages,
    getCategories,
    serverClockOffsetMs: () => serverClock.offsetMs(),
  };
}
