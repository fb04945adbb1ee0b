/**
 * ProjectedSources on the Glue Data Catalog: reads the archive tables with GetTable and adds ids
 * with UpdateTable. UpdateTable replaces the whole definition, so the input is the definition just
 * read with only the enum changed; `SkipArchive` keeps each addition from creating a table version
 * (Glue archives one per update by default, and versions per table are limited).
 * https://docs.aws.amazon.com/glue/latest/webapi/API_UpdateTable.html
 *
 * CloudFormation rewrites a table only when its definition in the template changes; then it writes
 * the declared sources again and the compactor's next scheduled run adds the others back.
 */
import {
  GetTableCommand,
  type GlueClient,
  type Table,
  type TableInput,
  UpdateTableCommand,
} from '@aws-sdk/client-glue';
import type { Clock } from '#core/ports.js';
import {
  type ProjectedSources,
  parseSourceValues,
  SOURCE_TYPE_PARAMETER,
  SOURCE_VALUES_PARAMETER,
  withSources,
} from './projected-sources.js';

/** How long a reading is trusted (an archive write per source every few minutes; full runs read afresh). */
export const PROJECTED_SOURCES_TTL_MS = 10 * 60_000;

/** The definition of `table` as UpdateTable takes it (GetTable's answer has read-only fields too). */
function inputOf(table: Table, parameters: Record<string, string>): TableInput {
  return {
    Name: table.Name,
    Description: table.Description,
    Owner: table.Owner,
    Retention: table.Retention,
    StorageDescriptor: table.StorageDescriptor,
    PartitionKeys: table.PartitionKeys,
    TableType: table.TableType,
    ViewOriginalText: table.ViewOriginalText,
    ViewExpandedText: table.ViewExpandedText,
    TargetTable: table.TargetTable,
    Parameters: parameters,
  };
}

/** The archive tables' `source` enums in Glue, with a reading kept for a while per container. */
export class GlueProjectedSources implements ProjectedSources {
  /** Ids every table listed at the last reading (`all`: no table restricts them), and when it was. */
  private reading: { ids: Set<string> | 'all'; atMs: number } | undefined;

  constructor(
    private readonly glue: GlueClient,
    private readonly database: string,
    private readonly tables: readonly string[],
    private readonly clock: Clock,
    private readonly ttlMs = PROJECTED_SOURCES_TTL_MS,
  ) {}

  async unlisted(ids: readonly string[]): Promise<string[]> {
    const kept = this.reading;
    const recent = kept !== undefined && this.clock.now() - kept.atMs < this.ttlMs;
    const listedIn = (listed: Set<string> | 'all') => (id: string) => listed === 'all' || listed.has(id);
    if (recent && ids.every(listedIn(kept.ids))) return [];
    const listed = await this.read();
    return ids.filter((id) => !listedIn(listed)(id));
  }

  async listed(options: { fresh: boolean }): Promise<string[]> {
    const kept = this.reading;
    const ids =
      !options.fresh && kept !== undefined && this.clock.now() - kept.atMs < this.ttlMs
        ? kept.ids
        : await this.read();
    // No table restricts the sources: the tables name none.
    return ids === 'all' ? [] : [...ids].sort();
  }

  async add(ids: readonly string[]): Promise<void> {
    for (const name of this.tables) {
      const table = await this.table(name);
      const parameters = table.Parameters ?? {};
      // An operator who moved `source` to another projection type (or off) is not overruled.
      if (parameters[SOURCE_TYPE_PARAMETER]?.trim().toLowerCase() !== 'enum') continue;
      const current = parseSourceValues(parameters[SOURCE_VALUES_PARAMETER]);
      if (ids.every((id) => current.includes(id))) continue;
      await this.glue.send(
        new UpdateTableCommand({
          DatabaseName: this.database,
          SkipArchive: true,
          TableInput: inputOf(table, { ...parameters, [SOURCE_VALUES_PARAMETER]: withSources(current, ids) }),
        }),
      );
    }
    await this.read();
  }

  /** Reads every table; the ids all of them list become the reading kept. */
  private async read(): Promise<Set<string> | 'all'> {
    let listed: Set<string> | undefined;
    for (const name of this.tables) {
      const parameters = (await this.table(name)).Parameters ?? {};
      if (parameters[SOURCE_TYPE_PARAMETER]?.trim().toLowerCase() !== 'enum') continue;
      const values = new Set(parseSourceValues(parameters[SOURCE_VALUES_PARAMETER]));
      listed = listed === undefined ? values : new Set([...listed].filter((id) => values.has(id)));
    }
    const ids = listed ?? 'all';
    this.reading = { ids, atMs: this.clock.now() };
    return ids;
  }

  private async table(name: string): Promise<Table> {
    const { Table: table } = await this.glue.send(
      new GetTableCommand({ DatabaseName: this.database, Name: name }),
    );
    if (table === undefined) throw new Error(`Glue table ${this.database}.${name} not found`);
    return table;
  }
}
