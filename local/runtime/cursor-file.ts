/**
 * Keeps the local cursor across `npm start` sessions. The DynamoDB stand-in lives in memory
 * while the S3 data lives on disk; without the cursor a restart would backfill again with
 * different window bounds (different keys) and double the data on disk. The item is saved
 * as DynamoDB JSON after every run and put back on start, minus any lease a killed session left.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { cursorKey } from '#core/cursor/item.js';

/** Writes the source's cursor item to `file` (nothing when the source has never run). */
export async function saveCursorItem(
  client: DynamoDBClient,
  table: string,
  sourceId: string,
  file: string,
): Promise<void> {
  const { Item } = await client.send(
    new GetItemCommand({ TableName: table, Key: { pk: { S: cursorKey(sourceId) } }, ConsistentRead: true }),
  );
  if (!Item) return;
  await mkdir(dirname(file), { recursive: true });
  // Write-then-rename: an interrupted save never leaves half a file behind.
  await writeFile(`${file}.tmp`, `${JSON.stringify(Item, null, 2)}\n`, 'utf8');
  await rename(`${file}.tmp`, file);
}

/** Puts a saved cursor item back (without its lease); returns false when there is no saved item. */
export async function restoreCursorItem(
  client: DynamoDBClient,
  table: string,
  file: string,
): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err: unknown) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  const item = JSON.parse(text) as Record<string, AttributeValue>;
  const { lease: _staleLease, ...withoutLease } = item;
  await client.send(new PutItemCommand({ TableName: table, Item: withoutLease }));
  return true;
}
