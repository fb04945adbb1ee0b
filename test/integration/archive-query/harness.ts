/**
 * Archive queries under test, end to end: the real collector archives a simulator's events
 * (plus hand-made ones with hostile text) into the S3 stand-in; the real query app then serves
 * the archive routes over HTTP twice, once on the local DuckDB engine and once on the Athena
 * adapter with the real SDK client talking to the Athena stand-in (which runs the SQL on DuckDB
 * over the same files). Expected answers come from the archived objects themselves.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { decodeArchiveObject } from '#core/archive/decode.js';
import type { AuditRecord } from '#core/archive/record.js';
import { DynamoArchiveQueryRegistry } from '#core/archive-query/registry.js';
import { runCompaction } from '#core/columnar/compactor.js';
import { DynamoCompactionLeases } from '#core/columnar/lease.js';
import { S3ColumnarStorage } from '#core/columnar/s3-columnar-storage.js';
import { parseEnvironment, type QueryConfig, queryEnvSchema } from '#core/config/env.js';
import { DynamoCursorReader } from '#core/cursor/dynamo-cursor-reader.js';
import type { RawAuditEvent } from '#core/mimecast/types.js';
import { localArchiveCatalog } from '#local/archive-engine/catalog.js';
import { DuckDbArchive } from '#local/archive-engine/duckdb-archive.js';
import { LocalArchiveEngine } from '#local/archive-engine/local-engine.js';
import { type LocalQueryApi, startLocalQueryApi } from '#local/query-adapter.js';
import { type AthenaStandin, s3rverTable, startAthena } from '#local/standins/athena.js';
import { applyEnv, getObject, listKeys, type StandinsWithClients } from '#test/support/standins.js';
import { buildQueryApp } from '../../../functions/query/dependencies.js';
import type { QueryApp } from '../../../functions/query/lib/app.js';
import { recordingTelemetry } from '../../unit/query/helpers/telemetry.js';
import {
  type CollectorUnderTest,
  DAY,
  HOUR,
  PREFIX,
  startAws,
  startCollector,
  T0,
} from '../collector/harness.js';
import { compactorTestSettings } from '../columnar/harness.js';

export { DAY, HOUR, T0 };

export const DATABASE = 'mimecast_audit_lake';
export const TABLE = 'audit_events';
export const WORKGROUP = 'mimecast-audit-lake';
/** A second configured source with no data: queries naming it must work and find nothing there. */
export const EMPTY_SOURCE = 'empty-source';

/** `2026-11-25T12:00:00Z` */
export const iso = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;

/** Events whose text tries to break literal matching (wildcards, quotes, backslashes, non-ASCII). */
export function hostileEvents(at: number): RawAuditEvent[] {
  const event = (n: number, id: string, user: string, eventInfo: string, auditType = 'Export Finished') => ({
    id,
    eventTime: new Date(at + n * 1000).toISOString().replace('.000Z', '+0000'),
    user,
    category: 'account_logs',
    auditType,
    eventInfo,
  });
  return [
    event(0, 'hostile-percent', 'Jane.Doe@Example.com', 'Export finished: 100% done, IP: 198.51.100.7'),
    event(1, 'hostile-no-percent', 'jane.doe@example.com', 'Export finished: 100 done, IP: 198.51.100.7'),
    event(
      2,
      'hostile-underscore',
      'ops@example.com',
      'Renamed policy a_b, IP: 198.51.100.8',
      'Policy Renamed',
    ),
    event(
      3,
      'hostile-no-underscore',
      'ops@example.com',
      'Renamed policy axb, IP: 198.51.100.8',
      'Policy Renamed',
    ),
    event(
      4,
      'hostile-quote',
      "o'brien@example.com",
      "Changed O'Brien's role, IP: 198.51.100.9",
      'Role Changed',
    ),
    event(5, 'hostile-backslash', 'ops@example.com', 'Path C:\\Temp\\x exported, IP: 198.51.100.10'),
    event(6, 'hostile-double-quote', 'ops@example.com', 'Said "hello" -- /* not a comment */; DROP TABLE x'),
    event(7, 'hostile-unicode', 'zoë@example.com', 'Zoë signed in from Zürich, IP: 2001:db8::1', 'Logon'),
    event(8, 'hostile-formula', '@attacker', '=HYPERLINK("https://attacker.example","open")', 'Logon'),
  ];
}

/** One engine behind the API. */
export interface EngineUnderTest {
  name: 'local' | 'athena';
  app: QueryApp;
  api: LocalQueryApi;
  /** Keeps new executions from finishing until release(). */
  hold(): void;
  release(): void;
  /** Resolves when the query's execution has finished, whichever way. */
  settled(queryId: string): Promise<void>;
}

/** The fixture shared by a test file. */
export interface ArchiveFixture {
  aws: StandinsWithClients;
  collector: CollectorUnderTest;
  config: QueryConfig;
  sourceId: string;
  /** Every record the archive holds, as decoded from its objects. */
  records: AuditRecord[];
  /** Where the hostile events are. */
  hostileAt: number;
  athena: AthenaStandin;
  engines: EngineUnderTest[];
  close(): Promise<void>;
}

/** Every record stored under the source's prefix. */
async function archivedRecords(aws: StandinsWithClients, sourceId: string): Promise<AuditRecord[]> {
  const keys = await listKeys(aws.s3, aws.standins.bucket, `${PREFIX}/source=${sourceId}/`);
  const records: AuditRecord[] = [];
  for (const key of keys) {
    records.push(
      ...(await decodeArchiveObject(key, (await getObject(aws.s3, aws.standins.bucket, key)).body)),
    );
  }
  return records;
}

/** Starts everything: stand-ins, a collector run to caught-up, both engines and their APIs. */
export async function startArchiveFixture(
  options: { bytesScannedCutoff?: number } = {},
): Promise<ArchiveFixture> {
  const aws = await startAws();
  const collector = await startCollector(aws, {
    sim: { eventsPerDay: 240, seed: 23 },
    settings: { LOOKBACK_DAYS: 6, PAGE_SIZE: 500 },
  });
  const hostileAt = T0 - 3 * DAY + 5 * HOUR;
  collector.sim.addEvents(hostileEvents(hostileAt));
  await collector.runUntilCaughtUp();
  const sourceId = collector.settings.SOURCE_ID;
  const records = await archivedRecords(aws, sourceId);

  // Closed days get their Parquet copy, so queries read through the view across both copies.
  const leases = new DynamoCompactionLeases(aws.dynamodb, aws.standins.table);
  const compaction = await runCompaction(
    {
      storage: new S3ColumnarStorage(aws.s3, aws.standins.bucket),
      cursor: new DynamoCursorReader(aws.dynamodb, aws.standins.table),
      leases,
      clock: collector.clock,
      log: { info: () => undefined, warn: () => undefined, error: () => undefined },
      metrics: { count: () => undefined },
    },
    compactorTestSettings({
      SOURCE_IDS: [sourceId],
      MAX_DAY_RECORDS: 1_000_000,
      PARQUET_ROW_GROUP_SIZE: 500,
    }),
    { remainingMs: () => 600_000 },
  );
  if (compaction.compacted < 2 || compaction.failures.length > 0)
    throw new Error(`compaction: ${JSON.stringify(compaction)}`);
  const table = s3rverTable(aws.standins.s3Directory, aws.standins.bucket, PREFIX);
  const archive = await DuckDbArchive.create(
    localArchiveCatalog({
      s3Directory: aws.standins.s3Directory,
      bucket: aws.standins.bucket,
      dataPrefix: PREFIX,
      database: DATABASE,
      view: TABLE,
      boundaries: () => leases.boundaries([sourceId]),
    }),
  );
  const athena = await startAthena({
    catalog: { [DATABASE]: { [`${TABLE}_ndjson`]: table } },
    workGroups: [
      {
        name: WORKGROUP,
        outputLocation: 's3://athena-results/results/',
        enforce: true,
        bytesScannedCutoffPerQuery: options.bytesScannedCutoff,
      },
      // A workgroup whose scan limit any query exceeds (the cutoff test).
      {
        name: 'tiny-cutoff',
        outputLocation: 's3://athena-results/tiny/',
        enforce: true,
        bytesScannedCutoffPerQuery: 100,
      },
    ],
    archive,
  });
  const restoreEnv = applyEnv({ ...aws.standins.env, AWS_ENDPOINT_URL_ATHENA: athena.endpoint });
  const config = parseEnvironment(queryEnvSchema, {
    MIMECAST_SECRET_ID: 'mimecast/unused',
    SOURCES: JSON.stringify([
      { id: sourceId, secretId: 'mimecast/unused' },
      { id: EMPTY_SOURCE, secretId: 'mimecast/unused' },
    ]),
    BUCKET_NAME: aws.standins.bucket,
    CURSOR_TABLE_NAME: aws.standins.table,
    DATA_PREFIX: PREFIX,
    // Reuse is exercised on its own; here every query must really run.
    ARCHIVE_RESULT_REUSE_MINUTES: '0',
  });
  const registry = new DynamoArchiveQueryRegistry(aws.dynamodb, aws.standins.table, collector.clock);
  const executionOf = async (queryId: string): Promise<string> => {
    const record = await registry.get(queryId);
    if (!record) throw new Error(`no registry record for ${queryId}`);
    return record.executionId;
  };

  const local = new LocalArchiveEngine({ archive, clock: collector.clock, database: DATABASE });
  const localApp = buildQueryApp(config, {
    clock: collector.clock,
    telemetry: recordingTelemetry(),
    archiveEngine: local,
  });
  const athenaApp = buildQueryApp(config, { clock: collector.clock, telemetry: recordingTelemetry() });
  const engines: EngineUnderTest[] = [
    {
      name: 'local',
      app: localApp,
      api: await startLocalQueryApi({ handler: localApp }),
      hold: () => local.hold(),
      release: () => local.release(),
      settled: async (queryId) => local.settled(await executionOf(queryId)),
    },
    {
      name: 'athena',
      app: athenaApp,
      api: await startLocalQueryApi({ handler: athenaApp }),
      hold: () => athena.hold(),
      release: () => athena.release(),
      settled: async (queryId) => {
        await athena.whenSettled(await executionOf(queryId));
      },
    },
  ];
  return {
    aws,
    collector,
    config,
    sourceId,
    records,
    hostileAt,
    athena,
    engines,
    async close() {
      for (const engine of engines) await engine.api.close();
      await athena.close();
      await archive.close();
      restoreEnv();
      await collector.close();
      await aws.close();
    },
  };
}

/** One HTTP exchange with an engine's API. */
export interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

/** Sends a request to the API over HTTP; the body is JSON-encoded unless it is already text. */
export async function call(
  engine: EngineUnderTest,
  method: string,
  path: string,
  body?: unknown,
): Promise<Answer> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  const response = await fetch(`${engine.api.url}${path}`, init);
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

/** Starts a query and waits until it has finished; returns its id. */
export async function runQuery(
  engine: EngineUnderTest,
  body: Record<string, unknown>,
  base = '/v1/archive/queries',
): Promise<string> {
  const started = await call(engine, 'POST', base, body);
  if (started.status !== 202)
    throw new Error(`POST answered ${started.status}: ${JSON.stringify(started.json)}`);
  const id = String(started.json.id);
  await engine.settled(id);
  return id;
}

/** Every record of a succeeded query, page by page; also returns the pages' sizes. */
export async function allResults(
  engine: EngineUnderTest,
  id: string,
  pageSize: number,
  base = '/v1/archive/queries',
): Promise<{ records: AuditRecord[]; pages: number[] }> {
  const records: AuditRecord[] = [];
  const pages: number[] = [];
  let token: string | undefined;
  for (let page = 0; page < 10_000; page++) {
    const query = `pageSize=${pageSize}${token === undefined ? '' : `&pageToken=${token}`}`;
    const answer = await call(engine, 'GET', `${base}/${id}/results?${query}`);
    if (answer.status !== 200)
      throw new Error(`results answered ${answer.status}: ${JSON.stringify(answer.json)}`);
    const events = answer.json.events as AuditRecord[];
    records.push(...events);
    pages.push(events.length);
    token = answer.json.nextPageToken as string | undefined;
    if (token === undefined) return { records, pages };
  }
  throw new Error('results never ended');
}

/** A filter as the API takes it, applied to records in memory: the expected answer. */
export interface Filter {
  start: number;
  end: number;
  sources?: string[];
  categories?: string[];
  auditTypes?: string[];
  actor?: string;
  ip?: string;
  text?: string;
  limit?: number;
}

/** The body to POST for a filter. */
export function bodyOf(filter: Filter): Record<string, unknown> {
  const { start, end, ...rest } = filter;
  return { start: iso(start), end: iso(end), ...rest };
}

const byTimeThenId = (a: AuditRecord, b: AuditRecord): number =>
  a.event_time < b.event_time ? -1 : a.event_time > b.event_time ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/** What the archive query must return for `filter`, computed from the stored records. */
export function expected(records: readonly AuditRecord[], filter: Filter): AuditRecord[] {
  const matches = records.filter((r) => {
    const t = Date.parse(r.event_time);
    if (!(filter.start <= t && t < filter.end)) return false;
    if (filter.sources && !filter.sources.includes(r.source)) return false;
    if (filter.categories && !filter.categories.includes(r.category ?? '')) return false;
    if (filter.auditTypes && !filter.auditTypes.includes(r.audit_type ?? '')) return false;
    if (filter.actor !== undefined && (r.actor ?? '').toLowerCase() !== filter.actor.toLowerCase())
      return false;
    if (filter.ip !== undefined && r.details.ip !== filter.ip) return false;
    if (filter.text !== undefined && !(r.event_info ?? '').toLowerCase().includes(filter.text.toLowerCase()))
      return false;
    return true;
  });
  return matches.sort(byTimeThenId).slice(0, filter.limit ?? 10_000);
}

/** An API Gateway event as an authenticated caller sends it (for isolation between callers). */
export function signedEvent(
  method: string,
  path: string,
  caller: string,
  body?: unknown,
  query = '',
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: query,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: {
      accountId: '111122223333',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'test' },
      requestId: `req-${Math.random().toString(36).slice(2)}`,
      routeKey: '$default',
      stage: '$default',
      time: '01/Dec/2026:08:00:00 +0000',
      timeEpoch: T0,
      authorizer: { iam: { userArn: caller } },
    } as unknown as APIGatewayProxyEventV2['requestContext'],
  };
}
