/**
 * Creating a registry item, the one way both the registry (`npm run sources -- add`) and the
 * deployment's seed create one: defaults filled in, version 1, createdAt = updatedAt = nowIso, a
 * PutItem conditional on the key not existing. A file of its own so that the seed, which may only
 * check and create items, reaches this PutItem without the registry's updates and deletes
 * (test/infra/iam-calls.test.ts derives each role from the commands its code can send, file by file).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  type SourceConfig,
  type SourceConfigInput,
  SourceExistsError,
  sourceConfigKey,
  sourceConfigSchema,
} from './source-config.js';

/** True for DynamoDB's "condition not met" answer; matched by name so duplicate SDK copies still match. */
export function isConditionFailure(err: unknown): boolean {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}

/** Creates the source's item; SourceExistsError when its id is taken, zod's error when `config` is invalid. */
export async function putNewSource(
  documents: DynamoDBDocumentClient,
  tableName: string,
  config: SourceConfigInput,
  nowIso: string,
): Promise<SourceConfig> {
  const { lastDispatchedAt: _ignored, ...parsed } = sourceConfigSchema.parse(config);
  const stored: SourceConfig = { ...parsed, createdAt: nowIso, updatedAt: nowIso, version: 1 };
  try {
    await documents.send(
      new PutCommand({
        TableName: tableName,
        Item: { pk: sourceConfigKey(stored.sourceId), ...stored },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': 'pk' },
      }),
    );
  } catch (err: unknown) {
    if (isConditionFailure(err)) throw new SourceExistsError(stored.sourceId);
    throw err;
  }
  return stored;
}
