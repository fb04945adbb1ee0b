/**
 * Turns a raw Mimecast audit event into the archive record (docs/athena.md, "Record fields").
 * Malformed events are not dropped here: the caller gets a reason (and the id when there is
 * one) so it can count, log and keep them findable.
 */
import type { RawAuditEvent } from '#core/mimecast/types.js';
import { parseMimecastTime, toIsoSeconds } from '#core/time.js';
import { parseEventInfo } from './event-info.js';
import type { AuditRecord } from './record.js';

export { parseEventInfo } from './event-info.js';

/** Why an event could not become a record. */
export type MalformedReason = 'missing_id' | 'bad_event_time';

/** The outcome of normalising one event. */
export type NormaliseResult =
  | { ok: true; record: AuditRecord; eventTimeMs: number }
  | { ok: false; reason: MalformedReason; id?: string };

/** Where a record comes from and when it was collected. */
export interface NormaliseContext {
  source: string;
  /** ISO 8601 UTC with `Z`. */
  collectedAt: string;
}

/** The raw fields that become named record columns; every other field goes to `extra`. */
const MAPPED_FIELDS = new Set(['id', 'eventTime', 'category', 'auditType', 'user', 'eventInfo']);
/** Of those, the ones whose original is kept in `extra` when it is present but not a string. */
const TEXT_FIELDS = ['category', 'auditType', 'user', 'eventInfo'] as const;

// Anything outside these years is a corrupt timestamp, not an audit event; it would also not
// format as a four-digit ISO year.
const EARLIEST_EVENT_MS = Date.UTC(1970, 0, 1);
const LATEST_EVENT_MS = Date.UTC(9999, 11, 31, 23, 59, 59);

/**
 * The deduplication key. Mimecast documents `id` as an opaque string; a safe-integer number is
 * accepted as its decimal string (the same event then dedups the same way whichever JSON type
 * it arrived as). Empty or whitespace-only strings, other numbers and other types are missing.
 */
function eventId(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return undefined;
}

const textOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * Every field of `raw` that is not a named column, in `raw`'s order, then the non-text
 * originals of the text columns. Most events have no such field, so this is a loop over the
 * keys rather than filtering an array of entries.
 */
function extraFields(raw: RawAuditEvent): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  for (const key in raw) {
    if (!Object.hasOwn(raw, key) || MAPPED_FIELDS.has(key)) continue;
    setField(extra, key, raw[key]);
  }
  for (const field of TEXT_FIELDS) {
    const value = raw[field];
    if (value !== undefined && value !== null && typeof value !== 'string') setField(extra, field, value);
  }
  return extra;
}

/** Defines an own data property, so a field named `__proto__` stays a field (assignment would set the prototype). */
function setField(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

// Events arrive ordered by time and often share a second, so the last formatted second is reused.
let lastSecondMs = Number.NaN;
let lastSecondText = '';

/** `event_time` of an instant at whole seconds. */
function eventTimeText(ms: number): string {
  if (ms !== lastSecondMs) {
    lastSecondText = toIsoSeconds(new Date(ms));
    lastSecondMs = ms;
  }
  return lastSecondText;
}

/**
 * Normalises one event. `event_time` is `eventTime` in UTC `Z` form at second precision and
 * `eventTimeMs` is exactly that instant (sub-second digits are dropped from both, so the window
 * filter and the `dt` partition always agree). Text fields are kept verbatim; `null` when absent
 * or not a string, in which case a present non-null original is kept in `extra` under its own
 * name. `extra` holds every other field verbatim.
 */
export function normaliseEvent(raw: RawAuditEvent, ctx: NormaliseContext): NormaliseResult {
  // The client hands over whatever JSON the array held; be defensive about non-objects.
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { ok: false, reason: 'missing_id' };

  const id = eventId(raw.id);
  if (id === undefined) return { ok: false, reason: 'missing_id' };

  const parsed = parseMimecastTime(raw.eventTime);
  if (parsed === undefined || parsed < EARLIEST_EVENT_MS || parsed > LATEST_EVENT_MS) {
    return { ok: false, reason: 'bad_event_time', id };
  }
  const eventTimeMs = Math.floor(parsed / 1000) * 1000;

  const extra = extraFields(raw);
  const record: AuditRecord = {
    id,
    event_time: eventTimeText(eventTimeMs),
    category: textOrNull(raw.category),
    audit_type: textOrNull(raw.auditType),
    actor: textOrNull(raw.user),
    event_info: textOrNull(raw.eventInfo),
    details: parseEventInfo(raw.eventInfo),
    extra,
    source: ctx.source,
    collected_at: ctx.collectedAt,
  };
  return { ok: true, record, eventTimeMs };
}
