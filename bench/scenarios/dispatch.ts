/**
 * Benchmark 11: the dispatcher's overhead per source-run (issue 15, fleet mode), in this process
 * against the DynamoDB stand-in. 500 sources are registered; each round, every one of them is
 * due (the clock moves to the next 5-minute slot) and the real runDispatch over the real
 * DynamoSourceRegistry reads the registry (Scan), records each dispatch (conditional
 * UpdateItem) and "invokes" a no-op collector, `DISPATCH.concurrency` sources at a time. The
 * baseline, measured in the same run on the same items, is one plain GetItem per source at the
 * same concurrency: the least any dispatcher that touches each source's item once could cost.
 * Best of `DISPATCH.rounds` each, in ms per source.
 */
import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { runDispatch } from '#core/dispatch/dispatcher.js';
import { DynamoSourceRegistry } from '#core/registry/dynamo-registry.js';
import { STANDIN_CREDENTIALS, STANDIN_REGION, startStandins } from '#local/standins/index.js';
import { notMeasured, type Row, verdictOf } from '../lib/report.js';
import { round } from '../lib/stats.js';
import type { ScenarioContext } from './context.js';

/** The knobs of benchmark 11 (kept here; bench/config.ts holds the other benchmarks'). */
export const DISPATCH = {
  sources: 500,
  /** DISPATCH_CONCURRENCY's default. */
  concurrency: 10,
  rounds: 5,
  /** Met when a dispatched source costs at most this many baseline GetItems. */
  maxFactor: 3,
} as const;

/** A tick on the hour: every 5-minute slot starts on it, whatever a source's offset. */
const EPOCH_MS = Date.UTC(2026, 0, 15, 12, 0, 0);
const SLOT_MS = 5 * 60_000;

/** Runs `work` over `items` with at most `concurrency` in flight (the baseline's pool). */
async function pooled<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next] as T;
        next += 1;
        await work(item);
      }
    }),
  );
}

/** Runs benchmark 11. */
export async function runDispatchBench(ctx: ScenarioContext): Promise<{ rows: Row[] }> {
  const name = 'Dispatcher overhead per source-run';
  const target = `≤ ${DISPATCH.maxFactor}× one GetItem per source`;
  try {
    const standins = await startStandins();
    const dynamodb = new DynamoDBClient({
      region: STANDIN_REGION,
      credentials: STANDIN_CREDENTIALS,
      endpoint: standins.env.AWS_ENDPOINT_URL_DYNAMODB,
    });
    try {
      const registry = new DynamoSourceRegistry(dynamodb, standins.table);
      const ids = Array.from({ length: DISPATCH.sources }, (_, i) => `bench-${String(i).padStart(4, '0')}`);
      ctx.progress(`11: registering ${ids.length} sources in the DynamoDB stand-in`);
      await pooled(ids, DISPATCH.concurrency, async (id) => {
        await registry.add(
          { sourceId: id, secretId: `mimecast-audit-lake/${id}`, scheduleMinutes: 5 },
          new Date(EPOCH_MS).toISOString(),
        );
      });

      let now = EPOCH_MS;
      const clock = { now: () => now };
      let invoked = 0;
      const deps = {
        registry,
        invoker: {
          invoke: async () => {
            invoked += 1;
          },
        },
        clock,
        log: { info() {}, warn() {}, error() {} },
        metrics: { count() {} },
      };
      const dispatchMs: number[] = [];
      const listMs: number[] = [];
      const baselineMs: number[] = [];
      for (let r = 0; r < DISPATCH.rounds; r += 1) {
        ctx.progress(`11: round ${r + 1} of ${DISPATCH.rounds}`);
        // The next slot of every source: all 500 are due again.
        now = EPOCH_MS + (r + 1) * SLOT_MS;
        invoked = 0;
        const started = performance.now();
        const summary = await runDispatch(
          deps,
          { concurrency: DISPATCH.concurrency },
          { remainingMs: () => 60_000 },
        );
        dispatchMs.push(performance.now() - started);
        listMs.push(summary.listMs);
        if (summary.dispatched !== ids.length || invoked !== ids.length) {
          throw new Error(
            `round ${r + 1} dispatched ${summary.dispatched} of ${ids.length} (${summary.failed} failed)`,
          );
        }
        const baselineStarted = performance.now();
        let read = 0;
        await pooled(ids, DISPATCH.concurrency, async (id) => {
          if (await registry.get(id)) read += 1;
        });
        baselineMs.push(performance.now() - baselineStarted);
        if (read !== ids.length) throw new Error(`baseline read ${read} of ${ids.length} items`);
      }

      const perSource = Math.min(...dispatchMs) / ids.length;
      const basePerSource = Math.min(...baselineMs) / ids.length;
      const factor = perSource / basePerSource;
      return {
        rows: [
          {
            id: '11',
            name,
            measured: `${round(perSource, 3)} ms per source (a ${ids.length}-source tick in ${round(Math.min(...dispatchMs), 0)} ms, registry Scan ${round(Math.min(...listMs), 0)} ms)`,
            baseline: `GetItem per source ${round(basePerSource, 3)} ms (${round(factor, 2)}×)`,
            target,
            verdict: verdictOf(factor <= DISPATCH.maxFactor),
            note: `${ids.length} sources, concurrency ${DISPATCH.concurrency}, no-op invoker, DynamoDB stand-in, best of ${DISPATCH.rounds}`,
            figures: {
              sources: ids.length,
              concurrency: DISPATCH.concurrency,
              dispatchMsPerSource: round(perSource, 4),
              baselineGetItemMsPerSource: round(basePerSource, 4),
              factor: round(factor, 3),
              tickMs: round(Math.min(...dispatchMs), 1),
              listMs: Math.min(...listMs),
              rounds: DISPATCH.rounds,
            },
          },
        ],
      };
    } finally {
      dynamodb.destroy();
      await standins.close();
    }
  } catch (err: unknown) {
    return { rows: [notMeasured('11', name, target, err)] };
  }
}
