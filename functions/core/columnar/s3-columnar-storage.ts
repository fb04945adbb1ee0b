/**
 * The ColumnarStorage port on S3. Uploads go through @aws-sdk/lib-storage's Upload (multipart
 * above one part, PutObject below), fed through a stream so that only a few parts are in memory
 * at once. Listings use ListObjects (v1) paged by Marker, as the archive does (see
 * s3-object-store.ts: the local S3 stand-in cannot continue V2 listings).
 */
import { PassThrough } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  PutObjectTaggingCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { httpStatusOf, s3Call, s3Failure } from '#core/archive/object-store-error.js';
import type { ColumnarStorage, ListedObject, StreamingUpload } from './storage.js';

/** Part size of multipart uploads: S3's minimum is 5 MiB; 8 MiB keeps a 1M-event day to a few parts. */
const PART_BYTES = 8 * 1024 * 1024;
/** Parts uploaded at once: memory stays near PART_BYTES × (QUEUE + 1). */
const QUEUE = 2;

const nameOf = (err: unknown): string => (err instanceof Error ? err.name : 'UnknownError');

/** Columnar reads and writes in one bucket. */
export class S3ColumnarStorage implements ColumnarStorage {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async list(prefix: string): Promise<ListedObject[]> {
    const objects: ListedObject[] = [];
    let marker: string | undefined;
    for (;;) {
      const page = await this.call('ListObjects', prefix, () =>
        this.client.send(new ListObjectsCommand({ Bucket: this.bucket, Prefix: prefix, Marker: marker })),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key !== undefined)
          objects.push({ key: object.Key, etag: object.ETag ?? '', size: object.Size ?? 0 });
      }
      const last = objects.at(-1)?.key;
      if (!page.IsTruncated || last === undefined) return objects;
      marker = page.NextMarker ?? last;
    }
  }

  async listDirectories(prefix: string): Promise<string[]> {
    const names: string[] = [];
    let marker: string | undefined;
    for (;;) {
      const page = await this.call('ListObjects', prefix, () =>
        this.client.send(
          new ListObjectsCommand({ Bucket: this.bucket, Prefix: prefix, Delimiter: '/', Marker: marker }),
        ),
      );
      for (const common of page.CommonPrefixes ?? []) {
        if (common.Prefix !== undefined) names.push(common.Prefix.slice(prefix.length));
      }
      if (!page.IsTruncated) return names;
      const next = page.NextMarker ?? page.CommonPrefixes?.at(-1)?.Prefix;
      if (next === undefined) return names;
      marker = next;
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return object.Body ? await object.Body.transformToByteArray() : new Uint8Array();
    } catch (err: unknown) {
      if (nameOf(err) === 'NoSuchKey') return undefined;
      throw this.failure('GetObject', key, err);
    }
  }

  async metadata(key: string): Promise<Record<string, string> | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return head.Metadata ?? {};
    } catch (err: unknown) {
      if (nameOf(err) === 'NotFound' || httpStatusOf(err) === 404) return undefined;
      throw this.failure('HeadObject', key, err);
    }
  }

  upload(key: string, options: { contentType: string; metadata: Record<string, string> }): StreamingUpload {
    const body = new PassThrough();
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: options.contentType,
        Metadata: options.metadata,
      },
      partSize: PART_BYTES,
      queueSize: QUEUE,
      // A failed upload must leave nothing behind: the parts are aborted, the old object stays.
      leavePartsOnError: false,
    });
    const done = upload.done();
    // Observed here so that an early failure is not an unhandled rejection; reported by complete().
    done.catch(() => undefined);
    let failed = false;
    return {
      write: async (chunk) => {
        if (!body.write(chunk)) await new Promise<void>((resolve) => body.once('drain', resolve));
      },
      complete: async () => {
        body.end();
        try {
          await done;
        } catch (err: unknown) {
          failed = true;
          throw this.failure('Upload', key, err);
        }
      },
      abort: async () => {
        if (failed) return;
        await upload.abort().catch(() => undefined);
        body.destroy();
      },
    };
  }

  async tag(key: string, tags: Record<string, string>): Promise<void> {
    await this.call('PutObjectTagging', key, () =>
      this.client.send(
        new PutObjectTaggingCommand({
          Bucket: this.bucket,
          Key: key,
          Tagging: { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
        }),
      ),
    );
  }

  private call<T>(operation: string, key: string, send: () => Promise<T>): Promise<T> {
    return s3Call(operation, this.bucket, key, send);
  }

  private failure(operation: string, key: string, err: unknown): Error {
    return s3Failure(operation, this.bucket, key, err);
  }
}
