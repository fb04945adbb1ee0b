/** Rate limiting: one token bucket per credential, refilled on the simulator clock. */

/** The outcome of one attempt to take a token, with what the `X-RateLimit-*` headers report. */
export interface TakeResult {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Milliseconds until the bucket gains its next whole token (0 when full). */
  resetMs: number;
}

// Float arithmetic can leave 0.9999999 tokens after waiting exactly resetMs; that counts as one.
const EPSILON = 1e-9;

/** A classic token bucket: `capacity` burst, `refillPerSecond` sustained. */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly capacity: number,
    private readonly refillPerSecond: number,
    now: number,
  ) {
    if (!(capacity >= 1) || !(refillPerSecond > 0)) {
      throw new RangeError('A token bucket needs capacity ≥ 1 and refillPerSecond > 0');
    }
    this.tokens = capacity;
    this.updatedAt = now;
  }

  /** Takes one token if available. */
  take(now: number): TakeResult {
    // A clock set backwards (tests simulating skew) must not drain or overfill the bucket.
    const elapsedMs = Math.max(0, now - this.updatedAt);
    this.tokens = Math.min(this.capacity, this.tokens + (elapsedMs / 1000) * this.refillPerSecond);
    this.updatedAt = Math.max(this.updatedAt, now);
    const allowed = this.tokens >= 1 - EPSILON;
    if (allowed) this.tokens = Math.max(0, this.tokens - 1);
    return {
      allowed,
      limit: this.capacity,
      remaining: Math.floor(this.tokens + EPSILON),
      resetMs: this.msUntilNextToken(),
    };
  }

  private msUntilNextToken(): number {
    if (this.tokens >= this.capacity - EPSILON) return 0;
    const nextWhole = Math.floor(this.tokens + EPSILON) + 1;
    const exactMs = ((nextWhole - this.tokens) / this.refillPerSecond) * 1000;
    // Shave float noise (1.0000000000000009 ms) before rounding up, or waits drift by a millisecond.
    return Math.max(1, Math.ceil(exactMs - 1e-6));
  }
}

/** Buckets per credential key, created on first use. */
export class RateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly capacity: number,
    private readonly refillPerSecond: number,
  ) {}

  /** Takes a token from `key`'s bucket. */
  take(key: string, now: number): TakeResult {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.capacity, this.refillPerSecond, now);
      this.buckets.set(key, bucket);
    }
    return bucket.take(now);
  }
}
