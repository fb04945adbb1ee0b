/** Small helpers shared by the loopback stand-ins. */
import type { Server } from 'node:http';

/** The loopback address every stand-in binds to (never a public interface). */
export const LOOPBACK = '127.0.0.1';

/** `http://127.0.0.1:<port>` of a listening server. */
export function endpointOf(server: Server): string {
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new Error('stand-in server is not listening on TCP');
  return `http://${LOOPBACK}:${address.port}`;
}

/** Listens on 127.0.0.1 with an ephemeral port. */
export function listenOnLoopback(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Stops a server now: stops accepting, then drops every connection. Without the second step
 * `close` would wait for the SDK's keep-alive sockets to idle out.
 */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err?: Error) => {
      // ERR_SERVER_NOT_RUNNING: already closed, which is what the caller wants.
      if (err && (err as NodeJS.ErrnoException).code !== 'ERR_SERVER_NOT_RUNNING') reject(err);
      else resolve();
    });
    server.closeAllConnections();
  });
}
