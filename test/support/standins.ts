/**
 * Test helpers over the local AWS stand-ins: start them, build real SDK clients pointed at them,
 * and read back what S3 holds through the S3 API (never s3rver's on-disk layout).
 */
import { gunzipSync } from 'node:zlib';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type StandinOptions, type Standins, startStandins } from '#local/standins/index.js';
import { listKeys } from '#local/standins/s3.js';

export { applyEnv, type StandinOptions, type Standins, startStandins } from '#local/standins/index.js';
export { listKeys } from '#local/standins/s3.js';

/** Started stand-ins plus one real SDK client per service. */
export interface StandinsWithClients {
  standins: Standins;
  s3: S3Client;
  dynamodb: DynamoDBClient;
  secrets: SecretsManagerClient;
  /** Destroys the clients, then stops the stand-ins. */
  close(): Promise<void>;
}

/**
 * Client configuration taken from the stand-ins' `env` (region, dummy credentials, endpoint,
 * checksum mode), without touching process.env, so test files can run side by side.
 * Product code gets the same settings from the environment instead.
 */
export function clientConfig(env: Record<string, string>, endpointVariable: string) {
  const endpoint = env[endpointVariable];
  const region = env.AWS_REGION;
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!endpoint || !region || !accessKeyId || !secretAccessKey) {
    throw new Error(`stand-in env lacks ${endpointVariable}, region or credentials`);
  }
  return {
    endpoint,
    region,
    credentials: { accessKeyId, secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  } as const;
}

/** Starts the stand-ins and creates SDK clients for them. */
export async function withStandins(options: StandinOptions = {}): Promise<StandinsWithClients> {
  const standins = await startStandins(options);
  const s3 = new S3Client({ ...clientConfig(standins.env, 'AWS_ENDPOINT_URL_S3'), forcePathStyle: true });
  const dynamodb = new DynamoDBClient(clientConfig(standins.env, 'AWS_ENDPOINT_URL_DYNAMODB'));
  const secrets = new SecretsManagerClient(clientConfig(standins.env, 'AWS_ENDPOINT_URL_SECRETS_MANAGER'));
  return {
    standins,
    s3,
    dynamodb,
    secrets,
    close: async () => {
      s3.destroy();
      dynamodb.destroy();
      secrets.destroy();
      await standins.close();
    },
  };
}

/** One archive object as S3 serves it. */
export interface DownloadedObject {
  key: string;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  /** The raw (still gzipped) body. */
  body: Uint8Array;
}

/** GetObject of one key. */
export async function getObject(s3: S3Client, bucket: string, key: string): Promise<DownloadedObject> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!object.Body) throw new Error(`s3://${bucket}/${key} has no body`);
  return {
    key,
    contentType: object.ContentType,
    contentEncoding: object.ContentEncoding,
    body: await object.Body.transformToByteArray(),
  };
}

/** Parses a gzip NDJSON body into its lines' objects (throws on a line that is not JSON). */
export function decodeNdjsonGzip(body: Uint8Array): unknown[] {
  const text = gunzipSync(body).toString('utf8');
  if (text === '') return [];
  if (!text.endsWith('\n')) throw new Error('NDJSON body does not end with a newline');
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as unknown);
}

/** Downloads and decodes every object under `prefix` through the real S3 API. */
export async function downloadArchive(
  s3: S3Client,
  bucket: string,
  prefix: string,
): Promise<
  Array<{
    key: string;
    contentType: string | undefined;
    contentEncoding: string | undefined;
    records: unknown[];
  }>
> {
  const keys = await listKeys(s3, bucket, prefix);
  const objects = [];
  for (const key of keys) {
    const object = await getObject(s3, bucket, key);
    objects.push({
      key,
      contentType: object.contentType,
      contentEncoding: object.contentEncoding,
      records: decodeNdjsonGzip(object.body),
    });
  }
  return objects;
}
