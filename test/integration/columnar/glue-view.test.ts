/**
 * The compactor's view update against an independent Glue implementation (moto's server): the
 * view the stack creates accepts the compactor's UpdateTable, and what Glue then holds is the
 * view SQL with each source's boundary.
 */
import {
  CreateDatabaseCommand,
  CreateTableCommand,
  GetTableCommand,
  type GlueClient,
} from '@aws-sdk/client-glue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ArchiveTables, archiveTableNames, viewTableInput } from '#core/columnar/glue-view.js';
import { GlueViewPublisher } from '#core/columnar/glue-view-publisher.js';
import { type MotoGlue, startMotoGlue } from '#test/support/moto-glue.js';

let moto: MotoGlue;
let glue: GlueClient;
const tables: ArchiveTables = {
  database: 'mimecast_audit_lake',
  view: 'audit_events',
  ...archiveTableNames('audit_events'),
};

beforeAll(async () => {
  moto = await startMotoGlue();
  glue = moto.glue;
  await glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: tables.database } }));
  // As the stack creates it: no source has a Parquet day yet.
  const input = viewTableInput(tables, new Map());
  await glue.send(
    new CreateTableCommand({
      DatabaseName: tables.database,
      TableInput: {
        Name: input.name,
        TableType: input.tableType,
        Parameters: input.parameters,
        ViewOriginalText: input.viewOriginalText,
        ViewExpandedText: input.viewExpandedText,
        StorageDescriptor: {
          Columns: input.storageDescriptor.columns.map((c) => ({ Name: c.name, Type: c.type })),
        },
      },
    }),
  );
}, 60_000);

afterAll(() => {
  moto?.close();
});

/** The SQL of the view Glue holds now. */
async function currentSql(): Promise<string> {
  const { Table } = await glue.send(
    new GetTableCommand({ DatabaseName: tables.database, Name: tables.view }),
  );
  const encoded = /^\/\* Presto View: ([A-Za-z0-9+/=]+) \*\/$/.exec(Table?.ViewOriginalText ?? '')?.[1] ?? '';
  return (JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as { originalSql: string }).originalSql;
}

describe('GlueViewPublisher', () => {
  it('rewrites the view with every source boundary, keeping its type and columns', async () => {
    const publisher = new GlueViewPublisher(glue, tables);
    expect(await currentSql()).toContain('WHERE 1 = 0');

    await publisher.publish(
      new Map([
        ['emea', '2026-11-20'],
        ['apac', '2026-11-18'],
      ]),
    );

    const sql = await currentSql();
    expect(sql).toContain(
      "(p.source = 'apac' AND p.dt < '2026-11-18') OR (p.source = 'emea' AND p.dt < '2026-11-20')",
    );
    expect(sql).toContain(
      "WHERE NOT ((n.source = 'apac' AND n.dt < '2026-11-18') OR (n.source = 'emea' AND n.dt < '2026-11-20'))",
    );
    const { Table } = await glue.send(
      new GetTableCommand({ DatabaseName: tables.database, Name: tables.view }),
    );
    expect(Table?.TableType).toBe('VIRTUAL_VIEW');
    expect(Table?.StorageDescriptor?.Columns?.map((c) => c.Name)).toContain('details');
  });
});
