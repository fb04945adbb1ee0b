/**
 * The collector Lambda: an EventBridge schedule invokes it; it runs the sync engine until
 * caught up or out of time and logs one summary line. Thin wiring only: middy + Powertools
 * (logger, metrics, tracer) around `collect`, which tests and `npm start` may call directly.
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { CollectorMetric, METRICS_NAMESPACE, SOURCE_DIMENSION } from '#core/observability.js';
import { systemClock } from '#core/ports.js';
import {
  type CollectorMetricName,
  type RunSummary,
  runSync,
  SyncRunError,
  syncSettings,
} from '#core/sync/index.js';
import { type CollectorRuntime, createCollectorRuntime } from './runtime.js';
import { BufferedMetrics, powertoolsLogger, powertoolsMetrics } from './telemetry.js';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME || 'mimecast-audit-collector';
const logger = new Logger({ serviceName });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
// Powertools adds a `service` dimension by default; the alarms match on `Source` alone, and a
// metric's identity is its whole dimension set, so only `Source` may be present.
metrics.clearDefaultDimensions();
const tracer = new Tracer({ serviceName });
const syncLog = powertoolsLogger(logger);
/** The source every metric of this container is about (known once the environment is read). */
let sourceId = process.env.SOURCE_ID || 'default';
const syncMetrics = powertoolsMetrics(metrics, () => ({ [SOURCE_DIMENSION]: sourceId }));

/** Used when the caller's context has no getRemainingTimeInMillis (Lambda's maximum run time, less a little). */
const FALLBACK_BUDGET_MS = 14 * 60_000;

/** A failed attempt's failure counts are dropped when a retry with a rotated secret follows. */
const RETRIED_FAILURE_METRICS: ReadonlySet<CollectorMetricName> = new Set([
  CollectorMetric.RunFailures,
  CollectorMetric.RunFailuresByKind,
  CollectorMetric.AuthFailures,
  CollectorMetric.BindingExpired,
  CollectorMetric.LagSeconds,
]);

let runtime: CollectorRuntime | undefined;

/** The container's runtime, built on first use (an invalid environment is reported on every invocation). */
function getRuntime(): CollectorRuntime {
  if (runtime) return runtime;
  const created = createCollectorRuntime(process.env, {
    instrument: (client) => tracer.captureAWSv3Client(client),
    onWait: (wait) => {
      if (wait.kind === 'rate_limited') syncMetrics.count(CollectorMetric.ThrottledWaits, 1);
      logger.info('Waiting before retrying Mimecast', { ...wait });
    },
  });
  sourceId = created.config.SOURCE_ID;
  metrics.setDefaultDimensions({ [SOURCE_DIMENSION]: sourceId });
  runtime = created;
  return created;
}

/** The time budget of this invocation. */
function budgetOf(context: Partial<Context> | undefined): { remainingMs(): number } {
  if (typeof context?.getRemainingTimeInMillis === 'function') {
    const remaining = context.getRemainingTimeInMillis.bind(context);
    return { remainingMs: () => remaining() };
  }
  const deadline = Date.now() + FALLBACK_BUDGET_MS;
  return { remainingMs: () => deadline - Date.now() };
}

/** True when Mimecast rejected the credentials: a rotated secret may cure that. */
function isCredentialFailure(err: unknown): err is SyncRunError {
  return err instanceof SyncRunError && (err.kind === 'authentication' || err.kind === 'binding_expired');
}

/**
 * One collector invocation: runs the sync engine and returns its summary. If Mimecast rejects
 * the cached credentials and the secret has changed since it was read, runs once more with the
 * new secret. Throws when the run fails (the invocation then counts as an error).
 */
export async function collect(_event: unknown, context: Context): Promise<RunSummary> {
  let rt: CollectorRuntime;
  try {
    rt = getRuntime();
  } catch (err: unknown) {
    const message = err instanceof Error ? err.message : 'invalid configuration';
    sourceId = process.env.SOURCE_ID || 'default';
    metrics.setDefaultDimensions({ [SOURCE_DIMENSION]: sourceId });
    syncMetrics.count(CollectorMetric.RunFailures, 1);
    logger.error('Collector configuration is invalid', { error: message });
    throw err;
  }

  const settings = syncSettings(rt.config);
  const budget = budgetOf(context);
  const attempt = (sink: typeof syncMetrics) =>
    runSync(
      {
        client: () => rt.session.client(),
        objects: rt.objects,
        cursor: rt.cursor,
        clock: systemClock,
        log: syncLog,
        metrics: sink,
        owner: `${context?.awsRequestId ?? 'local'}/${randomUUID()}`,
      },
      settings,
      budget,
    );

  const first = new BufferedMetrics();
  try {
    const summary = await attempt(first);
    first.flushTo(syncMetrics);
    return logSummary(summary);
  } catch (err: unknown) {
    if (isCredentialFailure(err) && (await secretChanged(rt))) {
      first.flushTo(syncMetrics, RETRIED_FAILURE_METRICS);
      logger.warn(
        'Mimecast rejected the cached credentials and the secret has changed since: retrying once with it',
        {
          kind: err.kind,
        },
      );
      try {
        return logSummary(await attempt(syncMetrics));
      } catch (retryErr: unknown) {
        throw logFailure(retryErr);
      }
    }
    first.flushTo(syncMetrics);
    throw logFailure(err);
  }
}

/** Re-reads the secret; false when it is unchanged or cannot be read (the original failure stands). */
async function secretChanged(rt: CollectorRuntime): Promise<boolean> {
  try {
    return await rt.session.refresh();
  } catch (err: unknown) {
    logger.warn('Could not re-read the Mimecast secret after a credential failure', {
      error: err instanceof Error ? err.message : 'unknown error',
    });
    return false;
  }
}

/** The run's one summary line. */
function logSummary(summary: RunSummary): RunSummary {
  logger.info('Collector run summary', { ...summary });
  return summary;
}

/** The summary line of a failed run; returns the error to rethrow. */
function logFailure(err: unknown): unknown {
  if (err instanceof SyncRunError) {
    logger.error('Collector run summary', { ...err.summary, error: err.message });
  } else {
    logger.error('Collector run failed', { error: err instanceof Error ? err.message : 'unknown error' });
  }
  return err;
}

/** The Lambda entry point (EventBridge scheduled event; the payload is ignored). */
export const handler = middy(collect)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
