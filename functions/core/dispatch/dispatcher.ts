/**
 * The dispatcher (issue 15, fleet mode): once a minute it reads the source registry, picks the
 * sources whose slot has started and that have not run in it yet (slots.ts), records each
 * dispatch with a conditional write (of two overlapping dispatchers only one wins a source's
 * slot) and then starts that source's collector run. At most `concurrency` sources are in hand
 * at once; one source's failure (the record or the invoke) is logged and metered and never
 * stops or delays the others. Sources whose slot started longest ago go first.
 *
 * A failed invoke is not retried within the slot: the dispatch is already recorded, and the
 * source's next slot starts a run that resumes from its cursor, so nothing is lost, only late.
 */
import { DispatcherMetric, type DispatcherMetricName } from '#core/observability.js';
import type { Clock } from '#core/ports.js';
import { SourceNotFoundError, type SourceRegistry } from '#core/registry/source-config.js';
import { dueSlotStart } from './slots.js';

/** Starts one source's collector run (asynchronously: it resolves once the run is accepted). */
export interface CollectorInvoker {
  invoke(sourceId: string): Promise<void>;
}

/** Logging (Powertools Logger fits). */
export interface DispatchLog {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

/** Metrics: `sourceId` present means the `Source` dimension (DispatchFailures), absent a fleet total. */
export interface DispatchMetrics {
  count(name: DispatcherMetricName, value: number, sourceId?: string): void;
}

/** Everything a run needs. */
export interface DispatcherDeps {
  /** Only listing and the conditional record are used (the dispatcher's role needs nothing else). */
  registry: Pick<SourceRegistry, 'list' | 'markDispatched'>;
  invoker: CollectorInvoker;
  clock: Clock;
  log: DispatchLog;
  metrics: DispatchMetrics;
}

/** Tuning. */
export interface DispatchSettings {
  /** At most this many sources being recorded and invoked at once (≥ 1). */
  concurrency: number;
  /** No new source is started when less than this much time remains (default 0). */
  safetyMarginMs?: number | undefined;
}

/** The invocation's time. */
export interface DispatchBudget {
  remainingMs(): number;
}

/** One source that was due and could not be dispatched. */
export interface DispatchFailure {
  sourceId: string;
  /** `record`: markDispatched failed (no run started); `invoke`: recorded, but the invoke failed. */
  stage: 'record' | 'invoke';
  error: string;
}

/** What a run did. */
export interface DispatchSummary {
  /** Registry items read. */
  sources: number;
  /** Disabled sources (never dispatched). */
  disabled: number;
  /** Enabled sources due in this tick. */
  due: number;
  /** Due sources recorded and invoked by this run. */
  dispatched: number;
  /** Due sources another dispatcher recorded first (markDispatched answered false). */
  alreadyDispatched: number;
  /** Due sources whose record or invoke failed. */
  failed: number;
  /** Due sources this run left alone: out of time, or removed from the registry meanwhile. */
  skipped: number;
  /** Reading the registry, ms. */
  listMs: number;
  /** The whole run, ms. */
  durationMs: number;
  /** The failures, in dispatch order. */
  failures: DispatchFailure[];
}

interface DueSource {
  sourceId: string;
  slotStart: number;
}

/** `Name: message` of an error, never its stack or any request data. */
function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/**
 * Runs `work` over `items` in order with at most `concurrency` in flight. `work` reports its
 * own failures; a throw from it is a bug, contained here so the other workers carry on.
 */
async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
  onBug: (item: T, err: unknown) => void,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      try {
        await work(item);
      } catch (err: unknown) {
        onBug(item, err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/** One dispatcher run (one tick). Throws only when the registry cannot be read. */
export async function runDispatch(
  deps: DispatcherDeps,
  settings: DispatchSettings,
  budget: DispatchBudget,
): Promise<DispatchSummary> {
  const { registry, invoker, clock, log, metrics } = deps;
  if (!Number.isInteger(settings.concurrency) || settings.concurrency < 1) {
    throw new RangeError(`concurrency must be a positive whole number, got ${settings.concurrency}`);
  }
  const margin = settings.safetyMarginMs ?? 0;
  // Durations are wall time; "now" (slots, records) is the injected clock's.
  const wallStart = performance.now();
  const started = clock.now();
  const sources = await registry.list();
  const listMs = Math.round(performance.now() - wallStart);
  // One "now" for the whole tick: every slot is judged, and every dispatch recorded, at it.
  // (Recording a later instant could reach into a 1-minute source's next slot and skip it.)
  const atIso = new Date(started).toISOString();

  const due: DueSource[] = [];
  let disabled = 0;
  for (const source of sources) {
    if (!source.enabled) {
      disabled += 1;
      continue;
    }
    const slot = dueSlotStart(source, started);
    if (slot !== undefined) due.push({ sourceId: source.sourceId, slotStart: slot });
  }
  // Fairness: the longest-waiting slot first; ties by id, so the order is stable.
  due.sort(
    (a, b) => a.slotStart - b.slotStart || (a.sourceId < b.sourceId ? -1 : a.sourceId > b.sourceId ? 1 : 0),
  );

  const summary: DispatchSummary = {
    sources: sources.length,
    disabled,
    due: due.length,
    dispatched: 0,
    alreadyDispatched: 0,
    failed: 0,
    skipped: 0,
    listMs,
    durationMs: 0,
    failures: [],
  };
  metrics.count(DispatcherMetric.SourcesDue, due.length);

  const fail = (sourceId: string, stage: DispatchFailure['stage'], err: unknown): void => {
    const error = describe(err);
    summary.failed += 1;
    summary.failures.push({ sourceId, stage, error });
    metrics.count(DispatcherMetric.DispatchFailures, 1, sourceId);
    log.error('Dispatch failed', { sourceId, stage, error });
  };

  let outOfTime = false;
  await runPool(
    due,
    settings.concurrency,
    async ({ sourceId, slotStart }) => {
      if (outOfTime || budget.remainingMs() < margin) {
        outOfTime = true;
        summary.skipped += 1;
        return;
      }
      let recorded: boolean;
      try {
        recorded = await registry.markDispatched(sourceId, atIso, new Date(slotStart).toISOString());
      } catch (err: unknown) {
        if (err instanceof SourceNotFoundError) {
          summary.skipped += 1;
          log.info('Source removed before it was dispatched', { sourceId });
          return;
        }
        fail(sourceId, 'record', err);
        return;
      }
      if (!recorded) {
        summary.alreadyDispatched += 1;
        return;
      }
      try {
        await invoker.invoke(sourceId);
        summary.dispatched += 1;
      } catch (err: unknown) {
        fail(sourceId, 'invoke', err);
      }
    },
    (item, err) => fail(item.sourceId, 'invoke', err),
  );

  if (outOfTime)
    log.warn('Dispatch stopped early: the invocation is running out of time', { skipped: summary.skipped });
  metrics.count(DispatcherMetric.SourcesDispatched, summary.dispatched);
  summary.durationMs = Math.round(performance.now() - wallStart);
  return summary;
}
