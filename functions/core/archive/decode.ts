/**
 * Reads archive objects back (a rescan merges late events into a window's existing objects).
 * Strict: an object that is not gzip NDJSON of records stops the merge with an error rather
 * than being overwritten with whatever part of it could be read.
 */
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { AuditRecord } from './record.js';

const gunzipAsync = promisify(gunzip);

/** A stored object that could not be read as records. */
export class CorruptObjectError extends Error {
  constructor(key: string, detail: string) {
    super(`archive object ${key} is not gzip NDJSON of records: ${detail}`);
    this.name = 'CorruptObjectError';
  }
}

/** The records of one gzip NDJSON archive object, in stored order. */
export async function decodeArchiveObject(key: string, body: Uint8Array): Promise<AuditRecord[]> {
  let text: string;
  try {
    text = (await gunzipAsync(body)).toString('utf8');
  } catch {
    throw new CorruptObjectError(key, 'not gzip');
  }
  const records: AuditRecord[] = [];
  let line = 0;
  for (const raw of text.split('\n')) {
    line += 1;
    if (raw === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw new CorruptObjectError(key, `line ${line} is not JSON`);
    }
    if (typeof value !== 'object' || value === null || typeof (value as { id?: unknown }).id !== 'string') {
      throw new CorruptObjectError(key, `line ${line} has no string id`);
    }
    records.push(value as AuditRecord);
  }
  return records;
}
