/** The sync engine's public API (the collector handler, `npm start` and tests import from here). */
export type { MalformedEvent } from './batch.js';
export {
  LEASE_GRACE_MS,
  runSync,
  type SyncBudget,
  type SyncDeps,
  SyncRunError,
} from './engine.js';
export { type Fingerprint, fingerprintOf } from './fingerprint.js';
export {
  backfillPercent,
  type ClockView,
  effectiveFloor,
  firstRunStart,
  HISTORY_FLOOR_MARGIN_MS,
  historyFloor,
  horizonNow,
  MIMECAST_HISTORY_DAYS,
  settleHorizon,
} from './plan.js';
export { encodeQuarantine, quarantineKey, quarantinePrefix } from './quarantine.js';
export { addRange, rangeSeconds, removeRange } from './ranges.js';
export { dueAge, largestAge, RESCAN_BATCH_SHARE } from './rescan-plan.js';
export { type SyncSettings, syncSettings } from './settings.js';
export type { RunSummary, StopReason } from './summary.js';
export {
  type CollectorMetricName,
  noMetrics,
  type SyncLogger,
  type SyncMetrics,
  type SyncMetricUnit,
  silentLogger,
} from './telemetry.js';
