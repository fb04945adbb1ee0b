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

/** A system error code such as `ECONNRESET` or `UND_ERR_SOCKET`, if the failure carries one. */
function networkCode(err: unknown): string | undefined {
  for (let current = err, depth = 0; current instanceof Error && depth < 4; depth++) {
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code)) return code;
    current = current.cause;
  }
  return undefined;
}

/** Classifies a failure thrown by fetch or by reading the body. */
export function transportError(label: string, attempt: AttemptSignal, err: unknown): RetryableError {
  if (attempt.signal.aborted) return abortedError(label, attempt);
  const code = networkCode(err);
  return new RetryableError(`Mimecast ${label}: network error${code ? ` (${code})` : ''}`, 'network', {
    code,
    cause: err,
  });
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
    throw transportError(label, attempt, err);
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
