/**
 * The dispatcher's one registry write: record that a source's run was started for a slot
 * (`lastDispatchedAt`), conditionally, so of two dispatchers racing for one slot exactly one
 * wins. Apart from the other writes so the dispatcher's role needs UpdateItem only (see
 * dynamo-registry-reader.ts). ISO strings are compared: both instants must be
 * `Date.toISOString()` values (fixed width, `Z`), whose string order is time order.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { registryDocuments } from './dynamo-registry-reader.js';
import { type SourceRegistry, sourceConfigKey } from './source-config.js';

/** True for DynamoDB's "condition not met" answer; matched by name so duplicate SDK copies still match. */
function isConditionFailure(err: unknown): boolean {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}

/** markDispatched over the table CURSOR_TABLE_NAME. */
export class DynamoDispatchMarker implements Pick<SourceRegistry, 'markDispatched'> {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.documents = registryDocuments(client);
  }

  /**
   * Sets lastDispatchedAt = atIso if the source exists and no dispatch was recorded at or after
   * slotStartIso; false otherwise (already dispatched for this slot, or no such source).
   */
  async markDispatched(sourceId: string, atIso: string, slotStartIso: string): Promise<boolean> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: sourceConfigKey(sourceId) },
          ConditionExpression:
            'attribute_exists(#pk) AND (attribute_not_exists(#last) OR #last < :slotStart)',
          UpdateExpression: 'SET #last = :at',
          ExpressionAttributeNames: { '#pk': 'pk', '#last': 'lastDispatchedAt' },
          ExpressionAttributeValues: { ':at': atIso, ':slotStart': slotStartIso },
        }),
      );
      return true;
    } catch (err: unknown) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }
}
