import { describe, expect, it } from 'vitest';
import type { RescanWindow } from '#core/ports.js';
import {
  afterCommit,
  afterRescan,
  dueAge,
  MAX_RESCAN_WINDOWS,
  needsRescan,
  planRescan,
  windowAt,
} from '#core/sync/rescan-plan.js';

const AGES = [3600, 86_400];
const limits = { maxEvents: 1000, maxWindows: 100 };
/** A five-minute window ending at `end`, searched `age` seconds after its end. */
const w = (end: number, age = 300, count = 10): RescanWindow => ({
  start: end - 300,
  end,
  count,
  hash: 'h',
  searchedAt: end + age,
});

describe('rescan planning', () => {
  it('makes a window due at each age larger than its last search, smallest first', () => {
    const window = w(10_000);
    expect(dueAge(window, 10_000 + 3599, AGES)).toBeUndefined();
    expect(dueAge(window, 10_000 + 3600, AGES)).toBe(3600);
    expect(dueAge({ ...window, searchedAt: 10_000 + 4000 }, 10_000 + 50_000, AGES)).toBeUndefined();
    expect(dueAge({ ...window, searchedAt: 10_000 + 4000 }, 10_000 + 86_400, AGES)).toBe(86_400);
    expect(needsRescan({ ...window, searchedAt: 10_000 + 86_400 }, AGES)).toBe(false);
  });

  it('waits up to a quarter of the age so adjacent due windows share one search', () => {
    // Prepare: three adjacent windows, the oldest due for 10 minutes, the youngest just due.
    const list = [w(10_000), w(10_300), w(10_600)];

    // Act
    const early = planRescan(list, 10_000 + 3600 + 600, 0, AGES, limits);
    const ripe = planRescan(list, 10_600 + 3600 + 300, 0, AGES, limits);

    // Assess: not yet ripe (900 s slack for a one-hour age), then all three in one batch.
    expect(early.batch).toEqual([]);
    expect(ripe.batch.map((x) => x.end)).toEqual([10_000, 10_300, 10_600]);
  });

  it('starts a full batch at once, splitting at the event limit', () => {
    const list = [w(10_000, 300, 600), w(10_300, 300, 600), w(10_600, 300, 600)];
    const plan = planRescan(list, 10_600 + 3600, 0, AGES, limits);
    expect(plan.batch.map((x) => x.end)).toEqual([10_000]);
  });

  it('never searches across a hole in the list, and sets aside windows below the history floor', () => {
    const list = [w(10_000), w(10_300), w(20_000)];
    const plan = planRescan(list, 20_000 + 90_000 * 2, 10_000, AGES, limits);
    expect(plan.skipped.map((x) => x.end)).toEqual([10_000]);
    expect(plan.batch.map((x) => x.end)).toEqual([10_300]);
  });

  it('drops a window once searched at the largest age, and never lists a window first searched older than that', () => {
    const list = [w(10_000), w(10_300)];
    const after = afterRescan(list, [list[0] as RescanWindow], 10_000 + 90_000, AGES);
    expect(after.map((x) => x.end)).toEqual([10_300]);
    expect(afterCommit([], w(50_000, 86_400), AGES).list).toEqual([]);
    expect(afterCommit([], w(50_000, 10), AGES).list).toHaveLength(1);
    expect(afterCommit([], w(50_000, 10), []).list).toEqual([]);
  });

  it('keeps at most MAX_RESCAN_WINDOWS, dropping (and counting) the oldest', () => {
    let list: RescanWindow[] = [];
    let dropped = 0;
    for (let i = 0; i < MAX_RESCAN_WINDOWS + 3; i += 1) {
      const result = afterCommit(list, w(1_000_000 + i * 300, 5), AGES);
      list = result.list;
      dropped += result.dropped;
    }
    expect(list).toHaveLength(MAX_RESCAN_WINDOWS);
    expect(dropped).toBe(3);
  });

  it('finds the window holding an instant', () => {
    const list = [w(10_000), w(10_300), w(20_000)];
    expect(windowAt(list, 9_700)?.end).toBe(10_000);
    expect(windowAt(list, 10_299)?.end).toBe(10_300);
    expect(windowAt(list, 10_300)).toBeUndefined();
    expect(windowAt(list, 19_999)?.end).toBe(20_000);
  });
});
