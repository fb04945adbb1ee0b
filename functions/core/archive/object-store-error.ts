/** The error of a failed S3 call, shared by the archive's and the columnar copy's stores. */
/** A failed archive read or write; `cause` is the SDK error. The message names the key, never the body. */
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

/** The HTTP status from an SDK v3 error's `$metadata`, if any. */
export function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('$metadata' in err)) return undefined;
  const metadata: unknown = err.$metadata;
  if (typeof metadata !== 'object' || metadata === null || !('httpStatusCode' in metadata)) return undefined;
  const status: unknown = metadata.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The ObjectStoreError of a failed S3 call: names the operation and `s3://bucket/key`, never a body. */
export function s3Failure(operation: string, bucket: string, key: string, err: unknown): ObjectStoreError {
  const errorName = err instanceof Error ? err.name : undefined;
  const status = httpStatusOf(err);
  return new ObjectStoreError(
    `${operation} s3://${bucket}/${key} failed: ${errorName ?? 'unknown error'}${status ? ` (HTTP ${status})` : ''}`,
    { errorName, status, cause: err },
  );
}

/** Runs one S3 call; a failure becomes its s3Failure. */
export async function s3Call<T>(
  operation: string,
  bucket: string,
  key: string,
  send: () => Promise<T>,
): Promise<T> {
  try {
    return await send();
  } catch (err: unknown) {
    throw s3Failure(operation, bucket, key, err);
  }
}
