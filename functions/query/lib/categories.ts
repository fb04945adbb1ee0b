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

/** The source's categories: cached, or fetched from Mimecast (and cached) when stale. */
export async function categoriesOf(
  source: SourceConfig,
  cache: CategoryCache,
  ctx: RouteContext,
): Promise<AuditCategory[]> {
  let categories = cache.get(source.id);
  if (categories === undefined) {
    categories = await ctx.upstream(source, (client, options) => client.getCategories(options));
    cache.set(source.id, categories);
  }
  return categories;
}

/**
 * The codes of `requested` that are not among the source's categories (a typo, most likely).
 * Empty when the list cannot be fetched right now: then the search itself goes ahead, and a
 * refusal by Mimecast is still reported as the caller's mistake (upstream-errors.ts).
 */
export async function unknownCategories(
  requested: readonly string[],
  source: SourceConfig,
  cache: CategoryCache,
  ctx: RouteContext,
): Promise<string[]> {
  let known: AuditCategory[];
  try {
    known = await categoriesOf(source, cache, ctx);
  } catch {
    return [];
  }
  // An empty list tells nothing about which codes exist.
  if (known.length === 0) return [];
  const codes = new Set(known.map((c) => c.code));
  return requested.filter((code) => !codes.has(code));
}

/** Runs the route for the resolved source. */
export async function listCategories(
  source: SourceConfig,
  cache: CategoryCache,
  ctx: RouteContext,
): Promise<CategoriesBody> {
  const categories = await categoriesOf(source, cache, ctx);
  return {
    source: source.id,
    categories: categories.map((c) => ({
      code: c.code,
      ...(c.id === undefined ? {} : { id: c.id }),
      ...(c.name === undefined ? {} : { name: c.name }),
    })),
  };
}
