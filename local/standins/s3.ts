/** S3 stand-in: s3rver 3.7 in-process on 127.0.0.1, storing objects under a local directory. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { closeServer, LOOPBACK } from './net.js';

/** A running S3 stand-in. */
export interface S3Standin {
  /** `http://127.0.0.1:<port>`; an IP endpoint makes the SDK use path-style addressing. */
  endpoint: string;
  /** Where s3rver keeps the bucket (its own file layout, with metadata side files). */
  directory: string;
  close(): Promise<void>;
}

/**
 * Starts s3rver with `bucket` created. Without `directory` a temporary one is made and
 * removed on close; a given directory is left in place (so `npm start` data survives).
 */
export async function startS3(options: {
  bucket: string;
  directory?: string | undefined;
}): Promise<S3Standin> {
  const ownDirectory = options.directory === undefined;
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 's3-standin-')));
  const server = new S3rver({
    port: 0,
    address: LOOPBACK,
    silent: true,
    directory,
    // Path-style only: virtual-host buckets would need DNS names under the endpoint.
    vhostBuckets: false,
    configureBuckets: [{ name: options.bucket }],
  });
  const { port } = await server.run();
  const { httpServer } = server;
  return {
    endpoint: `http://${LOOPBACK}:${port}`,
    directory,
    close: async () => {
      if (httpServer) await closeServer(httpServer);
      if (ownDirectory) await rm(directory, { recursive: true, force: true });
    },
  };
}

/** Every key under `prefix`, in key order (the product's own listing, so tests read S3 as the collector does). */
export { listAllKeys as listKeys } from '#core/archive/s3-object-store.js';
