/**
 * Window planning: pure arithmetic over the cursor and "now", kept apart from I/O so every
 * edge (first run, the 60-day floor, the settle horizon, redo of a pending window) is unit
 * tested on its own. All instants are epoch ms at whole seconds: Mimecast's `eventTime` has
 * one-second precision and object names carry seconds, so sub-second bounds would only blur them.
 */
import type { CursorState, PendingWindow, RecordedGap, TimeWindow } from '#core/ports.js';
import { toIsoSeconds } from '#core/time.js';
import type { SyncSettings } from './settings.js';

const SECOND_MS = 1_000;
const DAY_MS = 86_400_000;

/** How far back Mimecast keeps audit events. */
export const MIMECAST_HISTORY_DAYS = 60;

/**
 * The floor is planned this much inside Mimecast's 60 days, so a window planned at the floor
 * is still searchable when its request is sent (or redone by the next scheduled run), and
 * clock skew between us and Mimecast does not get it rejected.
 */
export const HISTORY_FLOOR_MARGIN_MS = 30 * 60_000;

/** Reason text of a gap recorded because the watermark fell out of Mimecast's history. */
export const GAP_REASON_WATERMARK =
  "the watermark fell out of Mimecast's 60-day history (collection was stopped or failing)";
/** Reason text of a gap recorded because a saved pending window fell (partly) out of history before its redo. */
export const GAP_REASON_PENDING =
  "the pending window fell out of Mimecast's 60-day history before it could be redone";

/** Rounds down to a whole second. */
export function floorToSecond(ms: number): number {
  return Math.floor(ms / SECOND_MS) * SECOND_MS;
}

/** Rounds up to a whole second. */
export function ceilToSecond(ms: number): number {
  return Math.ceil(ms / SECOND_MS) * SECOND_MS;
}

/** The oldest instant worth asking Mimecast about: `now − 60 days` plus a margin, whole seconds. */
export function historyFloor(nowMs: number): number {
  return ceilToSecond(nowMs - MIMECAST_HISTORY_DAYS * DAY_MS + HISTORY_FLOOR_MARGIN_MS);
}

/** No window may end after this: `now − SETTLE_SECONDS`, whole seconds (late events get time to arrive). */
export function settleHorizon(nowMs: number, settleSeconds: number): number {
  return floorToSecond(nowMs - settleSeconds * SECOND_MS);
}

/** Where a first run starts: `now − LOOKBACK_DAYS`, never before the history floor. */
export function firstRunStart(nowMs: number, lookbackDays: number, floorMs = historyFloor(nowMs)): number {
  return Math.max(floorToSecond(nowMs - lookbackDays * DAY_MS), floorMs);
}

/** How our clock relates to Mimecast's, for one plan. */
export interface ClockView {
  /** Mimecast's clock minus ours, in ms (estimated from its Date headers; 0 when unknown). */
  offsetMs: number;
  /**
   * Extra distance from the history floor (ms) after Mimecast rejected a search at the floor
   * as too old: our estimate of its clock or of its retention was off by at least this much.
   */
  floorAdjustMs: number;
}

/** No offset, no adjustment. */
export const SAME_CLOCK: ClockView = { offsetMs: 0, floorAdjustMs: 0 };

/**
 * "Now" for the settle horizon and for ages: the EARLIER of the two clocks. With Mimecast behind
 * us, planning by our clock would close windows Mimecast is still filling (by its clock).
 */
export function horizonNow(nowMs: number, clock: ClockView): number {
  return nowMs + Math.min(0, clock.offsetMs);
}

/**
 * The oldest searchable instant: 60 days before the LATER of the two clocks (Mimecast enforces
 * its limit by its own clock, so with Mimecast ahead of us the floor by our clock is too old),
 * plus the margin and any adjustment learned from a rejection.
 */
export function effectiveFloor(nowMs: number, clock: ClockView): number {
  return ceilToSecond(historyFloor(nowMs + Math.max(0, clock.offsetMs)) + Math.max(0, clock.floorAdjustMs));
}

/** What the next step of a run is. */
export type WindowPlan =
  | {
      /** A saved pending window: redo exactly it (same keys), whatever its size. */
      kind: 'redo';
      pending: PendingWindow;
      startMs: number;
      endMs: number;
      /** Where the search starts: the window start, or the history floor if it fell out of history. */
      fetchStartMs: number;
      /** Set when part of the window is no longer searchable. */
      gap?: RecordedGap | undefined;
    }
  | {
      /** A new window from the watermark (or the first-run start). */
      kind: 'fresh';
      pending: PendingWindow;
      startMs: number;
      endMs: number;
      /** Set on the first run: where the backfill starts. */
      backfillFrom?: string | undefined;
      /** Set when the watermark fell out of history and the start was moved to the floor. */
      gap?: RecordedGap | undefined;
    }
  | { kind: 'caught_up' };

/** Parses one of the cursor's ISO instants; throws on a corrupt value rather than guessing. */
export function parseInstant(value: string, field: string): number {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new Error(`cursor field ${field} is not a valid instant`);
  return ms;
}

/**
 * Plans the next window for `state` at `nowMs` with a window of `windowSeconds`. A pending
 * window is returned as a redo (the engine decides whether to redo it whole or split it);
 * otherwise the window starts at the watermark (first run: `now − LOOKBACK_DAYS`, clamped to
 * the history floor) and ends `windowSeconds` later or at the settle horizon, whichever comes
 * first. The horizon and the floor follow `clock` (see horizonNow and effectiveFloor).
 */
export function planWindow(
  state: Pick<CursorState, 'watermark' | 'pending' | 'backfillFrom'>,
  nowMs: number,
  settings: Pick<SyncSettings, 'LOOKBACK_DAYS' | 'SETTLE_SECONDS'>,
  windowSeconds: number,
  clock: ClockView = SAME_CLOCK,
): WindowPlan {
  const floor = effectiveFloor(nowMs, clock);
  const nowIso = toIsoSeconds(new Date(nowMs));

  if (state.pending) {
    const startMs = parseInstant(state.pending.start, 'pending.start');
    const endMs = parseInstant(state.pending.end, 'pending.end');
    const fetchStartMs = Math.min(Math.max(startMs, floor), endMs);
    const gap =
      fetchStartMs > startMs
        ? {
            start: state.pending.start,
            end: toIsoSeconds(new Date(fetchStartMs)),
            recordedAt: nowIso,
            reason: GAP_REASON_PENDING,
          }
        : undefined;
    return { kind: 'redo', pending: state.pending, startMs, endMs, fetchStartMs, gap };
  }

  let startMs: number;
  let backfillFrom: string | undefined;
  let gap: RecordedGap | undefined;
  if (state.watermark === undefined) {
    startMs = firstRunStart(nowMs, settings.LOOKBACK_DAYS, floor);
    if (state.backfillFrom === undefined) backfillFrom = toIsoSeconds(new Date(startMs));
  } else {
    startMs = parseInstant(state.watermark, 'watermark');
    if (startMs < floor) {
      gap = {
        start: state.watermark,
        end: toIsoSeconds(new Date(floor)),
        recordedAt: nowIso,
        reason: GAP_REASON_WATERMARK,
      };
      startMs = floor;
    }
  }

  const horizon = settleHorizon(horizonNow(nowMs, clock), settings.SETTLE_SECONDS);
  const endMs = Math.min(alignedEnd(startMs, windowSeconds), horizon);
  // Nothing settled to collect yet. A gap found now is found again (and recorded) next time.
  if (endMs <= startMs) return { kind: 'caught_up' };

  const pending: PendingWindow = {
    start: toIsoSeconds(new Date(startMs)),
    end: toIsoSeconds(new Date(endMs)),
    plannedAt: nowIso,
  };
  return { kind: 'fresh', pending, startMs, endMs, backfillFrom, gap };
}

/**
 * The end of a window of `windowSeconds` starting at `startMs`, moved back to the grid of
 * whole multiples of the size since the epoch (UTC midnight is on every grid whose size
 * divides a day). Aligned windows split fewer of them across two dates, so a day is stored in
 * fewer objects, and their names are easier to read. The first window may come out shorter.
 */
export function alignedEnd(startMs: number, windowSeconds: number): number {
  const sizeMs = Math.max(1, Math.floor(windowSeconds)) * SECOND_MS;
  const end = Math.floor((startMs + sizeMs) / sizeMs) * sizeMs;
  return end > startMs ? end : startMs + sizeMs;
}

/** Whole seconds covered by a window or gap. */
export function windowSeconds(window: TimeWindow): number {
  return Math.max(0, Math.floor((Date.parse(window.end) - Date.parse(window.start)) / SECOND_MS));
}

/**
 * Backfill progress in percent (one decimal): how much of `[backfillFrom, horizon)` lies below
 * the watermark. 0 before the first commit, 100 when caught up or when there is no backfill.
 */
export function backfillPercent(
  state: Pick<CursorState, 'watermark' | 'backfillFrom'>,
  nowMs: number,
  settleSeconds: number,
): number {
  if (state.watermark === undefined) return 0;
  if (state.backfillFrom === undefined) return 100;
  const from = Date.parse(state.backfillFrom);
  const watermark = Date.parse(state.watermark);
  const horizon = settleHorizon(nowMs, settleSeconds);
  if (!Number.isFinite(from) || !Number.isFinite(watermark) || horizon <= from) return 100;
  const share = Math.min(1, Math.max(0, (watermark - from) / (horizon - from)));
  return Math.round(share * 1000) / 10;
}
