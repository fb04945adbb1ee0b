/** `GET /v1/categories`: Mimecast's category list per source, cached for CATEGORY_CACHE_SECONDS. */
import type { SourceConfig } from '#core/config/env.js';
import type { AuditCategory } from '#core/mimecast/types.js';
import type { Clock } from '#core/ports.js';
import type { RouteContext } from './context.js';
import type { CategoriesBody } from './response-schemas.js';

/** A per-source cache with a fixed lifetime, timed by the injected clock. */
export class CategoryCache {
  private readonly entries = new Map<string, { expiresAt: number; categories: AuditCategory[] }>();

  constructor(
    private readonly ttlMs: number,
    private readonly clock: Clock,
  ) {}

  /** The cached list, if still fresh. */
  get(sourceId: string): AuditCategory[] | undefined {
    const entry = this.entries.get(sourceId);
    if (entry === undefined) return undefined;
    if (this.clock.now() >= entry.expiresAt) {
      this.entries.delete(sourceId);
      return undefined;
    }
    return entry.categories;
  }

  /** Stores a fresh list. */
  set(sourceId: string, categories: AuditCategory[]): void {
    this.entries.set(sourceId, { expiresAt: this.clock.now() + this.ttlMs, categories });
  }
}

/** Runs the route for the resolved source. */
export async function listCategories(
  source: SourceConfig,
  cache: CategoryCache,
  ctx: RouteContext,
): Promise<CategoriesBody> {
  let categories = cache.get(source.id);
  if (categories === undefined) {
    categories = await ctx.upstream(source, (client, options) => client.getCategories(options));
    cache.set(source.id, categories);
  }
  return {
    source: source.id,
    categories: categories.map((c) => ({
      code: c.code,
      ...(c.id === undefined ? {} : { id: c.id }),
      ...(c.name === undefined ? {} : { name: c.name }),
    })),
  };
}
