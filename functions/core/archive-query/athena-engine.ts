/**
 * The archive-query port on Amazon Athena: StartQueryExecution with execution parameters,
 * GetQueryExecution (+ GetQueryRuntimeStatistics for the row count), GetQueryResults with
 * NextToken, StopQueryExecution. The workgroup enforces its own result location, encryption
 * and bytes-scanned cutoff, so nothing here can widen them.
 */
import {
  type AthenaClient,
  GetQueryExecutionCommand,
  type GetQueryExecutionCommandOutput,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  GetQueryRuntimeStatisticsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import {
  ArchiveEngineError,
  type ArchiveExecution,
  type ArchiveFailureCategory,
  type ArchivePageRequest,
  type ArchiveQueryEngine,
  type ArchiveQueryState,
  type ArchiveResultPage,
} from './engine.js';
import { columnPositions, recordFromRow, UnreadableRowError } from './records.js';
import { type ArchiveSql, athenaLiteral } from './sql.js';

/** Where queries run. */
export interface AthenaEngineSettings {
  workGroup: string;
  database: string;
  /** Data catalog (Athena's default `AwsDataCatalog`). */
  catalog: string;
  /** Reuse a stored result of the same query up to this age; 0 turns reuse off (at most 7 days). */
  resultReuseMinutes: number;
}

/** GetQueryResults returns at most this many rows per call (the API's MaxResults maximum). */
export const ATHENA_MAX_RESULTS = 1_000;

/** Athena's wait before a throttled client tries again is not given; a couple of seconds is its usual scale. */
const THROTTLED_RETRY_SECONDS = 2;

const STATES: Record<string, ArchiveQueryState> = {
  QUEUED: 'queued',
  RUNNING: 'running',
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
};

// AthenaError.ErrorCategory: 1 system, 2 user, 3 other (Athena API reference, AthenaError).
const CATEGORIES: Record<number, ArchiveFailureCategory> = { 1: 'system', 2: 'user' };

const THROTTLING = new Set(['TooManyRequestsException', 'ThrottlingException']);

const errorName = (err: unknown): string => (err instanceof Error ? err.name : 'UnknownError');
const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** SDK failure → port error (the SDK's own retries have already been spent). */
function engineError(err: unknown, action: string): ArchiveEngineError {
  const name = errorName(err);
  const message = errorMessage(err);
  if (THROTTLING.has(name)) {
    return new ArchiveEngineError('throttled', `Athena throttled ${action} (${name})`, {
      cause: err,
      retryAfterSeconds: THROTTLED_RETRY_SECONDS,
    });
  }
  if (name === 'InvalidRequestException') {
    if (/not found/i.test(message))
      return new ArchiveEngineError('not_found', `Athena: ${message}`, { cause: err });
    if (/not yet finished|has not (yet )?(finished|completed)/i.test(message)) {
      return new ArchiveEngineError('not_ready', `Athena: ${message}`, { cause: err });
    }
    if (/token/i.test(message))
      return new ArchiveEngineError('invalid_token', `Athena: ${message}`, { cause: err });
  }
  return new ArchiveEngineError('unavailable', `Athena ${action} failed (${name}): ${message}`, {
    cause: err,
  });
}

const millis = (date: Date | undefined): number | undefined =>
  date === undefined ? undefined : date.getTime();

/** The port's view of a GetQueryExecution answer. */
export function toExecution(output: GetQueryExecutionCommandOutput): ArchiveExecution {
  const execution = output.QueryExecution;
  const status = execution?.Status;
  const state = STATES[status?.State ?? ''];
  if (state === undefined) {
    throw new ArchiveEngineError(
      'unavailable',
      `Athena reported an unknown state (${String(status?.State)})`,
    );
  }
  const stats = execution?.Statistics;
  const failed = state === 'failed';
  return {
    state,
    submittedAt: millis(status?.SubmissionDateTime),
    completedAt: millis(status?.CompletionDateTime),
    bytesScanned: stats?.DataScannedInBytes,
    queueMs: stats?.QueryQueueTimeInMillis,
    engineMs: stats?.EngineExecutionTimeInMillis,
    totalMs: stats?.TotalExecutionTimeInMillis,
    reusedResult: stats?.ResultReuseInformation?.ReusedPreviousResult,
    failure: failed
      ? {
          category: CATEGORIES[status?.AthenaError?.ErrorCategory ?? 0] ?? 'unknown',
          reason: status?.StateChangeReason ?? status?.AthenaError?.ErrorMessage ?? 'Athena gave no reason',
        }
      : undefined,
  };
}

/** Archive queries on Athena. */
export class AthenaArchiveEngine implements ArchiveQueryEngine {
  constructor(
    private readonly athena: AthenaClient,
    private readonly settings: AthenaEngineSettings,
  ) {}

  async start(sql: ArchiveSql, options: { clientToken: string }): Promise<string> {
    const reuse = this.settings.resultReuseMinutes;
    try {
      const output = await this.athena.send(
        new StartQueryExecutionCommand({
          QueryString: sql.text,
          ExecutionParameters: sql.parameters.map(athenaLiteral),
          QueryExecutionContext: { Database: this.settings.database, Catalog: this.settings.catalog },
          WorkGroup: this.settings.workGroup,
          // Idempotency: an SDK retry of this very call cannot start a second execution.
          ClientRequestToken: options.clientToken,
          ...(reuse > 0
            ? {
                ResultReuseConfiguration: {
                  ResultReuseByAgeConfiguration: { Enabled: true, MaxAgeInMinutes: reuse },
                },
              }
            : {}),
        }),
      );
      if (!output.QueryExecutionId)
        throw new ArchiveEngineError('unavailable', 'Athena returned no execution id');
      return output.QueryExecutionId;
    } catch (err: unknown) {
      if (err instanceof ArchiveEngineError) throw err;
      throw engineError(err, 'StartQueryExecution');
    }
  }

  async describe(executionId: string): Promise<ArchiveExecution> {
    let execution: ArchiveExecution;
    try {
      execution = toExecution(
        await this.athena.send(new GetQueryExecutionCommand({ QueryExecutionId: executionId })),
      );
    } catch (err: unknown) {
      if (err instanceof ArchiveEngineError) throw err;
      throw engineError(err, 'GetQueryExecution');
    }
    if (execution.state === 'succeeded') execution.rows = await this.outputRows(executionId);
    return execution;
  }

  /** The result's row count; statistics are informative, so a failure to read them is not an error. */
  private async outputRows(executionId: string): Promise<number | undefined> {
    try {
      const output = await this.athena.send(
        new GetQueryRuntimeStatisticsCommand({ QueryExecutionId: executionId }),
      );
      return output.QueryRuntimeStatistics?.Rows?.OutputRows;
    } catch {
      return undefined;
    }
  }

  async results(executionId: string, page: ArchivePageRequest): Promise<ArchiveResultPage> {
    const first = page.token === undefined;
    // The first page of a SELECT starts with a header row that counts toward MaxResults.
    const maxResults = Math.min(ATHENA_MAX_RESULTS, page.pageSize + (first ? 1 : 0));
    let output: GetQueryResultsCommandOutput;
    try {
      output = await this.athena.send(
        new GetQueryResultsCommand({
          QueryExecutionId: executionId,
          MaxResults: maxResults,
          NextToken: page.token,
        }),
      );
    } catch (err: unknown) {
      throw engineError(err, 'GetQueryResults');
    }
    const labels = (output.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map(
      (c) => c.Label ?? c.Name ?? '',
    );
    let rows = (output.ResultSet?.Rows ?? []).map((row) =>
      (row.Data ?? []).map((datum) => datum.VarCharValue ?? null),
    );
    try {
      const positions = columnPositions(labels);
      // The header holds the labels themselves; no stored record can look like it (id "id"…).
      const [head] = rows;
      if (first && head !== undefined && labels.every((label, i) => head[i] === label)) rows = rows.slice(1);
      const records = rows.map((values) => recordFromRow(values, positions));
      return { records, nextToken: output.NextToken || undefined };
    } catch (err: unknown) {
      if (err instanceof UnreadableRowError) {
        throw new ArchiveEngineError('unavailable', `Athena returned an unreadable result: ${err.message}`, {
          cause: err,
        });
      }
      throw err;
    }
  }

  async cancel(executionId: string): Promise<void> {
    try {
      await this.athena.send(new StopQueryExecutionCommand({ QueryExecutionId: executionId }));
    } catch (err: unknown) {
      throw engineError(err, 'StopQueryExecution');
    }
  }
}
