import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  BindingExpiredError,
  FatalError,
  type MimecastError,
  RateLimitedError,
  RetryableError,
} from '#core/mimecast/errors.js';
import {
  backoffCeiling,
  DEFAULT_RETRY,
  fullJitterDelay,
  type RetryContext,
  realSleep,
  runWithRetry,
} from '#core/mimecast/retry.js';
import type { RetryWait } from '#core/mimecast/types.js';
import { createTestClock, type TestClock } from '#test/support/clock.js';

const T0 = Date.UTC(2026, 0, 10, 12, 0, 0);

/** A loop context whose sleeps are recorded and advance the test clock instead of taking time. */
function harness(overrides: Partial<RetryContext> = {}) {
  const clock: TestClock = createTestClock(T0);
  const sleeps: number[] = [];
  const waits: RetryWait[] = [];
  const ctx: RetryContext = {
    path: '/api/audit/get-audit-events',
    deadline: T0 + 600_000,
    clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.advance(ms);
    },
    random: () => 0.5,
    settings: DEFAULT_RETRY,
    requestTimeoutMs: 20_000,
    onWait: (wait) => waits.push(wait),
    isStaleToken: () => false,
    ...overrides,
  };
  return { clock, sleeps, waits, ctx };
}

/** An attempt function that fails with `errors` in turn, then succeeds with 'ok'. */
function scripted(errors: MimecastError[]) {
  const calls: number[] = [];
  const fn = async ({ attempt }: { attempt: number }) => {
    calls.push(attempt);
    const next = errors.shift();
    if (next) throw next;
    return 'ok';
  };
  return { fn, calls };
}

async function failure(promise: Promise<unknown>): Promise<MimecastError> {
  try {
    await promise;
  } catch (err: unknown) {
    return err as MimecastError;
  }
  throw new Error('expected the call to fail');
}

const transient = () => new RetryableError('boom', 'http_5xx', { status: 503 });

describe('backoff math', () => {
  it('doubles from the base up to the cap', () => {
    const settings = { baseDelayMs: 250, maxDelayMs: 20_000, maxAttempts: 10 };
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map((a) => backoffCeiling(a, settings))).toEqual([
      250, 500, 1000, 2000, 4000, 8000, 16_000, 20_000, 20_000,
    ]);
  });

  it('full jitter stays within [0, ceiling) for any random value and attempt', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, r) => {
          const wait = fullJitterDelay(attempt, DEFAULT_RETRY, () => r);
          const ceiling = backoffCeiling(attempt, DEFAULT_RETRY);
          return Number.isInteger(wait) && wait >= 0 && wait < ceiling && wait === Math.floor(r * ceiling);
        },
      ),
    );
  });
});

describe('runWithRetry', () => {
  it('retries transient failures with jittered, growing waits and then succeeds', async () => {
    // Prepare
    const { ctx, sleeps, waits } = harness();
    const { fn, calls } = scripted([transient(), transient(), transient()]);
    // Act
    const result = await runWithRetry(fn, ctx);
    // Assess
    expect(result).toBe('ok');
    expect(calls).toEqual([1, 2, 3, 4]);
    expect(sleeps).toEqual([125, 250, 500]); // 0.5 × 250, 500, 1000
    expect(waits.map((w) => [w.kind, w.attempt, w.waitMs])).toEqual([
      ['retryable', 1, 125],
      ['retryable', 2, 250],
      ['retryable', 3, 500],
    ]);
  });

  it('gives up after maxAttempts with the last error and its attempt count', async () => {
    const { ctx, sleeps } = harness({ settings: { ...DEFAULT_RETRY, maxAttempts: 3 } });
    const { fn, calls } = scripted([transient(), transient(), new RetryableError('last', 'network')]);
    const err = await failure(runWithRetry(fn, ctx));
    expect(err).toBeInstanceOf(RetryableError);
    expect(err.message).toBe('last');
    expect(err.attempts).toBe(3);
    expect(calls).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
  });

  it('waits exactly the server-given time on 429', async () => {
    const { ctx, sleeps, waits } = harness();
    const { fn } = scripted([new RateLimitedError('slow down', 7_250, { status: 429 })]);
    await runWithRetry(fn, ctx);
    expect(sleeps).toEqual([7_250]);
    expect(waits).toEqual([
      { kind: 'rate_limited', waitMs: 7_250, attempt: 1, path: '/api/audit/get-audit-events' },
    ]);
  });

  it('ends at once, without sleeping, when a 429 wait would pass the deadline', async () => {
    const { ctx, sleeps, waits } = harness({ deadline: T0 + 30_000 });
    const { fn, calls } = scripted([new RateLimitedError('slow down', 45_000, { status: 429 })]);
    const err = await failure(runWithRetry(fn, ctx));
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err.attempts).toBe(1);
    expect(calls).toEqual([1]);
    expect(sleeps).toEqual([]);
    expect(waits).toEqual([]);
  });

  it('never sleeps past the deadline, whatever the failures and waits', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 120_000 }),
        fc.array(fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 90_000 })), { maxLength: 12 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        async (budget, script, r) => {
          // -1 = a transient error, otherwise a 429 with that wait.
          const errors = script.map((s) => (s < 0 ? transient() : new RateLimitedError('429', s)));
          const { ctx, clock } = harness({ deadline: T0 + budget, random: () => r });
          const { fn } = scripted(errors);
          await runWithRetry(fn, ctx).catch(() => undefined);
          return clock.now() <= T0 + budget;
        },
      ),
    );
  });

  it('stops when the wait would leave no time for another attempt', async () => {
    // 429 asks for 9.5 s; the deadline is 10 s away: the attempt after the wait could not finish.
    const { ctx, sleeps } = harness({ deadline: T0 + 10_000 });
    const { fn } = scripted([new RateLimitedError('429', 9_500)]);
    const err = await failure(runWithRetry(fn, ctx));
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(sleeps).toEqual([]);
  });

  it('shortens each attempt’s time limit to the time left', async () => {
    const { ctx, clock } = harness({ deadline: T0 + 5_000, requestTimeoutMs: 20_000 });
    clock.advance(1_500);
    let seen = 0;
    await runWithRetry(async ({ timeoutMs }) => {
      seen = timeoutMs;
    }, ctx);
    expect(seen).toBe(3_500);
  });

  it('does not start when the deadline has already passed', async () => {
    const { ctx } = harness({ deadline: T0 - 1 });
    const { fn, calls } = scripted([]);
    const err = await failure(runWithRetry(fn, ctx));
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).reason).toBe('timeout');
    expect(err.attempts).toBe(0);
    expect(calls).toEqual([]);
  });

  it.each([
    ['fatal', new FatalError('bad request', { status: 400 })],
    ['binding expired', new BindingExpiredError('keys expired', { status: 418 })],
    ['authentication (not a stale token)', new AuthenticationError('no', { status: 401 })],
  ])('never retries a %s error', async (_name, error) => {
    const { ctx, sleeps } = harness();
    const { fn, calls } = scripted([error]);
    const err = await failure(runWithRetry(fn, ctx));
    expect(err).toBe(error);
    expect(err.attempts).toBe(1);
    expect(calls).toEqual([1]);
    expect(sleeps).toEqual([]);
  });

  it('retries a stale OAuth token once, immediately, and then gives up', async () => {
    // Prepare
    const stale = new Set<MimecastError>();
    const first = new AuthenticationError('401', { status: 401 });
    const second = new AuthenticationError('401 again', { status: 401 });
    stale.add(first);
    stale.add(second);
    const { ctx, sleeps, waits } = harness({ isStaleToken: (err) => stale.has(err) });
    const { fn, calls } = scripted([first, second]);
    // Act
    const err = await failure(runWithRetry(fn, ctx));
    // Assess
    expect(err).toBe(second);
    expect(err.attempts).toBe(2);
    expect(calls).toEqual([1, 2]);
    expect(sleeps).toEqual([]);
    expect(waits).toEqual([{ kind: 'authentication', waitMs: 0, attempt: 1, path: ctx.path }]);
  });

  it('wraps an unexpected exception as a FatalError and does not retry it', async () => {
    const { ctx } = harness();
    let calls = 0;
    const err = await failure(
      runWithRetry(async () => {
        calls++;
        throw new TypeError('bug');
      }, ctx),
    );
    expect(err).toBeInstanceOf(FatalError);
    expect(err.cause).toBeInstanceOf(TypeError);
    expect(calls).toBe(1);
  });

  it('stops when the caller aborts during a wait and reports the failure that caused it', async () => {
    const controller = new AbortController();
    const { ctx } = harness({
      signal: controller.signal,
      sleep: async (_ms, signal) => {
        controller.abort();
        throw signal?.reason;
      },
    });
    const { fn, calls } = scripted([transient(), transient()]);
    const err = await failure(runWithRetry(fn, ctx));
    expect(err).toBeInstanceOf(RetryableError);
    expect(calls).toEqual([1]);
  });
});

describe('realSleep', () => {
  it('rejects with the abort reason as soon as the signal fires', async () => {
    // Prepare
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    // Act: a wait far longer than the test timeout, ended by the abort.
    const pending = realSleep(3_600_000, controller.signal);
    controller.abort(reason);
    // Assess
    await expect(pending).rejects.toBe(reason);
  });

  it('does not start when the signal has already fired', async () => {
    await expect(realSleep(3_600_000, AbortSignal.abort())).rejects.toBeInstanceOf(DOMException);
  });
});
