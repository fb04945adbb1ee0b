/**
 * The query API's Lambda handler (API Gateway HTTP API, payload format 2.0): middy with the
 * Powertools logger, metrics and tracer around the core in `lib/app.ts`. The environment is
 * validated once, on the first invocation, and the core (with its AWS clients) is kept for the
 * life of the container. SOURCE_REGISTRY=true selects fleet mode (sources from the registry,
 * fleet-query-env.ts); otherwise the sources are those of the environment (env.ts).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { ArchiveQueryEngine } from '#core/archive-query/engine.js';
import { parseEnvironment, queryEnvSchema } from '#core/config/env.js';
import { fleetQueryEnvSchema, isFleetQueryEnvironment } from '#core/config/fleet-query-env.js';
import { METRICS_NAMESPACE, QueryMetric } from '#core/observability.js';
import { buildFleetQueryApp, buildQueryApp, type QueryRuntimeOptions } from './dependencies.js';
import type { QueryApp, QueryTelemetry } from './lib/app.js';
import { type HttpResponse, problemResponse } from './lib/http.js';
import { ProblemType } from './lib/problem.js';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'mimecast-audit-query';
const logger = new Logger({ serviceName });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
const tracer = new Tracer({ serviceName });

const telemetry: QueryTelemetry = {
  logger,
  recordRequest({ route, status, upstreamLatencyMs }) {
    metrics.addDimensions({ Route: route, Status: String(status) });
    metrics.addMetric(QueryMetric.Requests, MetricUnit.Count, 1);
    if (upstreamLatencyMs !== undefined) {
      metrics.addMetric(QueryMetric.UpstreamLatency, MetricUnit.Milliseconds, upstreamLatencyMs);
    }
  },
};

/** What a host may choose besides the environment. */
export interface QueryHandlerOptions {
  /**
   * The archive engine. Lambda uses Athena (the default); `npm start` passes DuckDB over the local
   * archive files, which `functions/` cannot import (it is a development dependency).
   */
  archiveEngine?: ArchiveQueryEngine | undefined;
}

/** Builds the middy handler. The core (with its AWS clients) is built on the first invocation. */
export function createQueryHandler(options: QueryHandlerOptions = {}) {
  let app: QueryApp | undefined;

  /** The core, built on first use; an invalid environment throws (and is retried next time). */
  const currentApp = (): QueryApp => {
    if (app !== undefined) return app;
    const runtime: QueryRuntimeOptions = {
      telemetry,
      instrument: (client) => tracer.captureAWSv3Client(client),
      archiveEngine: options.archiveEngine,
    };
    app = isFleetQueryEnvironment(process.env)
      ? buildFleetQueryApp(parseEnvironment(fleetQueryEnvSchema, process.env), runtime)
      : buildQueryApp(parseEnvironment(queryEnvSchema, process.env), runtime);
    return app;
  };

  /** Answers one request; a misconfigured function still answers with a problem document. */
  const core = async (event: APIGatewayProxyEventV2, context: Context): Promise<HttpResponse> => {
    let current: QueryApp;
    try {
      current = currentApp();
    } catch (err: unknown) {
      // parseEnvironment names variables and reasons, never values.
      logger.error('invalid configuration', { error: err instanceof Error ? err.message : String(err) });
      const requestId = context.awsRequestId || event.requestContext?.requestId || 'unknown';
      // Measured under its own route value so the 5xx alarm sees it and the dashboard says why.
      telemetry.recordRequest({ route: 'misconfigured', status: 500 });
      return problemResponse(
        {
          status: 500,
          type: ProblemType.internal,
          title: 'Misconfigured',
          detail:
            "The query function's configuration is invalid; the operator will find details in its logs.",
        },
        requestId,
        event.rawPath ?? '/',
      );
    }
    return current(event, context);
  };

  return middy(core)
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}

/** The Lambda entry point: `handler(event, context)` for HTTP API payload 2.0 (a stable contract). */
export const handler = createQueryHandler();
