/**
 * The sync engine's tuning: exactly the collector's configuration variables, so the handler
 * passes its validated environment through and tests name the same knobs the operator sees.
 */
import type { CollectorConfig } from '#core/config/env.js';

/** What the engine reads from the collector's configuration. */
export type SyncSettings = Pick<
  CollectorConfig,
  | 'SOURCE_ID'
  | 'DATA_PREFIX'
  | 'LOOKBACK_DAYS'
  | 'SETTLE_SECONDS'
  | 'MAX_WINDOW_SECONDS'
  | 'MAX_EVENTS_PER_WINDOW'
  | 'SAFETY_MARGIN_MS'
  | 'PAGE_SIZE'
  | 'RESCAN_AFTER_SECONDS'
>;

/** Picks the engine's settings out of a parsed collector configuration. */
export function syncSettings(config: SyncSettings): SyncSettings {
  return {
    SOURCE_ID: config.SOURCE_ID,
    DATA_PREFIX: config.DATA_PREFIX,
    LOOKBACK_DAYS: config.LOOKBACK_DAYS,
    SETTLE_SECONDS: config.SETTLE_SECONDS,
    MAX_WINDOW_SECONDS: config.MAX_WINDOW_SECONDS,
    MAX_EVENTS_PER_WINDOW: config.MAX_EVENTS_PER_WINDOW,
    SAFETY_MARGIN_MS: config.SAFETY_MARGIN_MS,
    PAGE_SIZE: config.PAGE_SIZE,
    RESCAN_AFTER_SECONDS: config.RESCAN_AFTER_SECONDS,
  };
}
