import { describe, expect, it } from 'vitest';
import { emptyTotals, initialState } from '#core/cursor/item.js';
import type { CursorState } from '#core/ports.js';
import { backfillProgress, describeSource } from '../../../functions/query/lib/status.js';

const NOW = Date.UTC(2026, 0, 31, 12);
const DAY = 86_400_000;

const state = (overrides: Partial<CursorState> = {}): CursorState => ({
  ...initialState('default'),
  version: 7,
  watermark: '2026-01-31T11:00:00Z',
  backfillFrom: '2025-12-02T12:00:00Z',
  totals: {
    ...emptyTotals(),
    eventsWritten: 1200,
    windowsCommitted: 40,
    objectsWritten: 44,
    malformedEvents: 1,
  },
  ...overrides,
});

describe('describeSource', () => {
  it('reports lag, backfill progress and totals from the cursor', () => {
    // Act
    const status = describeSource('default', state({ lastSuccessAt: '2026-01-31T11:05:00Z' }), NOW);
    // Assess
    expect(status).toMatchObject({
      state: 'ok',
      watermark: '2026-01-31T11:00:00Z',
      lagSeconds: 3600,
      backfill: { from: '2025-12-02T12:00:00Z', progressPercent: 99.9 },
      totals: {
        eventsWritten: 1200,
        windowsCommitted: 40,
        objectsWritten: 44,
        malformedEvents: 1,
        windowSplits: 0,
      },
      running: false,
    });
  });

  it('calls a source failing when its last error is newer than its last success', () => {
    const failing = describeSource(
      'default',
      state({
        lastSuccessAt: '2026-01-31T10:00:00Z',
        lastError: {
          at: '2026-01-31T11:00:00Z',
          kind: 'authentication',
          message: 'Mimecast rejected the credentials',
        },
      }),
      NOW,
    );
    const recovered = describeSource(
      'default',
      state({
        lastSuccessAt: '2026-01-31T11:30:00Z',
        lastError: { at: '2026-01-31T11:00:00Z', kind: 'x', message: 'y' },
      }),
      NOW,
    );
    expect(failing.state).toBe('failing');
    expect(failing.lastError).toEqual({
      at: '2026-01-31T11:00:00Z',
      kind: 'authentication',
      message: 'Mimecast rejected the credentials',
    });
    expect(recovered.state).toBe('ok');
  });

  it('shows the pending window, an active lease and recorded gaps', () => {
    const status = describeSource(
      'default',
      state({
        pending: {
          start: '2026-01-31T11:00:00Z',
          end: '2026-01-31T11:55:00Z',
          plannedAt: '2026-01-31T11:59:00Z',
        },
        lease: { owner: 'run-1', expiresAt: '2026-01-31T12:05:00Z' },
        gaps: [
          {
            start: '2025-10-01T00:00:00Z',
            end: '2025-10-02T00:00:00Z',
            recordedAt: '2025-12-01T00:00:00Z',
            reason: 'outside history',
          },
        ],
      }),
      NOW,
    );
    expect(status.pending?.end).toBe('2026-01-31T11:55:00Z');
    expect(status.running).toBe(true);
    expect(status.gaps).toHaveLength(1);
  });

  it('reports a source that never ran, with zero totals', () => {
    expect(describeSource('emea', null, NOW)).toMatchObject({
      source: 'emea',
      state: 'never_run',
      watermark: null,
      lagSeconds: null,
      backfill: null,
      totals: { eventsWritten: 0, windowsCommitted: 0, objectsWritten: 0, malformedEvents: 0 },
    });
  });
});

describe('backfillProgress', () => {
  it('goes from 0 before the first commit to 100 at now, never beyond', () => {
    const from = NOW - 60 * DAY;
    expect(backfillProgress(from, undefined, NOW)).toBe(0);
    expect(backfillProgress(from, from + 30 * DAY, NOW)).toBe(50);
    expect(backfillProgress(from, NOW + DAY, NOW)).toBe(100);
  });

  it('shows merged gaps, unreadable ranges, rescans awaiting and late events with their totals', () => {
    // Act
    const status = describeSource(
      'default',
      state({
        gaps: [
          { start: '2025-11-01T00:00:00Z', end: '2025-11-01T00:10:00Z', recordedAt: 'r', reason: 'lost' },
        ],
        gapTotals: { count: 4, seconds: 900 },
        unreadable: [
          { start: '2026-01-30T10:00:00Z', end: '2026-01-30T10:00:01Z', recordedAt: 'r', reason: 'paging' },
        ],
        unreadableTotals: { count: 1, seconds: 1 },
        rescan: [
          {
            start: Date.UTC(2026, 0, 31, 10) / 1000,
            end: Date.UTC(2026, 0, 31, 10, 5) / 1000,
            count: 3,
            hash: 'h',
            searchedAt: 0,
          },
        ],
        lateMaxDelaySeconds: 2_400.4,
        lastLateAt: '2026-01-31T11:00:00Z',
        totals: { ...emptyTotals(), lateEvents: 17, rescans: 40, rescansSkipped: 2, windowSplits: 3 },
      }),
      NOW,
    );

    // Assess
    expect(status).toMatchObject({
      gaps: [{ start: '2025-11-01T00:00:00Z', end: '2025-11-01T00:10:00Z' }],
      gapTotals: { count: 4, seconds: 900 },
      unreadable: [{ start: '2026-01-30T10:00:00Z', end: '2026-01-30T10:00:01Z', reason: 'paging' }],
      unreadableTotals: { count: 1, seconds: 1 },
      rescans: { windowsAwaiting: 1, oldestAwaiting: '2026-01-31T10:00:00Z', completed: 40, skipped: 2 },
      lateEvents: { total: 17, maxDelaySeconds: 2_400, lastFoundAt: '2026-01-31T11:00:00Z' },
      totals: { windowSplits: 3 },
    });
  });
});
