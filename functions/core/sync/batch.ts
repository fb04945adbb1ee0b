/**
 * One window's events while it is drained: keeps those with `start ≤ eventTime < end` (the
 * server's end bound is of unknown inclusivity, so the client decides), deduplicates by `id`
 * (pages may overlap, many events share a second), normalises them into records, and sets
 * malformed events aside so they are counted and quarantined rather than silently dropped.
 */
import { type MalformedReason, normaliseEvent } from '#core/archive/normalise.js';
import type { AuditRecord } from '#core/archive/record.js';
import type { RawAuditEvent } from '#core/mimecast/types.js';
import { sameContent } from './conflict.js';

/** Why an event was quarantined: malformed, or a second copy of an id with different content. */
export type QuarantineReason = MalformedReason | 'conflicting_copy';

/** An event that could not become a record, kept verbatim for the quarantine object. */
export interface MalformedEvent {
  reason: QuarantineReason;
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
  /** Copies of a kept id with different content, each distinct one once (quarantined with the malformed). */
  readonly conflicting: MalformedEvent[] = [];
  /** Events dropped because their time lies outside the window. */
  outside = 0;
  /** Events dropped because their id was already kept with the same content. */
  duplicates = 0;
  /** Pages added. */
  pages = 0;
  /** The oldest eventTime kept (epoch ms); sizes a split when the window turns out too big. */
  oldestMs: number | undefined;

  /** Kept id → its index in `records`. */
  private readonly ids = new Map<string, number>();
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
    const kept = this.ids.get(result.record.id);
    if (kept !== undefined) {
      const first = this.records[kept];
      if (first === undefined || sameContent(first, result.record)) {
        this.duplicates += 1;
        return;
      }
      // The same conflicting copy on two overlapping pages is one conflict.
      const fingerprint = safeFingerprint(raw);
      if (this.malformedSeen.has(fingerprint)) return;
      this.malformedSeen.add(fingerprint);
      this.conflicting.push({ reason: 'conflicting_copy', id: result.record.id, raw });
      return;
    }
    this.ids.set(result.record.id, this.records.length);
    this.records.push(result.record);
    if (this.oldestMs === undefined || result.eventTimeMs < this.oldestMs) this.oldestMs = result.eventTimeMs;
  }

  /** Ids of the kept records. */
  keptIds(): Iterable<string> {
    return this.ids.keys();
  }

  /** Everything to quarantine: malformed events, then conflicting copies. */
  quarantined(): MalformedEvent[] {
    return this.conflicting.length === 0 ? this.malformed : [...this.malformed, ...this.conflicting];
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
