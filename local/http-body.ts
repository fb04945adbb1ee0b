/** Reading request bodies in the loopback servers (simulator, Secrets Manager stand-in, local API). */
import type { IncomingMessage } from 'node:http';

/**
 * Reads a request body whole. Past `maxBytes` it keeps draining (so the server can still answer
 * 413 on the same connection) but stops collecting, and resolves `'too_large'`. Rejects if the
 * client disconnects before the body is complete, so no caller waits forever.
 */
export function readRequestBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer | string) => {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      size += buffer.length;
      if (size <= maxBytes) chunks.push(buffer);
    });
    req.on('end', () => resolve(size > maxBytes ? 'too_large' : Buffer.concat(chunks)));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('request aborted before its body was complete'));
    });
  });
}
