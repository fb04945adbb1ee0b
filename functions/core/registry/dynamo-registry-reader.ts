/**
 * Reading the source registry, and nothing else: `get` (GetItem) and `list` (Scan of the
 * `source-config#` items of the cursor table). Apart from the writes so that a function that only
 * reads (the query API) or only reads and marks dispatches (the dispatcher) cannot reach a write
 * it holds no grant for: test/infra/iam-calls.test.ts derives each role from the commands its
 * code can send, file by file.
 *
 * Reading is strict: an item that does not parse as a SourceConfig (edited by hand, written by a
 * newer version) is never used. `get` throws for it (a run must not start on a guess); `list`
 * leaves it out and reports it, through `listWithProblems()` and the optional `onProblem`
 * callback, so one broken item cannot stop the dispatch of every other source.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { SOURCE_ID_PATTERN } from '#core/source-id.js';
import {
  parseRegistryItem,
  type RegistryProblem,
  SOURCE_CONFIG_PREFIX,
  type SourceConfig,
  type SourceRegistry,
  sourceConfigKey,
} from './source-config.js';

export { parseRegistryItem, type RegistryProblem } from './source-config.js';

/** What `listWithProblems` returns. */
export interface RegistryListing {
  /** The readable sources, in id order. */
  sources: SourceConfig[];
  /** The items that were left out. */
  problems: RegistryProblem[];
}

export interface DynamoSourceRegistryOptions {
  /** Called by `list` (and `listWithProblems`) once per unreadable item, e.g. to log it. */
  onProblem?: (problem: RegistryProblem) => void;
}

/** A registry item that does not parse: what `get` throws. */
export class UnreadableSourceConfigError extends Error {
  constructor(readonly problem: RegistryProblem) {
    super(`registry item ${problem.key} is unreadable: ${problem.reason}`);
    this.name = 'UnreadableSourceConfigError';
  }
}

/** The document client the registry uses (undefined attributes are left out when writing). */
export function registryDocuments(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** Reads the registry items in the table CURSOR_TABLE_NAME. */
export class DynamoSourceRegistryReader implements Pick<SourceRegistry, 'get' | 'list'> {
  protected readonly documents: DynamoDBDocumentClient;

  /** `client` is created once per container; `tableName` is CURSOR_TABLE_NAME. */
  constructor(
    client: DynamoDBClient,
    protected readonly tableName: string,
    private readonly options: DynamoSourceRegistryOptions = {},
  ) {
    this.documents = registryDocuments(client);
  }

  /** Strongly consistent read; undefined when there is no such source; throws UnreadableSourceConfigError for a broken item. */
  async get(sourceId: string): Promise<SourceConfig | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: sourceConfigKey(sourceId) },
        ConsistentRead: true,
      }),
    );
    if (!Item) return undefined;
    const parsed = parseRegistryItem(Item);
    if (!parsed.ok) throw new UnreadableSourceConfigError(parsed.problem);
    return parsed.config;
  }

  /** Every readable source (enabled or not), in id order; unreadable items go to `onProblem`. */
  async list(): Promise<SourceConfig[]> {
    return (await this.listWithProblems()).sources;
  }

  /**
   * The id of every registry item, readable or not (the compactor's list: a source's archive
   * needs compacting whatever state its settings are in), in order.
   */
  async sourceIds(): Promise<string[]> {
    const { sources, problems } = await this.listWithProblems();
    const unreadable = problems.flatMap((p) => {
      const id = p.key.slice(SOURCE_CONFIG_PREFIX.length);
      return p.key.startsWith(SOURCE_CONFIG_PREFIX) && SOURCE_ID_PATTERN.test(id) ? [id] : [];
    });
    return [...new Set([...sources.map((s) => s.sourceId), ...unreadable])].sort();
  }

  /** Every registry item: the readable ones as sources (id order), the others as problems (key order). */
  async listWithProblems(): Promise<RegistryListing> {
    const sources: SourceConfig[] = [];
    const problems: RegistryProblem[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: 'begins_with(#pk, :prefix)',
          ExpressionAttributeNames: { '#pk': 'pk' },
          ExpressionAttributeValues: { ':prefix': SOURCE_CONFIG_PREFIX },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        const parsed = parseRegistryItem(item);
        if (parsed.ok) sources.push(parsed.config);
        else problems.push(parsed.problem);
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    sources.sort((a, b) => (a.sourceId < b.sourceId ? -1 : a.sourceId > b.sourceId ? 1 : 0));
    problems.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const problem of problems) this.options.onProblem?.(problem);
    return { sources, problems };
  }
}
