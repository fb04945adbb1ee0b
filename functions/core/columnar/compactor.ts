/**
 * One compactor run: for every source (or the ones asked for), under the source's lease, build
 * the Parquet copy of each closed day that has none, rebuild the recent ones whose NDJSON changed
 * since (late merges; older days cannot change any more), and stop in time. A day that fails is
 * reported and left to the next run; the view keeps reading its NDJSON meanwhile, so nothing is
 * ever missing from queries.
 *
 * In fleet mode sources are added at run time (`npm run sources`), so a run also compacts every
 * source of the registry and adds each to the `source` enum of Athena's partition projection
 * (projected-sources.ts): a source the enum lacks is invisible to queries.
 */
import { randomUUID } from 'node:crypto';
import { partitionPrefix } from '#core/archive/layout.js';
import type { CompactorConfig } from '#core/config/env.js';
import { CompactorMetric, type CompactorMetricName } from '#core/observability.js';
import type { Clock, CursorState } from '#core/ports.js';
import { SOURCE_ID_PATTERN } from '#core/source-id.js';
import { dayStartMs, openReason } from './closure.js';
import { compactDay, dayObjects, isCurrent } from './compact-day.js';
import { parquetDayKey, parquetRoot } from './layout.js';
import { CATALOG_LEASE, type CompactionLeases, VIEW_LEASE } from './lease.js';
import type { OcsfOutput } from './ocsf-day.js';
import type { ProjectedSources } from './projected-sources.js';
import type { ColumnarStorage } from './storage.js';

const DAY_MS = 86_400_000;
const DT = /^dt=(\d{4}-\d{2}-\d{2})\/$/;

/** The compactor's settings (from its environment). */
export interface CompactorSettings {
  DATA_PREFIX: string;
  /** Every source to compact (a request may name fewer). */
  SOURCE_IDS: readonly string[];
  /**
   * Fleet mode: also every source in the registry (`deps.registry`: added without a deploy), and
   * a request may name any source (an archive write of one removed from the registry since).
   */
  REGISTRY_SOURCES: boolean;
  /** Settle time plus the largest rescan age over every source, in seconds. */
  CLOSE_AFTER_SECONDS: number;
  /** Compacted days younger than this many days are checked for changes on every run. */
  RECHECK_DAYS: number;
  /** Most records of one day (memory bound). */
  MAX_DAY_RECORDS: number;
  PARQUET_ROW_GROUP_SIZE: number;
  /** Tag the NDJSON objects of compacted days (`compacted=true`) for storage-class transitions. */
  TAG_COMPACTED_NDJSON: boolean;
  /** Time kept back at the end of an invocation. */
  SAFETY_MARGIN_MS: number;
}

/** The settings of a validated compactor environment. */
export function compactorSettings(config: CompactorConfig): CompactorSettings {
  return {
    DATA_PREFIX: config.DATA_PREFIX,
    SOURCE_IDS: config.COMPACTION_SOURCE_IDS,
    REGISTRY_SOURCES: config.COMPACTION_REGISTRY_SOURCES,
    CLOSE_AFTER_SECONDS: config.COMPACTION_CLOSE_AFTER_SECONDS,
    RECHECK_DAYS: config.COMPACTION_RECHECK_DAYS,
    MAX_DAY_RECORDS: config.COMPACTION_MAX_DAY_RECORDS,
    PARQUET_ROW_GROUP_SIZE: config.PARQUET_ROW_GROUP_SIZE,
    TAG_COMPACTED_NDJSON: config.TAG_COMPACTED_NDJSON,
    SAFETY_MARGIN_MS: config.SAFETY_MARGIN_MS,
  };
}

/** What a run is asked to do. */
export interface CompactionRequest {
  /** Only these sources (default: every configured source); unknown ids are ignored. */
  sources?: readonly string[] | undefined;
  /** Only days in this inclusive range (`YYYY-MM-DD`). */
  from?: string | undefined;
  to?: string | undefined;
  /** Rebuild every closed day in range even when its copy is current (the "rebuild" command). */
  force?: boolean | undefined;
}

/** Logging (Powertools Logger fits). */
export interface CompactorLog {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

/** Metrics per source. */
export interface CompactorMetrics {
  count(name: CompactorMetricName, value: number, sourceId: string): void;
}

/** Rewrites the view from the sources' boundaries (Glue in Lambda; locally the view reads them itself). */
export interface ViewPublisher {
  publish(boundaries: ReadonlyMap<string, string>): Promise<void>;
}

/** Everything a run needs. */
export interface CompactorDeps {
  storage: ColumnarStorage;
  cursor: { get(sourceId: string): Promise<CursorState | null> };
  leases: CompactionLeases;
  clock: Clock;
  log: CompactorLog;
  metrics: CompactorMetrics;
  /** Absent: nothing to rewrite (the reader computes the view from the boundaries). */
  view?: ViewPublisher | undefined;
  /** Present: each compacted day also gets its OCSF copy (and Security Lake deliveries). */
  ocsf?: OcsfOutput | undefined;
  /** Fleet mode: the ids of the sources in the registry (enabled or not). */
  registry?: { sourceIds(): Promise<string[]> } | undefined;
  /** Present (fleet mode): every source handled is added to Athena's `source` enum if missing. */
  projectedSources?: ProjectedSources | undefined;
}

/** One day's outcome, for the summary. */
export interface DayFailure {
  sourceId: string;
  dt: string;
  error: string;
}

/** What a run did. */
export interface CompactionSummary {
  sources: number;
  /** Sources skipped because another run held their lease. */
  leaseHeld: number;
  compacted: number;
  recompacted: number;
  current: number;
  /** Days not closed yet. */
  open: number;
  records: number;
  bytes: number;
  failures: DayFailure[];
  /** Closed days left without a current copy (failed, or no time left). */
  uncompacted: number;
  /** Per source handled: every day before this is read from Parquet. */
  boundaries: Record<string, string>;
  /** The view was rewritten because a boundary moved. */
  viewPublished: boolean;
  /** Sources added to Athena's partition projection (fleet mode). */
  sourcesProjected: string[];
  stopReason: 'done' | 'time_budget';
}

const emptySummary = (): CompactionSummary => ({
  sources: 0,
  leaseHeld: 0,
  compacted: 0,
  recompacted: 0,
  current: 0,
  open: 0,
  records: 0,
  bytes: 0,
  failures: [],
  uncompacted: 0,
  boundaries: {},
  viewPublished: false,
  sourcesProjected: [],
  stopReason: 'done',
});

/** The day after `dt`. */
const nextDay = (dt: string): string => new Date(dayStartMs(dt) + DAY_MS).toISOString().slice(0, 10);

const describe = (err: unknown): string =>
  err instanceof Error ? `${err.name}: ${err.message}` : String(err);

/** The days (`YYYY-MM-DD`) under a source prefix. */
async function daysUnder(storage: ColumnarStorage, prefix: string): Promise<string[]> {
  return (await storage.listDirectories(prefix)).flatMap((name) => DT.exec(name)?.slice(1, 2) ?? []);
}

/** Runs compaction within `budget`. */
export async function runCompaction(
  deps: CompactorDeps,
  settings: CompactorSettings,
  budget: { remainingMs(): number },
  request: CompactionRequest = {},
): Promise<CompactionSummary> {
  const { storage, clock, log, metrics } = deps;
  const summary = emptySummary();
  const owner = randomUUID();
  let everySource: readonly string[] | undefined;
  const allSources = async (): Promise<readonly string[]> => {
    everySource ??= await sourcesOf(deps, settings, summary, { fresh: request.sources === undefined });
    return everySource;
  };
  const sources =
    request.sources?.filter((id) =>
      settings.REGISTRY_SOURCES ? SOURCE_ID_PATTERN.test(id) : settings.SOURCE_IDS.includes(id),
    ) ?? (await allSources());
  // First, so a new source's NDJSON is queryable before its days close (a full run has just
  // read the catalog afresh, listing the sources).
  await project(deps, sources, owner, summary);
  const outOfTime = () => budget.remainingMs() < settings.SAFETY_MARGIN_MS;
  let boundariesMoved = false;

  for (const sourceId of sources) {
    if (outOfTime()) {
      summary.stopReason = 'time_budget';
      break;
    }
    const now = clock.now();
    if (!(await deps.leases.acquire(sourceId, owner, now, now + budget.remainingMs()))) {
      summary.leaseHeld += 1;
      log.info('Compactor lease held by another run', { sourceId });
      continue;
    }
    summary.sources += 1;
    let uncompacted = 0;
    /** The first day (in order) that is not whole and current in Parquet after this run. */
    let gap: string | undefined;
    const notCurrent = (dt: string) => {
      gap ??= dt;
    };
    const partial = request.from !== undefined || request.to !== undefined;
    try {
      const [previous] = [...(await deps.leases.boundaries([sourceId])).values()];
      const state = await deps.cursor.get(sourceId);
      const days = await daysUnder(storage, partitionPrefix(settings.DATA_PREFIX, sourceId));
      const compactedDays = new Set(
        await daysUnder(storage, partitionPrefix(parquetRoot(settings.DATA_PREFIX), sourceId)),
      );
      const recheckFrom = clock.now() - settings.RECHECK_DAYS * DAY_MS;
      for (const dt of days) {
        const has = compactedDays.has(dt);
        if (
          (request.from !== undefined && dt < request.from) ||
          (request.to !== undefined && dt > request.to)
        ) {
          // Not looked at now: as the last runs left it (the boundary below never rises on a partial run).
          if (!has) notCurrent(dt);
          continue;
        }
        if (openReason(dt, state, clock.now(), settings.CLOSE_AFTER_SECONDS) !== undefined) {
          summary.open += 1;
          notCurrent(dt);
          continue;
        }
        // Old compacted days cannot change any more (no rescan reaches them): not even listed.
        if (has && !request.force && dayStartMs(dt) + DAY_MS < recheckFrom) {
          summary.current += 1;
          continue;
        }
        if (outOfTime()) {
          summary.stopReason = 'time_budget';
          uncompacted += 1;
          notCurrent(dt);
          continue;
        }
        try {
          const objects = await dayObjects(storage, settings.DATA_PREFIX, sourceId, dt);
          const key = parquetDayKey(settings.DATA_PREFIX, sourceId, dt);
          if (objects.length === 0) continue;
          if (
            has &&
            !request.force &&
            (await isCurrent(storage, key, objects, { ocsf: deps.ocsf !== undefined }))
          ) {
            summary.current += 1;
            continue;
          }
          const day = await compactDay(
            storage,
            { dataPrefix: settings.DATA_PREFIX, sourceId, dt, objects },
            {
              rowGroupSize: settings.PARQUET_ROW_GROUP_SIZE,
              maxRecords: settings.MAX_DAY_RECORDS,
              ocsf: deps.ocsf,
            },
          );
          if (settings.TAG_COMPACTED_NDJSON) {
            for (const object of objects) await storage.tag(object.key, { compacted: 'true' });
          }
          if (has) summary.recompacted += 1;
          else summary.compacted += 1;
          summary.records += day.records;
          summary.bytes += day.bytes;
          metrics.count(has ? CompactorMetric.DaysRecompacted : CompactorMetric.DaysCompacted, 1, sourceId);
          metrics.count(CompactorMetric.RecordsCompacted, day.records, sourceId);
          log.info(has ? 'Day recompacted' : 'Day compacted', {
            sourceId,
            dt,
            records: day.records,
            bytes: day.bytes,
            rowGroups: day.rowGroups,
            sourceObjects: day.sourceObjects,
            duplicates: day.duplicates,
            ...(day.ocsf ? { ocsfEvents: day.ocsf.events, ocsfDelivered: day.ocsf.delivered } : {}),
          });
        } catch (err: unknown) {
          uncompacted += 1;
          notCurrent(dt);
          summary.failures.push({ sourceId, dt, error: describe(err) });
          metrics.count(CompactorMetric.CompactionFailures, 1, sourceId);
          log.error('Day compaction failed', { sourceId, dt, error: describe(err) });
        }
      }
      const last = days.at(-1);
      let boundary = gap ?? (last === undefined ? undefined : nextDay(last));
      // A partial run saw only some days: it may lower the boundary (a day found changed or
      // failed), never raise it over days it did not check.
      if (partial && boundary !== undefined && previous !== undefined && previous < boundary)
        boundary = previous;
      if (boundary !== undefined && boundary !== previous) {
        if (await deps.leases.saveBoundary(sourceId, owner, boundary)) {
          boundariesMoved = true;
          log.info('View boundary moved', { sourceId, from: previous ?? null, to: boundary });
        }
      }
      if (boundary !== undefined) summary.boundaries[sourceId] = boundary;
    } catch (err: unknown) {
      // The source's cursor or listings could not be read: nothing of it was done this time.
      summary.failures.push({ sourceId, dt: '(source)', error: describe(err) });
      metrics.count(CompactorMetric.CompactionFailures, 1, sourceId);
      log.error('Source compaction failed', { sourceId, error: describe(err) });
    } finally {
      summary.uncompacted += uncompacted;
      metrics.count(CompactorMetric.UncompactedClosedDays, uncompacted, sourceId);
      await deps.leases.release(sourceId, owner);
    }
  }
  // Also on every full run: a publish that failed earlier is made good within one schedule period.
  const fullRun = request.from === undefined && request.to === undefined && request.sources === undefined;
  if ((boundariesMoved || fullRun) && deps.view !== undefined) {
    summary.viewPublished = await publishView(deps, await allSources(), owner);
  }
  return summary;
}

/**
 * The declared sources, and in fleet mode every source of the registry and every source Athena's
 * tables list (a source removed from the registry still has days to compact and read from Parquet).
 */
async function sourcesOf(
  deps: CompactorDeps,
  settings: CompactorSettings,
  summary: CompactionSummary,
  { fresh }: { fresh: boolean },
): Promise<readonly string[]> {
  if (!settings.REGISTRY_SOURCES) return settings.SOURCE_IDS;
  const { registry, projectedSources } = deps;
  const lists: Array<[string, (() => Promise<string[]>) | undefined]> = [
    ['registry', registry && (() => registry.sourceIds())],
    // Read afresh on a full run: a deployment may have rewritten the tables since.
    ['partition projection', projectedSources && (() => projectedSources.listed({ fresh }))],
  ];
  const found = new Set(settings.SOURCE_IDS);
  for (const [name, list] of lists) {
    if (list === undefined) continue;
    try {
      for (const id of await list()) found.add(id);
    } catch (err: unknown) {
      // The sources of the other lists are still done; these wait for the next run, and it is alarmed.
      summary.failures.push({ sourceId: CATALOG_LEASE, dt: '(sources)', error: describe(err) });
      deps.metrics.count(CompactorMetric.CompactionFailures, 1, CATALOG_LEASE);
      deps.log.error(`Listing the sources of the ${name} failed`, { error: describe(err) });
    }
  }
  return [...found].sort();
}

/**
 * Adds the sources Athena's partition projection lacks, under the catalog's lease (two runs
 * reading and rewriting the table at once would lose one's addition). A run that finds the lease
 * held leaves it: its sources stay unlisted in its reading, so its next run tries again.
 */
async function project(
  deps: CompactorDeps,
  sources: readonly string[],
  owner: string,
  summary: CompactionSummary,
): Promise<void> {
  const catalog = deps.projectedSources;
  if (catalog === undefined || sources.length === 0) return;
  try {
    const missing = await catalog.unlisted(sources);
    if (missing.length === 0) return;
    const now = deps.clock.now();
    if (!(await deps.leases.acquire(CATALOG_LEASE, owner, now, now + 60_000))) {
      deps.log.info('Catalog lease held by another run', { sources: missing });
      return;
    }
    try {
      await catalog.add(missing);
    } finally {
      await deps.leases.release(CATALOG_LEASE, owner);
    }
    summary.sourcesProjected.push(...missing);
    deps.log.info('Sources added to the Athena partition projection', { sources: missing });
  } catch (err: unknown) {
    // Their objects stay in S3 and the next run tries again; until then queries miss them: alarmed.
    summary.failures.push({ sourceId: CATALOG_LEASE, dt: '(catalog)', error: describe(err) });
    deps.metrics.count(CompactorMetric.CompactionFailures, 1, CATALOG_LEASE);
    deps.log.error('Adding sources to the Athena partition projection failed', { error: describe(err) });
  }
}

/**
 * Rewrites the view from every source's recorded boundary, under the view's own lease, so two
 * runs cannot interleave a read of the boundaries with the other's write of the view. A run
 * that finds the lease held leaves it: the holder publishes boundaries at least as new.
 */
async function publishView(deps: CompactorDeps, sources: readonly string[], owner: string): Promise<boolean> {
  const now = deps.clock.now();
  if (!(await deps.leases.acquire(VIEW_LEASE, owner, now, now + 60_000))) return false;
  try {
    await deps.view?.publish(await deps.leases.boundaries(sources));
    return true;
  } catch (err: unknown) {
    // The view keeps its older, lower boundaries: still complete, only reading more NDJSON. The
    // next full run publishes again.
    deps.metrics.count(CompactorMetric.CompactionFailures, 1, VIEW_LEASE);
    deps.log.error('View publish failed', { error: describe(err) });
    return false;
  } finally {
    await deps.leases.release(VIEW_LEASE, owner);
  }
}
