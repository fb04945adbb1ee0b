/** Human-readable progress lines for `npm start`. */
import type { RunSummary } from '#core/sync/index.js';
import type { DaySummary } from './archive-summary.js';

const number = new Intl.NumberFormat('en-US');

/** `1 window`, `2 windows`, `1,234 events`: the count, formatted, with the noun in the right number. */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${number.format(count)} ${count === 1 ? singular : pluralForm}`;
}

/** `12.3 MiB`: bytes in binary units, one decimal above a KiB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

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
    plural(summary.windows, 'window'),
    plural(summary.events, 'event'),
    plural(summary.objects, 'object'),
    `backfill ${summary.backfillPercent}%`,
    `lag ${summary.lagSeconds === null ? 'n/a' : formatDuration(summary.lagSeconds)}`,
    `${(elapsedMs / 1000).toFixed(1)} s`,
  ];
  if (summary.malformed > 0) parts.push(`${number.format(summary.malformed)} malformed (quarantined)`);
  if (summary.conflictingCopies > 0)
    parts.push(
      `${number.format(summary.conflictingCopies)} conflicting ${summary.conflictingCopies === 1 ? 'copy' : 'copies'} (quarantined)`,
    );
  if (summary.gapsRecorded > 0) parts.push(`${plural(summary.gapsRecorded, 'gap')} recorded: see the cursor`);
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
    `total       ${number.format(events).padStart(8)}  ${String(objects).padStart(7)}  (${plural(days.length, 'day')})`,
  );
  return lines.join('\n');
}

/** Warnings the collector logged during a run, by message, for the hint shown without --verbose. */
export function formatHiddenWarnings(byMessage: ReadonlyMap<string, number>): string | undefined {
  const total = [...byMessage.values()].reduce((sum, n) => sum + n, 0);
  if (total === 0) return undefined;
  const top = [...byMessage.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([message, n]) => `"${message}" ×${number.format(n)}`);
  const more = byMessage.size > 3 ? `, ${plural(byMessage.size - 3, 'other message')}` : '';
  return `${plural(total, 'warning')} logged (${top.join(', ')}${more}); --verbose shows the log lines`;
}
