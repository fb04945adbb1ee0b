/**
 * Benchmark 8: archive queries. One source's 60 days at the benchmark density (≈1,000,000
 * events, one object per hour, written by the product's own encoder) are queried through the
 * archive-query port on the local engine (DuckDB over the files, the exact SQL Athena gets):
 * latency p50/p99 from start to finished for a one-day filter and for a full-range actor
 * filter, against a same-run baseline that reads every object once (`count(*)`). The bytes each
 * query read are what Athena would scan for these gzip JSON objects (whole objects of the
 * partitions the SQL selects), as a share of the archive's bytes.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildDailyObjects } from '#core/archive/encode.js';
import { normaliseEvent } from '#core/archive/normalise.js';
import type { AuditRecord } from '#core/archive/record.js';
import type { ArchiveQueryRequest } from '#core/archive-query/request.js';
import { buildArchiveSql } from '#core/archive-query/sql.js';
import { DuckDbArchive } from '#local/archive-engine/duckdb-archive.js';
import { LocalArchiveEngine } from '#local/archive-engine/local-engine.js';
import { startMimecastSimulator } from '#local/mimecast-sim/index.js';
import { ARCHIVE_QUERY, EVENTS_PER_DAY, SEED, SIM_EPOCH_MS } from '../config.js';
import { formatBytes, formatCount, notMeasured, type Row, verdictOf } from '../lib/report.js';
import { quantile, round } from '../lib/stats.js';
import type { ScenarioContext } from './context.js';

const NAME = 'Archive query, local engine, one source × 60 days';
const TARGET_SHARE = `one-day query reads ≤ 1/${Math.round(1 / ARCHIVE_QUERY.maxOneDayShare)} of the archive's bytes`;
const PREFIX = 'mimecast/audit-events';
const SOURCE = 'bench-archive';
const DATABASE = 'mimecast_audit_lake';
const TABLE = 'audit_events';
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

interface Written {
  events: number;
  objects: number;
  bytes: number;
  /** An actor with a typical share of the events (the most frequent one). */
  actor: string;
}

/** Writes the archive under `root` the way the collector lays it out; returns what was written. */
async function writeArchive(root: string, firstDay: number): Promise<Written> {
  const sim = await startMimecastSimulator({
    seed: SEED,
    eventsPerDay: EVENTS_PER_DAY,
    rateLimit: false,
    clock: { now: () => firstDay + (ARCHIVE_QUERY.days + 1) * DAY_MS },
    historyDays: ARCHIVE_QUERY.days + 5,
  });
  const actors = new Map<string, number>();
  let events = 0;
  let objects = 0;
  let bytes = 0;
  try {
    const hours = ARCHIVE_QUERY.days * 24;
    const step = 24 / ARCHIVE_QUERY.objectsPerDay;
    for (let hour = 0; hour < hours; hour += step) {
      const start = new Date(firstDay + hour * HOUR_MS);
      const end = new Date(start.getTime() + step * HOUR_MS);
      const records: AuditRecord[] = [];
      for (const raw of sim.groundTruth(start, end)) {
        const result = normaliseEvent(raw, {
          source: SOURCE,
          collectedAt: end.toISOString().replace('.000Z', 'Z'),
        });
        if (!result.ok) continue;
        records.push(result.record);
        if (result.record.actor) actors.set(result.record.actor, (actors.get(result.record.actor) ?? 0) + 1);
      }
      for (const object of await buildDailyObjects(records, {
        prefix: PREFIX,
        sourceId: SOURCE,
        window: { start, end },
      })) {
        const path = join(root, object.key);
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, object.body);
        events += object.count;
        objects += 1;
        bytes += object.body.byteLength;
      }
    }
  } finally {
    await sim.close();
  }
  const actor = [...actors.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
  return { events, objects, bytes, actor };
}

interface Timed {
  ms: number[];
  bytesScanned: number;
  rows: number;
}

/** Runs `request` `iterations` times through the port; start → finished latency of each. */
async function timeQuery(
  engine: LocalArchiveEngine,
  request: ArchiveQueryRequest,
  iterations: number,
): Promise<Timed> {
  const sql = buildArchiveSql(request, TABLE);
  const ms: number[] = [];
  let bytesScanned = 0;
  let rows = 0;
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    const id = await engine.start(sql, { clientToken: `bench-${i}-${Math.random()}` });
    await engine.settled(id);
    ms.push(performance.now() - started);
    const execution = await engine.describe(id);
    if (execution.state !== 'succeeded')
      throw new Error(`query ${execution.state}: ${execution.failure?.reason ?? ''}`);
    bytesScanned = execution.bytesScanned ?? 0;
    rows = execution.rows ?? 0;
  }
  return { ms, bytesScanned, rows };
}

const p = (timed: Timed, q: number) => round(quantile(timed.ms, q), 0);

/** Runs benchmark 8. */
export async function runArchiveQuery(ctx: ScenarioContext): Promise<{ rows: Row[] }> {
  let archive: DuckDbArchive | undefined;
  try {
    const firstDay = Math.floor(SIM_EPOCH_MS / DAY_MS) * DAY_MS - ARCHIVE_QUERY.days * DAY_MS;
    const dir = join(ctx.workDir, 'archive-query');
    ctx.progress(
      `8: writing ${ARCHIVE_QUERY.days} days × ${ARCHIVE_QUERY.objectsPerDay} objects (≈${formatCount(EVENTS_PER_DAY * ARCHIVE_QUERY.days)} events)`,
    );
    const written = await writeArchive(dir, firstDay);
    archive = await DuckDbArchive.create({
      tables: [{ name: TABLE, database: DATABASE, root: join(dir, PREFIX), suffix: '.ndjson.gz' }],
    });
    const engine = new LocalArchiveEngine({ archive, clock: { now: () => Date.now() }, database: DATABASE });
    const full = { start: firstDay, end: firstDay + ARCHIVE_QUERY.days * DAY_MS, sources: [SOURCE] };
    const middle = firstDay + Math.floor(ARCHIVE_QUERY.days / 2) * DAY_MS;

    ctx.progress('8: baseline, every object read once (count(*))');
    const baselineMs: number[] = [];
    let baselineBytes = 0;
    for (let i = 0; i < ARCHIVE_QUERY.fullRangeIterations; i++) {
      const started = performance.now();
      const result = await archive.execute(`SELECT count(*) AS n FROM ${TABLE}`, [], { database: DATABASE });
      baselineMs.push(performance.now() - started);
      baselineBytes = result.bytesScanned;
    }
    ctx.progress(`8: one-day filter × ${ARCHIVE_QUERY.oneDayIterations}`);
    const oneDay = await timeQuery(
      engine,
      { start: middle, end: middle + DAY_MS, sources: [SOURCE], limit: 1_000_000 },
      ARCHIVE_QUERY.oneDayIterations,
    );
    ctx.progress(`8: full-range actor filter × ${ARCHIVE_QUERY.fullRangeIterations}`);
    const actor = await timeQuery(
      engine,
      { ...full, actor: written.actor.toUpperCase(), limit: 1_000_000 },
      ARCHIVE_QUERY.fullRangeIterations,
    );

    const baselineP50 = round(quantile(baselineMs, 0.5), 0);
    const oneDayShare = oneDay.bytesScanned / written.bytes;
    const actorShare = actor.bytesScanned / written.bytes;
    const figures = (timed: Timed) => ({
      p50Ms: p(timed, 0.5),
      p99Ms: p(timed, 0.99),
      bytesScanned: timed.bytesScanned,
      rows: timed.rows,
      iterations: timed.ms.length,
    });
    const archiveNote = `${formatCount(written.events)} events, ${formatCount(written.objects)} objects, ${formatBytes(written.bytes)}; baseline read ${formatBytes(baselineBytes)}`;
    return {
      rows: [
        {
          id: '8a',
          name: `${NAME}: one-day filter`,
          measured: `p50 ${p(oneDay, 0.5)} ms, p99 ${p(oneDay, 0.99)} ms (${round(p(oneDay, 0.5) / baselineP50, 2)} × baseline); ${formatCount(oneDay.rows)} records`,
          baseline: `count(*) over every object: p50 ${baselineP50} ms`,
          target: 'informative',
          verdict: 'info',
          note: archiveNote,
          figures: { ...figures(oneDay), baselineP50Ms: baselineP50, archive: written },
        },
        {
          id: '8b',
          name: `${NAME}: full-range actor filter`,
          measured: `p50 ${p(actor, 0.5)} ms, p99 ${p(actor, 0.99)} ms (${round(p(actor, 0.5) / baselineP50, 2)} × baseline); ${formatCount(actor.rows)} records`,
          baseline: `count(*) over every object: p50 ${baselineP50} ms`,
          target: 'informative',
          verdict: 'info',
          note: `actor matched ignoring case; ${archiveNote}`,
          figures: { ...figures(actor), baselineP50Ms: baselineP50 },
        },
        {
          id: '8c',
          name: 'Archive query bytes Athena would scan, as a share of the archive',
          measured: `one day: ${formatBytes(oneDay.bytesScanned)} = 1/${round(1 / oneDayShare, 0)}; full-range actor: ${formatBytes(actor.bytesScanned)} = ${round(actorShare, 2)}`,
          baseline: `the archive: ${formatBytes(written.bytes)}`,
          target: TARGET_SHARE,
          verdict: verdictOf(oneDayShare <= ARCHIVE_QUERY.maxOneDayShare),
          note: 'whole gzip objects of the partitions (source, dt) the SQL selects: what Athena reads and bills for JSON',
          figures: {
            oneDayBytes: oneDay.bytesScanned,
            fullRangeBytes: actor.bytesScanned,
            archiveBytes: written.bytes,
            oneDayShare,
            actorShare,
          },
        },
      ],
    };
  } catch (err: unknown) {
    return { rows: [notMeasured('8', NAME, TARGET_SHARE, err)] };
  } finally {
    await archive?.close();
  }
}
