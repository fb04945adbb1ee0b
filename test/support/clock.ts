import type { Clock } from '#core/ports.js';

/** A clock that only moves when a test says so; share one between the code under test and the simulator. */
export interface TestClock extends Clock {
  /** Moves time forward by `ms` (negative values are rejected: time does not run backwards by accident). */
  advance(ms: number): void;
  /** Jumps to an absolute epoch-ms instant (may go backwards, e.g. to simulate clock skew). */
  set(ms: number): void;
}

/** Creates a controllable clock starting at `startMs` (epoch ms). */
export function createTestClock(startMs: number): TestClock {
  let current = startMs;
  return {
    now: () => current,
    advance(ms: number): void {
      if (!Number.isFinite(ms) || ms < 0) {
        throw new RangeError(`advance() needs a finite, non-negative ms, got ${ms}`);
      }
      current += ms;
    },
    set(ms: number): void {
      if (!Number.isFinite(ms)) throw new RangeError(`set() needs a finite epoch ms, got ${ms}`);
      current = ms;
    },
  };
}
