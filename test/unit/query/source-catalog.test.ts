import { describe, expect, it } from 'vitest';
import { type SourceConfig, sourceConfigSchema } from '#core/registry/source-config.js';
import { createTestClock } from '#test/support/clock.js';
import {
  envSourceCatalog,
  RegistrySourceCatalog,
  SourcesUnavailableError,
} from '../../../functions/query/lib/source-catalog.js';

const NOW = Date.UTC(2026, 0, 31, 12);

const config = (sourceId: string, extra: Partial<SourceConfig> = {}): SourceConfig =>
  sourceConfigSchema.parse({ sourceId, secretId: `mimecast-audit-lake/${sourceId}`, ...extra });

/** A registry whose listing a test changes, counts and can make fail. */
function fakeRegistry(initial: SourceConfig[]) {
  let sources = initial;
  let failure: Error | undefined;
  let calls = 0;
  return {
    calls: () => calls,
    set: (next: SourceConfig[]) => {
      sources = next;
    },
    fail: (err: Error | undefined) => {
      failure = err;
    },
    registry: {
      list: async () => {
        calls++;
        if (failure !== undefined) throw failure;
        return sources;
      },
    },
  };
}

describe('envSourceCatalog', () => {
  it('serves the environment sources in their order, every one enabled', async () => {
    // Prepare
    const catalog = envSourceCatalog([
      { id: 'emea', secretId: 's1' },
      { id: 'apac', secretId: 's2' },
    ]);
    // Act
    const list = await catalog.list();
    // Assess
    expect(catalog.kind).toBe('env');
    expect(list).toEqual([
      { id: 'emea', secretId: 's1', enabled: true },
      { id: 'apac', secretId: 's2', enabled: true },
    ]);
    expect(await catalog.get('apac')).toEqual({ id: 'apac', secretId: 's2', enabled: true });
    expect(await catalog.get('nope')).toBeUndefined();
  });
});

describe('RegistrySourceCatalog', () => {
  it('maps registry items to sources, disabled ones included', async () => {
    const fake = fakeRegistry([
      config('acme', { scheduleMinutes: 15 }),
      config('globex', { enabled: false }),
    ]);
    const catalog = new RegistrySourceCatalog(fake.registry, createTestClock(NOW), { ttlMs: 60_000 });
    expect(catalog.kind).toBe('registry');
    expect(await catalog.list()).toEqual([
      { id: 'acme', secretId: 'mimecast-audit-lake/acme', enabled: true, scheduleMinutes: 15 },
      { id: 'globex', secretId: 'mimecast-audit-lake/globex', enabled: false, scheduleMinutes: 5 },
    ]);
    expect((await catalog.get('globex'))?.enabled).toBe(false);
    expect(await catalog.get('initech')).toBeUndefined();
  });

  it('reads the registry once per TTL, and sees a change as soon as the TTL has passed', async () => {
    // Prepare
    const clock = createTestClock(NOW);
    const fake = fakeRegistry([config('acme')]);
    const catalog = new RegistrySourceCatalog(fake.registry, clock, { ttlMs: 60_000 });
    await catalog.list();
    fake.set([config('acme'), config('globex')]);
    // Act: a burst within the TTL
    for (let i = 0; i < 20; i++) await catalog.get('globex');
    clock.advance(59_999);
    const stillCached = await catalog.get('globex');
    clock.advance(1);
    const refreshed = await catalog.get('globex');
    // Assess
    expect(stillCached).toBeUndefined();
    expect(refreshed?.id).toBe('globex');
    expect(fake.calls()).toBe(2);
  });

  it('shares one registry read among concurrent requests', async () => {
    const fake = fakeRegistry([config('acme')]);
    const catalog = new RegistrySourceCatalog(fake.registry, createTestClock(NOW), { ttlMs: 60_000 });
    const answers = await Promise.all(Array.from({ length: 10 }, () => catalog.list()));
    expect(fake.calls()).toBe(1);
    expect(new Set(answers).size).toBe(1);
  });

  it('fails with SourcesUnavailableError when the first read fails, and does not cache the failure', async () => {
    // Prepare
    const fake = fakeRegistry([config('acme')]);
    const errors: Array<{ err: unknown; stale: boolean }> = [];
    const catalog = new RegistrySourceCatalog(fake.registry, createTestClock(NOW), {
      ttlMs: 60_000,
      onReadError: (err, stale) => errors.push({ err, stale }),
    });
    fake.fail(new Error('ProvisionedThroughputExceededException'));
    // Act
    const failed = await catalog.list().catch((err: unknown) => err);
    fake.fail(undefined);
    const next = await catalog.list();
    // Assess
    expect(failed).toBeInstanceOf(SourcesUnavailableError);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.stale).toBe(false);
    expect(next.map((s) => s.id)).toEqual(['acme']);
  });

  it('serves the last list while the registry is unreadable, retrying every few seconds, up to maxStaleMs', async () => {
    // Prepare
    const clock = createTestClock(NOW);
    const fake = fakeRegistry([config('acme')]);
    const stale: boolean[] = [];
    const catalog = new RegistrySourceCatalog(fake.registry, clock, {
      ttlMs: 60_000,
      retryAfterErrorMs: 5_000,
      maxStaleMs: 300_000,
      onReadError: (_err, servedStale) => stale.push(servedStale),
    });
    await catalog.list();
    fake.fail(new Error('timeout'));
    // Act
    clock.advance(60_000);
    const first = await catalog.list();
    clock.advance(4_999);
    await catalog.list(); // still within the retry pause: no read
    const callsDuringPause = fake.calls();
    clock.advance(1);
    await catalog.list(); // retried, still failing, still served
    clock.advance(300_000 - 65_000 + 1); // the list is now older than maxStaleMs
    const tooOld = await catalog.list().catch((err: unknown) => err);
    // Assess
    expect(first.map((s) => s.id)).toEqual(['acme']);
    expect(callsDuringPause).toBe(2);
    expect(fake.calls()).toBe(4);
    expect(stale).toEqual([true, true, false]);
    expect(tooOld).toBeInstanceOf(SourcesUnavailableError);
  });
});
