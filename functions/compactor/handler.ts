/**
 * The compactor Lambda: builds the Parquet copy of closed days (functions/core/columnar). Thin
 * wiring: middy + Powertools around `compact`, which npm start and tests call directly.
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { awsClientConfig } from '#core/aws-clients.js';
import {
  type CompactionSummary,
  type CompactorDeps,
  compactorSettings,
  runCompaction,
} from '#core/columnar/compactor.js';
import { GlueProjectedSources } from '#core/columnar/glue-projected-sources.js';
import { archiveTableNames } from '#core/columnar/glue-view.js';
import { GlueViewPublisher } from '#core/columnar/glue-view-publisher.js';
import { DynamoCompactionLeases } from '#core/columnar/lease.js';
import { ocsfOutputOf } from '#core/columnar/ocsf-day.js';
import { S3ColumnarStorage } from '#core/columnar/s3-columnar-storage.js';
import { type CompactorConfig, compactorEnvSchema, parseEnvironment } from '#core/config/env.js';
import { DynamoCursorReader } from '#core/cursor/dynamo-cursor-reader.js';
import { METRICS_NAMESPACE, SOURCE_DIMENSION } from '#core/observability.js';
import { systemClock } from '#core/ports.js';
import { DynamoSourceRegistryReader } from '#core/registry/dynamo-registry-reader.js';
import { requestOf } from './events.js';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME || 'mimecast-audit-compactor';
const logger = new Logger({ serviceName });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
// The alarms match on `Source` alone (a metric's identity is its whole dimension set).
metrics.clearDefaultDimensions();
const tracer = new Tracer({ serviceName });

/** Lambda's 15 minutes less a little, when the caller gives no context. */
const FALLBACK_BUDGET_MS = 14 * 60_000;

interface Runtime {
  config: CompactorConfig;
  deps: CompactorDeps;
}

let runtime: Runtime | undefined;

/** The container's runtime, built on first use (an invalid environment fails every invocation, loudly). */
function getRuntime(): Runtime {
  if (runtime) return runtime;
  const config = parseEnvironment(compactorEnvSchema, process.env);
  const s3 = tracer.captureAWSv3Client(new S3Client(awsClientConfig(config)));
  const dynamodb = tracer.captureAWSv3Client(new DynamoDBClient(awsClientConfig(config)));
  const glue = tracer.captureAWSv3Client(new GlueClient(awsClientConfig(config)));
  const tables = {
    database: config.ARCHIVE_DATABASE,
    view: config.ARCHIVE_VIEW,
    ...archiveTableNames(config.ARCHIVE_VIEW),
  };
  runtime = {
    config,
    deps: {
      storage: new S3ColumnarStorage(s3, config.BUCKET_NAME),
      cursor: new DynamoCursorReader(dynamodb, config.CURSOR_TABLE_NAME),
      leases: new DynamoCompactionLeases(dynamodb, config.CURSOR_TABLE_NAME),
      clock: systemClock,
      // Security Lake deliveries write as the custom source's provider role, with its external id
      // (https://docs.aws.amazon.com/security-lake/latest/userguide/custom-sources.html).
      ocsf: ocsfOutputOf(
        config,
        (target) =>
          new S3ColumnarStorage(
            tracer.captureAWSv3Client(
              new S3Client({
                ...awsClientConfig(config),
                credentials: fromTemporaryCredentials({
                  params: {
                    RoleArn: target.roleArn,
                    ExternalId: target.externalId,
                    RoleSessionName: 'mimecast-audit-compactor',
                  },
                }),
              }),
            ),
            target.bucket,
          ),
      ),
      view: new GlueViewPublisher(glue, tables),
      registry: config.COMPACTION_REGISTRY_SOURCES
        ? new DynamoSourceRegistryReader(dynamodb, config.CURSOR_TABLE_NAME, {
            onProblem: (problem) => logger.warn('Unreadable registry item (still compacted)', { ...problem }),
          })
        : undefined,
      projectedSources: config.COMPACTION_REGISTRY_SOURCES
        ? new GlueProjectedSources(glue, tables.database, [tables.ndjson, tables.parquet], systemClock)
        : undefined,
      log: {
        info: (message, attributes) => logger.info(message, attributes ?? {}),
        warn: (message, attributes) => logger.warn(message, attributes ?? {}),
        error: (message, attributes) => logger.error(message, attributes ?? {}),
      },
      metrics: {
        count: (name, value, sourceId) => {
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

/** One invocation: the request the event stands for, within the invocation's time. */
export async function compact(
  event: unknown,
  context?: Partial<Context>,
): Promise<CompactionSummary | { ignored: true }> {
  const { config, deps } = getRuntime();
  const request = requestOf(event, config.DATA_PREFIX);
  if (request === 'ignore') return { ignored: true };
  const deadline = Date.now() + FALLBACK_BUDGET_MS;
  const budget =
    typeof context?.getRemainingTimeInMillis === 'function'
      ? { remainingMs: context.getRemainingTimeInMillis.bind(context) }
      : { remainingMs: () => deadline - Date.now() };
  const summary = await runCompaction(deps, compactorSettings(config), budget, request);
  const line = {
    runId: context?.awsRequestId ?? randomUUID(),
    ...summary,
    failures: summary.failures.slice(0, 20),
  };
  if (summary.failures.length > 0) logger.error('Compaction run finished with failures', line);
  else logger.info('Compaction run finished', line);
  return summary;
}

/** The Lambda entry point. */
export const handler = middy(compact)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
