/** The ObjectStore port over Amazon S3. */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { ObjectStore } from '#core/ports.js';
import { httpStatusOf, s3Call, s3Failure } from './object-store-error.js';

export { ObjectStoreError } from './object-store-error.js';

/**
 * Every key under `prefix`, in key order. ListObjects (v1) paged by `Marker` (the last key of the
 * previous page), which S3 still supports for backward compatibility and which needs no
 * continuation token: the s3rver stand-in encrypts V2 tokens with a cipher Node ≥ 17 refuses by
 * default, so any truncated V2 listing fails there with HTTP 500. Same IAM action (s3:ListBucket).
 */
export async function listAllKeys(
  s3: S3Client,
  bucket: string,
  prefix: string,
  pageSize = 1000,
): Promise<string[]> {
  const keys: string[] = [];
  let marker: string | undefined;
  for (;;) {
    const page = await s3.send(
      new ListObjectsCommand({ Bucket: bucket, Prefix: prefix, Marker: marker, MaxKeys: pageSize }),
    );
    const pageKeys = (page.Contents ?? []).flatMap((object) =>
      object.Key === undefined ? [] : [object.Key],
    );
    keys.push(...pageKeys);
    const last = pageKeys.at(-1);
    if (!page.IsTruncated || last === undefined) return keys;
    marker = page.NextMarker ?? last;
  }
}

/** Reads and writes archive objects in one bucket. */
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
    await this.call('PutObject', key, () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: contentType,
          ContentLength: body.byteLength,
        }),
      ),
    );
  }

  /** GetObject; `undefined` for a key that does not exist. */
  async getObject(key: string): Promise<Uint8Array | undefined> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!object.Body) return new Uint8Array();
      return await object.Body.transformToByteArray();
    } catch (err: unknown) {
      if (err instanceof Error && (err.name === 'NoSuchKey' || httpStatusOf(err) === 404)) return undefined;
      throw this.failure('GetObject', key, err);
    }
  }

  /** Every key under `prefix` (needs s3:ListBucket on the prefix). */
  async listKeys(prefix: string): Promise<string[]> {
    return this.call('ListObjects', prefix, () => listAllKeys(this.client, this.bucket, prefix));
  }

  /** DeleteObject (in a versioned bucket: a delete marker; earlier versions stay). */
  async deleteObject(key: string): Promise<void> {
    await this.call('DeleteObject', key, () =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })),
    );
  }

  private call<T>(operation: string, key: string, send: () => Promise<T>): Promise<T> {
    return s3Call(operation, this.bucket, key, send);
  }

  private failure(operation: string, key: string, err: unknown): Error {
    return s3Failure(operation, this.bucket, key, err);
  }
}
