import { describe, expect, it } from 'vitest';
import { parseMimecastTime, toCompactUtc, toMimecastDate, toUtcDate } from '#core/time.js';

describe('time formatting', () => {
  it('formats request dates the way Mimecast documents them (+0000, no colon)', () => {
    // Prepare
    const date = new Date(Date.UTC(2026, 10, 25, 10, 15, 30, 999));
    // Act / Assess
    expect(toMimecastDate(date)).toBe('2026-11-25T10:15:30+0000');
    expect(toCompactUtc(date)).toBe('20261125T101530Z');
    expect(toUtcDate(date)).toBe('2026-11-25');
  });

  it('parses eventTime with numeric offsets, colons and Z into the same instant', () => {
    const expected = Date.UTC(2021, 9, 18, 8, 45, 2);
    expect(parseMimecastTime('2021-10-18T08:45:02+0000')).toBe(expected);
    expect(parseMimecastTime('2021-10-18T08:45:02Z')).toBe(expected);
    expect(parseMimecastTime('2021-10-18T10:45:02+02:00')).toBe(expected);
    expect(parseMimecastTime('2021-10-18T03:15:02-0530')).toBe(expected);
  });

  it('rejects values that are not timestamps instead of guessing', () => {
    for (const bad of [undefined, 42, '', 'yesterday', '2021-02-31T00:00:00Z', '2021-10-18T25:00:00Z']) {
      expect(parseMimecastTime(bad)).toBeUndefined();
    }
  });
});
