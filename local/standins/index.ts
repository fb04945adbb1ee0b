/**
 * The local AWS: S3 (s3rver), DynamoDB (dynalite) and Secrets Manager (a small JSON 1.1
 * server), all in-process on 127.0.0.1 with ephemeral ports. `env` holds the standard SDK
 * variables that point unmodified product code at them: the same code path as in Lambda, with
 * no test-only branches. Used by `npm start`, the integration tests and the benchmarks.
 */
import { STANDIN_CREDENTIALS, STANDIN_REGION } from './constants.js';
import { startDynamoDb } from './dynamodb.js';
import { startS3 } from './s3.js';
import { startSecretsManager } from './secrets-manager.js';

export { STANDIN_CREDENTIALS, STANDIN_REGION } from './constants.js';

/** Options of startStandins. */
export interface StandinOptions {
  /** Where s3rver stores the bucket; a temporary directory (removed on close) when absent. */
  directory?: string | undefined;
  bucket?: string | undefined;
  table?: string | undefined;
  /** Secrets to create up front: id (name) → SecretString. */
  secrets?: Record<string, string> | undefined;
}

/** Running stand-ins. */
export interface Standins {
  /** AWS_* endpoint/region/credential variables plus BUCKET_NAME and CURSOR_TABLE_NAME. */
  env: Record<string, string>;
  bucket: string;
  table: string;
  /** s3rver's storage directory (its own layout; read objects through the S3 API instead). */
  s3Directory: string;
  /** Creates a secret or stores a new current version (e.g. to rotate credentials mid-test). */
  putSecret(id: string, value: string): void;
  /** Creates a secret without any value, as the stack does for the operator to fill in. */
  createEmptySecret(name: string): void;
  close(): Promise<void>;
}

export const DEFAULT_BUCKET = 'mimecast-audit-local';
export const DEFAULT_TABLE = 'mimecast-audit-cursor';

/**
 * Starts all three stand-ins. If one fails to start, the others are stopped before the
 * error propagates, so no server is left listening.
 */
export async function startStandins(options: StandinOptions = {}): Promise<Standins> {
  const bucket = options.bucket ?? DEFAULT_BUCKET;
  const table = options.table ?? DEFAULT_TABLE;
  const started = await Promise.allSettled([
    startS3({ bucket, directory: options.directory }),
    startDynamoDb({ table }),
    startSecretsManager({ region: STANDIN_REGION, secrets: options.secrets }),
  ]);
  const [s3, dynamodb, secrets] = started;
  if (s3.status !== 'fulfilled' || dynamodb.status !== 'fulfilled' || secrets.status !== 'fulfilled') {
    await Promise.allSettled(started.map((r) => (r.status === 'fulfilled' ? r.value.close() : undefined)));
    const failure = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    throw failure?.reason ?? new Error('a stand-in failed to start');
  }

  const env: Record<string, string> = {
    AWS_REGION: STANDIN_REGION,
    AWS_ACCESS_KEY_ID: STANDIN_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: STANDIN_CREDENTIALS.secretAccessKey,
    // An IP-address endpoint makes the SDK address buckets path-style (no DNS per bucket).
    AWS_ENDPOINT_URL_S3: s3.value.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamodb.value.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.value.endpoint,
    // s3rver stores aws-chunked (streaming checksum) bodies verbatim, i.e. corrupted; only
    // checksum when an operation requires it, as SDKs did before 2025.
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    BUCKET_NAME: bucket,
    CURSOR_TABLE_NAME: table,
  };

  let closing: Promise<void> | undefined;
  return {
    env,
    bucket,
    table,
    s3Directory: s3.value.directory,
    putSecret: secrets.value.putSecret,
    createEmptySecret: secrets.value.createEmptySecret,
    close: () => {
      // Idempotent: Ctrl-C handlers and test teardown may both call it.
      closing ??= Promise.all([s3.value.close(), dynamodb.value.close(), secrets.value.close()]).then(
        () => undefined,
      );
      return closing;
    },
  };
}

/** Sets `env` on process.env; returns a function that restores the previous values (and removes added ones). */
export function applyEnv(env: Record<string, string>): () => void {
  const previous = new Map<string, string | undefined>();
  for (const [name, value] of Object.entries(env)) {
    previous.set(name, process.env[name]);
    process.env[name] = value;
  }
  return () => {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
