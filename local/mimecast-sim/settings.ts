/** The simulator's options, with defaults applied and nonsense refused up front. */
import { type Clock, systemClock } from '#core/ports.js';
import type { LateEventClass, SimulatorOptions, StuckRange } from './api.js';

const DAY_MS = 86_400_000;

/** SimulatorOptions resolved: every value present and checked. */
export interface Settings {
  port: number;
  clock: Clock;
  clockOffsetMs: number;
  seed: number;
  eventsPerDay: number;
  burstShare: number;
  historyMs: number;
  retentionErrorCode: string;
  tokenTtlSeconds: number;
  maxClockSkewSeconds: number;
  rateLimit: { capacity: number; refillPerSecond: number } | false;
  pageLatencyMs: number;
  maxPageSize: number;
  /** Late classes in the order given (empty: nothing late). */
  lateEvents: LateEventClass[];
  emptyLastPageWithNext: boolean;
  emptyTailWithNewTokens: boolean;
  stuckRanges: StuckRange[];
}

/**
 * Average generated events per day when none is given: the one default of the standalone
 * simulator and of `npm start`, so both show the same archive for the same seed.
 */
export const DEFAULT_EVENTS_PER_DAY = 1000;

/** The default fail[] code for a startDateTime older than the history. */
export const DEFAULT_RETENTION_ERROR_CODE = 'err_validation_date_outside_retention';

// Shares are fractions written by hand (0.1 + 0.2): allow float noise in their sum.
const SHARE_SUM_TOLERANCE = 1e-9;

/** Validates `lateEvents` (one class or several) and returns them as a list. */
export function resolveLateEvents(late: SimulatorOptions['lateEvents']): LateEventClass[] {
  if (late === undefined) return [];
  const classes: readonly LateEventClass[] = Array.isArray(late) ? late : [late as LateEventClass];
  classes.forEach((entry, i) => {
    const name = Array.isArray(late) ? `lateEvents[${i}]` : 'lateEvents';
    requireRange(`${name}.share`, entry.share, 0, 1);
    requireRange(`${name}.delaySeconds`, entry.delaySeconds, 0);
  });
  const total = classes.reduce((sum, entry) => sum + entry.share, 0);
  if (total > 1 + SHARE_SUM_TOLERANCE) {
    throw new RangeError(`SimulatorOptions.lateEvents shares must add up to at most 1, got ${total}`);
  }
  return classes.map(({ share, delaySeconds }) => ({ share, delaySeconds }));
}

/** Validates stuck ranges (finite epoch ms, start before end) and copies them. */
export function resolveStuckRanges(ranges: readonly StuckRange[] | undefined): StuckRange[] {
  return (ranges ?? []).map((range, i) => {
    if (
      typeof range !== 'object' ||
      range === null ||
      !Number.isFinite(range.startMs) ||
      !Number.isFinite(range.endMs) ||
      range.startMs >= range.endMs
    ) {
      throw new RangeError(`stuckRanges[${i}] must have finite startMs < endMs`);
    }
    return { startMs: range.startMs, endMs: range.endMs };
  });
}

/** Validates a clock offset (finite ms). */
export function requireClockOffset(ms: number): number {
  return requireRange('clockOffsetMs', ms, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
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

// Codes end up in JSON bodies that clients log: keep them to the shape of Mimecast's own.
function requireCode(name: string, value: string | undefined): string {
  if (value === undefined) return DEFAULT_RETENTION_ERROR_CODE;
  if (typeof value !== 'string' || !/^[A-Za-z0-9_.:-]{1,80}$/.test(value)) {
    throw new RangeError(
      `SimulatorOptions.${name} must look like an error code (e.g. err_validation_date_range)`,
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
  const port = requireRange('port', options.port ?? 0, 0, 65_535);
  if (!Number.isInteger(port)) throw new RangeError('SimulatorOptions.port must be an integer');
  const maxPageSize = requireRange('maxPageSize', options.maxPageSize ?? 500, 1);
  if (!Number.isInteger(maxPageSize)) throw new RangeError('SimulatorOptions.maxPageSize must be an integer');
  return {
    port,
    clock: options.clock ?? systemClock,
    clockOffsetMs: requireClockOffset(options.clockOffsetMs ?? 0),
    seed: requireRange('seed', options.seed ?? 1, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
    eventsPerDay: requireRange(
      'eventsPerDay',
      options.eventsPerDay ?? DEFAULT_EVENTS_PER_DAY,
      0,
      100_000_000,
    ),
    burstShare: requireRange('burstShare', options.burstShare ?? 0.2, 0, 1),
    historyMs: requireRange('historyDays', options.historyDays ?? 60, Number.MIN_VALUE) * DAY_MS,
    retentionErrorCode: requireCode('retentionErrorCode', options.retentionErrorCode),
    tokenTtlSeconds: requireRange('tokenTtlSeconds', options.tokenTtlSeconds ?? 1799, Number.MIN_VALUE),
    maxClockSkewSeconds: requireRange('maxClockSkewSeconds', options.maxClockSkewSeconds ?? 900, 0),
    rateLimit,
    pageLatencyMs: requireRange('pageLatencyMs', options.pageLatencyMs ?? 0, 0),
    maxPageSize,
    lateEvents: resolveLateEvents(options.lateEvents),
    emptyLastPageWithNext: options.emptyLastPageWithNext ?? false,
    emptyTailWithNewTokens: options.emptyTailWithNewTokens ?? false,
    stuckRanges: resolveStuckRanges(options.stuckRanges),
  };
}
