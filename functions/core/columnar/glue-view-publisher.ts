/**
 * Publishes the view to the Glue Data Catalog (UpdateTable on the view the stack created), so
 * Athena reads each source's closed days from Parquet up to its current boundary.
 */
import { type GlueClient, UpdateTableCommand } from '@aws-sdk/client-glue';
import type { ViewPublisher } from './compactor.js';
import { type ArchiveTables, viewTableInput } from './glue-view.js';

/** The ViewPublisher port on Glue. */
export class GlueViewPublisher implements ViewPublisher {
  constructor(
    private readonly glue: GlueClient,
    private readonly tables: ArchiveTables,
  ) {}

  async publish(boundaries: ReadonlyMap<string, string>): Promise<void> {
    const input = viewTableInput(this.tables, boundaries);
    await this.glue.send(
      new UpdateTableCommand({
        DatabaseName: this.tables.database,
        TableInput: {
          Name: input.name,
          Description: input.description,
          TableType: input.tableType,
          Parameters: input.parameters,
          ViewOriginalText: input.viewOriginalText,
          ViewExpandedText: input.viewExpandedText,
          PartitionKeys: [],
          StorageDescriptor: {
            Columns: input.storageDescriptor.columns.map((c) => ({ Name: c.name, Type: c.type })),
            SerdeInfo: {},
          },
        },
      }),
    );
  }
}
