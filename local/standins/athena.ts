/**
 * Athena stand-in: a loopback HTTP server speaking Athena's JSON 1.1 protocol (`POST /`,
 * `X-Amz-Target: AmazonAthena.<Operation>`) as the real `@aws-sdk/client-athena` sends it, for
 * the operations the product's Athena adapter uses — StartQueryExecution, GetQueryExecution,
 * GetQueryResults, StopQueryExecution, GetQueryRuntimeStatistics — and GetWorkGroup. The SQL runs
 * in DuckDB over the stand-in S3's files (DuckDbArchive), so the SDK client, its retries and
 * pagination, and the result-type conversion are exercised end to end.
 *
 * Emulated as Athena behaves (the adapter relies on it): executions are asynchronous (QUEUED →
 * RUNNING → SUCCEEDED / FAILED / CANCELLED); execution parameters are SQL literal text (a
 * string passed quoted, `'usa'`; a number bare, `12`), parsed strictly here and *bound*, never
 * spliced into the SQL; a parameter count that does not match the `?` placeholders fails the
 * execution; the first result page starts with a header row that counts toward MaxResults;
 * NextToken is opaque and tied to its execution; ClientRequestToken makes Start idempotent;
 * result reuse by age; the workgroup's per-query bytes-scanned cutoff. DataScannedInBytes is the
 * size of the objects DuckDB opened, so partition pruning shows as it does in Athena.
 *
 * Test controls (hold/release, whenSettled, failNext, throttle, the request log) let
 * integration tests observe states and inject failures without sleeping. Signatures are not
 * checked (as in the other stand-ins), but a request must carry an Authorization header.
 */
import { randomUUID } from 'node:crypto';
import type { Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { DuckDbArchive, type DuckDbArchiveColumn } from '../archive-engine/duckdb-archive.js';
import { answerJson, readJsonObject } from './json-protocol.js';
import { closeServer, endpointOf, listenOnLoopback } from './net.js';

const TARGET_PREFIX = 'AmazonAthena.';
const ENGINE_VERSION = 'Athena engine version 3';
const DEFAULT_CATALOG = 'AwsDataCatalog';
/** Athena's defaults and limits (API reference: StartQueryExecution, GetQueryResults, ResultReuseByAgeConfiguration). */
const LIMITS = {
  queryStringBytes: 262_144,
  parameterChars: 1024,
  tokenMin: 32,
  tokenMax: 128,
  maxResults: 1000,
  reuseDefaultMinutes: 60,
  reuseMaxMinutes: 10_080,
} as const;
/** Settled executions kept (oldest dropped first), so a long `npm start` does not keep every result. */
const MAX_EXECUTIONS = 1000;
/** Requests kept in the log (oldest dropped first), for the same reason. */
const MAX_LOGGED_REQUESTS = 10_000;
/** AthenaError.ErrorType 1000: "User error"; 100: "Internal service error" (Athena error catalog). */
const USER_ERROR_TYPE = 1000;
const SYSTEM_ERROR_TYPE = 100;

/** Where one table's objects are: see DuckDbArchiveTable. */
export interface AthenaTableLocation {
  /** The directory holding `source=<id>/dt=<day>/` (s3rverTableRoot gives it for an S3 prefix). */
  root: string;
  /** Object file name ending, e.g. S3RVER_OBJECT_SUFFIX. */
  suffix: string;
  /** Whether a file is a complete object (s3rverObjectReady for s3rver's files). */
  ready?: ((path: string, stats: Stats) => boolean | Promise<boolean>) | undefined;
}

/** One workgroup. */
export interface AthenaWorkGroupOptions {
  name: string;
  /** `s3://bucket/prefix/`: each execution's OutputLocation is `<this><id>.csv`. */
  outputLocation: string;
  /** Executions scanning more bytes than this fail, as Athena cancels them. */
  bytesScannedCutoffPerQuery?: number | undefined;
  /** Client-side ResultConfiguration is ignored when true (EnforceWorkGroupConfiguration). */
  enforce?: boolean | undefined;
}

/** Options of startAthena. */
export interface AthenaStandinOptions {
  /** Glue catalog: database → table → files. */
  catalog: Record<string, Record<string, AthenaTableLocation>>;
  workGroups: readonly AthenaWorkGroupOptions[];
  /**
   * The executor; one over `catalog` (each database a DuckDB schema) is created when absent.
   * A given one must define the catalog's tables with `database` set, and is not closed by the
   * stand-in.
   */
  archive?: DuckDbArchive | undefined;
}

/** Execution states, as Athena names them. */
export type AthenaQueryState = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

/** A failure to inject with failNext. */
export interface AthenaInjectedFailure {
  reason: string;
  /** AthenaError.ErrorCategory: 1 SYSTEM, 2 USER, 3 OTHER. */
  category: 1 | 2 | 3;
  errorType: number;
  /** AthenaError.Retryable; true for SYSTEM failures unless given. */
  retryable?: boolean | undefined;
}

/** One request the stand-in received. */
export interface AthenaRequestRecord {
  operation: string;
  body: Record<string, unknown>;
  /** Answered with the throttling error by throttle(). */
  throttled: boolean;
}

/** A running Athena stand-in. */
export interface AthenaStandin {
  /** `http://127.0.0.1:<port>`: the client's `endpoint` (or AWS_ENDPOINT_URL_ATHENA). */
  endpoint: string;
  /** The requests received, in order (operation and parsed body; the latest 10 000). */
  readonly requests: AthenaRequestRecord[];
  /**
   * Holds new executions before they run: in QUEUED (default) or, with `'RUNNING'`, already
   * RUNNING when StartQueryExecution answers, so tests observe either state and cancel it.
   */
  hold(stage?: 'QUEUED' | 'RUNNING'): void;
  /** Ends hold() and runs the executions it held. */
  release(): void;
  /** Resolves with the execution's final state; rejects for an unknown id. */
  whenSettled(executionId: string): Promise<AthenaQueryState>;
  /** The next execution that would run fails with this instead. */
  failNext(failure: AthenaInjectedFailure): void;
  /** The next `count` API calls answer HTTP 400 with `code` (a throttling error the SDK retries). */
  throttle(count: number, code?: string): void;
  close(): Promise<void>;
}

/** s3rver's file name ending for an archive object (`<key>._S3rver_object`). */
export const S3RVER_OBJECT_SUFFIX = '.ndjson.gz._S3rver_object';

/** The directory where s3rver stores the objects under `s3://<bucket>/<prefix>/`. */
export function s3rverTableRoot(s3Directory: string, bucket: string, prefix: string): string {
  const parts = prefix.split('/').filter((part) => part !== '');
  return join(s3Directory, bucket, ...parts);
}

/**
 * Whether an s3rver object file is complete: s3rver streams an upload into the object file in
 * place and writes `._S3rver_metadata.json` after it, so an object without its metadata file is
 * still being uploaded (S3 would not list it yet). An overwrite in progress is not detected.
 */
export async function s3rverObjectReady(path: string): Promise<boolean> {
  if (!path.endsWith('._S3rver_object')) return true;
  try {
    await stat(`${path.slice(0, -'object'.length)}metadata.json`);
    return true;
  } catch {
    return false;
  }
}

/** A catalog table over s3rver's files for `s3://<bucket>/<prefix>/`. */
export function s3rverTable(s3Directory: string, bucket: string, prefix: string): AthenaTableLocation {
  return {
    root: s3rverTableRoot(s3Directory, bucket, prefix),
    suffix: S3RVER_OBJECT_SUFFIX,
    ready: (path) => s3rverObjectReady(path),
  };
}

/** A service error as the SDK expects it: HTTP 400 and `__type`. */
class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly extra: Record<string, string> = {},
    readonly status = 400,
  ) {
    super(message);
  }
}

const invalidRequest = (message: string, code = 'INVALID_INPUT'): ServiceError =>
  new ServiceError('InvalidRequestException', message, { AthenaErrorCode: code });

/** The wording of an AWS input-validation failure. */
const validation = (field: string, value: unknown, constraint: string): ServiceError =>
  invalidRequest(
    `1 validation error detected: Value '${String(value)}' at '${field}' failed to satisfy constraint: ${constraint}`,
  );

const notFound = (id: string): ServiceError =>
  invalidRequest(`QueryExecution ${id} was not found`, 'INVALID_INPUT');

/** Epoch seconds (fractional): the protocol's timestamp format. */
const epochSeconds = (ms: number): number => ms / 1000;

interface WorkGroup {
  name: string;
  outputLocation: string;
  cutoff: number | undefined;
  enforce: boolean;
  createdAt: number;
}

interface Failure {
  reason: string;
  category: 1 | 2 | 3;
  errorType: number;
  retryable: boolean;
}

interface Result {
  columns: DuckDbArchiveColumn[];
  rows: Array<Array<string | null>>;
  bytesScanned: number;
  filesRead: string[];
}

interface Execution {
  id: string;
  query: string;
  database: string;
  catalog: string;
  workGroup: WorkGroup;
  parameters: string[] | undefined;
  reuse: { Enabled: boolean; MaxAgeInMinutes?: number } | undefined;
  token: string | undefined;
  outputLocation: string;
  state: AthenaQueryState;
  failure: Failure | undefined;
  injected: Failure | undefined;
  submittedAt: number;
  startedAt: number | undefined;
  completedAt: number | undefined;
  result: Result | undefined;
  reusedFrom: Execution | undefined;
  bytesScanned: number;
  controller: AbortController;
  settled: Promise<AthenaQueryState>;
  settle: (state: AthenaQueryState) => void;
  /** Rows read from the scanned objects (computed on the first GetQueryRuntimeStatistics). */
  inputRows: Promise<number> | undefined;
}

/** Not finished yet (a function, so TypeScript does not narrow the state across awaits). */
const pending = (execution: Execution): boolean =>
  execution.state === 'QUEUED' || execution.state === 'RUNNING';

/** Type checks of the request body. */
function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    throw new ServiceError('SerializationException', `${field} must be a string`);
  return value;
}

function requiredString(body: Record<string, unknown>, field: string): string {
  const value = optionalString(body, field);
  if (value === undefined || value === '')
    throw validation(field, value ?? 'null', 'Member must not be null');
  return value;
}

function objectField(body: Record<string, unknown>, field: string): Record<string, unknown> | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ServiceError('SerializationException', `${field} must be an object`);
  }
  return value as Record<string, unknown>;
}

/** One parameter value as DuckDB binds it. */
type BoundValue = string | number;

const STRING_LITERAL = /^'((?:[^']|'')*)'$/s;
const INTEGER_LITERAL = /^[+-]?\d+$/;

/**
 * One execution parameter (SQL literal text) → its value: a single-quoted string literal with
 * `''` for a quote, or an optionally signed integer. Anything else is refused: stricter than
 * Athena (which takes any literal), so no text can ever widen the query.
 */
export function parseParameter(text: string): BoundValue | undefined {
  const string = STRING_LITERAL.exec(text);
  if (string) return (string[1] ?? '').replaceAll("''", "'");
  if (INTEGER_LITERAL.test(text)) {
    const value = Number(text);
    return Number.isSafeInteger(value) ? value : undefined;
  }
  return undefined;
}

/** The number of `?` placeholders outside string literals, quoted identifiers and comments. */
export function countPlaceholders(sql: string): number {
  let count = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      // A doubled quote inside is the quote itself; the literal ends at a single one.
      i += 1;
      while (i < sql.length) {
        if (sql[i] === c) {
          if (sql[i + 1] === c) i += 2;
          else break;
        } else i += 1;
      }
      i += 1;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
    } else {
      if (c === '?') count += 1;
      i += 1;
    }
  }
  return count;
}

/** ColumnInfo.Precision Athena gives for a type (0 where it gives none). */
const PRECISION: Record<string, number> = {
  varchar: 2_147_483_647,
  bigint: 19,
  integer: 10,
  smallint: 5,
  tinyint: 3,
  double: 17,
  float: 7,
  timestamp: 3,
  time: 3,
  'timestamp with time zone': 3,
};

const CASE_SENSITIVE = new Set(['varchar', 'json', 'char']);

function columnInfo(column: DuckDbArchiveColumn): Record<string, unknown> {
  return {
    CatalogName: 'hive',
    SchemaName: '',
    TableName: '',
    Name: column.name,
    Label: column.name,
    Type: column.type,
    Precision: column.precision ?? PRECISION[column.type] ?? 0,
    Scale: column.scale ?? 0,
    Nullable: 'UNKNOWN',
    CaseSensitive: CASE_SENSITIVE.has(column.type),
  };
}

/** NextToken: the execution id and the offset of the next data row; opaque to clients. */
function encodeToken(executionId: string, offset: number): string {
  return Buffer.from(JSON.stringify({ e: executionId, o: offset })).toString('base64url');
}

function decodeToken(token: string, execution: Execution, rowCount: number): number {
  const invalid = (): ServiceError => invalidRequest('The NextToken is not valid for this query execution');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const { e, o } = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as {
    e?: unknown;
    o?: unknown;
  };
  if (e !== execution.id || typeof o !== 'number' || !Number.isInteger(o) || o < 0 || o > rowCount) {
    throw invalid();
  }
  return o;
}

const gunzipAsync = promisify(gunzip);

/** Lines (records) in the scanned objects: Athena's InputRows. Objects gone since count as empty. */
async function countInputRows(files: readonly string[]): Promise<number> {
  let rows = 0;
  for (const file of files) {
    try {
      const text = await gunzipAsync(await readFile(file));
      for (const byte of text) if (byte === 0x0a) rows += 1;
    } catch {
      // Unreadable now (removed, or rewritten mid-read): it no longer says what was read.
    }
  }
  return rows;
}

const outputBytes = (rows: Array<Array<string | null>>): number =>
  rows.reduce((sum, row) => sum + row.reduce((s, v) => s + (v === null ? 0 : Buffer.byteLength(v)), 0), 0);

/** Starts the stand-in on 127.0.0.1 (ephemeral port). */
export async function startAthena(options: AthenaStandinOptions): Promise<AthenaStandin> {
  const databases = new Map(Object.keys(options.catalog).map((name) => [name.toLowerCase(), name]));
  const workGroups = new Map<string, WorkGroup>();
  for (const wg of options.workGroups) {
    workGroups.set(wg.name, {
      name: wg.name,
      outputLocation: wg.outputLocation,
      cutoff: wg.bytesScannedCutoffPerQuery,
      enforce: wg.enforce ?? false,
      createdAt: Date.now(),
    });
  }
  const ownArchive = options.archive === undefined;
  const archive =
    options.archive ??
    (await DuckDbArchive.create({
      tables: Object.entries(options.catalog).flatMap(([database, tables]) =>
        Object.entries(tables).map(([name, location]) => ({ name, database, ...location })),
      ),
    }));

  const executions = new Map<string, Execution>();
  const byToken = new Map<string, Execution>();
  const requests: AthenaRequestRecord[] = [];
  let holdStage: 'QUEUED' | 'RUNNING' | undefined;
  const held: Execution[] = [];
  const injected: Failure[] = [];
  let throttled = 0;
  let throttleCode = 'TooManyRequestsException';
  let closing = false;
  const inFlight = new Set<Promise<void>>();

  function settle(execution: Execution, state: AthenaQueryState, failure?: Failure): void {
    if (!pending(execution)) return;
    const now = Date.now();
    execution.startedAt ??= now;
    execution.state = state;
    execution.completedAt = now;
    execution.failure = failure;
    execution.settle(state);
    evict();
  }

  function evict(): void {
    if (executions.size <= MAX_EXECUTIONS) return;
    for (const [id, execution] of executions) {
      if (executions.size <= MAX_EXECUTIONS) break;
      if (execution.completedAt === undefined) continue;
      executions.delete(id);
      if (execution.token !== undefined) byToken.delete(execution.token);
    }
  }

  const userFailure = (reason: string): Failure => ({
    reason,
    category: 2,
    errorType: USER_ERROR_TYPE,
    retryable: false,
  });

  /** Runs one execution to its end (from QUEUED, or RUNNING when held there). */
  async function run(execution: Execution): Promise<void> {
    if (!pending(execution)) return;
    execution.state = 'RUNNING';
    execution.startedAt ??= Date.now();

    const failure = execution.injected;
    if (failure) return settle(execution, 'FAILED', failure);
    if (execution.catalog.toLowerCase() !== DEFAULT_CATALOG.toLowerCase()) {
      return settle(
        execution,
        'FAILED',
        userFailure(`CATALOG_NOT_FOUND: Catalog '${execution.catalog}' does not exist`),
      );
    }
    const database = databases.get(execution.database.toLowerCase());
    if (database === undefined) {
      return settle(
        execution,
        'FAILED',
        userFailure(`SCHEMA_NOT_FOUND: Schema '${execution.database}' does not exist`),
      );
    }
    const texts = execution.parameters ?? [];
    const expected = countPlaceholders(execution.query);
    if (expected !== texts.length) {
      return settle(
        execution,
        'FAILED',
        userFailure(
          `INVALID_PARAMETER_USAGE: Incorrect number of parameters: expected ${expected} but found ${texts.length}`,
        ),
      );
    }
    const values: BoundValue[] = [];
    for (const [index, text] of texts.entries()) {
      const value = parseParameter(text);
      if (value === undefined) {
        return settle(
          execution,
          'FAILED',
          userFailure(
            `INVALID_PARAMETER_USAGE: Execution parameter ${index + 1} must be a single-quoted string literal or an integer, got ${JSON.stringify(text.slice(0, 100))}`,
          ),
        );
      }
      values.push(value);
    }

    try {
      const result = await archive.execute(execution.query, values, {
        signal: execution.controller.signal,
        database,
      });
      execution.bytesScanned = result.bytesScanned;
      const cutoff = execution.workGroup.cutoff;
      if (cutoff !== undefined && result.bytesScanned > cutoff) {
        return settle(
          execution,
          'FAILED',
          userFailure('Query cancelled! : Bytes scanned limit was exceeded'),
        );
      }
      execution.result = result;
      settle(execution, 'SUCCEEDED');
    } catch (err: unknown) {
      // Stopped meanwhile: StopQueryExecution has already settled it.
      if (!pending(execution)) return;
      if (err instanceof Error && err.name === 'AbortError') return settle(execution, 'CANCELLED');
      const message = err instanceof Error ? err.message.trim() : String(err);
      settle(execution, 'FAILED', userFailure(message));
    }
  }

  function schedule(execution: Execution): void {
    const running = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => run(execution))
      .catch((err: unknown) => {
        settle(execution, 'FAILED', {
          reason: `Stand-in failure: ${err instanceof Error ? err.message : String(err)}`,
          category: 1,
          errorType: SYSTEM_ERROR_TYPE,
          retryable: true,
        });
      });
    inFlight.add(running);
    void running.finally(() => inFlight.delete(running));
  }

  function findReusable(candidate: Execution, maxAgeMinutes: number): Execution | undefined {
    const since = Date.now() - maxAgeMinutes * 60_000;
    let best: Execution | undefined;
    for (const previous of executions.values()) {
      if (previous.state !== 'SUCCEEDED' || !previous.result || (previous.completedAt ?? 0) < since) continue;
      if (
        previous.query !== candidate.query ||
        previous.database !== candidate.database ||
        previous.catalog !== candidate.catalog ||
        previous.workGroup !== candidate.workGroup ||
        JSON.stringify(previous.parameters ?? []) !== JSON.stringify(candidate.parameters ?? [])
      ) {
        continue;
      }
      if (!best || (previous.completedAt ?? 0) > (best.completedAt ?? 0)) best = previous;
    }
    return best;
  }

  function find(body: Record<string, unknown>): Execution {
    const id = requiredString(body, 'QueryExecutionId');
    const execution = executions.get(id);
    if (!execution) throw notFound(id);
    return execution;
  }

  function startQueryExecution(body: Record<string, unknown>): unknown {
    const query = requiredString(body, 'QueryString');
    if (Buffer.byteLength(query) > LIMITS.queryStringBytes) {
      throw validation(
        'queryString',
        '…',
        `Member must have length less than or equal to ${LIMITS.queryStringBytes}`,
      );
    }
    const workGroupName = optionalString(body, 'WorkGroup') ?? 'primary';
    const context = objectField(body, 'QueryExecutionContext') ?? {};
    const database = optionalString(context, 'Database') ?? 'default';
    const catalog = optionalString(context, 'Catalog') ?? DEFAULT_CATALOG;
    const token = optionalString(body, 'ClientRequestToken');
    if (token !== undefined && (token.length < LIMITS.tokenMin || token.length > LIMITS.tokenMax)) {
      throw validation(
        'clientRequestToken',
        token,
        `Member must have length between ${LIMITS.tokenMin} and ${LIMITS.tokenMax}`,
      );
    }
    let parameters: string[] | undefined;
    if (body.ExecutionParameters !== undefined && body.ExecutionParameters !== null) {
      const list = body.ExecutionParameters;
      if (!Array.isArray(list) || list.some((p) => typeof p !== 'string')) {
        throw new ServiceError('SerializationException', 'ExecutionParameters must be a list of strings');
      }
      if (list.length === 0)
        throw validation('executionParameters', '[]', 'Member must have length greater than or equal to 1');
      for (const p of list as string[]) {
        if (p.length < 1 || p.length > LIMITS.parameterChars) {
          throw validation(
            'executionParameters',
            p.slice(0, 40),
            `Member must have length between 1 and ${LIMITS.parameterChars}`,
          );
        }
      }
      parameters = list as string[];
    }
    const reuseConfig = objectField(
      objectField(body, 'ResultReuseConfiguration') ?? {},
      'ResultReuseByAgeConfiguration',
    );
    let reuse: Execution['reuse'];
    if (reuseConfig) {
      const enabled = reuseConfig.Enabled === true;
      const age = reuseConfig.MaxAgeInMinutes;
      if (
        age !== undefined &&
        (typeof age !== 'number' || !Number.isInteger(age) || age < 0 || age > LIMITS.reuseMaxMinutes)
      ) {
        throw validation(
          'resultReuseConfiguration.resultReuseByAgeConfiguration.maxAgeInMinutes',
          age,
          `Member must have value less than or equal to ${LIMITS.reuseMaxMinutes}`,
        );
      }
      reuse = { Enabled: enabled, ...(age === undefined ? {} : { MaxAgeInMinutes: age }) };
    }

    if (token !== undefined) {
      const previous = byToken.get(token);
      if (previous) {
        // Athena: the same token answers the same execution; changed parameters are an error.
        const same =
          previous.query === query &&
          previous.workGroup.name === workGroupName &&
          previous.database === database &&
          JSON.stringify(previous.parameters ?? null) === JSON.stringify(parameters ?? null);
        if (!same) throw invalidRequest('Idempotent parameters do not match');
        return { QueryExecutionId: previous.id };
      }
    }

    const workGroup = workGroups.get(workGroupName);
    if (!workGroup) throw invalidRequest(`WorkGroup ${workGroupName} is not found.`);
    const clientOutput = optionalString(objectField(body, 'ResultConfiguration') ?? {}, 'OutputLocation');
    const base = workGroup.enforce || clientOutput === undefined ? workGroup.outputLocation : clientOutput;
    const id = randomUUID();

    let settleFn: (state: AthenaQueryState) => void = () => undefined;
    const settled = new Promise<AthenaQueryState>((resolve) => {
      settleFn = resolve;
    });
    const execution: Execution = {
      id,
      query,
      database,
      catalog,
      workGroup,
      parameters,
      reuse,
      token,
      outputLocation: `${base}${base.endsWith('/') ? '' : '/'}${id}.csv`,
      state: 'QUEUED',
      failure: undefined,
      injected: undefined,
      submittedAt: Date.now(),
      startedAt: undefined,
      completedAt: undefined,
      result: undefined,
      reusedFrom: undefined,
      bytesScanned: 0,
      controller: new AbortController(),
      settled,
      settle: settleFn,
      inputRows: undefined,
    };
    executions.set(id, execution);
    if (token !== undefined) byToken.set(token, execution);

    const reusable = reuse?.Enabled
      ? findReusable(execution, reuse.MaxAgeInMinutes ?? LIMITS.reuseDefaultMinutes)
      : undefined;
    if (reusable) {
      // A reused result: done at once, nothing scanned, the earlier result (and its location).
      execution.reusedFrom = reusable;
      execution.result = reusable.result;
      execution.outputLocation = reusable.outputLocation;
      settle(execution, 'SUCCEEDED');
      return { QueryExecutionId: id };
    }
    execution.injected = injected.shift();
    if (holdStage !== undefined) {
      if (holdStage === 'RUNNING') {
        execution.state = 'RUNNING';
        execution.startedAt = Date.now();
      }
      held.push(execution);
    } else {
      schedule(execution);
    }
    return { QueryExecutionId: id };
  }

  function statistics(execution: Execution): Record<string, unknown> {
    const now = Date.now();
    const end = execution.completedAt ?? now;
    const started = execution.startedAt;
    const queue = (started ?? end) - execution.submittedAt;
    const engine = started === undefined ? 0 : end - started;
    return {
      EngineExecutionTimeInMillis: engine,
      DataScannedInBytes: execution.reusedFrom ? 0 : execution.bytesScanned,
      TotalExecutionTimeInMillis: end - execution.submittedAt,
      QueryQueueTimeInMillis: queue,
      ServicePreProcessingTimeInMillis: 0,
      QueryPlanningTimeInMillis: 0,
      ServiceProcessingTimeInMillis: 0,
      ResultReuseInformation: { ReusedPreviousResult: execution.reusedFrom !== undefined },
    };
  }

  function describe(execution: Execution): Record<string, unknown> {
    const failure = execution.failure;
    return {
      QueryExecutionId: execution.id,
      Query: execution.query,
      StatementType: 'DML',
      SubstatementType: 'SELECT',
      ResultConfiguration: { OutputLocation: execution.outputLocation },
      ...(execution.reuse
        ? { ResultReuseConfiguration: { ResultReuseByAgeConfiguration: execution.reuse } }
        : {}),
      QueryExecutionContext: { Database: execution.database, Catalog: execution.catalog },
      Status: {
        State: execution.state,
        ...(failure ? { StateChangeReason: failure.reason } : {}),
        SubmissionDateTime: epochSeconds(execution.submittedAt),
        ...(execution.completedAt === undefined
          ? {}
          : { CompletionDateTime: epochSeconds(execution.completedAt) }),
        ...(failure
          ? {
              AthenaError: {
                ErrorCategory: failure.category,
                ErrorType: failure.errorType,
                Retryable: failure.retryable,
                ErrorMessage: failure.reason,
              },
            }
          : {}),
      },
      Statistics: statistics(execution),
      WorkGroup: execution.workGroup.name,
      EngineVersion: { SelectedEngineVersion: ENGINE_VERSION, EffectiveEngineVersion: ENGINE_VERSION },
      ...(execution.parameters ? { ExecutionParameters: execution.parameters } : {}),
    };
  }

  function getQueryResults(body: Record<string, unknown>): unknown {
    const execution = find(body);
    const max = body.MaxResults ?? LIMITS.maxResults;
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > LIMITS.maxResults) {
      throw validation(
        'maxResults',
        max,
        max !== null && Number(max) > LIMITS.maxResults
          ? `Member must have value less than or equal to ${LIMITS.maxResults}`
          : 'Member must have value greater than or equal to 1',
      );
    }
    switch (execution.state) {
      case 'QUEUED':
      case 'RUNNING':
        throw invalidRequest(`Query has not yet finished. Current state: ${execution.state}`);
      case 'FAILED':
        throw invalidRequest(`Query has failed. Final query state: FAILED`);
      case 'CANCELLED':
        throw invalidRequest('Query was cancelled. Final query state: CANCELLED');
      default:
    }
    const result = execution.result;
    if (!result) throw invalidRequest('Query has no result');
    const token = optionalString(body, 'NextToken');
    const first = token === undefined;
    const offset = first ? 0 : decodeToken(token, execution, result.rows.length);
    // The first page of a SELECT starts with the header row, which counts toward MaxResults.
    const header = first ? [{ Data: result.columns.map((c) => ({ VarCharValue: c.name })) }] : [];
    const take = max - header.length;
    const page = result.rows.slice(offset, offset + take);
    const next = offset + page.length;
    return {
      UpdateCount: 0,
      ResultSet: {
        Rows: [
          ...header,
          ...page.map((row) => ({
            Data: row.map((value) => (value === null ? {} : { VarCharValue: value })),
          })),
        ],
        ResultSetMetadata: { ColumnInfo: result.columns.map(columnInfo) },
      },
      ...(next < result.rows.length ? { NextToken: encodeToken(execution.id, next) } : {}),
    };
  }

  async function getQueryRuntimeStatistics(body: Record<string, unknown>): Promise<unknown> {
    const execution = find(body);
    const stats = statistics(execution);
    const timeline = {
      QueryQueueTimeInMillis: stats.QueryQueueTimeInMillis,
      ServicePreProcessingTimeInMillis: 0,
      QueryPlanningTimeInMillis: 0,
      EngineExecutionTimeInMillis: stats.EngineExecutionTimeInMillis,
      ServiceProcessingTimeInMillis: 0,
      TotalExecutionTimeInMillis: stats.TotalExecutionTimeInMillis,
    };
    const result = execution.result;
    if (execution.state !== 'SUCCEEDED' || !result) return { QueryRuntimeStatistics: { Timeline: timeline } };
    execution.inputRows ??= execution.reusedFrom ? Promise.resolve(0) : countInputRows(result.filesRead);
    return {
      QueryRuntimeStatistics: {
        Timeline: timeline,
        Rows: {
          InputRows: await execution.inputRows,
          InputBytes: execution.reusedFrom ? 0 : result.bytesScanned,
          OutputBytes: outputBytes(result.rows),
          OutputRows: result.rows.length,
        },
      },
    };
  }

  async function operate(operation: string, body: Record<string, unknown>): Promise<unknown> {
    switch (operation) {
      case 'StartQueryExecution':
        return startQueryExecution(body);
      case 'GetQueryExecution':
        return { QueryExecution: describe(find(body)) };
      case 'GetQueryResults':
        return getQueryResults(body);
      case 'StopQueryExecution': {
        const execution = find(body);
        if (pending(execution)) {
          settle(execution, 'CANCELLED');
          execution.controller.abort();
        }
        return {};
      }
      case 'GetQueryRuntimeStatistics':
        return getQueryRuntimeStatistics(body);
      case 'GetWorkGroup': {
        const name = requiredString(body, 'WorkGroup');
        const wg = workGroups.get(name);
        if (!wg) throw invalidRequest(`WorkGroup ${name} is not found.`);
        return {
          WorkGroup: {
            Name: wg.name,
            State: 'ENABLED',
            Description: '',
            CreationTime: epochSeconds(wg.createdAt),
            Configuration: {
              ResultConfiguration: { OutputLocation: wg.outputLocation },
              EnforceWorkGroupConfiguration: wg.enforce,
              PublishCloudWatchMetricsEnabled: false,
              ...(wg.cutoff === undefined ? {} : { BytesScannedCutoffPerQuery: wg.cutoff }),
              RequesterPaysEnabled: false,
              EngineVersion: {
                SelectedEngineVersion: ENGINE_VERSION,
                EffectiveEngineVersion: ENGINE_VERSION,
              },
            },
          },
        };
      }
      default:
        throw new ServiceError(
          'UnknownOperationException',
          `Operation ${operation} is not supported by the stand-in.`,
        );
    }
  }

  async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
    const body = await readJsonObject(req);
    if (body === 'too_large') throw invalidRequest('Request body too large.');
    if (body === 'not_an_object') {
      throw new ServiceError('SerializationException', 'The request body is not a JSON object.');
    }
    return body;
  }

  const answer = answerJson;

  const errorBody = (error: ServiceError): Record<string, unknown> => ({
    __type: error.type,
    Message: error.message,
    ...error.extra,
  });

  const server = createServer((req, res) => {
    const target = req.headers['x-amz-target'];
    const operation =
      typeof target === 'string' && target.startsWith(TARGET_PREFIX)
        ? target.slice(TARGET_PREFIX.length)
        : '';
    if (req.method !== 'POST' || operation === '') {
      req.resume();
      answer(res, 400, { __type: 'UnknownOperationException', Message: 'Expected POST with X-Amz-Target.' });
      return;
    }
    if (!req.headers.authorization) {
      req.resume();
      answer(res, 400, {
        __type: 'MissingAuthenticationTokenException',
        Message: 'Missing Authentication Token',
      });
      return;
    }
    readBody(req)
      .then((body) => {
        const throttle = throttled > 0;
        requests.push({ operation, body, throttled: throttle });
        if (requests.length > MAX_LOGGED_REQUESTS) requests.shift();
        if (throttle) {
          throttled -= 1;
          throw new ServiceError(throttleCode, 'Rate exceeded', {
            Reason: 'CONCURRENT_QUERY_LIMIT_EXCEEDED',
          });
        }
        return operate(operation, body);
      })
      .then((result) => answer(res, 200, result))
      .catch((err: unknown) => {
        const error =
          err instanceof ServiceError
            ? err
            : new ServiceError('InternalServerException', 'Stand-in failure.', {}, 500);
        if (!res.headersSent) answer(res, error.status, errorBody(error));
      });
  });
  await listenOnLoopback(server);

  return {
    endpoint: endpointOf(server),
    requests,
    hold: (stage = 'QUEUED') => {
      holdStage = stage;
    },
    release: () => {
      holdStage = undefined;
      for (const execution of held.splice(0)) schedule(execution);
    },
    whenSettled: (executionId) => {
      const execution = executions.get(executionId);
      return execution ? execution.settled : Promise.reject(new Error(`unknown execution ${executionId}`));
    },
    failNext: (failure) => {
      injected.push({ ...failure, retryable: failure.retryable ?? failure.category === 1 });
    },
    throttle: (count, code = 'TooManyRequestsException') => {
      throttled = count;
      throttleCode = code;
    },
    close: async () => {
      if (closing) return;
      closing = true;
      await closeServer(server);
      for (const execution of executions.values()) {
        if (pending(execution)) {
          settle(execution, 'CANCELLED');
          execution.controller.abort();
        }
      }
      await Promise.all([...inFlight]);
      if (ownArchive) await archive.close();
    },
  };
}
