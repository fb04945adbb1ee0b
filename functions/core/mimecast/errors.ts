/**
 * The Mimecast client's error taxonomy. Every failure the client surfaces is one of these
 * classes, so callers (collector, query API) decide by `kind`, never by parsing messages.
 * Messages never contain secret values or raw upstream bodies.
 */

/** Why a retryable failure happened; the query API maps `timeout` to 504. */
export type RetryableReason = 'http_5xx' | 'network' | 'timeout' | 'malformed_response' | 'fail_retryable';

export type MimecastErrorKind =
  | 'configuration'
  | 'authentication'
  | 'binding_expired'
  | 'rate_limited'
  | 'retryable'
  | 'fatal';

export interface MimecastErrorDetails {
  /** HTTP status, when the failure came with one. */
  status?: number | undefined;
  /** Mimecast error code (e.g. `err_xdk_binding_expired`), when one was given. */
  code?: string | undefined;
  /** How many HTTP attempts were made before giving up (set by the retry loop). */
  attempts?: number | undefined;
  cause?: unknown;
}

/** Base class: `kind` is the stable discriminator. */
export abstract class MimecastError extends Error {
  abstract readonly kind: MimecastErrorKind;
  readonly status: number | undefined;
  readonly code: string | undefined;
  attempts: number | undefined;

  constructor(message: string, details: MimecastErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.status = details.status;
    this.code = details.code;
    this.attempts = details.attempts;
  }
}

/** The secret or settings are unusable (missing/invalid fields, bad base64 key, bad URL). Needs a human. */
export class ConfigurationError extends MimecastError {
  readonly kind = 'configuration' as const;
}

/** 401/403 after the one fresh-token retry: wrong credentials or missing permission. Needs a human. */
export class AuthenticationError extends MimecastError {
  readonly kind = 'authentication' as const;
}

/** HTTP 418 / `err_xdk_binding_expired`: API 1.0 keys expired. Needs a human; never retried. */
export class BindingExpiredError extends MimecastError {
  readonly kind = 'binding_expired' as const;
}

/** HTTP 429. `retryAfterMs` is the server's wait (X-RateLimit-Reset in ms, or Retry-After). */
export class RateLimitedError extends MimecastError {
  readonly kind = 'rate_limited' as const;
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number, details: MimecastErrorDetails = {}) {
    super(message, details);
    this.retryAfterMs = retryAfterMs;
  }
}

/** Transient: 5xx, network, timeout, malformed JSON, or `fail[]` marked retryable. */
export class RetryableError extends MimecastError {
  readonly kind = 'retryable' as const;
  readonly reason: RetryableReason;
  constructor(message: string, reason: RetryableReason, details: MimecastErrorDetails = {}) {
    super(message, details);
    this.reason = reason;
  }
}

/** Permanent: `fail[]` not marked retryable, other 4xx, or a paging protocol failure (ProtocolError). */
export class FatalError extends MimecastError {
  readonly kind = 'fatal' as const;
}

/** Why paging a search could not be completed. */
export type ProtocolErrorReason = 'repeated_token' | 'empty_pages';

/**
 * Paging broke the protocol: a page with events pointed back at a token already followed
 * (`repeated_token`), or too many empty pages in a row each carried a new token (`empty_pages`).
 * A FatalError (kind `fatal`), so callers that classify by kind treat it as permanent for this
 * search; `reason` lets a caller that can do better (e.g. search a narrower window) tell them apart.
 */
export class ProtocolError extends FatalError {
  readonly reason: ProtocolErrorReason;
  constructor(message: string, reason: ProtocolErrorReason, details: MimecastErrorDetails = {}) {
    super(message, details);
    this.reason = reason;
  }
}

/** Narrowing helper for `catch (err: unknown)`. */
export function isMimecastError(err: unknown): err is MimecastError {
  return err instanceof MimecastError;
}
