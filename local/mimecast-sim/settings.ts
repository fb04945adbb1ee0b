/** The simulator's options, with defaults applied and nonsense refused up front. */
import { type Clock, systemClock } from '#core/ports.js';
import type { SimulatorOptions } from './api.js';

const DAY_MS = 86_400_000;

/** SimulatorOptions resolved: every value present and checked. */
export interface Settings {
  port: number;
  clock: Clock;
  seed: number;
  eventsPerDay: number;
  burstShare: number;
  historyMs: number;
  tokenTtlSeconds: number;
  maxClockSkewSeconds: number;
  rateLimit: { capacity: number; refillPerSecond: number } | false;
  pageLatencyMs: number;
  maxPageSize: number;
  lateEvents: { share: number; delaySeconds: number } | undefined;
  emptyLastPageWithNext: boolean;
}

/** Returns `value` if it is a number within [min, max]; throws a RangeError naming the option otherwise. */
export function requireRange(
  name: string,
  value: number,
  min: number,
  max = Number.POSITIVE_INFINITY,
): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max) {
    throw new RangeError(
      `SimulatorOptions.${name} must be a number in [${min}, ${max}], got ${String(value)}`,
    );
  }
  return value;
}

/** Applies defaults and validates every option. */
export function resolveSettings(options: SimulatorOptions): Settings {
  const rateLimit = options.rateLimit ?? { capacity: 50, refillPerSecond: 25 };
  if (rateLimit) {
    requireRange('rateLimit.capacity', rateLimit.capacity, 1);
    if (!(rateLimit.refillPerSecond > 0))
      throw new RangeError('SimulatorOptions.rateLimit.refillPerSecond must be > 0');
  }
  const late = options.lateEvents;
  if (late) {
    requireRange('lateEvents.share', late.share, 0, 1);
    requireRange('lateEvents.delaySeconds', late.delaySeconds, 0);
  }
  const port = requireRange('port', options.port ?? 0, 0, 65_535);
  if (!Number.isInteger(port)) throw new RangeError('SimulatorOptions.port must be an integer');
  const maxPageSize = requireRange('maxPageSize', options.maxPageSize ?? 500, 1);
  if (!Number.isInteger(maxPageSize)) throw new RangeError('SimulatorOptions.maxPageSize must be an integer');
  return {
    port,
    clock: options.clock ?? systemClock,
    seed: requireRange('seed', options.seed ?? 1, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
    eventsPerDay: requireRange('eventsPerDay', options.eventsPerDay ?? 2000, 0, 100_000_000),
    burstShare: requireRange('burstShare', options.burstShare ?? 0.2, 0, 1),
    historyMs: requireRange('historyDays', options.historyDays ?? 60, Number.MIN_VALUE) * DAY_MS,
    tokenTtlSeconds: requireRange('tokenTtlSeconds', options.tokenTtlSeconds ?? 1799, Number.MIN_VALUE),
    maxClockSkewSeconds: requireRange('maxClockSkewSeconds', options.maxClockSkewSeconds ?? 900, 0),
    rateLimit,
    pageLatencyMs: requireRange('pageLatencyMs', options.pageLatencyMs ?? 0, 0),
    maxPageSize,
    lateEvents: late,
    emptyLastPageWithNext: options.emptyLastPageWithNext ?? false,
  };
}
