/** `GET /v1/status`: the collector's cursor of each source, turned into what an operator asks. */
import type { CursorState, RecordedRange } from '#core/ports.js';
import type { SourceStatus } from './response-schemas.js';
import { formatTimestamp } from './timestamps.js';

const parseIso = (value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
};

/** Percentage of the way from `from` to now that the watermark has covered, one decimal, 0–100. */
export function backfillProgress(fromMs: number, watermarkMs: number | undefined, nowMs: number): number {
  if (watermarkMs === undefined || watermarkMs <= fromMs) return 0;
  if (nowMs <= fromMs) return 100;
  const percent = ((watermarkMs - fromMs) / (nowMs - fromMs)) * 100;
  return Math.min(100, Math.max(0, Math.round(percent * 10) / 10));
}

const rangeOf = (range: RecordedRange) => ({
  start: range.start,
  end: range.end,
  recordedAt: range.recordedAt,
  reason: range.reason,
});

/** What the registry says about a source (fleet mode), shown beside its cursor. */
export interface RegistryFacts {
  enabled: boolean;
  scheduleMinutes?: number | undefined;
}

/** The fields of `facts`, or none (the environment's sources have no registry item). */
const registryFields = (facts: RegistryFacts | undefined) =>
  facts === undefined
    ? {}
    : {
        enabled: facts.enabled,
        ...(facts.scheduleMinutes === undefined ? {} : { scheduleMinutes: facts.scheduleMinutes }),
      };

/**
 * The status of one source; `state` null means the collector never ran for it. `facts` (fleet
 * mode) adds `enabled` and `scheduleMinutes` from the registry.
 */
export function describeSource(
  sourceId: string,
  state: CursorState | null,
  nowMs: number,
  facts?: RegistryFacts,
): SourceStatus {
  if (state === null) {
    return {
      source: sourceId,
      ...registryFields(facts),
      state: 'never_run',
      notConfiguredSince: null,
      running: false,
      watermark: null,
      lagSeconds: null,
      pending: null,
      backfill: null,
      lastRunAt: null,
      lastSuccessAt: null,
      lastError: null,
      gaps: [],
      gapTotals: { count: 0, seconds: 0 },
      unreadable: [],
      unreadableTotals: { count: 0, seconds: 0 },
      rescans: { windowsAwaiting: 0, oldestAwaiting: null, completed: 0, skipped: 0 },
      lateEvents: { total: 0, maxDelaySeconds: null, lastFoundAt: null },
      totals: {
        eventsWritten: 0,
        windowsCommitted: 0,
        objectsWritten: 0,
        malformedEvents: 0,
        windowSplits: 0,
      },
      updatedAt: null,
    };
  }
  const watermarkMs = parseIso(state.watermark);
  const fromMs = parseIso(state.backfillFrom);
  const lastSuccessMs = parseIso(state.lastSuccessAt);
  const lastErrorMs = parseIso(state.lastError?.at);
  const failing = lastErrorMs !== undefined && (lastSuccessMs === undefined || lastErrorMs > lastSuccessMs);
  // Every run records how it stopped: the latest one says whether the secret is still empty.
  const notConfigured = state.lastStop?.reason === 'not_configured';
  const leaseExpiry = parseIso(state.lease?.expiresAt);
  const oldest = state.rescan[0];
  return {
    source: sourceId,
    ...registryFields(facts),
    state: notConfigured ? 'not_configured' : failing ? 'failing' : 'ok',
    notConfiguredSince: notConfigured ? (state.notConfiguredSince ?? state.lastStop?.at ?? null) : null,
    running: leaseExpiry !== undefined && leaseExpiry > nowMs,
    watermark: state.watermark ?? null,
    lagSeconds: watermarkMs === undefined ? null : Math.max(0, Math.floor((nowMs - watermarkMs) / 1000)),
    pending: state.pending
      ? { start: state.pending.start, end: state.pending.end, plannedAt: state.pending.plannedAt }
      : null,
    backfill:
      fromMs === undefined
        ? null
        : { from: formatTimestamp(fromMs), progressPercent: backfillProgress(fromMs, watermarkMs, nowMs) },
    lastRunAt: state.lastRunAt ?? null,
    lastSuccessAt: state.lastSuccessAt ?? null,
    lastError: state.lastError
      ? { at: state.lastError.at, kind: state.lastError.kind, message: state.lastError.message }
      : null,
    gaps: state.gaps.map(rangeOf),
    gapTotals: { count: state.gapTotals.count, seconds: state.gapTotals.seconds },
    unreadable: state.unreadable.map(rangeOf),
    unreadableTotals: { count: state.unreadableTotals.count, seconds: state.unreadableTotals.seconds },
    rescans: {
      windowsAwaiting: state.rescan.length,
      oldestAwaiting: oldest === undefined ? null : formatTimestamp(oldest.start * 1000),
      completed: state.totals.rescans,
      skipped: state.totals.rescansSkipped,
    },
    lateEvents: {
      total: state.totals.lateEvents,
      maxDelaySeconds: state.lateMaxDelaySeconds === undefined ? null : Math.round(state.lateMaxDelaySeconds),
      lastFoundAt: state.lastLateAt ?? null,
    },
    totals: {
      eventsWritten: state.totals.eventsWritten,
      windowsCommitted: state.totals.windowsCommitted,
      objectsWritten: state.totals.objectsWritten,
      malformedEvents: state.totals.malformedEvents,
      windowSplits: state.totals.windowSplits,
    },
    updatedAt: state.updatedAt ?? null,
  };
}
