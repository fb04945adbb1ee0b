/**
 * Conflicting copies: Mimecast returned one id twice with different content (within a window's
 * pages, or a rescan against what is archived). The first copy stays the record (an archived
 * record is never rewritten behind an analyst's back); the other is quarantined beside the
 * malformed events, logged by id and counted (ConflictingCopies), so the disagreement is visible.
 */
import type { AuditRecord } from '#core/archive/record.js';

/**
 * True when two records of one id say the same thing: every field Mimecast sent (`details` is
 * derived from `event_info`; `source` and `collected_at` are ours). Only called for repeated ids,
 * which are rare (overlapping pages, rescans), so serialising `extra` costs nothing overall.
 */
export function sameContent(a: AuditRecord, b: AuditRecord): boolean {
  return (
    a.event_time === b.event_time &&
    a.category === b.category &&
    a.audit_type === b.audit_type &&
    a.actor === b.actor &&
    a.event_info === b.event_info &&
    JSON.stringify(a.extra) === JSON.stringify(b.extra)
  );
}

/** What sameContent compares, as one string: the identity of a copy in a quarantine object. */
export function conflictKey(record: AuditRecord): string {
  return JSON.stringify([
    record.id,
    record.event_time,
    record.category,
    record.audit_type,
    record.actor,
    record.event_info,
    record.extra,
  ]);
}
