import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatProgress, ProgressReporter, RunProgress } from '#local/runtime/progress.js';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-12-01T12:00:00Z');

/** A run that started at NOW on a fresh cursor (settle 0 s, so the horizon is now). */
function freshRun(clock: { now: number }) {
  return new RunProgress({ run: 1, settleSeconds: 0, now: () => clock.now });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('RunProgress', () => {
  it('derives backfill %, events so far, events/s and an ETA from committed windows', () => {
    // Prepare: a 10-day backfill; after 10 s, 2 days are in.
    const clock = { now: NOW };
    const progress = freshRun(clock);
    const from = NOW - 10 * 24 * HOUR;

    // Act
    clock.now += 5_000;
    progress.windowCommitted({
      windowStart: new Date(from).toISOString(),
      windowEnd: new Date(from + 24 * HOUR).toISOString(),
      events: 600,
    });
    clock.now += 5_000;
    progress.windowCommitted({
      windowStart: new Date(from + 24 * HOUR).toISOString(),
      windowEnd: new Date(from + 48 * HOUR).toISOString(),
      events: 400,
    });
    const snapshot = progress.snapshot();

    // Assess: 48 of 240 hours (the horizon moved 10 s on), 1,000 events in 10 s, 192 h left at 4.8 h/s.
    expect(snapshot.percent).toBe(20);
    expect(snapshot.events).toBe(1000);
    expect(snapshot.windows).toBe(2);
    expect(snapshot.eventsPerSecond).toBe(100);
    expect(snapshot.etaSeconds).toBeCloseTo(40, 0);
    expect(formatProgress(snapshot)).toBe(
      'backfill 20% · 1,000 events so far · 100 events/s · ETA 40s · up to 2026-11-23 12:00 UTC',
    );
  });

  it('has no ETA before the first window and shows a wait while it lasts', () => {
    const clock = { now: NOW };
    const progress = freshRun(clock);
    progress.setStatus('Mimecast rate limited: waiting 20s to retry', 20_000);
    expect(formatProgress(progress.snapshot())).toBe(
      'backfill 0% · 0 events so far · 0 events/s · ETA unknown · no window committed yet · Mimecast rate limited: waiting 20s to retry',
    );
    clock.now += 21_000;
    expect(progress.snapshot().status).toBeUndefined();
  });

  it('continues the backfill of an earlier session from the saved cursor', () => {
    const clock = { now: NOW };
    const progress = new RunProgress({
      run: 3,
      backfillFrom: new Date(NOW - 100 * HOUR).toISOString(),
      watermark: new Date(NOW - 50 * HOUR).toISOString(),
      settleSeconds: 0,
      now: () => clock.now,
    });
    expect(progress.snapshot().percent).toBe(50);
  });
});

describe('ProgressReporter', () => {
  it('prints a plain progress line every 5 s when stdout is not a terminal', () => {
    // Prepare
    vi.useFakeTimers({ now: NOW });
    const written: string[] = [];
    const reporter = new ProgressReporter({ output: { isTTY: false, write: (t) => written.push(t) } });
    const progress = new RunProgress({ run: 2, settleSeconds: 0 });

    // Act
    reporter.start(progress);
    vi.advanceTimersByTime(4_999);
    const before = written.length;
    vi.advanceTimersByTime(10_001);
    reporter.stop();
    vi.advanceTimersByTime(20_000);

    // Assess
    expect(before).toBe(0);
    expect(written).toHaveLength(3);
    expect(written[0]).toMatch(/^run 2: backfill 0% · 0 events so far · 0 events\/s · ETA unknown/);
  });

  it('draws a bar on a terminal and writes lines above it', () => {
    // Prepare
    vi.useFakeTimers({ now: NOW });
    const written: string[] = [];
    const reporter = new ProgressReporter({
      output: { isTTY: true, columns: 160, write: (t) => written.push(t) },
    });
    const progress = new RunProgress({ run: 1, settleSeconds: 0, now: () => Date.now() });

    // Act
    reporter.start(progress);
    vi.advanceTimersByTime(1_500);
    progress.windowCommitted({
      windowStart: new Date(NOW - 2 * HOUR).toISOString(),
      windowEnd: new Date(NOW - HOUR).toISOString(),
      events: 7,
    });
    reporter.refresh();
    reporter.line('a line above the bar');
    vi.advanceTimersByTime(1_000);
    reporter.stop();
    const screen = written.join('');

    // Assess
    expect(screen).toMatch(/run 1 \[[█░]+\] backfill 0% · 0 events so far/);
    expect(screen).toMatch(/run 1 \[[█░]+\] backfill 50% · 7 events so far/);
    expect(screen).toContain('a line above the bar\n');
  });
});
