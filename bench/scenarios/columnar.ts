/**
 * Benchmark 9: the columnar copy (issue 13). Simulator events are archived the way the collector
 * lays them out (one gzip NDJSON object per 5-minute run) in the S3 stand-in, then the real
 * compactor handler (bundled, in a child with the heap limit the large-day test uses) turns the
 * closed days into Parquet. Figures:
 *
 *   9a  bytes per 1,000 events: Parquet against the API's JSON (and the gzip NDJSON beside it);
 *   9b  objects per source-day after compaction, against the NDJSON's;
 *   9c  compaction of a 1,000,000-event day: events/s and peak RSS, against decoding the same
 *       day's NDJSON in this process (the floor of any compaction: every object read once);
 *   9d  bytes a single-column query over the days scans: Parquet (DuckDB's bytes read, column
 *       chunks of that column plus footers) against NDJSON (whole objects, as Athena bills JSON).
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { decodeArchiveObject } from '#core/archive/decode.js';
import { buildDailyObjects } from '#core/archive/encode.js';
import { normaliseEvent } from '#core/archive/normalise.js';
import type { AuditRecord } from '#core/archive/record.js';
import { S3ObjectStore } from '#core/archive/s3-object-store.js';
import { parquetRoot } from '#core/columnar/layout.js';
import { DynamoCompactionLeases } from '#core/columnar/lease.js';
import { DynamoCursorStore } from '#core/cursor/dynamo-cursor-store.js';
import { localArchiveCatalog } from '#local/archive-engine/catalog.js';
import { DuckDbArchive } from '#local/archive-engine/duckdb-archive.js';
import { startMimecastSimulator } from '#local/mimecast-sim/index.js';
import { STANDIN_CREDENTIALS, STANDIN_REGION, type Standins, startStandins } from '#local/standins/index.js';
import { compactChildEnv } from '../child/compact-env.js';
import { COLUMNAR, EVENTS_PER_DAY, SEED, SIM_EPOCH_MS } from '../config.js';
import { formatBytes, formatCount, notMeasured, type Row, verdictOf } from '../lib/report.js';
import { round } from '../lib/stats.js';
import type { ScenarioContext } from './context.js';

const PREFIX = 'mimecast/audit-events';
const DENSE = 'bench-columnar';
const LARGE = 'bench-large-day';
const DATABASE = 'mimecast_audit_lake';
const VIEW = 'audit_events';
const DAY_MS = 86_400_000;

interface Archived {
  events: number;
  objects: number;
  /** The events as the API's JSON serialises them (JSON.stringify of each event). */
  apiJsonBytes: number;
  ndjsonBytes: number;
  days: string[];
}

function clients(standins: Standins): { s3: S3Client; dynamodb: DynamoDBClient } {
  const common = { region: STANDIN_REGION, credentials: STANDIN_CREDENTIALS };
  return {
    s3: new S3Client({
      ...common,
      endpoint: standins.env.AWS_ENDPOINT_URL_S3,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
    dynamodb: new DynamoDBClient({ ...common, endpoint: standins.env.AWS_ENDPOINT_URL_DYNAMODB }),
  };
}

/** Archives `days` days from `firstDay` of a simulator at `eventsPerDay`, `windowsPerDay` objects a day. */
async function archiveDays(
  store: S3ObjectStore,
  source: string,
  options: { firstDay: number; days: number; eventsPerDay: number; windowsPerDay: number },
): Promise<Archived> {
  const { firstDay, days, eventsPerDay, windowsPerDay } = options;
  const sim = await startMimecastSimulator({
    seed: SEED,
    eventsPerDay,
    rateLimit: false,
    clock: { now: () => firstDay + (days + 1) * DAY_MS },
    historyDays: days + 5,
  });
  const archived: Archived = { events: 0, objects: 0, apiJsonBytes: 0, ndjsonBytes: 0, days: [] };
  try {
    const windowMs = DAY_MS / windowsPerDay;
    for (let day = 0; day < days; day++) {
      archived.days.push(new Date(firstDay + day * DAY_MS).toISOString().slice(0, 10));
      for (let w = 0; w < windowsPerDay; w++) {
        const start = new Date(firstDay + day * DAY_MS + w * windowMs);
        const end = new Date(start.getTime() + windowMs);
        const collectedAt = end.toISOString().replace('.000Z', 'Z');
        const records: AuditRecord[] = [];
        for (const raw of sim.groundTruth(start, end)) {
          archived.apiJsonBytes += Buffer.byteLength(JSON.stringify(raw));
          const result = normaliseEvent(raw, { source, collectedAt });
          if (result.ok) records.push(result.record);
        }
        for (const object of await buildDailyObjects(records, {
          prefix: PREFIX,
          sourceId: source,
          window: { start, end },
        })) {
          await store.putObject(object.key, object.body, 'application/x-ndjson');
          archived.events += object.count;
          archived.objects += 1;
          archived.ndjsonBytes += object.body.byteLength;
        }
      }
    }
  } finally {
    await sim.close();
  }
  return archived;
}

/** The collector is past the days (its watermark), nothing pending: the days are closed. */
async function closeDays(cursor: DynamoCursorStore, source: string, watermark: number): Promise<void> {
  const state = await cursor.acquireLease(source, 'bench', new Date(), new Date(Date.now() + 60_000));
  if (!state) throw new Error(`no cursor for ${source}`);
  const now = new Date().toISOString();
  await cursor.save(
    state,
    'bench',
    { watermark: new Date(watermark).toISOString().replace('.000Z', 'Z') },
    now,
  );
  await cursor.releaseLease(source, 'bench', now);
}

interface CompactRun {
  summary: { compacted: number; records: number; bytes: number; failures: unknown[] };
  peakRssBytes: number;
  wallMs: number;
}

/** Runs the bundled compactor handler once for `source` in a child with the heap limit. */
async function compactInChild(ctx: ScenarioContext, standins: Standins, source: string): Promise<CompactRun> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [`--max-old-space-size=${COLUMNAR.heapLimitMb}`, ctx.children.compact],
    {
      env: { ...process.env, ...compactChildEnv(standins.env, { dataPrefix: PREFIX, sourceId: source }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    if (ctx.verbose) process.stderr.write(chunk);
    err = (err + chunk.toString()).slice(-4000);
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0)
    throw new Error(`compaction child exited with ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`);
  const result = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Omit<CompactRun, 'wallMs'>;
  if (result.summary.failures.length > 0)
    throw new Error(`compaction failed: ${JSON.stringify(result.summary.failures[0])}`);
  return { ...result, wallMs: performance.now() - started };
}

/** Keys and sizes under `prefix`. */
async function listed(
  s3: S3Client,
  bucket: string,
  prefix: string,
): Promise<{ key: string; size: number }[]> {
  const objects: { key: string; size: number }[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) objects.push({ key: o.Key ?? '', size: o.Size ?? 0 });
    token = page.NextContinuationToken;
  } while (token);
  return objects;
}

/** Decodes every NDJSON object of `source` (the baseline of 9c): records read and time taken. */
async function decodeAll(
  store: S3ObjectStore,
  s3: S3Client,
  bucket: string,
  source: string,
): Promise<{ records: number; ms: number }> {
  const keys = (await listed(s3, bucket, `${PREFIX}/source=${source}/`)).map((o) => o.key);
  const started = performance.now();
  let records = 0;
  for (const key of keys) {
    const body = await store.getObject(key);
    if (body) records += (await decodeArchiveObject(key, body)).length;
  }
  return { records, ms: performance.now() - started };
}

/** Runs benchmark 9. */
export async function runColumnar(ctx: ScenarioContext): Promise<{ rows: Row[] }> {
  const names = {
    a: 'Columnar copy: bytes per 1,000 events, Parquet vs the API JSON',
    b: 'Columnar copy: objects per source-day',
    c: `Compaction of a ${formatCount(COLUMNAR.largeDayEvents)}-event day`,
    d: 'Single-column query: bytes scanned, Parquet vs NDJSON',
  };
  const targets = {
    a: `≥ ${COLUMNAR.minBytesRatio}× smaller`,
    b: `≤ ${COLUMNAR.maxObjectsPerDay}`,
    c: `every record, RSS < ${COLUMNAR.heapLimitMb} MiB (rate informative)`,
    d: `≥ ${COLUMNAR.minColumnScanRatio}× less`,
  };
  let standins: Standins | undefined;
  let archive: DuckDbArchive | undefined;
  try {
    standins = await startStandins();
    const { s3, dynamodb } = clients(standins);
    const store = new S3ObjectStore(s3, standins.bucket);
    const cursor = new DynamoCursorStore(dynamodb, standins.table);
    const firstDay = Math.floor(SIM_EPOCH_MS / DAY_MS) * DAY_MS - (COLUMNAR.days + 2) * DAY_MS;

    ctx.progress(
      `9: archiving ${COLUMNAR.days} days × ${COLUMNAR.windowsPerDay} objects at the benchmark density`,
    );
    const dense = await archiveDays(store, DENSE, {
      firstDay,
      days: COLUMNAR.days,
      eventsPerDay: EVENTS_PER_DAY,
      windowsPerDay: COLUMNAR.windowsPerDay,
    });
    ctx.progress(`9: archiving one day of ${formatCount(COLUMNAR.largeDayEvents)} events`);
    const large = await archiveDays(store, LARGE, {
      firstDay,
      days: 1,
      eventsPerDay: COLUMNAR.largeDayEvents,
      windowsPerDay: COLUMNAR.largeDayObjects,
    });
    await closeDays(cursor, DENSE, firstDay + (COLUMNAR.days + 1) * DAY_MS);
    await closeDays(cursor, LARGE, firstDay + 2 * DAY_MS);

    ctx.progress('9: compacting the benchmark-density days');
    const denseRun = await compactInChild(ctx, standins, DENSE);
    ctx.progress('9: decoding the large day (baseline), then compacting it');
    const baseline = await decodeAll(store, s3, standins.bucket, LARGE);
    const largeRun = await compactInChild(ctx, standins, LARGE);

    const parquet = await listed(s3, standins.bucket, `${parquetRoot(PREFIX)}/source=${DENSE}/`);
    const parquetBytes = parquet.reduce((sum, o) => sum + o.size, 0);
    const perDay = new Map<string, number>();
    for (const o of parquet) {
      const dt = /dt=([^/]+)\//.exec(o.key)?.[1] ?? '';
      perDay.set(dt, (perDay.get(dt) ?? 0) + 1);
    }
    const maxObjects = Math.max(0, ...perDay.values());
    const per1000 = (bytes: number) => (bytes / dense.events) * 1000;
    const bytesRatio = dense.apiJsonBytes / parquetBytes;

    ctx.progress('9: single-column query over the days, NDJSON and Parquet tables');
    const leases = new DynamoCompactionLeases(dynamodb, standins.table);
    archive = await DuckDbArchive.create(
      localArchiveCatalog({
        s3Directory: standins.s3Directory,
        bucket: standins.bucket,
        dataPrefix: PREFIX,
        database: DATABASE,
        view: VIEW,
        boundaries: () => leases.boundaries([DENSE]),
      }),
    );
    const scan = async (table: string, column = 'actor') => {
      const result = await archive?.execute(
        `SELECT count(DISTINCT ${column}) FROM ${table} WHERE source = ? AND dt BETWEEN ? AND ?`,
        [DENSE, dense.days[0] ?? '', dense.days.at(-1) ?? ''],
        { database: DATABASE },
      );
      return { bytes: result?.bytesScanned ?? 0, value: String(result?.rows[0]?.[0]) };
    };
    const ndjsonScan = await scan(`${VIEW}_ndjson`);
    const parquetScan = await scan(`${VIEW}_parquet`);
    if (ndjsonScan.value !== parquetScan.value)
      throw new Error(
        `the tables disagree: ${ndjsonScan.value} actors in NDJSON, ${parquetScan.value} in Parquet`,
      );
    const scanRatio = ndjsonScan.bytes / Math.max(1, parquetScan.bytes);
    // The floor of any encoding of these events: their ids' bytes as compressed in the Parquet.
    const idBytes = (await scan(`${VIEW}_parquet`, 'id')).bytes;

    const rate = largeRun.summary.records / (largeRun.wallMs / 1000);
    const baselineRate = baseline.records / (baseline.ms / 1000);
    // Every record of the day made it (the simulator's count is close to, not exactly, the nominal
    // million) and the process stayed within the heap limit it was given.
    const heapOk =
      largeRun.summary.records === large.events && largeRun.peakRssBytes < COLUMNAR.heapLimitMb * 1024 * 1024;
    const densityNote = `${formatCount(dense.events)} events over ${COLUMNAR.days} days at ${formatCount(EVENTS_PER_DAY)}/day`;
    return {
      rows: [
        {
          id: '9a',
          name: names.a,
          measured: `${formatBytes(per1000(parquetBytes))} per 1,000 (${round(bytesRatio, 2)}× smaller than the API JSON; gzip NDJSON ${formatBytes(per1000(dense.ndjsonBytes))}, ${round(dense.apiJsonBytes / dense.ndjsonBytes, 2)}×)`,
          baseline: `API JSON ${formatBytes(per1000(dense.apiJsonBytes))} per 1,000`,
          target: targets.a,
          verdict: verdictOf(bytesRatio >= COLUMNAR.minBytesRatio),
          note: `${densityNote}; Parquet/NDJSON ${round(parquetBytes / dense.ndjsonBytes, 3)}; the ids alone are ${formatBytes(per1000(idBytes))} per 1,000 (random, incompressible)`,
          figures: {
            events: dense.events,
            apiJsonBytes: dense.apiJsonBytes,
            ndjsonBytes: dense.ndjsonBytes,
            parquetBytes,
            ratioToApiJson: round(bytesRatio, 3),
            ratioNdjsonToApiJson: round(dense.apiJsonBytes / dense.ndjsonBytes, 3),
          },
        },
        {
          id: '9b',
          name: names.b,
          measured: `${maxObjects} Parquet object(s) per day`,
          baseline: `${round(dense.objects / COLUMNAR.days, 0)} NDJSON objects per day`,
          target: targets.b,
          verdict: verdictOf(perDay.size === COLUMNAR.days && maxObjects <= COLUMNAR.maxObjectsPerDay),
          note: `${perDay.size} days compacted in ${round(denseRun.wallMs / 1000, 1)} s`,
          figures: { perDay: Object.fromEntries(perDay), ndjsonObjects: dense.objects },
        },
        {
          id: '9c',
          name: names.c,
          measured: `${formatCount(Math.round(rate))} events/s (${round(rate / baselineRate, 2)}× the decode rate), peak RSS ${formatBytes(largeRun.peakRssBytes)}, ${formatBytes(largeRun.summary.bytes)} of Parquet`,
          baseline: `decoding the day's ${large.objects} NDJSON objects: ${formatCount(Math.round(baselineRate))} events/s`,
          target: targets.c,
          verdict: verdictOf(heapOk),
          note: `child with --max-old-space-size=${COLUMNAR.heapLimitMb}; wall ${round(largeRun.wallMs / 1000, 1)} s incl. start-up and S3 I/O`,
          figures: {
            events: largeRun.summary.records,
            wallMs: round(largeRun.wallMs, 0),
            eventsPerSecond: round(rate, 0),
            peakRssBytes: largeRun.peakRssBytes,
            decodeEventsPerSecond: round(baselineRate, 0),
            parquetBytes: largeRun.summary.bytes,
          },
        },
        {
          id: '9d',
          name: names.d,
          measured: `Parquet ${formatBytes(parquetScan.bytes)} (${round(scanRatio, 1)}× less)`,
          baseline: `NDJSON ${formatBytes(ndjsonScan.bytes)} (whole objects)`,
          target: targets.d,
          verdict: verdictOf(scanRatio >= COLUMNAR.minColumnScanRatio),
          note: `count(DISTINCT actor) over ${COLUMNAR.days} days (${ndjsonScan.value} actors in both)`,
          figures: {
            ndjsonBytes: ndjsonScan.bytes,
            parquetBytes: parquetScan.bytes,
            ratio: round(scanRatio, 2),
          },
        },
      ],
    };
  } catch (err: unknown) {
    return {
      rows: (['a', 'b', 'c', 'd'] as const).map((k) => notMeasured(`9${k}`, names[k], targets[k], err)),
    };
  } finally {
    await archive?.close();
    await standins?.close();
  }
}
