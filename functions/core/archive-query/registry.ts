/**
 * Who started which archive query. The API's query id is its own random token, mapped here to
 * the engine's execution id, the caller who started it and the validated request. Every read
 * of a query goes through this record: an id of another caller, or an Athena execution id
 * (of this workgroup or any other), finds nothing, so it can never reveal someone else's results.
 */
import { randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '#core/ports.js';
import type { ArchiveQueryRequest } from './request.js';

/** One started query. */
export interface ArchiveQueryRecord {
  id: string;
  executionId: string;
  /** The caller's identity (IAM principal ARN or JWT issuer + subject); compared for equality. */
  owner: string;
  request: ArchiveQueryRequest;
  /** Epoch ms. */
  createdAt: number;
}

/** The store of started queries. */
export interface ArchiveQueryRegistry {
  /** Records a new query; it is forgotten `ttlSeconds` later (its results expire by then too). */
  put(record: ArchiveQueryRecord, ttlSeconds: number): Promise<void>;
  /** The record, or undefined when there is none (never started, or expired). */
  get(id: string): Promise<ArchiveQueryRecord | undefined>;
}

const ID_PREFIX = 'aq_';
const ID_PATTERN = /^aq_[A-Za-z0-9_-]{22}$/;

/** A new query id: 128 random bits, URL-safe. */
export function newArchiveQueryId(): string {
  return `${ID_PREFIX}${randomBytes(16).toString('base64url')}`;
}

/** Whether `text` has the shape of an id this API issues (anything else is simply unknown). */
export const isArchiveQueryId = (text: string): boolean => ID_PATTERN.test(text);

/** The registry item's key in the cursor table (beside the collectors' `source#<id>` items). */
export const archiveQueryKey = (id: string): string => `archive-query#${id}`;

/** The TTL attribute (epoch seconds) DynamoDB expires registry items by. */
export const EXPIRES_AT_ATTRIBUTE = 'expiresAt';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The registry in the cursor table (CURSOR_TABLE_NAME). */
export class DynamoArchiveQueryRegistry implements ArchiveQueryRegistry {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  async put(record: ArchiveQueryRecord, ttlSeconds: number): Promise<void> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: archiveQueryKey(record.id),
            executionId: record.executionId,
            owner: record.owner,
            request: JSON.stringify(record.request),
            createdAt: record.createdAt,
            [EXPIRES_AT_ATTRIBUTE]: Math.floor(record.createdAt / 1000) + ttlSeconds,
          },
          // Ids are random; a collision must fail rather than hand one caller's query to another.
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err: unknown) {
      if (err instanceof ConditionalCheckFailedException) throw new Error('archive query id collision');
      throw err;
    }
  }

  async get(id: string): Promise<ArchiveQueryRecord | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: archiveQueryKey(id) }, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    // TTL deletes expired items in the background, typically within a few days, and reads return
    // them until then: an expired record is treated as gone (DynamoDB Developer Guide, "Working
    // with expired items": https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ttl-expired-items.html).
    const expiresAt = Item[EXPIRES_AT_ATTRIBUTE];
    if (typeof expiresAt === 'number' && expiresAt * 1000 <= this.clock.now()) return undefined;
    const { executionId, owner, request, createdAt } = Item;
    if (typeof executionId !== 'string' || typeof owner !== 'string' || typeof request !== 'string')
      return undefined;
    const parsed: unknown = JSON.parse(request);
    if (!isRecord(parsed)) return undefined;
    return {
      id,
      executionId,
      owner,
      request: parsed as unknown as ArchiveQueryRequest,
      createdAt: typeof createdAt === 'number' ? createdAt : 0,
    };
  }
}
