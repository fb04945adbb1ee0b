import { describe, expect, it } from 'vitest';
import { EMPTY_FINGERPRINT, fingerprintOf, sameFingerprint } from '#core/sync/fingerprint.js';

describe('id fingerprints', () => {
  it('is the same for the same set in any order and differs when one id differs', () => {
    const a = fingerprintOf(['id-1', 'id-2', 'id-3']);
    const b = fingerprintOf(['id-3', 'id-1', 'id-2']);
    const c = fingerprintOf(['id-1', 'id-2', 'id-4']);
    expect(sameFingerprint(a, b)).toBe(true);
    expect(sameFingerprint(a, c)).toBe(false);
    expect(a.count).toBe(3);
    expect(a.hash).toMatch(/^[0-9a-f]{16}$/);
  });

  it('tells a set from the same set plus one late id, and the empty set from nothing found', () => {
    const stored = Array.from({ length: 5000 }, (_, i) => `evt-${i}`);
    expect(sameFingerprint(fingerprintOf(stored), fingerprintOf([...stored, 'evt-late']))).toBe(false);
    expect(sameFingerprint(fingerprintOf([]), EMPTY_FINGERPRINT)).toBe(true);
  });

  it('never changes its values: cursors store them, and a rescan compares against them', () => {
    expect([
      fingerprintOf(['id-1']),
      fingerprintOf(['id-1', 'id-2', 'id-3']),
      fingerprintOf(['eNo1jr0OgjAYRf']),
    ]).toEqual([
      { count: 1, hash: '1215e6c346d48469' },
      { count: 3, hash: '8b4b6722d02c2239' },
      { count: 1, hash: 'fd7523a4c4af06af' },
    ]);
  });

  it('gives 100 000 similar ids distinct hashes', () => {
    const hashes = new Set(Array.from({ length: 100_000 }, (_, i) => fingerprintOf([`mc-${i}`]).hash));
    expect(hashes.size).toBe(100_000);
  });
});
