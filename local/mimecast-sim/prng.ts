/** Small deterministic pseudo-random helpers: the simulator must give the same events for the same seed. */

/** A source of uniform numbers in [0, 1). */
export type Random = () => number;

// murmur3's 32-bit finaliser: spreads every input bit over the output, so seeds that differ by one
// (bucket 17 vs bucket 18) still produce unrelated streams.
function fmix32(input: number): number {
  let h = input >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Mixes any number of integers (including ones above 2^32) into one 32-bit seed. */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    const whole = Math.trunc(part);
    const low = whole >>> 0;
    const high = Math.floor(whole / 0x1_0000_0000) >>> 0;
    h = fmix32(Math.imul(h ^ low, 0x01000193) + 0x7f4a7c15);
    h = fmix32(Math.imul(h ^ high, 0x01000193) + 0x27d4eb2f);
  }
  return h;
}

/** mulberry32: tiny, fast and good enough for test data (not for anything secret). */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}

/** Picks one element uniformly. The list must not be empty. */
export function pick<T>(random: Random, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new RangeError('pick() needs a non-empty list');
  return item;
}

/** An integer in [min, max], both inclusive. */
export function intBetween(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** Rounds `value` up or down at random so that the expected result equals `value`. */
export function roundStochastic(random: Random, value: number): number {
  const floor = Math.floor(value);
  return floor + (random() < value - floor ? 1 : 0);
}
