/**
 * The seed's two registry calls, and nothing else: whether a source has an item (GetItem of its
 * key only), and creating one that does not exist (put-new-source.ts, the function
 * DynamoSourceRegistry.add uses). A file of its own, without the
 * registry's scans, updates and deletes, so the seed's role holds dynamodb:GetItem and
 * dynamodb:PutItem only (test/infra/iam-calls.test.ts derives each role from the commands its
 * code can send, file by file).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { putNewSource } from '#core/registry/put-new-source.js';
import { type SourceConfig, type SourceConfigInput, sourceConfigKey } from '#core/registry/source-config.js';

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

  /** As DynamoSourceRegistry.add (the same function). */
  add(config: SourceConfigInput, nowIso: string): Promise<SourceConfig> {
    return putNewSource(this.documents, this.tableName, config, nowIso);
  }
}
