import { describe, expect, it } from 'vitest';
import { initialWindowSeconds, nextWindowSeconds, shrinkAfterOverflow } from '#core/sync/window-size.js';

describe('window size', () => {
  it('starts from the saved size, bounded by the maximum', () => {
    expect(initialWindowSeconds(undefined, 21_600)).toBe(21_600);
    expect(initialWindowSeconds(900, 21_600)).toBe(900);
    expect(initialWindowSeconds(50_000, 21_600)).toBe(21_600);
    expect(initialWindowSeconds(0, 21_600)).toBe(1);
  });

  it('at least halves an overflowing window and never goes below one second', () => {
    expect(shrinkAfterOverflow(3600, 1001, 1000)).toBeLessThanOrEqual(1800);
    expect(shrinkAfterOverflow(3600, 10_000, 1000)).toBe(180);
    expect(shrinkAfterOverflow(2, 5000, 1000)).toBe(1);
  });

  it('doubles after light windows up to the maximum', () => {
    expect(nextWindowSeconds(600, 10, 600, 1000, 21_600)).toBe(1200);
    expect(nextWindowSeconds(20_000, 10, 20_000, 1000, 21_600)).toBe(21_600);
  });

  it('keeps a size that fills a moderate share of the cap', () => {
    expect(nextWindowSeconds(600, 400, 600, 1000, 21_600)).toBe(600);
  });

  it('judges density by the part of the window that was searched, not its nominal size', () => {
    // 300 events in 60 s projects to 3000 in a 600 s window: over the cap of 1000.
    expect(nextWindowSeconds(600, 300, 60, 1000, 21_600)).toBe(100);
  });
});
