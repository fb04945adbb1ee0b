/**
 * The compactor's state per source, in the cursor table (`pk = compactor#<source>`): a lease, so
 * one compactor at a time works on a source (an overlapping invocation, e.g. the schedule and an
 * S3-triggered run, finds it held and leaves the source alone; a run that dies keeps it only
 * until it expires), and the source's view boundary (`parquetBefore`: every day before it is
 * read from Parquet), written only by the lease holder. The item `compactor#~view` is the lease
 * of whoever rewrites the view, `compactor#~catalog` that of whoever adds sources to Athena's
 * partition projection.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';

/** The lease port. */
export interface CompactionLeases {
  /** True when `owner` now holds the source's lease until `untilMs`. */
  acquire(sourceId: string, owner: string, nowMs: number, untilMs: number): Promise<boolean>;
  /** Gives the lease up if `owner` still holds it. */
  release(sourceId: string, owner: string): Promise<void>;
  /** Records the source's boundary, if `owner` still holds its lease; false when it does not. */
  saveBoundary(sourceId: string, owner: string, before: string): Promise<boolean>;
  /** The recorded boundary of each source that has one. */
  boundaries(sourceIds: readonly string[]): Promise<Map<string, string>>;
}

/** The lease name of the view's writer (not a source id: those never start with `~`). */
export const VIEW_LEASE = '~view';

/** The lease name of whoever adds sources to Athena's partition projection (fleet mode). */
export const CATALOG_LEASE = '~catalog';

/** The item key of a source's compactor lease. */
export const compactorKey = (sourceId: string): string => `compactor#${sourceId}`;

/** Leases in the cursor table. */
export class DynamoCompactionLeases implements CompactionLeases {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.documents = DynamoDBDocumentClient.from(client);
  }

  async acquire(sourceId: string, owner: string, nowMs: number, untilMs: number): Promise<boolean> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: compactorKey(sourceId) },
          UpdateExpression: 'SET leaseOwner = :owner, leaseExpiresAt = :until',
          ConditionExpression:
            'attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt < :now OR leaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': owner, ':until': untilMs, ':now': nowMs },
        }),
      );
      return true;
    } catch (err: unknown) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async saveBoundary(sourceId: string, owner: string, before: string): Promise<boolean> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: compactorKey(sourceId) },
          UpdateExpression: 'SET parquetBefore = :before',
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': owner, ':before': before },
        }),
      );
      return true;
    } catch (err: unknown) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async boundaries(sourceIds: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (const sourceId of sourceIds) {
      const { Item } = await this.documents.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk: compactorKey(sourceId) },
          ConsistentRead: true,
        }),
      );
      const before = Item?.parquetBefore;
      if (typeof before === 'string') found.set(sourceId, before);
    }
    return found;
  }

  async release(sourceId: string, owner: string): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: compactorKey(sourceId) },
          UpdateExpression: 'REMOVE leaseOwner, leaseExpiresAt',
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (err: unknown) {
      // Someone took it over after it expired: nothing of ours to give up.
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }
}
