/** `GET /v1/status`: the collector's cursor of each source, turned into what an operator asks. */
import type { CursorState } from '#core/ports.js';
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

/** The status of one source; `state` null means the collector never ran for it. */
export function describeSource(sourceId: string, state: CursorState | null, nowMs: number): SourceStatus {
  if (state === null) {
    return {
      source: sourceId,
      state: 'never_run',
      running: false,
      watermark: null,
      lagSeconds: null,
      pending: null,
      backfill: null,
      lastRunAt: null,
      lastSuccessAt: null,
      lastError: null,
      gaps: [],
      totals: { eventsWritten: 0, windowsCommitted: 0, objectsWritten: 0, malformedEvents: 0 },
      updatedAt: null,
    };
  }
  const watermarkMs = parseIso(state.watermark);
  const fromMs = parseIso(state.backfillFrom);
  const lastSuccessMs = parseIso(state.lastSuccessAt);
  const lastErrorMs = parseIso(state.lastError?.at);
  const failing = lastErrorMs !== undefined && (lastSuccessMs === undefined || lastErrorMs > lastSuccessMs);
  const leaseExpiry = parseIso(state.lease?.expiresAt);
  return {
    source: sourceId,
    state: failing ? 'failing' : 'ok',
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
    gaps: state.gaps.map((gap) => ({
      start: gap.start,
      end: gap.end,
      recordedAt: gap.recordedAt,
      reason: gap.reason,
    })),
    totals: {
      eventsWritten: state.totals.eventsWritten,
      windowsCommitted: state.totals.windowsCommitted,
      objectsWritten: state.totals.objectsWritten,
      malformedEvents: state.totals.malformedEvents,
    },
    updatedAt: state.updatedAt ?? null,
  };
}
