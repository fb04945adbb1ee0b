/**
 * The view as a Glue table: Athena stores a view as a table of type VIRTUAL_VIEW whose
 * ViewOriginalText is `/* Presto View: <base64 JSON> *\/`, the JSON holding the SQL, the catalog
 * and schema it runs in, and its columns with Trino types. The stack creates it (no Parquet day
 * yet) and the compactor rewrites it as boundaries move; both build it here.
 */
import { RECORD_COLUMNS } from '#core/archive/record.js';
import { archiveViewSql, VIEW_COLUMNS, type ViewBoundaries } from './view.js';

const TRINO_TYPES: Record<string, string> = {
  string: 'varchar',
  'map<string,string>': 'map(varchar,varchar)',
};
const GLUE_TYPES: Record<string, string> = {
  ...Object.fromEntries(RECORD_COLUMNS.map((c) => [c.name, c.type])),
  source: 'string',
  dt: 'string',
};

/** The names of the view and of its two tables. */
export interface ArchiveTables {
  database: string;
  view: string;
  ndjson: string;
  parquet: string;
}

/** The tables behind the view `view`, as the stack names them. */
export function archiveTableNames(view: string): { ndjson: string; parquet: string } {
  return { ndjson: `${view}_ndjson`, parquet: `${view}_parquet` };
}

/** ViewOriginalText for `sql` in `database`. */
export function prestoViewText(sql: string, database: string): string {
  const definition = {
    originalSql: sql,
    catalog: 'awsdatacatalog',
    schema: database,
    columns: VIEW_COLUMNS.map((name) => ({
      name,
      type: TRINO_TYPES[GLUE_TYPES[name] ?? 'string'] ?? 'varchar',
    })),
  };
  return `/* Presto View: ${Buffer.from(JSON.stringify(definition), 'utf8').toString('base64')} */`;
}

/** The view's Glue TableInput (camelCase for CloudFormation, mapped to the API's PascalCase by callers). */
export function viewTableInput(tables: ArchiveTables, boundaries: ViewBoundaries) {
  return {
    name: tables.view,
    description:
      'One row per Mimecast audit event: closed days from the Parquet copy, the others from the NDJSON',
    tableType: 'VIRTUAL_VIEW',
    parameters: { presto_view: 'true', comment: 'Presto View' },
    viewOriginalText: prestoViewText(archiveViewSql(tables, boundaries), tables.database),
    viewExpandedText: '/* Presto View */',
    partitionKeys: [] as { name: string; type: string }[],
    storageDescriptor: {
      columns: VIEW_COLUMNS.map((name) => ({ name, type: GLUE_TYPES[name] ?? 'string' })),
      serdeInfo: {},
    },
  };
}
