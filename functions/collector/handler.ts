/**
 * The collector Lambda: an EventBridge schedule (one source, SOURCE_ID in the environment) or the
 * dispatcher (fleet mode, SOURCE_REGISTRY=true, payload `{"sourceId":…}`, see fleet.ts) invokes
 * it; it runs the sync engine until caught up or out of time and logs one summary line. Thin
 * wiring only: middy + Powertools (logger, metrics, tracer) around `collect`, which tests and
 * `npm start` may call directly.
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
import type { RetryWait } from '#core/mimecast/types.js';
import { CollectorMetric, METRICS_NAMESPACE, SOURCE_DIMENSION } from '#core/observability.js';
import { systemClock } from '#core/ports.js';
import {
  type CollectorMetricName,
  type RunSummary,
  runSync,
  SyncRunError,
  syncSettings,
} from '#core/sync/index.js';
import { type CredentialsFor, createFleetCollector, type FleetCollector, type FleetRun } from './fleet.js';
import {
  assertPayloadIsFor,
  type CollectorMode,
  collectorModeOf,
  fleetSourceOf,
  meteredSourceOf,
} from './payload.js';
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
/**
 * The source the current invocation's metrics are about: one source's container sets it once its
 * environment is read, a fleet container at the start of every invocation (from the payload).
 */
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

/** An invocation that did not run: its source is disabled in the registry (a clean stop). */
export interface SkippedRun {
  skipped: 'disabled';
  sourceId: string;
}

/** What an invocation returns. */
export type CollectorResult = RunSummary | SkippedRun;

/** Dependencies a test (or a local run) may replace. */
export interface CollectorOptions {
  /** Fleet mode: the credentials of a source's runs (default: the source-access role with its session tag). */
  credentialsFor?: CredentialsFor;
}

/** The source of this invocation's metrics (also their default dimension). */
function meterAs(id: string): void {
  sourceId = id;
  metrics.setDefaultDimensions({ [SOURCE_DIMENSION]: sourceId });
}

/** Counts a run failure that happened before the engine started, logs it and returns the error to throw. */
function refused(message: string, err: unknown): unknown {
  syncMetrics.count(CollectorMetric.RunFailures, 1);
  logger.error(message, { error: err instanceof Error ? err.message : 'invalid configuration' });
  return err;
}

/**
 * A collector with its own container state (the runtime or the fleet's runtimes, built on first
 * use; an invalid environment is reported on every invocation).
 */
export function createCollector(
  options: CollectorOptions = {},
): (event: unknown, context: Context) => Promise<CollectorResult> {
  let mode: CollectorMode | undefined;
  let runtime: CollectorRuntime | undefined;
  let fleet: FleetCollector | undefined;
  const hooks = {
    instrument: <T>(client: T): T => tracer.captureAWSv3Client(client),
    onWait: (wait: RetryWait) => {
      if (wait.kind === 'rate_limited') syncMetrics.count(CollectorMetric.ThrottledWaits, 1);
      logger.info('Waiting before retrying Mimecast', { ...wait });
    },
  };

  /** One source: the container's runtime; the payload may only name this source. */
  function singleSourceRuntime(event: unknown): CollectorRuntime {
    if (runtime === undefined) {
      try {
        runtime = createCollectorRuntime(process.env, hooks);
      } catch (err: unknown) {
        meterAs(process.env.SOURCE_ID || 'default');
        throw refused('Collector configuration is invalid', err);
      }
      meterAs(runtime.config.SOURCE_ID);
    }
    try {
      assertPayloadIsFor(event, runtime.config.SOURCE_ID);
    } catch (err: unknown) {
      throw refused('Collector payload names another source', err);
    }
    return runtime;
  }

  /** Fleet: the runtime of the source the payload names, or a skip when it is disabled. */
  async function fleetRuntime(event: unknown): Promise<CollectorRuntime | SkippedRun> {
    meterAs(meteredSourceOf(event));
    logger.removeKeys(['sourceId']);
    try {
      fleet ??= createFleetCollector(process.env, { ...hooks, credentialsFor: options.credentialsFor });
    } catch (err: unknown) {
      throw refused('Collector configuration is invalid', err);
    }
    let id: string;
    try {
      id = fleetSourceOf(event);
    } catch (err: unknown) {
      throw refused('Collector payload is invalid', err);
    }
    // Every line of this invocation names its source (the middleware resets the keys after it).
    logger.appendKeys({ sourceId: id });
    let prepared: FleetRun;
    try {
      prepared = await fleet.prepare(id);
    } catch (err: unknown) {
      throw refused('Collector could not configure the source', err);
    }
    if (prepared.kind === 'ready') return prepared.runtime;
    logger.info('Collector run skipped: the source is disabled in the registry');
    return { skipped: 'disabled', sourceId: id };
  }

  return async function collect(event: unknown, context: Context): Promise<CollectorResult> {
    mode ??= collectorModeOf(process.env);
    const prepared = mode === 'fleet' ? await fleetRuntime(event) : singleSourceRuntime(event);
    if ('skipped' in prepared) return prepared;
    return run(prepared, context);
  };
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
 * One run of the sync engine; returns its summary. If Mimecast rejects the cached credentials
 * and the secret has changed since it was read, runs once more with the new secret. Throws when
 * the run fails (the invocation then counts as an error).
 */
async function run(rt: CollectorRuntime, context: Context): Promise<RunSummary> {
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

/** One collector invocation (the container's collector). */
export const collect = createCollector();

/** Wraps a collector in the Lambda middlewares (tracing, logger context, metrics flush). */
export function collectorHandler(collector: (event: unknown, context: Context) => Promise<CollectorResult>) {
  return middy(collector)
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}

/**
 * The Lambda entry point: an EventBridge scheduled event (one source; the payload is ignored
 * unless it names another source) or `{"sourceId":…}` from the dispatcher (fleet mode).
 */
export const handler = collectorHandler(collect);
