/**
 * Result rows back into archive records. Engines return every value as text (Athena's
 * GetQueryResults does; the local engine renders the same way), so `details` and `extra` arrive
 * as JSON text and are parsed back into the objects that were stored.
 */
import type { AuditRecord } from '#core/archive/record.js';
import { ARCHIVE_RESULT_COLUMNS, type ArchiveResultColumn } from './sql.js';

/** A row that cannot be a stored record (a corrupt object, or SQL that drifted from the template). */
export class UnreadableRowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnreadableRowError';
  }
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function parseObject(column: string, text: string | null): Record<string, unknown> {
  if (text === null || text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UnreadableRowError(`column ${column} is not JSON`);
  }
  // A JSON null is what an absent map or object becomes on the way through the engine.
  if (parsed === null) return {};
  if (!isPlainObject(parsed)) throw new UnreadableRowError(`column ${column} is not a JSON object`);
  return parsed;
}

function parseDetails(text: string | null): Record<string, string> {
  const parsed = parseObject('details', text);
  const details: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') throw new UnreadableRowError('column details holds a non-text value');
    details[key] = value;
  }
  return details;
}

/**
 * Maps result column labels to their positions; throws when one of ARCHIVE_RESULT_COLUMNS is
 * missing (the engine ran other SQL than the template).
 */
export function columnPositions(labels: readonly string[]): Record<ArchiveResultColumn, number> {
  const positions = {} as Record<ArchiveResultColumn, number>;
  for (const column of ARCHIVE_RESULT_COLUMNS) {
    const index = labels.indexOf(column);
    if (index < 0) throw new UnreadableRowError(`result has no column ${column}`);
    positions[column] = index;
  }
  return positions;
}

/** One result row (text values, NULL as null) as the stored record. */
export function recordFromRow(
  values: readonly (string | null | undefined)[],
  positions: Record<ArchiveResultColumn, number>,
): AuditRecord {
  const get = (column: ArchiveResultColumn): string | null => values[positions[column]] ?? null;
  const id = get('id');
  const eventTime = get('event_time');
  const source = get('source');
  if (id === null || eventTime === null || source === null) {
    throw new UnreadableRowError('row has no id, event_time or source');
  }
  return {
    id,
    event_time: eventTime,
    category: get('category'),
    audit_type: get('audit_type'),
    actor: get('actor'),
    event_info: get('event_info'),
    details: parseDetails(get('details')),
    extra: parseObject('extra', get('extra')),
    source,
    collected_at: get('collected_at') ?? '',
  };
}
