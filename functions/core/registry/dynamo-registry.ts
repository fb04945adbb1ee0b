/**
 * The SourceRegistry port over DynamoDB: one item per source, `pk = source-config#<id>`, in the
 * cursor table beside the cursor items (`pk = source#<id>`), which it never reads or writes.
 * Every write is a single conditional request (no transactions: dynalite, the local stand-in,
 * has none):
 * - `add` is a PutItem that only creates (`attribute_not_exists(pk)`);
 * - `update` is an UpdateItem that only changes an existing item and bumps `version`;
 * - `markDispatched` sets `lastDispatchedAt` only when no dispatch was recorded at or after the
 *   slot's start, so of two dispatchers racing for one slot exactly one wins.
 * Reading is strict: an item that does not parse as a SourceConfig (edited by hand, written by a
 * newer version) is never used. `get` throws for it (a run must not start on a guess); `list`
 * leaves it out and reports it, through `listWithProblems()` and the optional `onProblem`
 * callback, so one broken item cannot stop the dispatch of every other source.
 *
 * Timestamps come from the caller (its clock), never from this store. `markDispatched` compares
 * ISO strings, so both instants must be `Date.toISOString()` values (fixed width, `Z`), whose
 * string order is time order.
 *
 * The reads are DynamoSourceRegistryReader's and the dispatch mark DynamoDispatchMarker's (files of
 * their own, so functions that need only those reach no other write); this class adds the
 * operator's writes. Permissions: get = dynamodb:GetItem, list = dynamodb:Scan (the whole table is read and
 * filtered; cursor items are read too and dropped), add = PutItem, update and markDispatched =
 * UpdateItem, remove = DeleteItem.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDispatchMarker } from './dynamo-dispatch-marker.js';
import {
  type DynamoSourceRegistryOptions,
  DynamoSourceRegistryReader,
  parseRegistryItem,
  UnreadableSourceConfigError,
} from './dynamo-registry-reader.js';
import { isConditionFailure, putNewSource } from './put-new-source.js';
import {
  type SourceConfig,
  type SourceConfigChanges,
  type SourceConfigInput,
  SourceNotFoundError,
  type SourceRegistry,
  sourceConfigKey,
  sourceConfigSchema,
} from './source-config.js';

export {
  type DynamoSourceRegistryOptions,
  parseRegistryItem,
  type RegistryListing,
  type RegistryProblem,
  UnreadableSourceConfigError,
} from './dynamo-registry-reader.js';

/** The fields `update` may change (anything else in `changes` is refused). */
const CHANGEABLE = [
  'secretId',
  'enabled',
  'scheduleMinutes',
  'lookbackDays',
  'settleSeconds',
  'rescanAfterSeconds',
] as const satisfies ReadonlyArray<keyof SourceConfigChanges>;

/** Reads and writes the registry items in the table CURSOR_TABLE_NAME. */
export class DynamoSourceRegistry extends DynamoSourceRegistryReader implements SourceRegistry {
  private readonly marker: DynamoDispatchMarker;

  /** `client` is created once per container; `tableName` is CURSOR_TABLE_NAME. */
  constructor(client: DynamoDBClient, tableName: string, options: DynamoSourceRegistryOptions = {}) {
    super(client, tableName, options);
    this.marker = new DynamoDispatchMarker(client, tableName);
  }

  /**
   * Creates the source (defaults filled in, version 1, createdAt = updatedAt = nowIso); throws
   * SourceExistsError when its id is taken, and zod's error when `config` is invalid.
   */
  async add(config: SourceConfigInput, nowIso: string): Promise<SourceConfig> {
    return putNewSource(this.documents, this.tableName, config, nowIso);
  }

  /**
   * Applies `changes` (each checked against the schema; undefined fields are left alone), sets
   * updatedAt and bumps version; throws SourceNotFoundError when the source does not exist.
   */
  async update(sourceId: string, changes: SourceConfigChanges, nowIso: string): Promise<SourceConfig> {
    const names: Record<string, string> = { '#pk': 'pk', '#updatedAt': 'updatedAt', '#version': 'version' };
    const values: Record<string, unknown> = { ':now': nowIso, ':one': 1 };
    const sets = ['#updatedAt = :now'];
    for (const field of Object.keys(changes)) {
      if (!(CHANGEABLE as readonly string[]).includes(field))
        throw new Error(`update: ${field} cannot be changed`);
    }
    for (const field of CHANGEABLE) {
      const value = changes[field];
      if (value === undefined) continue;
      names[`#${field}`] = field;
      values[`:${field}`] = sourceConfigSchema.shape[field].parse(value);
      sets.push(`#${field} = :${field}`);
    }
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: sourceConfigKey(sourceId) },
          ConditionExpression: 'attribute_exists(#pk)',
          UpdateExpression: `SET ${sets.join(', ')} ADD #version :one`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      const parsed = parseRegistryItem(Attributes ?? {});
      if (!parsed.ok) throw new UnreadableSourceConfigError(parsed.problem);
      return parsed.config;
    } catch (err: unknown) {
      if (isConditionFailure(err)) throw new SourceNotFoundError(sourceId);
      throw err;
    }
  }

  /** Deletes the registry item only (cursor and archive stay); true when it existed. */
  async remove(sourceId: string): Promise<boolean> {
    const { Attributes } = await this.documents.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { pk: sourceConfigKey(sourceId) },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return Attributes !== undefined;
  }

  /** See DynamoDispatchMarker.markDispatched. */
  markDispatched(sourceId: string, atIso: string, slotStartIso: string): Promise<boolean> {
    return this.marker.markDispatched(sourceId, atIso, slotStartIso);
  }
}
