/**
 * Adapters from Powertools to the engine's small logging and metrics interfaces, plus a
 * buffer that lets the handler drop a failed attempt's failure counts when it retries.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { CollectorMetric, KIND_DIMENSION } from '#core/observability.js';
import type { CollectorMetricName, SyncLogger, SyncMetrics, SyncMetricUnit } from '#core/sync/index.js';

/** The engine's logger over a Powertools Logger (extra fields become top-level keys). */
export function powertoolsLogger(logger: Logger): SyncLogger {
  return {
    debug: (message, extra) => (extra ? logger.debug(message, extra) : logger.debug(message)),
    info: (message, extra) => (extra ? logger.info(message, extra) : logger.info(message)),
    warn: (message, extra) => (extra ? logger.warn(message, extra) : logger.warn(message)),
    error: (message, extra) => (extra ? logger.error(message, extra) : logger.error(message)),
  };
}

/**
 * The engine's metrics over Powertools Metrics (the `Source` dimension is a default dimension;
 * `sourceDimensions` gives it again for the failure-by-kind metric set, which is built apart).
 */
export function powertoolsMetrics(
  metrics: Metrics,
  sourceDimensions: () => Record<string, string>,
): SyncMetrics {
  return {
    count: (name, value) => metrics.addMetric(name, MetricUnit.Count, value),
    gauge: (name, value, unit) =>
      metrics.addMetric(name, unit === 'Seconds' ? MetricUnit.Seconds : MetricUnit.Count, value),
    failure: (kind) => {
      // Its own metric set: the extra dimension must not reach the run's other metrics.
      const single = metrics.singleMetric();
      // singleMetric() brings Powertools' `service` dimension back; the set must be Source + Kind.
      single.clearDefaultDimensions();
      single.addDimensions({ ...sourceDimensions(), [KIND_DIMENSION]: kind });
      single.addMetric(CollectorMetric.RunFailuresByKind, MetricUnit.Count, 1);
    },
  };
}

/** Holds metrics until `flushTo`, which may leave some names out. */
export class BufferedMetrics implements SyncMetrics {
  private readonly entries: Array<{ name: CollectorMetricName; value: number; unit: SyncMetricUnit }> = [];
  private readonly failures: string[] = [];

  count(name: CollectorMetricName, value: number): void {
    this.entries.push({ name, value, unit: 'Count' });
  }

  gauge(name: CollectorMetricName, value: number, unit: SyncMetricUnit): void {
    this.entries.push({ name, value, unit });
  }

  failure(kind: string): void {
    this.failures.push(kind);
  }

  /** Emits everything recorded except `skip`, then forgets it. */
  flushTo(target: SyncMetrics, skip: ReadonlySet<CollectorMetricName> = new Set()): void {
    for (const entry of this.entries.splice(0)) {
      if (skip.has(entry.name)) continue;
      if (entry.unit === 'Count') target.count(entry.name, entry.value);
      else target.gauge(entry.name, entry.value, entry.unit);
    }
    for (const kind of this.failures.splice(0)) {
      if (!skip.has(CollectorMetric.RunFailuresByKind)) target.failure(kind);
    }
  }
}
