/**
 * A fingerprint of a set of event ids: how many there are and an order-independent 64-bit
 * sum of per-id hashes. The cursor keeps one per committed window, so a rescan can tell
 * whether Mimecast now returns ids the archive does not hold without reading the window's
 * objects back from S3: equal fingerprints mean the same set (ids are Mimecast's, not chosen
 * by an adversary, so accidental equality of two different sets is the only risk: ~2^-64).
 * A sum (not XOR) so that adding an id twice would show; callers add each distinct id once.
 */

import { hash32 } from '#core/hash.js';

// Two independent 32-bit hashes per id (two offset bases) make the 64-bit sum.

/** Fingerprint of an empty set. */
export const EMPTY_FINGERPRINT = { count: 0, hash: '0000000000000000' } as const;

/** A window's id set as the cursor stores it. */
export interface Fingerprint {
  count: number;
  /** 16 hex digits. */
  hash: string;
}

/** Accumulates the fingerprint of a set of distinct ids. */
export class FingerprintBuilder {
  private high = 0;
  private low = 0;
  count = 0;

  /** Adds one id (the caller guarantees it was not added before). */
  add(id: string): void {
    this.high = (this.high + hash32(id)) >>> 0;
    this.low = (this.low + hash32(id, 0x050c5d1f)) >>> 0;
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
