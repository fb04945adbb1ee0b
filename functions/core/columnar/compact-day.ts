/**
 * Compaction of one source-day: every NDJSON object of the day, read in key order (windows are
 * disjoint and each object is sorted by event_time, then id, so key order is record order),
 * deduplicated by id, streamed into one Parquet object a row group at a time. The upload becomes
 * visible only when complete, so a crash leaves the previous copy (or none), never half a day.
 * The object carries the fingerprint of the NDJSON it was built from, so a later change of the
 * day (a late merge) is noticed and the day rebuilt.
 */
import { createHash } from 'node:crypto';
import { decodeArchiveObject } from '#core/archive/decode.js';
import { dayPrefix, OBJECT_SUFFIX } from '#core/archive/layout.js';
import type { AuditRecord } from '#core/archive/record.js';
import { OCSF_COPY_METADATA, parquetDayKey, SOURCE_FINGERPRINT_METADATA } from './layout.js';
import { type OcsfDaySummary, OcsfDayWriter, type OcsfOutput } from './ocsf-day.js';
import { createParquetRecordWriter } from './parquet-writer.js';
import type { ColumnarStorage, ListedObject } from './storage.js';

/** Content type of the Parquet objects. */
export const PARQUET_CONTENT_TYPE = 'application/vnd.apache.parquet';

/** The NDJSON objects of one source-day, in key order (quarantine and other files excluded). */
export async function dayObjects(
  storage: ColumnarStorage,
  dataPrefix: string,
  sourceId: string,
  dt: string,
): Promise<ListedObject[]> {
  const objects = await storage.list(dayPrefix(dataPrefix, sourceId, dt));
  return objects
    .filter((o) => o.key.endsWith(OBJECT_SUFFIX))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** A stable digest of a day's NDJSON objects: keys, ETags and sizes. */
export function fingerprintOf(objects: readonly ListedObject[]): string {
  const hash = createHash('sha256');
  for (const o of objects) hash.update(`${o.key}\t${o.etag}\t${o.size}\n`);
  return hash.digest('hex');
}

/** What one compaction did. */
export interface CompactedDay {
  dt: string;
  key: string;
  records: number;
  bytes: number;
  rowGroups: number;
  /** NDJSON objects read. */
  sourceObjects: number;
  /** Records left out because their id was already in the day. */
  duplicates: number;
  fingerprint: string;
  /** The OCSF copy, when one was written. */
  ocsf?: OcsfDaySummary | undefined;
}

/** Options of a compaction. */
export interface CompactDayOptions {
  rowGroupSize?: number | undefined;
  /** Most records one day may hold; a larger day fails instead of exhausting memory. */
  maxRecords: number;
  /** Also write the day's OCSF copy (completed before the record Parquet, which then says so). */
  ocsf?: OcsfOutput | undefined;
}

/** A day with more records than the compactor may hold. */
export class DayTooLargeError extends Error {
  constructor(dt: string, limit: number) {
    super(`day ${dt} holds more than ${limit} records, the compactor's limit`);
    this.name = 'DayTooLargeError';
  }
}

const before = (a: AuditRecord, b: AuditRecord): boolean =>
  a.event_time < b.event_time || (a.event_time === b.event_time && a.id < b.id);

/** Compacts `dt` of `sourceId` from the objects listed (`objects`, as fingerprinted by the caller). */
export async function compactDay(
  storage: ColumnarStorage,
  target: { dataPrefix: string; sourceId: string; dt: string; objects: readonly ListedObject[] },
  options: CompactDayOptions,
): Promise<CompactedDay> {
  const { dataPrefix, sourceId, dt, objects } = target;
  const fingerprint = fingerprintOf(objects);
  const key = parquetDayKey(dataPrefix, sourceId, dt);
  // Records of the day in (event_time, id) order, each id once; sorted in memory only if the
  // objects turn out not to be in order (they always are when the collector wrote them).
  const read = async function* (): AsyncGenerator<AuditRecord[]> {
    for (const object of objects) {
      const body = await storage.get(object.key);
      if (body === undefined) continue;
      yield await decodeArchiveObject(object.key, body);
    }
  };

  const attempt = async (source: AsyncIterable<AuditRecord[]>): Promise<CompactedDay | 'unordered'> => {
    const upload = storage.upload(key, {
      contentType: PARQUET_CONTENT_TYPE,
      metadata: {
        [SOURCE_FINGERPRINT_METADATA]: fingerprint,
        ...(options.ocsf ? { [OCSF_COPY_METADATA]: 'true' } : {}),
      },
    });
    const ocsf = options.ocsf
      ? new OcsfDayWriter(storage, options.ocsf, {
          sourceId,
          dt,
          fingerprint,
          metadataKey: SOURCE_FINGERPRINT_METADATA,
        })
      : undefined;
    const writer = createParquetRecordWriter((chunk) => upload.write(chunk), {
      rowGroupSize: options.rowGroupSize,
    });
    const seen = new Set<string>();
    let previous: AuditRecord | undefined;
    let duplicates = 0;
    try {
      for await (const batch of source) {
        const kept: AuditRecord[] = [];
        for (const record of batch) {
          if (seen.has(record.id)) {
            duplicates += 1;
            continue;
          }
          if (previous !== undefined && !before(previous, record)) {
            await Promise.all([upload.abort(), ocsf?.abort()]);
            return 'unordered';
          }
          seen.add(record.id);
          if (seen.size > options.maxRecords) throw new DayTooLargeError(dt, options.maxRecords);
          previous = record;
          kept.push(record);
        }
        await writer.write(kept);
        await ocsf?.add(kept);
      }
      const totals = await writer.close();
      // The OCSF objects first: the record Parquet, complete, is what marks the day current.
      const ocsfSummary = await ocsf?.complete();
      await upload.complete();
      return {
        dt,
        key,
        records: totals.rows,
        bytes: totals.bytes,
        rowGroups: totals.rowGroups,
        sourceObjects: objects.length,
        duplicates,
        fingerprint,
        ocsf: ocsfSummary,
      };
    } catch (err: unknown) {
      await Promise.all([upload.abort(), ocsf?.abort()]);
      throw err;
    }
  };

  const streamed = await attempt(read());
  if (streamed !== 'unordered') return streamed;
  // Out of order (objects written by something else than the collector): sort the day in memory.
  const all: AuditRecord[] = [];
  for await (const batch of read()) {
    all.push(...batch);
    if (all.length > options.maxRecords * 2) throw new DayTooLargeError(dt, options.maxRecords);
  }
  all.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
  const sorted = await attempt(
    (async function* () {
      yield all;
    })(),
  );
  if (sorted === 'unordered') throw new Error(`day ${dt} could not be ordered`);
  return sorted;
}

/**
 * Whether the Parquet copy of a day reflects exactly its NDJSON objects now (and, with `ocsf`, was
 * built with its OCSF copy: turning the OCSF output on rebuilds the days still rechecked).
 */
export async function isCurrent(
  storage: ColumnarStorage,
  key: string,
  objects: readonly ListedObject[],
  options: { ocsf?: boolean | undefined } = {},
): Promise<boolean> {
  const metadata = await storage.metadata(key);
  if (metadata === undefined || metadata[SOURCE_FINGERPRINT_METADATA] !== fingerprintOf(objects))
    return false;
  return !options.ocsf || metadata[OCSF_COPY_METADATA] === 'true';
}
