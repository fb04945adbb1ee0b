import { describe, expect, it } from 'vitest';
import { splitSeconds } from '#core/sync/drain.js';

const HOUR = 3_600_000;
const range = { startMs: 0, endMs: 6 * HOUR };

describe('splitSeconds', () => {
  it('sizes the first part by the density seen over the part of the window that was read', () => {
    // 1000 events seen over the last hour of a six-hour window (newest first): 1000/h; half a cap of 200 is 100 events.
    const seconds = splitSeconds(
      range,
      { events: 1000, oldestMs: 5 * HOUR, elapsedMs: 1000 },
      {
        capEvents: 200,
        timeShareMs: 60_000,
      },
    );
    expect(seconds).toBe(360);
  });

  it('sizes by time when the drain was slow rather than dense', () => {
    // 100 events took 50 s; 20 s fit 40 events, aim for 20 → 20 events at 100/6h.
    const seconds = splitSeconds(
      range,
      { events: 100, oldestMs: 0, elapsedMs: 50_000 },
      {
        capEvents: 50_000,
        timeShareMs: 20_000,
      },
    );
    expect(seconds).toBe(Math.floor(20 / (100 / (6 * 3600))));
  });

  it('always at least halves and never goes below a second', () => {
    expect(
      splitSeconds(
        range,
        { events: 0, oldestMs: undefined, elapsedMs: 0 },
        { capEvents: 10, timeShareMs: 1 },
      ),
    ).toBe(3 * 3600);
    expect(
      splitSeconds(
        range,
        { events: 10, oldestMs: 0, elapsedMs: 0 },
        { capEvents: 1_000_000, timeShareMs: 1 },
      ),
    ).toBe(3 * 3600);
    expect(
      splitSeconds(
        { startMs: 0, endMs: 2_000 },
        { events: 1e9, oldestMs: 0, elapsedMs: 1 },
        { capEvents: 1, timeShareMs: 1 },
      ),
    ).toBe(1);
  });
});
