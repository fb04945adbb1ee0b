/**
 * API 2.0 access tokens (OAuth 2.0 client credentials): one cached token per client, renewed
 * shortly before it expires, dropped when the API rejects it, and fetched at most once at a
 * time however many requests are waiting for it.
 */
import type { Clock } from '../ports.js';
import { AuthenticationError, type MimecastError, RetryableError } from './errors.js';
import {
  type AttemptSignal,
  attemptSignal,
  type FetchLike,
  type HttpAnswer,
  post,
  raceAbort,
} from './http.js';
import { errorFromStatus, type Redactor } from './response.js';
import type { OAuthSecret } from './types.js';

/** Renew this long before expiry (Mimecast's guidance, docs/development.md: "renew ~60 s before expiry"). */
export const TOKEN_RENEWAL_MARGIN_MS = 60_000;
/** Used when the token answer has no usable `expires_in`; short, so a wrong guess costs little. */
const DEFAULT_TOKEN_TTL_MS = 300_000;
const LABEL = 'oauth/token';

/** What the provider needs from the client. */
export interface TokenProviderDeps {
  fetch: FetchLike;
  clock: Clock;
  /** Time limit of the token request itself (it is shared, so it does not use one caller's limit). */
  requestTimeoutMs: number;
  redact: Redactor;
}

interface CachedToken {
  token: string;
  renewAt: number;
}

/** Caches and renews the access token of one OAuth client. */
export class OAuthTokenProvider {
  private cached: CachedToken | undefined;
  private inFlight: Promise<CachedToken> | undefined;
  private readonly recentTokens: string[] = [];

  /** `secret.baseUrl` must already be normalised (no trailing slash). */
  constructor(
    private readonly secret: OAuthSecret,
    private readonly deps: TokenProviderDeps,
  ) {}

  /** Tokens handed out recently, so error messages can be scrubbed of them. */
  knownTokens(): readonly string[] {
    return this.recentTokens;
  }

  /** A valid token: the cached one, or the one being fetched, or a newly fetched one. */
  async getToken(attempt: AttemptSignal, fallbackRateLimitWaitMs: () => number): Promise<string> {
    const cached = this.cached;
    if (cached && this.deps.clock.now() < cached.renewAt) return cached.token;
    const request = this.inFlight ?? this.startFetch(fallbackRateLimitWaitMs);
    // Each waiter gives up on its own signal without cancelling the shared request.
    const fresh = await raceAbort(request, LABEL, attempt);
    return fresh.token;
  }

  /** Forgets `token` after the API rejected it (a newer token fetched meanwhile is kept). */
  invalidate(token: string): void {
    if (this.cached?.token === token) this.cached = undefined;
  }

  /** Starts the one shared token request and clears the slot when it settles. */
  private startFetch(fallbackRateLimitWaitMs: () => number): Promise<CachedToken> {
    const request = this.fetchToken(fallbackRateLimitWaitMs);
    this.inFlight = request;
    // Handling both outcomes here also keeps a failure that no waiter awaits any more (all
    // aborted) from surfacing as an unhandled rejection.
    const clear = () => {
      if (this.inFlight === request) this.inFlight = undefined;
    };
    request.then(clear, clear);
    return request;
  }

  /** `fallbackRateLimitWaitMs`: the initiating attempt's backoff, reported if a 429 has no wait header. */
  private async fetchToken(fallbackRateLimitWaitMs: () => number): Promise<CachedToken> {
    const issuedAt = this.deps.clock.now();
    const form = new URLSearchParams({
      client_id: this.secret.clientId,
      client_secret: this.secret.clientSecret,
      grant_type: 'client_credentials',
    });
    const signal = attemptSignal(this.deps.requestTimeoutMs, undefined);
    let answer: HttpAnswer;
    try {
      answer = await post(
        this.deps.fetch,
        `${this.secret.baseUrl}/oauth/token`,
        { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        form.toString(),
        LABEL,
        signal,
      );
    } finally {
      signal.dispose();
    }
    if (answer.status < 200 || answer.status > 299) {
      throw this.tokenError(answer.status, answer.headers, answer.body, fallbackRateLimitWaitMs);
    }
    const token = parseTokenAnswer(answer.body, answer.status);
    const ttlMs = token.expiresInSeconds === undefined ? DEFAULT_TOKEN_TTL_MS : token.expiresInSeconds * 1000;
    // Short-lived tokens would otherwise be "due for renewal" the moment they arrive.
    const margin = Math.min(TOKEN_RENEWAL_MARGIN_MS, ttlMs / 2);
    const fresh = { token: token.accessToken, renewAt: issuedAt + ttlMs - margin };
    this.remember(fresh.token);
    this.cached = fresh;
    return fresh;
  }

  private remember(token: string): void {
    this.recentTokens.push(token);
    if (this.recentTokens.length > 4) this.recentTokens.shift();
  }

  private tokenError(
    status: number,
    headers: Headers,
    body: Uint8Array,
    fallbackRateLimitWaitMs: () => number,
  ): MimecastError {
    const error = errorFromStatus(status, headers, body, {
      label: LABEL,
      redact: this.deps.redact,
      now: this.deps.clock.now(),
      fallbackRateLimitWaitMs,
    });
    // RFC 6749 answers bad client credentials with 400 (invalid_client/invalid_grant); a
    // fresh attempt with the same credentials cannot succeed, so it is an authentication failure.
    if (status === 400) {
      return new AuthenticationError(
        `Mimecast ${LABEL}: HTTP 400: client credentials rejected${codeSuffix(error)}`,
        {
          status,
          code: error.code,
        },
      );
    }
    return error;
  }
}

function codeSuffix(error: MimecastError): string {
  return error.code ? ` (${error.code})` : '';
}

function parseTokenAnswer(
  body: Uint8Array,
  status: number,
): { accessToken: string; expiresInSeconds?: number } {
  const malformed = () =>
    new RetryableError(
      `Mimecast ${LABEL}: HTTP ${status} without a usable access token`,
      'malformed_response',
      {
        status,
      },
    );
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw malformed();
  }
  if (typeof json !== 'object' || json === null) throw malformed();
  const record = json as Record<string, unknown>;
  if (typeof record.access_token !== 'string' || record.access_token === '') throw malformed();
  const expiresIn = Number(record.expires_in);
  return {
    accessToken: record.access_token,
    ...(Number.isFinite(expiresIn) && expiresIn > 0 ? { expiresInSeconds: expiresIn } : {}),
  };
}
