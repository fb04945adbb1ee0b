/**
 * One HTTP exchange with a time limit. Transport failures become RetryableErrors with the
 * right reason; HTTP statuses are left to `response.ts`.
 */
import { RetryableError } from './errors.js';

/** The subset of `fetch` the client uses (injectable for tests). */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** The signals of one attempt: `signal` fires on either the caller's abort or the time limit. */
export interface AttemptSignal {
  signal: AbortSignal;
  timeoutMs: number;
  caller?: AbortSignal | undefined;
  /** Stops the timer and detaches from the caller's signal; call when the attempt is over. */
  dispose(): void;
}

/**
 * Combines the caller's signal with a per-attempt time limit. A plain timer and controller
 * rather than `AbortSignal.timeout` + `AbortSignal.any`: on Node 20 a composite signal can be
 * garbage-collected with its timeout before it fires, and then a stalled request waits forever
 * (seen here under load: a 500 ms limit that never fired).
 */
export function attemptSignal(timeoutMs: number, caller: AbortSignal | undefined): AttemptSignal {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), Math.max(1, Math.floor(timeoutMs)));
  const onCallerAbort = () => controller.abort();
  if (caller?.aborted) controller.abort();
  else caller?.addEventListener('abort', onCallerAbort, { once: true });
  return {
    signal: controller.signal,
    timeoutMs,
    caller,
    dispose() {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onCallerAbort);
    },
  };
}

/** The error for an aborted attempt: the caller's abort, or our time limit. */
export function abortedError(label: string, attempt: AttemptSignal): RetryableError {
  if (attempt.caller?.aborted) {
    return new RetryableError(`Mimecast ${label}: aborted by the caller`, 'timeout');
  }
  return new RetryableError(
    `Mimecast ${label}: no complete answer within ${attempt.timeoutMs} ms`,
    'timeout',
  );
}

/** A system error code such as `ECONNRESET` or `UND_ERR_SOCKET`, and the error carrying it, if any. */
function networkFailure(
  err: unknown,
): (Error & { code: string; address?: unknown; port?: unknown }) | undefined {
  for (let current = err, depth = 0; current instanceof Error && depth < 4; depth++) {
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code))
      return current as Error & { code: string };
    current = current.cause;
  }
  return undefined;
}

/** True when `err` or one of its causes has exactly `message` (a fixed text, so nothing of the URL is echoed). */
function hasCauseMessage(err: unknown, message: string): boolean {
  for (let current = err, depth = 0; current instanceof Error && depth < 4; depth++) {
    if (current.message === message) return true;
    current = current.cause;
  }
  return false;
}

/** Codes that mean no connection was made (as opposed to one that broke). */
const CONNECT_FAILURES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed for now',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EHOSTDOWN: 'host is down',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed TLS certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed TLS certificate in the chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate cannot be verified',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'TLS certificate issuer unknown',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate is for another host',
  EPROTO: 'TLS or protocol error',
};

/** Codes of a connection that was made and then broke. */
const BROKEN_CONNECTIONS: Readonly<Record<string, string>> = {
  ECONNRESET: 'connection reset by the server',
  EPIPE: 'connection closed while sending',
  UND_ERR_SOCKET: 'connection closed unexpectedly',
  UND_ERR_CLOSED: 'connection closed',
  ECONNABORTED: 'connection aborted',
};

/**
 * `host:port` of the request (the URL's, with the scheme's default port), plus the address that
 * was dialled when it differs (after DNS): never the URL's credentials, path or query string,
 * which may carry secrets.
 */
function endpointOf(
  url: string | undefined,
  failure: { address?: unknown; port?: unknown } | undefined,
): string {
  const address =
    typeof failure?.address === 'string' && failure.address !== '' ? failure.address : undefined;
  const dialledPort =
    typeof failure?.port === 'number' || typeof failure?.port === 'string' ? String(failure.port) : undefined;
  let host: string | undefined;
  let port: string | undefined;
  if (url !== undefined) {
    try {
      const parsed = new URL(url);
      host = parsed.hostname;
      port = parsed.port || (parsed.protocol === 'http:' ? '80' : '443');
    } catch (err: unknown) {
      // An unparseable URL is reported by the client before any request; here it only loses the host.
      if (!(err instanceof TypeError)) throw err;
    }
  }
  const bracket = (name: string) => (name.includes(':') && !name.startsWith('[') ? `[${name}]` : name);
  const target = host ?? address;
  if (target === undefined) return 'the server';
  const shown = `${bracket(target)}${(port ?? dialledPort) === undefined ? '' : `:${port ?? dialledPort}`}`;
  return address !== undefined && bracket(address) !== bracket(target) ? `${shown} at ${address}` : shown;
}

/**
 * Classifies a failure thrown by fetch or by reading the body. The message names the host,
 * port and reason (`cannot connect to 127.0.0.1:9 (ECONNREFUSED: connection refused)`), so a
 * wrong base URL or a firewall is recognisable without a debugger; `url` is only read for its
 * host and port.
 */
export function transportError(
  label: string,
  attempt: AttemptSignal,
  err: unknown,
  url?: string,
): RetryableError {
  if (attempt.signal.aborted) return abortedError(label, attempt);
  const failure = networkFailure(err);
  const code = failure?.code;
  const endpoint = endpointOf(url, failure);
  let message: string;
  if (code !== undefined && CONNECT_FAILURES[code] !== undefined) {
    message = `cannot connect to ${endpoint} (${code}: ${CONNECT_FAILURES[code]})`;
  } else if (code !== undefined && BROKEN_CONNECTIONS[code] !== undefined) {
    message = `connection to ${endpoint} failed (${code}: ${BROKEN_CONNECTIONS[code]})`;
  } else if (code !== undefined) {
    message = `network error talking to ${endpoint} (${code})`;
  } else if (hasCauseMessage(err, 'bad port')) {
    // fetch refuses some ports outright (1, 7, 9, 25, …) without trying to connect.
    message = `cannot connect to ${endpoint} (fetch refuses this port: it is on the Fetch standard's list of bad ports)`;
  } else {
    // No code: the error's own text may quote the URL (and so a query string); name only its class.
    const kind = err instanceof Error ? err.name : 'unknown failure';
    message = `network error talking to ${endpoint} (${kind}, no error code)`;
  }
  return new RetryableError(`Mimecast ${label}: ${message}`, 'network', { code, cause: err });
}

/** A fully read answer. */
export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: Uint8Array;
}

/** POSTs `body` and reads the whole answer within the attempt's time limit. Never follows redirects. */
export async function post(
  fetchFn: FetchLike,
  url: string,
  headers: Record<string, string>,
  body: string,
  label: string,
  attempt: AttemptSignal,
): Promise<HttpAnswer> {
  try {
    const response = await fetchFn(url, {
      method: 'POST',
      headers,
      body,
      signal: attempt.signal,
      redirect: 'manual',
    });
    // The body read is under the same signal: a server that stalls mid-body times out too.
    const bytes = new Uint8Array(await response.arrayBuffer());
    return { status: response.status, headers: response.headers, body: bytes };
  } catch (err: unknown) {
    throw transportError(label, attempt, err, url);
  }
}

/** Awaits `promise` but gives up (with the attempt's abort error) as soon as the attempt's signal fires. */
export function raceAbort<T>(promise: Promise<T>, label: string, attempt: AttemptSignal): Promise<T> {
  if (attempt.signal.aborted) return Promise.reject(abortedError(label, attempt));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortedError(label, attempt));
    attempt.signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        attempt.signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        attempt.signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
