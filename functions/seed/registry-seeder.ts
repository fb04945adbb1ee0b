/**
 * The seed's two registry calls, and nothing else: whether a source has an item (GetItem of its
 * key only), and creating one that does not exist (a PutItem conditional on `attribute_not_exists`,
 * the item written exactly as DynamoSourceRegistry.add writes it). A file of its own, without the
 * registry's scans, updates and deletes, so the seed's role holds dynamodb:GetItem and
 * dynamodb:PutItem only (test/infra/iam-calls.test.ts derives each role from the commands its
 * code can send, file by file).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  type SourceConfig,
  type SourceConfigInput,
  SourceExistsError,
  sourceConfigKey,
  sourceConfigSchema,
} from '#core/registry/source-config.js';

/** What the seed needs of the registry. */
export interface SeedRegistry {
  /** True when the source has a registry item (readable or not: the seed never touches it then). */
  has(sourceId: string): Promise<boolean>;
  /** Creates the source's item; SourceExistsError when it exists. */
  add(config: SourceConfigInput, nowIso: string): Promise<SourceConfig>;
}

/** The seed's registry calls on the table CURSOR_TABLE_NAME. */
export class DynamoSeedRegistry implements SeedRegistry {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  async has(sourceId: string): Promise<boolean> {
    const { Item } = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: sourceConfigKey(sourceId) },
        ConsistentRead: true,
        ProjectionExpression: '#pk',
        ExpressionAttributeNames: { '#pk': 'pk' },
      }),
    );
    return Item !== undefined;
  }

  /** As DynamoSourceRegistry.add: defaults filled in, version 1, createdAt = updatedAt = nowIso. */
  async add(config: SourceConfigInput, nowIso: string): Promise<SourceConfig> {
    const { lastDispatchedAt: _ignored, ...parsed } = sourceConfigSchema.parse(config);
    const stored: SourceConfig = { ...parsed, createdAt: nowIso, updatedAt: nowIso, version: 1 };
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: sourceConfigKey(stored.sourceId), ...stored },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': 'pk' },
        }),
      );
    } catch (err: unknown) {
      if (err instanceof Error && err.name === 'ConditionalCheckFailedException') {
        throw new SourceExistsError(stored.sourceId);
      }
      throw err;
    }
    return stored;
  }
}
