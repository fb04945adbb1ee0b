/** The per-day summary `npm start -- --once` prints, read back through the S3 API (as a user would see S3). */
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parseObjectKey } from '#core/archive/layout.js';
import { listKeys } from '#local/standins/s3.js';

/** Events and objects of one UTC date. */
export interface DaySummary {
  dt: string;
  events: number;
  objects: number;
}

/** Counts lines (records) of one gzip NDJSON object. */
async function countRecords(s3: S3Client, bucket: string, key: string): Promise<number> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!object.Body) return 0;
  const text = gunzipSync(await object.Body.transformToByteArray()).toString('utf8');
  let lines = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) lines += 1;
  return lines;
}

/** Events and objects per UTC date of one source, oldest first. */
export async function summariseArchive(
  s3: S3Client,
  bucket: string,
  sourcePrefix: string,
): Promise<DaySummary[]> {
  const days = new Map<string, DaySummary>();
  for (const key of await listKeys(s3, bucket, sourcePrefix)) {
    const parsed = parseObjectKey(key);
    if (!parsed) continue;
    const day = days.get(parsed.dt) ?? { dt: parsed.dt, events: 0, objects: 0 };
    day.events += await countRecords(s3, bucket, key);
    day.objects += 1;
    days.set(parsed.dt, day);
  }
  return [...days.values()].sort((a, b) => (a.dt < b.dt ? -1 : 1));
}
