/** When a day counts as closed: collected past its end, old enough, nothing of it pending or owed a rescan. */
import { describe, expect, it } from 'vitest';
import { openReason } from '#core/columnar/closure.js';
import type { CursorState } from '#core/ports.js';

const DAY = 86_400_000;
const CLOSE_AFTER = 86_400 + 300;
const D = '2026-11-20';
const dayEnd = Date.parse('2026-11-21T00:00:00Z');

const state = (overrides: Partial<CursorState> = {}): CursorState =>
  ({
    sourceId: 's',
    version: 1,
    watermark: '2026-11-25T00:00:00Z',
    totals: {},
    gaps: [],
    gapTotals: {},
    unreadable: [],
    unreadableTotals: {},
    rescan: [],
    ...overrides,
  }) as CursorState;

describe('openReason', () => {
  it('closes a day once its end is older than the settle time plus the largest rescan age', () => {
    expect(openReason(D, state(), dayEnd + CLOSE_AFTER * 1000, CLOSE_AFTER)).toBeUndefined();
    expect(openReason(D, state(), dayEnd + CLOSE_AFTER * 1000 - 1, CLOSE_AFTER)).toBe('too_recent');
  });

  it('keeps a day open until the collector has committed past its end', () => {
    const late = dayEnd + 10 * DAY;
    expect(openReason(D, state({ watermark: '2026-11-20T23:59:59Z' }), late, CLOSE_AFTER)).toBe(
      'not_collected',
    );
    expect(openReason(D, state({ watermark: undefined }), late, CLOSE_AFTER)).toBe('not_collected');
    expect(openReason(D, null, late, CLOSE_AFTER)).toBe('not_collected');
    expect(openReason(D, state({ watermark: '2026-11-21T00:00:00Z' }), late, CLOSE_AFTER)).toBeUndefined();
  });

  it('keeps a day open while one of its windows is pending or still owed a rescan', () => {
    const late = dayEnd + 10 * DAY;
    const pending = {
      start: '2026-11-20T18:00:00Z',
      end: '2026-11-21T00:00:00Z',
      plannedAt: '2026-11-21T00:05:00Z',
    };
    expect(openReason(D, state({ pending }), late, CLOSE_AFTER)).toBe('pending_window');
    const owed = {
      start: dayEnd / 1000 - 3600,
      end: dayEnd / 1000,
      count: 3,
      hash: 'h',
      searchedAt: dayEnd / 1000 + 300,
    };
    expect(openReason(D, state({ rescan: [owed] }), late, CLOSE_AFTER)).toBe('rescans_due');
    // A window that only touches the day's end (half-open) does not belong to it.
    const next = { ...owed, start: dayEnd / 1000, end: dayEnd / 1000 + 3600 };
    expect(openReason(D, state({ rescan: [next] }), late, CLOSE_AFTER)).toBeUndefined();
  });
});
