import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addRange, MAX_STORED_RANGES, rangeSeconds, removeRange } from '#core/sync/ranges.js';

const T = Date.UTC(2026, 10, 1);
const at = '2026-11-25T00:00:00Z';
const s = (seconds: number) => T + seconds * 1000;

describe('range lists', () => {
  it('counts a loss reported again by every failing run once', () => {
    // Prepare: five runs each report the loss from the same start to a floor that has moved on.
    let list: ReturnType<typeof addRange>['list'] = [];
    const added: number[] = [];

    // Act
    for (const end of [10, 14, 18, 21, 24]) {
      const result = addRange(list, { startMs: s(0), endMs: s(end), at, reason: 'floor' });
      list = result.list;
      added.push(result.addedSeconds);
    }

    // Assess: 24 s lost, reported as 24 s (not 10+14+18+21+24 = 87).
    expect(added).toEqual([10, 4, 4, 3, 3]);
    expect(list).toHaveLength(1);
    expect(rangeSeconds(list)).toBe(24);
  });

  it('joins touching and overlapping ranges and keeps disjoint ones apart, in order', () => {
    // Act
    let { list } = addRange([], { startMs: s(100), endMs: s(200), at, reason: 'a' });
    list = addRange(list, { startMs: s(0), endMs: s(50), at, reason: 'b' }).list;
    list = addRange(list, { startMs: s(200), endMs: s(250), at, reason: 'c' }).list;

    // Assess
    expect(list.map((r) => [r.start, r.end, r.reason])).toEqual([
      [
        new Date(s(0)).toISOString().replace('.000', ''),
        new Date(s(50)).toISOString().replace('.000', ''),
        'b',
      ],
      [
        new Date(s(100)).toISOString().replace('.000', ''),
        new Date(s(250)).toISOString().replace('.000', ''),
        'a',
      ],
    ]);
  });

  it('keeps the most recent ranges when there are too many', () => {
    let list: ReturnType<typeof addRange>['list'] = [];
    for (let i = 0; i < MAX_STORED_RANGES + 5; i += 1) {
      list = addRange(list, { startMs: s(i * 10), endMs: s(i * 10 + 1), at, reason: 'x' }).list;
    }
    expect(list).toHaveLength(MAX_STORED_RANGES);
    expect(list[0]?.start).toBe(new Date(s(50)).toISOString().replace('.000', ''));
  });

  it('removes a second from the middle of a range, splitting it', () => {
    const { list } = addRange([], { startMs: s(0), endMs: s(10), at, reason: 'x' });
    const after = removeRange(list, s(4), s(5));
    expect(after.removedSeconds).toBe(1);
    expect(rangeSeconds(after.list)).toBe(9);
    expect(after.list).toHaveLength(2);
  });

  it('adds exactly the seconds not covered before, whatever the order of reports (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 1, max: 100 })), {
          maxLength: 30,
        }),
        (reports) => {
          let list: ReturnType<typeof addRange>['list'] = [];
          const covered = new Set<number>();
          let added = 0;
          for (const [start, length] of reports) {
            const result = addRange(list, { startMs: s(start), endMs: s(start + length), at, reason: 'p' });
            list = result.list;
            added += result.addedSeconds;
            for (let i = start; i < start + length; i += 1) covered.add(i);
          }
          expect(added).toBe(covered.size);
          expect(rangeSeconds(list)).toBe(covered.size);
        },
      ),
    );
  });
});
