/**
 * One window's events while it is drained: keeps those with `start ≤ eventTime < end` (the
 * server's end bound is of unknown inclusivity, so the client decides), deduplicates by `id`
 * (pages may overlap, many events share a second), normalises them into records, and sets
 * malformed events aside so they are counted and quarantined rather than silently dropped.
 */
import { type MalformedReason, normaliseEvent } from '#core/archive/normalise.js';
import type { AuditRecord } from '#core/archive/record.js';
import type { RawAuditEvent } from '#core/mimecast/types.js';

/** An event that could not become a record, kept verbatim for the quarantine object. */
export interface MalformedEvent {
  reason: MalformedReason;
  /** The event's id when it had a usable one. */
  id?: string | undefined;
  raw: RawAuditEvent;
}

/** What a batch needs to know. */
export interface WindowBatchOptions {
  /** Inclusive lower bound, epoch ms. */
  startMs: number;
  /** Exclusive upper bound, epoch ms. */
  endMs: number;
  source: string;
  /** ISO 8601 UTC with `Z`: the `collected_at` of every record. */
  collectedAt: string;
  /** Stop accepting pages once more than this many records are kept; none: unbounded. */
  cap?: number | undefined;
}

/** Accumulates the pages of one window. */
export class WindowBatch {
  /** Kept records, deduplicated, in arrival order. */
  readonly records: AuditRecord[] = [];
  /** Malformed events, each distinct one once. */
  readonly malformed: MalformedEvent[] = [];
  /** Events dropped because their time lies outside the window. */
  outside = 0;
  /** Events dropped because their id was already kept. */
  duplicates = 0;
  /** Pages added. */
  pages = 0;
  /** The oldest eventTime kept (epoch ms); sizes a split when the window turns out too big. */
  oldestMs: number | undefined;

  private readonly ids = new Set<string>();
  private readonly malformedSeen = new Set<string>();

  constructor(private readonly options: WindowBatchOptions) {}

  /** Distinct in-window records kept so far. */
  get events(): number {
    return this.records.length;
  }

  /** True once more records are kept than the cap allows: the caller stops draining. */
  get overCap(): boolean {
    return this.options.cap !== undefined && this.records.length > this.options.cap;
  }

  /** Adds one page of events. */
  addPage(events: readonly RawAuditEvent[]): void {
    this.pages += 1;
    for (const raw of events) this.add(raw);
  }

  private add(raw: RawAuditEvent): void {
    const result = normaliseEvent(raw, {
      source: this.options.source,
      collectedAt: this.options.collectedAt,
    });
    if (!result.ok) {
      // No id or time to filter or deduplicate by: identical copies (a re-sent page) are kept once.
      const fingerprint = safeFingerprint(raw);
      if (this.malformedSeen.has(fingerprint)) return;
      this.malformedSeen.add(fingerprint);
      this.malformed.push({ reason: result.reason, id: result.id, raw });
      return;
    }
    if (result.eventTimeMs < this.options.startMs || result.eventTimeMs >= this.options.endMs) {
      this.outside += 1;
      return;
    }
    if (this.ids.has(result.record.id)) {
      this.duplicates += 1;
      return;
    }
    this.ids.add(result.record.id);
    this.records.push(result.record);
    if (this.oldestMs === undefined || result.eventTimeMs < this.oldestMs) this.oldestMs = result.eventTimeMs;
  }

  /** Ids of the kept records. */
  keptIds(): Iterable<string> {
    return this.ids;
  }
}

/** A stable text of a raw event for spotting identical malformed copies. */
function safeFingerprint(raw: RawAuditEvent): string {
  try {
    return JSON.stringify(raw) ?? String(raw);
  } catch {
    // Not JSON-serialisable (cannot come from a JSON body, but stay total): treat as distinct.
    return `unserialisable:${Math.random()}`;
  }
}
