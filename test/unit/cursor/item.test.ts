import { describe, expect, it } from 'vitest';
import {
  applyChanges,
  changesToAttributes,
  cursorKey,
  emptyTotals,
  errorToItem,
  initialState,
  itemToState,
  MAX_ERROR_MESSAGE_CHARS,
} from '#core/cursor/item.js';

const gap = (i: number) => ({
  start: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
  end: new Date(Date.UTC(2026, 0, 1, 0, i + 1)).toISOString(),
  recordedAt: '2026-11-25T00:00:00Z',
  reason: 'history_limit',
});

describe('cursor item conversion', () => {
  it('uses the contract partition key', () => {
    expect(cursorKey('default')).toBe('source#default');
  });

  it('reads every stored attribute into the state', () => {
    // Prepare
    const item = {
      pk: 'source#eu',
      sourceId: 'eu',
      version: 7,
      watermark: '2026-11-25T10:00:00Z',
      pending: {
        start: '2026-11-25T10:00:00Z',
        end: '2026-11-25T11:00:00Z',
        plannedAt: '2026-11-25T11:05:00Z',
        attempts: undefined,
        progress: undefined,
      },
      backfillFrom: '2026-09-26T00:00:00Z',
      windowSeconds: 900,
      lease: { owner: 'run-1', expiresAt: '2026-11-25T11:20:00.000Z' },
      eventsWritten: 1200,
      windowsCommitted: 30,
      objectsWritten: 31,
      malformedEvents: 2,
      lastRunAt: '2026-11-25T10:59:00Z',
      lastSuccessAt: '2026-11-25T10:58:00Z',
      lastError: { at: '2026-11-25T10:57:00Z', kind: 'rate_limited', message: 'HTTP 429' },
      gaps: [gap(1)],
      gapCount: 3,
      gapSeconds: 180,
      updatedAt: '2026-11-25T11:05:00Z',
    };

    // Act
    const state = itemToState(item, 'eu');

    // Assess
    expect(state).toEqual({
      sourceId: 'eu',
      version: 7,
      watermark: '2026-11-25T10:00:00Z',
      pending: item.pending,
      backfillFrom: '2026-09-26T00:00:00Z',
      windowSeconds: 900,
      lease: item.lease,
      totals: {
        ...emptyTotals(),
        eventsWritten: 1200,
        windowsCommitted: 30,
        objectsWritten: 31,
        malformedEvents: 2,
      },
      lastRunAt: '2026-11-25T10:59:00Z',
      lastSuccessAt: '2026-11-25T10:58:00Z',
      lastError: item.lastError,
      lastStop: undefined,
      gaps: [gap(1)],
      gapTotals: { count: 3, seconds: 180 },
      unreadable: [],
      unreadableTotals: { count: 0, seconds: 0 },
      rescan: [],
      lateMaxDelaySeconds: undefined,
      lastLateAt: undefined,
      clockOffsetMs: undefined,
      updatedAt: '2026-11-25T11:05:00Z',
    });
  });

  it('turns a sparse or hand-edited item into a usable state instead of crashing', () => {
    // Prepare
    const item = {
      pk: 'source#eu',
      version: 'three',
      lease: { owner: 5 },
      pending: 'x',
      gaps: [{ start: 1 }, gap(2), null],
    };

    // Act
    const state = itemToState(item, 'eu');

    // Assess
    expect(state).toMatchObject({
      sourceId: 'eu',
      version: 0,
      watermark: undefined,
      pending: undefined,
      windowSeconds: undefined,
      lease: undefined,
      totals: emptyTotals(),
      gaps: [gap(2)],
      gapTotals: { count: 1, seconds: 0 },
    });
  });

  it('drops rescan entries that are malformed or overlap an earlier one, and sorts the rest', () => {
    // Prepare
    const item = {
      rescan: [
        [600, 900, 3, 'bbbb', 1_000],
        [0, 300, 1, 'aaaa', 400],
        [100, 200, 1, 'cccc', 400],
        [900, 800, 1, 'dddd', 1_000],
        ['x', 1, 2, 'e', 3],
        null,
      ],
    };

    // Act
    const state = itemToState(item, 'eu');

    // Assess
    expect(state.rescan).toEqual([
      { start: 0, end: 300, count: 1, hash: 'aaaa', searchedAt: 400 },
      { start: 600, end: 900, count: 3, hash: 'bbbb', searchedAt: 1_000 },
    ]);
  });

  it('turns changes into SET and REMOVE assignments, counters and totals flat', () => {
    // Act
    const { set, remove } = changesToAttributes({
      watermark: '2026-11-25T10:00:00Z',
      pending: undefined,
      totals: { ...emptyTotals(), lateEvents: 4 },
      gapTotals: { count: 2, seconds: 90 },
      rescan: [{ start: 1, end: 2, count: 3, hash: 'h', searchedAt: 4 }],
    });

    // Assess
    expect(remove).toEqual(['pending']);
    expect(set).toMatchObject({
      watermark: '2026-11-25T10:00:00Z',
      lateEvents: 4,
      eventsWritten: 0,
      gapCount: 2,
      gapSeconds: 90,
      rescan: [[1, 2, 3, 'h', 4]],
    });
  });

  it('applies changes as a store does: version bumped, undefined removes, the rest untouched', () => {
    // Prepare
    const state = {
      ...initialState('eu'),
      version: 4,
      watermark: 'w',
      pending: { start: 'a', end: 'b', plannedAt: 'c' },
    };

    // Act
    const next = applyChanges(state, { pending: undefined, backfillFrom: 'f' }, 'now');

    // Assess
    expect(next).toMatchObject({ version: 5, watermark: 'w', backfillFrom: 'f', updatedAt: 'now' });
    expect(next.pending).toBeUndefined();
  });

  it('bounds the stored error message', () => {
    const stored = errorToItem({ at: 'now', kind: 'fatal', message: 'x'.repeat(50_000) });
    expect(String(stored.message)).toHaveLength(MAX_ERROR_MESSAGE_CHARS);
  });
});
