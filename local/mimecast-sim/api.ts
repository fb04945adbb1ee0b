/**
 * The Mimecast simulator's programmatic interface (agreed between the simulator and its users:
 * client integration tests, collector tests, `npm start`, benchmarks). The implementation is
 * `startMimecastSimulator` in `./server.ts`, re-exported from `./index.ts`.
 */

import type { HmacSecret, OAuthSecret, RawAuditEvent } from '#core/mimecast/types.js';
import type { Clock } from '#core/ports.js';

/** A fault the simulator injects instead of (or around) the normal answer. */
export type Fault =
  /** HTTP 5xx with a JSON error body. */
  | { type: 'http_error'; status: 500 | 502 | 503 | 504 }
  /** HTTP 429 with `X-RateLimit-Limit/Remaining/Reset` (reset in ms); optionally `Retry-After` (raw header value). */
  | { type: 'rate_limit'; resetMs: number; retryAfter?: string }
  /** HTTP 418 with a fail[] item whose error code is `err_xdk_binding_expired`. */
  | { type: 'binding_expired' }
  /** HTTP 401 as if the token/signature were rejected. */
  | { type: 'unauthorized' }
  /** HTTP 200 whose `fail[]` holds one error (`retryable` as given), `data: []`. */
  | { type: 'fail'; retryable: boolean; code?: string }
  /** HTTP 200 with a body that is not valid JSON. */
  | { type: 'malformed_json' }
  /** Answer normally, but only after `delayMs` (use to trigger client timeouts). */
  | { type: 'slow'; delayMs: number }
  /** Destroy the socket without answering. */
  | { type: 'drop_connection' }
  /** Answer normally but reuse the page token of the request as `next` (a repeating token). */
  | { type: 'repeat_token' }
  /**
   * get-audit-events only: answer `data: []` with a fresh `next` token that resumes exactly where
   * the requested page would have started (from the top on a search's first request), so a
   * client that follows it loses nothing. `times: n` gives n consecutive empty pages, each with
   * its own distinct token.
   */
  | { type: 'empty_page' };

/** Which endpoint a scripted fault applies to. */
export type SimEndpoint = 'get-audit-events' | 'get-categories' | 'oauth-token';

/** A scripted fault: applies to the next `times` (default 1) matching requests, in FIFO order. */
export interface ScriptedFault {
  endpoint?: SimEndpoint | undefined; // default: get-audit-events
  fault: Fault;
  times?: number | undefined;
}

/** Random faults: each matching request gets one of `faults` with `probability` (seeded PRNG). */
export interface RandomFaults {
  probability: number;
  faults: Fault[];
  seed: number;
  endpoint?: SimEndpoint | undefined; // default: get-audit-events
}

/** One request as the simulator saw it (for tests asserting attempts). */
export interface SimRequestRecord {
  at: number; // the simulator's now (clock + clockOffsetMs), epoch ms
  endpoint: SimEndpoint | 'other';
  authMode: 'oauth2' | 'hmac' | 'none';
  status: number; // status answered (0 for a dropped connection)
  fault?: Fault['type'] | undefined;
  pageToken?: string | undefined;
  pageSize?: number | undefined;
  returned?: number | undefined; // events in the page
}

/** One class of late-indexed events: `share` (0..1) of the events become visible `delaySeconds` after their eventTime. */
export interface LateEventClass {
  share: number;
  delaySeconds: number;
}

/** A time range (epoch ms, half-open `[startMs, endMs)`) in which paging gets stuck (see `SimulatorOptions.stuckRanges`). */
export interface StuckRange {
  startMs: number;
  endMs: number;
}

/** How a simulator behaves. Every option is off (or the realistic default) unless set. */
export interface SimulatorOptions {
  /** Port on 127.0.0.1; default 0 (ephemeral). */
  port?: number;
  /** The simulator's notion of now; share one with the code under test to control time. Default: system clock. */
  clock?: Clock;
  /**
   * Mimecast's clock runs this many ms ahead of `clock` (negative: behind). Default 0. The
   * simulator's now is `clock.now() + clockOffsetMs` for everything: the HTTP `Date` header,
   * which generated events exist yet, when late events become visible, the history floor,
   * OAuth token expiry, HMAC `x-mc-date` skew checks, rate-limit refills and
   * `SimRequestRecord.at`. E.g. +40 min refuses a startDateTime 60 days minus 30 minutes before
   * `clock`; −10 min means generated events exist only up to `clock.now()` − 10 min.
   * Change it at run time with `setClockOffset`.
   */
  clockOffsetMs?: number;
  /** PRNG seed for events, ids, credentials and random faults. Default 1. */
  seed?: number;
  /** Average generated events per day (deterministic per seed; includes same-second bursts). Default DEFAULT_EVENTS_PER_DAY (1000). 0 = none. */
  eventsPerDay?: number;
  /** Share (0..1) of events generated in bursts that share one second. Default 0.2. */
  burstShare?: number;
  /** History kept and searchable, in days. Default 60: older `startDateTime` is answered with a validation fail[]. */
  historyDays?: number;
  /**
   * The fail[] error code for a `startDateTime` older than the history. Default
   * `err_validation_date_outside_retention`; e.g. `err_validation_date_range` to behave like
   * another Mimecast fake. Real Mimecast's code is unknown, so collectors must not depend on it.
   */
  retentionErrorCode?: string;
  /** OAuth token lifetime in seconds. Default 1799. */
  tokenTtlSeconds?: number;
  /** Max accepted |x-mc-date − now| for HMAC, seconds. Default 900. */
  maxClockSkewSeconds?: number;
  /** Token bucket per credential; `false` disables. Default { capacity: 50, refillPerSecond: 25 }. */
  rateLimit?: { capacity: number; refillPerSecond: number } | false;
  /**
   * Every get-audit-events page is answered this long after its request (ms), or when it is
   * ready if generating it takes longer. Default 0.
   */
  pageLatencyMs?: number;
  /** Page size cap. Default 500. */
  maxPageSize?: number;
  /**
   * Late indexing of generated events: each class's `share` (0..1) of the events becomes visible
   * only `delaySeconds` after its eventTime. One class or several (shares add up to ≤ 1; an
   * event is in at most one class). Which events are late is deterministic per seed, and
   * lateness never changes which events exist. Default none. For hand-made late events use
   * `addEvents(events, visibleAt)`.
   */
  lateEvents?: LateEventClass | readonly LateEventClass[];
  /**
   * A terminal empty page: the last data page of every search still carries a `next`, and
   * following it returns `data: []` with `next` equal to the token that was sent (the cursor
   * did not move: there is nothing more), however often it is followed. Default false.
   */
  emptyLastPageWithNext?: boolean;
  /**
   * Adversarial variant: the last data page carries a `next`, and every follow-up returns
   * `data: []` with yet another new token, forever (an endless chain a client must bound).
   * Takes precedence over `emptyLastPageWithNext`. Default false.
   */
  emptyTailWithNewTokens?: boolean;
  /**
   * Paging stuck for good: a search whose `[startDateTime, endDateTime]` overlaps one of these
   * ranges (`request.start < range.endMs` and `range.startMs < request.end`) and whose result
   * needs more than one page (at the request's page size) answers every request that carries a
   * pageToken with its normal data but `next` equal to the token sent, on every attempt. A
   * search that fits in one page is unaffected, so a collector can narrow its window until it
   * does. Default none; change at run time with `setStuckRanges`. The one-shot variant is the
   * `repeat_token` fault.
   */
  stuckRanges?: readonly StuckRange[];
  /** Credentials; defaults are derived from the seed. */
  credentials?: {
    oauth2?: { clientId: string; clientSecret: string };
    hmac?: { appId: string; appKey: string; accessKey: string; secretKey: string };
  };
}

/** A running simulator. */
export interface MimecastSimulator {
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string;
  /** Working secrets for each auth mode, in the JSON shapes of docs/deploy.md (with `baseUrl`). */
  readonly secrets: { oauth2: Omit<OAuthSecret, 'mode'>; hmac: Omit<HmacSecret, 'mode'> };
  /**
   * Every event it holds with `start ≤ eventTime < end`, oldest first, visible or not yet visible.
   * Events that have since left the `historyDays` window stay included (searches can no longer reach them).
   */
  groundTruth(start: Date, end: Date): RawAuditEvent[];
  /** Adds hand-made events (e.g. a burst on a window boundary, or malformed ones); `visibleAt` defaults to eventTime. */
  addEvents(events: RawAuditEvent[], visibleAt?: Date): void;
  /** Queue scripted faults. */
  scriptFaults(...faults: ScriptedFault[]): void;
  /** Set (or clear with `undefined`) random faults. */
  setRandomFaults(random: RandomFaults | undefined): void;
  /** Change latency at run time. */
  setPageLatency(ms: number): void;
  /** Change `clockOffsetMs` at run time (applies from the next request on). */
  setClockOffset(ms: number): void;
  /** Replace `stuckRanges` at run time (`[]` clears them). */
  setStuckRanges(ranges: readonly StuckRange[]): void;
  /** Requests seen so far (copy). */
  requests(): SimRequestRecord[];
  /** Forget recorded requests. */
  clearRequests(): void;
  /** Stop listening and close sockets. */
  close(): Promise<void>;
}
