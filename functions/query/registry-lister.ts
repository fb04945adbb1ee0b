/**
 * The one registry call the query function makes (fleet mode): a Scan of the cursor table for the
 * registry items (`pk = source-config#<id>`), read with the function's own credentials. Read the
 * way DynamoSourceRegistry.list reads them (strongly consistent; an item that does not parse as a
 * SourceConfig, or whose key does not match its sourceId, is left out and reported, so one broken
 * item cannot hide every other source), but without the registry's writes:
 * test/infra/iam-calls.test.ts derives the function's role from the commands its code can send,
 * and the query function may list registry items and nothing more (dynamodb:Scan on the table).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import {
  parseRegistryItem,
  SOURCE_CONFIG_PREFIX,
  type SourceConfig,
  type SourceRegistry,
} from '#core/registry/source-config.js';

/** A registry item left out, and why (field names and rules, never values). */
export interface UnusableRegistryItem {
  /** The item's partition key, e.g. `source-config#acme`. */
  key: string;
  reason: string;
}

/** Lists the registry items of the table CURSOR_TABLE_NAME. */
export class RegistryLister implements Pick<SourceRegistry, 'list'> {
  private readonly documents: DynamoDBDocumentClient;

  /** `client` is created once per container; `onUnusable` hears of every item left out. */
  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly onUnusable: (item: UnusableRegistryItem) => void = () => undefined,
  ) {
    this.documents = DynamoDBDocumentClient.from(client);
  }

  /** Every readable source (enabled or not), in id order. */
  async list(): Promise<SourceConfig[]> {
    const sources: SourceConfig[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: 'begins_with(#pk, :prefix)',
          ExpressionAttributeNames: { '#pk': 'pk' },
          ExpressionAttributeValues: { ':prefix': SOURCE_CONFIG_PREFIX },
          ConsistentRead: true,
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      );
      for (const item of page.Items ?? []) {
        const parsed = parseRegistryItem(item);
        if (parsed.ok) sources.push(parsed.config);
        else this.onUnusable(parsed.problem);
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return sources.sort((a, b) => (a.sourceId < b.sourceId ? -1 : a.sourceId > b.sourceId ? 1 : 0));
  }
}
