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
  | { type: 'repeat_token' };

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
  at: number; // simulator clock, epoch ms
  endpoint: SimEndpoint | 'other';
  authMode: 'oauth2' | 'hmac' | 'none';
  status: number; // status answered (0 for a dropped connection)
  fault?: Fault['type'] | undefined;
  pageToken?: string | undefined;
  pageSize?: number | undefined;
  returned?: number | undefined; // events in the page
}

export interface SimulatorOptions {
  /** Port on 127.0.0.1; default 0 (ephemeral). */
  port?: number;
  /** The simulator's notion of now; share one with the code under test to control time. Default: system clock. */
  clock?: Clock;
  /** PRNG seed for events, ids, credentials and random faults. Default 1. */
  seed?: number;
  /** Average generated events per day (deterministic per seed; includes same-second bursts). Default 2000. 0 = none. */
  eventsPerDay?: number;
  /** Share (0..1) of events generated in bursts that share one second. Default 0.2. */
  burstShare?: number;
  /** History kept and searchable, in days. Default 60: older `startDateTime` is answered with a validation fail[]. */
  historyDays?: number;
  /** OAuth token lifetime in seconds. Default 1799. */
  tokenTtlSeconds?: number;
  /** Max accepted |x-mc-date − now| for HMAC, seconds. Default 900. */
  maxClockSkewSeconds?: number;
  /** Token bucket per credential; `false` disables. Default { capacity: 50, refillPerSecond: 25 }. */
  rateLimit?: { capacity: number; refillPerSecond: number } | false;
  /** Added latency for every get-audit-events page, ms. Default 0. */
  pageLatencyMs?: number;
  /** Page size cap. Default 500. */
  maxPageSize?: number;
  /** Late arrivals: this share (0..1) of generated events becomes visible only `delaySeconds` after its eventTime. Default none. */
  lateEvents?: { share: number; delaySeconds: number };
  /** When true, the last page of every search still carries a `next`, and following it returns `data: []` with `next` set. */
  emptyLastPageWithNext?: boolean;
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
  /** Working secrets for each auth mode, in the JSON shapes of DESIGN.md (with `baseUrl`). */
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
  /** Requests seen so far (copy). */
  requests(): SimRequestRecord[];
  /** Forget recorded requests. */
  clearRequests(): void;
  /** Stop listening and close sockets. */
  close(): Promise<void>;
}
