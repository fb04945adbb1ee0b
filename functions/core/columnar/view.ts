/**
 * The view analysts and the archive query API read: for each source, the days before its
 * boundary from the Parquet copy, the rest from the NDJSON, never a day from both. The compactor
 * sets a source's boundary to its first day without a current Parquet copy (a day not closed
 * yet, not compacted yet, failed, or changed since), so every day before it is whole in Parquet.
 *
 * The boundaries are literals in the SQL, not a lookup: partition predicates with constants are
 * what Athena prunes partitions by, so a query reads each day from one copy only (an anti-join
 * against the Parquet table would still read every NDJSON object). The same SQL defines the Glue
 * view (Athena, Trino) and the local DuckDB view; tests run it on DuckDB.
 */
import { RECORD_COLUMNS } from '#core/archive/record.js';
import { SOURCE_ID_PATTERN } from '#core/source-id.js';

/** The view's columns, in order: the record columns, then the partitions (as `SELECT *` gives them). */
export const VIEW_COLUMNS = [...RECORD_COLUMNS.map((c) => c.name), 'source', 'dt'] as const;

const IDENTIFIER = /^[a-z][a-z0-9_]{0,63}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Per source: every day before this (`YYYY-MM-DD`, exclusive) is read from Parquet. */
export type ViewBoundaries = ReadonlyMap<string, string>;

/** The condition "this row's day comes from Parquet" (a constant predicate on the partitions). */
function fromParquet(alias: string, boundaries: ViewBoundaries): string {
  const terms = [...boundaries.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([source, before]) => {
      if (!SOURCE_ID_PATTERN.test(source)) throw new RangeError(`not a source id: ${source}`);
      if (!DAY.test(before)) throw new RangeError(`not a day: ${before}`);
      return `(${alias}.source = '${source}' AND ${alias}.dt < '${before}')`;
    });
  return terms.length === 0 ? '1 = 0' : terms.join(' OR ');
}

/** The view's SQL over the two tables (plain identifiers from configuration). */
export function archiveViewSql(
  tables: { ndjson: string; parquet: string },
  boundaries: ViewBoundaries,
): string {
  for (const name of [tables.ndjson, tables.parquet]) {
    if (!IDENTIFIER.test(name)) throw new RangeError(`table name must be a plain identifier: ${name}`);
  }
  const columns = (alias: string) => VIEW_COLUMNS.map((c) => `${alias}.${c}`).join(', ');
  const split = (alias: string) => fromParquet(alias, boundaries);
  return [
    `SELECT ${columns('p')}`,
    `FROM ${tables.parquet} p`,
    `WHERE ${split('p')}`,
    'UNION ALL',
    `SELECT ${columns('n')}`,
    `FROM ${tables.ndjson} n`,
    `WHERE NOT (${split('n')})`,
  ].join('\n');
}
