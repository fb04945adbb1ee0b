/**
 * The local copy of the Glue catalog: the NDJSON table, the Parquet table and the view over both,
 * as DuckDB tables over s3rver's files. npm start, the tests and the benchmarks build it here, so
 * they all query the archive the way Athena does, through the same view SQL.
 */

import { archiveTableNames } from '#core/columnar/glue-view.js';
import { parquetRoot } from '#core/columnar/layout.js';
import { archiveViewSql } from '#core/columnar/view.js';
import { s3rverObjectReady, s3rverTableRoot } from '../standins/athena.js';
import type { DuckDbArchiveTable, DuckDbArchiveView } from './duckdb-archive.js';

/** s3rver's file name endings of the two formats. */
const NDJSON_FILES = '.ndjson.gz._S3rver_object';
const PARQUET_FILES = '.parquet._S3rver_object';

/** Tables and view of one database over an s3rver directory. */
export function localArchiveCatalog(options: {
  s3Directory: string;
  bucket: string;
  dataPrefix: string;
  database: string;
  /** The view's name (ARCHIVE_TABLE); the tables are `<view>_ndjson` and `<view>_parquet`. */
  view: string;
  /** Each source's view boundary now (the compactor's record), read per execution. */
  boundaries: () => Promise<ReadonlyMap<string, string>>;
}): { tables: DuckDbArchiveTable[]; views: DuckDbArchiveView[] } {
  const names = archiveTableNames(options.view);
  return {
    tables: [
      {
        name: names.ndjson,
        database: options.database,
        root: s3rverTableRoot(options.s3Directory, options.bucket, options.dataPrefix),
        suffix: NDJSON_FILES,
        format: 'ndjson',
        ready: s3rverObjectReady,
      },
      {
        name: names.parquet,
        database: options.database,
        root: s3rverTableRoot(options.s3Directory, options.bucket, parquetRoot(options.dataPrefix)),
        suffix: PARQUET_FILES,
        format: 'parquet',
        ready: s3rverObjectReady,
      },
    ],
    views: [
      {
        name: options.view,
        database: options.database,
        sql: async () => archiveViewSql(names, await options.boundaries()),
      },
    ],
  };
}
