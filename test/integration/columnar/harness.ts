/**
 * Compaction under test: the real collector archives a simulator's days into the S3 stand-in,
 * then the real compactor (core run, S3ColumnarStorage, DynamoDB cursor and leases) builds the
 * Parquet copy on the same test clock. The local view (DuckDB over s3rver's files, the view SQL
 * with the compactor's boundaries) is what Athena would answer.
 */

import { decodeArchiveObject } from '#core/archive/decode.js';
import type { AuditRecord } from '#core/archive/record.js';
import { columnPositions, recordFromRow } from '#core/archive-query/records.js';
import {
  type CompactionRequest,
  type CompactionSummary,
  type CompactorDeps,
  type CompactorSettings,
  runCompaction,
} from '#core/columnar/compactor.js';
import { DynamoCompactionLeases } from '#core/columnar/lease.js';
import { S3ColumnarStorage } from '#core/columnar/s3-columnar-storage.js';
import type { ColumnarStorage } from '#core/columnar/storage.js';
import { DynamoCursorReader } from '#core/cursor/dynamo-cursor-reader.js';
import { localArchiveCatalog } from '#local/archive-engine/catalog.js';
import { DuckDbArchive } from '#local/archive-engine/duckdb-archive.js';
import { getObject, listKeys, type StandinsWithClients } from '#test/support/standins.js';
import { type CollectorUnderTest, DAY, PREFIX, startAws, startCollector, T0 } from '../collector/harness.js';

export { DAY, PREFIX, T0 };

export const DATABASE = 'mimecast_audit_lake';
export const VIEW = 'audit_events';

/** What a test gets. */
export interface CompactionFixture {
  aws: StandinsWithClients;
  collector: CollectorUnderTest;
  sourceId: string;
  leases: DynamoCompactionLeases;
  /** The compactor's dependencies on the real stores (storage may be wrapped per run). */
  deps(storage?: ColumnarStorage): CompactorDeps;
  settings: CompactorSettings;
  /** One compactor run on the test clock. */
  compact(request?: CompactionRequest, storage?: ColumnarStorage): Promise<CompactionSummary>;
  /** Every NDJSON record of the source, from its objects. */
  ndjsonRecords(): Promise<AuditRecord[]>;
  /** The records of one day's Parquet object, in file order, read by DuckDB. */
  parquetDay(dt: string): Promise<AuditRecord[] | undefined>;
  /** SQL on the local view (and its tables), as Athena would run it. */
  query(sql: string): Promise<Array<Array<string | null>>>;
  close(): Promise<void>;
}

/** Compactor settings for tests: the collector harness's prefix, small row groups, a day closed 1 d 5 min after its end. */
export function compactorTestSettings(overrides: Partial<CompactorSettings> = {}): CompactorSettings {
  return {
    DATA_PREFIX: PREFIX,
    SOURCE_IDS: [],
    REGISTRY_SOURCES: false,
    CLOSE_AFTER_SECONDS: 86_400 + 300,
    RECHECK_DAYS: 62,
    MAX_DAY_RECORDS: 2_000_000,
    PARQUET_ROW_GROUP_SIZE: 100,
    TAG_COMPACTED_NDJSON: false,
    SAFETY_MARGIN_MS: 1_000,
    ...overrides,
  };
}

/** Starts stand-ins and a collector, runs it until caught up. */
export async function startCompactionFixture(
  options: { days?: number; eventsPerDay?: number } = {},
): Promise<CompactionFixture> {
  const aws = await startAws();
  const collector = await startCollector(aws, {
    sim: { eventsPerDay: options.eventsPerDay ?? 400, seed: 41 },
    settings: { LOOKBACK_DAYS: options.days ?? 5, PAGE_SIZE: 500 },
  });
  await collector.runUntilCaughtUp();
  const sourceId = collector.settings.SOURCE_ID;
  const leases = new DynamoCompactionLeases(aws.dynamodb, aws.standins.table);
  const storage = new S3ColumnarStorage(aws.s3, aws.standins.bucket);
  const settings = compactorTestSettings({ SOURCE_IDS: [sourceId] });
  const deps = (custom?: ColumnarStorage): CompactorDeps => ({
    storage: custom ?? storage,
    cursor: new DynamoCursorReader(aws.dynamodb, aws.standins.table),
    leases,
    clock: collector.clock,
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    metrics: { count: () => undefined },
  });
  const archive = await DuckDbArchive.create(
    localArchiveCatalog({
      s3Directory: aws.standins.s3Directory,
      bucket: aws.standins.bucket,
      dataPrefix: PREFIX,
      database: DATABASE,
      view: VIEW,
      boundaries: () => leases.boundaries([sourceId]),
    }),
  );
  return {
    aws,
    collector,
    sourceId,
    leases,
    deps,
    settings,
    compact: (request = {}, custom) =>
      runCompaction(deps(custom), settings, { remainingMs: () => 600_000 }, request),
    async ndjsonRecords() {
      const keys = (await listKeys(aws.s3, aws.standins.bucket, `${PREFIX}/source=${sourceId}/`)).filter(
        (k) => k.endsWith('.ndjson.gz'),
      );
      const records: AuditRecord[] = [];
      for (const key of keys)
        records.push(
          ...(await decodeArchiveObject(key, (await getObject(aws.s3, aws.standins.bucket, key)).body)),
        );
      return records;
    },
    async parquetDay(dt) {
      const result = await archive.execute(
        `SELECT id, event_time, category, audit_type, actor, event_info, json_format(CAST(details AS JSON)) AS details, extra, source, collected_at FROM ${VIEW}_parquet WHERE source = ? AND dt = ?`,
        [sourceId, dt],
        { database: DATABASE },
      );
      if (result.rows.length === 0) return undefined;
      const positions = columnPositions(result.columns.map((c) => c.name));
      return result.rows.map((row) => recordFromRow(row, positions));
    },
    async query(sql) {
      return (await archive.execute(sql, [], { database: DATABASE })).rows;
    },
    async close() {
      await archive.close();
      await collector.close();
      await aws.close();
    },
  };
}

/** Days (`YYYY-MM-DD`) of `records`, ascending. */
export const daysOf = (records: readonly AuditRecord[]): string[] =>
  [...new Set(records.map((r) => r.event_time.slice(0, 10)))].sort();

/** The records of one day in (event_time, id) order. */
export function dayRecords(records: readonly AuditRecord[], dt: string): AuditRecord[] {
  return records
    .filter((r) => r.event_time.startsWith(dt))
    .sort((a, b) =>
      a.event_time < b.event_time
        ? -1
        : a.event_time > b.event_time
          ? 1
          : a.id < b.id
            ? -1
            : a.id > b.id
              ? 1
              : 0,
    );
}
