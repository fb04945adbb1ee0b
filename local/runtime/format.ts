/** Human-readable progress lines for `npm start`. */
import type { RunSummary } from '#core/sync/index.js';
import type { DaySummary } from './archive-summary.js';

const number = new Intl.NumberFormat('en-US');

/** `1h 02m 03s`, `4m 05s`, `6s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m ${String(rest).padStart(2, '0')}s`;
  if (m > 0) return `${m}m ${String(rest).padStart(2, '0')}s`;
  return `${rest}s`;
}

/** One line per run: outcome, work done, backfill progress and lag. */
export function formatRun(run: number, summary: RunSummary, elapsedMs: number): string {
  const parts = [
    `run ${run}: ${summary.stopReason}`,
    `${number.format(summary.windows)} windows`,
    `${number.format(summary.events)} events`,
    `${number.format(summary.objects)} objects`,
    `backfill ${summary.backfillPercent}%`,
    `lag ${summary.lagSeconds === null ? 'n/a' : formatDuration(summary.lagSeconds)}`,
    `${(elapsedMs / 1000).toFixed(1)} s`,
  ];
  if (summary.malformed > 0) parts.push(`${number.format(summary.malformed)} malformed (quarantined)`);
  if (summary.gapsRecorded > 0) parts.push(`${summary.gapsRecorded} gap(s) recorded: see the cursor`);
  return parts.join(' · ');
}

/** The per-day table of `--once`. */
export function formatDays(days: readonly DaySummary[]): string {
  const lines = ['date          events  objects'];
  for (const day of days) {
    lines.push(`${day.dt}  ${number.format(day.events).padStart(8)}  ${String(day.objects).padStart(7)}`);
  }
  const events = days.reduce((sum, day) => sum + day.events, 0);
  const objects = days.reduce((sum, day) => sum + day.objects, 0);
  lines.push(
    `total       ${number.format(events).padStart(8)}  ${String(objects).padStart(7)}  (${days.length} days)`,
  );
  return lines.join('\n');
}
