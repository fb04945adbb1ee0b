/**
 * The one SQL template of archive queries. Every value a caller supplies reaches Athena as an
 * execution parameter, never as SQL text: the template's shape depends only on which filters are
 * present and how many values a list holds, and everything else is a `?` placeholder. Athena takes
 * each execution parameter as the text of a SQL literal (a string is passed quoted, e.g. `'usa'`:
 * https://docs.aws.amazon.com/athena/latest/ug/querying-with-prepared-statements-execute.html), so
 * `athenaLiteral` quotes strings by doubling `'`, the only character special inside a SQL string
 * literal in Trino and DuckDB; `%`, `_` and `\` stay ordinary characters because the template
 * compares with `=`, `IN` and `strpos`, never `LIKE`.
 *
 * Partition pruning: `source IN (…)` and `dt BETWEEN …` let Athena's partition projection read
 * only the days and sources asked for, so a one-day query scans one day.
 *
 * The text runs unchanged on DuckDB (the local engine and the Athena stand-in) with one shim,
 * `json_format`, which DuckDB lacks; `try(details['ip'])` is NULL for a missing key in both
 * (Trino's subscript fails on a missing key, DuckDB's `element_at` on a map returns a list).
 */
import { RECORD_FIELDS } from '#core/archive/record.js';
import { toIsoSeconds, toUtcDate } from '#core/time.js';
import type { ArchiveQueryRequest } from './request.js';

/** One execution parameter, typed; adapters render it (Athena: literal text; DuckDB: a bound value). */
export type ArchiveSqlParameter = { kind: 'string'; value: string } | { kind: 'integer'; value: number };

/** SQL text with `?` placeholders and their values, in order. */
export interface ArchiveSql {
  text: string;
  parameters: ArchiveSqlParameter[];
}

/**
 * The result columns, in order. `details` is a map in the table: it is returned as JSON text
 * (Athena renders a map column as `{k=v}`, which cannot be parsed back); `extra` is a string
 * column holding the object's JSON text already.
 */
export const ARCHIVE_RESULT_COLUMNS = RECORD_FIELDS;

/** A result column name. */
export type ArchiveResultColumn = (typeof ARCHIVE_RESULT_COLUMNS)[number];

/** Table names come from configuration, never from a request; still, only plain identifiers pass. */
const IDENTIFIER = /^[a-z][a-z0-9_]{0,63}$/;

const SELECT_LIST = ARCHIVE_RESULT_COLUMNS.map((column) =>
  column === 'details' ? 'json_format(CAST(details AS JSON)) AS details' : column,
).join(',\n       ');

/** Rounds up to a whole second: event times have second precision, so `t ≥ start` ⇔ `t ≥ ⌈start⌉`. */
const ceilSecond = (ms: number): number => Math.ceil(ms / 1000) * 1000;

const text = (value: string): ArchiveSqlParameter => ({ kind: 'string', value });

/** `(?, ?, ?)` for `count` values. */
const placeholders = (count: number): string => `(${Array.from({ length: count }, () => '?').join(', ')})`;

/**
 * Builds the query's SQL over `table` (the Glue table, or the view that joins the Parquet and
 * NDJSON copies). Records come back ordered by `event_time`, then `id`.
 */
export function buildArchiveSql(request: ArchiveQueryRequest, table: string): ArchiveSql {
  if (!IDENTIFIER.test(table)) throw new RangeError('archive table name must be a plain identifier');
  if (request.sources.length === 0) throw new RangeError('an archive query needs at least one source');
  const conditions: string[] = [];
  const parameters: ArchiveSqlParameter[] = [];
  const add = (condition: string, ...values: ArchiveSqlParameter[]): void => {
    conditions.push(condition);
    parameters.push(...values);
  };

  // Both bounds are whole seconds, as every stored event_time is (`YYYY-MM-DDTHH:MM:SSZ`), so a
  // string comparison is a time comparison; the exclusive end stays exclusive after rounding up.
  const start = ceilSecond(request.start);
  const end = ceilSecond(request.end);
  const lastDay = Math.max(start, end - 1000);
  add(`source IN ${placeholders(request.sources.length)}`, ...request.sources.map(text));
  add('dt BETWEEN ? AND ?', text(toUtcDate(new Date(start))), text(toUtcDate(new Date(lastDay))));
  add('event_time >= ?', text(toIsoSeconds(new Date(start))));
  add('event_time < ?', text(toIsoSeconds(new Date(end))));
  if (request.categories?.length) {
    add(`category IN ${placeholders(request.categories.length)}`, ...request.categories.map(text));
  }
  if (request.auditTypes?.length) {
    add(`audit_type IN ${placeholders(request.auditTypes.length)}`, ...request.auditTypes.map(text));
  }
  if (request.actor !== undefined) add('lower(actor) = lower(?)', text(request.actor));
  if (request.ip !== undefined) add("try(details['ip']) = ?", text(request.ip));
  if (request.text !== undefined) add('strpos(lower(event_info), lower(?)) > 0', text(request.text));

  // Trino takes a parameter as the LIMIT row count since release 340 (trinodb/trino#3800).
  parameters.push({ kind: 'integer', value: request.limit });
  const sql = [
    `SELECT ${SELECT_LIST}`,
    `FROM ${table}`,
    `WHERE ${conditions.join('\n  AND ')}`,
    'ORDER BY event_time, id',
    'LIMIT ?',
  ].join('\n');
  return { text: sql, parameters };
}

/** A parameter as Athena's `ExecutionParameters` take it: the text of a SQL literal. */
export function athenaLiteral(parameter: ArchiveSqlParameter): string {
  if (parameter.kind === 'integer') {
    if (!Number.isSafeInteger(parameter.value)) throw new RangeError('integer parameter out of range');
    return String(parameter.value);
  }
  return `'${parameter.value.replaceAll("'", "''")}'`;
}
