/**
 * What a rescan search returns, sorted into the committed windows it covers: per window the
 * fingerprint of the distinct well-formed ids Mimecast now returns for it, and (up to a cap on
 * the whole search) the records themselves, so windows that turn out to hold late events can be
 * merged without a second search. Past the cap only fingerprints are kept: memory stays bounded
 * however much a rescan returns.
 */
import { normaliseEvent } from '#core/archive/normalise.js';
import type { AuditRecord } from '#core/archive/record.js';
import type { RawAuditEvent } from '#core/mimecast/types.js';
import type { RescanWindow } from '#core/ports.js';
import { sameContent } from './conflict.js';
import { type Fingerprint, FingerprintBuilder } from './fingerprint.js';
import { windowAt } from './rescan-plan.js';

interface WindowFindings {
  /** Id → index in `records` (-1 once the records were dropped at the cap). */
  ids: Map<string, number>;
  fingerprint: FingerprintBuilder;
  records: AuditRecord[];
  /** Second copies of an id with different content, seen while the first was still kept. */
  conflicts: AuditRecord[];
}

/** Sorts one rescan search's events into its windows. */
export class RescanCollector {
  private readonly byStart = new Map<number, WindowFindings>();
  private kept = 0;
  /** True once the record cap was passed: records were dropped, fingerprints are still exact. */
  overflowed = false;
  /** Never: past the cap only records are dropped, the search goes on (PageSink). */
  readonly overCap = false;
  /** Pages added. */
  pages = 0;
  /** Distinct in-range events seen. */
  events = 0;
  /** The oldest eventTime seen (epoch ms). */
  oldestMs: number | undefined;

  constructor(
    private readonly windows: readonly RescanWindow[],
    private readonly options: { source: string; collectedAt: string; cap: number },
  ) {
    for (const w of windows) {
      this.byStart.set(w.start, {
        ids: new Map(),
        fingerprint: new FingerprintBuilder(),
        records: [],
        conflicts: [],
      });
    }
  }

  /** Adds one page of events; malformed and out-of-range events are ignored (the first search counted them). */
  addPage(events: readonly RawAuditEvent[]): void {
    this.pages += 1;
    for (const raw of events) {
      const result = normaliseEvent(raw, this.options);
      if (!result.ok) continue;
      const window = windowAt(this.windows, Math.floor(result.eventTimeMs / 1000));
      const findings = window ? this.byStart.get(window.start) : undefined;
      if (!findings) continue;
      const seen = findings.ids.get(result.record.id);
      if (seen !== undefined) {
        const first = seen >= 0 ? findings.records[seen] : undefined;
        if (first !== undefined && !sameContent(first, result.record)) findings.conflicts.push(result.record);
        continue;
      }
      findings.ids.set(result.record.id, this.overflowed ? -1 : findings.records.length);
      findings.fingerprint.add(result.record.id);
      this.events += 1;
      if (this.oldestMs === undefined || result.eventTimeMs < this.oldestMs)
        this.oldestMs = result.eventTimeMs;
      if (this.overflowed) continue;
      findings.records.push(result.record);
      this.kept += 1;
      if (this.kept > this.options.cap) this.dropRecords();
    }
  }

  /** The fingerprint of what Mimecast returned for `window`. */
  fingerprint(window: RescanWindow): Fingerprint {
    return this.byStart.get(window.start)?.fingerprint.result() ?? { count: 0, hash: '0000000000000000' };
  }

  /** Copies of an id this search returned twice with different content, for `window`. */
  conflicts(window: RescanWindow): readonly AuditRecord[] {
    return this.byStart.get(window.start)?.conflicts ?? [];
  }

  /** The records found for `window`; `undefined` when they were dropped at the cap. */
  records(window: RescanWindow): AuditRecord[] | undefined {
    if (this.overflowed) return undefined;
    return this.byStart.get(window.start)?.records ?? [];
  }

  private dropRecords(): void {
    this.overflowed = true;
    for (const findings of this.byStart.values()) {
      findings.records = [];
      for (const id of findings.ids.keys()) findings.ids.set(id, -1);
    }
    this.kept = 0;
  }
}
