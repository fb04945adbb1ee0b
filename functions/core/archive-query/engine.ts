/**
 * The archive-query port: what the API needs from a query engine. Two adapters implement it:
 * Athena (`athena-engine.ts`, in Lambda) and DuckDB over the local archive files (`local/`, for
 * `npm start`). Both run the SQL of `sql.ts`; both hand back records exactly as stored.
 */
import type { AuditRecord } from '#core/archive/record.js';
import type { ArchiveSql } from './sql.js';

/** Where an execution is. */
export type ArchiveQueryState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** Whose fault a failed execution is, as the engine says. */
export type ArchiveFailureCategory = 'user' | 'system' | 'unknown';

/** An execution's state and statistics (times in epoch ms, durations in ms). */
export interface ArchiveExecution {
  state: ArchiveQueryState;
  submittedAt?: number | undefined;
  completedAt?: number | undefined;
  /** Bytes the engine read (what Athena bills). */
  bytesScanned?: number | undefined;
  /** Records in the result, once it succeeded. */
  rows?: number | undefined;
  queueMs?: number | undefined;
  engineMs?: number | undefined;
  totalMs?: number | undefined;
  /** The result is a stored earlier one (Athena result reuse): nothing was scanned. */
  reusedResult?: boolean | undefined;
  failure?: { category: ArchiveFailureCategory; reason: string } | undefined;
}

/** One page of results. `nextToken` is absent on the last page. */
export interface ArchiveResultPage {
  records: AuditRecord[];
  nextToken?: string | undefined;
}

/** Options of a results read. */
export interface ArchivePageRequest {
  /** Most records on the page. */
  pageSize: number;
  /** The engine's token for the next page (absent: the first page). */
  token?: string | undefined;
}

/** The port. Failures are ArchiveEngineError; anything else is a bug. */
export interface ArchiveQueryEngine {
  /** Starts an execution and returns its id at once (nothing waits for the query to run). */
  start(sql: ArchiveSql, options: { clientToken: string }): Promise<string>;
  describe(executionId: string): Promise<ArchiveExecution>;
  /** A page of a succeeded execution's records, ordered as the SQL orders them. */
  results(executionId: string, page: ArchivePageRequest): Promise<ArchiveResultPage>;
  /** Cancels a queued or running execution; a finished one is left as it is. */
  cancel(executionId: string): Promise<void>;
}

/**
 * Why an engine call failed:
 * - `throttled`: the engine's rate or concurrency limit; retry after `retryAfterSeconds`;
 * - `not_found`: no such execution (in this workgroup);
 * - `not_ready`: results asked for before the execution succeeded;
 * - `invalid_token`: a page token the engine does not recognise;
 * - `unavailable`: the engine failed or could not be reached (permissions, outage, bad data).
 */
export type ArchiveEngineErrorKind =
  | 'throttled'
  | 'not_found'
  | 'not_ready'
  | 'invalid_token'
  | 'unavailable';

/** A failed engine call. `message` is safe to log; it never holds a secret. */
export class ArchiveEngineError extends Error {
  readonly kind: ArchiveEngineErrorKind;
  readonly retryAfterSeconds: number | undefined;
  constructor(
    kind: ArchiveEngineErrorKind,
    message: string,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ArchiveEngineError';
    this.kind = kind;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

/** Type guard for ArchiveEngineError. */
export const isArchiveEngineError = (err: unknown): err is ArchiveEngineError =>
  err instanceof ArchiveEngineError;
