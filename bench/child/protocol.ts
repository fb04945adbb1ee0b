/**
 * What the benchmark parent asks a child process to do and what the child answers. The parent
 * runs the simulator and the AWS stand-ins; the measured code runs in the child, so the
 * child's CPU time and memory are the product's alone. Both sides import these types; the
 * request travels as a JSON file (argv[2]) and the answer is written to another (argv[3]).
 */
import type { RunSummary } from '#core/sync/index.js';

/** A `get-audit-events` search the collector made (ISO instants). */
export interface RecordedQuery {
  start: string;
  end: string;
}

/** The clock shared by the simulator (parent) and the measured code (child). */
export interface SharedClock {
  /** Simulated "now" at `realStartMs`. */
  simEpochMs: number;
  /** The real Date.now() at which the simulated clock read `simEpochMs`. */
  realStartMs: number;
}

/** Collect mode: one sync run (real client, S3ObjectStore, DynamoCursorStore) until caught up. */
export interface CollectRequest {
  mode: 'collect';
  clock: SharedClock;
  /** The simulator's secret JSON (simulator-generated credentials, not a real secret). */
  secretJson: string;
  sourceId: string;
  lookbackDays: number;
  pageSize: number;
  budgetMs: number;
  /** Sample RSS every this many ms (0: no samples). */
  rssSampleMs: number;
}

/** Fetch-only mode: the same client draining the given searches, discarding the events. */
export interface FetchRequest {
  mode: 'fetch';
  clock: SharedClock;
  secretJson: string;
  pageSize: number;
  queries: RecordedQuery[];
}

/** Query mode: the query handler (in-process payload 2.0 events) vs. the client fetching the same page. */
export interface QueryRequest {
  mode: 'query';
  secretJson: string;
  start: string;
  end: string;
  pageSize: number;
  warmup: number;
  iterations: number;
}

/** Any request. */
export type ChildRequest = CollectRequest | FetchRequest | QueryRequest;

/** Memory figures of the child process, in kilobytes. */
export interface MemoryFigures {
  /** process.resourceUsage().maxRSS */
  maxRssKb: number;
  /** VmHWM from /proc/self/status (Linux), when readable. */
  vmHwmKb: number | null;
  /** RSS samples taken during the run (kB), when requested. */
  rssSamplesKb: number[];
}

/** The collector child's answer. */
export interface CollectResult {
  mode: 'collect';
  summary: RunSummary;
  runMs: number;
  queries: RecordedQuery[];
  pages: number;
  apiEvents: number;
  /** Sum of AuditEventPage.responseBytes of every page the collector fetched. */
  apiBytes: number;
  /** Bytes and objects the collector put to S3. */
  storedBytes: number;
  storedObjects: number;
  /**
   * Where the run's wall time went: waiting for Mimecast pages (request + JSON parse), S3
   * puts, cursor calls, and the rest (the engine's own CPU: filter, normalise, encode, gzip).
   */
  phases: { fetchMs: number; storeMs: number; cursorMs: number; otherMs: number };
  memory: MemoryFigures;
}

/** The fetch-only child's answer. */
export interface FetchResult {
  mode: 'fetch';
  runMs: number;
  pages: number;
  apiEvents: number;
  apiBytes: number;
  memory: MemoryFigures;
}

/** The query child's answer (per-iteration milliseconds, in the order taken). */
export interface QueryResult {
  mode: 'query';
  handlerMs: number[];
  directMs: number[];
  handlerEvents: number;
  directEvents: number;
  handlerStatuses: Record<string, number>;
}

/** Any answer. */
export type ChildResult = CollectResult | FetchResult | QueryResult;
