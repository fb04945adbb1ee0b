import { describe, expect, it } from 'vitest';
import {
  alignedEnd,
  backfillPercent,
  GAP_REASON_PENDING,
  GAP_REASON_WATERMARK,
  HISTORY_FLOOR_MARGIN_MS,
  historyFloor,
  planWindow,
  settleHorizon,
} from '#core/sync/plan.js';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0, 640);
const DAY = 86_400_000;
const settings = { LOOKBACK_DAYS: 60, SETTLE_SECONDS: 300 };
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

describe('historyFloor and settleHorizon', () => {
  it('keeps the floor inside the 60 days by the margin, on a whole second', () => {
    // Act
    const floor = historyFloor(NOW);

    // Assess
    expect(floor % 1000).toBe(0);
    expect(floor).toBeGreaterThanOrEqual(NOW - 60 * DAY + HISTORY_FLOOR_MARGIN_MS);
    expect(floor - (NOW - 60 * DAY + HISTORY_FLOOR_MARGIN_MS)).toBeLessThan(1000);
  });

  it('truncates the horizon to the second before now − settle', () => {
    expect(settleHorizon(NOW, 300)).toBe(Date.UTC(2026, 10, 25, 11, 55, 0));
  });
});

describe('planWindow', () => {
  it('starts a first run LOOKBACK_DAYS back and records backfillFrom', () => {
    // Act
    const plan = planWindow({}, NOW, { ...settings, LOOKBACK_DAYS: 7 }, 3600);

    // Assess
    expect(plan).toMatchObject({
      kind: 'fresh',
      pending: { start: '2026-11-18T12:00:00Z', end: '2026-11-18T13:00:00Z' },
      backfillFrom: '2026-11-18T12:00:00Z',
    });
    expect(plan.kind === 'fresh' && plan.gap).toBeFalsy();
  });

  it('clamps a 60-day first run to the history floor without recording a gap', () => {
    // Act
    const plan = planWindow({}, NOW, settings, 3600);

    // Assess
    expect(plan.kind).toBe('fresh');
    if (plan.kind !== 'fresh') return;
    expect(plan.startMs).toBe(historyFloor(NOW));
    expect(plan.backfillFrom).toBe(iso(historyFloor(NOW)));
    expect(plan.gap).toBeUndefined();
  });

  it('does not overwrite an existing backfillFrom', () => {
    // Act
    const plan = planWindow({ backfillFrom: '2026-10-01T00:00:00Z' }, NOW, settings, 60);

    // Assess
    expect(plan.kind === 'fresh' && plan.backfillFrom).toBeUndefined();
  });

  it('continues from the watermark', () => {
    // Act
    const plan = planWindow({ watermark: '2026-11-25T10:00:00Z' }, NOW, settings, 600);

    // Assess
    expect(plan).toMatchObject({
      kind: 'fresh',
      pending: { start: '2026-11-25T10:00:00Z', end: '2026-11-25T10:10:00Z' },
    });
  });

  it('never plans past now − SETTLE_SECONDS', () => {
    // Act
    const plan = planWindow({ watermark: '2026-11-25T11:50:00Z' }, NOW, settings, 21_600);

    // Assess
    expect(plan).toMatchObject({
      kind: 'fresh',
      pending: { start: '2026-11-25T11:50:00Z', end: '2026-11-25T11:55:00Z' },
    });
  });

  it('is caught up when the watermark has reached the settle horizon', () => {
    expect(planWindow({ watermark: '2026-11-25T11:55:00Z' }, NOW, settings, 600)).toEqual({
      kind: 'caught_up',
    });
    expect(planWindow({ watermark: '2026-11-25T11:57:00Z' }, NOW, settings, 600)).toEqual({
      kind: 'caught_up',
    });
  });

  it('moves a watermark older than 60 days to the floor and records the skipped range as a gap', () => {
    // Prepare
    const watermark = '2026-09-01T00:00:00Z';

    // Act
    const plan = planWindow({ watermark }, NOW, settings, 3600);

    // Assess
    expect(plan.kind).toBe('fresh');
    if (plan.kind !== 'fresh') return;
    expect(plan.startMs).toBe(historyFloor(NOW));
    expect(plan.gap).toEqual({
      start: watermark,
      end: iso(historyFloor(NOW)),
      recordedAt: '2026-11-25T12:00:00Z',
      reason: GAP_REASON_WATERMARK,
    });
  });

  it('redoes a pending window exactly, whatever the window size asks for', () => {
    // Prepare
    const pending = {
      start: '2026-11-20T00:00:00Z',
      end: '2026-11-20T06:00:00Z',
      plannedAt: '2026-11-20T07:00:00Z',
    };

    // Act
    const plan = planWindow({ watermark: '2026-11-20T00:00:00Z', pending }, NOW, settings, 1);

    // Assess
    expect(plan).toMatchObject({ kind: 'redo', pending, fetchStartMs: Date.parse(pending.start) });
    expect(plan.kind === 'redo' && plan.gap).toBeFalsy();
  });

  it('searches a pending window that fell partly out of history from the floor, and records the gap', () => {
    // Prepare
    const floor = historyFloor(NOW);
    const pending = { start: iso(floor - 3_600_000), end: iso(floor + 3_600_000), plannedAt: iso(floor) };

    // Act
    const plan = planWindow({ pending }, NOW, settings, 60);

    // Assess
    expect(plan).toMatchObject({ kind: 'redo', pending, fetchStartMs: floor });
    expect(plan.kind === 'redo' && plan.gap).toMatchObject({
      start: pending.start,
      end: iso(floor),
      reason: GAP_REASON_PENDING,
    });
  });
});

describe('alignedEnd', () => {
  it('ends windows on multiples of their size, so day boundaries are window boundaries', () => {
    // Prepare
    const start = Date.UTC(2026, 10, 24, 21, 45, 18);

    // Act + Assess
    expect(alignedEnd(start, 21_600)).toBe(Date.UTC(2026, 10, 25, 0, 0, 0));
    expect(alignedEnd(Date.UTC(2026, 10, 25, 0, 0, 0), 21_600)).toBe(Date.UTC(2026, 10, 25, 6, 0, 0));
    expect(alignedEnd(start, 1)).toBe(start + 1000);
  });
});

describe('backfillPercent', () => {
  it('is 0 before the first commit, proportional during the backfill, 100 when caught up', () => {
    const from = iso(NOW - 10 * DAY);
    const horizon = settleHorizon(NOW, 0);
    expect(backfillPercent({ backfillFrom: from }, NOW, 0)).toBe(0);
    expect(backfillPercent({ backfillFrom: from, watermark: iso(horizon - 5 * DAY) }, NOW, 0)).toBe(50);
    expect(backfillPercent({ backfillFrom: from, watermark: iso(horizon) }, NOW, 0)).toBe(100);
  });
});
