/**
 * A fingerprint of a set of event ids: how many there are and an order-independent 64-bit
 * sum of per-id hashes. The cursor keeps one per committed window, so a rescan can tell
 * whether Mimecast now returns ids the archive does not hold without reading the window's
 * objects back from S3: equal fingerprints mean the same set (ids are Mimecast's, not chosen
 * by an adversary, so accidental equality of two different sets is the only risk: ~2^-64).
 * A sum (not XOR) so that adding an id twice would show; callers add each distinct id once.
 */

/** Fingerprint of an empty set. */
export const EMPTY_FINGERPRINT = { count: 0, hash: '0000000000000000' } as const;

/** A window's id set as the cursor stores it. */
export interface Fingerprint {
  count: number;
  /** 16 hex digits. */
  hash: string;
}

// FNV-1a over UTF-16 code units, two different offset bases (two independent 32-bit hashes).
function fnv1a(text: string, basis: number): number {
  let h = basis;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // A final avalanche (murmur3's fmix32) so ids that differ in one character differ everywhere.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Accumulates the fingerprint of a set of distinct ids. */
export class FingerprintBuilder {
  private high = 0;
  private low = 0;
  count = 0;

  /** Adds one id (the caller guarantees it was not added before). */
  add(id: string): void {
    this.high = (this.high + fnv1a(id, 0x811c9dc5)) >>> 0;
    this.low = (this.low + fnv1a(id, 0x050c5d1f)) >>> 0;
    this.count += 1;
  }

  /** The fingerprint so far. */
  result(): Fingerprint {
    return {
      count: this.count,
      hash: `${this.high.toString(16).padStart(8, '0')}${this.low.toString(16).padStart(8, '0')}`,
    };
  }
}

/** The fingerprint of distinct `ids`. */
export function fingerprintOf(ids: Iterable<string>): Fingerprint {
  const builder = new FingerprintBuilder();
  for (const id of ids) builder.add(id);
  return builder.result();
}

/** True when two fingerprints describe the same set. */
export function sameFingerprint(a: Fingerprint, b: Fingerprint): boolean {
  return a.count === b.count && a.hash === b.hash;
}
