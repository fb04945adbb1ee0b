/**
 * The CursorStore port over DynamoDB. Every mutation is a single conditional UpdateItem (no
 * transactions: one item holds the whole state, and dynalite, the local stand-in, has none):
 * - the lease is taken only when free, expired, or already ours;
 * - savePending / commitWindow require the version the caller read AND that the caller still
 *   holds the lease, and bump the version, so a run that lost its lease (or raced another)
 *   gets CursorConflictError instead of moving the watermark;
 * - counters use `ADD`, so they accumulate on the server and never go back.
 * Timestamps come from the caller (its clock), never from this store.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  CursorConflictError,
  type CursorState,
  type CursorStore,
  type RecordedGap,
  type TimeWindow,
} from '#core/ports.js';
import {
  appendGap,
  cursorKey,
  errorToItem,
  gapSeconds,
  itemToState,
  pendingToItem,
  type StoredCursorState,
  TOTAL_ATTRIBUTES,
} from './item.js';

/** Builds an UpdateExpression from SET/REMOVE/ADD clauses (DynamoDB wants each keyword once). */
function updateExpression(clauses: { set?: string[]; remove?: string[]; add?: string[] }): string {
  const parts: string[] = [];
  if (clauses.set?.length) parts.push(`SET ${clauses.set.join(', ')}`);
  if (clauses.remove?.length) parts.push(`REMOVE ${clauses.remove.join(', ')}`);
  if (clauses.add?.length) parts.push(`ADD ${clauses.add.join(', ')}`);
  return parts.join(' ');
}

/** True for DynamoDB's "condition not met" answer; matched by name so duplicate SDK copies still match. */
function isConditionFailure(err: unknown): boolean {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}

/** Placeholder names for every attribute used in expressions (some, like `version`, are risky bare). */
const NAMES = {
  '#pk': 'pk',
  '#sourceId': 'sourceId',
  '#version': 'version',
  '#watermark': 'watermark',
  '#pending': 'pending',
  '#backfillFrom': 'backfillFrom',
  '#windowSeconds': 'windowSeconds',
  '#lease': 'lease',
  '#owner': 'owner',
  '#expiresAt': 'expiresAt',
  '#lastRunAt': 'lastRunAt',
  '#lastSuccessAt': 'lastSuccessAt',
  '#lastError': 'lastError',
  '#gaps': 'gaps',
  '#gapCount': 'gapCount',
  '#gapSeconds': 'gapSeconds',
  '#updatedAt': 'updatedAt',
  '#eventsWritten': TOTAL_ATTRIBUTES.eventsWritten,
  '#windowsCommitted': TOTAL_ATTRIBUTES.windowsCommitted,
  '#objectsWritten': TOTAL_ATTRIBUTES.objectsWritten,
  '#malformedEvents': TOTAL_ATTRIBUTES.malformedEvents,
} as const;

type NameToken = keyof typeof NAMES;

/** ExpressionAttributeNames for exactly the placeholders an expression uses (DynamoDB rejects unused ones). */
function namesFor(...expressions: string[]): Record<string, string> {
  const text = expressions.join(' ');
  const used: Record<string, string> = {};
  for (const token of Object.keys(NAMES) as NameToken[]) {
    if (new RegExp(`${token}\\b`).test(text)) used[token] = NAMES[token];
  }
  return used;
}

/** Reads and writes one cursor item per source in the table CURSOR_TABLE_NAME. */
export class DynamoCursorStore implements CursorStore {
  private readonly documents: DynamoDBDocumentClient;

  /** `client` is created once per container; `tableName` is CURSOR_TABLE_NAME. */
  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  /** Strongly consistent read; `null` when the source has never run. */
  async get(sourceId: string): Promise<StoredCursorState | null> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: cursorKey(sourceId) }, ConsistentRead: true }),
    );
    return Item ? itemToState(Item, sourceId) : null;
  }

  /** Takes the lease if free, expired (`expiresAt < now`) or already `owner`'s; creates the item (version 1) on first use. */
  async acquireLease(
    sourceId: string,
    owner: string,
    now: Date,
    expiresAt: Date,
  ): Promise<StoredCursorState | null> {
    const condition =
      'attribute_not_exists(#pk) OR attribute_not_exists(#lease) OR #lease.#expiresAt < :now OR #lease.#owner = :owner';
    const update = updateExpression({
      set: ['#lease = :lease', '#sourceId = :sourceId', '#updatedAt = :nowIso'],
      add: ['#version :one'],
    });
    const result = await this.conditionalUpdate(sourceId, condition, update, {
      // Both instants as toISOString() (fixed width, `Z`), so string order is time order.
      ':now': now.toISOString(),
      ':nowIso': now.toISOString(),
      ':owner': owner,
      ':lease': { owner, expiresAt: expiresAt.toISOString() },
      ':sourceId': sourceId,
      ':one': 1,
    });
    return result.applied ? itemToState(result.attributes, sourceId) : null;
  }

  /** Saves the pending window (plus first-run `backfillFrom`, a newly recorded gap, the window size); version- and lease-guarded. */
  async savePending(
    state: CursorState,
    owner: string,
    update: {
      pending: TimeWindow & { plannedAt: string };
      backfillFrom?: string;
      gap?: RecordedGap;
      windowSeconds?: number;
    },
  ): Promise<StoredCursorState> {
    const set = ['#pending = :pending', '#updatedAt = :at'];
    const add = ['#version :one'];
    const values: Record<string, unknown> = {
      ':pending': pendingToItem(update.pending),
      ':at': update.pending.plannedAt,
      ':one': 1,
    };
    if (update.backfillFrom !== undefined) {
      set.push('#backfillFrom = :backfillFrom');
      values[':backfillFrom'] = update.backfillFrom;
    }
    if (update.windowSeconds !== undefined) {
      set.push('#windowSeconds = :windowSeconds');
      values[':windowSeconds'] = update.windowSeconds;
    }
    if (update.gap !== undefined) {
      // The list is rebuilt from the caller's state: safe because the version guard rejects
      // the write if anyone changed the item since that state was read.
      set.push('#gaps = :gaps');
      add.push('#gapCount :one', '#gapSeconds :gapSeconds');
      values[':gaps'] = appendGap(state.gaps, update.gap);
      values[':gapSeconds'] = gapSeconds(update.gap);
    }
    return this.guardedUpdate(state, owner, updateExpression({ set, add }), values, 'savePending');
  }

  /** Commits a drained window: watermark, pending removed, totals added, lastSuccessAt set, lastError cleared. */
  async commitWindow(
    state: CursorState,
    owner: string,
    commit: {
      watermark: string;
      at: string;
      eventsWritten: number;
      objectsWritten: number;
      malformedEvents: number;
    },
  ): Promise<StoredCursorState> {
    const expression = updateExpression({
      set: ['#watermark = :watermark', '#lastSuccessAt = :at', '#updatedAt = :at'],
      remove: ['#pending', '#lastError'],
      add: [
        '#version :one',
        '#eventsWritten :events',
        '#windowsCommitted :one',
        '#objectsWritten :objects',
        '#malformedEvents :malformed',
      ],
    });
    return this.guardedUpdate(
      state,
      owner,
      expression,
      {
        ':watermark': commit.watermark,
        ':at': commit.at,
        ':one': 1,
        ':events': commit.eventsWritten,
        ':objects': commit.objectsWritten,
        ':malformed': commit.malformedEvents,
      },
      'commitWindow',
    );
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
    const condition = '#lease.#owner = :owner';
    const expression = updateExpression({ set: ['#lastError = :error', '#updatedAt = :at'] });
    const result = await this.conditionalUpdate(sourceId, condition, expression, {
      ':owner': owner,
      ':error': errorToItem(error),
      ':at': error.at,
    });
    if (!result.applied) {
      throw new CursorConflictError(`recordError: ${owner} does not hold the lease of source ${sourceId}`);
    }
  }

  /** Removes the lease and sets `lastRunAt` if `owner` still holds it; otherwise does nothing. */
  async releaseLease(sourceId: string, owner: string, at: string): Promise<void> {
    const condition = '#lease.#owner = :owner';
    const expression = updateExpression({
      set: ['#lastRunAt = :at', '#updatedAt = :at'],
      remove: ['#lease'],
    });
    // Not applied: someone else holds it now (ours expired and was taken): theirs to release.
    await this.conditionalUpdate(sourceId, condition, expression, { ':owner': owner, ':at': at });
  }

  /** An update guarded by `version = state.version AND lease.owner = owner`, returning the new state. */
  private async guardedUpdate(
    state: CursorState,
    owner: string,
    expression: string,
    values: Record<string, unknown>,
    operation: string,
  ): Promise<StoredCursorState> {
    const condition = '#version = :expectedVersion AND #lease.#owner = :owner';
    const result = await this.conditionalUpdate(state.sourceId, condition, expression, {
      ...values,
      ':expectedVersion': state.version,
      ':owner': owner,
    });
    if (!result.applied) {
      throw new CursorConflictError(
        `${operation}: source ${state.sourceId} moved past version ${state.version} or ${owner} lost the lease`,
      );
    }
    return itemToState(result.attributes, state.sourceId);
  }

  /** One conditional UpdateItem on a source's item; a failed condition is an answer, not an error. */
  private async conditionalUpdate(
    sourceId: string,
    condition: string,
    expression: string,
    values: Record<string, unknown>,
  ): Promise<{ applied: true; attributes: Record<string, unknown> } | { applied: false }> {
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: cursorKey(sourceId) },
          ConditionExpression: condition,
          UpdateExpression: expression,
          ExpressionAttributeNames: namesFor(condition, expression),
          ExpressionAttributeValues: values,
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
