/**
 * Lists of disjoint time ranges (lost history, unreadable history) kept on the cursor. Every
 * new range is merged into the list, so overlapping reports of the same loss (a failing run
 * at the history floor reports it again on every attempt) count once: the seconds a merge
 * adds are exactly the seconds that were not recorded before.
 */
import type { RecordedRange } from '#core/ports.js';
import { toIsoSeconds } from '#core/time.js';

/** A range to record, in epoch ms (whole seconds). */
export interface RangeToRecord {
  startMs: number;
  endMs: number;
  /** When it was found (ISO, seconds). */
  at: string;
  reason: string;
}

/** The list keeps this many most recent ranges; the totals beside it count every range ever recorded. */
export const MAX_STORED_RANGES = 100;

interface MsRange {
  startMs: number;
  endMs: number;
  recordedAt: string;
  reason: string;
}

const toMs = (range: RecordedRange): MsRange | undefined => {
  const startMs = Date.parse(range.start);
  const endMs = Date.parse(range.end);
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs) || endMs <= startMs) return undefined;
  return { startMs, endMs, recordedAt: range.recordedAt, reason: range.reason };
};

const toRecorded = (range: MsRange): RecordedRange => ({
  start: toIsoSeconds(new Date(range.startMs)),
  end: toIsoSeconds(new Date(range.endMs)),
  recordedAt: range.recordedAt,
  reason: range.reason,
});

/** Seconds covered by a list of disjoint ranges. */
export function rangeSeconds(list: readonly RecordedRange[]): number {
  let total = 0;
  for (const range of list) {
    const ms = toMs(range);
    if (ms) total += Math.floor((ms.endMs - ms.startMs) / 1000);
  }
  return total;
}

/** Sorted, merged (touching ranges join), unparseable entries dropped. */
function normalise(list: readonly MsRange[]): MsRange[] {
  const sorted = [...list].sort((a, b) => a.startMs - b.startMs);
  const out: MsRange[] = [];
  for (const range of sorted) {
    const last = out[out.length - 1];
    if (last && range.startMs <= last.endMs) {
      // The merged range keeps the first report's reason; `recordedAt` moves to the latest report.
      last.endMs = Math.max(last.endMs, range.endMs);
      if (range.recordedAt > last.recordedAt) last.recordedAt = range.recordedAt;
    } else {
      out.push({ ...range });
    }
  }
  return out;
}

/** Seconds of `[startMs, endMs)` not covered by `list` (which is disjoint). */
function uncoveredMs(list: readonly MsRange[], startMs: number, endMs: number): number {
  let covered = 0;
  for (const range of list) {
    const from = Math.max(range.startMs, startMs);
    const to = Math.min(range.endMs, endMs);
    if (to > from) covered += to - from;
  }
  return endMs - startMs - covered;
}

/**
 * Merges `range` into `list`. Returns the new list (the most recent MAX_STORED_RANGES) and the
 * whole seconds it adds: 0 when the range was already recorded, its full length when new.
 */
export function addRange(
  list: readonly RecordedRange[],
  range: RangeToRecord,
): { list: RecordedRange[]; addedSeconds: number } {
  if (!(range.endMs > range.startMs)) return { list: [...list], addedSeconds: 0 };
  const current = normalise(list.map(toMs).filter((r): r is MsRange => r !== undefined));
  const addedMs = uncoveredMs(current, range.startMs, range.endMs);
  if (addedMs <= 0) return { list: current.map(toRecorded), addedSeconds: 0 };
  const merged = normalise([
    ...current,
    { startMs: range.startMs, endMs: range.endMs, recordedAt: range.at, reason: range.reason },
  ]);
  return { list: merged.slice(-MAX_STORED_RANGES).map(toRecorded), addedSeconds: Math.round(addedMs / 1000) };
}

/** Removes `[startMs, endMs)` from `list` (a range that turned out readable after all). */
export function removeRange(
  list: readonly RecordedRange[],
  startMs: number,
  endMs: number,
): { list: RecordedRange[]; removedSeconds: number } {
  const out: MsRange[] = [];
  let removedMs = 0;
  for (const range of normalise(list.map(toMs).filter((r): r is MsRange => r !== undefined))) {
    const from = Math.max(range.startMs, startMs);
    const to = Math.min(range.endMs, endMs);
    if (to <= from) {
      out.push(range);
      continue;
    }
    removedMs += to - from;
    if (range.startMs < from) out.push({ ...range, endMs: from });
    if (to < range.endMs) out.push({ ...range, startMs: to });
  }
  return { list: out.map(toRecorded), removedSeconds: Math.round(removedMs / 1000) };
}
