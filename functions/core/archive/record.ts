/**
 * The archive record: one line of the gzip NDJSON objects in S3, and the shape the query API
 * returns. Field names and meanings are part of the contract (docs/athena.md, "The data in S3") and
 * match the Glue table's columns.
 */
export interface AuditRecord {
  /** Mimecast's event id; unique; the deduplication key. */
  id: string;
  /** `eventTime` in ISO 8601 UTC with `Z`, second precision (e.g. `2026-11-25T10:15:30Z`). */
  event_time: string;
  category: string | null;
  audit_type: string | null;
  /** Mimecast's `user` (renamed: `user` is reserved in Athena DDL). */
  actor: string | null;
  /** `eventInfo`, verbatim. */
  event_info: string | null;
  /** Best-effort `Key: Value` pairs parsed from `eventInfo` (keys lower-cased, spaces → `_`). */
  details: Record<string, string>;
  /** Every other field Mimecast sent, verbatim (nothing is dropped). */
  extra: Record<string, unknown>;
  /** The configured source id. */
  source: string;
  /** When the collector wrote the record (ISO 8601 UTC with `Z`). */
  collected_at: string;
}

/** The record's fields in contract order: the key order of every archived line and of query results. */
export const RECORD_FIELDS = [
  'id',
  'event_time',
  'category',
  'audit_type',
  'actor',
  'event_info',
  'details',
  'extra',
  'source',
  'collected_at',
] as const satisfies readonly (keyof AuditRecord)[];

/** Glue/Athena/DuckDB column list, in order; the partition columns `source`/`dt` come from the key. */
export const RECORD_COLUMNS = [
  { name: 'id', type: 'string' },
  { name: 'event_time', type: 'string' },
  { name: 'category', type: 'string' },
  { name: 'audit_type', type: 'string' },
  { name: 'actor', type: 'string' },
  { name: 'event_info', type: 'string' },
  { name: 'details', type: 'map<string,string>' },
  { name: 'extra', type: 'string' },
  { name: 'collected_at', type: 'string' },
] as const;
