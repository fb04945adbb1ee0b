/**
 * A 32-bit string hash: FNV-1a over UTF-16 code units, then murmur3's fmix32 avalanche so
 * strings that differ in one character differ in every bit. Not cryptographic. Its values are
 * stored (window fingerprints in cursors) and relied on (dispatch slots): they must never change.
 */

/** FNV-1a's standard 32-bit offset basis. */
export const FNV_OFFSET_BASIS = 0x811c9dc5;

/** The hash of `text`; another `basis` gives an independent hash. */
export function hash32(text: string, basis = FNV_OFFSET_BASIS): number {
  let h = basis;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
