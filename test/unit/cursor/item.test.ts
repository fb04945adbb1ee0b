import { describe, expect, it } from 'vitest';
import {
  appendGap,
  cursorKey,
  errorToItem,
  gapSeconds,
  itemToState,
  MAX_ERROR_MESSAGE_CHARS,
  MAX_STORED_GAPS,
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
      totals: { eventsWritten: 1200, windowsCommitted: 30, objectsWritten: 31, malformedEvents: 2 },
      lastRunAt: '2026-11-25T10:59:00Z',
      lastSuccessAt: '2026-11-25T10:58:00Z',
      lastError: item.lastError,
      gaps: [gap(1)],
      gapTotals: { count: 3, seconds: 180 },
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
      totals: { eventsWritten: 0, windowsCommitted: 0, objectsWritten: 0, malformedEvents: 0 },
      gaps: [gap(2)],
      gapTotals: { count: 1, seconds: 0 },
    });
  });

  it('keeps only the most recent gaps in the list', () => {
    // Prepare
    const existing = Array.from({ length: MAX_STORED_GAPS }, (_, i) => gap(i));

    // Act
    const next = appendGap(existing, gap(MAX_STORED_GAPS));

    // Assess
    expect(next).toHaveLength(MAX_STORED_GAPS);
    expect(next[0]).toEqual(gap(1));
    expect(next.at(-1)).toEqual(gap(MAX_STORED_GAPS));
  });

  it('measures a gap in whole seconds and never negatively', () => {
    expect(gapSeconds({ start: '2026-01-01T00:00:00Z', end: '2026-01-03T00:00:00Z' })).toBe(172_800);
    expect(gapSeconds({ start: '2026-01-03T00:00:00Z', end: '2026-01-01T00:00:00Z' })).toBe(0);
    expect(gapSeconds({ start: 'garbage', end: '2026-01-01T00:00:00Z' })).toBe(0);
  });

  it('bounds the stored error message', () => {
    const stored = errorToItem({ at: 'now', kind: 'fatal', message: 'x'.repeat(50_000) });
    expect(String(stored.message)).toHaveLength(MAX_ERROR_MESSAGE_CHARS);
  });
});
