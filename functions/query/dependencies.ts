/**
 * The query API's production dependencies: AWS SDK clients built once per container with the
 * SDK's default chains (region, credentials, and `AWS_ENDPOINT_URL_*` endpoint overrides, which
 * is how `npm start` and the integration tests reach the local stand-ins, with no special code)
 * and the collector's timeouts and attempts (AWS_CONNECT_TIMEOUT_MS, AWS_REQUEST_TIMEOUT_MS,
 * AWS_MAX_ATTEMPTS), a read-only cursor reader, the Athena archive engine with its registry
 * of started queries, and the real Mimecast client.
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AthenaArchiveEngine } from '#core/archive-query/athena-engine.js';
import type { ArchiveQueryEngine } from '#core/archive-query/engine.js';
import { DynamoArchiveQueryRegistry } from '#core/archive-query/registry.js';
import { awsClientConfig } from '#core/aws-clients.js';
import type { QueryConfig } from '#core/config/env.js';
import { DynamoCursorReader } from '#core/cursor/dynamo-cursor-reader.js';
import { createMimecastClient } from '#core/mimecast/index.js';
import { type Clock, systemClock } from '#core/ports.js';
import { readSecretText } from '#core/secrets.js';
import { createQueryApp, type QueryApp, type QueryTelemetry } from './lib/app.js';
import type { SecretReader } from './lib/sources.js';

/** Optional seams: a shared clock (tests, simulator) and a wrapper for AWS clients (X-Ray). */
export interface QueryRuntimeOptions {
  telemetry: QueryTelemetry;
  clock?: Clock | undefined;
  /** Wraps each AWS SDK client once (the handler passes the tracer's captureAWSv3Client). */
  instrument?: (<T extends object>(client: T) => T) | undefined;
  /** Another archive engine than Athena (`npm start` runs DuckDB over the local archive). */
  archiveEngine?: ArchiveQueryEngine | undefined;
}

/** A secret's SecretString (core/secrets.ts: an empty secret is SecretNotConfiguredError). */
export function secretsManagerReader(client: SecretsManagerClient): SecretReader {
  return (secretId) => readSecretText(client, secretId);
}

/** Builds the core with real AWS clients and the real Mimecast client. */
export function buildQueryApp(config: QueryConfig, options: QueryRuntimeOptions): QueryApp {
  const instrument = options.instrument ?? (<T extends object>(client: T) => client);
  const clock = options.clock ?? systemClock;
  // A hung call then fails well inside API Gateway's 30 s limit instead of timing the function out.
  const secrets = instrument(new SecretsManagerClient(awsClientConfig(config)));
  const dynamodb = instrument(new DynamoDBClient(awsClientConfig(config)));
  return createQueryApp({
    config,
    clock,
    cursorStore: new DynamoCursorReader(dynamodb, config.CURSOR_TABLE_NAME),
    readSecret: secretsManagerReader(secrets),
    createClient: (secret) =>
      createMimecastClient(secret, {
        clock,
        requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
        pageSize: config.PAGE_SIZE,
      }),
    telemetry: options.telemetry,
    archive: {
      engine:
        options.archiveEngine ??
        new AthenaArchiveEngine(instrument(new AthenaClient(awsClientConfig(config))), {
          workGroup: config.ARCHIVE_WORKGROUP,
          database: config.ARCHIVE_DATABASE,
          catalog: config.ARCHIVE_CATALOG,
          resultReuseMinutes: config.ARCHIVE_RESULT_REUSE_MINUTES,
        }),
      registry: new DynamoArchiveQueryRegistry(dynamodb, config.CURSOR_TABLE_NAME, clock),
    },
  });
}
