/**
 * Rescan planning: pure arithmetic over the cursor's list of committed windows that are still to
 * be searched again for late-indexed events (RESCAN_AFTER_SECONDS).
 *
 * A window searched at instant `s` holds every event that was searchable by `s`; an event
 * indexed `d` seconds after its eventTime `t < end` is therefore found by any search with
 * `s − end ≥ d`. So a window needs a search at each age `A` (seconds after its end) that is larger
 * than the age of its latest search, and once it has been searched at the largest age it is done
 * and leaves the list. Windows first searched when already older than every age (a backfill) never
 * enter it. A due rescan waits up to RESCAN_BATCH_SHARE of its age so that neighbouring windows are
 * searched together in one request instead of one request each: a later search only finds more.
 */
import type { RescanWindow } from '#core/ports.js';

/** A due rescan waits at most this share of its age, gathering adjacent due windows into one search. */
export const RESCAN_BATCH_SHARE = 0.25;

/**
 * The cursor holds at most this many windows awaiting rescans (~50 bytes each in the item, well
 * inside DynamoDB's 400 KB); the oldest beyond it are dropped and counted as skipped rescans.
 */
export const MAX_RESCAN_WINDOWS = 2_000;

/** The largest age (seconds) of a rescan policy; 0 when rescans are off. */
export function largestAge(ages: readonly number[]): number {
  return ages.length === 0 ? 0 : Math.max(...ages);
}

/** True when `window` still needs a search at some age (its latest search was younger than the largest age). */
export function needsRescan(window: RescanWindow, ages: readonly number[]): boolean {
  return window.searchedAt - window.end < largestAge(ages);
}

/**
 * The age at which `window` is due for a rescan at `nowSec`: the smallest age larger than its
 * latest search's age that it has reached. `undefined` when none is due yet.
 */
export function dueAge(window: RescanWindow, nowSec: number, ages: readonly number[]): number | undefined {
  const searchedAge = window.searchedAt - window.end;
  const age = nowSec - window.end;
  let due: number | undefined;
  for (const candidate of ages) {
    if (candidate > searchedAge && candidate <= age && (due === undefined || candidate < due))
      due = candidate;
  }
  return due;
}

/** True when a due window has waited its batching slack and should be searched now. */
export function isRipe(window: RescanWindow, nowSec: number, age: number): boolean {
  return nowSec >= window.end + age + Math.floor(age * RESCAN_BATCH_SHARE);
}

/** Bounds of one rescan search. */
export interface RescanLimits {
  /** Stored events of the batch, summed (the first window is always taken). */
  maxEvents: number;
  /** Windows per batch. */
  maxWindows: number;
}

/** What to do with the rescan list now. */
export interface RescanPlan {
  /** Windows that start before Mimecast's history floor: they can no longer be searched. */
  skipped: RescanWindow[];
  /** The adjacent windows to search now, oldest first; empty when nothing is ripe. */
  batch: RescanWindow[];
  /** The age the batch's first window is due at (0 when there is no batch). */
  age: number;
}

/**
 * Picks the next rescan batch: the first run of adjacent due windows whose first window is
 * ripe, or that already fills a batch. Windows below `floorSec` are set aside as skipped.
 */
export function planRescan(
  list: readonly RescanWindow[],
  nowSec: number,
  floorSec: number,
  ages: readonly number[],
  limits: RescanLimits,
): RescanPlan {
  const skipped = list.filter((w) => w.start < floorSec);
  const searchable = list.filter((w) => w.start >= floorSec);
  for (let i = 0; i < searchable.length; i += 1) {
    const first = searchable[i];
    if (first === undefined) break;
    const age = dueAge(first, nowSec, ages);
    if (age === undefined) continue;
    const batch: RescanWindow[] = [first];
    let events = first.count;
    let full = false;
    for (let j = i + 1; j < searchable.length; j += 1) {
      const next = searchable[j];
      const previous = batch[batch.length - 1];
      if (next === undefined || previous === undefined || next.start !== previous.end) break;
      if (dueAge(next, nowSec, ages) === undefined) break;
      if (batch.length >= limits.maxWindows || events + next.count > limits.maxEvents) {
        full = true;
        break;
      }
      batch.push(next);
      events += next.count;
    }
    if (full || isRipe(first, nowSec, age)) return { skipped, batch, age };
    i += batch.length - 1;
  }
  return { skipped, batch: [], age: 0 };
}

/** The list after `searched` windows were searched at `searchedAt` with the fingerprints found. */
export function afterRescan(
  list: readonly RescanWindow[],
  searched: readonly RescanWindow[],
  searchedAt: number,
  ages: readonly number[],
): RescanWindow[] {
  const updated = new Map(searched.map((w) => [w.start, { ...w, searchedAt }]));
  return list.map((w) => updated.get(w.start) ?? w).filter((w) => needsRescan(w, ages));
}

/** The list without `removed` windows (matched by start). */
export function withoutWindows(
  list: readonly RescanWindow[],
  removed: readonly RescanWindow[],
): RescanWindow[] {
  const starts = new Set(removed.map((w) => w.start));
  return list.filter((w) => !starts.has(w.start));
}

/**
 * The list after committing `window`: appended when it still needs rescans; windows it overlaps
 * (none, unless the item was edited by hand) are replaced. Returns how many old windows had to be
 * dropped to stay within MAX_RESCAN_WINDOWS.
 */
export function afterCommit(
  list: readonly RescanWindow[],
  window: RescanWindow,
  ages: readonly number[],
): { list: RescanWindow[]; dropped: number } {
  if (!needsRescan(window, ages)) return { list: [...list], dropped: 0 };
  const kept = list.filter((w) => w.end <= window.start || w.start >= window.end);
  const next = [...kept, window].sort((a, b) => a.start - b.start);
  const dropped = Math.max(0, next.length - MAX_RESCAN_WINDOWS);
  return { list: next.slice(dropped), dropped };
}

/** The window of `list` holding `timeSec` (binary search; the list is sorted and disjoint). */
export function windowAt(list: readonly RescanWindow[], timeSec: number): RescanWindow | undefined {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const w = list[mid];
    if (w === undefined) return undefined;
    if (timeSec < w.start) hi = mid - 1;
    else if (timeSec >= w.end) lo = mid + 1;
    else return w;
  }
  return undefined;
}
