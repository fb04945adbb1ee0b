/**
 * Shared pieces of the collector's integration tests: real HTTP to the Mimecast simulator,
 * real SDK calls to the AWS stand-ins (one instance per test file; each test uses its own
 * SOURCE_ID, so its cursor item and S3 prefix are its own), and the exactly-once check.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { NDJSON_CONTENT_TYPE } from '#core/archive/encode.js';
import { parseObjectKey } from '#core/archive/layout.js';
import { normaliseEvent } from '#core/archive/normalise.js';
import type { AuditRecord } from '#core/archive/record.js';
import { S3ObjectStore } from '#core/archive/s3-object-store.js';
import { DynamoCursorStore } from '#core/cursor/dynamo-cursor-store.js';
import { createMimecastClient } from '#core/mimecast/index.js';
import type { MimecastClient, RawAuditEvent, RetryWait } from '#core/mimecast/types.js';
import type { Clock, CursorChanges, CursorState, CursorStore, ObjectStore } from '#core/ports.js';
import { type RunSummary, runSync, SyncRunError, type SyncSettings } from '#core/sync/index.js';
import type { MimecastSimulator, SimulatorOptions } from '#local/mimecast-sim/index.js';
import { startMimecastSimulator } from '#local/mimecast-sim/index.js';
import { createTestClock, type TestClock } from '#test/support/clock.js';
import { RecordingLogger, RecordingMetrics } from '#test/support/fakes.js';
import { downloadArchive, type StandinsWithClients, withStandins } from '#test/support/standins.js';

export const PREFIX = 'mimecast/audit-events';
/** A fixed "now" for simulated time: a Wednesday, mid-day UTC. */
export const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** Settings small enough for fast tests; override per test. */
export const testSettings = (sourceId: string, overrides: Partial<SyncSettings> = {}): SyncSettings => ({
  SOURCE_ID: sourceId,
  DATA_PREFIX: PREFIX,
  LOOKBACK_DAYS: 3,
  SETTLE_SECONDS: 300,
  MAX_WINDOW_SECONDS: 6 * 3600,
  MAX_EVENTS_PER_WINDOW: 50_000,
  SAFETY_MARGIN_MS: 30_000,
  PAGE_SIZE: 100,
  // Rescans off unless a test is about them (their ages are real seconds on the test clock).
  RESCAN_AFTER_SECONDS: [],
  ...overrides,
});

/** A budget that never runs out (the test clock, not the wall clock, drives the engine). */
export const ampleBudget = { remainingMs: () => 10 * 60_000 };

/** Builds a fresh source id (lower-case, as SOURCE_ID requires). */
export const newSourceId = (label: string): string =>
  `${label}-${randomUUID().slice(0, 8)}`.toLowerCase().replace(/[^a-z0-9_-]/g, '-');

/** One collector under test: a simulator, a client over HTTP, and the real stores. */
export interface CollectorUnderTest {
  sim: MimecastSimulator;
  clock: TestClock;
  client: MimecastClient;
  cursor: CursorStore;
  objects: ObjectStore;
  settings: SyncSettings;
  log: RecordingLogger;
  metrics: RecordingMetrics;
  /** Every retry wait the client reported. */
  waits: RetryWait[];
  /** Runs the engine once (as one invocation would); `owner` defaults to a fresh id. */
  run(options?: {
    owner?: string;
    budget?: { remainingMs(): number };
    cursor?: CursorStore;
    objects?: ObjectStore;
    client?: MimecastClient;
  }): Promise<RunSummary>;
  /** Runs until a run reports caught_up (failed runs are retried, like the schedule would); returns every outcome. */
  runUntilCaughtUp(maxRuns?: number): Promise<Array<RunSummary | SyncRunError>>;
  close(): Promise<void>;
}

/** Options of a collector under test. */
export interface CollectorOptions {
  sim?: SimulatorOptions;
  settings?: Partial<SyncSettings>;
  /** The client's clock; default the shared test clock. */
  clientClock?: Clock;
  requestTimeoutMs?: number;
  startMs?: number;
}

/** Starts a simulator on a shared test clock and wires the real engine to it and to the stand-ins. */
export async function startCollector(
  aws: StandinsWithClients,
  options: CollectorOptions = {},
): Promise<CollectorUnderTest> {
  const clock = createTestClock(options.startMs ?? T0);
  const sim = await startMimecastSimulator({
    clock,
    seed: 7,
    eventsPerDay: 200,
    // A frozen clock never refills a token bucket: rate limits are exercised with scripted faults.
    rateLimit: false,
    ...options.sim,
  });
  const waits: RetryWait[] = [];
  const client = createMimecastClient(
    { mode: 'oauth2', ...sim.secrets.oauth2 },
    {
      clock: options.clientClock ?? clock,
      requestTimeoutMs: options.requestTimeoutMs ?? 500,
      retry: { baseDelayMs: 5, maxDelayMs: 40, maxAttempts: 6 },
      onWait: (wait) => waits.push(wait),
    },
  );
  const settings = testSettings(newSourceId('src'), options.settings);
  const cursor = new DynamoCursorStore(aws.dynamodb, aws.standins.table);
  const objects = new S3ObjectStore(aws.s3, aws.standins.bucket);
  const log = new RecordingLogger();
  const metrics = new RecordingMetrics();

  const run: CollectorUnderTest['run'] = (runOptions = {}) =>
    runSync(
      {
        client: runOptions.client ?? client,
        objects: runOptions.objects ?? objects,
        cursor: runOptions.cursor ?? cursor,
        clock,
        log,
        metrics,
        owner: runOptions.owner ?? `test-${randomUUID()}`,
      },
      settings,
      runOptions.budget ?? ampleBudget,
    );

  const runUntilCaughtUp = async (maxRuns = 50) => {
    const outcomes: Array<RunSummary | SyncRunError> = [];
    for (let i = 0; i < maxRuns; i += 1) {
      try {
        const summary = await run();
        outcomes.push(summary);
        if (summary.stopReason === 'caught_up') return outcomes;
      } catch (err: unknown) {
        if (!(err instanceof SyncRunError)) throw err;
        outcomes.push(err);
      }
    }
    throw new Error(`not caught up after ${maxRuns} runs`);
  };

  return {
    sim,
    clock,
    client,
    cursor,
    objects,
    settings,
    log,
    metrics,
    waits,
    run,
    runUntilCaughtUp,
    close: () => sim.close(),
  };
}

/** Starts the stand-ins for one test file. */
export const startAws = (): Promise<StandinsWithClients> => withStandins();

/** Everything archived for one source, with the object each record came from. */
export interface Archive {
  objects: Array<{
    key: string;
    contentType: string | undefined;
    contentEncoding: string | undefined;
    records: AuditRecord[];
  }>;
  records: AuditRecord[];
  ids: string[];
}

/** Downloads a source's archive through the S3 API. */
export async function readArchive(aws: StandinsWithClients, sourceId: string): Promise<Archive> {
  const objects = (await downloadArchive(aws.s3, aws.standins.bucket, `${PREFIX}/source=${sourceId}/`)).map(
    (o) => ({
      ...o,
      records: o.records as AuditRecord[],
    }),
  );
  const records = objects.flatMap((o) => o.records);
  return { objects, records, ids: records.map((r) => r.id) };
}

/** Ids of well-formed simulator events (malformed ones are quarantined, not archived). */
export function wellFormedIds(events: readonly RawAuditEvent[]): string[] {
  return events.flatMap((event) => {
    const result = normaliseEvent(event, { source: 'x', collectedAt: '2026-01-01T00:00:00Z' });
    return result.ok ? [result.record.id] : [];
  });
}

const sorted = (ids: readonly string[]) => [...ids].sort();

/**
 * The simulator's events with `fromMs ≤ eventTime < toMs`, including those that have since
 * left its 60-day history (groundTruth only answers within the history as of its clock): the
 * range is read in 30-day chunks with the clock briefly set to each chunk's end.
 */
export function truthBetween(c: CollectorUnderTest, fromMs: number, toMs: number): RawAuditEvent[] {
  const now = c.clock.now();
  const events: RawAuditEvent[] = [];
  try {
    for (let start = fromMs; start < toMs; start += 30 * DAY) {
      const end = Math.min(start + 30 * DAY, toMs);
      // An hour past the chunk's end: every event of the chunk exists by then even when the
      // simulator's clock runs behind ours (clockOffsetMs), and the chunk is still in its history.
      c.clock.set(end + HOUR);
      events.push(...c.sim.groundTruth(new Date(start), new Date(end)));
    }
  } finally {
    c.clock.set(now);
  }
  return events;
}

/** The cursor of a source, which must exist. */
export async function cursorOf(c: CollectorUnderTest): Promise<CursorState> {
  const state = await c.cursor.get(c.settings.SOURCE_ID);
  if (!state) throw new Error(`no cursor for ${c.settings.SOURCE_ID}`);
  return state;
}

/**
 * The exactly-once invariant: S3 holds every simulator event with `from ≤ eventTime < watermark`
 * once (by id) and nothing else; each object is at a contract key, gzip NDJSON with the
 * NDJSON content type and no Content-Encoding, and holds only records of its date and window.
 * `expectedIds` replaces the simulator's truth when history has moved on (the gap test).
 */
export async function expectExactlyOnce(
  aws: StandinsWithClients,
  c: CollectorUnderTest,
  expectedIds?: readonly string[],
): Promise<Archive> {
  const state = await cursorOf(c);
  expect(state.pending).toBeUndefined();
  expect(state.watermark).toBeDefined();
  const from = new Date(state.backfillFrom ?? '');
  const watermark = new Date(state.watermark ?? '');
  const archive = await readArchive(aws, c.settings.SOURCE_ID);

  const truth = expectedIds ?? wellFormedIds(truthBetween(c, from.getTime(), watermark.getTime()));
  expect(new Set(archive.ids).size, 'no id is archived twice').toBe(archive.ids.length);
  expect(sorted(archive.ids)).toEqual(sorted(truth));

  for (const object of archive.objects) {
    const parsed = parseObjectKey(object.key);
    expect(parsed, object.key).toMatchObject({ prefix: PREFIX, sourceId: c.settings.SOURCE_ID });
    expect(object.contentType).toBe(NDJSON_CONTENT_TYPE);
    expect(object.contentEncoding).toBeUndefined();
    const start = compactToMs(parsed?.start ?? '');
    const end = compactToMs(parsed?.end ?? '');
    for (const record of object.records) {
      const t = Date.parse(record.event_time);
      expect(record.event_time.slice(0, 10)).toBe(parsed?.dt);
      expect(t >= start && t < end, `${record.id} at ${record.event_time} inside ${object.key}`).toBe(true);
      expect(record.source).toBe(c.settings.SOURCE_ID);
    }
  }
  return archive;
}

/** `20261125T101530Z` → epoch ms. */
export function compactToMs(compact: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(compact);
  if (!m) return Number.NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/**
 * A CursorStore whose `n`-th window commit (a save that sets the watermark; 1-based) throws
 * once: a crash between the S3 write and the commit.
 */
export function failingCommit(inner: CursorStore, n: number): CursorStore & { failed: boolean } {
  return failingSave(inner, (changes, commits) => 'watermark' in changes && commits === n);
}

/**
 * A CursorStore whose save throws once, on the first save `shouldFail` picks (given the changes
 * and how many window commits, this one included, were attempted so far): a crash at that step.
 */
export function failingSave(
  inner: CursorStore,
  shouldFail: (changes: CursorChanges, commits: number) => boolean,
): CursorStore & { failed: boolean } {
  let commits = 0;
  const store = {
    failed: false,
    get: (sourceId: string) => inner.get(sourceId),
    acquireLease: (...args: Parameters<CursorStore['acquireLease']>) => inner.acquireLease(...args),
    save: async (...args: Parameters<CursorStore['save']>) => {
      const changes = args[2];
      if ('watermark' in changes) commits += 1;
      if (!store.failed && shouldFail(changes, commits)) {
        store.failed = true;
        throw new Error('simulated crash: the process died before this cursor write');
      }
      return inner.save(...args);
    },
    recordError: (...args: Parameters<CursorStore['recordError']>) => inner.recordError(...args),
    releaseLease: (...args: Parameters<CursorStore['releaseLease']>) => inner.releaseLease(...args),
  };
  return store;
}

/** An ObjectStore that throws once, on the put that `shouldFail` picks: a crash mid-window. */
export function failingPut(
  inner: ObjectStore,
  shouldFail: (key: string, previousKey: string | undefined, count: number) => boolean,
): ObjectStore & { failedKey: string | undefined } {
  let previous: string | undefined;
  let count = 0;
  const store = {
    failedKey: undefined as string | undefined,
    putObject: async (key: string, body: Uint8Array, contentType: string) => {
      count += 1;
      if (store.failedKey === undefined && shouldFail(key, previous, count)) {
        store.failedKey = key;
        throw new Error(`simulated crash: the process died writing ${key}`);
      }
      previous = key;
      return inner.putObject(key, body, contentType);
    },
    getObject: (key: string) => inner.getObject(key),
    listKeys: (prefix: string) => inner.listKeys(prefix),
    deleteObject: (key: string) => inner.deleteObject(key),
  };
  return store;
}

/** The file name of a key (`<start>_<end>.ndjson.gz`): equal for every object of one window. */
export const windowOfKey = (key: string): string => key.split('/').at(-1) ?? key;

/** A client whose pages pass through `afterPage` (e.g. to move the test clock mid-run). */
export function withPageHook(
  client: MimecastClient,
  afterPage: (pageNumber: number) => void,
): MimecastClient {
  let pages = 0;
  return {
    getAuditEventsPage: (...args) => client.getAuditEventsPage(...args),
    getCategories: (...args) => client.getCategories(...args),
    serverClockOffsetMs: () => client.serverClockOffsetMs(),
    async *auditEventPages(query, options) {
      for await (const page of client.auditEventPages(query, options)) {
        pages += 1;
        yield page;
        afterPage(pages);
      }
    },
  };
}

/**
 * Per-file fixture: starts the stand-ins once for the file, closes every collector a test started
 * after that test, and the stand-ins after the file.
 */
export function useCollectors(): {
  readonly aws: StandinsWithClients;
  collector(options?: CollectorOptions): Promise<CollectorUnderTest>;
} {
  let aws: StandinsWithClients | undefined;
  const started: CollectorUnderTest[] = [];
  beforeAll(async () => {
    aws = await startAws();
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await aws?.close();
  });
  const ready = (): StandinsWithClients => {
    if (!aws) throw new Error('the stand-ins start in beforeAll');
    return aws;
  };
  return {
    get aws() {
      return ready();
    },
    async collector(options) {
      const c = await startCollector(ready(), options);
      started.push(c);
      return c;
    },
  };
}
