/**
 * Benchmarks 1 and 6. Against the simulator with no latency and no rate limit, a ≈200,000-event
 * backfill by the full collector path (child process: runSync, real client, S3ObjectStore →
 * s3rver, DynamoCursorStore → dynalite), then a fetch-only child replaying exactly the searches
 * the collector made with the same client. Storage efficiency comes from the same collector
 * run: bytes it put to S3 against the raw JSON bytes the API returned.
 */
import { copyFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { CollectRequest, CollectResult, FetchResult } from '../child/protocol.js';
import { EVENTS_PER_DAY, THROUGHPUT } from '../config.js';
import { ROOT } from '../lib/bundle.js';
import { type BenchEnvironment, simNow, startBenchEnvironment } from '../lib/environment.js';
import { type ProfileSummary, summariseProfile } from '../lib/profile.js';
import { formatBytes, formatCount, notMeasured, type Row, verdictOf } from '../lib/report.js';
import { runChildProcess } from '../lib/spawn.js';
import { round } from '../lib/stats.js';
import type { ScenarioContext } from './context.js';

const NAME_1 = 'Collector throughput vs. the wire (0 ms latency, ≈200k events)';
const TARGET_1 = `collector ≥ ${THROUGHPUT.target} × fetch-only`;
const NAME_6 = 'Storage efficiency (gzip NDJSON in S3 vs. API JSON)';
const TARGET_6 = 'report the ratio';
const SIX_HOURS_MS = 6 * 3_600_000;

/** Everything measured, for latest.json and the profile note. */
export interface ThroughputOutcome {
  rows: Row[];
  profiles?: Record<string, ProfileSummary> | undefined;
}

/** Runs benchmarks 1 and 6. */
export async function runThroughput(ctx: ScenarioContext): Promise<ThroughputOutcome> {
  let env: BenchEnvironment | undefined;
  try {
    env = await startBenchEnvironment({ pageLatencyMs: 0, rateLimit: false });
    return await measure(ctx, env);
  } catch (err: unknown) {
    return { rows: [notMeasured('1', NAME_1, TARGET_1, err), notMeasured('6', NAME_6, TARGET_6, err)] };
  } finally {
    await env?.close();
  }
}

async function measure(ctx: ScenarioContext, env: BenchEnvironment): Promise<ThroughputOutcome> {
  const childEnv = env.standins.env;
  const options = { env: childEnv, workDir: ctx.workDir, verbose: ctx.verbose };

  // Warm the simulator's generation cache and its JIT over the whole range, so neither timed
  // run pays for generating events the other got for free.
  const now = simNow(env.clock);
  const warmQueries = [];
  for (let t = now - THROUGHPUT.lookbackDays * 86_400_000; t < now; t += SIX_HOURS_MS) {
    warmQueries.push({
      start: new Date(t).toISOString(),
      end: new Date(Math.min(now, t + SIX_HOURS_MS)).toISOString(),
    });
  }
  ctx.progress(`1: warming the simulator (${warmQueries.length} searches)`);
  await runChildProcess<FetchResult>(
    ctx.children.fetch,
    { mode: 'fetch', clock: env.clock, secretJson: env.secretJson, pageSize: 500, queries: warmQueries },
    options,
  );

  const collectRequest = (round: number): CollectRequest => ({
    mode: 'collect',
    clock: env.clock,
    secretJson: env.secretJson,
    sourceId: `bench-throughput-${round}`,
    lookbackDays: THROUGHPUT.lookbackDays,
    pageSize: 500,
    budgetMs: 15 * 60_000,
    rssSampleMs: 0,
  });

  let bestCollect: CollectResult | undefined;
  let bestFetch: FetchResult | undefined;
  for (let r = 1; r <= THROUGHPUT.rounds; r += 1) {
    ctx.progress(`1: round ${r}/${THROUGHPUT.rounds}: collector`);
    const collected = await runChildProcess<CollectResult>(ctx.children.collect, collectRequest(r), options);
    if (collected.summary.stopReason !== 'caught_up') {
      throw new Error(`the collector stopped with ${collected.summary.stopReason} before catching up`);
    }
    ctx.progress(
      `1: round ${r}/${THROUGHPUT.rounds}: fetch-only replay of ${collected.queries.length} searches`,
    );
    const fetched = await runChildProcess<FetchResult>(
      ctx.children.fetch,
      {
        mode: 'fetch',
        clock: env.clock,
        secretJson: env.secretJson,
        pageSize: 500,
        queries: collected.queries,
      },
      options,
    );
    if (bestCollect === undefined || collected.runMs < bestCollect.runMs) bestCollect = collected;
    if (bestFetch === undefined || fetched.runMs < bestFetch.runMs) bestFetch = fetched;
  }
  if (bestCollect === undefined || bestFetch === undefined) throw new Error('no rounds were run');

  const collectorRate = bestCollect.summary.events / (bestCollect.runMs / 1000);
  const fetchRate = bestFetch.apiEvents / (bestFetch.runMs / 1000);
  const ratio = collectorRate / fetchRate;
  const met = ratio >= THROUGHPUT.target;

  let profiles: Record<string, ProfileSummary> | undefined;
  if (!met || ctx.profile) {
    ctx.progress('1: profiling one more collector run and its fetch-only replay (--cpu-prof)');
    const collectorDir = join(ctx.workDir, 'profile-collector');
    const again = await runChildProcess<CollectResult>(
      ctx.children.collect,
      collectRequest(THROUGHPUT.rounds + 1),
      {
        ...options,
        nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${collectorDir}`],
      },
    );
    const fetchDir = join(ctx.workDir, 'profile-fetch');
    await runChildProcess<FetchResult>(
      ctx.children.fetch,
      { mode: 'fetch', clock: env.clock, secretJson: env.secretJson, pageSize: 500, queries: again.queries },
      { ...options, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${fetchDir}`] },
    );
    profiles = {
      collector: await keepProfile(await summariseProfile(collectorDir, 15), 'collector'),
      fetchOnly: await keepProfile(await summariseProfile(fetchDir, 15), 'fetch-only'),
    };
  }

  const row1: Row = {
    id: '1',
    name: NAME_1,
    measured: `${formatCount(collectorRate)} events/s (${formatCount(bestCollect.summary.events)} events, ${bestCollect.pages} pages, ${(bestCollect.runMs / 1000).toFixed(1)} s)`,
    baseline: `fetch-only ${formatCount(fetchRate)} events/s (${formatCount(bestFetch.apiEvents)} events, ${bestFetch.pages} pages, ${(bestFetch.runMs / 1000).toFixed(1)} s)`,
    target: TARGET_1,
    verdict: verdictOf(met),
    note: `${ratio.toFixed(2)} × fetch-only; best of ${THROUGHPUT.rounds} rounds; collector time: ${phaseNote(bestCollect)}`,
    figures: {
      eventsPerDay: EVENTS_PER_DAY,
      lookbackDays: THROUGHPUT.lookbackDays,
      rounds: THROUGHPUT.rounds,
      collectorEvents: bestCollect.summary.events,
      collectorPages: bestCollect.pages,
      collectorWindows: bestCollect.summary.windows,
      collectorObjects: bestCollect.summary.objects,
      collectorRunMs: round(bestCollect.runMs),
      collectorEventsPerSecond: round(collectorRate),
      fetchOnlyEvents: bestFetch.apiEvents,
      fetchOnlyPages: bestFetch.pages,
      fetchOnlyRunMs: round(bestFetch.runMs),
      fetchOnlyEventsPerSecond: round(fetchRate),
      ratio: round(ratio, 3),
      collectorPhasesMs: Object.fromEntries(
        Object.entries(bestCollect.phases).map(([k, v]) => [k, round(v)]),
      ),
      target: THROUGHPUT.target,
      met,
      ...(profiles ? { profiles } : {}),
    },
  };

  const events = bestCollect.summary.events;
  const storedPer1000 = (bestCollect.storedBytes / events) * 1000;
  const apiPer1000 = (bestCollect.apiBytes / bestCollect.apiEvents) * 1000;
  const row6: Row = {
    id: '6',
    name: NAME_6,
    measured: `${formatBytes(storedPer1000)} per 1,000 events in S3 (${bestCollect.storedObjects} objects, ${formatBytes(bestCollect.storedBytes)} total)`,
    baseline: `${formatBytes(apiPer1000)} per 1,000 events of API JSON (${formatBytes(bestCollect.apiBytes)} total)`,
    target: TARGET_6,
    verdict: 'info',
    note: `S3 holds ${((storedPer1000 / apiPer1000) * 100).toFixed(1)} % of the API bytes (1 : ${(apiPer1000 / storedPer1000).toFixed(1)})`,
    figures: {
      events,
      storedBytes: bestCollect.storedBytes,
      storedObjects: bestCollect.storedObjects,
      storedBytesPer1000Events: round(storedPer1000),
      apiEvents: bestCollect.apiEvents,
      apiBytes: bestCollect.apiBytes,
      apiBytesPer1000Events: round(apiPer1000),
      ratio: round(storedPer1000 / apiPer1000, 4),
    },
  };
  return { rows: [row1, row6], profiles };
}

/** Shares of the collector's wall time: page waits, S3 puts, cursor calls, the engine's own CPU. */
function phaseNote(result: CollectResult): string {
  const { fetchMs, storeMs, cursorMs, otherMs } = result.phases;
  const pct = (ms: number) => `${((ms / result.runMs) * 100).toFixed(0)} %`;
  return `pages ${pct(fetchMs)}, S3 ${pct(storeMs)}, cursor ${pct(cursorMs)}, normalise+encode+gzip ${pct(otherMs)}`;
}

/** Copies a profile into bench/results for DevTools (Performance → Load profile); `*.json` there is git-ignored. */
async function keepProfile(profile: ProfileSummary, name: string): Promise<ProfileSummary> {
  const kept = join(ROOT, 'bench', 'results', `${name}-cpuprofile.json`);
  await copyFile(profile.file, kept);
  return { ...profile, file: relative(ROOT, kept) };
}
