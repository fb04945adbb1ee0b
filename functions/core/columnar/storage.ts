/**
 * What compaction needs from S3: listings with each object's ETag and size (the fingerprint of a
 * day's NDJSON), the day directories of a source, whole reads of NDJSON objects, the metadata of a
 * Parquet object, and an upload that takes a file in chunks and makes it visible only when it is
 * complete (an S3 multipart upload: parts are invisible until CompleteMultipartUpload).
 */

/** An object in a listing. */
export interface ListedObject {
  key: string;
  etag: string;
  size: number;
}

/** An upload in progress. Until complete() resolves nothing is visible under the key. */
export interface StreamingUpload {
  write(chunk: Uint8Array): Promise<void>;
  /** Makes the object visible (replacing any previous one at the key). */
  complete(): Promise<void>;
  /** Drops what was uploaded; the previous object (if any) stays as it was. */
  abort(): Promise<void>;
}

/** The port. */
export interface ColumnarStorage {
  /** Every object under `prefix`, in key order. */
  list(prefix: string): Promise<ListedObject[]>;
  /** The names directly under `prefix` that end in `/` (e.g. `dt=2026-11-25/`), in order. */
  listDirectories(prefix: string): Promise<string[]>;
  /** An object's bytes; undefined when there is none. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** An object's user metadata; undefined when there is no object. */
  metadata(key: string): Promise<Record<string, string> | undefined>;
  /** Starts an upload to `key` with user metadata known up front. */
  upload(key: string, options: { contentType: string; metadata: Record<string, string> }): StreamingUpload;
  /** Tags objects (storage-class transitions of compacted NDJSON key off a tag). */
  tag(key: string, tags: Record<string, string>): Promise<void>;
}
