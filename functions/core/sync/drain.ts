/**
 * Reading one search to the end, or stopping early: when the sink holds more events than its
 * cap (memory), or when the search has used its share of the run's time while more pages
 * remain. Either way the caller splits the range and tries a smaller one: a source never stalls
 * on a window that is too dense or too slow to drain in one go.
 */
import type { RawAuditEvent } from '#core/mimecast/types.js';
import type { Clock } from '#core/ports.js';
import type { WindowSearch } from './read-ahead.js';
import type { DrainTracker } from './run-context.js';

/** Where a drained page goes. */
export interface PageSink {
  addPage(events: readonly RawAuditEvent[]): void;
  /** True once the sink holds more than it may (the drain stops). */
  readonly overCap: boolean;
  /** Distinct in-range events so far. */
  readonly events: number;
  readonly oldestMs: number | undefined;
}

/** How a drain ended. */
export type DrainOutcome = { kind: 'complete' } | { kind: 'stopped'; reason: 'events' | 'time' };

/** Drains `search` into `sink`, updating `tracker` as pages arrive. */
export async function drainSearch(
  search: WindowSearch,
  sink: PageSink,
  options: {
    clock: Clock;
    shareDeadline: number | undefined;
    tracker: DrainTracker;
    onPage: () => void;
    /** Told the pages read and the time taken when the drain ends, however it ends. */
    onEnd?: (pages: number, elapsedMs: number) => void;
  },
): Promise<DrainOutcome> {
  try {
    return await drainPages(search, sink, options);
  } finally {
    options.onEnd?.(options.tracker.pages, options.clock.now() - options.tracker.startedAt);
  }
}

async function drainPages(
  search: WindowSearch,
  sink: PageSink,
  options: { clock: Clock; shareDeadline: number | undefined; tracker: DrainTracker; onPage: () => void },
): Promise<DrainOutcome> {
  const { clock, shareDeadline, tracker } = options;
  for await (const page of search.pages()) {
    sink.addPage(page.events);
    options.onPage();
    tracker.pages += 1;
    tracker.events = sink.events;
    tracker.oldestMs = sink.oldestMs;
    if (sink.overCap) return { kind: 'stopped', reason: 'events' };
    // Out of its share with more to read: stop now and split, rather than use the whole run and
    // commit nothing. A page without `next` was the last one: the search is complete.
    if (shareDeadline !== undefined && page.next !== undefined && clock.now() > shareDeadline) {
      return { kind: 'stopped', reason: 'time' };
    }
  }
  return { kind: 'complete' };
}

/**
 * The length (seconds) of the first part of a `[startMs, endMs)` range that turned out too big,
 * from what the stopped drain saw: the density of events over the part of the range it covered
 * (Mimecast answers newest first, so that is `[oldest seen, end)`; if it is not, the density is
 * underestimated and the next attempt splits again) and how fast events arrived. Aims at half of
 * what fits (in the cap, and in `timeShareMs`); always at most half the range, at least a second.
 */
export function splitSeconds(
  range: { startMs: number; endMs: number },
  seen: { events: number; oldestMs?: number | undefined; elapsedMs: number },
  limits: { capEvents: number; timeShareMs: number },
): number {
  const lengthSeconds = Math.floor((range.endMs - range.startMs) / 1000);
  const half = Math.max(1, Math.floor(lengthSeconds / 2));
  if (seen.events <= 0) return half;
  const coveredMs =
    range.endMs - Math.min(Math.max(seen.oldestMs ?? range.startMs, range.startMs), range.endMs);
  const density = seen.events / Math.max(1, coveredMs / 1000);
  const affordable =
    seen.elapsedMs > 0 ? (seen.events * limits.timeShareMs) / seen.elapsedMs : Number.POSITIVE_INFINITY;
  const target = Math.max(1, Math.min(limits.capEvents, affordable) / 2);
  return Math.max(1, Math.min(half, Math.floor(target / density)));
}
