/**
 * The archive query routes: start (POST), state and statistics (GET), results (GET …/results)
 * and cancel (DELETE). Nothing here waits for a query to run: API Gateway gives an integration
 * 30 s, an archive query may take minutes, so a client polls the state and then pages results.
 *
 * Isolation: a query is found only through the registry record its start wrote, and only by
 * the caller who started it (and, on `/v1/sources/{source}/…` routes, only when it reads exactly
 * that source). Everything else is "no such query" (404), so ids reveal nothing.
 */
import { createHash } from 'node:crypto';
import {
  type ArchiveExecution,
  type ArchiveQueryEngine,
  isArchiveEngineError,
} from '#core/archive-query/engine.js';
import {
  type ArchiveQueryRecord,
  type ArchiveQueryRegistry,
  isArchiveQueryId,
  newArchiveQueryId,
} from '#core/archive-query/registry.js';
import { type ArchiveQueryRequest, DEFAULT_ARCHIVE_LIMIT } from '#core/archive-query/request.js';
import { buildArchiveSql } from '#core/archive-query/sql.js';
import type { SourceConfig } from '#core/config/env.js';
import type { Clock } from '#core/ports.js';
import { decodeArchivePageToken, encodeArchivePageToken } from './archive-page-token.js';
import {
  type ArchiveQueryBody,
  archiveQueryBodySchema,
  DEFAULT_ARCHIVE_PAGE_SIZE,
  validateBody,
} from './archive-params.js';
import type { QueryLogger } from './context.js';
import { HttpProblem, invalidRequest, type ProblemSpec, ProblemType, printable } from './problem.js';
import { formatTimestamp } from './timestamps.js';

/** What the archive routes need. */
export interface ArchiveRouteDeps {
  engine: ArchiveQueryEngine;
  registry: ArchiveQueryRegistry;
  /** The table (or view) the SQL reads. */
  table: string;
  /** Days a query (and its id) stays readable. */
  retentionDays: number;
  /** The sources served (fleet mode: every registry source, disabled ones too: their archive stays). */
  sources: readonly Pick<SourceConfig, 'id'>[];
  clock: Clock;
  logger: QueryLogger;
}

/** Who is asking, and through which route. */
export interface ArchiveCall {
  owner: string;
  requestId: string;
  /** The `{source}` of a `/v1/sources/{source}/archive/…` route. */
  scopedSource?: string | undefined;
}

/** A route's answer before it becomes an HTTP response. */
export interface RouteResult {
  status: number;
  body: unknown;
  headers?: Record<string, string> | undefined;
}

const ARCHIVE_BODY_FIELDS = [
  'start',
  'end',
  'sources',
  'categories',
  'auditTypes',
  'actor',
  'ip',
  'text',
  'limit',
];

/** Seconds a client should wait before polling a running query again. */
const POLL_AFTER_SECONDS = 2;

const notFound = (): HttpProblem =>
  new HttpProblem({
    status: 404,
    type: ProblemType.notFound,
    title: 'No such archive query',
    detail:
      'No archive query with this id was started by you here (ids are per caller and expire). Start one with POST.',
  });

/** The registry could not be read or written. */
const registryUnavailable = (): HttpProblem =>
  new HttpProblem({
    status: 503,
    type: ProblemType.archiveUnavailable,
    title: 'Archive queries unavailable',
    detail:
      'The query registry could not be reached. Retry shortly; if it persists, check the function logs.',
    headers: { 'retry-after': '5' },
  });

/** An engine failure as the caller sees it (Athena's own reason when it is the caller's to act on). */
function engineProblem(err: unknown, logger: QueryLogger, requestId: string): HttpProblem {
  if (!isArchiveEngineError(err)) throw err;
  logger.warn('archive engine failure', { requestId, kind: err.kind, error: err.message });
  switch (err.kind) {
    case 'throttled': {
      const seconds = err.retryAfterSeconds ?? POLL_AFTER_SECONDS;
      return new HttpProblem({
        status: 429,
        type: ProblemType.archiveThrottled,
        title: 'Archive engine busy',
        detail: `Athena is throttling requests or has too many queries running. Retry after ${seconds} second${seconds === 1 ? '' : 's'}.`,
        headers: { 'retry-after': String(seconds) },
      });
    }
    case 'not_found':
      return notFound();
    case 'invalid_token':
      return new HttpProblem(
        invalidRequest([{ field: 'pageToken', message: 'is not a page token of this query' }]),
      );
    default:
      return new HttpProblem({
        status: 502,
        type: ProblemType.archiveUnavailable,
        title: 'Archive engine failed',
        detail:
          'The query engine failed to answer. Retry shortly; if it persists, the operator will find the reason in the function logs.',
      });
  }
}

/** The links of a query, under the route family it was reached through. */
function links(id: string, call: ArchiveCall): { self: string; results: string } {
  const base =
    call.scopedSource === undefined
      ? '/v1/archive/queries'
      : `/v1/sources/${call.scopedSource}/archive/queries`;
  return { self: `${base}/${id}`, results: `${base}/${id}/results` };
}

/** The stored request as the API shows it (times as ISO 8601 UTC). */
function presentRequest(request: ArchiveQueryRequest): Record<string, unknown> {
  return {
    start: formatTimestamp(request.start),
    end: formatTimestamp(request.end),
    sources: request.sources,
    ...(request.categories ? { categories: request.categories } : {}),
    ...(request.auditTypes ? { auditTypes: request.auditTypes } : {}),
    ...(request.actor !== undefined ? { actor: request.actor } : {}),
    ...(request.ip !== undefined ? { ip: request.ip } : {}),
    ...(request.text !== undefined ? { text: request.text } : {}),
    limit: request.limit,
  };
}

/** The archive routes of one deployment. */
export class ArchiveRoutes {
  private readonly bodySchema;

  constructor(private readonly deps: ArchiveRouteDeps) {
    this.bodySchema = archiveQueryBodySchema(deps.sources.map((s) => s.id));
  }

  /** The body schema (for the OpenAPI document). */
  get schema() {
    return this.bodySchema;
  }

  /** POST: validates, starts the execution, records who owns it; 202 with the id. */
  async start(call: ArchiveCall, body: unknown): Promise<RouteResult> {
    const validated = validateBody(this.bodySchema, ARCHIVE_BODY_FIELDS, body);
    if (!validated.ok) throw new HttpProblem(invalidRequest(validated.errors));
    const request = this.toRequest(validated.value, call);
    const { engine, registry, clock, logger } = this.deps;
    const id = newArchiveQueryId();
    const sql = buildArchiveSql(request, this.deps.table);
    let executionId: string;
    try {
      // Derived from the fresh id: an SDK retry of this call starts no second execution.
      executionId = await engine.start(sql, { clientToken: createHash('sha256').update(id).digest('hex') });
    } catch (err: unknown) {
      throw engineProblem(err, logger, call.requestId);
    }
    const createdAt = clock.now();
    const record: ArchiveQueryRecord = { id, executionId, owner: call.owner, request, createdAt };
    try {
      await registry.put(record, this.deps.retentionDays * 86_400);
    } catch (err: unknown) {
      logger.error('archive query registry write failed', { requestId: call.requestId, error: err });
      // Nobody could ever read this execution: stop it rather than pay for it.
      await engine.cancel(executionId).catch(() => undefined);
      throw registryUnavailable();
    }
    logger.info('archive query started', {
      requestId: call.requestId,
      queryId: id,
      executionId,
      sources: request.sources,
    });
    const where = links(id, call);
    return {
      status: 202,
      body: {
        id,
        state: 'queued',
        submittedAt: formatTimestamp(createdAt),
        query: presentRequest(request),
        links: where,
      },
      headers: { location: where.self },
    };
  }

  /** GET {id}: state and statistics. */
  async describe(call: ArchiveCall, id: string): Promise<RouteResult> {
    const record = await this.load(call, id);
    const execution = await this.execution(call, record);
    return { status: 200, body: this.present(record, execution, call) };
  }

  /** GET {id}/results: one page of records, once the query succeeded. */
  async results(
    call: ArchiveCall,
    id: string,
    params: { pageSize?: number | undefined; pageToken?: string | undefined },
  ): Promise<RouteResult> {
    const record = await this.load(call, id);
    let engineToken: string | undefined;
    if (params.pageToken !== undefined) {
      const decoded = decodeArchivePageToken(params.pageToken, id);
      if (!decoded.ok) {
        const message =
          decoded.reason === 'foreign'
            ? 'belongs to another archive query'
            : 'is not a page token issued by this API';
        throw new HttpProblem(invalidRequest([{ field: 'pageToken', message }]));
      }
      engineToken = decoded.engineToken;
    }
    const execution = await this.execution(call, record);
    if (execution.state !== 'succeeded') throw new HttpProblem(this.notReady(execution));
    try {
      const page = await this.deps.engine.results(record.executionId, {
        pageSize: params.pageSize ?? DEFAULT_ARCHIVE_PAGE_SIZE,
        token: engineToken,
      });
      return {
        status: 200,
        body: {
          events: page.records,
          ...(page.nextToken === undefined
            ? {}
            : { nextPageToken: encodeArchivePageToken(id, page.nextToken) }),
        },
      };
    } catch (err: unknown) {
      throw engineProblem(err, this.deps.logger, call.requestId);
    }
  }

  /** DELETE {id}: cancels a queued or running query; a finished one is reported as it is. */
  async cancel(call: ArchiveCall, id: string): Promise<RouteResult> {
    const record = await this.load(call, id);
    let execution = await this.execution(call, record);
    if (execution.state === 'queued' || execution.state === 'running') {
      try {
        await this.deps.engine.cancel(record.executionId);
      } catch (err: unknown) {
        throw engineProblem(err, this.deps.logger, call.requestId);
      }
      this.deps.logger.info('archive query cancelled', { requestId: call.requestId, queryId: id });
      execution = await this.execution(call, record);
    }
    return { status: 200, body: this.present(record, execution, call) };
  }

  private toRequest(body: ArchiveQueryBody, call: ArchiveCall): ArchiveQueryRequest {
    let sources = body.sources ?? this.deps.sources.map((s) => s.id);
    if (call.scopedSource !== undefined) {
      if (body.sources !== undefined && (sources.length !== 1 || sources[0] !== call.scopedSource)) {
        throw new HttpProblem(
          invalidRequest([
            {
              field: 'sources',
              message: `must be omitted or exactly ["${call.scopedSource}"] on this route`,
            },
          ]),
        );
      }
      sources = [call.scopedSource];
    }
    if (sources.length === 0) {
      // Fleet mode with an empty registry: nothing to search.
      throw new HttpProblem({
        status: 404,
        type: ProblemType.notFound,
        title: 'Not found',
        detail: 'No source is configured yet; add one to the source registry first.',
      });
    }
    return {
      start: body.start,
      end: body.end,
      sources,
      categories: body.categories,
      auditTypes: body.auditTypes,
      actor: body.actor,
      ip: body.ip,
      text: body.text,
      limit: body.limit ?? DEFAULT_ARCHIVE_LIMIT,
    };
  }

  private async load(call: ArchiveCall, id: string): Promise<ArchiveQueryRecord> {
    if (!isArchiveQueryId(id)) throw notFound();
    let record: ArchiveQueryRecord | undefined;
    try {
      record = await this.deps.registry.get(id);
    } catch (err: unknown) {
      this.deps.logger.error('archive query registry read failed', { requestId: call.requestId, error: err });
      throw registryUnavailable();
    }
    if (record === undefined || record.owner !== call.owner) throw notFound();
    const { sources } = record.request;
    if (call.scopedSource !== undefined && (sources.length !== 1 || sources[0] !== call.scopedSource))
      throw notFound();
    return record;
  }

  private async execution(call: ArchiveCall, record: ArchiveQueryRecord): Promise<ArchiveExecution> {
    try {
      return await this.deps.engine.describe(record.executionId);
    } catch (err: unknown) {
      throw engineProblem(err, this.deps.logger, call.requestId);
    }
  }

  private notReady(execution: ArchiveExecution): ProblemSpec {
    if (execution.state === 'cancelled') {
      return {
        status: 409,
        type: ProblemType.archiveQueryCancelled,
        title: 'Archive query cancelled',
        detail: 'The query was cancelled before it finished, so it has no results. Start a new query.',
      };
    }
    if (execution.state === 'failed') {
      const reason = printable(execution.failure?.reason ?? 'no reason given', 500);
      const byCaller = execution.failure?.category === 'user';
      return {
        status: byCaller ? 422 : 502,
        type: ProblemType.archiveQueryFailed,
        title: 'Archive query failed',
        detail: byCaller
          ? `The query failed: ${reason}. Narrow it (a shorter range, fewer sources) or ask the operator about the workgroup's scan limit.`
          : `The query engine failed: ${reason}. Retry the query; if it fails again, report the request id to the operator.`,
      };
    }
    return {
      status: 409,
      type: ProblemType.archiveQueryNotFinished,
      title: 'Archive query not finished',
      detail: `The query is ${execution.state}; poll its state until it is "succeeded", then read the results.`,
      headers: { 'retry-after': String(POLL_AFTER_SECONDS) },
    };
  }

  private present(
    record: ArchiveQueryRecord,
    execution: ArchiveExecution,
    call: ArchiveCall,
  ): Record<string, unknown> {
    const stats = {
      ...(execution.bytesScanned === undefined ? {} : { bytesScanned: execution.bytesScanned }),
      ...(execution.rows === undefined ? {} : { rows: execution.rows }),
      ...(execution.queueMs === undefined ? {} : { queueMs: execution.queueMs }),
      ...(execution.engineMs === undefined ? {} : { engineMs: execution.engineMs }),
      ...(execution.totalMs === undefined ? {} : { totalMs: execution.totalMs }),
      ...(execution.reusedResult === undefined ? {} : { resultReused: execution.reusedResult }),
    };
    return {
      id: record.id,
      state: execution.state,
      submittedAt: formatTimestamp(record.createdAt),
      ...(execution.completedAt === undefined ? {} : { completedAt: formatTimestamp(execution.completedAt) }),
      query: presentRequest(record.request),
      statistics: stats,
      ...(execution.failure === undefined
        ? {}
        : {
            error: { category: execution.failure.category, reason: printable(execution.failure.reason, 500) },
          }),
      links: links(record.id, call),
    };
  }
}
