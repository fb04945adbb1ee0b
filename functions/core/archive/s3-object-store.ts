/** The ObjectStore port over Amazon S3. */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectStore } from '#core/ports.js';

/** A failed archive write; `cause` is the SDK error. The message names the key, never the body. */
export class ObjectStoreError extends Error {
  /** The SDK error name (e.g. `AccessDenied`, `NoSuchBucket`), when there was one. */
  readonly errorName: string | undefined;
  /** The HTTP status S3 answered with, when there was one. */
  readonly status: number | undefined;

  constructor(
    message: string,
    details: { errorName?: string | undefined; status?: number | undefined; cause: unknown },
  ) {
    super(message, { cause: details.cause });
    this.name = 'ObjectStoreError';
    this.errorName = details.errorName;
    this.status = details.status;
  }
}

/** Writes archive objects into one bucket. */
export class S3ObjectStore implements ObjectStore {
  /** `client` is created once per container; `bucket` is BUCKET_NAME. */
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  /**
   * PutObject with the body and its Content-Type. Deliberately no `Content-Encoding`: the
   * objects are gzip files, not gzip-encoded transfers (Athena picks the codec from the `.gz`
   * suffix, and a browser or SDK would otherwise silently decompress on download). No SSE
   * headers either: the bucket's default encryption (set by the stack) applies to every write,
   * so the key policy lives in one place and a header here could only contradict it.
   */
  async putObject(key: string, body: Uint8Array, contentType: string): Promise<void> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: contentType,
          ContentLength: body.byteLength,
        }),
      );
    } catch (err: unknown) {
      const errorName = err instanceof Error ? err.name : undefined;
      const status = httpStatusOf(err);
      throw new ObjectStoreError(
        `PutObject s3://${this.bucket}/${key} failed: ${errorName ?? 'unknown error'}${status ? ` (HTTP ${status})` : ''}`,
        { errorName, status, cause: err },
      );
    }
  }
}

/** The HTTP status from an SDK v3 error's `$metadata`, if any. */
function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('$metadata' in err)) return undefined;
  const metadata: unknown = err.$metadata;
  if (typeof metadata !== 'object' || metadata === null || !('httpStatusCode' in metadata)) return undefined;
  const status: unknown = metadata.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}
