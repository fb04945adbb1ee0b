/**
 * Output formats of archive records, written page by page as results arrive:
 * - `ndjson`: one record per line, exactly as the API returned it (for jq, files, pipelines);
 * - `csv`: the record's columns with `details` and `extra` as JSON text (csv-stringify quotes);
 *   cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) get a
 *   leading `'`, because event text is partly attacker-controlled (subjects, display names);
 * - `table`: fixed columns sized for a terminal, long text cut with `…` (by display width).
 */
import { stringify } from 'csv-stringify/sync';
import stringWidth from 'string-width';
import type { AuditRecord } from '#core/archive/record.js';

/** The formats `--format` takes. */
export const FORMATS = ['table', 'ndjson', 'csv'] as const;
export type OutputFormat = (typeof FORMATS)[number];

/** Writes records in one format. */
export interface RecordWriter {
  /** Text for a page of records (the header comes with the first page). */
  page(records: readonly AuditRecord[]): string;
}

const CSV_COLUMNS = [
  'event_time',
  'source',
  'category',
  'audit_type',
  'actor',
  'event_info',
  'details',
  'extra',
  'id',
  'collected_at',
] as const;

/** OWASP "CSV injection": a cell starting with one of these is a formula to a spreadsheet. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** A cell that no spreadsheet evaluates. */
export const neutraliseFormula = (cell: string): string => (FORMULA_START.test(cell) ? `'${cell}` : cell);

function csvRow(record: AuditRecord): string[] {
  return CSV_COLUMNS.map((column) => {
    const value = record[column];
    const text = value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
    return neutraliseFormula(text);
  });
}

/** Cuts or pads `text` to exactly `width` terminal columns. */
export function fitWidth(text: string, width: number): string {
  const flat = text.replace(/[\r\n\t]+/g, ' ');
  if (stringWidth(flat) <= width) return flat + ' '.repeat(width - stringWidth(flat));
  let out = '';
  for (const char of flat) {
    if (stringWidth(out + char) > width - 1) break;
    out += char;
  }
  return `${out}…${' '.repeat(Math.max(0, width - 1 - stringWidth(out)))}`;
}

const TABLE_COLUMNS: Array<{ title: string; width: number; value: (r: AuditRecord) => string }> = [
  { title: 'event_time', width: 20, value: (r) => r.event_time },
  { title: 'actor', width: 28, value: (r) => r.actor ?? '' },
  { title: 'audit_type', width: 26, value: (r) => r.audit_type ?? '' },
  { title: 'ip', width: 15, value: (r) => r.details.ip ?? '' },
];

/** A writer for `format`; `columns` is the terminal width for the table. */
export function recordWriter(format: OutputFormat, columns = 160): RecordWriter {
  let first = true;
  switch (format) {
    case 'ndjson':
      return { page: (records) => records.map((r) => `${JSON.stringify(r)}\n`).join('') };
    case 'csv':
      return {
        page(records) {
          const header = first;
          first = false;
          return stringify(records.map(csvRow), { header, columns: [...CSV_COLUMNS] });
        },
      };
    case 'table': {
      const fixed = TABLE_COLUMNS.reduce((n, c) => n + c.width + 2, 0);
      const infoWidth = Math.max(20, columns - fixed);
      const line = (cells: string[]) => `${cells.join('  ').trimEnd()}\n`;
      return {
        page(records) {
          const header = first
            ? line([...TABLE_COLUMNS.map((c) => fitWidth(c.title, c.width)), 'event_info'])
            : '';
          first = false;
          return (
            header +
            records
              .map((r) =>
                line([
                  ...TABLE_COLUMNS.map((c) => fitWidth(c.value(r), c.width)),
                  fitWidth(r.event_info ?? '', infoWidth),
                ]),
              )
              .join('')
          );
        },
      };
    }
  }
}
