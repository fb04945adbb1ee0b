/**
 * Adaptive window size. A window's events are held in memory until its objects are written,
 * so the size follows event density: aim for about half of MAX_EVENTS_PER_WINDOW per window,
 * shrink fast when a window overflows, grow (doubling) when windows are light.
 */

/** The size to start a run with: the one saved on the cursor, else the maximum. */
export function initialWindowSeconds(saved: number | undefined, maxWindowSeconds: number): number {
  if (saved === undefined || !Number.isFinite(saved)) return maxWindowSeconds;
  return clamp(Math.floor(saved), maxWindowSeconds);
}

/**
 * After a fresh window of `lengthSeconds` overflowed with `kept` (> cap) events: at most half
 * its length, smaller still if the density seen asks for it, never below one second. The true
 * count is unknown (draining stopped at the cap), so this errs on the small side.
 */
export function shrinkAfterOverflow(lengthSeconds: number, kept: number, cap: number): number {
  const byDensity = Math.floor((lengthSeconds * cap) / (2 * Math.max(kept, 1)));
  return Math.max(1, Math.min(Math.floor(lengthSeconds / 2), byDensity));
}

/**
 * The size for the next window after one of `lengthSeconds` held `kept` events: double when
 * the current size would hold under a quarter of the cap, shrink to the half-cap density when
 * it would hold more than the cap, else keep it. Bounded to `[1, maxWindowSeconds]`.
 */
export function nextWindowSeconds(
  current: number,
  kept: number,
  lengthSeconds: number,
  cap: number,
  maxWindowSeconds: number,
): number {
  if (lengthSeconds <= 0) return clamp(current, maxWindowSeconds);
  const projected = (kept * current) / lengthSeconds;
  if (projected < cap / 4) return clamp(current * 2, maxWindowSeconds);
  if (projected > cap) return clamp(Math.floor((current * cap) / (2 * projected)), maxWindowSeconds);
  return clamp(current, maxWindowSeconds);
}

function clamp(seconds: number, maxWindowSeconds: number): number {
  return Math.max(1, Math.min(maxWindowSeconds, Math.floor(seconds)));
}
