/**
 * Turns Mimecast HTTP answers into data or into the error taxonomy of `errors.ts`. Messages
 * carry the status, Mimecast's error code and a short cleaned-up message, never raw bodies.
 */
import {
  AuthenticationError,
  BindingExpiredError,
  FatalError,
  type MimecastError,
  RateLimitedError,
  RetryableError,
} from './errors.js';

/** The code Mimecast answers when API 1.0 keys have expired. */
export const BINDING_EXPIRED_CODE = 'err_xdk_binding_expired';

const MAX_MESSAGE_CHARS = 160;

/** Removes known secret values from text that came from upstream. */
export type Redactor = (text: string) => string;

/** Builds a redactor for the given secret values (empty strings are ignored). */
export function createRedactor(values: () => readonly string[]): Redactor {
  return (text) => {
    let out = text;
    for (const value of values()) {
      if (value.length >= 4) out = out.split(value).join('[redacted]');
    }
    return out;
  };
}

/** A single failure reported inside a response's `fail[]`. */
export interface FailureInfo {
  code?: string | undefined;
  message?: string | undefined;
  retryable: boolean;
}

/** What classification needs besides the response itself. */
export interface ResponseContext {
  /** Human label, e.g. `get-audit-events`. */
  label: string;
  redact: Redactor;
  /** The client's clock, for `Retry-After` dates. */
  now: number;
  /** The backoff to use when a 429 carries no wait header. */
  fallbackRateLimitWaitMs: () => number;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Error codes are echoed only when they look like codes, so a body cannot smuggle text into logs. */
function safeCode(value: unknown): string | undefined {
  return typeof value === 'string' && /^[A-Za-z0-9_.:-]{1,80}$/.test(value) ? value : undefined;
}

function safeMessage(value: unknown, redact: Redactor): string | undefined {
  if (typeof value !== 'string') return undefined;
  const cleaned = redact(value)
    .replace(/\p{Cc}+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (cleaned === '') return undefined;
  return cleaned.length > MAX_MESSAGE_CHARS ? `${cleaned.slice(0, MAX_MESSAGE_CHARS)}…` : cleaned;
}

/**
 * Reads `fail[]` in both shapes Mimecast uses: `{errors:[{code,message,retryable}],key}` and
 * the API 2.0 gateway's `{code,message}` directly on the item. A failure without an explicit
 * `retryable: true` is treated as permanent.
 */
export function readFailures(fail: unknown, redact: Redactor): FailureInfo[] {
  if (!Array.isArray(fail)) return [];
  const failures: FailureInfo[] = [];
  for (const item of fail) {
    if (!isRecord(item)) {
      failures.push({ retryable: false });
      continue;
    }
    const errors = Array.isArray(item.errors) ? item.errors.filter(isRecord) : [];
    const sources = errors.length > 0 ? errors : [item];
    for (const source of sources) {
      failures.push({
        code: safeCode(source.code),
        message: safeMessage(source.message, redact),
        retryable: source.retryable === true,
      });
    }
  }
  return failures;
}

function describe(failure: FailureInfo | undefined): string {
  if (!failure) return '';
  const parts = [failure.code, failure.message].filter((part): part is string => part !== undefined);
  return parts.length > 0 ? ` (${parts.join(': ')})` : '';
}

/** Classifies a non-empty `fail[]` of a 200 answer: never "no data". */
export function errorFromFailures(
  failures: readonly FailureInfo[],
  label: string,
  status: number,
): MimecastError {
  const expired = failures.find((f) => f.code === BINDING_EXPIRED_CODE);
  if (expired) {
    return new BindingExpiredError(`Mimecast ${label}: API 1.0 keys have expired${describe(expired)}`, {
      status,
      code: BINDING_EXPIRED_CODE,
    });
  }
  const first = failures[0];
  // One permanent failure is enough to make the whole answer permanent: retrying won't fix it.
  const permanent = failures.find((f) => !f.retryable);
  if (!permanent) {
    return new RetryableError(
      `Mimecast ${label}: transient failure reported${describe(first)}`,
      'fail_retryable',
      {
        status,
        code: first?.code,
      },
    );
  }
  return new FatalError(`Mimecast ${label}: request failed${describe(permanent)}`, {
    status,
    code: permanent.code,
  });
}

/**
 * The server's wait before the next request, in ms: `X-RateLimit-Reset` (Mimecast documents
 * milliseconds) first, else `Retry-After` (delta seconds or an HTTP date). `undefined` if neither
 * is usable.
 */
export function parseRateLimitWait(headers: Headers, now: number): number | undefined {
  const reset = headers.get('x-ratelimit-reset')?.trim();
  if (reset && /^\d+(?:\.\d+)?$/.test(reset)) return Math.ceil(Number(reset));
  const retryAfter = headers.get('retry-after')?.trim();
  if (!retryAfter) return undefined;
  if (/^\d+$/.test(retryAfter)) return Number(retryAfter) * 1000;
  const at = Date.parse(retryAfter);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Best-effort JSON of an error body; non-JSON bodies (proxy HTML pages) are simply ignored. */
function tryParseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(body));
  } catch {
    return undefined;
  }
}

/** The first failure an error body names: `fail[]`, or an OAuth-style `{error, error_description}`. */
function bodyFailure(body: Uint8Array, redact: Redactor): FailureInfo | undefined {
  const json = tryParseJson(body);
  if (!isRecord(json)) return undefined;
  const failures = readFailures(json.fail, redact);
  const expired = failures.find((f) => f.code === BINDING_EXPIRED_CODE);
  if (expired ?? failures[0]) return expired ?? failures[0];
  const code = safeCode(json.code) ?? safeCode(json.error);
  const message = safeMessage(json.message, redact) ?? safeMessage(json.error_description, redact);
  return code || message ? { code, message, retryable: false } : undefined;
}

/** Classifies a non-2xx answer. */
export function errorFromStatus(
  status: number,
  headers: Headers,
  body: Uint8Array,
  ctx: ResponseContext,
): MimecastError {
  const failure = bodyFailure(body, ctx.redact);
  const detail = describe(failure);
  const details = { status, code: failure?.code };
  const prefix = `Mimecast ${ctx.label}: HTTP ${status}`;
  if (status === 418 || failure?.code === BINDING_EXPIRED_CODE) {
    return new BindingExpiredError(`${prefix}: API 1.0 keys have expired${detail}`, {
      status,
      code: BINDING_EXPIRED_CODE,
    });
  }
  if (status === 401 || status === 403) {
    return new AuthenticationError(`${prefix}: credentials rejected or permission missing${detail}`, details);
  }
  if (status === 429) {
    const wait = parseRateLimitWait(headers, ctx.now);
    return new RateLimitedError(
      `${prefix}: rate limited${detail}`,
      wait ?? ctx.fallbackRateLimitWaitMs(),
      details,
    );
  }
  if (status === 408) return new RetryableError(`${prefix}: request timed out${detail}`, 'timeout', details);
  if (status >= 500) return new RetryableError(`${prefix}: server error${detail}`, 'http_5xx', details);
  if (status >= 300 && status < 400) {
    // Redirects are not followed: they would carry credentials to a host nobody configured.
    return new FatalError(`${prefix}: unexpected redirect`, details);
  }
  return new FatalError(`${prefix}: request refused${detail}`, details);
}

/** A successful envelope: `data[]` and the next page token. */
export interface Envelope {
  data: unknown[];
  next?: string | undefined;
}

/**
 * Parses a 2xx body. Unparseable or shapeless JSON is retryable (`malformed_response`: a
 * truncated answer); a non-empty `fail[]` becomes an error even when `data` is present.
 */
export function parseEnvelope(
  status: number,
  body: Uint8Array,
  ctx: Pick<ResponseContext, 'label' | 'redact'>,
): Envelope {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw new RetryableError(
      `Mimecast ${ctx.label}: HTTP ${status} with a body that is not JSON`,
      'malformed_response',
      {
        status,
      },
    );
  }
  const malformed = (what: string) =>
    new RetryableError(`Mimecast ${ctx.label}: HTTP ${status} ${what}`, 'malformed_response', { status });
  if (!isRecord(json)) throw malformed('with a body that is not a JSON object');
  if (json.fail !== undefined && json.fail !== null && !Array.isArray(json.fail)) {
    throw malformed('with a "fail" that is not an array');
  }
  if (Array.isArray(json.fail) && json.fail.length > 0) {
    throw errorFromFailures(readFailures(json.fail, ctx.redact), ctx.label, status);
  }
  if (!Array.isArray(json.data)) throw malformed('without a "data" array');
  const meta = isRecord(json.meta) ? json.meta : undefined;
  const pagination = meta && isRecord(meta.pagination) ? meta.pagination : undefined;
  const next =
    pagination && typeof pagination.next === 'string' && pagination.next !== '' ? pagination.next : undefined;
  return { data: json.data, next };
}
