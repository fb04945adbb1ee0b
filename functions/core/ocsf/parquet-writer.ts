/**
 * OCSF events as one Parquet file of one class (the schema of ./parquet-schema.ts), written a row
 * group at a time to a byte sink (an S3 multipart upload, a file), so a day of events never has
 * to sit in memory. Same library and choices as the archive's Parquet copy
 * (functions/core/columnar/parquet-writer.ts): hyparquet-writer, GZIP pages through node:zlib.
 *
 * What Amazon Security Lake asks of a custom source's objects (Security Lake user guide,
 * "Collecting data from custom sources",
 * https://docs.aws.amazon.com/security-lake/latest/userguide/custom-sources.html):
 * - Apache Parquet, versions 1.x or 2.x; one OCSF class per object: write() refuses an event of
 *   another class than the writer's.
 * - "Data page size should be limited to 1 MB (uncompressed)": see DATA_PAGE_SIZE.
 * - "Row group size should be no larger than 256 MB (compressed)": a row group of the default
 *   25 000 events is a few MB.
 * - "zstandard is preferred": GZIP here, as in the archive's copy and in AWS's own sample Security
 *   Lake files; node:zlib has ZSTD only from Node 22.15, and Security Lake reads GZIP Parquet.
 * - "records should be ordered by time": the caller writes events in time order (the writer
 *   keeps the order it is given).
 */
import { gzipSync } from 'node:zlib';
import { ParquetWriter } from 'hyparquet-writer';
import { PARQUET_GZIP_LEVEL } from '#core/columnar/parquet-writer.js';
import { SinkWriter, serialFileWriter } from '#core/columnar/sink-writer.js';
import type { OcsfClassUid } from './classify.js';
import type { OcsfEvent } from './map.js';
import { type OcsfField, ocsfFields, ocsfParquetSchema } from './parquet-schema.js';
import { OCSF_VERSION } from './version.js';

/** Events per row group: as the archive's copy (its measurements: memory grows with it, the file hardly shrinks). */
export const DEFAULT_OCSF_ROW_GROUP_SIZE = 25_000;

/**
 * Bytes of values per data page. hyparquet-writer starts a new page once a page's values reach
 * this size, so a page holds at most this plus one value and its levels: a string of toOcsf is at
 * most 65 535 UTF-16 units (≤ 196 605 UTF-8 bytes), which keeps every page under Security Lake's
 * 1 MB (uncompressed).
 */
export const DATA_PAGE_SIZE = 512 * 1024;

/** Bytes of distinct values beyond which a column chunk is written without a dictionary (its page too stays under 1 MB). */
export const DICTIONARY_SIZE = 512 * 1024;

/** Bytes kept of a string's row-group min/max (as the archive's copy: ids and timestamps stay whole). */
const STATISTICS_TRUNCATE_LENGTH = 64;

/** The footer's `created_by`, in parquet-mr's `<application> version <version> (build <build>)` form. */
const CREATED_BY = 'mimecast-audit-lake version 1 (build hyparquet-writer)';

/** One `unmapped` entry as the MAP column holds it. */
export interface UnmappedEntry {
  key: string;
  value: string;
}

/**
 * `unmapped` as MAP<STRING,STRING> entries, flattened as Security Lake flattens its own sources'
 * `unmapped` (dotted keys): a string stays as it is, an object contributes one entry per member
 * (`details.reason`, `extra.eventSource`), its string members as they are and any other member as
 * its JSON (`extra.nested` → `{"n":1}`); any other value is its JSON (`42`, `true`, `["a"]`).
 * One level only, so a key maps back to exactly one place (toOcsf's top-level `unmapped` keys have
 * no dots); an empty object is `{}` under its own key. Entry order is the object's key order.
 */
export function flattenUnmapped(unmapped: Readonly<Record<string, unknown>>): UnmappedEntry[] {
  const entries: UnmappedEntry[] = [];
  const seen = new Set<string>();
  const add = (key: string, value: unknown): void => {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    if (text === undefined) return;
    if (seen.has(key)) throw new RangeError(`unmapped: two values flatten to the key ${JSON.stringify(key)}`);
    seen.add(key);
    entries.push({ key, value: text });
  };
  for (const [key, value] of Object.entries(unmapped)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const members = Object.entries(value);
      if (members.length === 0) add(key, value);
      for (const [member, item] of members) add(`${key}.${member}`, item);
    } else {
      add(key, value);
    }
  }
  return entries;
}

/** Turns an attribute's value into what hyparquet-writer takes for its column (null when absent). */
type Convert = (value: unknown, path: string) => unknown;

/** Thrown for an event that does not fit its class's schema (an attribute without a column). */
const unknownAttribute = (classUid: OcsfClassUid, path: string): Error =>
  new Error(`OCSF attribute ${path} has no column in the Parquet schema of class ${classUid}`);

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function converterOf(field: OcsfField, classUid: OcsfClassUid): Convert {
  switch (field.type) {
    case 'string':
    case 'int32':
    case 'boolean':
    case 'list<string>':
      return (value) => value ?? null;
    case 'int64':
      // hyparquet-writer takes INT64 as bigint; BigInt() throws for a non-integer.
      return (value) => (value === undefined || value === null ? null : BigInt(value as number));
    case 'map<string,string>':
      return (value, path) => {
        if (value === undefined || value === null) return null;
        if (!isObject(value)) throw new TypeError(`OCSF attribute ${path} is not an object`);
        return flattenUnmapped(value);
      };
    case 'struct': {
      const children = field.fields.map((child) => ({
        name: child.name,
        convert: converterOf(child, classUid),
      }));
      const names = new Set(children.map((child) => child.name));
      // Groups without INT64 or MAP below them go to the writer as they are (it reads fields by name).
      const copy = field.fields.some(needsCopy);
      return (value, path) => {
        if (value === undefined || value === null) return null;
        if (!isObject(value)) throw new TypeError(`OCSF attribute ${path} is not an object`);
        for (const key of Object.keys(value)) {
          if (!names.has(key) && value[key] !== undefined) throw unknownAttribute(classUid, `${path}.${key}`);
        }
        if (!copy) {
          // Still checks the groups below for unknown attributes.
          for (const child of children) child.convert(value[child.name], `${path}.${child.name}`);
          return value;
        }
        const out: Record<string, unknown> = {};
        for (const child of children)
          out[child.name] = child.convert(value[child.name], `${path}.${child.name}`);
        return out;
      };
    }
  }
}

function needsCopy(field: OcsfField): boolean {
  if (field.type === 'int64' || field.type === 'map<string,string>') return true;
  return field.type === 'struct' && field.fields.some(needsCopy);
}

/** A Parquet file of OCSF events of one class being written. */
export interface OcsfParquetWriter {
  /** Appends events in order (all of the writer's class); writes a row group whenever rowGroupSize rows are buffered. */
  write(events: readonly OcsfEvent[]): Promise<void>;
  /** Writes the remaining rows and the footer. */
  close(): Promise<{ rows: number; bytes: number; rowGroups: number }>;
}

/**
 * A writer of OCSF events of class `classUid`. `sink` receives the file's bytes in order, a row
 * group at a time (e.g. parts of an S3 multipart upload); memory stays bounded by one row group.
 * An event of another class, or with an attribute the class's schema lacks, fails the write (and
 * the file: every later call fails with the same error).
 */
export function createOcsfParquetWriter(
  classUid: OcsfClassUid,
  sink: (chunk: Uint8Array) => Promise<void>,
  options: { rowGroupSize?: number | undefined } = {},
): OcsfParquetWriter {
  const rowGroupSize = options.rowGroupSize ?? DEFAULT_OCSF_ROW_GROUP_SIZE;
  if (!Number.isSafeInteger(rowGroupSize) || rowGroupSize < 1) {
    throw new RangeError(`rowGroupSize must be a positive integer, got ${rowGroupSize}`);
  }
  const columns = ocsfFields(classUid).map((field) => ({
    name: field.name,
    convert: converterOf(field, classUid),
  }));
  const known = new Set(columns.map((column) => column.name));
  const output = new SinkWriter(sink);
  const writer = new ParquetWriter({
    writer: output,
    schema: ocsfParquetSchema(classUid),
    codec: 'GZIP',
    compressors: { GZIP: (input) => gzipSync(input, { level: PARQUET_GZIP_LEVEL }) },
    statisticsTruncateLength: STATISTICS_TRUNCATE_LENGTH,
    createdBy: CREATED_BY,
    kvMetadata: [
      { key: 'ocsf.version', value: OCSF_VERSION },
      { key: 'ocsf.class_uid', value: String(classUid) },
    ],
  });
  let buffers: unknown[][] = columns.map(() => []);
  let buffered = 0;
  let rows = 0;

  /** Encodes the buffered rows as one row group and waits until the sink has taken its bytes. */
  async function writeRowGroup(): Promise<void> {
    if (buffered === 0) return;
    const data = buffers;
    const count = buffered;
    buffers = columns.map(() => []);
    buffered = 0;
    await writer.write({
      rowGroupSize: count,
      pageSize: DATA_PAGE_SIZE,
      dictionarySize: DICTIONARY_SIZE,
      columnData: columns.map(({ name }, i) => ({ name, data: data[i] as unknown[] })),
    });
    rows += count;
  }

  async function append(events: readonly OcsfEvent[]): Promise<void> {
    for (const event of events) {
      if (event.class_uid !== classUid) {
        throw new RangeError(
          `event ${event.metadata?.uid} is of class ${event.class_uid}, this file holds class ${classUid}`,
        );
      }
      const row = event as unknown as Record<string, unknown>;
      for (const key of Object.keys(row)) {
        if (!known.has(key) && row[key] !== undefined) throw unknownAttribute(classUid, key);
      }
      // Converted first, pushed after: an event that fails leaves no partial row behind.
      const values = columns.map((column) => column.convert(row[column.name], column.name));
      for (let i = 0; i < values.length; i += 1) (buffers[i] as unknown[]).push(values[i]);
      buffered += 1;
      if (buffered === rowGroupSize) await writeRowGroup();
    }
  }

  return serialFileWriter<OcsfEvent>('OcsfParquetWriter', {
    append,
    finish: async () => {
      await writeRowGroup();
      await writer.finish();
      return { rows, bytes: output.offset, rowGroups: writer.row_groups.length };
    },
  });
}
