/**
 * All events the simulator holds: the lazily generated stream plus hand-added events, merged
 * per bucket and cached (bounded LRU) so paging through a large range stays cheap.
 */
import type { RawAuditEvent } from '#core/mimecast/types.js';
import { parseEventTime } from './dates.js';
import { BUCKET_MS, bucketOf, type GeneratorSettings, generateBucket, type HeldEvent } from './generator.js';

/** A position in the global order (timeMs, seq); pages resume strictly below it. */
export interface Position {
  timeMs: number;
  seq: number;
}

/** What a search selects. `endMs` is inclusive, deliberately (see docs/development.md, Paging and time). */
export interface SearchFilter {
  startMs: number;
  endMs: number;
  /** Only events with `visibleAt ≤ asOf` (and, for generated ones, that exist by then). */
  asOf: number;
  /** Events older than this have left the history. */
  floorMs: number;
  categories?: ReadonlySet<string> | undefined;
  /** Lower-cased free text, matched as a substring of eventInfo, auditType or user. */
  text?: string | undefined;
}

// Hand-added events sort after generated ones of the same millisecond (seq is only a tie-breaker).
const ADDED_SEQ_BASE = 1_000_000_000;
// Sequential paging touches one or two buckets per page; this keeps re-drains (retries, a redone
// window) cheap while the cache stays small next to the code under test in the same process.
const CACHED_EVENTS_TARGET = 50_000;

const compare = (a: Position, b: Position): number => a.timeMs - b.timeMs || a.seq - b.seq;

function textMatches(event: RawAuditEvent, text: string): boolean {
  for (const field of [event.eventInfo, event.auditType, event.user]) {
    if (typeof field === 'string' && field.toLowerCase().includes(text)) return true;
  }
  return false;
}

function matches(held: HeldEvent, filter: SearchFilter): boolean {
  if (held.visibleAt > filter.asOf) return false;
  if (filter.categories && !filter.categories.has(String(held.event.category))) return false;
  return filter.text === undefined || textMatches(held.event, filter.text);
}

// Index of the last element with key < `limit` (or -1), in an ascending array.
function lastBelow(events: readonly HeldEvent[], limit: Position): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const item = events[mid];
    if (item && compare(item, limit) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** The simulator's event holdings. */
export class EventStore {
  private readonly cache = new Map<number, HeldEvent[]>();
  private readonly cacheLimit: number;
  private readonly added = new Map<number, HeldEvent[]>();
  /** Buckets holding added events, ascending (to skip empty future time quickly). */
  private addedBuckets: number[] = [];
  private addedCount = 0;

  constructor(private readonly settings: GeneratorSettings) {
    const perBucket = (settings.eventsPerDay * BUCKET_MS) / 86_400_000;
    this.cacheLimit = Math.max(16, Math.min(4096, Math.ceil(CACHED_EVENTS_TARGET / Math.max(1, perBucket))));
  }

  /**
   * Adds hand-made events as given (they may be malformed). Each is placed at its parsed
   * eventTime; one without a parseable eventTime is placed at `visibleAt`, else at `now`.
   */
  add(events: readonly RawAuditEvent[], visibleAt: number | undefined, now: number): void {
    for (const event of events) {
      const timeMs = parseEventTime(event.eventTime) ?? visibleAt ?? now;
      const bucket = bucketOf(timeMs);
      const held: HeldEvent = {
        timeMs,
        seq: ADDED_SEQ_BASE + this.addedCount,
        visibleAt: visibleAt ?? timeMs,
        generated: false,
        event,
      };
      this.addedCount += 1;
      const list = this.added.get(bucket);
      if (list) list.push(held);
      else {
        this.added.set(bucket, [held]);
        this.addedBuckets = [...this.added.keys()].sort((a, b) => a - b);
      }
      this.cache.delete(bucket);
    }
  }

  /** Up to `limit` matching events strictly below `after` (or from `endMs` down), newest first. */
  searchNewestFirst(filter: SearchFilter, after: Position | undefined, limit: number): HeldEvent[] {
    const out: HeldEvent[] = [];
    const lowMs = Math.max(filter.startMs, filter.floorMs);
    // Inclusive end: everything up to the last millisecond of the end second's key space.
    const endLimit: Position = { timeMs: filter.endMs, seq: Number.MAX_SAFE_INTEGER };
    const top = after && compare(after, endLimit) < 0 ? after : endLimit;
    const lowBucket = bucketOf(lowMs);
    const generatedTop = bucketOf(filter.asOf);
    let bucket = bucketOf(top.timeMs);
    while (bucket >= lowBucket && out.length < limit) {
      if (bucket > generatedTop) {
        // Nothing generated exists past asOf: only jump between buckets holding added events.
        const addedBucket = this.highestAddedBucketAtMost(bucket);
        if (addedBucket === undefined || addedBucket <= generatedTop) {
          bucket = generatedTop;
          continue;
        }
        bucket = addedBucket;
      }
      const events = this.bucketEvents(bucket);
      for (let i = lastBelow(events, top); i >= 0 && out.length < limit; i -= 1) {
        const held = events[i];
        if (!held) continue;
        if (held.timeMs < lowMs) break;
        if (matches(held, filter)) out.push(held);
      }
      bucket -= 1;
    }
    return out;
  }

  /**
   * Every event that has happened by `now` with `startMs ≤ time < endMs`, oldest first, visible
   * or not yet visible. Not cut at the history window: an archive keeps events that Mimecast
   * has since dropped, and tests compare the two over long simulated spans.
   */
  happenedBetween(startMs: number, endMs: number, now: number): HeldEvent[] {
    const out: HeldEvent[] = [];
    const lowMs = startMs;
    if (endMs <= lowMs) return out;
    const lastGenerated = Math.min(bucketOf(endMs - 1), bucketOf(now));
    const take = (bucket: number): void => {
      for (const held of this.bucketEvents(bucket)) {
        if (held.timeMs < lowMs || held.timeMs >= endMs) continue;
        if (held.generated && held.timeMs > now) continue;
        out.push(held);
      }
    };
    for (let bucket = bucketOf(lowMs); bucket <= lastGenerated; bucket += 1) take(bucket);
    for (const bucket of this.addedBuckets) {
      if (bucket > lastGenerated && bucket >= bucketOf(lowMs) && bucket <= bucketOf(endMs - 1)) take(bucket);
    }
    return out;
  }

  private highestAddedBucketAtMost(bucket: number): number | undefined {
    for (let i = this.addedBuckets.length - 1; i >= 0; i -= 1) {
      const candidate = this.addedBuckets[i];
      if (candidate !== undefined && candidate <= bucket) return candidate;
    }
    return undefined;
  }

  private bucketEvents(bucket: number): HeldEvent[] {
    const cached = this.cache.get(bucket);
    if (cached) {
      // Refresh recency: Map iteration order is insertion order, so the first key is the LRU one.
      this.cache.delete(bucket);
      this.cache.set(bucket, cached);
      return cached;
    }
    const generated = generateBucket(this.settings, bucket);
    const added = this.added.get(bucket);
    const events = added ? [...generated, ...added].sort(compare) : generated;
    this.cache.set(bucket, events);
    if (this.cache.size > this.cacheLimit) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    return events;
  }
}
