/**
 * Maps failures of Mimecast (and of reading its credentials) to problem documents. Messages are
 * written for the operator who has to act on them; they carry ids, HTTP statuses and Mimecast
 * error codes, never upstream bodies, secret values or stack traces.
 */
import type { SourceConfig } from '#core/config/env.js';
import {
  isMimecastError,
  type MimecastError,
  RateLimitedError,
  RetryableError,
} from '#core/mimecast/errors.js';
import { SecretNotConfiguredError } from '#core/mimecast/secret.js';
import { invalidRequest, type ProblemSpec, ProblemType } from './problem.js';
import { SecretUnavailableError } from './sources.js';

/** What the mapping needs to know besides the error. */
export interface UpstreamContext {
  source: SourceConfig;
  /** True when the request's own deadline fired (whatever the client then threw). */
  deadlineExceeded: boolean;
  deadlineMs: number;
  /** Appended to the detail of a secret that may not be read (fleet mode: the tag it needs). */
  secretAccessNote?: string | undefined;
}

/** A Mimecast error code, if it looks like one (it is echoed, so anything else is dropped). */
function safeCode(err: MimecastError): string | undefined {
  return err.code !== undefined && /^[A-Za-z0-9_.-]{1,64}$/.test(err.code) ? err.code : undefined;
}

function upstreamHint(err: MimecastError): string {
  const code = safeCode(err);
  if (code !== undefined) return ` (${code})`;
  return err.status === undefined ? '' : ` (HTTP ${err.status})`;
}

function timeout(ctx: UpstreamContext): ProblemSpec {
  return {
    status: 504,
    type: ProblemType.upstreamTimeout,
    title: 'Mimecast did not answer in time',
    detail:
      `Mimecast did not answer for source "${ctx.source.id}" within this API's ${ctx.deadlineMs} ms deadline. ` +
      'Retry, or narrow the range or lower pageSize.',
  };
}

function retryable(err: RetryableError, ctx: UpstreamContext): ProblemSpec {
  if (err.reason === 'timeout') return timeout(ctx);
  const what: Record<Exclude<RetryableError['reason'], 'timeout'>, string> = {
    http_5xx: `answered with a server error${err.status === undefined ? '' : ` (HTTP ${err.status})`}`,
    network: 'could not be reached (network error)',
    malformed_response: 'sent a response that could not be read',
    fail_retryable: `reported a temporary failure${upstreamHint(err)}`,
  };
  return {
    status: 502,
    type: ProblemType.upstreamUnavailable,
    title: 'Mimecast is unavailable',
    detail: `Mimecast ${what[err.reason]} for source "${ctx.source.id}", also after retries. Retry later.`,
  };
}

/** Which request parameter a Mimecast validation code is about, when the code says so. */
const VALIDATION_FIELDS: Readonly<Record<string, string>> = {
  err_validation_invalid_category: 'category',
  err_validation_date_range: 'start',
  err_validation_date_outside_retention: 'start',
  err_validation_invalid_page_token: 'pageToken',
};

/**
 * Mimecast's validation refusals of a parameter the caller chose (a category code, a start, a
 * page token) are the caller's mistake that this API's own checks let through: a 400 naming the
 * parameter, not an upstream failure (which would also count towards the 5xx alarm). Other
 * validation codes (a blank or missing field) point at how this API built the request: those stay
 * 502, the caller cannot fix them.
 */
function callerMistake(err: MimecastError): ProblemSpec | undefined {
  const code = safeCode(err);
  const field = code === undefined ? undefined : VALIDATION_FIELDS[code];
  if (code === undefined || field === undefined) return undefined;
  return invalidRequest([{ field, message: `was refused by Mimecast (${code})` }]);
}

function mimecastProblem(err: MimecastError, ctx: UpstreamContext): ProblemSpec {
  const { id, secretId } = ctx.source;
  if (err instanceof RateLimitedError) {
    const seconds = Math.max(1, Math.ceil(err.retryAfterMs / 1000));
    return {
      status: 429,
      type: ProblemType.upstreamRateLimited,
      title: 'Mimecast rate limit reached',
      detail: `Mimecast is throttling requests for source "${id}". Retry after ${seconds} ${seconds === 1 ? 'second' : 'seconds'}.`,
      headers: { 'retry-after': String(seconds) },
    };
  }
  if (err instanceof RetryableError) return retryable(err, ctx);
  const refused = callerMistake(err);
  if (refused) return refused;
  switch (err.kind) {
    case 'authentication':
      return {
        status: 502,
        type: ProblemType.upstreamCredentials,
        title: 'Mimecast rejected the credentials',
        detail:
          `Mimecast rejected the credentials for source "${id}"${upstreamHint(err)}. Check the API application's ` +
          `credentials and its "Account | Logs | Read" permission, then update secret ${secretId}.`,
      };
    case 'binding_expired':
      return {
        status: 502,
        type: ProblemType.upstreamCredentials,
        title: 'Mimecast API 1.0 keys expired',
        detail:
          `The Mimecast API 1.0 keys for source "${id}" have expired (binding expired). Generate new access and ` +
          `secret keys for the API application and store them in secret ${secretId}.`,
      };
    case 'configuration':
      return {
        status: 502,
        type: ProblemType.upstreamCredentials,
        title: 'The Mimecast credentials are unusable',
        // ConfigurationError messages name fields and what is wrong with them, never values.
        detail: `The Mimecast credentials for source "${id}" are unusable: ${err.message}. Fix secret ${secretId}.`,
      };
    default:
      return {
        status: 502,
        type: ProblemType.upstreamRefused,
        title: 'Mimecast refused the request',
        detail: `Mimecast refused the request for source "${id}"${upstreamHint(err)}.`,
      };
  }
}

/** The problem for an upstream failure, or `undefined` when `err` is not one (a bug: answer 500). */
export function upstreamProblem(err: unknown, ctx: UpstreamContext): ProblemSpec | undefined {
  if (ctx.deadlineExceeded) return timeout(ctx);
  if (isMimecastError(err)) return mimecastProblem(err, ctx);
  if (err instanceof SecretNotConfiguredError) {
    // The deployment's own state, not a Mimecast failure: a 4xx, so it cannot page through the 5xx alarm.
    return {
      status: 409,
      type: ProblemType.sourceNotConfigured,
      title: 'The source is not configured yet',
      detail: `Source "${ctx.source.id}" has no Mimecast credentials yet: put them into secret ${ctx.source.secretId} (see the deployment guide).`,
    };
  }
  if (err instanceof SecretUnavailableError) {
    return err.permanent
      ? {
          status: 502,
          type: ProblemType.upstreamCredentials,
          title: 'The Mimecast credentials cannot be read',
          detail:
            `Could not read secret ${err.secretId} for source "${ctx.source.id}" (${err.errorName}). Check that it ` +
            'exists, holds a JSON SecretString, and that the query function may read it.' +
            (ctx.secretAccessNote === undefined ? '' : ` ${ctx.secretAccessNote}`),
        }
      : {
          status: 503,
          type: ProblemType.upstreamUnavailable,
          title: 'The Mimecast credentials are temporarily unreadable',
          detail: `Reading secret ${err.secretId} for source "${ctx.source.id}" failed (${err.errorName}). Retry shortly.`,
          headers: { 'retry-after': '5' },
        };
  }
  return undefined;
}
