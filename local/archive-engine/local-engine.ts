/**
 * The archive-query port for `npm start`: the same SQL as Athena, run by DuckDB over the local
 * archive files (the S3 stand-in's directory), asynchronously, with results kept in memory and
 * paged by offset. Like Athena it answers `start` at once and lets the caller poll.
 */
import { randomUUID } from 'node:crypto';
import {
  ArchiveEngineError,
  type ArchiveExecution,
  type ArchivePageRequest,
  type ArchiveQueryEngine,
  type ArchiveResultPage,
} from '#core/archive-query/engine.js';
import { columnPositions, recordFromRow } from '#core/archive-query/records.js';
import type { ArchiveSql } from '#core/archive-query/sql.js';
import type { Clock } from '#core/ports.js';
import type { DuckDbArchive, DuckDbArchiveResult } from './duckdb-archive.js';

interface LocalExecution {
  id: string;
  clientToken: string;
  execution: ArchiveExecution;
  result?: DuckDbArchiveResult | undefined;
  controller: AbortController;
  done: Promise<void>;
}

/** Executions kept for reading; older ones are forgotten (a local session rarely runs this many). */
const MAX_KEPT_EXECUTIONS = 200;

/** Options of the local engine. */
export interface LocalArchiveEngineOptions {
  archive: DuckDbArchive;
  clock: Clock;
  /** The database the SQL runs in (the tables' DuckDB schema), as Athena's QueryExecutionContext. */
  database?: string | undefined;
}

/** DuckDB over the local archive. */
export class LocalArchiveEngine implements ArchiveQueryEngine {
  private readonly executions = new Map<string, LocalExecution>();
  private gate: { promise: Promise<void>; open(): void } | undefined;

  constructor(private readonly options: LocalArchiveEngineOptions) {}

  async start(sql: ArchiveSql, options: { clientToken: string }): Promise<string> {
    for (const existing of this.executions.values()) {
      if (existing.clientToken === options.clientToken) return existing.id;
    }
    const id = randomUUID();
    const controller = new AbortController();
    const execution: ArchiveExecution = { state: 'queued', submittedAt: this.options.clock.now() };
    const entry: LocalExecution = {
      id,
      clientToken: options.clientToken,
      execution,
      controller,
      done: Promise.resolve(),
    };
    entry.done = this.run(entry, sql);
    this.executions.set(id, entry);
    this.forgetOldest();
    return id;
  }

  /** Keeps new executions queued until release() (lets tests see a query before it finishes). */
  hold(): void {
    if (this.gate !== undefined) return;
    let open = (): void => undefined;
    const promise = new Promise<void>((resolve) => {
      open = resolve;
    });
    this.gate = { promise, open };
  }

  /** Lets held executions run. */
  release(): void {
    this.gate?.open();
    this.gate = undefined;
  }

  /** Settles when the execution has finished, whichever way (tests and the CLI's local mode). */
  async settled(executionId: string): Promise<void> {
    await this.entry(executionId).done;
  }

  async describe(executionId: string): Promise<ArchiveExecution> {
    return { ...this.entry(executionId).execution };
  }

  async results(executionId: string, page: ArchivePageRequest): Promise<ArchiveResultPage> {
    const entry = this.entry(executionId);
    const { result } = entry;
    if (entry.execution.state !== 'succeeded' || result === undefined) {
      throw new ArchiveEngineError('not_ready', `execution is ${entry.execution.state}`);
    }
    let offset = 0;
    if (page.token !== undefined) {
      offset = Number(page.token);
      // The engine's tokens are offsets it handed out: always inside the result, never 0.
      if (!/^[1-9][0-9]{0,8}$/.test(page.token) || offset >= result.rows.length) {
        throw new ArchiveEngineError('invalid_token', 'not a page token of this execution');
      }
    }
    const positions = columnPositions(result.columns.map((c) => c.name));
    const rows = result.rows.slice(offset, offset + page.pageSize);
    const next = offset + rows.length;
    return {
      records: rows.map((row) => recordFromRow(row, positions)),
      nextToken: next < result.rows.length ? String(next) : undefined,
    };
  }

  async cancel(executionId: string): Promise<void> {
    const entry = this.entry(executionId);
    if (entry.execution.state === 'queued' || entry.execution.state === 'running') entry.controller.abort();
    await entry.done;
  }

  private entry(executionId: string): LocalExecution {
    const entry = this.executions.get(executionId);
    if (entry === undefined)
      throw new ArchiveEngineError('not_found', `execution ${executionId} was not found`);
    return entry;
  }

  private async run(entry: LocalExecution, sql: ArchiveSql): Promise<void> {
    // Like Athena, nothing runs before `start` has answered.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const gate = this.gate?.promise;
    if (gate !== undefined) await Promise.race([gate, abortion(entry.controller.signal)]);
    const { clock, archive, database } = this.options;
    const { execution } = entry;
    if (entry.controller.signal.aborted) {
      Object.assign(execution, { state: 'cancelled', completedAt: clock.now() });
      return;
    }
    const started = clock.now();
    Object.assign(execution, { state: 'running', queueMs: started - (execution.submittedAt ?? started) });
    try {
      const result = await archive.execute(
        sql.text,
        sql.parameters.map((p) => p.value),
        { signal: entry.controller.signal, database },
      );
      entry.result = result;
      const completedAt = clock.now();
      Object.assign(execution, {
        state: 'succeeded',
        completedAt,
        bytesScanned: result.bytesScanned,
        rows: result.rows.length,
        engineMs: completedAt - started,
        totalMs: completedAt - (execution.submittedAt ?? started),
      });
    } catch (err: unknown) {
      const completedAt = clock.now();
      if (entry.controller.signal.aborted) {
        Object.assign(execution, { state: 'cancelled', completedAt });
        return;
      }
      Object.assign(execution, {
        state: 'failed',
        completedAt,
        failure: { category: 'user', reason: err instanceof Error ? err.message : String(err) },
      });
    }
  }

  private forgetOldest(): void {
    while (this.executions.size > MAX_KEPT_EXECUTIONS) {
      const oldest = this.executions.keys().next().value;
      if (oldest === undefined) return;
      this.executions.delete(oldest);
    }
  }
}

/** Resolves when `signal` aborts (a held execution can still be cancelled). */
function abortion(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
