/**
 * The retry loop: exponential backoff with full jitter for transient failures, the server's
 * wait for 429s, one immediate retry for a rejected cached OAuth token, and all of it bounded
 * by the caller's deadline: the loop never sleeps past it and gives up at once instead.
 */
import type { Clock, Sleep } from '../ports.js';
import {
  AuthenticationError,
  FatalError,
  isMimecastError,
  type MimecastError,
  RateLimitedError,
  RetryableError,
} from './errors.js';
import type { RetryWait } from './types.js';

/** Retry tuning (see MimecastClientOptions.retry). */
export interface RetrySettings {
  baseDelayMs: number;
  maxDelayMs: number;
  maxAttempts: number;
}

/** Defaults: 250 ms doubling up to 20 s, six attempts in all. */
export const DEFAULT_RETRY: RetrySettings = { baseDelayMs: 250, maxDelayMs: 20_000, maxAttempts: 6 };

/**
 * An attempt started with less time than this before the deadline would most likely be cut
 * short, so the loop stops instead of waiting for it (capped by the request timeout).
 */
export const MIN_ATTEMPT_BUDGET_MS = 1_000;

/** The ceiling of the `attempt`-th backoff: `min(maxDelay, base · 2^(attempt−1))`. */
export function backoffCeiling(attempt: number, settings: RetrySettings): number {
  return Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** Math.max(0, attempt - 1));
}

/** Full jitter: a uniformly random wait in `[0, ceiling)` (AWS Architecture Blog's "Full Jitter"). */
export function fullJitterDelay(attempt: number, settings: RetrySettings, random: () => number): number {
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * backoffCeiling(attempt, settings));
}

/** Sleeps `ms` with a real timer; rejects with the signal's reason when aborted. */
export const realSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** What one attempt is told. */
export interface AttemptInfo {
  /** 1-based. */
  attempt: number;
  /** Time limit of this attempt: the request timeout, shortened to the time left before the deadline. */
  timeoutMs: number;
}

/** Everything the loop needs besides the attempt itself. */
export interface RetryContext {
  /** Label for messages and `RetryWait.path`, e.g. `/api/audit/get-audit-events`. */
  path: string;
  deadline: number;
  signal?: AbortSignal | undefined;
  clock: Clock;
  sleep: Sleep;
  random: () => number;
  settings: RetrySettings;
  requestTimeoutMs: number;
  onWait?: ((wait: RetryWait) => void) | undefined;
  /** True when `err` is a 401 for a cached OAuth token, which one fresh token may cure. */
  isStaleToken: (err: MimecastError) => boolean;
}

/** The wait before the next attempt, or `undefined` when the error must not be retried. */
export function planRetry(
  err: MimecastError,
  attempt: number,
  ctx: Pick<RetryContext, 'settings' | 'random' | 'isStaleToken'>,
  freshTokenUsed: boolean,
): { kind: RetryWait['kind']; waitMs: number } | undefined {
  if (err instanceof RateLimitedError) return { kind: 'rate_limited', waitMs: Math.max(0, err.retryAfterMs) };
  if (err instanceof RetryableError) {
    return { kind: 'retryable', waitMs: fullJitterDelay(attempt, ctx.settings, ctx.random) };
  }
  if (err instanceof AuthenticationError && !freshTokenUsed && ctx.isStaleToken(err)) {
    return { kind: 'authentication', waitMs: 0 };
  }
  return undefined;
}

function asMimecastError(err: unknown, path: string): MimecastError {
  if (isMimecastError(err)) return err;
  // A bug (ours or a dependency's): surface it in the taxonomy, unretried, with the cause kept.
  return new FatalError(`Mimecast ${path}: unexpected client failure`, { cause: err });
}

/**
 * Runs `attemptFn` until it succeeds, fails permanently, runs out of attempts, or the next
 * wait would not leave time for another attempt before the deadline. The error thrown is the
 * last attempt's, with `attempts` set.
 */
export async function runWithRetry<T>(
  attemptFn: (info: AttemptInfo) => Promise<T>,
  ctx: RetryContext,
): Promise<T> {
  const { clock, deadline, settings, signal } = ctx;
  const minBudget = Math.min(MIN_ATTEMPT_BUDGET_MS, ctx.requestTimeoutMs);
  let freshTokenUsed = false;
  for (let attempt = 1; ; attempt++) {
    const remaining = deadline - clock.now();
    if (remaining <= 0) {
      throw new RetryableError(
        `Mimecast ${ctx.path}: the deadline passed before the request started`,
        'timeout',
        {
          attempts: attempt - 1,
        },
      );
    }
    let error: MimecastError;
    try {
      return await attemptFn({ attempt, timeoutMs: Math.min(ctx.requestTimeoutMs, remaining) });
    } catch (err: unknown) {
      error = asMimecastError(err, ctx.path);
      error.attempts = attempt;
    }
    if (signal?.aborted) throw error;
    const plan = planRetry(error, attempt, ctx, freshTokenUsed);
    if (!plan || attempt >= settings.maxAttempts) throw error;
    if (clock.now() + plan.waitMs + minBudget > deadline) throw error;
    ctx.onWait?.({ kind: plan.kind, waitMs: plan.waitMs, attempt, path: ctx.path });
    if (plan.kind === 'authentication') {
      // The fresh-token retry needs no pause: the old token is simply gone.
      freshTokenUsed = true;
      continue;
    }
    try {
      await ctx.sleep(plan.waitMs, signal);
    } catch {
      // Only an abort ends a sleep early; report the failure that made us wait.
      throw error;
    }
  }
}
