/**
 * What a collector container builds once: the validated configuration, the AWS clients (SDK
 * default chains: region from AWS_REGION, endpoints from AWS_ENDPOINT_URL_*), the stores over
 * them and the cached Mimecast session. Nothing here knows whether it runs in Lambda,
 * `npm start` or a test.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { S3ObjectStore } from '#core/archive/s3-object-store.js';
import { type CollectorConfig, collectorEnvSchema, parseEnvironment } from '#core/config/env.js';
import { DynamoCursorStore } from '#core/cursor/dynamo-cursor-store.js';
import { ConfigurationError, createMimecastClient } from '#core/mimecast/index.js';
import type { RetryWait } from '#core/mimecast/types.js';
import type { CursorStore, ObjectStore } from '#core/ports.js';
import { MimecastSession } from './mimecast-session.js';

/** The per-container pieces the handler runs the engine with. */
export interface CollectorRuntime {
  config: CollectorConfig;
  objects: ObjectStore;
  cursor: CursorStore;
  session: MimecastSession;
}

/** Hooks into the runtime's AWS clients and Mimecast client (tracing, metrics). */
export interface RuntimeHooks {
  /** Wraps each AWS SDK client once (e.g. Tracer.captureAWSv3Client). */
  instrument?: <T>(client: T) => T;
  /** Called before every Mimecast retry wait. */
  onWait?: (wait: RetryWait) => void;
}

/** A secret that could not be read (missing, no access, network). The message names the secret id, never its value. */
export class SecretReadError extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'SecretReadError';
  }
}

/** Reads the Mimecast secret's text from Secrets Manager. */
export async function readSecretString(client: SecretsManagerClient, secretId: string): Promise<string> {
  let value: string | undefined;
  try {
    const answer = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    value = answer.SecretString;
  } catch (err: unknown) {
    const name = err instanceof Error ? err.name : 'unknown error';
    throw new SecretReadError(
      `Could not read the Mimecast secret ${secretId} (MIMECAST_SECRET_ID): ${name}`,
      err,
    );
  }
  if (value === undefined) {
    throw new ConfigurationError(
      `Invalid Mimecast secret: ${secretId} has no SecretString (binary secrets are not supported)`,
    );
  }
  return value;
}

/** Validates `env` and builds the runtime; throws an Error naming every bad variable. */
export function createCollectorRuntime(
  env: Record<string, string | undefined>,
  hooks: RuntimeHooks = {},
): CollectorRuntime {
  const config = parseEnvironment(collectorEnvSchema, env);
  const instrument = hooks.instrument ?? (<T>(client: T) => client);
  const s3 = instrument(new S3Client({}));
  const dynamodb = instrument(new DynamoDBClient({}));
  const secrets = instrument(new SecretsManagerClient({}));
  const session = new MimecastSession(
    () => readSecretString(secrets, config.MIMECAST_SECRET_ID),
    (secret) =>
      createMimecastClient(secret, {
        requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
        pageSize: config.PAGE_SIZE,
        onWait: hooks.onWait,
      }),
  );
  return {
    config,
    objects: new S3ObjectStore(s3, config.BUCKET_NAME),
    cursor: new DynamoCursorStore(dynamodb, config.CURSOR_TABLE_NAME),
    session,
  };
}
