/**
 * What a collector container builds once: the validated configuration, the AWS clients (SDK
 * default chains: region from AWS_REGION, endpoints from AWS_ENDPOINT_URL_*; timeouts and
 * attempts from AWS_CONNECT_TIMEOUT_MS, AWS_REQUEST_TIMEOUT_MS, AWS_MAX_ATTEMPTS), the stores
 * over them and the cached Mimecast session. Nothing here knows whether it runs in Lambda,
 * `npm start` or a test.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { S3ObjectStore } from '#core/archive/s3-object-store.js';
import { type AwsClientSettings, awsClientConfig, worstCaseCallMs } from '#core/aws-clients.js';
import { type CollectorConfig, collectorEnvSchema, parseEnvironment } from '#core/config/env.js';
import { DynamoCursorStore } from '#core/cursor/dynamo-cursor-store.js';
import { createMimecastClient } from '#core/mimecast/index.js';
import type { RetryWait } from '#core/mimecast/types.js';
import type { CursorStore, ObjectStore } from '#core/ports.js';
import { readSecretText } from '#core/secrets.js';
import { MimecastSession } from './mimecast-session.js';

/** The per-container pieces the handler runs the engine with. */
export interface CollectorRuntime {
  config: CollectorConfig;
  objects: ObjectStore;
  cursor: CursorStore;
  session: MimecastSession;
}

/** A runtime that owns its AWS clients (a fleet container evicts the runtimes of idle sources). */
export interface OwnedCollectorRuntime extends CollectorRuntime {
  /** Closes its AWS clients' connections; the runtime is unusable afterwards. */
  destroy(): void;
}

/** Hooks into the runtime's AWS clients and Mimecast client (tracing, metrics). */
export interface RuntimeHooks {
  /** Wraps each AWS SDK client once (e.g. Tracer.captureAWSv3Client). */
  instrument?: <T>(client: T) => T;
  /** Called before every Mimecast retry wait. */
  onWait?: (wait: RetryWait) => void;
}

/** AWS credentials (or a function that resolves them), as the SDK clients take them. */
export type AwsCredentials = NonNullable<S3ClientConfig['credentials']>;

/** What buildCollectorRuntime takes besides the hooks. */
export interface RuntimeOptions extends RuntimeHooks {
  /** The credentials of the S3, DynamoDB and Secrets Manager clients; default the SDK's default chain. */
  credentials?: AwsCredentials;
}

/**
 * How many AWS calls in a row can hang in a failed run: when DynamoDB itself hangs, the call that
 * fails, then the engine's recording of the error and release of the lease (each is tried).
 */
const HUNG_CALLS_PER_FAILURE = 3;

/**
 * Throws unless hung AWS calls end within SAFETY_MARGIN_MS, the time the engine keeps free at the
 * end of an invocation: otherwise a hang near the end would again be ended by Lambda's timeout.
 */
export function assertAwsTimeoutsFit(config: AwsClientSettings & { SAFETY_MARGIN_MS: number }): void {
  const worstMs = HUNG_CALLS_PER_FAILURE * worstCaseCallMs(config);
  if (worstMs > config.SAFETY_MARGIN_MS) {
    throw new Error(
      `Invalid environment: AWS_MAX_ATTEMPTS × AWS_REQUEST_TIMEOUT_MS does not fit SAFETY_MARGIN_MS: ${HUNG_CALLS_PER_FAILURE} hung AWS calls (a failure and its cleanup) could take ${worstMs} ms, more than ${config.SAFETY_MARGIN_MS} ms`,
    );
  }
}

/** Validates `env` and builds the runtime; throws an Error naming every bad variable. */
export function createCollectorRuntime(
  env: Record<string, string | undefined>,
  hooks: RuntimeHooks = {},
): CollectorRuntime {
  const config = parseEnvironment(collectorEnvSchema, env);
  assertAwsTimeoutsFit(config);
  return buildCollectorRuntime(config, hooks);
}

/** Builds the runtime of a validated configuration (its clients, stores and Mimecast session). */
export function buildCollectorRuntime(
  config: CollectorConfig,
  options: RuntimeOptions = {},
): OwnedCollectorRuntime {
  const instrument = options.instrument ?? (<T>(client: T) => client);
  // One config object per client: each builds its own HTTP handler from it.
  const clientConfig = () =>
    options.credentials === undefined
      ? awsClientConfig(config)
      : { ...awsClientConfig(config), credentials: options.credentials };
  const s3 = instrument(new S3Client(clientConfig()));
  const dynamodb = instrument(new DynamoDBClient(clientConfig()));
  const secrets = instrument(new SecretsManagerClient(clientConfig()));
  const session = new MimecastSession(
    () => readSecretText(secrets, config.MIMECAST_SECRET_ID),
    (secret) =>
      createMimecastClient(secret, {
        requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
        pageSize: config.PAGE_SIZE,
        onWait: options.onWait,
      }),
  );
  return {
    config,
    objects: new S3ObjectStore(s3, config.BUCKET_NAME),
    cursor: new DynamoCursorStore(dynamodb, config.CURSOR_TABLE_NAME),
    session,
    destroy: () => {
      s3.destroy();
      dynamodb.destroy();
      secrets.destroy();
    },
  };
}
