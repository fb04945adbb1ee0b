/**
 * Reading cursor items, and nothing else: what the query function needs for GET /v1/status.
 * Apart from the store so that code which only reads cannot reach a write (its role holds
 * dynamodb:GetItem alone, and a test checks the role against the calls the code can make).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { CursorState } from '#core/ports.js';
import { cursorKey, itemToState } from './item.js';

/** The document client the cursor code uses (undefined attributes are left out when writing). */
export function cursorDocuments(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** Strongly consistent read of a source's cursor item; `null` when the source has never run. */
export async function readCursor(
  documents: DynamoDBDocumentClient,
  tableName: string,
  sourceId: string,
): Promise<CursorState | null> {
  const { Item } = await documents.send(
    new GetCommand({ TableName: tableName, Key: { pk: cursorKey(sourceId) }, ConsistentRead: true }),
  );
  return Item ? itemToState(Item, sourceId) : null;
}

/** Read-only access to the cursor table (CURSOR_TABLE_NAME). */
export class DynamoCursorReader {
  private readonly documents: DynamoDBDocumentClient;

  /** `client` is created once per container. */
  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.documents = cursorDocuments(client);
  }

  /** The source's state; `null` when it has never run. */
  get(sourceId: string): Promise<CursorState | null> {
    return readCursor(this.documents, this.tableName, sourceId);
  }
}
