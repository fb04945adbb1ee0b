import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DispatcherDeps, type DispatchMetrics, runDispatch } from '#core/dispatch/dispatcher.js';
import {
  CollectorInvokeError,
  collectorPayload,
  LambdaCollectorInvoker,
} from '#core/dispatch/lambda-invoker.js';
import { slotStart } from '#core/dispatch/slots.js';
import type { DispatcherMetricName } from '#core/observability.js';
import {
  type SourceConfig,
  type SourceConfigInput,
  SourceNotFoundError,
  type SourceRegistry,
  sourceConfigSchema,
} from '#core/registry/source-config.js';
import { fixedClock } from '#test/support/fakes.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const ample = { remainingMs: () => 60_000 };

/** The port's semantics in memory (the DynamoDB class is tested against dynalite in the integration tests). */
class MemoryRegistry implements SourceRegistry {
  readonly items = new Map<string, SourceConfig>();
  /** markDispatched throws for these ids. */
  readonly failMark = new Set<string>();
  readonly marks: string[] = [];

  seed(input: SourceConfigInput): void {
    const config = sourceConfigSchema.parse(input);
    this.items.set(config.sourceId, config);
  }
  async get(sourceId: string) {
    return this.items.get(sourceId);
  }
  async list() {
    return [...this.items.values()].sort((a, b) => a.sourceId.localeCompare(b.sourceId));
  }
  async add(): Promise<SourceConfig> {
    throw new Error('not used');
  }
  async update(): Promise<SourceConfig> {
    throw new Error('not used');
  }
  async remove(sourceId: string) {
    return this.items.delete(sourceId);
  }
  async markDispatched(sourceId: string, atIso: string, slotStartIso: string) {
    this.marks.push(sourceId);
    if (this.failMark.has(sourceId)) throw new Error('simulated DynamoDB failure');
    const item = this.items.get(sourceId);
    if (!item) throw new SourceNotFoundError(sourceId);
    if (item.lastDispatchedAt !== undefined && item.lastDispatchedAt >= slotStartIso) return false;
    this.items.set(sourceId, { ...item, lastDispatchedAt: atIso });
    return true;
  }
}

class RecordingDispatchMetrics implements DispatchMetrics {
  readonly values: Array<{ name: DispatcherMetricName; value: number; sourceId: string | undefined }> = [];
  count(name: DispatcherMetricName, value: number, sourceId?: string): void {
    this.values.push({ name, value, sourceId });
  }
}

/** An invoker that records the order and the concurrency of its calls; `fail` ids throw. */
function recordingInvoker(options: { fail?: Set<string>; delay?: () => Promise<void> } = {}) {
  const invoked: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  return {
    invoked,
    maxInFlight: () => maxInFlight,
    async invoke(sourceId: string): Promise<void> {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        await (options.delay?.() ?? Promise.resolve());
        if (options.fail?.has(sourceId)) throw new Error(`simulated invoke failure for ${sourceId}`);
        invoked.push(sourceId);
      } finally {
        inFlight -= 1;
      }
    },
  };
}

function deps(registry: SourceRegistry, invoker: DispatcherDeps['invoker'], now = T0) {
  const lines: Array<{ level: string; message: string; attributes: Record<string, unknown> | undefined }> =
    [];
  const metrics = new RecordingDispatchMetrics();
  const d: DispatcherDeps = {
    registry,
    invoker,
    clock: fixedClock(now),
    metrics,
    log: {
      info: (message, attributes) => lines.push({ level: 'info', message, attributes }),
      warn: (message, attributes) => lines.push({ level: 'warn', message, attributes }),
      error: (message, attributes) => lines.push({ level: 'error', message, attributes }),
    },
  };
  return { deps: d, lines, metrics };
}

describe('runDispatch', () => {
  it('dispatches the due sources once, records the tick time and leaves disabled and done ones alone', async () => {
    // Prepare
    const registry = new MemoryRegistry();
    registry.seed({ sourceId: 'due', secretId: 's' });
    registry.seed({ sourceId: 'off', secretId: 's', enabled: false });
    const doneSlot = slotStart('done', 5, T0);
    registry.seed({ sourceId: 'done', secretId: 's', lastDispatchedAt: new Date(doneSlot).toISOString() });
    const invoker = recordingInvoker();
    const { deps: d, metrics } = deps(registry, invoker);

    // Act
    const summary = await runDispatch(d, { concurrency: 4 }, ample);
    const again = await runDispatch(d, { concurrency: 4 }, ample);

    // Assess
    expect(summary).toMatchObject({ sources: 3, disabled: 1, due: 1, dispatched: 1, failed: 0, skipped: 0 });
    expect(again).toMatchObject({ due: 0, dispatched: 0 });
    expect(invoker.invoked).toEqual(['due']);
    expect(registry.items.get('due')?.lastDispatchedAt).toBe(new Date(T0).toISOString());
    expect(metrics.values.slice(0, 2)).toEqual([
      { name: 'SourcesDue', value: 1, sourceId: undefined },
      { name: 'SourcesDispatched', value: 1, sourceId: undefined },
    ]);
  });

  it('starts the sources whose slot started longest ago first, ties by id', async () => {
    // Prepare: hourly sources (their slots start up to 59 minutes before now) and 1-minute ones.
    const registry = new MemoryRegistry();
    const ids = Array.from({ length: 30 }, (_, i) => `src-${i}`);
    ids.forEach((id, i) => {
      registry.seed({ sourceId: id, secretId: 's', scheduleMinutes: i % 2 === 0 ? 60 : 1 });
    });
    const invoker = recordingInvoker();
    const { deps: d } = deps(registry, invoker);

    // Act
    await runDispatch(d, { concurrency: 1 }, ample);

    // Assess
    const config = (id: string) => registry.items.get(id) as SourceConfig;
    const expected = [...ids].sort(
      (a, b) =>
        slotStart(a, config(a).scheduleMinutes, T0) - slotStart(b, config(b).scheduleMinutes, T0) ||
        (a < b ? -1 : 1),
    );
    expect(invoker.invoked).toEqual(expected);
    expect(new Set(ids.map((id) => slotStart(id, config(id).scheduleMinutes, T0))).size).toBeGreaterThan(2);
  });

  it('contains one source failing its record or its invoke: the others are dispatched, the failures metered', async () => {
    // Prepare
    const registry = new MemoryRegistry();
    for (const id of ['a', 'b', 'c', 'd', 'e']) registry.seed({ sourceId: id, secretId: 's' });
    registry.failMark.add('b');
    const invoker = recordingInvoker({ fail: new Set(['d']) });
    const { deps: d, metrics, lines } = deps(registry, invoker);

    // Act
    const summary = await runDispatch(d, { concurrency: 2 }, ample);

    // Assess
    expect(summary).toMatchObject({ due: 5, dispatched: 3, failed: 2 });
    expect(summary.failures).toEqual([
      { sourceId: 'b', stage: 'record', error: 'Error: simulated DynamoDB failure' },
      { sourceId: 'd', stage: 'invoke', error: 'Error: simulated invoke failure for d' },
    ]);
    expect(invoker.invoked.sort()).toEqual(['a', 'c', 'e']);
    expect(metrics.values.filter((m) => m.name === 'DispatchFailures')).toEqual([
      { name: 'DispatchFailures', value: 1, sourceId: 'b' },
      { name: 'DispatchFailures', value: 1, sourceId: 'd' },
    ]);
    expect(lines.filter((l) => l.level === 'error').map((l) => l.attributes?.sourceId)).toEqual(['b', 'd']);
  });

  it('counts a slot another dispatcher won as alreadyDispatched and a source removed meanwhile as skipped', async () => {
    // Prepare: the listing is taken before another dispatcher records "won" and "gone" is removed.
    const registry = new MemoryRegistry();
    for (const id of ['gone', 'mine', 'won']) registry.seed({ sourceId: id, secretId: 's' });
    const list = registry.list.bind(registry);
    registry.list = async () => {
      const listed = await list();
      await registry.markDispatched('won', new Date(T0).toISOString(), new Date(T0 - MINUTE).toISOString());
      registry.items.delete('gone');
      return listed;
    };
    const invoker = recordingInvoker();
    const { deps: d } = deps(registry, invoker);

    // Act
    const summary = await runDispatch(d, { concurrency: 3 }, ample);

    // Assess
    expect(summary).toMatchObject({ due: 3, dispatched: 1, alreadyDispatched: 1, skipped: 1, failed: 0 });
    expect(invoker.invoked).toEqual(['mine']);
  });

  it('never has more invokes in flight than the concurrency setting, and uses all of it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 40 }),
        async (concurrency, count) => {
          const registry = new MemoryRegistry();
          for (let i = 0; i < count; i += 1) registry.seed({ sourceId: `s-${i}`, secretId: 's' });
          const invoker = recordingInvoker({ delay: () => new Promise((resolve) => setImmediate(resolve)) });
          const summary = await runDispatch(deps(registry, invoker).deps, { concurrency }, ample);
          expect(summary.dispatched).toBe(count);
          expect(invoker.maxInFlight()).toBeLessThanOrEqual(concurrency);
          expect(invoker.maxInFlight()).toBe(Math.min(concurrency, count));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('starts no new source once the remaining time is below the safety margin (the rest is skipped, not recorded)', async () => {
    // Prepare: 10 s left, each source takes 3 s of it; margin 5 s.
    const registry = new MemoryRegistry();
    for (let i = 0; i < 6; i += 1) registry.seed({ sourceId: `s-${i}`, secretId: 's' });
    let remaining = 10_000;
    const invoker = recordingInvoker({
      delay: async () => {
        remaining -= 3_000;
      },
    });
    const { deps: d, lines } = deps(registry, invoker);

    // Act
    const summary = await runDispatch(
      d,
      { concurrency: 1, safetyMarginMs: 5_000 },
      { remainingMs: () => remaining },
    );

    // Assess
    expect(summary).toMatchObject({ due: 6, dispatched: 2, skipped: 4, failed: 0 });
    expect(registry.marks).toHaveLength(2);
    expect(invoker.invoked).toEqual(registry.marks);
    expect(lines.some((l) => l.level === 'warn')).toBe(true);
  });

  it('fails the run when the registry cannot be read, and refuses a concurrency below 1', async () => {
    const registry = new MemoryRegistry();
    registry.list = async () => {
      throw new Error('registry unreachable');
    };
    await expect(
      runDispatch(deps(registry, recordingInvoker()).deps, { concurrency: 1 }, ample),
    ).rejects.toThrow('registry unreachable');
    await expect(
      runDispatch(deps(new MemoryRegistry(), recordingInvoker()).deps, { concurrency: 0 }, ample),
    ).rejects.toThrow(RangeError);
  });
});

describe('LambdaCollectorInvoker', () => {
  it('sends an Event invocation with {"sourceId"} and takes only a 202 as success', async () => {
    const sent: unknown[] = [];
    let status: number | undefined = 202;
    const client = {
      send: async (command: { input: unknown }) => {
        sent.push(command.input);
        return { StatusCode: status, $metadata: {} };
      },
    };
    const invoker = new LambdaCollectorInvoker(client as never, 'collector-fn');

    await invoker.invoke('acme');
    status = 200;
    const notAccepted = invoker.invoke('acme');

    await expect(notAccepted).rejects.toBeInstanceOf(CollectorInvokeError);
    expect(sent[0]).toEqual({
      FunctionName: 'collector-fn',
      InvocationType: 'Event',
      Payload: collectorPayload('acme'),
    });
    expect(JSON.parse(new TextDecoder().decode(collectorPayload('acme')))).toEqual({ sourceId: 'acme' });
  });
});
