/**
 * Benchmark 7: what completeness costs in Mimecast requests. One source runs the 5-minute
 * schedule for two simulated days on a test clock (the engine, the simulator and the stand-ins
 * in this process: the figure is a count of requests, not a time), once without rescans and once
 * with the default RESCAN_AFTER_SECONDS; the get-audit-events requests of the second day (when
 * both rescan ages are in steady state) are compared. Mimecast's rate limit is per request, so
 * this ratio is what rescans take from the quota the collector shares with everything else.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '#core/archive/s3-object-store.js';
import { collectorEnvSchema } from '#core/config/env.js';
import { DynamoCursorStore } from '#core/cursor/dynamo-cursor-store.js';
import { createMimecastClient } from '#core/mimecast/index.js';
import { noMetrics, runSync, type SyncSettings, silentLogger } from '#core/sync/index.js';
import { startMimecastSimulator } from '#local/mimecast-sim/index.js';
import { startStandins } from '#local/standins/index.js';
import { COMPLETENESS, EVENTS_PER_DAY, SEED, SIM_EPOCH_MS } from '../config.js';
import { formatCount, notMeasured, type Row, verdictOf } from '../lib/report.js';
import { round } from '../lib/stats.js';
import type { ScenarioContext } from './context.js';

const NAME = 'Cost of completeness: Mimecast requests per source-day (5-minute schedule)';
const TARGET = `with the default rescans ≤ ${COMPLETENESS.maxRatio} × without`;
const TICK_MS = 5 * 60_000;
const TICKS_PER_DAY = 288;

/** The default rescan ages, exactly as the collector parses them. */
function defaultRescanAges(): number[] {
  return collectorEnvSchema.shape.RESCAN_AFTER_SECONDS.parse(undefined);
}

/** Runs benchmark 7. */
export async function runCompleteness(ctx: ScenarioContext): Promise<{ rows: Row[] }> {
  try {
    const ages = defaultRescanAges();
    ctx.progress('7: two simulated days of the 5-minute schedule without rescans');
    const without = await requestsOfSecondDay([]);
    ctx.progress(`7: the same with rescans at ${ages.join(', ')} s`);
    const withRescans = await requestsOfSecondDay(ages);
    const ratio = withRescans.requests / Math.max(1, without.requests);
    return {
      rows: [
        {
          id: '7',
          name: NAME,
          measured: `${formatCount(withRescans.requests)} requests/day with rescans at ${ages.join(', ')} s (${round(ratio, 2)} ×)`,
          baseline: `${formatCount(without.requests)} requests/day without rescans`,
          target: TARGET,
          verdict: verdictOf(ratio <= COMPLETENESS.maxRatio),
          note: `${formatCount(withRescans.rescans)} rescan searches; ${formatCount(EVENTS_PER_DAY)} events/day`,
          figures: {
            requestsWithRescans: withRescans.requests,
            requestsWithoutRescans: without.requests,
            ratio,
            rescanSearches: withRescans.rescans,
            rescanAges: ages,
          },
        },
      ],
    };
  } catch (err: unknown) {
    return { rows: [notMeasured('7', NAME, TARGET, err)] };
  }
}

/** One source, 5-minute runs for two simulated days; the second day's get-audit-events requests. */
async function requestsOfSecondDay(ages: number[]): Promise<{ requests: number; rescans: number }> {
  let now = SIM_EPOCH_MS;
  const clock = { now: () => now };
  const standins = await startStandins();
  const sim = await startMimecastSimulator({
    seed: SEED,
    eventsPerDay: EVENTS_PER_DAY,
    rateLimit: false,
    clock,
  });
  const clientConfig = {
    region: standins.env.AWS_REGION,
    credentials: {
      accessKeyId: standins.env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: standins.env.AWS_SECRET_ACCESS_KEY ?? '',
    },
  };
  const s3 = new S3Client({
    ...clientConfig,
    endpoint: standins.env.AWS_ENDPOINT_URL_S3,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const dynamodb = new DynamoDBClient({ ...clientConfig, endpoint: standins.env.AWS_ENDPOINT_URL_DYNAMODB });
  try {
    const settings: SyncSettings = {
      SOURCE_ID: 'bench-completeness',
      DATA_PREFIX: 'mimecast/audit-events',
      LOOKBACK_DAYS: 1,
      SETTLE_SECONDS: 300,
      MAX_WINDOW_SECONDS: 21_600,
      MAX_EVENTS_PER_WINDOW: 50_000,
      SAFETY_MARGIN_MS: 30_000,
      PAGE_SIZE: 500,
      RESCAN_AFTER_SECONDS: ages,
    };
    const deps = {
      client: createMimecastClient({ mode: 'oauth2', ...sim.secrets.oauth2 }, { clock }),
      objects: new S3ObjectStore(s3, standins.bucket),
      cursor: new DynamoCursorStore(dynamodb, standins.table),
      clock,
      log: silentLogger,
      metrics: noMetrics,
    };
    let rescans = 0;
    const run = async () => {
      const summary = await runSync({ ...deps, owner: randomUUID() }, settings, {
        remainingMs: () => 15 * 60_000,
      });
      rescans += summary.rescans;
    };
    await run();
    for (let tick = 0; tick < TICKS_PER_DAY; tick += 1) {
      now += TICK_MS;
      await run();
    }
    sim.clearRequests();
    rescans = 0;
    for (let tick = 0; tick < TICKS_PER_DAY; tick += 1) {
      now += TICK_MS;
      await run();
    }
    const requests = sim.requests().filter((r) => r.endpoint === 'get-audit-events').length;
    return { requests, rescans };
  } finally {
    s3.destroy();
    dynamodb.destroy();
    await Promise.allSettled([sim.close(), standins.close()]);
  }
}
