/**
 * Every knob of `npm run bench` in one place: the seed, the simulated density and the sizes of
 * each benchmark, so a run is reproducible and its JSON says exactly what was measured.
 */

/** PRNG seed of the simulator (events, ids, credentials). */
export const SEED = 20_260_101;

/**
 * The simulated "now" at the start of a run. The simulator and the measured collector share a
 * clock that starts here and advances with real time, so the events in every backfill range
 * are the same in every run (generation is a pure function of seed and hour bucket).
 */
export const SIM_EPOCH_MS = Date.UTC(2026, 0, 15, 12, 0, 0);

/** One density for every collector benchmark: 1,000,000 events over Mimecast's 60 days. */
export const EVENTS_PER_DAY = Math.round(1_000_000 / 60);

/** Benchmark 1: zero-latency, no-rate-limit backfill of ≈200,000 events (12 days at the density above). */
export const THROUGHPUT = {
  lookbackDays: 12,
  /** Rounds of (collector, fetch-only); the best of each is reported (noise only ever slows a run down). */
  rounds: 2,
  target: 0.8,
} as const;

/** Benchmarks 2 and 3: latency-bound backfills (60 days ≈ 1,000,000 events; 15 days ≈ 250,000). */
export const BACKFILL = {
  pageLatencyMs: 100,
  pageSize: 500,
  largeLookbackDays: 60,
  smallLookbackDays: 15,
  maxOverhead: 0.1,
  maxRssMb: 256,
  /** "Flat": the 1M backfill's peak RSS is within this factor of the 250k one's. */
  flatFactor: 1.15,
} as const;

/** Benchmark 4: cold start. */
export const COLD_START = {
  processes: 10,
  maxBundleBytes: 1024 * 1024,
  maxInitOverEmptyMs: 150,
} as const;

/** Benchmark 5: query API overhead. */
export const QUERY = {
  warmup: 30,
  iterations: 300,
  pageSize: 500,
  maxP99OverheadMs: 20,
} as const;

/** Benchmark 7: the cost of rescans in Mimecast requests per source-day (issue 9's target). */
export const COMPLETENESS = {
  maxRatio: 3,
} as const;

/** The invocation budget given to the measured collector runs (Lambda's 15 minutes). */
export const COLLECTOR_BUDGET_MS = 15 * 60_000;

/** Benchmark 8: archive queries on the local engine over one source's 60 days (≈1,000,000 events). */
export const ARCHIVE_QUERY = {
  days: 60,
  /** Objects per day: one per hour, like a collector that caught up hourly. */
  objectsPerDay: 24,
  oneDayIterations: 20,
  fullRangeIterations: 8,
  /** A one-day query may read at most this share of the archive's bytes (issue 12). */
  maxOneDayShare: 1 / 50,
} as const;

/** Benchmark 9: the columnar copy (issue 13). */
export const COLUMNAR = {
  /** Days at the benchmark density, one object per 5-minute run (the collector's steady state). */
  days: 3,
  windowsPerDay: 288,
  /** The very large tenant's day, in objects of 72 minutes (50,000 records each). */
  largeDayEvents: 1_000_000,
  largeDayObjects: 20,
  /** Heap limit of the compaction child: half of the function's 2048 MB, as in the large-day test. */
  heapLimitMb: 1024,
  /** Targets (issue 13). */
  minBytesRatio: 8,
  maxObjectsPerDay: 4,
  minColumnScanRatio: 20,
} as const;

/** Benchmark 10: normalisation and OCSF mapping per event (issue 14). */
export const NORMALISE = {
  days: 6,
  rounds: 5,
} as const;
