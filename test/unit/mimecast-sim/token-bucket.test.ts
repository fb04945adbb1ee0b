import { describe, expect, it } from 'vitest';
import { RateLimiter, TokenBucket } from '#local/mimecast-sim/token-bucket.js';

describe('TokenBucket', () => {
  it('allows a burst of `capacity`, then refuses with the ms until the next token', () => {
    // Prepare
    const bucket = new TokenBucket(2, 4, 0);
    // Act
    const results = [bucket.take(0), bucket.take(0), bucket.take(0)];
    // Assess
    expect(results.map((result) => result.allowed)).toEqual([true, true, false]);
    expect(results.map((result) => result.remaining)).toEqual([1, 0, 0]);
    expect(results[2]?.resetMs).toBe(250);
  });

  it('refills at refillPerSecond and never beyond capacity', () => {
    const bucket = new TokenBucket(3, 10, 0);
    for (let i = 0; i < 3; i += 1) bucket.take(0);
    expect(bucket.take(99).allowed).toBe(false);
    expect(bucket.take(100).allowed).toBe(true);
    const afterLongPause = bucket.take(1_000_000);
    expect(afterLongPause).toMatchObject({ allowed: true, remaining: 2 });
  });

  it('grants a token to a caller that waits exactly the reported reset', () => {
    const bucket = new TokenBucket(1, 3, 0);
    bucket.take(0);
    let now = 0;
    let refused = bucket.take(now);
    while (!refused.allowed) {
      now += refused.resetMs;
      refused = bucket.take(now);
    }
    expect(now).toBe(334); // 1/3 s, rounded up to whole ms
  });

  it('is not disturbed by a clock that goes backwards', () => {
    const bucket = new TokenBucket(1, 1, 10_000);
    expect(bucket.take(10_000).allowed).toBe(true);
    expect(bucket.take(5_000).allowed).toBe(false);
    expect(bucket.take(11_000).allowed).toBe(true);
  });

  it('refuses nonsense settings', () => {
    expect(() => new TokenBucket(0, 1, 0)).toThrow(RangeError);
    expect(() => new TokenBucket(1, 0, 0)).toThrow(RangeError);
  });
});

describe('RateLimiter', () => {
  it('keeps one bucket per key', () => {
    const limiter = new RateLimiter(1, 1);
    expect(limiter.take('a', 0).allowed).toBe(true);
    expect(limiter.take('a', 0).allowed).toBe(false);
    expect(limiter.take('b', 0).allowed).toBe(true);
  });
});
