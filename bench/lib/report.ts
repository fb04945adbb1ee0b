/** The benchmark report: one row per figure, printed as a markdown table and saved as JSON. */

/** met / not met against a target; info for figures without a target; not measured when a piece failed. */
export type Verdict = 'met' | 'not met' | 'info' | 'not measured';

/** One line of the table. */
export interface Row {
  /** Benchmark number (and letter for sub-rows), e.g. `4b`. */
  id: string;
  name: string;
  /** Human-readable figure of the product. */
  measured: string;
  /** Human-readable figure of the same-run baseline. */
  baseline: string;
  target: string;
  verdict: Verdict;
  /** Why (the margin, or the reason it was not measured). */
  note: string;
  /** Machine-readable figures for latest.json. */
  figures: Record<string, unknown>;
}

/** A row for a benchmark that could not run (a piece missing or failing), with the reason. */
export function notMeasured(id: string, name: string, target: string, err: unknown): Row {
  const reason = err instanceof Error ? err.message : String(err);
  return {
    id,
    name,
    measured: '—',
    baseline: '—',
    target,
    verdict: 'not measured',
    note: `not measured: ${reason.replace(/\s+/g, ' ').slice(0, 300)}`,
    figures: { error: reason },
  };
}

/** met / not met. */
export function verdictOf(ok: boolean): Verdict {
  return ok ? 'met' : 'not met';
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The markdown table. */
export function markdownTable(rows: readonly Row[]): string {
  const lines = [
    '| # | Benchmark | Measured | Same-run baseline | Target | Result |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const row of rows) {
    const result =
      row.verdict === 'not measured' ? row.note : `**${row.verdict}**${row.note ? ` (${row.note})` : ''}`;
    lines.push(
      `| ${[row.id, row.name, row.measured, row.baseline, row.target, result].map(cell).join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

/** Formats bytes as KB/MB with binary units (what the 1 MB and 256 MB targets mean). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(2)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

/** Formats a count with thousands separators. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
