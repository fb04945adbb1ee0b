/**
 * When a UTC day is closed, so that its Parquet copy can be built once and, normally, never
 * again: the collector has committed every window up to the day's end (watermark), the day's
 * end is older than the settle time plus the largest rescan age (no new search of it is due),
 * and no window of the day is still pending or waiting for a rescan (a collector that fell
 * behind still owes those searches, which may merge late events into the day).
 */
import type { CursorState } from '#core/ports.js';

const DAY_MS = 86_400_000;

/** The instant a `YYYY-MM-DD` day starts (UTC), epoch ms. */
export const dayStartMs = (dt: string): number => Date.parse(`${dt}T00:00:00Z`);

/** Why a day is not closed yet (`undefined`: it is closed). */
export type OpenReason = 'not_collected' | 'too_recent' | 'pending_window' | 'rescans_due';

/**
 * Whether `dt` is closed at `nowMs` for a source in `state`. `closeAfterSeconds` is the settle
 * time plus the largest rescan age (the stack passes the largest over all sources).
 */
export function openReason(
  dt: string,
  state: CursorState | null,
  nowMs: number,
  closeAfterSeconds: number,
): OpenReason | undefined {
  const start = dayStartMs(dt);
  const end = start + DAY_MS;
  const watermark = state?.watermark === undefined ? Number.NaN : Date.parse(state.watermark);
  if (!(watermark >= end)) return 'not_collected';
  if (end + closeAfterSeconds * 1000 > nowMs) return 'too_recent';
  const overlaps = (fromMs: number, toMs: number) => fromMs < end && toMs > start;
  const pending = state?.pending;
  if (pending !== undefined && overlaps(Date.parse(pending.start), Date.parse(pending.end)))
    return 'pending_window';
  if ((state?.rescan ?? []).some((w) => overlaps(w.start * 1000, w.end * 1000))) return 'rescans_due';
  return undefined;
}
