/**
 * The dispatcher against the stand-ins: the real DynamoSourceRegistry on dynalite, and an
 * in-process collector (fleet.ts) that runs the real sync engine for each invoked source over
 * HTTP against the Mimecast simulator. One test clock drives the dispatcher, the engine and the
 * simulator, so every tick is exactly where the test puts it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCursorStore } from '#core/cursor/dynamo-cursor-store.js';
import { runDispatch } from '#core/dispatch/dispatcher.js';
import { slotOffsetMs, slotStart } from '#core/dispatch/slots.js';
import { DynamoSourceRegistry } from '#core/registry/dynamo-registry.js';
import type { SourceRegistry } from '#core/registry/source-config.js';
import { SyncRunError } from '#core/sync/index.js';
import type { MimecastSimulator } from '#local/mimecast-sim/index.js';
import { startMimecastSimulator } from '#local/mimecast-sim/index.js';
import { createTestClock, type TestClock } from '#test/support/clock.js';
import type { StandinsWithClients } from '#test/support/standins.js';
import { newSourceId, readArchive, startAws, T0 } from '../collector/harness.js';
import { deferred, dispatcherDeps, InProcessCollector, type RunOutcome, testSource } from './fleet.js';

const MINUTE = 60_000;
const ample = { remainingMs: () => 60_000 };

let aws: StandinsWithClients;
let clock: TestClock;
let sim: MimecastSimulator;
let registry: DynamoSourceRegistry;
const extraSims: MimecastSimulator[] = [];

beforeAll(async () => {
  aws = await startAws();
  clock = createTestClock(T0);
  sim = await startMimecastSimulator({ clock, seed: 7, eventsPerDay: 200, rateLimit: false });
  registry = new DynamoSourceRegistry(aws.dynamodb, aws.standins.table);
});
afterEach(async () => {
  // Every test starts from an empty registry (the dispatcher reads all of it).
  for (const source of await registry.list()) await registry.remove(source.sourceId);
  await Promise.all(extraSims.splice(0).map((s) => s.close()));
  clock.set(T0);
});
afterAll(async () => {
  await sim.close();
  await aws.close();
});

/** Registers `n` healthy sources on the shared simulator; returns their ids. */
async function addSources(n: number, label: string, overrides: Parameters<typeof testSource>[1] = {}) {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 1) {
    const id = newSourceId(`${label}${i}`);
    aws.standins.putSecret(`mimecast-audit-lake/${id}`, JSON.stringify(sim.secrets.oauth2));
    await registry.add(testSource(id, overrides), new Date(clock.now()).toISOString());
    ids.push(id);
  }
  return ids;
}

/** The run outcomes of `ids`, each of which must have run exactly once and caught up. */
async function expectCaughtUpOnce(collector: InProcessCollector, ids: readonly string[]) {
  const cursor = new DynamoCursorStore(aws.dynamodb, aws.standins.table);
  for (const id of ids) {
    expect(collector.invocations.get(id), `${id} invoked once`).toBe(1);
    const [outcome] = collector.outcomes.get(id) ?? [];
    expect(outcome?.ok && outcome.summary.stopReason, id).toBe('caught_up');
    expect((await cursor.get(id))?.watermark, `${id} has a watermark`).toBeDefined();
  }
  // Spot-check that a run really archived its source's events under its own prefix.
  const archive = await readArchive(aws, ids[0] ?? '');
  expect(archive.records.length).toBeGreaterThan(100);
  expect(new Set(archive.records.map((r) => r.source))).toEqual(new Set([ids[0]]));
}

/**
 * A fresh id on an hourly schedule whose current slot (at T0, on the hour) started 5–55 minutes
 * ago: older than any 5-minute source's slot, so the dispatcher starts it first.
 */
function hourlyIdDispatchedFirst(): string {
  for (;;) {
    const id = newSourceId('throttled');
    const offset = slotOffsetMs(id, 60);
    if (offset >= 5 * MINUTE && offset <= 55 * MINUTE) {
      if (slotStart(id, 60, T0) > T0 - 5 * MINUTE) throw new Error('T0 must be on the hour');
      return id;
    }
  }
}

/** A registry whose `list` waits until `parties` listings have been read: overlapping runs for sure. */
function barrierRegistry(inner: SourceRegistry, parties: number): SourceRegistry {
  let arrived = 0;
  const all = deferred();
  return {
    get: (id) => inner.get(id),
    add: (config, now) => inner.add(config, now),
    update: (id, changes, now) => inner.update(id, changes, now),
    remove: (id) => inner.remove(id),
    markDispatched: (id, at, slot) => inner.markDispatched(id, at, slot),
    list: async () => {
      const listed = await inner.list();
      arrived += 1;
      if (arrived === parties) all.resolve();
      await all.promise;
      return listed;
    },
  };
}

describe('dispatcher over the registry, with the real collector engine per source', () => {
  it('invokes each of 60 due sources exactly once across two overlapping dispatcher runs, never a disabled one', async () => {
    // Prepare: 60 sources, all never dispatched (due), and 3 disabled ones.
    const ids = await addSources(60, 'fleet');
    const disabled = await addSources(3, 'off', { enabled: false });
    const collector = new InProcessCollector(aws, registry, clock);
    const shared = barrierRegistry(registry, 2);

    // Act: two dispatchers (as two overlapping schedule deliveries) list before either records.
    const [a, b] = await Promise.all([
      runDispatch(dispatcherDeps(shared, collector, clock), { concurrency: 10 }, ample),
      runDispatch(dispatcherDeps(shared, collector, clock), { concurrency: 10 }, ample),
    ]);

    // Assess
    expect([a.due, b.due]).toEqual([60, 60]);
    expect([a.disabled, b.disabled]).toEqual([3, 3]);
    expect(a.dispatched + b.dispatched).toBe(60);
    expect(a.alreadyDispatched + b.alreadyDispatched).toBe(60);
    expect([a.failed, b.failed]).toEqual([0, 0]);
    expect(collector.total()).toBe(60);
    for (const id of disabled) expect(collector.invocations.has(id)).toBe(false);
    await expectCaughtUpOnce(collector, ids);
    const recorded = await registry.list();
    for (const source of recorded.filter((s) => s.enabled)) {
      expect(source.lastDispatchedAt).toBe(new Date(T0).toISOString());
    }
    for (const source of recorded.filter((s) => !s.enabled)) expect(source.lastDispatchedAt).toBeUndefined();
  });

  it('keeps a failing and a throttled tenant from delaying the others: all dispatched in the same tick, their runs succeed', async () => {
    // Prepare: 57 healthy sources; one whose Mimecast credentials are wrong; one whose invoke is
    // rejected; one on its own simulator that answers 429 twice. The throttled tenant's client
    // waits (its retry sleep) until every other run of the tick has finished, so the tick only
    // completes if the dispatcher went on without it.
    const healthy = await addSources(57, 'ok');
    const [badCredentials, rejected] = [newSourceId('badcreds'), newSourceId('rejected')];
    const throttled = hourlyIdDispatchedFirst();
    const throttledSim = await startMimecastSimulator({
      clock,
      seed: 8,
      eventsPerDay: 200,
      rateLimit: false,
    });
    extraSims.push(throttledSim);
    throttledSim.scriptFaults({ fault: { type: 'rate_limit', resetMs: 2_000 }, times: 2 });
    aws.standins.putSecret(
      `mimecast-audit-lake/${badCredentials}`,
      JSON.stringify({ ...sim.secrets.oauth2, clientSecret: 'not-the-secret' }),
    );
    aws.standins.putSecret(`mimecast-audit-lake/${rejected}`, JSON.stringify(sim.secrets.oauth2));
    aws.standins.putSecret(`mimecast-audit-lake/${throttled}`, JSON.stringify(throttledSim.secrets.oauth2));
    for (const id of [badCredentials, rejected])
      await registry.add(testSource(id), new Date(T0).toISOString());
    await registry.add(testSource(throttled, { scheduleMinutes: 60 }), new Date(T0).toISOString());
    const others = [...healthy, badCredentials, rejected];
    const othersDone = deferred();
    const finishedWhileThrottledWaited: string[] = [];
    let throttledWaiting = false;
    let throttledWaits = 0;
    const collector = new InProcessCollector(aws, registry, clock, {
      rejectInvoke: (id) =>
        id === rejected ? new Error('simulated Lambda error: Rate Exceeded') : undefined,
      sleepFor: (id) =>
        id === throttled
          ? async () => {
              throttledWaits += 1;
              throttledWaiting = true;
              await othersDone.promise;
              throttledWaiting = false;
            }
          : undefined,
      onFinished: (id: string, _outcome: RunOutcome) => {
        if (id === throttled) return;
        if (throttledWaiting) finishedWhileThrottledWaited.push(id);
        if (others.every((other) => collector.invocations.has(other) && collector.outcomes.has(other))) {
          othersDone.resolve();
        }
      },
    });
    const deps = dispatcherDeps(registry, collector, clock);

    // Act
    const summary = await runDispatch(deps, { concurrency: 10 }, ample);

    // Assess: every source dispatched in this one tick; the two failures reported and metered.
    expect(summary).toMatchObject({ sources: 60, due: 60, dispatched: 58, failed: 2, skipped: 0 });
    expect(summary.failures.map((f) => f.sourceId).sort()).toEqual([badCredentials, rejected].sort());
    expect(deps.recorded.values.filter((m) => m.name === 'DispatchFailures')).toEqual(
      expect.arrayContaining([
        { name: 'DispatchFailures', value: 1, sourceId: badCredentials },
        { name: 'DispatchFailures', value: 1, sourceId: rejected },
      ]),
    );
    const errors = deps.lines.lines.filter((l) => l.level === 'error');
    expect(errors.map((l) => l.extra?.sourceId).sort()).toEqual([badCredentials, rejected].sort());
    expect(String(errors.find((l) => l.extra?.sourceId === rejected)?.extra?.error)).toContain(
      'Rate Exceeded',
    );
    const [badOutcome] = collector.outcomes.get(badCredentials) ?? [];
    expect(badOutcome?.ok).toBe(false);
    const badError = badOutcome?.ok === false ? badOutcome.error : undefined;
    expect(badError).toBeInstanceOf(SyncRunError);
    expect((badError as SyncRunError).kind).toBe('authentication');
    // The throttled tenant went first (its slot is the oldest) and was held up at its first 429;
    // the others ran meanwhile, then it caught up too.
    expect([...collector.invocations.keys()][0]).toBe(throttled);
    expect(throttledWaits).toBeGreaterThanOrEqual(1);
    expect(finishedWhileThrottledWaited.length).toBeGreaterThanOrEqual(others.length - 10);
    await expectCaughtUpOnce(collector, [...healthy, throttled]);
    expect(throttledSim.requests().filter((r) => r.status === 429)).toHaveLength(2);
    // A dispatcher that waited for the throttled run before going on would never get here.
  }, 30_000);

  it('keeps at most DISPATCH_CONCURRENCY invocations in flight', async () => {
    // Prepare
    const ids = await addSources(20, 'bound');
    const collector = new InProcessCollector(aws, registry, clock);

    // Act
    const summary = await runDispatch(dispatcherDeps(registry, collector, clock), { concurrency: 4 }, ample);

    // Assess
    expect(summary.dispatched).toBe(20);
    expect(collector.maxInFlight).toBeLessThanOrEqual(4);
    expect(collector.maxInFlight).toBe(4);
    await expectCaughtUpOnce(collector, ids);
  });

  it('picks up a source added between ticks, with no redeploy, and does not run the others again in their slot', async () => {
    // Prepare: hourly sources whose slot does not change in the next minute, dispatched at T0.
    const candidates = await addSources(8, 'hourly', { scheduleMinutes: 60 });
    const stay = candidates.filter((id) => slotStart(id, 60, T0) === slotStart(id, 60, T0 + MINUTE));
    for (const id of candidates.filter((c) => !stay.includes(c))) await registry.remove(id);
    const collector = new InProcessCollector(aws, registry, clock);
    const deps = dispatcherDeps(registry, collector, clock);
    const first = await runDispatch(deps, { concurrency: 5 }, ample);

    // Act: an operator adds a source; the next tick, a minute later, uses the same dispatcher.
    clock.advance(MINUTE);
    const [added] = await addSources(1, 'added');
    const second = await runDispatch(deps, { concurrency: 5 }, ample);

    // Assess
    expect(stay.length).toBeGreaterThanOrEqual(4);
    expect(first).toMatchObject({ due: stay.length, dispatched: stay.length });
    expect(second).toMatchObject({ sources: stay.length + 1, due: 1, dispatched: 1 });
    expect(added).toBeDefined();
    await expectCaughtUpOnce(collector, [...stay, added ?? '']);
    expect((await registry.get(added ?? ''))?.lastDispatchedAt).toBe(new Date(T0 + MINUTE).toISOString());
  });
});
