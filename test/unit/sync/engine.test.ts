import { describe, expect, it } from 'vitest';
import { buildDailyObjects } from '#core/archive/encode.js';
import { normaliseEvent } from '#core/archive/normalise.js';
import {
  AuthenticationError,
  BindingExpiredError,
  FatalError,
  RateLimitedError,
  RetryableError,
} from '#core/mimecast/errors.js';
import type { RawAuditEvent } from '#core/mimecast/types.js';
import { CollectorMetric } from '#core/observability.js';
import { CursorConflictError } from '#core/ports.js';
import { historyFloor, runSync, SyncRunError, type SyncSettings, settleHorizon } from '#core/sync/index.js';
import {
  FakeMimecastClient,
  fixedClock,
  MemoryCursorStore,
  MemoryObjectStore,
  RecordingLogger,
  RecordingMetrics,
  rawEvent,
} from '#test/support/fakes.js';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const PREFIX = 'mimecast/audit-events';
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

const baseSettings: SyncSettings = {
  SOURCE_ID: 'default',
  DATA_PREFIX: PREFIX,
  LOOKBACK_DAYS: 2,
  SETTLE_SECONDS: 300,
  MAX_WINDOW_SECONDS: 6 * 3600,
  MAX_EVENTS_PER_WINDOW: 1000,
  SAFETY_MARGIN_MS: 30_000,
  PAGE_SIZE: 50,
  RESCAN_AFTER_SECONDS: [],
};

/** Everything one engine test needs, around the in-memory fakes. */
function setup(overrides: Partial<SyncSettings> = {}) {
  const settings = { ...baseSettings, ...overrides };
  const clock = fixedClock(NOW);
  const client = new FakeMimecastClient();
  const objects = new MemoryObjectStore();
  const cursor = new MemoryCursorStore();
  const log = new RecordingLogger();
  const metrics = new RecordingMetrics();
  const run = (options: { owner?: string; remainingMs?: number } = {}) =>
    runSync({ client, objects, cursor, clock, log, metrics, owner: options.owner ?? 'run-1' }, settings, {
      remainingMs: () => options.remainingMs ?? 15 * 60_000,
    });
  /** Ids of every archived record (duplicates included). */
  const archivedIds = () => objects.lines(`${PREFIX}/`).map((line) => String(line.id));
  return { settings, clock, client, objects, cursor, log, metrics, run, archivedIds };
}

/** `count` events spread evenly over `[fromMs, toMs)`, some on whole hours (window edges). */
function eventsBetween(fromMs: number, toMs: number, count: number, prefix = 'e'): RawAuditEvent[] {
  const step = Math.max(1000, Math.floor((toMs - fromMs) / count / 1000) * 1000);
  return Array.from({ length: count }, (_, i) => rawEvent(`${prefix}${i}`, fromMs + i * step)).filter(
    (event) => Date.parse(String(event.eventTime).replace('+0000', 'Z')) < toMs,
  );
}

const idsIn = (events: RawAuditEvent[], fromMs: number, toMs: number) =>
  events
    .filter((e) => {
      const t = Date.parse(String(e.eventTime).replace('+0000', 'Z'));
      return t >= fromMs && t < toMs;
    })
    .map((e) => String(e.id))
    .sort();

describe('runSync: first run and incremental runs', () => {
  it('backfills LOOKBACK_DAYS up to the settle horizon, archiving each event in range exactly once', async () => {
    // Prepare
    const t = setup();
    t.client.events = eventsBetween(NOW - 3 * DAY, NOW, 700);

    // Act
    const summary = await t.run();

    // Assess
    const from = NOW - 2 * DAY;
    const horizon = settleHorizon(NOW, 300);
    expect(summary).toMatchObject({ stopReason: 'caught_up', watermark: iso(horizon), backfillPercent: 100 });
    expect(t.archivedIds().sort()).toEqual(idsIn(t.client.events, from, horizon));
    expect(t.cursor.peek('default')).toMatchObject({
      backfillFrom: iso(from),
      watermark: iso(horizon),
      pending: undefined,
    });
    expect(t.cursor.peek('default')?.lease).toBeUndefined();
  });

  it('saves each window as pending before fetching it', async () => {
    // Prepare
    const t = setup();
    t.client.events = eventsBetween(NOW - DAY, NOW, 50);
    const pendingAtFetch: Array<string | undefined> = [];
    t.client.beforePage = () => pendingAtFetch.push(t.cursor.peek('default')?.pending?.start);

    // Act
    await t.run();

    // Assess
    expect(pendingAtFetch.length).toBeGreaterThan(0);
    expect(pendingAtFetch.every((start) => start !== undefined)).toBe(true);
    expect(t.client.queries.map((q) => iso(q.start.getTime()))).toEqual(
      expect.arrayContaining(pendingAtFetch.map(String)),
    );
  });

  it('collects only new events on the next run, so the archive still holds each event once', async () => {
    // Prepare
    const t = setup();
    t.client.events = eventsBetween(NOW - 2 * DAY, NOW, 300);
    await t.run();
    t.clock.set(NOW + 2 * HOUR);
    t.client.events.push(...eventsBetween(NOW, NOW + 2 * HOUR, 40, 'new'));

    // Act
    const summary = await t.run();

    // Assess
    const horizon = settleHorizon(NOW + 2 * HOUR, 300);
    expect(summary.stopReason).toBe('caught_up');
    expect(summary.watermark).toBe(iso(horizon));
    expect(t.archivedIds().sort()).toEqual(idsIn(t.client.events, NOW - 2 * DAY, horizon));
  });

  it('writes one object per UTC date under the contract key, with the NDJSON content type', async () => {
    // Prepare
    const t = setup({ LOOKBACK_DAYS: 1, MAX_WINDOW_SECONDS: 86_400 });
    t.clock.set(Date.UTC(2026, 10, 25, 6, 0, 0));
    t.client.events = [
      rawEvent('late', Date.UTC(2026, 10, 24, 23, 59, 59)),
      rawEvent('early', Date.UTC(2026, 10, 25, 0, 0, 0)),
    ];

    // Act
    await t.run();

    // Assess
    expect(t.objects.keys(`${PREFIX}/`)).toEqual([
      `${PREFIX}/source=default/dt=2026-11-24/20261124T060000Z_20261125T000000Z.ndjson.gz`,
      `${PREFIX}/source=default/dt=2026-11-25/20261125T000000Z_20261125T055500Z.ndjson.gz`,
    ]);
    expect([...t.objects.objects.values()].map((o) => o.contentType)).toEqual([
      'application/x-ndjson',
      'application/x-ndjson',
    ]);
  });

  it('keeps one copy of events a server re-sends or returns at the inclusive end of a window', async () => {
    // Prepare
    const t = setup({ MAX_WINDOW_SECONDS: 3600 });
    t.client.repeatPages = true;
    // Many events exactly on whole hours: each is both the end of one window and the start of the next.
    t.client.events = Array.from({ length: 40 }, (_, i) =>
      rawEvent(`edge${i}`, NOW - 2 * DAY + (i % 20) * HOUR),
    );

    // Act
    await t.run();

    // Assess
    expect(t.archivedIds().sort()).toEqual(t.client.events.map((e) => String(e.id)).sort());
  });
});

describe('runSync: crashes are redone without duplicates or gaps', () => {
  it('redoes the pending window after a crash between the S3 write and the commit', async () => {
    // Prepare
    const t = setup();
    t.client.events = eventsBetween(NOW - 2 * DAY, NOW, 200);
    t.cursor.failNextCommits(1);
    await expect(t.run()).rejects.toMatchObject({ name: 'SyncRunError', kind: 'cursor' });
    const stateAfterCrash = t.cursor.peek('default');
    const keysAfterCrash = t.objects.keys();

    // Act
    const summary = await t.run({ owner: 'run-2' });

    // Assess
    expect(stateAfterCrash?.pending).toBeDefined();
    expect(stateAfterCrash?.watermark).toBeUndefined();
    expect(keysAfterCrash.length).toBeGreaterThan(0);
    expect(summary.stopReason).toBe('caught_up');
    expect(t.archivedIds().sort()).toEqual(idsIn(t.client.events, NOW - 2 * DAY, settleHorizon(NOW, 300)));
  });

  it('redoes a window whose writing failed after its first object', async () => {
    // Prepare: one window spans two dates, so it has two objects.
    const t = setup({ LOOKBACK_DAYS: 1, MAX_WINDOW_SECONDS: 86_400 });
    t.client.events = eventsBetween(NOW - DAY, NOW, 100);
    t.objects.failAfter(1);
    await expect(t.run()).rejects.toMatchObject({ kind: 'storage' });

    // Act
    await t.run({ owner: 'run-2' });

    // Assess
    expect(t.archivedIds().sort()).toEqual(idsIn(t.client.events, NOW - DAY, settleHorizon(NOW, 300)));
  });
});

describe('runSync: adaptive window size', () => {
  it('shrinks a fresh window that holds more than MAX_EVENTS_PER_WINDOW and still archives everything once', async () => {
    // Prepare
    const t = setup({ LOOKBACK_DAYS: 1, MAX_EVENTS_PER_WINDOW: 50 });
    t.client.events = eventsBetween(NOW - DAY, NOW, 600);

    // Act
    const summary = await t.run();

    // Assess
    expect(summary.stopReason).toBe('caught_up');
    expect(t.archivedIds().sort()).toEqual(idsIn(t.client.events, NOW - DAY, settleHorizon(NOW, 300)));
    const perWindow = new Map<string, number>();
    for (const key of t.objects.keys(`${PREFIX}/`)) {
      const window = key.split('/').at(-1) ?? '';
      perWindow.set(window, (perWindow.get(window) ?? 0) + t.objects.lines(key).length);
    }
    expect(Math.max(...perWindow.values())).toBeLessThanOrEqual(50);
    expect(t.cursor.peek('default')?.windowSeconds).toBeLessThan(6 * 3600);
  });

  it('splits a saved pending window denser than the cap, removing what an earlier attempt wrote under its keys', async () => {
    // Prepare: a pending window left by an earlier version's crash, with an object already written under its key.
    const t = setup({ MAX_EVENTS_PER_WINDOW: 50 });
    const start = NOW - 10 * HOUR;
    const end = NOW - 9 * HOUR;
    t.cursor.seed({
      sourceId: 'default',
      watermark: iso(start),
      pending: { start: iso(start), end: iso(end), plannedAt: iso(start) },
    });
    t.client.events = eventsBetween(start, end, 200);
    const windowKey = `${PREFIX}/source=default/dt=2026-11-25/20261125T020000Z_20261125T030000Z.ndjson.gz`;
    const written = t.client.events.slice(0, 120).flatMap((event) => {
      const result = normaliseEvent(event, { source: 'default', collectedAt: iso(start) });
      return result.ok ? [result.record] : [];
    });
    const [crashed] = await buildDailyObjects(written, {
      prefix: PREFIX,
      sourceId: 'default',
      window: { start: new Date(start), end: new Date(end) },
    });
    if (crashed?.key !== windowKey)
      throw new Error('the earlier attempt wrote no object under the window key');
    await t.objects.putObject(crashed.key, crashed.body, 'application/x-ndjson');

    // Act
    const summary = await t.run();

    // Assess: no object holds more than the cap, the old window's object is gone, each event once.
    expect(summary.windowSplits).toBeGreaterThan(0);
    expect(t.objects.objects.has(windowKey)).toBe(false);
    for (const key of t.objects.keys(`${PREFIX}/`))
      expect(t.objects.lines(key).length).toBeLessThanOrEqual(50);
    expect(t.archivedIds().sort()).toEqual(idsIn(t.client.events, start, settleHorizon(NOW, 300)));
  });

  it('grows the window again after light windows', async () => {
    // Prepare
    const t = setup({ LOOKBACK_DAYS: 1 });
    t.cursor.seed({ sourceId: 'default', watermark: iso(NOW - DAY), windowSeconds: 60 });
    t.client.events = eventsBetween(NOW - DAY, NOW, 20);

    // Act
    await t.run();

    // Assess
    expect(t.cursor.peek('default')?.windowSeconds).toBeGreaterThan(60);
  });
});

describe('runSync: history limit', () => {
  it('records the range lost when the watermark is older than 60 days, reports it, and resumes at the floor', async () => {
    // Prepare
    const t = setup();
    const watermark = iso(NOW - 70 * DAY);
    t.cursor.seed({ sourceId: 'default', watermark });

    // Act
    const summary = await t.run({ remainingMs: 31_000 + 30_000 });

    // Assess
    expect(summary.gapsRecorded).toBe(1);
    expect(t.cursor.peek('default')?.gaps).toEqual([
      expect.objectContaining({ start: watermark, end: iso(historyFloor(NOW)) }),
    ]);
    expect(t.metrics.total(CollectorMetric.GapSeconds)).toBe((historyFloor(NOW) - (NOW - 70 * DAY)) / 1000);
    expect(t.log.lines.some((l) => l.level === 'warn' && l.extra?.gapStart === watermark)).toBe(true);
    expect(t.client.queries[0]?.start.getTime()).toBe(historyFloor(NOW));
  });
});

describe('runSync: stop reasons and failures', () => {
  it('ends cleanly as throttled when a 429 wait does not fit, keeping the pending window', async () => {
    // Prepare
    const t = setup();
    t.client.failures.push(new RateLimitedError('Mimecast get-audit-events: HTTP 429', 600_000));

    // Act
    const summary = await t.run();

    // Assess
    expect(summary.stopReason).toBe('throttled');
    expect(t.metrics.total(CollectorMetric.ThrottledStops)).toBe(1);
    expect(t.metrics.has(CollectorMetric.RunFailures)).toBe(false);
    const state = t.cursor.peek('default');
    expect(state?.pending).toBeDefined();
    expect(state?.lastError).toBeUndefined();
    expect(state?.lease).toBeUndefined();
  });

  it.each([
    ['authentication', new AuthenticationError('Mimecast: HTTP 401'), CollectorMetric.AuthFailures],
    ['binding_expired', new BindingExpiredError('Mimecast: HTTP 418'), CollectorMetric.BindingExpired],
    ['fatal', new FatalError('Mimecast: fail[] err_validation_blank'), CollectorMetric.RunFailures],
    ['retryable', new RetryableError('Mimecast: HTTP 503', 'http_5xx'), CollectorMetric.RunFailures],
  ])(
    'fails on %s, records the error and leaves the watermark and pending window alone',
    async (kind, error, metric) => {
      // Prepare
      const t = setup();
      t.cursor.seed({ sourceId: 'default', watermark: iso(NOW - DAY) });
      t.client.failures.push(error);

      // Act
      const outcome = await t.run().catch((err: unknown) => err);

      // Assess
      expect(outcome).toBeInstanceOf(SyncRunError);
      expect(outcome).toMatchObject({
        kind,
        cause: error,
        summary: { stopReason: 'error', errorKind: kind },
      });
      const state = t.cursor.peek('default');
      expect(state?.watermark).toBe(iso(NOW - DAY));
      expect(state?.pending?.start).toBe(iso(NOW - DAY));
      expect(state?.lastError).toMatchObject({ kind, message: error.message });
      expect(state?.lease).toBeUndefined();
      expect(t.metrics.total(metric)).toBe(1);
      expect(t.metrics.total(CollectorMetric.RunFailures)).toBe(1);
      expect(t.metrics.failureKinds).toEqual([kind]);
    },
  );

  it('stops with time_budget when Mimecast keeps failing right up to the deadline', async () => {
    // Prepare: 20 s beyond the safety margin, so the client's deadline is 20 s away.
    const t = setup();
    t.client.failures.push(new RetryableError('Mimecast: deadline passed', 'timeout'));

    // Act
    const summary = await t.run({ remainingMs: 30_000 + 20_000 });

    // Assess
    expect(summary.stopReason).toBe('time_budget');
    expect(t.cursor.peek('default')?.lastError).toBeUndefined();
  });

  it('steps aside when another live run holds the lease', async () => {
    // Prepare
    const t = setup();
    await t.cursor.acquireLease('default', 'other-run', new Date(NOW), new Date(NOW + 60_000));

    // Act
    const summary = await t.run();

    // Assess
    expect(summary.stopReason).toBe('lease_held');
    expect(t.client.queries).toEqual([]);
    expect(t.cursor.peek('default')?.lease?.owner).toBe('other-run');
  });

  it('stops with conflict when another writer moves the cursor mid-window', async () => {
    // Prepare
    const t = setup();
    t.client.events = eventsBetween(NOW - DAY, NOW, 10);
    t.client.beforePage = () => {
      const state = t.cursor.peek('default');
      if (state)
        t.cursor.seed({
          ...state,
          version: state.version + 1,
          lease: { owner: 'thief', expiresAt: iso(NOW + HOUR) },
        });
    };

    // Act
    const summary = await t.run();

    // Assess
    expect(summary.stopReason).toBe('conflict');
    expect(t.cursor.peek('default')?.watermark).toBeUndefined();
  });

  it('starts no window when the time budget is nearly exhausted', async () => {
    // Prepare
    const t = setup();
    t.client.events = eventsBetween(NOW - DAY, NOW, 10);

    // Act
    const summary = await t.run({ remainingMs: 30_000 + 1_000 });

    // Assess
    expect(summary).toMatchObject({ stopReason: 'time_budget', windows: 0 });
    expect(t.client.queries).toEqual([]);
    expect(t.cursor.peek('default')?.pending).toBeUndefined();
  });
});

describe('runSync: malformed events and reporting', () => {
  it('quarantines malformed events, counts and logs them without their content', async () => {
    // Prepare
    const t = setup({ MAX_WINDOW_SECONDS: 86_400 });
    // One window [10:00, 11:55): the fake server returns timeless events with every search.
    t.cursor.seed({ sourceId: 'default', watermark: iso(NOW - 2 * HOUR) });
    const secretish = 'password=hunter2';
    t.client.events = [
      rawEvent('ok', NOW - HOUR),
      { eventTime: '2026-11-25T10:00:00+0000', eventInfo: secretish },
      { id: 'bad-time', eventTime: 'not a time' },
    ];

    // Act
    const summary = await t.run();

    // Assess
    expect(summary.malformed).toBe(2);
    expect(t.metrics.total(CollectorMetric.MalformedEvents)).toBe(2);
    const quarantined = t.objects.lines(`${PREFIX}-malformed/source=default/`);
    expect(quarantined).toHaveLength(2);
    expect(t.archivedIds()).toEqual(['ok']);
    const warnings = t.log.lines.filter((l) => l.message === 'Malformed event quarantined');
    expect(warnings.map((w) => w.extra?.reason).sort()).toEqual(['bad_event_time', 'missing_id']);
    expect(JSON.stringify(t.log.lines)).not.toContain(secretish);
  });

  it('reports the run in its summary and metrics', async () => {
    // Prepare
    const t = setup();
    t.client.events = eventsBetween(NOW - 2 * DAY, NOW, 120);

    // Act
    const summary = await t.run();

    // Assess
    expect(summary.events).toBe(t.archivedIds().length);
    expect(summary.objects).toBe(t.objects.keys().length);
    expect(summary.lagSeconds).toBe(300);
    expect(t.metrics.total(CollectorMetric.EventsWritten)).toBe(summary.events);
    expect(t.metrics.total(CollectorMetric.WindowsCommitted)).toBe(summary.windows);
    expect(t.metrics.total(CollectorMetric.PagesFetched)).toBe(summary.pages);
    expect(t.metrics.total(CollectorMetric.LagSeconds)).toBe(300);
  });
});

describe('runSync: a dense window right after a gap', () => {
  it('records the gap once even when the first window after it has to be replanned smaller', async () => {
    // Prepare
    const t = setup({ MAX_EVENTS_PER_WINDOW: 20 });
    t.cursor.seed({ sourceId: 'default', watermark: iso(NOW - 70 * DAY) });
    const floor = historyFloor(NOW);
    t.client.events = eventsBetween(floor, floor + 6 * HOUR, 200);

    // Act
    const summary = await t.run({ remainingMs: 30_000 + 60_000 });

    // Assess
    expect(summary.gapsRecorded).toBe(1);
    expect(t.cursor.peek('default')?.gaps).toHaveLength(1);
    expect(t.archivedIds().sort()).toEqual(
      idsIn(t.client.events, floor, Date.parse(summary.watermark ?? '')),
    );
  });
});

describe('runSync: reading ahead', () => {
  it("requests the next window's first page before committing the current window, still archiving each event once", async () => {
    // Prepare: one page per window; note, at each page request, how many windows were committed.
    const t = setup();
    const events = eventsBetween(NOW - 2 * DAY, NOW, 40);
    t.client.events = events;
    const atRequest: Array<{ searches: number; commits: number }> = [];
    t.client.beforePage = () =>
      atRequest.push({
        searches: t.client.queries.length,
        commits: t.cursor.calls.filter((call) => call === 'commitWindow').length,
      });

    // Act
    const summary = await t.run();

    // Assess: the second window's search started while the first was still being written.
    expect(summary.stopReason).toBe('caught_up');
    expect(atRequest.find((r) => r.searches === 1)?.commits).toBe(0);
    expect(t.archivedIds().sort()).toEqual(idsIn(events, NOW - 2 * DAY, settleHorizon(NOW, 300)));
  });

  it('does not read ahead into a window cut short by the settle horizon (its end moves with the clock)', async () => {
    // Prepare: time passes while pages are fetched, so the horizon moves between planning steps.
    const t = setup();
    t.client.events = eventsBetween(NOW - 2 * DAY, NOW, 40);
    let requests = 0;
    t.client.beforePage = () => {
      requests += 1;
      if (requests <= 10) t.clock.set(t.clock.now() + 2_000);
    };

    // Act
    const summary = await t.run();

    // Assess: one search per committed window, none started and thrown away.
    expect(summary.stopReason).toBe('caught_up');
    expect(t.client.queries).toHaveLength(summary.windows);
  });

  it('abandons the read-ahead search when the run stops before using it', async () => {
    // Prepare: the first commit fails as if another run had moved the cursor.
    const t = setup();
    t.client.events = eventsBetween(NOW - 2 * DAY, NOW, 40);
    const signals: Array<AbortSignal | undefined> = [];
    const answer = t.client.getAuditEventsPage.bind(t.client);
    t.client.getAuditEventsPage = (query, token, options) => {
      signals.push(options.signal);
      return answer(query, token, options);
    };
    const save = t.cursor.save.bind(t.cursor);
    t.cursor.save = async (state, owner, changes, at) => {
      if ('watermark' in changes) throw new CursorConflictError('moved by someone else');
      return save(state, owner, changes, at);
    };

    // Act
    const summary = await t.run();

    // Assess: the next window's search had started, and was aborted when the run stopped.
    expect(summary.stopReason).toBe('conflict');
    expect(signals.length).toBeGreaterThanOrEqual(2);
    expect(signals.at(-1)?.aborted).toBe(true);
    expect(t.archivedIds().length).toBeGreaterThan(0);
  });
});
