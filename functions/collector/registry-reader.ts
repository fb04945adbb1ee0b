/**
 * The one registry call a fleet collector makes with its own credentials: GetItem of one
 * source's item (`pk = source-config#<id>`). Read the same way as DynamoSourceRegistry.get
 * (strongly consistent; an item that does not parse as a SourceConfig, or whose key does not
 * match its sourceId, is an error, never a guess), but without the registry's writes and scans:
 * test/infra/iam-calls.test.ts derives the function's role from the commands its code can
 * send, and the collector's role may read registry items and nothing more.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  parseRegistryItem,
  type SourceConfig,
  type SourceRegistry,
  sourceConfigKey,
} from '#core/registry/source-config.js';

/** A registry item the collector cannot use (names fields and rules, never values). */
export class UnusableRegistryItemError extends Error {
  constructor(key: string, reason: string) {
    super(`registry item ${key} is unreadable: ${reason}`);
    this.name = 'UnusableRegistryItemError';
  }
}

/** Reads registry items from the table CURSOR_TABLE_NAME. */
export class RegistryReader implements Pick<SourceRegistry, 'get'> {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.documents = DynamoDBDocumentClient.from(client);
  }

  /** The source's settings; undefined when it has no item. */
  async get(sourceId: string): Promise<SourceConfig | undefined> {
    const key = sourceConfigKey(sourceId);
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: key }, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const parsed = parseRegistryItem(Item);
    if (!parsed.ok) throw new UnusableRegistryItemError(key, parsed.problem.reason);
    return parsed.config;
  }
}
