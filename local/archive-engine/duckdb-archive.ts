/**
 * DuckDB over the archive's files, the way Athena reads the Glue table: one view per table over
 * `<root>/source=<id>/dt=<YYYY-MM-DD>/*<suffix>` with the Glue column list (RECORD_COLUMNS), the
 * hive partition columns `source`/`dt` (strings, as the table's projected partition keys are)
 * and gzip NDJSON read strictly (a malformed line fails the query, as the table's SerDe is set up
 * to). Results come back as Athena's GetQueryResults renders them: every value a string.
 *
 * Each view is a `read_ndjson` over the explicit list of the table's files present *now* (the
 * collector keeps writing), listed here rather than globbed by DuckDB: an empty or still-uploading
 * object (s3rver writes in place) is left out instead of failing the query, and a table with no
 * files yet is an empty relation instead of DuckDB's "No files found". DuckDB still prunes the
 * list by the `source`/`dt` filters before opening anything, as Athena's partition projection does.
 *
 * Each execution runs in a DuckDB instance of its own, created for it and closed after it:
 * - nothing (views, file lists) is cached between executions;
 * - DuckDB's file-system log, which tells which objects the query opened (its bytes scanned), is
 *   per instance, so concurrent executions never see each other's entries, and the log is dropped
 *   with the instance instead of growing (`truncate_duckdb_logs()` exists in DuckDB 1.5 but empties
 *   every connection's log, including that of a query still running on another connection);
 * - the execution is sandboxed: after the views exist, file access is limited to the tables'
 *   directories, only SELECT statements run, extensions are never installed or loaded, and the
 *   configuration is locked, so SQL text cannot read other local files, write files or change
 *   any of this. A fresh in-memory instance costs ~20 ms.
 */
import type { Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  BIGINT,
  DuckDBArrayType,
  DuckDBArrayValue,
  DuckDBBlobValue,
  DuckDBDecimalType,
  DuckDBInstance,
  DuckDBListType,
  DuckDBListValue,
  DuckDBMapType,
  DuckDBMapValue,
  DuckDBStructType,
  DuckDBStructValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTimeValue,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBValue,
  StatementType,
  VARCHAR,
} from '@duckdb/node-api';
import { RECORD_COLUMNS } from '#core/archive/record.js';

/** One table: a directory of `source=*​/dt=*​/` partitions holding objects that end in `suffix`. */
export interface DuckDbArchiveTable {
  /** Table name the SQL uses (a plain identifier). */
  name: string;
  /** The directory holding the `source=<id>/` directories (need not exist yet). */
  root: string;
  /** How object file names end: `.ndjson.gz`, or `.ndjson.gz._S3rver_object` for s3rver's files. */
  suffix: string;
  /** What the objects hold: gzip NDJSON (the system of record, default) or Parquet (the columnar copy). */
  format?: 'ndjson' | 'parquet' | undefined;
  /**
   * The Athena (Glue) database the table belongs to; it becomes a DuckDB schema, so
   * `database.table` resolves as in Athena. Tables without one live in DuckDB's default schema.
   */
  database?: string | undefined;
  /**
   * Whether a file is a complete object (e.g. s3rver writes an object's bytes in place, then its
   * metadata). Files it rejects are left out of the execution, as S3 would not list an object
   * whose upload has not finished. Empty files are always left out (no archive object is empty).
   */
  ready?: ((path: string, stats: Stats) => boolean | Promise<boolean>) | undefined;
}

/** A view over the tables (Athena's views are Glue tables of type VIRTUAL_VIEW with this SQL). */
export interface DuckDbArchiveView {
  name: string;
  database?: string | undefined;
  /** The SQL, or a function giving it per execution (a view whose definition moves, as the archive's does). */
  sql: string | (() => Promise<string>);
}

/** A result column: its label and its type as Athena names it (varchar, bigint, map, array…). */
export interface DuckDbArchiveColumn {
  name: string;
  type: string;
  /** Precision and scale of a `decimal` column. */
  precision?: number | undefined;
  scale?: number | undefined;
}

/** What one execution returned and read. */
export interface DuckDbArchiveResult {
  columns: DuckDbArchiveColumn[];
  /** Values rendered as Athena's GetQueryResults renders them; SQL NULL is `null`. */
  rows: Array<Array<string | null>>;
  /** Sum of the sizes of the distinct files the execution opened: what Athena bills for JSON. */
  bytesScanned: number;
  /** The distinct files the execution opened, sorted. */
  filesRead: string[];
}

/** Options of one execution. */
export interface DuckDbExecuteOptions {
  /** Aborting interrupts DuckDB; the execution then rejects with an `AbortError`. */
  signal?: AbortSignal | undefined;
  /**
   * The database the SQL runs in: only its tables exist for the execution, and unqualified names
   * resolve in it (Athena's QueryExecutionContext.Database). Without it, the tables that have
   * no database.
   */
  database?: string | undefined;
}

/**
 * The files this connection opened, from DuckDB's FileSystem log (entries like
 * `{"fs":"LocalFileSystem","path":"…","op":"OPEN"}`; READ and CLOSE entries are ignored).
 */
const OPENED_FILES = `SELECT json_extract_string(message, '$.path') AS path,
    sum(CASE WHEN json_extract_string(message, '$.op') = 'READ' THEN CAST(json_extract_string(message, '$.bytes') AS BIGINT) ELSE 0 END) AS bytes_read
  FROM duckdb_logs
  WHERE type = 'FileSystem' AND connection_id = current_connection_id()
    AND json_extract_string(message, '$.op') IN ('OPEN', 'READ')
  GROUP BY path`;

/** Glue column type → DuckDB type (as test/support/archive.ts reads the archive). */
const DUCKDB_TYPES: Record<(typeof RECORD_COLUMNS)[number]['type'], string> = {
  string: 'VARCHAR',
  'map<string,string>': 'MAP(VARCHAR, VARCHAR)',
};

/** The partition columns, after the data columns, as the Glue table lists them. */
const PARTITION_COLUMNS = ['source', 'dt'] as const;

/**
 * Shims for Trino functions DuckDB lacks, so Athena's SQL runs unchanged. Kept to what the
 * product's SQL needs; each says why. Not shimmed because DuckDB already agrees with Trino:
 * `try(x)`, `strpos`, `lower`, `LIKE`, `count(*)`, `CAST(map AS JSON)`. Note that `element_at`
 * on a MAP returns a LIST in DuckDB (a value in Trino); the SQL uses `try(map['key'])` instead,
 * which is NULL for a missing key in both.
 */
const COMPATIBILITY_MACROS = [
  // Trino's json_format(json) → varchar gives `{"k":"v"}` for CAST(map AS JSON); DuckDB's JSON is
  // a VARCHAR alias whose text is the same, so the cast alone is the function.
  'CREATE TEMP MACRO json_format(x) AS CAST(x AS VARCHAR)',
];

/**
 * Instance settings: never fetch or load an extension on demand (no network, nothing outside
 * the statically linked core/json/parquet/icu), and never spill to a `.tmp` directory in the
 * working directory.
 */
const INSTANCE_OPTIONS = {
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
  temp_directory: '',
} as const;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** Characters DuckDB treats as glob syntax in a file path; such paths cannot be listed literally. */
const GLOB_CHARACTERS = /[*?[\]{}]/;

const sqlString = (text: string): string => `'${text.replaceAll("'", "''")}'`;
const quoted = (identifier: string): string => `"${identifier.replaceAll('"', '""')}"`;

/** The `columns = {...}` argument: the Glue column list, so DuckDB never samples files for a schema. */
const COLUMNS_ARGUMENT = `{${RECORD_COLUMNS.map((c) => `${c.name}: ${sqlString(DUCKDB_TYPES[c.type])}`).join(', ')}}`;

/** The view's select list: data columns, then partition columns (Athena's `SELECT *` order). */
const SELECT_LIST = [...RECORD_COLUMNS.map((c) => c.name), ...PARTITION_COLUMNS].map(quoted).join(', ');

/** The same columns with no rows, for a table with no files yet (DuckDB refuses an empty file list). */
const EMPTY_RELATION = `SELECT ${[
  ...RECORD_COLUMNS.map((c) => `CAST(NULL AS ${DUCKDB_TYPES[c.type]}) AS ${quoted(c.name)}`),
  ...PARTITION_COLUMNS.map((name) => `CAST(NULL AS VARCHAR) AS ${quoted(name)}`),
].join(', ')} WHERE false`;

function relationOver(files: readonly string[], format: 'ndjson' | 'parquet'): string {
  if (files.length === 0) return EMPTY_RELATION;
  if (format === 'parquet') {
    // The file holds the data columns with their own types (details a MAP); source and dt come
    // from the path, as for the NDJSON.
    return `SELECT ${SELECT_LIST} FROM read_parquet([${files.map(sqlString).join(', ')}], hive_partitioning = true, hive_types = {'source': VARCHAR, 'dt': VARCHAR})`;
  }
  // hive_types: partition values stay strings (DuckDB would otherwise make `dt` a DATE).
  // compression: explicit, because s3rver's `._S3rver_object` suffix hides the `.gz`.
  return `SELECT ${SELECT_LIST} FROM read_ndjson([${files.map(sqlString).join(', ')}], format = 'newline_delimited', compression = 'gzip', hive_partitioning = true, hive_types = {'source': VARCHAR, 'dt': VARCHAR}, columns = ${COLUMNS_ARGUMENT})`;
}

const isMissing = (err: unknown): boolean => {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

/** Directory entries whose name starts with `prefix`; none if the directory does not exist. */
async function subdirectories(dir: string, prefix: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && e.name.startsWith(prefix)).map((e) => `${dir}/${e.name}`);
  } catch (err: unknown) {
    if (isMissing(err)) return [];
    throw err;
  }
}

/** The table's complete objects now, with their sizes: `<root>/source=*​/dt=*​/*<suffix>`. */
async function listObjects(table: ResolvedTable): Promise<Map<string, number>> {
  const days = (
    await Promise.all(
      (await subdirectories(table.root, 'source=')).map((source) => subdirectories(source, 'dt=')),
    )
  ).flat();
  const found = new Map<string, number>();
  await Promise.all(
    days.map(async (day) => {
      let names: string[];
      try {
        names = await readdir(day);
      } catch (err: unknown) {
        if (isMissing(err)) return;
        throw err;
      }
      await Promise.all(
        names
          .filter((name) => name.endsWith(table.suffix) && !GLOB_CHARACTERS.test(name))
          .map(async (name) => {
            const path = `${day}/${name}`;
            let stats: Stats;
            try {
              stats = await stat(path);
            } catch (err: unknown) {
              if (isMissing(err)) return;
              throw err;
            }
            if (!stats.isFile() || stats.size === 0) return;
            if (table.ready && !(await table.ready(path, stats))) return;
            found.set(path, stats.size);
          }),
      );
    }),
  );
  return found;
}

interface ResolvedTable {
  name: string;
  root: string;
  suffix: string;
  format: 'ndjson' | 'parquet';
  database: string | undefined;
  ready: DuckDbArchiveTable['ready'];
}

const noop = (): void => undefined;

/** An AbortError, as fetch and other signal-taking APIs reject with. */
function abortError(): Error {
  return new DOMException('The DuckDB execution was cancelled', 'AbortError');
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/**
 * A double as Trino (Java's Double.toString) writes it: the shortest digits that read back as
 * the same value, plain between 10^-3 and 10^7 with at least one fractional digit (`2.0`),
 * otherwise `d.dddE±n` (`1.0E10`).
 */
export function formatDouble(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const [mantissa = '0', exponentText = '0'] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = negative ? '-' : '';
  if (exponent >= -3 && exponent < 7) {
    if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
    const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
    const fraction = digits.slice(exponent + 1);
    return `${sign}${whole}.${fraction === '' ? '0' : fraction}`;
  }
  return `${sign}${digits[0]}.${digits.length > 1 ? digits.slice(1) : '0'}E${exponent}`;
}

/** A REAL (single precision) as Java's Float.toString: the shortest digits of the float, not of the double. */
function formatFloat(value: number): string {
  if (!Number.isFinite(value) || value === 0) return formatDouble(value);
  const target = Math.fround(value);
  for (let precision = 1; precision <= 9; precision += 1) {
    const candidate = Number(value.toPrecision(precision));
    if (Math.fround(candidate) === target) return formatDouble(candidate);
  }
  return formatDouble(value);
}

/** Epoch microseconds as `YYYY-MM-DD HH:MM:SS.mmm` (Athena's timestamp(3) text), in UTC. */
function formatMicros(micros: bigint): string {
  // Floor division: a pre-1970 instant must not round towards the epoch.
  const ms = micros / 1000n - (micros < 0n && micros % 1000n !== 0n ? 1n : 0n);
  const date = new Date(Number(ms));
  if (Number.isNaN(date.getTime())) return String(micros);
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

/**
 * One value as Athena's GetQueryResults text (the product reads these strings): booleans
 * `true`/`false`, integers and decimals in plain digits, doubles as Trino writes them, dates
 * `YYYY-MM-DD`, timestamps with milliseconds, maps `{k=v, k2=v2}`, arrays `[a, b]`, rows
 * `{field=value}`, varbinary as spaced hex; inside a map, array or row, NULL is `null`.
 */
function render(type: DuckDBType, value: DuckDBValue): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (type.typeId === DuckDBTypeId.DOUBLE) return formatDouble(value);
    if (type.typeId === DuckDBTypeId.FLOAT) return formatFloat(value);
    return String(value);
  }
  if (value instanceof DuckDBTimestampValue) return formatMicros(value.micros);
  if (value instanceof DuckDBTimestampTZValue) return `${formatMicros(value.micros)} UTC`;
  if (value instanceof DuckDBTimeValue) {
    const { hour, min, sec, micros } = value.toParts();
    return `${pad(hour)}:${pad(min)}:${pad(sec)}.${pad(Math.floor(micros / 1000), 3)}`;
  }
  if (value instanceof DuckDBBlobValue) {
    return Array.from(value.bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
  }
  if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue) {
    const itemType =
      type instanceof DuckDBListType || type instanceof DuckDBArrayType ? type.valueType : VARCHAR;
    return `[${value.items.map((item) => render(itemType, item)).join(', ')}]`;
  }
  if (value instanceof DuckDBMapValue) {
    const [keyType, valueType] =
      type instanceof DuckDBMapType ? [type.keyType, type.valueType] : [VARCHAR, VARCHAR];
    return `{${value.entries.map((e) => `${render(keyType, e.key)}=${render(valueType, e.value)}`).join(', ')}}`;
  }
  if (value instanceof DuckDBStructValue) {
    return `{${Object.entries(value.entries)
      .map(([name, item]) => {
        const itemType =
          type instanceof DuckDBStructType ? type.entryTypes[type.entryIndexes[name] ?? -1] : undefined;
        return `${name}=${render(itemType ?? VARCHAR, item)}`;
      })
      .join(', ')}}`;
  }
  // Strings (VARCHAR, JSON, ENUM), bigints (plain digits), DECIMAL, DATE (`YYYY-MM-DD`), UUID
  // and INTERVAL: DuckDB's own text is Athena's.
  return String(value);
}

/** DuckDB type → the type name Athena's ColumnInfo.Type gives for it. */
function athenaType(type: DuckDBType): Omit<DuckDbArchiveColumn, 'name'> {
  if (type instanceof DuckDBDecimalType) return { type: 'decimal', precision: type.width, scale: type.scale };
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return { type: 'boolean' };
    case DuckDBTypeId.TINYINT:
      return { type: 'tinyint' };
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.UTINYINT:
      return { type: 'smallint' };
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.USMALLINT:
      return { type: 'integer' };
    // DuckDB widens sum(bigint) to HUGEINT where Trino keeps bigint.
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.HUGEINT:
      return { type: 'bigint' };
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.UHUGEINT:
      return { type: 'decimal', precision: 38, scale: 0 };
    case DuckDBTypeId.FLOAT:
      return { type: 'float' };
    case DuckDBTypeId.DOUBLE:
      return { type: 'double' };
    case DuckDBTypeId.VARCHAR:
      return { type: type.alias?.toUpperCase() === 'JSON' ? 'json' : 'varchar' };
    case DuckDBTypeId.BLOB:
      return { type: 'varbinary' };
    case DuckDBTypeId.DATE:
      return { type: 'date' };
    case DuckDBTypeId.TIME:
      return { type: 'time' };
    case DuckDBTypeId.TIME_TZ:
      return { type: 'time with time zone' };
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      return { type: 'timestamp' };
    case DuckDBTypeId.TIMESTAMP_TZ:
      return { type: 'timestamp with time zone' };
    case DuckDBTypeId.INTERVAL:
      return { type: 'interval day to second' };
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return { type: 'array' };
    case DuckDBTypeId.MAP:
      return { type: 'map' };
    case DuckDBTypeId.STRUCT:
      return { type: 'row' };
    case DuckDBTypeId.UUID:
      return { type: 'uuid' };
    case DuckDBTypeId.SQLNULL:
      return { type: 'unknown' };
    default:
      return { type: 'varchar' };
  }
}

/** A bound parameter's DuckDB value and type: strings as VARCHAR, integers as BIGINT. */
function bindable(value: string | number, index: number): { value: DuckDBValue; type: DuckDBType } {
  if (typeof value === 'string') return { value, type: VARCHAR };
  if (!Number.isSafeInteger(value)) throw new RangeError(`parameter ${index + 1} is not a safe integer`);
  return { value: BigInt(value), type: BIGINT };
}

/** Runs Athena SQL over archive files with DuckDB; see the module comment. */
export class DuckDbArchive {
  private closed = false;
  private readonly running = new Set<{ abort(): void; done: Promise<void> }>();

  private constructor(
    private readonly tables: readonly ResolvedTable[],
    private readonly views: readonly DuckDbArchiveView[],
  ) {}

  /** Validates the tables and views; nothing is opened until an execution needs it. */
  static async create(options: {
    tables: readonly DuckDbArchiveTable[];
    views?: readonly DuckDbArchiveView[] | undefined;
  }): Promise<DuckDbArchive> {
    const seen = new Set<string>();
    const tables = options.tables.map((table): ResolvedTable => {
      if (!IDENTIFIER.test(table.name))
        throw new RangeError(`table name must be an identifier: ${table.name}`);
      if (table.database !== undefined && !IDENTIFIER.test(table.database)) {
        throw new RangeError(`database name must be an identifier: ${table.database}`);
      }
      const key = `${table.database ?? ''}.${table.name}`.toLowerCase();
      if (seen.has(key)) throw new RangeError(`table ${key} is defined twice`);
      seen.add(key);
      const root = resolve(table.root);
      if (GLOB_CHARACTERS.test(root))
        throw new RangeError(`table root must not contain glob characters: ${root}`);
      if (table.suffix === '' || table.suffix.includes('/'))
        throw new RangeError('suffix must be a file name ending');
      return {
        name: table.name,
        root,
        suffix: table.suffix,
        format: table.format ?? 'ndjson',
        database: table.database,
        ready: table.ready,
      };
    });
    for (const view of options.views ?? []) {
      if (!IDENTIFIER.test(view.name)) throw new RangeError(`view name must be an identifier: ${view.name}`);
      const key = `${view.database ?? ''}.${view.name}`.toLowerCase();
      if (seen.has(key)) throw new RangeError(`${key} is defined twice`);
      seen.add(key);
    }
    return new DuckDbArchive(tables, options.views ?? []);
  }

  /**
   * Runs one SELECT with positional `?` parameters bound to `values` (strings as VARCHAR,
   * integers as BIGINT). Rejects with DuckDB's error for bad SQL, with an AbortError when
   * `options.signal` aborts (or close() interrupts it).
   */
  async execute(
    sql: string,
    values: ReadonlyArray<string | number>,
    options: DuckDbExecuteOptions = {},
  ): Promise<DuckDbArchiveResult> {
    if (this.closed) throw new Error('DuckDbArchive is closed');
    const params = values.map(bindable);
    const database = options.database?.toLowerCase();
    const tables = this.tables.filter((t) => t.database?.toLowerCase() === database);
    const views = this.views.filter((v) => v.database?.toLowerCase() === database);

    // One controller for the caller's signal and close(), registered before anything is awaited
    // so no abort can fall between a check and a listener.
    const controller = new AbortController();
    const abort = (): void => controller.abort();
    options.signal?.addEventListener('abort', abort, { once: true });
    if (options.signal?.aborted) abort();
    const run = this.run(sql, params, database, tables, views, controller.signal);
    const handle = { abort, done: run.then(noop, noop) };
    this.running.add(handle);
    try {
      return await run;
    } catch (err: unknown) {
      // DuckDB reports an interrupt as "INTERRUPT Error: Interrupted!"; callers want an AbortError.
      if (controller.signal.aborted) throw abortError();
      throw err;
    } finally {
      options.signal?.removeEventListener('abort', abort);
      this.running.delete(handle);
    }
  }

  /** One execution in its own instance; see the module comment for the order of the steps. */
  private async run(
    sql: string,
    params: ReadonlyArray<{ value: DuckDBValue; type: DuckDBType }>,
    database: string | undefined,
    tables: readonly ResolvedTable[],
    views: readonly DuckDbArchiveView[],
    signal: AbortSignal,
  ): Promise<DuckDbArchiveResult> {
    // DuckDB only interrupts the statement running at that moment, so every step checks first.
    const checkAborted = (): void => {
      if (signal.aborted) throw abortError();
    };
    checkAborted();
    // The files present now, with their sizes (kept for bytesScanned).
    const listed = await Promise.all(tables.map(async (t) => ({ table: t, objects: await listObjects(t) })));
    const sizes = new Map<string, number>();
    for (const { objects } of listed) for (const [path, size] of objects) sizes.set(path, size);
    checkAborted();

    const instance = await DuckDBInstance.create(':memory:', INSTANCE_OPTIONS);
    try {
      const connection = await instance.connect();
      const interrupt = (): void => connection.interrupt();
      signal.addEventListener('abort', interrupt, { once: true });
      const step = async (statement: string): Promise<void> => {
        checkAborted();
        await connection.run(statement);
      };
      try {
        if (database !== undefined) await step(`CREATE SCHEMA ${quoted(database)}`);
        for (const { table, objects } of listed) {
          const name =
            database === undefined ? quoted(table.name) : `${quoted(database)}.${quoted(table.name)}`;
          await step(`CREATE VIEW ${name} AS ${relationOver([...objects.keys()].sort(), table.format)}`);
        }
        if (database !== undefined && views.length > 0)
          await step(`SET search_path = ${sqlString(quoted(database))}`);
        for (const view of views) {
          const name =
            database === undefined ? quoted(view.name) : `${quoted(database)}.${quoted(view.name)}`;
          const definition = typeof view.sql === 'string' ? view.sql : await view.sql();
          await step(`CREATE VIEW ${name} AS ${definition}`);
        }
        for (const macro of COMPATIBILITY_MACROS) await step(macro);
        if (database !== undefined) await step(`SET search_path = ${sqlString(quoted(database))}`);

        // The sandbox: only the tables' directories, no configuration changes from here on.
        const roots = [...new Set(tables.map((t) => `${t.root}/`))];
        await step(`SET allowed_directories = [${roots.map(sqlString).join(', ')}]`);
        await step('SET enable_external_access = false');
        await step("CALL enable_logging('FileSystem')");
        await step('SET lock_configuration = true');

        checkAborted();
        const prepared = await connection.prepare(sql);
        try {
          if (prepared.statementType !== StatementType.SELECT) {
            throw new Error('Only SELECT statements can run against the archive');
          }
          if (prepared.parameterCount !== params.length) {
            throw new Error(
              `Incorrect number of parameters: expected ${prepared.parameterCount} but found ${params.length}`,
            );
          }
          prepared.bind(
            params.map((p) => p.value),
            params.map((p) => p.type),
          );
          checkAborted();
          const reader = await prepared.runAndReadAll();
          checkAborted();
          const types = reader.columnTypes();
          const columns = reader.columnNames().map((name, i): DuckDbArchiveColumn => {
            const type = types[i];
            return { name, ...(type ? athenaType(type) : { type: 'unknown' }) };
          });
          const rows = reader.getRows().map((row) =>
            row.map((value, i) => {
              const type = types[i];
              return value === null || type === undefined ? null : render(type, value);
            }),
          );

          const opened = (await connection.runAndReadAll(OPENED_FILES)).getRows();
          const filesRead = opened.map(([path]) => String(path)).sort();
          // What Athena bills: a JSON object is read whole (gzip cannot be read in part), a Parquet
          // object only in the byte ranges of the columns and row groups a query needs.
          const parquetRoots = tables.filter((t) => t.format === 'parquet').map((t) => `${t.root}/`);
          let bytesScanned = 0;
          for (const [rawPath, bytesRead] of opened) {
            const path = String(rawPath);
            bytesScanned += parquetRoots.some((root) => path.startsWith(root))
              ? Number(bytesRead)
              : (sizes.get(path) ?? (await sizeOf(path)));
          }
          return { columns, rows, bytesScanned, filesRead };
        } finally {
          prepared.destroySync();
        }
      } finally {
        signal.removeEventListener('abort', interrupt);
        connection.closeSync();
      }
    } finally {
      instance.closeSync();
    }
  }

  /** Interrupts running executions, waits for them to end, and refuses new ones. */
  async close(): Promise<void> {
    this.closed = true;
    const running = [...this.running];
    for (const execution of running) execution.abort();
    await Promise.all(running.map((execution) => execution.done));
  }
}

/** A file's current size; 0 if it has gone (it was read, so it existed). */
async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err: unknown) {
    if (isMissing(err)) return 0;
    throw err;
  }
}
