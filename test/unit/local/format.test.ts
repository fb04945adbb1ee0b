import { describe, expect, it } from 'vitest';
import type { RunSummary } from '#core/sync/index.js';
import { formatDays, formatHiddenWarnings, formatRun, plural } from '#local/runtime/format.js';

const summary = (over: Partial<RunSummary>): RunSummary => ({
  windows: 1,
  events: 1,
  objects: 1,
  pages: 1,
  malformed: 0,
  conflictingCopies: 0,
  watermark: '2026-12-01T10:00:00Z',
  lagSeconds: 300,
  stopReason: 'caught_up',
  backfillPercent: 100,
  gapsRecorded: 0,
  gapSeconds: 0,
  rescans: 0,
  lateEvents: 0,
  lateMaxDelaySeconds: null,
  lateEventsAtLastRescan: 0,
  rescansSkipped: 0,
  windowSplits: 0,
  unreadableSeconds: 0,
  ...over,
});

describe('local output counts things in the right number', () => {
  it('pluralises', () => {
    expect([plural(0, 'window'), plural(1, 'window'), plural(1234, 'event')]).toEqual([
      '0 windows',
      '1 window',
      '1,234 events',
    ]);
  });

  it('says "1 window", "1 event", "1 object", "1 gap" and "1 day"', () => {
    expect(formatRun(1, summary({ gapsRecorded: 1 }), 400)).toBe(
      'run 1: caught_up · 1 window · 1 event · 1 object · backfill 100% · lag 5m 00s · 0.4 s · 1 gap recorded: see the cursor',
    );
    expect(formatRun(2, summary({ windows: 2, events: 0, objects: 3 }), 1000)).toContain(
      '2 windows · 0 events · 3 objects',
    );
    expect(formatDays([{ dt: '2026-12-01', events: 5, objects: 1 }])).toMatch(/\(1 day\)$/);
  });

  it('summarises hidden warnings by message, most frequent first', () => {
    const warnings = new Map([
      ['Malformed event quarantined', 197],
      ['More malformed events quarantined', 1],
    ]);
    expect(formatHiddenWarnings(warnings)).toBe(
      '198 warnings logged ("Malformed event quarantined" ×197, "More malformed events quarantined" ×1); --verbose shows the log lines',
    );
    expect(formatHiddenWarnings(new Map())).toBeUndefined();
  });
});
