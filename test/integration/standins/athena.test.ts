/**
 * The Athena stand-in with the real `AthenaClient`: objects written through the S3 stand-in by
 * the product's own encoder and object store, queried over Athena's JSON protocol, so the SDK's
 * serialisation, retries, pagination and error types are the ones the product meets in AWS.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  GetQueryRuntimeStatisticsCommand,
  GetWorkGroupCommand,
  InvalidRequestException,
  paginateGetQueryResults,
  type QueryExecution,
  type Row,
  StartQueryExecutionCommand,
  type StartQueryExecutionCommandInput,
  StopQueryExecutionCommand,
  TooManyRequestsException,
} from '@aws-sdk/client-athena';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildDailyObjects, NDJSON_CONTENT_TYPE } from '#core/archive/encode.js';
import type { AuditRecord } from '#core/archive/record.js';
import { S3ObjectStore } from '#core/archive/s3-object-store.js';
import { type AthenaStandin, s3rverObjectReady, s3rverTable, startAthena } from '#local/standins/athena.js';
import { STANDIN_CREDENTIALS, STANDIN_REGION } from '#local/standins/constants.js';
import { type StandinsWithClients, withStandins } from '#test/support/standins.js';

const PREFIX = 'data';
const DATABASE = 'audit_lake';
const DAYS = ['2026-03-01', '2026-03-02', '2026-03-03'] as const;
const SOURCES = ['default', 'eu'] as const;
const PER_WINDOW = 6;

let local: StandinsWithClients;
let athena: AthenaStandin;
let client: AthenaClient;
/** Object sizes by `<source>/<dt>`, as written to S3. */
const bytesByDay = new Map<string, number>();
/** Every record written, in (event_time, id) order. */
const records: AuditRecord[] = [];

function record(source: string, id: string, eventTime: string, eventInfo: string): AuditRecord {
  return {
    id,
    event_time: eventTime,
    category: 'authentication_logs',
    audit_type: 'Logon Failed',
    actor: `${id}@example.com`,
    event_info: eventInfo,
    details: { ip: '10.1.2.3' },
    extra: {},
    source,
    collected_at: '2026-03-04T00:00:00Z',
  };
}

const totalBytes = (): number => [...bytesByDay.values()].reduce((a, b) => a + b, 0);
const oneSourceDay = (): number => Math.max(...bytesByDay.values());

beforeAll(async () => {
  local = await withStandins();
  const store = new S3ObjectStore(local.s3, local.standins.bucket);
  for (const source of SOURCES) {
    for (const dt of DAYS) {
      for (const half of [0, 1]) {
        const window = {
          start: new Date(`${dt}T${half ? '12' : '00'}:00:00Z`),
          end: new Date(`${dt}T${half ? '23:59:59' : '12:00:00'}Z`),
        };
        const batch = Array.from({ length: PER_WINDOW }, (_, i) => {
          const hour = String(half * 12 + i).padStart(2, '0');
          const info = i === 0 ? `Export 100%_done, IP: 10.1.2.3` : `Logon failed, IP: 10.1.2.3`;
          return record(source, `${source}-${dt}-${half}-${i}`, `${dt}T${hour}:00:00Z`, info);
        });
        records.push(...batch);
        for (const object of await buildDailyObjects(batch, { prefix: PREFIX, sourceId: source, window })) {
          await store.putObject(object.key, object.body, NDJSON_CONTENT_TYPE);
          const day = `${source}/${object.dt}`;
          bytesByDay.set(day, (bytesByDay.get(day) ?? 0) + object.body.byteLength);
        }
      }
    }
  }
  records.sort((a, b) =>
    a.event_time === b.event_time ? (a.id < b.id ? -1 : 1) : a.event_time < b.event_time ? -1 : 1,
  );

  athena = await startAthena({
    catalog: {
      [DATABASE]: { audit_events: s3rverTable(local.standins.s3Directory, local.standins.bucket, PREFIX) },
    },
    workGroups: [
      { name: 'audit', outputLocation: 's3://results-bucket/results/', enforce: true },
      // Room for one source-day's objects, not for the whole archive.
      {
        name: 'tight',
        outputLocation: 's3://results-bucket/tight/',
        bytesScannedCutoffPerQuery: oneSourceDay(),
      },
    ],
  });
  client = new AthenaClient({
    endpoint: athena.endpoint,
    region: STANDIN_REGION,
    credentials: STANDIN_CREDENTIALS,
  });
});

afterEach(() => {
  // A failed test must not leave later ones held or throttled.
  athena?.release();
  athena?.throttle(0);
});

afterAll(async () => {
  client?.destroy();
  await athena?.close();
  await local?.close();
});

type StartInput = Omit<StartQueryExecutionCommandInput, 'QueryString'> & { QueryString: string };

async function start(input: StartInput): Promise<string> {
  const { QueryExecutionId } = await client.send(
    new StartQueryExecutionCommand({
      WorkGroup: 'audit',
      QueryExecutionContext: { Database: DATABASE, Catalog: 'AwsDataCatalog' },
      ...input,
    }),
  );
  if (!QueryExecutionId) throw new Error('no execution id');
  return QueryExecutionId;
}

async function describeExecution(id: string): Promise<QueryExecution> {
  const { QueryExecution } = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
  if (!QueryExecution) throw new Error('no QueryExecution');
  return QueryExecution;
}

/** Starts, waits for the end (the stand-in's promise, no polling loop) and describes. */
async function run(input: StartInput): Promise<QueryExecution & { id: string }> {
  const id = await start(input);
  await athena.whenSettled(id);
  return { id, ...(await describeExecution(id)) };
}

const values = (row: Row | undefined): Array<string | null> =>
  (row?.Data ?? []).map((d) => d.VarCharValue ?? null);

/** Every page through the SDK paginator. */
async function pages(id: string, pageSize: number): Promise<Array<Array<Array<string | null>>>> {
  const all: Array<Array<Array<string | null>>> = [];
  for await (const page of paginateGetQueryResults({ client, pageSize }, { QueryExecutionId: id })) {
    all.push((page.ResultSet?.Rows ?? []).map(values));
  }
  return all;
}

describe('Athena stand-in with the real AthenaClient', () => {
  it('runs a query asynchronously: QUEUED, then SUCCEEDED with the full QueryExecution', async () => {
    // Prepare
    athena.hold();
    const id = await start({
      QueryString: 'SELECT count(*) AS n FROM audit_events WHERE dt = ?',
      ExecutionParameters: ["'2026-03-01'"],
    });

    // Act
    const queued = await describeExecution(id);
    athena.release();
    const state = await athena.whenSettled(id);
    const done = await describeExecution(id);

    // Assess
    expect(queued.Status?.State).toBe('QUEUED');
    expect(state).toBe('SUCCEEDED');
    expect(done).toMatchObject({
      QueryExecutionId: id,
      Query: 'SELECT count(*) AS n FROM audit_events WHERE dt = ?',
      StatementType: 'DML',
      ResultConfiguration: { OutputLocation: `s3://results-bucket/results/${id}.csv` },
      QueryExecutionContext: { Database: DATABASE, Catalog: 'AwsDataCatalog' },
      Status: { State: 'SUCCEEDED' },
      WorkGroup: 'audit',
      EngineVersion: {
        SelectedEngineVersion: 'Athena engine version 3',
        EffectiveEngineVersion: 'Athena engine version 3',
      },
      ExecutionParameters: ["'2026-03-01'"],
      Statistics: { ResultReuseInformation: { ReusedPreviousResult: false } },
    });
    // Epoch-seconds timestamps become Dates in the SDK.
    expect(done.Status?.SubmissionDateTime).toBeInstanceOf(Date);
    expect(done.Status?.CompletionDateTime?.getTime()).toBeGreaterThanOrEqual(
      done.Status?.SubmissionDateTime?.getTime() ?? Number.POSITIVE_INFINITY,
    );
    expect(done.Statistics?.TotalExecutionTimeInMillis).toEqual(expect.any(Number));
  });

  it('pages through the SDK paginator: header only on page 1, every row once, in order', async () => {
    // Prepare
    const execution = await run({
      QueryString: 'SELECT id, event_time, source FROM audit_events ORDER BY event_time, id',
    });

    // Act
    const all = await pages(execution.id, 10);

    // Assess
    const expected = records.map((r) => [r.id, r.event_time, r.source]);
    expect(expected).toHaveLength(72);
    expect(all).toHaveLength(Math.ceil((expected.length + 1) / 10));
    expect(all[0]?.[0]).toEqual(['id', 'event_time', 'source']);
    expect(all.slice(1).some((page) => page.some((row) => row[0] === 'id'))).toBe(false);
    expect(all.every((page) => page.length <= 10)).toBe(true);
    expect(all.flat().slice(1)).toEqual(expected);
  });

  it('describes the columns as Athena does, renders NULL as a datum without VarCharValue', async () => {
    // Prepare
    const execution = await run({
      QueryString: `SELECT id, details, try(details['nope']) AS missing, count(*) OVER () AS n
                    FROM audit_events WHERE dt = ? AND id = ?`,
      ExecutionParameters: ["'2026-03-02'", "'eu-2026-03-02-0-1'"],
    });

    // Act
    const output = await client.send(new GetQueryResultsCommand({ QueryExecutionId: execution.id }));

    // Assess
    expect(output.UpdateCount).toBe(0);
    expect(output.NextToken).toBeUndefined();
    expect(output.ResultSet?.Rows?.[1]?.Data).toEqual([
      { VarCharValue: 'eu-2026-03-02-0-1' },
      { VarCharValue: '{ip=10.1.2.3}' },
      {},
      { VarCharValue: '1' },
    ]);
    expect(output.ResultSet?.ResultSetMetadata?.ColumnInfo).toEqual([
      expect.objectContaining({
        Name: 'id',
        Label: 'id',
        Type: 'varchar',
        CatalogName: 'hive',
        Nullable: 'UNKNOWN',
        CaseSensitive: true,
      }),
      expect.objectContaining({ Name: 'details', Type: 'map', CaseSensitive: false }),
      expect.objectContaining({ Name: 'missing', Type: 'varchar' }),
      expect.objectContaining({ Name: 'n', Type: 'bigint', Precision: 19, Scale: 0 }),
    ]);
  });

  it('passes parameters as literal values: quotes, backslashes, %, _, non-ASCII and placeholders in text', async () => {
    // Prepare
    const literals = [
      "'O''Brien'",
      "'back\\slash'",
      "'100%'",
      "'a_b'",
      "'naïve 日本 🎉'",
      "'--x'",
      "'?'",
      '42',
      '-7',
    ];

    // Act
    const execution = await run({
      // `?` in a string literal or a comment is not a placeholder.
      QueryString: `SELECT '?' AS q, ? AS a, ? AS b, ? AS c, ? AS d, ? AS e, ? AS f, ? AS g, ? AS h, ? AS i /* ? */ -- ?`,
      ExecutionParameters: literals,
    });
    const [page] = await pages(execution.id, 1000);
    const start = athena.requests.findLast((r) => r.operation === 'StartQueryExecution');

    // Assess
    expect(execution.Status?.State).toBe('SUCCEEDED');
    expect(page?.[1]).toEqual([
      '?',
      "O'Brien",
      'back\\slash',
      '100%',
      'a_b',
      'naïve 日本 🎉',
      '--x',
      '?',
      '42',
      '-7',
    ]);
    expect(start?.body.ExecutionParameters).toEqual(literals);
  });

  it('matches % and _ literally in the archive query (strpos, not LIKE), pruned to the days asked for', async () => {
    // Act
    const execution = await run({
      QueryString: `SELECT id FROM audit_events
                    WHERE source IN (?) AND dt BETWEEN ? AND ? AND strpos(lower(event_info), lower(?)) > 0
                    ORDER BY event_time, id LIMIT ?`,
      ExecutionParameters: ["'eu'", "'2026-03-02'", "'2026-03-02'", "'%_DONE'", '10'],
    });
    const [page] = await pages(execution.id, 1000);

    // Assess
    expect(page?.slice(1)).toEqual([['eu-2026-03-02-0-0'], ['eu-2026-03-02-1-0']]);
    expect(execution.Statistics?.DataScannedInBytes).toBe(bytesByDay.get('eu/2026-03-02'));
  });

  it('shows partition pruning in DataScannedInBytes: one day scans that day’s objects only', async () => {
    // Act
    const oneDay = await run({
      QueryString: 'SELECT count(*) FROM audit_events WHERE dt = ?',
      ExecutionParameters: ["'2026-03-03'"],
    });
    const everything = await run({ QueryString: 'SELECT count(*) FROM audit_events' });

    // Assess
    expect(oneDay.Statistics?.DataScannedInBytes).toBe(
      (bytesByDay.get('default/2026-03-03') ?? 0) + (bytesByDay.get('eu/2026-03-03') ?? 0),
    );
    expect(everything.Statistics?.DataScannedInBytes).toBe(totalBytes());
  });

  it('leaves out an s3rver object whose upload has not finished (no metadata file yet)', async () => {
    // Prepare: what s3rver's directory holds while a PUT is still streaming the body in.
    const key = `${PREFIX}/source=eu/dt=2026-03-01/20260301T235959Z_20260302T000000Z.ndjson.gz`;
    const [object] = await buildDailyObjects([record('eu', 'uploading', '2026-03-01T23:59:59Z', 'x')], {
      prefix: PREFIX,
      sourceId: 'eu',
      window: { start: new Date('2026-03-01T23:59:59Z'), end: new Date('2026-03-02T00:00:00Z') },
    });
    const path = join(local.standins.s3Directory, local.standins.bucket, `${key}._S3rver_object`);
    await writeFile(path, object?.body ?? new Uint8Array());
    const query = {
      QueryString: 'SELECT count(*) FROM audit_events WHERE id = ?',
      ExecutionParameters: ["'uploading'"],
    };

    // Act
    const uploading = await run(query);
    const rowsWhileUploading = (await pages(uploading.id, 10))[0]?.[1];
    const readyWhileUploading = await s3rverObjectReady(path);
    // s3rver writes the metadata file once the body is complete.
    const metadata = path.replace(/object$/, 'metadata.json');
    await writeFile(metadata, '{}');
    const uploaded = await run(query);
    const rowsUploaded = (await pages(uploaded.id, 10))[0]?.[1];
    await rm(path);
    await rm(metadata);

    // Assess
    expect(readyWhileUploading).toBe(false);
    expect(rowsWhileUploading).toEqual(['0']);
    expect(rowsUploaded).toEqual(['1']);
  });

  it('reports runtime statistics: output rows, and input rows and bytes of the scanned objects', async () => {
    // Prepare
    const execution = await run({
      // ORDER BY reads every object of the day; a bare LIMIT may stop after the first one.
      QueryString: 'SELECT id FROM audit_events WHERE source = ? AND dt = ? ORDER BY id LIMIT 5',
      ExecutionParameters: ["'default'", "'2026-03-01'"],
    });

    // Act
    const { QueryRuntimeStatistics } = await client.send(
      new GetQueryRuntimeStatisticsCommand({ QueryExecutionId: execution.id }),
    );

    // Assess
    expect(QueryRuntimeStatistics?.Rows).toMatchObject({
      OutputRows: 5,
      InputRows: 2 * PER_WINDOW,
      InputBytes: bytesByDay.get('default/2026-03-01'),
    });
    expect(QueryRuntimeStatistics?.Timeline?.TotalExecutionTimeInMillis).toEqual(expect.any(Number));
  });

  it("refuses a parameter that is not a plain literal: `'a' OR 1=1` fails the execution, nothing runs", async () => {
    // Act
    const injection = await run({
      QueryString: 'SELECT id FROM audit_events WHERE id = ?',
      ExecutionParameters: ["'a' OR 1=1"],
    });
    const unquoted = await run({ QueryString: 'SELECT ? AS v', ExecutionParameters: ['usa'] });
    const decimal = await run({ QueryString: 'SELECT ? AS v', ExecutionParameters: ['1.5'] });
    const results = await client
      .send(new GetQueryResultsCommand({ QueryExecutionId: injection.id }))
      .catch((err: unknown) => err);

    // Assess
    for (const failed of [injection, unquoted, decimal]) {
      expect(failed.Status?.State).toBe('FAILED');
      expect(failed.Status?.StateChangeReason).toMatch(/^INVALID_PARAMETER/);
      expect(failed.Status?.AthenaError).toMatchObject({ ErrorCategory: 2, Retryable: false });
      expect(failed.Statistics?.DataScannedInBytes).toBe(0);
    }
    expect(results).toBeInstanceOf(InvalidRequestException);
  });

  it('fails an execution whose parameter count does not match its placeholders', async () => {
    // Act
    const tooFew = await run({
      QueryString: 'SELECT id FROM audit_events WHERE dt = ? AND source = ?',
      ExecutionParameters: ["'2026-03-01'"],
    });
    const none = await run({ QueryString: 'SELECT id FROM audit_events WHERE dt = ?' });

    // Assess
    expect(tooFew.Status).toMatchObject({
      State: 'FAILED',
      StateChangeReason: 'INVALID_PARAMETER_USAGE: Incorrect number of parameters: expected 2 but found 1',
    });
    expect(none.Status?.StateChangeReason).toMatch(/expected 1 but found 0/);
  });

  it('refuses a parameter longer than 1024 characters at StartQueryExecution', async () => {
    // Act
    const started = start({ QueryString: 'SELECT ? AS v', ExecutionParameters: [`'${'x'.repeat(1030)}'`] });

    // Assess
    await expect(started).rejects.toBeInstanceOf(InvalidRequestException);
  });

  it('answers an unknown workgroup with InvalidRequestException and fails an unknown database', async () => {
    // Act
    const workGroup = await start({ QueryString: 'SELECT 1', WorkGroup: 'nope' }).catch(
      (err: unknown) => err,
    );
    const database = await run({ QueryString: 'SELECT 1', QueryExecutionContext: { Database: 'nope' } });
    const table = await run({ QueryString: 'SELECT * FROM no_such_table' });

    // Assess
    expect(workGroup).toBeInstanceOf(InvalidRequestException);
    expect(workGroup).toMatchObject({ message: 'WorkGroup nope is not found.' });
    expect(database.Status).toMatchObject({
      State: 'FAILED',
      StateChangeReason: "SCHEMA_NOT_FOUND: Schema 'nope' does not exist",
    });
    expect(table.Status?.State).toBe('FAILED');
    expect(table.Status?.StateChangeReason).toMatch(/no_such_table/);
    expect(table.Status?.AthenaError).toMatchObject({ ErrorCategory: 2, ErrorType: 1000, Retryable: false });
  });

  it('fails a query that scans more than the workgroup’s bytes cutoff, as Athena cancels it', async () => {
    // Act
    const overLimit = await run({ QueryString: 'SELECT count(*) FROM audit_events', WorkGroup: 'tight' });
    const withinLimit = await run({
      QueryString: 'SELECT count(*) FROM audit_events WHERE source = ? AND dt = ?',
      ExecutionParameters: ["'eu'", "'2026-03-01'"],
      WorkGroup: 'tight',
    });

    // Assess
    expect(overLimit.Status).toMatchObject({
      State: 'FAILED',
      StateChangeReason: 'Query cancelled! : Bytes scanned limit was exceeded',
      AthenaError: { ErrorCategory: 2, Retryable: false },
    });
    expect(overLimit.Statistics?.DataScannedInBytes).toBe(totalBytes());
    expect(withinLimit.Status?.State).toBe('SUCCEEDED');
    expect(withinLimit.Statistics?.DataScannedInBytes).toBe(bytesByDay.get('eu/2026-03-01'));
  });

  it('reuses a recent identical result when asked: at once, nothing scanned, same rows', async () => {
    // Prepare
    const reuse = { ResultReuseByAgeConfiguration: { Enabled: true, MaxAgeInMinutes: 60 } };
    const query = {
      QueryString: 'SELECT id FROM audit_events WHERE dt = ? ORDER BY id',
      ExecutionParameters: ["'2026-03-01'"],
      ResultReuseConfiguration: reuse,
    };
    const first = await run(query);

    // Act
    const second = await run(query);
    const otherParameters = await run({ ...query, ExecutionParameters: ["'2026-03-02'"] });
    const withoutReuse = await run({ ...query, ResultReuseConfiguration: undefined });

    // Assess
    expect(first.Statistics?.ResultReuseInformation?.ReusedPreviousResult).toBe(false);
    expect(second.Statistics).toMatchObject({
      DataScannedInBytes: 0,
      ResultReuseInformation: { ReusedPreviousResult: true },
    });
    expect(second.ResultReuseConfiguration).toEqual(reuse);
    expect(await pages(second.id, 1000)).toEqual(await pages(first.id, 1000));
    expect(otherParameters.Statistics?.ResultReuseInformation?.ReusedPreviousResult).toBe(false);
    expect(withoutReuse.Statistics?.ResultReuseInformation?.ReusedPreviousResult).toBe(false);
    expect(withoutReuse.Statistics?.DataScannedInBytes).toBeGreaterThan(0);
  });

  it('is idempotent by ClientRequestToken: the same token answers the same execution', async () => {
    // Prepare
    const token = 'token-0123456789abcdef0123456789abcdef';
    const query = { QueryString: 'SELECT 1 AS one', ClientRequestToken: token };

    // Act
    const first = await start(query);
    const again = await start(query);
    const changed = await start({ ...query, QueryString: 'SELECT 2 AS two' }).catch((err: unknown) => err);

    // Assess
    expect(again).toBe(first);
    expect(changed).toBeInstanceOf(InvalidRequestException);
    expect(await athena.whenSettled(first)).toBe('SUCCEEDED');
  });

  it('cancels a queued or running execution with StopQueryExecution; stopping a finished one changes nothing', async () => {
    // Prepare
    athena.hold();
    const queued = await start({ QueryString: 'SELECT 1 AS one' });
    athena.hold('RUNNING');
    const running = await start({ QueryString: 'SELECT 2 AS two' });

    // Act
    const runningState = (await describeExecution(running)).Status?.State;
    await client.send(new StopQueryExecutionCommand({ QueryExecutionId: queued }));
    await client.send(new StopQueryExecutionCommand({ QueryExecutionId: running }));
    athena.release();
    const results = await client
      .send(new GetQueryResultsCommand({ QueryExecutionId: queued }))
      .catch((err: unknown) => err);

    // Assess
    expect(runningState).toBe('RUNNING');
    expect(await athena.whenSettled(queued)).toBe('CANCELLED');
    expect(await athena.whenSettled(running)).toBe('CANCELLED');
    expect((await describeExecution(running)).Status?.CompletionDateTime).toBeInstanceOf(Date);
    expect(results).toBeInstanceOf(InvalidRequestException);
    expect((results as Error).message).toMatch(/cancelled/i);
  });

  it('leaves a finished execution as it is when stopped', async () => {
    // Prepare
    const done = await run({ QueryString: 'SELECT 3 AS three' });

    // Act
    await client.send(new StopQueryExecutionCommand({ QueryExecutionId: done.id }));

    // Assess
    expect((await describeExecution(done.id)).Status?.State).toBe('SUCCEEDED');
  });

  it('answers GetQueryResults of an unfinished execution as Athena does', async () => {
    // Prepare
    athena.hold('RUNNING');
    const id = await start({ QueryString: 'SELECT 1 AS one' });

    // Act
    const early = client.send(new GetQueryResultsCommand({ QueryExecutionId: id }));

    // Assess
    await expect(early).rejects.toThrow('Query has not yet finished. Current state: RUNNING');
    athena.release();
    expect(await athena.whenSettled(id)).toBe('SUCCEEDED');
  });

  it('fails with an injected AthenaError (failNext)', async () => {
    // Prepare
    athena.failNext({ reason: 'Internal error during query planning', category: 1, errorType: 100 });

    // Act
    const failed = await run({ QueryString: 'SELECT 1 AS one' });
    const next = await run({ QueryString: 'SELECT 1 AS one' });

    // Assess
    expect(failed.Status).toMatchObject({
      State: 'FAILED',
      StateChangeReason: 'Internal error during query planning',
      AthenaError: { ErrorCategory: 1, ErrorType: 100, Retryable: true },
    });
    expect(next.Status?.State).toBe('SUCCEEDED');
  });

  it('validates MaxResults and NextToken', async () => {
    // Prepare
    const one = await run({
      QueryString: 'SELECT id FROM audit_events WHERE dt = ?',
      ExecutionParameters: ["'2026-03-01'"],
    });
    const other = await run({
      QueryString: 'SELECT id FROM audit_events WHERE dt = ?',
      ExecutionParameters: ["'2026-03-02'"],
    });
    const first = await client.send(new GetQueryResultsCommand({ QueryExecutionId: one.id, MaxResults: 2 }));
    const get = (input: { QueryExecutionId: string; MaxResults?: number; NextToken?: string }) =>
      client.send(new GetQueryResultsCommand(input));

    // Act + Assess
    await expect(get({ QueryExecutionId: one.id, MaxResults: 1001 })).rejects.toThrow(
      /less than or equal to 1000/,
    );
    await expect(get({ QueryExecutionId: one.id, NextToken: 'garbage' })).rejects.toThrow(/NextToken/);
    await expect(
      get({ QueryExecutionId: other.id, NextToken: first.NextToken ?? '' }),
    ).rejects.toBeInstanceOf(InvalidRequestException);
    await expect(get({ QueryExecutionId: 'no-such-id' })).rejects.toThrow(
      'QueryExecution no-such-id was not found',
    );
    // The header row counts toward MaxResults on the first page only.
    expect(first.ResultSet?.Rows).toHaveLength(2);
    const second = await get({ QueryExecutionId: one.id, MaxResults: 2, NextToken: first.NextToken ?? '' });
    expect(second.ResultSet?.Rows?.map(values)).toHaveLength(2);
    expect(second.ResultSet?.Rows?.some((row) => values(row)[0] === 'id')).toBe(false);
  });

  it('is throttled as Athena throttles: the SDK retries a couple of throttled calls, then gives up', async () => {
    // Prepare
    const execution = await run({ QueryString: 'SELECT 1 AS one' });

    // Act
    athena.throttle(2);
    const retried = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: execution.id }));
    athena.throttle(10);
    const persistent = await client
      .send(new GetQueryExecutionCommand({ QueryExecutionId: execution.id }))
      .catch((err: unknown) => err);

    // Assess
    expect(retried.QueryExecution?.Status?.State).toBe('SUCCEEDED');
    expect(retried.$metadata.attempts).toBe(3);
    expect(persistent).toBeInstanceOf(TooManyRequestsException);
    expect(persistent).toMatchObject({
      Reason: 'CONCURRENT_QUERY_LIMIT_EXCEEDED',
      message: 'Rate exceeded',
      $metadata: { httpStatusCode: 400, attempts: 3 },
    });
  });

  it('describes a workgroup (GetWorkGroup)', async () => {
    // Act
    const { WorkGroup } = await client.send(new GetWorkGroupCommand({ WorkGroup: 'tight' }));

    // Assess
    expect(WorkGroup).toMatchObject({
      Name: 'tight',
      State: 'ENABLED',
      Configuration: {
        ResultConfiguration: { OutputLocation: 's3://results-bucket/tight/' },
        BytesScannedCutoffPerQuery: oneSourceDay(),
        EnforceWorkGroupConfiguration: false,
      },
    });
  });

  it('requires an Authorization header', async () => {
    // Act
    const response = await fetch(athena.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonAthena.GetWorkGroup' },
      body: JSON.stringify({ WorkGroup: 'audit' }),
    });

    // Assess
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
  });
});
