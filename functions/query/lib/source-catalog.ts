/**
 * Which sources the query API serves. Two implementations of one small port:
 * - the environment (SOURCES, or SOURCE_ID/MIMECAST_SECRET_ID): a fixed list, every source enabled;
 * - the source registry (fleet mode, SOURCE_REGISTRY=true): the registry items of the cursor
 *   table, read at most once per SOURCE_CACHE_SECONDS (60 s) per container, so a burst of
 *   requests costs one Scan. A source added, disabled or removed in the registry is seen by every
 *   container within that time. Concurrent requests share one read; a failed read is not cached.
 *   If the registry cannot be read and an earlier list is at most `maxStaleMs` old, that list is
 *   served (and the read retried after `retryAfterErrorMs`), so a DynamoDB hiccup does not stop
 *   live searches; with nothing recent enough the request fails with SourcesUnavailableError.
 */
import type { SourceConfig } from '#core/config/env.js';
import type { Clock } from '#core/ports.js';
import type { SourceRegistry } from '#core/registry/source-config.js';

/** A source as the query API sees it. */
export interface CatalogSource extends SourceConfig {
  /** False: live searches are refused (archive queries and status still answer). */
  enabled: boolean;
  /** Minutes between collector runs (registry only; the environment's sources run on the stack's schedule). */
  scheduleMinutes?: number | undefined;
}

/** The port. */
export interface SourceCatalog {
  /** `env`: fixed by the environment; `registry`: the fleet's source registry. */
  readonly kind: 'env' | 'registry';
  /** Every source served, in a stable order (the environment's order; the registry's: by id). */
  list(): Promise<readonly CatalogSource[]>;
  /** One source; undefined when it is not served. */
  get(sourceId: string): Promise<CatalogSource | undefined>;
}

/** The sources could not be read (fleet mode: the registry is unreachable). */
export class SourcesUnavailableError extends Error {
  constructor(cause: unknown) {
    super('the source registry could not be read', { cause });
    this.name = 'SourcesUnavailableError';
  }
}

/** The environment's sources (`querySources(config)`): fixed for the life of the container. */
export function envSourceCatalog(sources: readonly SourceConfig[]): SourceCatalog {
  const list: readonly CatalogSource[] = Object.freeze(
    sources.map((s) => ({ id: s.id, secretId: s.secretId, enabled: true })),
  );
  const byId = new Map(list.map((s) => [s.id, s]));
  return {
    kind: 'env',
    list: async () => list,
    get: async (sourceId) => byId.get(sourceId),
  };
}

/** Options of the registry catalog. */
export interface RegistryCatalogOptions {
  /** How long a list read from the registry is used (SOURCE_CACHE_SECONDS × 1000). */
  ttlMs: number;
  /** After a failed read, the earlier list is used this long before the registry is tried again. Default 5 s. */
  retryAfterErrorMs?: number | undefined;
  /** The oldest list served when the registry cannot be read. Default 5 × ttlMs. */
  maxStaleMs?: number | undefined;
  /** Told about every failed read (e.g. to log it). */
  onReadError?: ((err: unknown, servedStale: boolean) => void) | undefined;
}

interface Snapshot {
  sources: readonly CatalogSource[];
  byId: ReadonlyMap<string, CatalogSource>;
  /** When it was read from the registry. */
  readAt: number;
  /** Until when it is used without asking the registry. */
  freshUntil: number;
}

/** The registry's sources, cached per container. */
export class RegistrySourceCatalog implements SourceCatalog {
  readonly kind = 'registry';
  private snapshot: Snapshot | undefined;
  private loading: Promise<Snapshot> | undefined;
  private readonly retryAfterErrorMs: number;
  private readonly maxStaleMs: number;

  constructor(
    private readonly registry: Pick<SourceRegistry, 'list'>,
    private readonly clock: Clock,
    private readonly options: RegistryCatalogOptions,
  ) {
    this.retryAfterErrorMs = options.retryAfterErrorMs ?? 5_000;
    this.maxStaleMs = options.maxStaleMs ?? 5 * options.ttlMs;
  }

  async list(): Promise<readonly CatalogSource[]> {
    return (await this.current()).sources;
  }

  async get(sourceId: string): Promise<CatalogSource | undefined> {
    return (await this.current()).byId.get(sourceId);
  }

  private current(): Promise<Snapshot> {
    const known = this.snapshot;
    if (known !== undefined && this.clock.now() < known.freshUntil) return Promise.resolve(known);
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(): Promise<Snapshot> {
    let configs: Awaited<ReturnType<SourceRegistry['list']>>;
    try {
      configs = await this.registry.list();
    } catch (err: unknown) {
      const known = this.snapshot;
      const now = this.clock.now();
      const usable = known !== undefined && now - known.readAt <= this.maxStaleMs;
      this.options.onReadError?.(err, usable);
      if (!usable) throw new SourcesUnavailableError(err);
      this.snapshot = { ...known, freshUntil: now + this.retryAfterErrorMs };
      return this.snapshot;
    }
    const sources: readonly CatalogSource[] = Object.freeze(
      configs.map((c) => ({
        id: c.sourceId,
        secretId: c.secretId,
        enabled: c.enabled,
        scheduleMinutes: c.scheduleMinutes,
      })),
    );
    const now = this.clock.now();
    this.snapshot = {
      sources,
      byId: new Map(sources.map((s) => [s.id, s])),
      readAt: now,
      freshUntil: now + this.options.ttlMs,
    };
    return this.snapshot;
  }
}
