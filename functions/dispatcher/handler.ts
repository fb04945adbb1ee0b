/**
 * The dispatcher Lambda (fleet mode, issue 15): a 1-minute EventBridge schedule invokes it; it
 * starts the collector run of every source that is due (functions/core/dispatch) and logs one
 * summary line. Thin wiring: middy + Powertools around `dispatch`, which tests call directly.
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { awsClientConfig, worstCaseCallMs } from '#core/aws-clients.js';
import { type DispatcherConfig, dispatcherEnvSchema } from '#core/config/dispatcher-env.js';
import { parseEnvironment } from '#core/config/env.js';
import {
  type DispatcherDeps,
  type DispatchSettings,
  type DispatchSummary,
  runDispatch,
} from '#core/dispatch/dispatcher.js';
import { LambdaCollectorInvoker } from '#core/dispatch/lambda-invoker.js';
import { METRICS_NAMESPACE, SOURCE_DIMENSION } from '#core/observability.js';
import { systemClock } from '#core/ports.js';
import { DynamoDispatchMarker } from '#core/registry/dynamo-dispatch-marker.js';
import { DynamoSourceRegistryReader, type RegistryProblem } from '#core/registry/dynamo-registry-reader.js';
import type { SourceRegistry } from '#core/registry/source-config.js';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME || 'mimecast-audit-dispatcher';
const logger = new Logger({ serviceName });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
// Fleet totals carry no dimension, DispatchFailures only `Source` (a metric's identity is its whole dimension set).
metrics.clearDefaultDimensions();
const tracer = new Tracer({ serviceName });

/** A minute less a little, when the caller gives no context (the schedule's period). */
const FALLBACK_BUDGET_MS = 55_000;

/** Failures named in the summary line (all of them are logged one by one anyway). */
const SUMMARY_FAILURES = 20;

interface Runtime {
  config: DispatcherConfig;
  deps: DispatcherDeps;
  settings: DispatchSettings;
}

let runtime: Runtime | undefined;

/** The container's runtime, built on first use (an invalid environment fails every invocation, loudly). */
function getRuntime(): Runtime {
  if (runtime) return runtime;
  const config = parseEnvironment(dispatcherEnvSchema, process.env);
  const dynamodb = tracer.captureAWSv3Client(new DynamoDBClient(awsClientConfig(config)));
  const lambda = tracer.captureAWSv3Client(new LambdaClient(awsClientConfig(config)));
  runtime = {
    config,
    settings: {
      concurrency: config.DISPATCH_CONCURRENCY,
      // A source in hand is two calls (the record, the invoke), each of which may hang until its
      // timeouts give up: only start one while both still fit.
      safetyMarginMs: 2 * worstCaseCallMs(config),
    },
    deps: {
      // Reads and the dispatch record only: the dispatcher's role may not create or delete sources.
      registry: dispatcherRegistry(dynamodb, config.CURSOR_TABLE_NAME, (problem) =>
        logger.warn('Registry item unreadable: source not dispatched', { ...problem }),
      ),
      invoker: new LambdaCollectorInvoker(lambda, config.COLLECTOR_FUNCTION_NAME),
      clock: systemClock,
      log: {
        info: (message, attributes) => logger.info(message, attributes ?? {}),
        warn: (message, attributes) => logger.warn(message, attributes ?? {}),
        error: (message, attributes) => logger.error(message, attributes ?? {}),
      },
      metrics: {
        count: (name, value, sourceId) => {
          if (sourceId === undefined) {
            metrics.addMetric(name, MetricUnit.Count, value);
            return;
          }
          const single = metrics.singleMetric();
          single.clearDefaultDimensions();
          single.addDimensions({ [SOURCE_DIMENSION]: sourceId });
          single.addMetric(name, MetricUnit.Count, value);
        },
      },
    },
  };
  return runtime;
}

/** The time budget of this invocation. */
function budgetOf(context: Partial<Context> | undefined): { remainingMs(): number } {
  if (typeof context?.getRemainingTimeInMillis === 'function') {
    return { remainingMs: context.getRemainingTimeInMillis.bind(context) };
  }
  const deadline = Date.now() + FALLBACK_BUDGET_MS;
  return { remainingMs: () => deadline - Date.now() };
}

/** One tick (the scheduled event itself carries nothing the dispatcher needs). */
export async function dispatch(_event: unknown, context?: Partial<Context>): Promise<DispatchSummary> {
  let rt: Runtime;
  try {
    rt = getRuntime();
  } catch (err: unknown) {
    logger.error('Dispatcher configuration is invalid', {
      error: err instanceof Error ? err.message : 'invalid configuration',
    });
    throw err;
  }
  const summary = await runDispatch(rt.deps, rt.settings, budgetOf(context));
  const line = {
    runId: context?.awsRequestId ?? randomUUID(),
    ...summary,
    failures: summary.failures.slice(0, SUMMARY_FAILURES),
  };
  if (summary.failed > 0 || summary.skipped > 0) logger.warn('Dispatch run summary', line);
  else logger.info('Dispatch run summary', line);
  return summary;
}

/** The Lambda entry point. */
export const handler = middy(dispatch)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));

/** The registry as the dispatcher uses it: list (Scan) and markDispatched (UpdateItem). */
function dispatcherRegistry(
  dynamodb: DynamoDBClient,
  table: string,
  onProblem: (problem: RegistryProblem) => void,
): Pick<SourceRegistry, 'list' | 'markDispatched'> {
  const reader = new DynamoSourceRegistryReader(dynamodb, table, { onProblem });
  const marker = new DynamoDispatchMarker(dynamodb, table);
  return {
    list: () => reader.list(),
    markDispatched: (sourceId, atIso, slotStartIso) => marker.markDispatched(sourceId, atIso, slotStartIso),
  };
}
