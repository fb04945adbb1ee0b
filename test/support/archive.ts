/**
 * The Athena-compatibility check: DuckDB reads the archive the way the Glue table will
 * (`read_ndjson` over `*.ndjson.gz`, hive partitions `source`/`dt` from the key, the exact
 * column list of RECORD_COLUMNS) after the objects are mirrored out of S3 through the S3 API.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { RECORD_COLUMNS } from '#core/archive/record.js';
import { sqlString } from './duckdb.js';
import { getObject, listKeys } from './standins.js';

/** Glue column type → DuckDB type. `extra` is a Glue `string`: the OpenX JSON SerDe hands the nested object over as its JSON text, and so does DuckDB for a VARCHAR column. */
const DUCKDB_TYPES: Record<(typeof RECORD_COLUMNS)[number]['type'], string> = {
  string: 'VARCHAR',
  'map<string,string>': 'MAP(VARCHAR, VARCHAR)',
};

/** One row as the query engine sees it. */
export interface ArchiveRow {
  id: string;
  event_time: string;
  category: string | null;
  audit_type: string | null;
  actor: string | null;
  event_info: string | null;
  details: Record<string, string>;
  /** JSON text, as Athena returns a `string` column holding an object. */
  extra: string | null;
  collected_at: string;
  /** Partition columns, from the key. */
  source: string;
  dt: string;
}

/** What DuckDB read. */
export interface ArchiveReadout {
  rows: ArchiveRow[];
  /** Row count per `<source>/<dt>` partition, e.g. `{ 'default/2026-11-25': 42 }`. */
  perDay: Record<string, number>;
}

/** The `columns = {...}` argument built from RECORD_COLUMNS, the Glue table's column list. */
export function duckDbColumns(): string {
  return `{${RECORD_COLUMNS.map((column) => `${column.name}: ${sqlString(DUCKDB_TYPES[column.type])}`).join(', ')}}`;
}

function asDetails(value: unknown): Record<string, string> {
  // DuckDB returns a MAP as [{key, value}, …]; Athena as a map. Normalise to an object.
  if (!Array.isArray(value)) return {};
  const entries: Array<[string, string]> = [];
  for (const entry of value) {
    if (typeof entry === 'object' && entry !== null && 'key' in entry && 'value' in entry) {
      entries.push([String(entry.key), String(entry.value)]);
    }
  }
  return Object.fromEntries(entries);
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * Reads every `*.ndjson.gz` below `localDir` with hive partitioning and the Glue column list.
 * Partition values stay strings (as the Glue table's projected partition keys are).
 */
export async function readArchiveWithDuckDb(localDir: string): Promise<ArchiveReadout> {
  // DuckDB fails on a glob that matches nothing; an empty archive is a valid answer here.
  const files = await readdir(localDir, { recursive: true }).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  });
  if (!files.some((file) => file.endsWith('.ndjson.gz'))) return { rows: [], perDay: {} };
  const glob = `${resolve(localDir)}/**/*.ndjson.gz`;
  const source = `read_ndjson(${sqlString(glob)}, hive_partitioning = true, hive_types = {'source': VARCHAR, 'dt': VARCHAR}, columns = ${duckDbColumns()})`;
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(
      `SELECT * FROM ${source} ORDER BY source, dt, event_time, id`,
    );
    const rows = reader.getRowObjectsJson().map(
      (row): ArchiveRow => ({
        id: String(row.id),
        event_time: String(row.event_time),
        category: text(row.category),
        audit_type: text(row.audit_type),
        actor: text(row.actor),
        event_info: text(row.event_info),
        details: asDetails(row.details),
        extra: text(row.extra),
        collected_at: String(row.collected_at),
        source: String(row.source),
        dt: String(row.dt),
      }),
    );
    const counts = await connection.runAndReadAll(
      `SELECT source, dt, count(*) AS n FROM ${source} GROUP BY source, dt ORDER BY source, dt`,
    );
    const perDay: Record<string, number> = {};
    for (const row of counts.getRowObjectsJson())
      perDay[`${String(row.source)}/${String(row.dt)}`] = Number(row.n);
    return { rows, perDay };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/**
 * Copies every object under `prefix` from S3 into `localDir`, key → path, through the S3 API
 * (so DuckDB reads exactly what S3 serves). Returns the keys copied.
 */
export async function mirrorS3ToDir(
  s3: S3Client,
  bucket: string,
  prefix: string,
  localDir: string,
): Promise<string[]> {
  const root = resolve(localDir);
  const keys = await listKeys(s3, bucket, prefix);
  for (const key of keys) {
    const target = resolve(root, key);
    // A key with `..` segments must not escape the mirror directory.
    if (!target.startsWith(`${root}${sep}`))
      throw new Error(`refusing to mirror key outside the directory: ${key}`);
    const object = await getObject(s3, bucket, key);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, object.body);
  }
  return keys;
}
