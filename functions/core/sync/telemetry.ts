/**
 * The engine's view of logging and metrics: two small interfaces, so the handler can plug in
 * Powertools, `npm start` a console, and unit tests a recorder.
 */
import type { CollectorMetric } from '#core/observability.js';

/** Structured logger; `extra` holds fields, never secret values. */
export interface SyncLogger {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** A collector metric name (observability.ts: the names the alarms watch). */
export type CollectorMetricName = (typeof CollectorMetric)[keyof typeof CollectorMetric];

/** Metric units the engine uses. */
export type SyncMetricUnit = 'Count' | 'Seconds';

/** Metrics sink; the `Source` dimension is the sink's business. */
export interface SyncMetrics {
  /** Adds `value` to a count. */
  count(name: CollectorMetricName, value: number): void;
  /** Records a measurement. */
  gauge(name: CollectorMetricName, value: number, unit: SyncMetricUnit): void;
  /** Counts one failed run under its kind (`RunFailuresByKind` with a `Kind` dimension). */
  failure(kind: string): void;
}

/** A logger that drops everything (for callers that do not care). */
export const silentLogger: SyncLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** A metrics sink that drops everything. */
export const noMetrics: SyncMetrics = { count() {}, gauge() {}, failure() {} };
