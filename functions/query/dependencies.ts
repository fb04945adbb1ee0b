/**
 * The query API's production dependencies: AWS SDK clients built once per container with the
 * SDK's default chains (region, credentials, and `AWS_ENDPOINT_URL_*` endpoint overrides, which
 * is how `npm start` and the integration tests reach the local stand-ins, with no special code)
 * and the collector's timeouts and attempts (AWS_CONNECT_TIMEOUT_MS, AWS_REQUEST_TIMEOUT_MS,
 * AWS_MAX_ATTEMPTS), a read-only cursor reader, the Athena archive engine with its registry
 * of started queries, and the real Mimecast client.
 *
 * Fleet mode (`buildFleetQueryApp`, SOURCE_REGISTRY=true): the sources come from the registry in
 * the cursor table, and a live search reads its source's secret with credentials of the
 * source-access role assumed with the session tag `mimecast-source=<id>` (the collector's ABAC
 * role), one Secrets Manager client per source: the role only reads secrets tagged with the
 * session's source, so no code path here can read another source's secret than the one the
 * request names. The registry (a Scan, DynamoSourceRegistryReader) and the cursors (GET /v1/status reports
 * every source) are read with the function's own credentials.
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  type FromTemporaryCredentialsOptions,
  fromTemporaryCredentials,
} from '@aws-sdk/credential-providers';
import { AthenaArchiveEngine } from '#core/archive-query/athena-engine.js';
import type { ArchiveQueryEngine } from '#core/archive-query/engine.js';
import { DynamoArchiveQueryRegistry } from '#core/archive-query/registry.js';
import { awsClientConfig } from '#core/aws-clients.js';
import type { QueryConfig } from '#core/config/env.js';
import type { FleetQueryConfig } from '#core/config/fleet-query-env.js';
import { DynamoCursorReader } from '#core/cursor/dynamo-cursor-reader.js';
import { createMimecastClient } from '#core/mimecast/index.js';
import { type Clock, systemClock } from '#core/ports.js';
import { DynamoSourceRegistryReader } from '#core/registry/dynamo-registry-reader.js';
import { SOURCE_TAG_KEY } from '#core/registry/source-config.js';
import { readSecretText } from '#core/secrets.js';
import { createQueryApp, type QueryApp, type QueryAppDeps, type QueryTelemetry } from './lib/app.js';
import { RegistrySourceCatalog } from './lib/source-catalog.js';
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

/** Credentials for one source's calls (an SDK credential provider). */
export type SourceCredentials = ReturnType<typeof fromTemporaryCredentials>;

/** Builds the credentials of one source. */
export type SourceCredentialsFactory = (sourceId: string) => SourceCredentials;

/** STS's limit on a role session name. */
const MAX_SESSION_NAME_LENGTH = 64;

/** The role session name of a source's reads, `query-<id>` (as CloudTrail shows it; cut to STS's 64 characters). */
export function querySessionName(sourceId: string): string {
  return `query-${sourceId}`.slice(0, MAX_SESSION_NAME_LENGTH);
}

/**
 * The production factory: the source-access role (SOURCE_ACCESS_ROLE_ARN) assumed with the
 * session tag `mimecast-source=<id>`; the provider caches the session and renews it before it
 * expires. `provider` is the SDK's fromTemporaryCredentials (a seam for unit tests only).
 */
export function sourceAccessCredentials(
  roleArn: string,
  options: {
    /** The STS client's settings (timeouts and attempts; region and endpoint come from the default chains). */
    clientConfig?: FromTemporaryCredentialsOptions['clientConfig'];
    provider?: (options: FromTemporaryCredentialsOptions) => SourceCredentials;
  } = {},
): SourceCredentialsFactory {
  const provider = options.provider ?? fromTemporaryCredentials;
  return (sourceId) =>
    provider({
      params: {
        RoleArn: roleArn,
        RoleSessionName: querySessionName(sourceId),
        Tags: [{ Key: SOURCE_TAG_KEY, Value: sourceId }],
      },
      ...(options.clientConfig === undefined ? {} : { clientConfig: options.clientConfig }),
    });
}

/**
 * Reads each secret with a Secrets Manager client of the source that names it (built on first
 * use, kept for the life of the container).
 */
export function perSourceSecretsReader(clientFor: (sourceId: string) => SecretsManagerClient): SecretReader {
  return (secretId, sourceId) => readSecretText(clientFor(sourceId), secretId);
}

/** The dependencies both modes build alike. */
function commonDeps(
  config: QueryConfig | FleetQueryConfig,
  options: QueryRuntimeOptions,
  dynamodb: DynamoDBClient,
  clock: Clock,
): Omit<QueryAppDeps, 'config' | 'catalog' | 'readSecret'> {
  const instrument = options.instrument ?? (<T extends object>(client: T) => client);
  return {
    clock,
    cursorStore: new DynamoCursorReader(dynamodb, config.CURSOR_TABLE_NAME),
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
  };
}

/** Builds the core with real AWS clients and the real Mimecast client. */
export function buildQueryApp(config: QueryConfig, options: QueryRuntimeOptions): QueryApp {
  const instrument = options.instrument ?? (<T extends object>(client: T) => client);
  const clock = options.clock ?? systemClock;
  // A hung call then fails well inside API Gateway's 30 s limit instead of timing the function out.
  const secrets = instrument(new SecretsManagerClient(awsClientConfig(config)));
  const dynamodb = instrument(new DynamoDBClient(awsClientConfig(config)));
  return createQueryApp({
    ...commonDeps(config, options, dynamodb, clock),
    config,
    readSecret: secretsManagerReader(secrets),
  });
}

/** What a fleet host may choose besides the runtime options. */
export interface FleetQueryRuntimeOptions extends QueryRuntimeOptions {
  /** Another credentials factory than the source-access role (tests: the stand-ins have no STS). */
  sourceCredentials?: SourceCredentialsFactory | undefined;
}

/** Builds the core of fleet mode: sources from the registry, each source's secret read as that source. */
export function buildFleetQueryApp(config: FleetQueryConfig, options: FleetQueryRuntimeOptions): QueryApp {
  const instrument = options.instrument ?? (<T extends object>(client: T) => client);
  const clock = options.clock ?? systemClock;
  const { logger } = options.telemetry;
  const dynamodb = instrument(new DynamoDBClient(awsClientConfig(config)));
  const credentialsFor =
    options.sourceCredentials ??
    sourceAccessCredentials(config.SOURCE_ACCESS_ROLE_ARN, { clientConfig: awsClientConfig(config) });
  const secretClients = new Map<string, SecretsManagerClient>();
  const secretsClientFor = (sourceId: string): SecretsManagerClient => {
    let client = secretClients.get(sourceId);
    if (client === undefined) {
      client = instrument(
        new SecretsManagerClient({ ...awsClientConfig(config), credentials: credentialsFor(sourceId) }),
      );
      secretClients.set(sourceId, client);
    }
    return client;
  };
  // The read-only reader, not DynamoSourceRegistry: the function lists the registry and never writes it.
  const registry = new DynamoSourceRegistryReader(dynamodb, config.CURSOR_TABLE_NAME, {
    onProblem: (item) =>
      logger.warn('unreadable source registry item left out', { key: item.key, reason: item.reason }),
  });
  return createQueryApp({
    ...commonDeps(config, options, dynamodb, clock),
    config,
    catalog: new RegistrySourceCatalog(registry, clock, {
      ttlMs: config.SOURCE_CACHE_SECONDS * 1000,
      onReadError: (err, servedStale) => {
        const attributes = {
          servedStale,
          error: err instanceof Error ? { name: err.name, message: err.message } : String(err),
        };
        // Served from the last list: degraded, not failing (yet).
        if (servedStale) logger.warn('source registry unreadable; serving the last list', attributes);
        else logger.error('source registry unreadable', attributes);
      },
    }),
    readSecret: perSourceSecretsReader(secretsClientFor),
    secretAccessNote: (sourceId) =>
      `In fleet mode the secret must also carry the tag ${SOURCE_TAG_KEY}=${sourceId}: it is read as the source-access role, which reads only the secrets tagged with its session's source.`,
  });
}
