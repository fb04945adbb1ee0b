/**
 * Progress of a long local run (a backfill can take minutes, and a slow Mimecast makes single
 * windows slow). The numbers come from the real handler's "Window committed" log lines, so
 * what is shown is what the collector did, not an estimate made beside it. On a terminal a
 * live bar (cli-progress) is redrawn per window and every second; otherwise a plain line is
 * printed every few seconds, which reads well in CI logs and when piped to a file.
 */
import cliProgress from 'cli-progress';
import { backfillPercent, settleHorizon } from '#core/sync/index.js';
import { formatDuration, plural } from './format.js';

const number = new Intl.NumberFormat('en-US');

/** What the run has done so far. */
export interface ProgressSnapshot {
  run: number;
  /** Share of the first backfill done, 0–100 (one decimal). */
  percent: number;
  /** Events and windows committed by this run. */
  events: number;
  windows: number;
  eventsPerSecond: number;
  /** Seconds until caught up at this run's pace; null before the pace is known. */
  etaSeconds: number | null;
  /** Everything before this instant is in the archive; undefined before the first commit. */
  watermark: string | undefined;
  /** What the run is doing besides collecting (e.g. waiting for Mimecast), if anything. */
  status: string | undefined;
}

/** The fields of a "Window committed" line that progress uses. */
export interface CommittedWindow {
  windowStart: string;
  windowEnd: string;
  events: number;
}

/** Options of RunProgress. */
export interface RunProgressOptions {
  run: number;
  /** The cursor at the start of the run (undefined: first run ever). */
  backfillFrom?: string | undefined;
  watermark?: string | undefined;
  /** The collector's SETTLE_SECONDS: the horizon the backfill runs up to. */
  settleSeconds: number;
  now?: () => number;
}

/** Accumulates one run's progress from its committed windows. */
export class RunProgress {
  readonly run: number;
  private readonly now: () => number;
  private readonly startedAt: number;
  private readonly settleSeconds: number;
  private backfillFrom: string | undefined;
  private watermark: string | undefined;
  /** The watermark when this run started, to measure its pace. */
  private startWatermarkMs: number | undefined;
  private events = 0;
  private windows = 0;
  private status: { text: string; untilMs: number } | undefined;

  constructor(options: RunProgressOptions) {
    this.run = options.run;
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.settleSeconds = options.settleSeconds;
    this.backfillFrom = options.backfillFrom;
    this.watermark = options.watermark;
    const start = Date.parse(options.watermark ?? options.backfillFrom ?? '');
    this.startWatermarkMs = Number.isFinite(start) ? start : undefined;
  }

  /** Takes a committed window into account. */
  windowCommitted(window: CommittedWindow): void {
    // A first run plans its backfill from its first window's start (plan.ts), so that start is backfillFrom.
    this.backfillFrom ??= window.windowStart;
    if (this.startWatermarkMs === undefined) {
      const start = Date.parse(window.windowStart);
      if (Number.isFinite(start)) this.startWatermarkMs = start;
    }
    if (this.watermark === undefined || window.windowEnd > this.watermark) this.watermark = window.windowEnd;
    this.events += window.events;
    this.windows += 1;
    this.status = undefined;
  }

  /** Notes what the run waits for, for `forMs` (or until the next committed window). */
  setStatus(text: string, forMs: number): void {
    this.status = { text, untilMs: this.now() + forMs };
  }

  /** Milliseconds since the run started. */
  elapsedMs(): number {
    return Math.max(0, this.now() - this.startedAt);
  }

  /** The numbers now. */
  snapshot(): ProgressSnapshot {
    const now = this.now();
    const elapsedSeconds = Math.max(0.001, (now - this.startedAt) / 1000);
    const percent =
      this.watermark === undefined && this.backfillFrom === undefined
        ? 0
        : backfillPercent(
            { watermark: this.watermark, backfillFrom: this.backfillFrom },
            now,
            this.settleSeconds,
          );
    return {
      run: this.run,
      percent,
      events: this.events,
      windows: this.windows,
      eventsPerSecond: this.events / elapsedSeconds,
      etaSeconds: this.eta(now, elapsedSeconds),
      watermark: this.watermark,
      status: this.status && now < this.status.untilMs ? this.status.text : undefined,
    };
  }

  /** Remaining history at the pace the watermark moved during this run. */
  private eta(now: number, elapsedSeconds: number): number | null {
    const watermarkMs = Date.parse(this.watermark ?? '');
    if (!Number.isFinite(watermarkMs) || this.startWatermarkMs === undefined) return null;
    const remainingMs = settleHorizon(now, this.settleSeconds) - watermarkMs;
    if (remainingMs <= 0) return 0;
    const pace = (watermarkMs - this.startWatermarkMs) / elapsedSeconds;
    return pace > 0 ? remainingMs / pace : null;
  }
}

/** `2026-11-25 06:00 UTC` */
function shortTime(iso: string): string {
  return `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

/** `backfill 42.5% · 12,345 events so far · 1,234 events/s · ETA 1m 05s · up to 2026-11-25 06:00 UTC` */
export function formatProgress(snapshot: ProgressSnapshot): string {
  const rate =
    snapshot.eventsPerSecond >= 10 ? Math.round(snapshot.eventsPerSecond) : snapshot.eventsPerSecond;
  const parts = [
    `backfill ${snapshot.percent}%`,
    `${plural(snapshot.events, 'event')} so far`,
    `${number.format(Number(rate.toFixed(1)))} events/s`,
    `ETA ${snapshot.etaSeconds === null ? 'unknown' : formatDuration(snapshot.etaSeconds)}`,
  ];
  if (snapshot.watermark !== undefined) parts.push(`up to ${shortTime(snapshot.watermark)}`);
  else parts.push('no window committed yet');
  if (snapshot.status !== undefined) parts.push(snapshot.status);
  return parts.join(' · ');
}

/** Where the reporter writes (the real stdout, past the log router). */
export interface ProgressOutput {
  isTTY: boolean;
  columns?: number | undefined;
  write(text: string): void;
}

/** Options of ProgressReporter. */
export interface ProgressReporterOptions {
  output: ProgressOutput;
  /** Plain mode: one line this often (ms). */
  lineIntervalMs?: number;
  /** Bar mode: how long a run must last before the bar appears (short runs print one line only). */
  barDelayMs?: number;
  /** Prefix of plain lines and of lines logged above the bar (the clock, in npm start). */
  stamp?: () => string;
}

/** Plain lines at least this often during a run. */
export const PROGRESS_LINE_INTERVAL_MS = 5_000;

/**
 * Shows the progress of the current run and writes other lines so that they do not tear the
 * bar. One run at a time: start() for each run, stop() when it ends.
 */
export class ProgressReporter {
  private readonly output: ProgressOutput;
  private readonly lineIntervalMs: number;
  private readonly barDelayMs: number;
  private readonly stamp: () => string;
  private progress: RunProgress | undefined;
  private timer: NodeJS.Timeout | undefined;
  private bars: cliProgress.MultiBar | undefined;
  private bar: cliProgress.SingleBar | undefined;

  constructor(options: ProgressReporterOptions) {
    this.output = options.output;
    this.lineIntervalMs = options.lineIntervalMs ?? PROGRESS_LINE_INTERVAL_MS;
    this.barDelayMs = options.barDelayMs ?? 1_000;
    this.stamp = options.stamp ?? (() => '');
  }

  /** Begins showing `progress` (the run in hand). */
  start(progress: RunProgress): void {
    this.stop();
    this.progress = progress;
    if (this.output.isTTY) {
      this.timer = setTimeout(() => this.showBar(), this.barDelayMs);
    } else {
      this.timer = setInterval(() => this.printLine(), this.lineIntervalMs);
    }
    this.timer.unref();
  }

  /** Redraws after the run's numbers changed (a window was committed). */
  refresh(): void {
    if (this.bar && this.progress) this.updateBar(this.progress.snapshot());
  }

  /** Writes a line (with its stamp) above the bar, or plainly when there is none. */
  line(text: string): void {
    const stamped = `${this.stamp()}${text}\n`;
    if (this.bars) this.bars.log(stamped);
    else this.output.write(stamped);
  }

  /** Writes text as it is (e.g. a --verbose log line) without tearing the bar. */
  raw(text: string): void {
    if (this.bars) this.bars.log(text);
    else this.output.write(text);
  }

  /** Ends the current run's display: the bar is removed, leaving the lines written above it. */
  stop(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      clearInterval(this.timer);
      this.timer = undefined;
    }
    if (this.bars) {
      // The last update flushes lines logged since the previous redraw; then the bar goes.
      this.bars.update();
      this.bars.stop();
      this.bars = undefined;
      this.bar = undefined;
    }
    this.progress = undefined;
  }

  private printLine(): void {
    if (!this.progress) return;
    this.output.write(
      `${this.stamp()}run ${this.progress.run}: ${formatProgress(this.progress.snapshot())}\n`,
    );
  }

  private showBar(): void {
    if (!this.progress) return;
    const output = this.output;
    // cli-progress writes through readline helpers, which need only write/isTTY/columns.
    const stream = {
      isTTY: true,
      get columns() {
        return output.columns ?? 80;
      },
      write(text: string, callback?: () => void) {
        output.write(text);
        callback?.();
        return true;
      },
    } as unknown as NodeJS.WritableStream;
    this.bars = new cliProgress.MultiBar(
      {
        stream,
        format: `run {run} [{bar}] {text}`,
        barsize: 24,
        hideCursor: true,
        clearOnComplete: true,
        linewrap: false,
        fps: 5,
        autopadding: true,
      },
      cliProgress.Presets.shades_classic,
    );
    const snapshot = this.progress.snapshot();
    this.bar = this.bars.create(1000, Math.round(snapshot.percent * 10), this.payload(snapshot));
    this.timer = setInterval(() => this.refresh(), 1_000);
    this.timer.unref();
  }

  private updateBar(snapshot: ProgressSnapshot): void {
    this.bar?.update(Math.round(snapshot.percent * 10), this.payload(snapshot));
  }

  private payload(snapshot: ProgressSnapshot): Record<string, string | number> {
    return { run: snapshot.run, text: formatProgress(snapshot) };
  }
}
