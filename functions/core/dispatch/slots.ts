/**
 * When a source is due (issue 15, fleet mode): pure slot arithmetic, no I/O.
 *
 * Each source runs once per slot. Slots repeat every `scheduleMinutes`, anchored to the epoch,
 * and each source's slots are shifted by a stable offset derived from a hash of its id, so 500
 * sources on a 5-minute schedule spread over the 5 minutes instead of all starting together.
 *
 * The offset is a whole number of minutes (hash mod scheduleMinutes), not seconds: the
 * dispatcher runs on a 1-minute schedule and EventBridge only promises each tick somewhere in
 * its minute. With slots on minute boundaries, every slot holds exactly scheduleMinutes ticks
 * however late in its minute each tick fires, so a source is dispatched exactly once per slot;
 * with offsets in seconds a 1-minute slot could fall between two jittered ticks and be missed
 * (and a finer offset spreads nothing anyway when the ticks are a minute apart).
 *
 * Changing a source's schedule moves its slots: the first slot under the new schedule may come
 * early or late by up to one period, never twice in one slot (lastDispatchedAt decides).
 */
import { hash32 } from '#core/hash.js';
import type { SourceConfig } from '#core/registry/source-config.js';

const MINUTE_MS = 60_000;

/**
 * 32-bit FNV-1a of the id's UTF-16 code units (ids are ASCII), then the MurmurHash3 finaliser,
 * so that ids differing only in their last characters (`tenant-001`, `tenant-002`, …) still
 * land on unrelated offsets. Stable across releases: changing it would reshuffle every slot.
 */
export function sourceHash(sourceId: string): number {
  return hash32(sourceId);
}

/** The period in ms of a schedule (whole minutes, 1–60 as the registry allows). */
function periodMs(scheduleMinutes: number): number {
  if (!Number.isInteger(scheduleMinutes) || scheduleMinutes < 1) {
    throw new RangeError(`scheduleMinutes must be a positive whole number, got ${scheduleMinutes}`);
  }
  return scheduleMinutes * MINUTE_MS;
}

/** The source's offset within its period, in ms (a whole number of minutes below scheduleMinutes). */
export function slotOffsetMs(sourceId: string, scheduleMinutes: number): number {
  periodMs(scheduleMinutes);
  return (sourceHash(sourceId) % scheduleMinutes) * MINUTE_MS;
}

/**
 * The start (epoch ms) of the source's slot that contains `nowMs`: the latest instant ≤ nowMs
 * that is its offset past a multiple of the period.
 */
export function slotStart(sourceId: string, scheduleMinutes: number, nowMs: number): number {
  const period = periodMs(scheduleMinutes);
  const offset = slotOffsetMs(sourceId, scheduleMinutes);
  return Math.floor((nowMs - offset) / period) * period + offset;
}

/**
 * The start of the current slot when the source is due at `nowMs` (enabled, and not dispatched
 * since that slot started), else undefined. An unparseable lastDispatchedAt counts as never:
 * a damaged item must not stop a source for good.
 */
export function dueSlotStart(
  config: Pick<SourceConfig, 'sourceId' | 'enabled' | 'scheduleMinutes' | 'lastDispatchedAt'>,
  nowMs: number,
): number | undefined {
  if (!config.enabled) return undefined;
  const start = slotStart(config.sourceId, config.scheduleMinutes, nowMs);
  const last = config.lastDispatchedAt === undefined ? Number.NaN : Date.parse(config.lastDispatchedAt);
  if (Number.isFinite(last) && last >= start) return undefined;
  return start;
}

/** True when the source is enabled and has not been dispatched since its current slot started. */
export function isDue(
  config: Pick<SourceConfig, 'sourceId' | 'enabled' | 'scheduleMinutes' | 'lastDispatchedAt'>,
  nowMs: number,
): boolean {
  return dueSlotStart(config, nowMs) !== undefined;
}
