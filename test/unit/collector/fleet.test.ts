import { describe, expect, it } from 'vitest';
import { collectorEnvSchema, parseEnvironment } from '#core/config/env.js';
import { type FleetCollectorConfig, fleetCollectorEnvSchema } from '#core/config/fleet-collector-env.js';
import { type SourceConfig, sourceConfigSchema } from '#core/registry/source-config.js';
import {
  type CredentialIdentity,
  createFleetCollector,
  FleetCollector,
  RuntimeCache,
  SourceNotInRegistryError,
  shareCredentials,
  sourceCollectorConfig,
} from '../../../functions/collector/fleet.js';
import type { OwnedCollectorRuntime } from '../../../functions/collector/runtime.js';

const ROLE = 'arn:aws:iam::123456789012:role/mimecast-source-access';
const FLEET_ENV = {
  SOURCE_REGISTRY: 'true',
  SOURCE_ACCESS_ROLE_ARN: ROLE,
  BUCKET_NAME: 'lake-bucket',
  CURSOR_TABLE_NAME: 'lake-cursor',
};
const defaults = (env: Record<string, string> = {}): FleetCollectorConfig =>
  parseEnvironment(fleetCollectorEnvSchema, { ...FLEET_ENV, ...env });
const source = (input: Partial<SourceConfig> & { sourceId: string }): SourceConfig =>
  sourceConfigSchema.parse({ secretId: `mimecast-audit-lake/${input.sourceId}`, ...input });

describe('the fleet collector environment', () => {
  it("has the one-source collector's defaults for every shared setting", () => {
    // Act
    const fleet = defaults();
    const single = parseEnvironment(collectorEnvSchema, {
      ...FLEET_ENV,
      SOURCE_ID: 'x',
      MIMECAST_SECRET_ID: 'y',
    });

    // Assess
    const { SOURCE_ID: _id, MIMECAST_SECRET_ID: _secret, ...shared } = single;
    expect(fleet).toEqual({ ...shared, SOURCE_REGISTRY: 'true', SOURCE_ACCESS_ROLE_ARN: ROLE });
  });

  it('refuses a fixed source beside the registry, by variable name', () => {
    expect(() => defaults({ SOURCE_ID: 'eu', MIMECAST_SECRET_ID: 'mimecast/eu' })).toThrow(
      /SOURCE_ID: must not be set when SOURCE_REGISTRY=true.*MIMECAST_SECRET_ID: must not be set/,
    );
  });

  it.each([
    ['SOURCE_REGISTRY', { SOURCE_REGISTRY: 'yes' }],
    ['SOURCE_ACCESS_ROLE_ARN', { SOURCE_ACCESS_ROLE_ARN: 'mimecast-source-access' }],
    ['LOOKBACK_DAYS', { LOOKBACK_DAYS: '90' }],
  ])('names a bad %s', (name, env) => {
    expect(() => defaults(env)).toThrow(new RegExp(`Invalid environment: .*${name}:`));
  });

  it('requires the role, the bucket and the table', () => {
    expect(() => parseEnvironment(fleetCollectorEnvSchema, { SOURCE_REGISTRY: 'true' })).toThrow(
      /BUCKET_NAME.*CURSOR_TABLE_NAME.*SOURCE_ACCESS_ROLE_ARN/,
    );
  });

  it('refuses AWS limits that a hang could run past SAFETY_MARGIN_MS with', () => {
    expect(() => createFleetCollector({ ...FLEET_ENV, AWS_REQUEST_TIMEOUT_MS: '4000' })).toThrow(
      /SAFETY_MARGIN_MS/,
    );
  });
});

describe("a source's collector configuration", () => {
  it("overlays the registry item's id, secret, lookback, settle and rescans on the fleet defaults", () => {
    // Prepare
    const fleet = defaults({ MAX_WINDOW_SECONDS: '3600', DATA_PREFIX: 'tenants/audit' });
    const acme = source({
      sourceId: 'acme',
      secretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:mimecast-audit-lake/acme-AbCdEf',
      lookbackDays: 7,
      settleSeconds: 120,
      rescanAfterSeconds: [86_400, 3_600, 7_200],
    });

    // Act
    const config = sourceCollectorConfig(fleet, acme);

    // Assess
    expect(config).toMatchObject({
      SOURCE_ID: 'acme',
      MIMECAST_SECRET_ID: acme.secretId,
      LOOKBACK_DAYS: 7,
      SETTLE_SECONDS: 120,
      RESCAN_AFTER_SECONDS: [3_600, 7_200, 86_400],
      MAX_WINDOW_SECONDS: 3600,
      DATA_PREFIX: 'tenants/audit',
      BUCKET_NAME: 'lake-bucket',
      CURSOR_TABLE_NAME: 'lake-cursor',
    });
    expect(config).not.toHaveProperty('SOURCE_REGISTRY');
    expect(config).not.toHaveProperty('SOURCE_ACCESS_ROLE_ARN');
    // Every key of a one-source configuration, no more.
    const single = parseEnvironment(collectorEnvSchema, { ...FLEET_ENV, MIMECAST_SECRET_ID: 'x' });
    expect(Object.keys(config).sort()).toEqual(Object.keys(single).sort());
    // The item's array is not reordered in place.
    expect(acme.rescanAfterSeconds).toEqual([86_400, 3_600, 7_200]);
  });

  it('turns rescans off for an empty list and refuses repeated ages', () => {
    expect(
      sourceCollectorConfig(defaults(), source({ sourceId: 'a', rescanAfterSeconds: [] }))
        .RESCAN_AFTER_SECONDS,
    ).toEqual([]);
    expect(() =>
      sourceCollectorConfig(defaults(), source({ sourceId: 'a', rescanAfterSeconds: [3600, 3600] })),
    ).toThrow(/source "a" in the registry: rescanAfterSeconds: ages must be distinct/);
  });
});

describe('the runtime cache', () => {
  it('drops the least recently used entry beyond its cap, and says so', () => {
    // Prepare
    const evicted: string[] = [];
    const cache = new RuntimeCache<number>(2, (value, key) => evicted.push(`${key}=${value}`));
    cache.set('a', 1);
    cache.set('b', 2);
    cache.get('a');

    // Act
    cache.set('c', 3);

    // Assess
    expect(evicted).toEqual(['b=2']);
    expect(cache.keys()).toEqual(['a', 'c']);
    expect(cache.get('b')).toBeUndefined();
  });

  it('evicts a replaced entry and a deleted one', () => {
    // Prepare
    const evicted: number[] = [];
    const cache = new RuntimeCache<number>(5, (value) => evicted.push(value));
    cache.set('a', 1);

    // Act
    cache.set('a', 2);
    cache.delete('a');
    cache.delete('a');

    // Assess
    expect(evicted).toEqual([1, 2]);
    expect(cache.size).toBe(0);
  });

  it('needs room for at least one entry', () => {
    expect(() => new RuntimeCache(0)).toThrow(/room for one entry/);
  });
});

describe('credentials shared by the clients of one source', () => {
  const identity = (n: number, expiresAtMs?: number): CredentialIdentity => ({
    accessKeyId: `AKIA${n}`,
    secretAccessKey: `secret-${n}`,
    sessionToken: `token-${n}`,
    expiration: expiresAtMs === undefined ? undefined : new Date(expiresAtMs),
  });

  it('fetches once for concurrent callers and keeps the credentials until shortly before they expire', async () => {
    // Prepare
    let now = 0;
    let fetched = 0;
    const shared = shareCredentials(
      async () => {
        fetched += 1;
        return identity(fetched, now + 60 * 60_000);
      },
      () => now,
    );

    // Act
    const first = await Promise.all([shared(), shared(), shared()]);
    now = 50 * 60_000;
    const stillFresh = await shared();
    now = 55 * 60_000;
    const renewed = await shared();

    // Assess
    expect(first.map((c) => c.accessKeyId)).toEqual(['AKIA1', 'AKIA1', 'AKIA1']);
    expect(stillFresh.accessKeyId).toBe('AKIA1');
    expect(renewed.accessKeyId).toBe('AKIA2');
    expect(fetched).toBe(2);
  });

  it('does not keep a failed fetch', async () => {
    // Prepare
    let attempts = 0;
    const shared = shareCredentials(async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('AccessDenied');
      return identity(attempts);
    });

    // Act
    const failure = await shared().catch((err: unknown) => err);
    const second = await shared();
    const third = await shared();

    // Assess
    expect(failure).toMatchObject({ message: 'AccessDenied' });
    expect(second.accessKeyId).toBe('AKIA2');
    expect(third).toBe(second);
    expect(attempts).toBe(2);
  });
});

/** A runtime stand-in that only records what was built and destroyed. */
function recordingBuilder() {
  const built: Array<{ sourceId: string; secretId: string }> = [];
  const destroyed: string[] = [];
  const build = (config: ReturnType<typeof sourceCollectorConfig>): OwnedCollectorRuntime => {
    built.push({ sourceId: config.SOURCE_ID, secretId: config.MIMECAST_SECRET_ID });
    return {
      config,
      objects: {} as OwnedCollectorRuntime['objects'],
      cursor: {} as OwnedCollectorRuntime['cursor'],
      session: {} as OwnedCollectorRuntime['session'],
      destroy: () => destroyed.push(config.SOURCE_ID),
    };
  };
  return { built, destroyed, build };
}

/** An in-memory registry (only `get`, which is all a collector may call). */
function registryOf(...sources: SourceConfig[]) {
  const items = new Map(sources.map((s) => [s.sourceId, s]));
  return { items, get: async (id: string) => items.get(id) };
}

describe("a fleet container's sources", () => {
  it('fails clearly for a source that is not in the registry', async () => {
    // Prepare
    const { build, built } = recordingBuilder();
    const fleet = new FleetCollector(defaults(), registryOf(source({ sourceId: 'acme' })), build);

    // Act
    const error = await fleet.prepare('globex').catch((err: unknown) => err);

    // Assess
    expect(error).toBeInstanceOf(SourceNotInRegistryError);
    expect((error as Error).message).toBe('source "globex" is not in the registry');
    expect(built).toEqual([]);
  });

  it('skips a disabled source without building anything, and drops what it had cached', async () => {
    // Prepare
    const { build, built, destroyed } = recordingBuilder();
    const registry = registryOf(source({ sourceId: 'acme' }));
    const fleet = new FleetCollector(defaults(), registry, build);
    await fleet.prepare('acme');
    registry.items.set('acme', source({ sourceId: 'acme', enabled: false }));

    // Act
    const run = await fleet.prepare('acme');

    // Assess
    expect(run).toEqual({ kind: 'disabled' });
    expect(built).toHaveLength(1);
    expect(destroyed).toEqual(['acme']);
    expect(fleet.cachedSources()).toEqual([]);
  });

  it("reuses a source's runtime on warm invocations, with the registry's current settings", async () => {
    // Prepare
    const { build, built } = recordingBuilder();
    const registry = registryOf(source({ sourceId: 'acme', lookbackDays: 3 }));
    const fleet = new FleetCollector(defaults(), registry, build);
    const first = await fleet.prepare('acme');
    registry.items.set('acme', source({ sourceId: 'acme', lookbackDays: 9, settleSeconds: 30 }));

    // Act
    const second = await fleet.prepare('acme');

    // Assess
    expect(built).toHaveLength(1);
    if (first.kind !== 'ready' || second.kind !== 'ready') throw new Error('expected runs');
    expect(second.runtime.session).toBe(first.runtime.session);
    expect(second.runtime.cursor).toBe(first.runtime.cursor);
    expect(first.runtime.config).toMatchObject({ SOURCE_ID: 'acme', LOOKBACK_DAYS: 3, SETTLE_SECONDS: 300 });
    expect(second.runtime.config).toMatchObject({ SOURCE_ID: 'acme', LOOKBACK_DAYS: 9, SETTLE_SECONDS: 30 });
  });

  it("builds a new runtime when the source's secret changes in the registry", async () => {
    // Prepare
    const { build, built, destroyed } = recordingBuilder();
    const registry = registryOf(source({ sourceId: 'acme', secretId: 'old' }));
    const fleet = new FleetCollector(defaults(), registry, build);
    await fleet.prepare('acme');
    registry.items.set('acme', source({ sourceId: 'acme', secretId: 'new' }));

    // Act
    await fleet.prepare('acme');

    // Assess
    expect(built).toEqual([
      { sourceId: 'acme', secretId: 'old' },
      { sourceId: 'acme', secretId: 'new' },
    ]);
    expect(destroyed).toEqual(['acme']);
  });

  it('keeps at most its cap of runtimes, dropping the least recently used', async () => {
    // Prepare
    const { build, destroyed } = recordingBuilder();
    const ids = ['a', 'b', 'c', 'd'];
    const fleet = new FleetCollector(
      defaults(),
      registryOf(...ids.map((id) => source({ sourceId: id }))),
      build,
      3,
    );
    for (const id of ['a', 'b', 'c', 'a']) await fleet.prepare(id);

    // Act
    await fleet.prepare('d');

    // Assess
    expect(destroyed).toEqual(['b']);
    expect(fleet.cachedSources()).toEqual(['c', 'a', 'd']);
  });

  it('refuses an item the registry answered for another source', async () => {
    // Prepare
    const { build } = recordingBuilder();
    const fleet = new FleetCollector(defaults(), { get: async () => source({ sourceId: 'globex' }) }, build);

    // Act + Assess
    await expect(fleet.prepare('acme')).rejects.toThrow(/answered source "globex" for "acme"/);
  });
});
