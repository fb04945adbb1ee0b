/**
 * The CursorStore port over DynamoDB. Every mutation is a single conditional UpdateItem (no
 * transactions: one item holds the whole state, and dynalite, the local stand-in, has none):
 * - the lease is taken only when free, expired, or already ours;
 * - `save` requires the version the caller read AND that the caller still holds the lease, and
 *   bumps the version, so a run that lost its lease (or raced another) gets
 *   CursorConflictError instead of moving the watermark. Because of that guard the engine may
 *   write absolute values (totals, range lists) computed from the state it read.
 * Timestamps come from the caller (its clock), never from this store.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type CursorChanges, CursorConflictError, type CursorState, type CursorStore } from '#core/ports.js';
import { cursorDocuments, readCursor } from './dynamo-cursor-reader.js';
import { changesToAttributes, cursorKey, errorToItem, itemToState } from './item.js';

/** True for DynamoDB's "condition not met" answer; matched by name so duplicate SDK copies still match. */
function isConditionFailure(err: unknown): boolean {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}

/** Builds one UpdateItem's expression with a placeholder for every name and value. */
class Expression {
  private readonly names: Record<string, string> = {};
  private readonly values: Record<string, unknown> = {};
  private readonly sets: string[] = [];
  private readonly removes: string[] = [];
  private readonly adds: string[] = [];

  /** `#n<i>` for an attribute name (every name gets one: some, like `version`, are reserved words). */
  name(attribute: string): string {
    const existing = Object.entries(this.names).find(([, value]) => value === attribute);
    if (existing) return existing[0];
    const token = `#n${Object.keys(this.names).length}`;
    this.names[token] = attribute;
    return token;
  }

  /** `:v<i>` for a value. */
  value(value: unknown): string {
    const token = `:v${Object.keys(this.values).length}`;
    this.values[token] = value;
    return token;
  }

  set(attribute: string, value: unknown): this {
    this.sets.push(`${this.name(attribute)} = ${this.value(value)}`);
    return this;
  }

  remove(attribute: string): this {
    this.removes.push(this.name(attribute));
    return this;
  }

  add(attribute: string, value: number): this {
    this.adds.push(`${this.name(attribute)} ${this.value(value)}`);
    return this;
  }

  /** The UpdateExpression (DynamoDB wants each keyword once). */
  update(): string {
    const parts: string[] = [];
    if (this.sets.length) parts.push(`SET ${this.sets.join(', ')}`);
    if (this.removes.length) parts.push(`REMOVE ${this.removes.join(', ')}`);
    if (this.adds.length) parts.push(`ADD ${this.adds.join(', ')}`);
    return parts.join(' ');
  }

  attributeNames(): Record<string, string> {
    return { ...this.names };
  }

  attributeValues(): Record<string, unknown> {
    return { ...this.values };
  }
}

/** Reads and writes one cursor item per source in the table CURSOR_TABLE_NAME. */
export class DynamoCursorStore implements CursorStore {
  private readonly documents: DynamoDBDocumentClient;

  /** `client` is created once per container; `tableName` is CURSOR_TABLE_NAME. */
  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.documents = cursorDocuments(client);
  }

  /** Strongly consistent read; `null` when the source has never run. */
  get(sourceId: string): Promise<CursorState | null> {
    return readCursor(this.documents, this.tableName, sourceId);
  }

  /** Takes the lease if free, expired (`expiresAt < now`) or already `owner`'s; creates the item (version 1) on first use. */
  async acquireLease(
    sourceId: string,
    owner: string,
    now: Date,
    expiresAt: Date,
  ): Promise<CursorState | null> {
    const e = new Expression();
    // Both instants as toISOString() (fixed width, `Z`), so string order is time order.
    const condition = `attribute_not_exists(${e.name('pk')}) OR attribute_not_exists(${e.name('lease')}) OR ${e.name('lease')}.${e.name('expiresAt')} < ${e.value(now.toISOString())} OR ${e.name('lease')}.${e.name('owner')} = ${e.value(owner)}`;
    e.set('lease', { owner, expiresAt: expiresAt.toISOString() })
      .set('sourceId', sourceId)
      .set('updatedAt', now.toISOString())
      .add('version', 1);
    const result = await this.conditionalUpdate(sourceId, condition, e);
    return result.applied ? itemToState(result.attributes, sourceId) : null;
  }

  /** Applies `changes` guarded by `version = state.version AND lease.owner = owner`; returns the new state. */
  async save(state: CursorState, owner: string, changes: CursorChanges, at: string): Promise<CursorState> {
    const e = new Expression();
    const condition = `${e.name('version')} = ${e.value(state.version)} AND ${e.name('lease')}.${e.name('owner')} = ${e.value(owner)}`;
    const { set, remove } = changesToAttributes(changes);
    for (const [attribute, value] of Object.entries(set)) e.set(attribute, value);
    for (const attribute of remove) e.remove(attribute);
    e.set('updatedAt', at).add('version', 1);
    const result = await this.conditionalUpdate(state.sourceId, condition, e);
    if (!result.applied) {
      throw new CursorConflictError(
        `save: source ${state.sourceId} moved past version ${state.version} or ${owner} lost the lease`,
      );
    }
    return itemToState(result.attributes, state.sourceId);
  }

  /**
   * Records the last error (message bounded) if `owner` holds the lease; throws
   * CursorConflictError otherwise. Leaves the version alone: the error does not change what
   * the caller's next guarded write is based on.
   */
  async recordError(
    sourceId: string,
    owner: string,
    error: { at: string; kind: string; message: string },
  ): Promise<void> {
    const e = new Expression();
    const condition = `${e.name('lease')}.${e.name('owner')} = ${e.value(owner)}`;
    e.set('lastError', errorToItem(error)).set('updatedAt', error.at);
    const result = await this.conditionalUpdate(sourceId, condition, e);
    if (!result.applied) {
      throw new CursorConflictError(`recordError: ${owner} does not hold the lease of source ${sourceId}`);
    }
  }

  /** Removes the lease and sets `lastRunAt` (and `lastStop`) if `owner` still holds it; otherwise does nothing. */
  async releaseLease(sourceId: string, owner: string, at: string, stopReason?: string): Promise<void> {
    const e = new Expression();
    const condition = `${e.name('lease')}.${e.name('owner')} = ${e.value(owner)}`;
    e.set('lastRunAt', at).set('updatedAt', at).remove('lease');
    if (stopReason !== undefined) e.set('lastStop', { at, reason: stopReason });
    // Not applied: someone else holds it now (ours expired and was taken): theirs to release.
    await this.conditionalUpdate(sourceId, condition, e);
  }

  /** One conditional UpdateItem on a source's item; a failed condition is an answer, not an error. */
  private async conditionalUpdate(
    sourceId: string,
    condition: string,
    expression: Expression,
  ): Promise<{ applied: true; attributes: Record<string, unknown> } | { applied: false }> {
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: cursorKey(sourceId) },
          ConditionExpression: condition,
          UpdateExpression: expression.update(),
          ExpressionAttributeNames: expression.attributeNames(),
          ExpressionAttributeValues: expression.attributeValues(),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { applied: true, attributes: Attributes ?? {} };
    } catch (err: unknown) {
      if (isConditionFailure(err)) return { applied: false };
      throw err;
    }
  }
}
