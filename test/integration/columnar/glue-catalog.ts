/**
 * The stack's Glue catalog, made in an independent Glue (moto's server) for tests: the database,
 * the two archive tables with the stack's own partition projection parameters, and the view.
 */
import {
  CreateDatabaseCommand,
  CreateTableCommand,
  GetTableCommand,
  type GlueClient,
  type Table,
  type TableInput,
} from '@aws-sdk/client-glue';
import { RECORD_COLUMNS } from '#core/archive/record.js';
import { archiveTableNames, viewTableInput } from '#core/columnar/glue-view.js';
import { parquetRoot } from '#core/columnar/layout.js';
import { JSON_SERDE, projectionParameters, SERDE_PARAMETERS } from '#lib/constructs/athena.js';

export const DATABASE = 'mimecast_audit_lake';
export const VIEW = 'audit_events';
export const TABLES = archiveTableNames(VIEW);

/** An archive table as the stack defines it, projecting `declared` as the sources. */
function stackTable(name: string, root: string, declared: readonly string[]): TableInput {
  return {
    Name: name,
    Description: `the ${name} table`,
    TableType: 'EXTERNAL_TABLE',
    Parameters: {
      EXTERNAL: 'TRUE',
      classification: 'json',
      ...projectionParameters('archive-bucket', root, [...declared], '2025-01-01'),
    },
    PartitionKeys: [
      { Name: 'source', Type: 'string', Comment: 'Configured source id' },
      { Name: 'dt', Type: 'string', Comment: 'UTC day of event_time, YYYY-MM-DD' },
    ],
    StorageDescriptor: {
      Columns: RECORD_COLUMNS.map((c) => ({ Name: c.name, Type: c.type })),
      Location: `s3://archive-bucket/${root}/`,
      InputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
      OutputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
      Compressed: true,
      SerdeInfo: { SerializationLibrary: JSON_SERDE, Parameters: { ...SERDE_PARAMETERS } },
    },
  };
}

/** The two archive tables' definitions (NDJSON, Parquet) for data under `dataPrefix`. */
export function archiveTableDefinitions(dataPrefix: string, declared: readonly string[]): TableInput[] {
  return [
    stackTable(TABLES.ndjson, dataPrefix, declared),
    stackTable(TABLES.parquet, parquetRoot(dataPrefix), declared),
  ];
}

/** Creates the database, the archive tables and the view (no source in Parquet yet), as a deployment does. */
export async function createArchiveCatalog(
  glue: GlueClient,
  dataPrefix: string,
  declared: readonly string[],
): Promise<TableInput[]> {
  await glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: DATABASE } }));
  const definitions = archiveTableDefinitions(dataPrefix, declared);
  for (const input of definitions)
    await glue.send(new CreateTableCommand({ DatabaseName: DATABASE, TableInput: input }));
  const view = viewTableInput({ database: DATABASE, view: VIEW, ...TABLES }, new Map());
  await glue.send(
    new CreateTableCommand({
      DatabaseName: DATABASE,
      TableInput: {
        Name: view.name,
        TableType: view.tableType,
        Parameters: view.parameters,
        ViewOriginalText: view.viewOriginalText,
        ViewExpandedText: view.viewExpandedText,
        StorageDescriptor: {
          Columns: view.storageDescriptor.columns.map((c) => ({ Name: c.name, Type: c.type })),
        },
      },
    }),
  );
  return definitions;
}

/** A table of the database. */
export async function glueTable(glue: GlueClient, name: string): Promise<Table> {
  const { Table: found } = await glue.send(new GetTableCommand({ DatabaseName: DATABASE, Name: name }));
  if (found === undefined) throw new Error(`no table ${name}`);
  return found;
}

/** The sources each archive table (NDJSON, Parquet) projects. */
export async function projectedSourcesOf(glue: GlueClient): Promise<string[][]> {
  const values = await Promise.all(
    [TABLES.ndjson, TABLES.parquet].map(
      async (name) => (await glueTable(glue, name)).Parameters?.['projection.source.values'] ?? '',
    ),
  );
  return values.map((v) => v.split(','));
}
