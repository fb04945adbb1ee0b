/**
 * Benchmarks 2 and 3. The simulator answers every page 100 ms after its request (500 events per page);
 * the collector child backfills 15 days (≈250,000 events) and then 60 days (≈1,000,000) from
 * scratch. Wall time of the 60-day run is compared with the latency the simulator injected
 * (pages it answered × 100 ms); peak RSS of the child (maxRSS / VmHWM) is compared between the
 * two sizes to show memory does not grow with the backfill.
 */
import type { CollectRequest, CollectResult } from '../child/protocol.js';
import { BACKFILL, COLLECTOR_BUDGET_MS, EVENTS_PER_DAY } from '../config.js';
import { type BenchEnvironment, startBenchEnvironment } from '../lib/environment.js';
import { formatBytes, formatCount, notMeasured, type Row, verdictOf } from '../lib/report.js';
import { runChildProcess } from '../lib/spawn.js';
import { round } from '../lib/stats.js';
import type { ScenarioContext } from './context.js';

const NAME_2 = `Latency-bound backfill (${BACKFILL.pageLatencyMs} ms/page, 60 days ≈ 1M events)`;
const TARGET_2 = `overhead ≤ ${BACKFILL.maxOverhead * 100} %`;
const NAME_3 = 'Collector peak RSS (child process)';
const TARGET_3 = `≤ ${BACKFILL.maxRssMb} MiB and flat (1M ≤ ${BACKFILL.flatFactor} × 250k)`;

/** One measured backfill. */
interface Backfill {
  result: CollectResult;
  /** get-audit-events pages the simulator answered (each delayed by the page latency). */
  simPages: number;
}

/** Runs benchmarks 2 and 3. */
export async function runBackfill(ctx: ScenarioContext): Promise<{ rows: Row[] }> {
  let env: BenchEnvironment | undefined;
  try {
    // The simulator's default token bucket stays on: sequential paging at 100 ms never reaches it.
    env = await startBenchEnvironment({ pageLatencyMs: BACKFILL.pageLatencyMs });
    const small = await backfill(ctx, env, BACKFILL.smallLookbackDays);
    const large = await backfill(ctx, env, BACKFILL.largeLookbackDays);
    return { rows: [latencyRow(large, small), memoryRow(large, small)] };
  } catch (err: unknown) {
    return { rows: [notMeasured('2', NAME_2, TARGET_2, err), notMeasured('3', NAME_3, TARGET_3, err)] };
  } finally {
    await env?.close();
  }
}

async function backfill(
  ctx: ScenarioContext,
  env: BenchEnvironment,
  lookbackDays: number,
): Promise<Backfill> {
  const request: CollectRequest = {
    mode: 'collect',
    clock: env.clock,
    secretJson: env.secretJson,
    sourceId: `bench-backfill-${lookbackDays}d`,
    lookbackDays,
    pageSize: BACKFILL.pageSize,
    budgetMs: COLLECTOR_BUDGET_MS,
    rssSampleMs: 1_000,
  };
  const expected = Math.round((lookbackDays * EVENTS_PER_DAY) / BACKFILL.pageSize);
  ctx.progress(`2/3: ${lookbackDays}-day backfill (≈${expected} pages × ${BACKFILL.pageLatencyMs} ms)`);
  env.sim.clearRequests();
  const result = await runChildProcess<CollectResult>(ctx.children.collect, request, {
    env: env.standins.env,
    workDir: ctx.workDir,
    verbose: ctx.verbose,
  });
  if (result.summary.stopReason !== 'caught_up') {
    throw new Error(`the ${lookbackDays}-day backfill stopped with ${result.summary.stopReason}`);
  }
  const simPages = env.sim
    .requests()
    .filter((r) => r.endpoint === 'get-audit-events' && r.status === 200).length;
  return { result, simPages };
}

function latencyRow(large: Backfill, small: Backfill): Row {
  const injectedMs = large.simPages * BACKFILL.pageLatencyMs;
  const overhead = large.result.runMs / injectedMs - 1;
  const smallOverhead = small.result.runMs / (small.simPages * BACKFILL.pageLatencyMs) - 1;
  const met = overhead <= BACKFILL.maxOverhead;
  return {
    id: '2',
    name: NAME_2,
    measured: `${(large.result.runMs / 1000).toFixed(1)} s wall (${formatCount(large.result.summary.events)} events, ${large.simPages} pages, ${large.result.summary.windows} windows)`,
    baseline: `${(injectedMs / 1000).toFixed(1)} s injected (${large.simPages} pages × ${BACKFILL.pageLatencyMs} ms)`,
    target: TARGET_2,
    verdict: verdictOf(met),
    note: `overhead ${(overhead * 100).toFixed(1)} %; 15-day run ${(smallOverhead * 100).toFixed(1)} %; ${beyondLatency(large, injectedMs)}`,
    figures: {
      pageLatencyMs: BACKFILL.pageLatencyMs,
      events: large.result.summary.events,
      pages: large.simPages,
      windows: large.result.summary.windows,
      wallMs: round(large.result.runMs),
      injectedMs,
      overhead: round(overhead, 4),
      phasesMs: Object.fromEntries(Object.entries(large.result.phases).map(([k, v]) => [k, round(v)])),
      smallRun: {
        events: small.result.summary.events,
        pages: small.simPages,
        wallMs: round(small.result.runMs),
        overhead: round(smallOverhead, 4),
      },
      target: BACKFILL.maxOverhead,
      met,
    },
  };
}

/**
 * Where the time beyond the injected latency went, per page: the rest of each page fetch
 * (simulator work, HTTP, JSON parse), the engine's CPU between pages, S3 puts and cursor calls.
 * Fetching is sequential, so all of it adds to the wall time.
 */
function beyondLatency(run: Backfill, injectedMs: number): string {
  const { fetchMs, storeMs, cursorMs, otherMs } = run.result.phases;
  const perPage = (ms: number) => `${(ms / run.simPages).toFixed(1)}`;
  return `per page beyond the 100 ms: fetch+parse ${perPage(fetchMs - injectedMs)} ms, normalise+encode+gzip ${perPage(otherMs)} ms, S3 ${perPage(storeMs)} ms, cursor ${perPage(cursorMs)} ms (all sequential)`;
}

/** Peak RSS in kB: VmHWM where procfs has it, else maxRSS. */
const peakKb = (b: Backfill): number => b.result.memory.vmHwmKb ?? b.result.memory.maxRssKb;

function memoryRow(large: Backfill, small: Backfill): Row {
  const largeBytes = peakKb(large) * 1024;
  const smallBytes = peakKb(small) * 1024;
  const growth = largeBytes / smallBytes;
  const withinCap = largeBytes <= BACKFILL.maxRssMb * 1024 * 1024;
  const flat = growth <= BACKFILL.flatFactor;
  const samples = large.result.memory.rssSamplesKb;
  const half = Math.floor(samples.length / 2);
  const firstHalfMax = Math.max(0, ...samples.slice(0, half));
  const secondHalfMax = Math.max(0, ...samples.slice(half));
  return {
    id: '3',
    name: NAME_3,
    measured: `1M backfill: ${formatBytes(largeBytes)} peak (${formatCount(large.result.summary.events)} events)`,
    baseline: `250k backfill: ${formatBytes(smallBytes)} peak (${formatCount(small.result.summary.events)} events)`,
    target: TARGET_3,
    verdict: verdictOf(withinCap && flat),
    note: `1M / 250k = ${growth.toFixed(2)}; RSS max in 1st / 2nd half of the 1M run ${formatBytes(firstHalfMax * 1024)} / ${formatBytes(secondHalfMax * 1024)}`,
    figures: {
      largePeakRssBytes: largeBytes,
      smallPeakRssBytes: smallBytes,
      largeMaxRssKb: large.result.memory.maxRssKb,
      largeVmHwmKb: large.result.memory.vmHwmKb,
      smallMaxRssKb: small.result.memory.maxRssKb,
      smallVmHwmKb: small.result.memory.vmHwmKb,
      growth: round(growth, 3),
      largeRssSamplesKb: samples,
      capMiB: BACKFILL.maxRssMb,
      flatFactor: BACKFILL.flatFactor,
      met: withinCap && flat,
    },
  };
}
