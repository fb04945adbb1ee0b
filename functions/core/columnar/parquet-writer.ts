/**
 * The archive's Parquet copy: archive records written as one Parquet file, a row group at a time,
 * to a byte sink (an S3 multipart upload, a file), so a day of records never has to sit in memory.
 *
 * Built on hyparquet-writer (pure JavaScript, one dependency, no wasm): of the writers measured
 * (docs/performance.md) it was the fastest, gave the smallest files and the smallest Lambda bundle,
 * and writes MAP, the STRING annotation, dictionary pages and row-group statistics.
 *
 * What Athena reads: the Parquet SerDe `org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe`
 * (https://docs.aws.amazon.com/athena/latest/ug/parquet-serde.html), with GZIP, SNAPPY and ZSTD all
 * readable for Parquet in engine version 3
 * (https://docs.aws.amazon.com/athena/latest/ug/compression-support-hive.html).
 */
import { gzipSync } from 'node:zlib';
import { ParquetWriter, type SchemaElement } from 'hyparquet-writer';
import { type AuditRecord, RECORD_COLUMNS } from '../archive/record.js';
import { stringElement, stringMapElements } from './parquet-elements.js';
import { SinkWriter, serialFileWriter } from './sink-writer.js';

/** One column of the Parquet file, named and typed as the Glue table declares it. */
export interface ParquetColumn {
  name: (typeof RECORD_COLUMNS)[number]['name'];
  /** The Glue (Hive DDL) type. */
  type: (typeof RECORD_COLUMNS)[number]['type'];
  /** REQUIRED in the Parquet schema (never null); every other column is OPTIONAL. */
  required: boolean;
}

/** Columns that are never null in a record (the deduplication key and the partitioning time). */
const REQUIRED_COLUMNS: ReadonlySet<string> = new Set(['id', 'event_time']);

/** File columns of the Parquet copy: the record's fields except `source` (a partition column, from the key), in RECORD_COLUMNS order, with the Glue types (details MAP<STRING,STRING>, everything else STRING; id and event_time required). */
export const PARQUET_COLUMNS: readonly ParquetColumn[] = RECORD_COLUMNS.map((column) => ({
  name: column.name,
  type: column.type,
  required: REQUIRED_COLUMNS.has(column.name),
}));

/**
 * Rows per row group. Measured with 1 000 000 realistic records (docs/performance.md): the file
 * hardly depends on it (10 000 rows: +0.7 %, 25 000: +0.2 %, 100 000: -0.1 % against 50 000)
 * while the writer's memory grows with it (peak RSS 175 / 265 / 327 MB at 10 000 / 25 000 /
 * 50 000 rows with a 192 MB heap) and throughput falls (57 000 / 47 500 / 43 700 records/s).
 * 25 000 rows keeps almost all of the compression at 60–80 % of 50 000's peak memory; each row
 * group is ~1.8 MB, so an S3 multipart sink must gather several per part (parts are ≥ 5 MiB).
 */
export const DEFAULT_ROW_GROUP_SIZE = 25_000;

/**
 * zlib level of the GZIP pages. GZIP, not ZSTD: with this writer's pages GZIP level 6 gave a
 * smaller file than ZSTD level 3 (70.5 MB against 75.9 MB for 1 000 000 records in row groups of
 * 50 000), and it is node:zlib's native code on Node 20 and 22, where ZSTD needs Node ≥ 22.15 or
 * a wasm codec. Level 9 is 2.6 % smaller and 22 % slower. SNAPPY, the library's built-in codec,
 * gave a file larger than the gzip NDJSON of the same records (106 MB against 88.5 MB).
 */
export const PARQUET_GZIP_LEVEL = 6;

/**
 * Bytes kept of a string's row-group min/max. hyparquet-writer's default (16) would cut
 * `event_time` (20 bytes) and make its bounds inexact; 64 keeps every timestamp and id whole
 * and only shortens the bounds of `event_info` and `extra` (the footer stays small).
 */
const STATISTICS_TRUNCATE_LENGTH = 64;

/**
 * The footer's `created_by`, in parquet-mr's `<application> version <version> (build <build>)`
 * form: readers that cannot parse it (parquet-mr's CorruptStatistics) ignore legacy string statistics.
 */
const CREATED_BY = 'mimecast-audit-lake version 1 (build hyparquet-writer)';

/**
 * The Parquet schema: a flat list in depth-first order. `details` is the standard three-level MAP
 * (`details` MAP → repeated `key_value` → required `key`, optional `value`); the key must be
 * REQUIRED, or readers such as pyarrow refuse the map.
 */
function parquetSchema(): SchemaElement[] {
  const schema: SchemaElement[] = [{ name: 'schema', num_children: PARQUET_COLUMNS.length }];
  for (const column of PARQUET_COLUMNS) {
    if (column.type === 'map<string,string>') {
      schema.push(...stringMapElements(column.name, column.required));
    } else {
      schema.push(stringElement(column.name, column.required));
    }
  }
  return schema;
}

/** One row group's values, column by column, as hyparquet-writer takes them. */
interface ColumnBuffers {
  id: string[];
  event_time: string[];
  category: (string | null)[];
  audit_type: (string | null)[];
  actor: (string | null)[];
  event_info: (string | null)[];
  details: Record<string, string>[];
  extra: string[];
  collected_at: string[];
}

const emptyBuffers = (): ColumnBuffers => ({
  id: [],
  event_time: [],
  category: [],
  audit_type: [],
  actor: [],
  event_info: [],
  details: [],
  extra: [],
  collected_at: [],
});

/** A Parquet file being written. */
export interface ParquetRecordWriter {
  /** Appends records in order; writes a row group whenever rowGroupSize rows are buffered. */
  write(records: readonly AuditRecord[]): Promise<void>;
  /** Writes the remaining rows and the footer. */
  close(): Promise<{ rows: number; bytes: number; rowGroups: number }>;
}

/** `sink` receives the file's bytes in order, a row group at a time (e.g. parts of an S3 multipart upload); memory stays bounded by one row group. */
export function createParquetRecordWriter(
  sink: (chunk: Uint8Array) => Promise<void>,
  options: { rowGroupSize?: number } = {},
): ParquetRecordWriter {
  const rowGroupSize = options.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE;
  if (!Number.isSafeInteger(rowGroupSize) || rowGroupSize < 1) {
    throw new RangeError(`rowGroupSize must be a positive integer, got ${rowGroupSize}`);
  }
  const output = new SinkWriter(sink);
  const writer = new ParquetWriter({
    writer: output,
    schema: parquetSchema(),
    codec: 'GZIP',
    compressors: { GZIP: (input) => gzipSync(input, { level: PARQUET_GZIP_LEVEL }) },
    statisticsTruncateLength: STATISTICS_TRUNCATE_LENGTH,
    createdBy: CREATED_BY,
  });
  let buffers = emptyBuffers();
  let buffered = 0;
  let rows = 0;

  /** Encodes the buffered rows as one row group and waits until the sink has taken its bytes. */
  async function writeRowGroup(): Promise<void> {
    if (buffered === 0) return;
    const columns = buffers;
    const count = buffered;
    buffers = emptyBuffers();
    buffered = 0;
    await writer.write({
      rowGroupSize: count,
      columnData: PARQUET_COLUMNS.map(({ name }) => ({ name, data: columns[name] })),
    });
    rows += count;
  }

  async function append(records: readonly AuditRecord[]): Promise<void> {
    for (const record of records) {
      buffers.id.push(record.id);
      buffers.event_time.push(record.event_time);
      buffers.category.push(record.category);
      buffers.audit_type.push(record.audit_type);
      buffers.actor.push(record.actor);
      buffers.event_info.push(record.event_info);
      buffers.details.push(record.details);
      // The NDJSON table types `extra` as a string holding the object's JSON; so does this file.
      buffers.extra.push(JSON.stringify(record.extra));
      buffers.collected_at.push(record.collected_at);
      buffered += 1;
      if (buffered === rowGroupSize) await writeRowGroup();
    }
  }

  return serialFileWriter<AuditRecord>('ParquetRecordWriter', {
    append,
    finish: async () => {
      await writeRowGroup();
      await writer.finish();
      return { rows, bytes: output.offset, rowGroups: writer.row_groups.length };
    },
  });
}
