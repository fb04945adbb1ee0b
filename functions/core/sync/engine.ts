/**
 * The exactly-once sync engine (docs/operate.md, "The exactly-once guarantee"). One run:
 *   lease → steps until caught up or out of time → release the lease,
 * where a step is either a WINDOW step (new history: plan or redo the pending window, drain,
 * write one object per UTC date, commit; split when too dense, too slow, interrupted or
 * unreadable: window-steps.ts) or a RESCAN step (committed history searched again for events
 * Mimecast indexed late, merged into the same objects: rescan-steps.ts).
 *
 * The two kinds share the run's time: the next step is of the kind that has used less of it
 * so far in this run (new windows first when tied), so a backlog of either cannot starve the
 * other. Object keys depend only on a window's bounds, so a crash anywhere leaves either the
 * old state or a pending window whose redo overwrites (or, split, first removes) exactly what
 * the crashed attempt wrote; a merge is a union by id, so a repeated merge changes nothing.
 */
import {
  AuthenticationError,
  BindingExpiredError,
  isMimecastError,
  RateLimitedError,
  RetryableError,
} from '#core/mimecast/errors.js';
import { SecretNotConfiguredError } from '#core/mimecast/secret.js';
import { CollectorMetric } from '#core/observability.js';
import { CursorConflictError, type CursorState } from '#core/ports.js';
import { toIsoSeconds } from '#core/time.js';
import { backfillPercent } from './plan.js';
import { RescanSteps } from './rescan-steps.js';
import { RunContext, type SyncBudget, type SyncDeps, WINDOW_TIME_SHARE } from './run-context.js';
import type { SyncSettings } from './settings.js';
import type { RunSummary, StopReason } from './summary.js';
import { WindowSteps } from './window-steps.js';

export type { SyncBudget, SyncDeps } from './run-context.js';

/** The lease outlives the invocation's remaining time by this much (a crashed run blocks the next one at most this long). */
export const LEASE_GRACE_MS = 60_000;
/** A step is not started unless at least this much time is left beyond the safety margin. */
export const MIN_WINDOW_BUDGET_MS = 5_000;
/**
 * A retryable failure that escapes the client this close to the deadline means the client ran
 * out of time, not out of attempts: the run stops cleanly and the next one redoes the window.
 */
export const DEADLINE_SLACK_MS = 30_000;
/** Error messages recorded on the cursor and thrown are cut to this length. */
const MAX_MESSAGE_CHARS = 500;

/** A run that failed. `summary` says what it did before; the cursor's watermark and pending are untouched. */
export class SyncRunError extends Error {
  /**
   * `configuration`, `authentication`, `binding_expired`, `retryable`, `fatal` (Mimecast), or
   * `credentials` (the secret could not be read), `cursor`, `storage`, `internal`.
   */
  readonly kind: string;
  readonly summary: RunSummary;

  constructor(kind: string, message: string, summary: RunSummary, cause: unknown) {
    super(message, { cause });
    this.name = 'SyncRunError';
    this.kind = kind;
    this.summary = summary;
  }
}

/** Runs the sync loop once; resolves with the run's summary, rejects with SyncRunError on failure. */
export async function runSync(
  deps: SyncDeps,
  settings: SyncSettings,
  budget: SyncBudget,
): Promise<RunSummary> {
  return new SyncRun(deps, settings, budget).execute();
}

interface Failure {
  kind: string;
  message: string;
  cause: unknown;
}

type StepKind = 'window' | 'rescan';

class SyncRun {
  private state: CursorState | null = null;
  private ctx: RunContext | undefined;
  private phase: 'credentials' | 'cursor' = 'cursor';

  constructor(
    private readonly deps: SyncDeps,
    private readonly settings: SyncSettings,
    private readonly budget: SyncBudget,
  ) {}

  async execute(): Promise<RunSummary> {
    const { clock, cursor, owner, log } = this.deps;
    const sourceId = this.settings.SOURCE_ID;
    let holdsLease = false;
    let stop: StopReason | undefined;
    let failure: Failure | undefined;

    try {
      const now = clock.now();
      const expiresAt = now + Math.max(0, this.budget.remainingMs()) + LEASE_GRACE_MS;
      const acquired = await cursor.acquireLease(sourceId, owner, new Date(now), new Date(expiresAt));
      if (acquired === null) {
        log.info('Another run holds the lease; this run steps aside', { source: sourceId });
        this.state = await cursor.get(sourceId).catch(() => null);
        return this.summary('lease_held');
      }
      holdsLease = true;
      this.state = acquired;
      this.phase = 'credentials';
      const client = typeof this.deps.client === 'function' ? await this.deps.client() : this.deps.client;
      this.ctx = new RunContext(this.deps, this.settings, this.budget, acquired, client);
      stop = await this.loop(this.ctx);
    } catch (err: unknown) {
      const outcome = this.classify(err);
      if ('stop' in outcome) stop = outcome.stop;
      else failure = outcome.failure;
    }

    if (holdsLease) await this.noteInterruptedDrain();
    if (holdsLease && stop === 'not_configured') await this.noteNotConfigured();
    if (failure && holdsLease) await this.recordError(failure);
    if (holdsLease) await this.releaseLease(stop ?? 'error');
    this.emitMetrics(stop, failure);
    const summary = this.summary(stop ?? 'error', failure?.kind);
    if (failure) {
      throw new SyncRunError(
        failure.kind,
        `Collector run failed (${failure.kind}): ${failure.message}`,
        summary,
        failure.cause,
      );
    }
    return summary;
  }

  /** Steps until caught up or out of time (or an error is thrown). */
  private async loop(ctx: RunContext): Promise<StopReason> {
    const windows = new WindowSteps(ctx);
    const rescans = new RescanSteps(ctx);
    const spent: Record<StepKind, number> = { window: 0, rescan: 0 };
    let lastStepMs = MIN_WINDOW_BUDGET_MS;
    try {
      for (;;) {
        const remaining = this.budget.remainingMs();
        if (!this.timeForAnotherStep(remaining, lastStepMs)) {
          this.deps.log.info('Stopping: not enough time left for another window', { remainingMs: remaining });
          return 'time_budget';
        }
        const order: StepKind[] = spent.rescan < spent.window ? ['rescan', 'window'] : ['window', 'rescan'];
        let progressed = false;
        for (const kind of order) {
          const before = this.budget.remainingMs();
          const result =
            kind === 'window'
              ? await windows.step(
                  () =>
                    // Read ahead only when the next step is certain to be a window as well.
                    !rescans.hasWork() && this.timeForAnotherStep(this.budget.remainingMs(), lastStepMs),
                )
              : await rescans.step();
          if (result === 'progress') {
            lastStepMs = Math.max(0, before - this.budget.remainingMs());
            spent[kind] += lastStepMs;
            progressed = true;
            break;
          }
        }
        this.state = ctx.state;
        if (!progressed) return 'caught_up';
      }
    } finally {
      // Stopped (caught up, out of time, or failed) with a search still running: nobody reads it.
      windows.cancelReadAhead();
      this.state = ctx.state;
    }
  }

  /**
   * Whether the remaining time allows one more step like the last one, plus the safety margin. A
   * step that can be split stops at its share of the time left (WINDOW_TIME_SHARE), so the next
   * one is expected to take at most that share, however long the last one took.
   */
  private timeForAnotherStep(remainingMs: number, lastStepMs: number): boolean {
    const left = remainingMs - this.settings.SAFETY_MARGIN_MS;
    const expected = Math.min(lastStepMs, left * WINDOW_TIME_SHARE);
    return left - Math.max(expected, MIN_WINDOW_BUDGET_MS) >= 0;
  }

  /**
   * A pending window's drain that was stopped (throttled, out of time, failed) leaves what it
   * saw on the pending window, so the next run can size a split. Best effort: the cursor may be
   * what failed.
   */
  private async noteInterruptedDrain(): Promise<void> {
    const ctx = this.ctx;
    const drain = ctx?.drain;
    if (!ctx || drain?.kind !== 'window' || !drain.pending || ctx.phase !== 'fetch') return;
    const pending = ctx.state.pending;
    if (!pending || pending.start !== drain.pending.start || pending.end !== drain.pending.end) return;
    try {
      await ctx.save({
        pending: {
          ...pending,
          progress: {
            pages: drain.pages,
            events: drain.events,
            oldestMs: drain.oldestMs,
            elapsedMs: Math.max(0, ctx.now() - drain.startedAt),
          },
        },
      });
      this.state = ctx.state;
    } catch (err: unknown) {
      this.deps.log.warn('Could not note the interrupted window on the cursor', { detail: describe(err) });
    }
  }

  /** Remembers since when the secret has been empty (the not-configured alarm watches how long). */
  private async noteNotConfigured(): Promise<void> {
    const state = this.state;
    if (!state || state.notConfiguredSince !== undefined) return;
    const { cursor, owner, clock, log } = this.deps;
    const at = toIsoSeconds(new Date(clock.now()));
    try {
      this.state = await cursor.save(state, owner, { notConfiguredSince: at }, at);
    } catch (err: unknown) {
      log.warn('Could not note on the cursor that the source is not configured', { detail: describe(err) });
    }
  }

  /** A clean stop, or a failure to record and rethrow. */
  private classify(err: unknown): { stop: StopReason } | { failure: Failure } {
    const { log, clock } = this.deps;
    if (err instanceof RateLimitedError) {
      log.warn('Stopping: Mimecast asked for a longer wait than the time left; the next run continues', {
        retryAfterMs: err.retryAfterMs,
      });
      return { stop: 'throttled' };
    }
    if (err instanceof SecretNotConfiguredError) {
      log.info(
        'Stopping: the Mimecast secret holds no credentials yet; put them in and the next run starts',
        {
          detail: err.message,
        },
      );
      return { stop: 'not_configured' };
    }
    if (err instanceof CursorConflictError) {
      log.warn('Stopping: the cursor was moved by someone else (lost lease or concurrent run)', {
        detail: err.message,
      });
      return { stop: 'conflict' };
    }
    const deadline = this.ctx?.deadline ?? Number.POSITIVE_INFINITY;
    if (err instanceof RetryableError && deadline - clock.now() < DEADLINE_SLACK_MS) {
      log.warn('Stopping: Mimecast did not answer in the time left; the next run redoes the window', {
        reason: err.reason,
        detail: err.message,
      });
      return { stop: 'time_budget' };
    }
    if (isMimecastError(err))
      return { failure: { kind: err.kind, message: bounded(err.message), cause: err } };
    const phase = this.ctx?.phase ?? this.phase;
    const kind = phase === 'fetch' ? 'internal' : phase;
    const text = err instanceof Error ? `${err.name}: ${err.message}` : 'non-error value thrown';
    return { failure: { kind, message: bounded(text), cause: err } };
  }

  private async recordError(failure: Failure): Promise<void> {
    const { cursor, clock, owner, log } = this.deps;
    const at = toIsoSeconds(new Date(clock.now()));
    log.error('Collector run failed', { kind: failure.kind, detail: failure.message });
    try {
      await cursor.recordError(this.settings.SOURCE_ID, owner, {
        at,
        kind: failure.kind,
        message: failure.message,
      });
    } catch (err: unknown) {
      log.warn('Could not record the error on the cursor', { detail: describe(err) });
    }
  }

  private async releaseLease(stopReason: StopReason): Promise<void> {
    const { cursor, clock, owner, log } = this.deps;
    try {
      await cursor.releaseLease(
        this.settings.SOURCE_ID,
        owner,
        toIsoSeconds(new Date(clock.now())),
        stopReason,
      );
    } catch (err: unknown) {
      // The lease expires on its own; the next run only waits for it.
      log.warn('Could not release the lease', { detail: describe(err) });
    }
  }

  private emitMetrics(stop: StopReason | undefined, failure: Failure | undefined): void {
    const { metrics } = this.deps;
    const stats = this.ctx?.stats;
    metrics.count(CollectorMetric.EventsWritten, stats?.events ?? 0);
    metrics.count(CollectorMetric.PagesFetched, stats?.pages ?? 0);
    metrics.count(CollectorMetric.WindowsCommitted, stats?.windows ?? 0);
    metrics.count(CollectorMetric.MalformedEvents, stats?.malformed ?? 0);
    metrics.count(CollectorMetric.ConflictingCopies, stats?.conflicts ?? 0);
    metrics.count(CollectorMetric.LateEvents, stats?.lateEvents ?? 0);
    metrics.count(CollectorMetric.LateEventsAtLastRescan, stats?.lateAtLastRescan ?? 0);
    metrics.count(CollectorMetric.Rescans, stats?.rescans ?? 0);
    metrics.count(CollectorMetric.RescansSkipped, stats?.rescansSkipped ?? 0);
    metrics.count(CollectorMetric.WindowSplits, stats?.splits ?? 0);
    if (stats && stats.lateEvents > 0) {
      metrics.gauge(CollectorMetric.LateEventMaxDelaySeconds, stats.lateMaxDelaySeconds, 'Seconds');
    }
    // Only newly lost seconds: a loss reported again by a later run is not counted again.
    if (stats && stats.gapSeconds > 0) metrics.gauge(CollectorMetric.GapSeconds, stats.gapSeconds, 'Seconds');
    if (stats && stats.unreadableSeconds > 0) {
      metrics.gauge(CollectorMetric.UnreadableSeconds, stats.unreadableSeconds, 'Seconds');
    }
    const lag = this.lagSeconds();
    if (lag !== null) metrics.gauge(CollectorMetric.LagSeconds, lag, 'Seconds');
    if (stop === 'throttled') metrics.count(CollectorMetric.ThrottledStops, 1);
    if (stop === 'not_configured') {
      metrics.count(CollectorMetric.NotConfigured, 1);
      const since = Date.parse(this.state?.notConfiguredSince ?? '');
      const seconds = Number.isFinite(since)
        ? Math.max(0, Math.round((this.deps.clock.now() - since) / 1000))
        : 0;
      metrics.gauge(CollectorMetric.NotConfiguredSeconds, seconds, 'Seconds');
    }
    if (failure) {
      metrics.count(CollectorMetric.RunFailures, 1);
      metrics.failure(failure.kind);
      if (failure.cause instanceof AuthenticationError) metrics.count(CollectorMetric.AuthFailures, 1);
      if (failure.cause instanceof BindingExpiredError) metrics.count(CollectorMetric.BindingExpired, 1);
      // The secret itself is the problem: unreadable, or present but malformed.
      if (failure.kind === 'credentials' || failure.kind === 'configuration') {
        metrics.count(CollectorMetric.SecretFailures, 1);
      }
    }
  }

  private lagSeconds(): number | null {
    const watermark = this.state?.watermark;
    if (watermark === undefined) return null;
    const ms = Date.parse(watermark);
    if (!Number.isFinite(ms)) return null;
    return Math.max(0, Math.round((this.deps.clock.now() - ms) / 1000));
  }

  private summary(stopReason: StopReason, errorKind?: string): RunSummary {
    const state = this.state;
    const stats = this.ctx?.stats;
    return {
      windows: stats?.windows ?? 0,
      events: stats?.events ?? 0,
      objects: stats?.objects ?? 0,
      pages: stats?.pages ?? 0,
      malformed: stats?.malformed ?? 0,
      conflictingCopies: stats?.conflicts ?? 0,
      watermark: state?.watermark ?? null,
      lagSeconds: this.lagSeconds(),
      stopReason,
      backfillPercent: state
        ? backfillPercent(state, this.deps.clock.now(), this.settings.SETTLE_SECONDS)
        : 0,
      gapsRecorded: stats?.gapReports ?? 0,
      gapSeconds: stats?.gapSeconds ?? 0,
      rescans: stats?.rescans ?? 0,
      lateEvents: stats?.lateEvents ?? 0,
      lateMaxDelaySeconds: stats && stats.lateEvents > 0 ? stats.lateMaxDelaySeconds : null,
      lateEventsAtLastRescan: stats?.lateAtLastRescan ?? 0,
      rescansSkipped: stats?.rescansSkipped ?? 0,
      windowSplits: stats?.splits ?? 0,
      unreadableSeconds: stats?.unreadableSeconds ?? 0,
      ...(errorKind === undefined ? {} : { errorKind }),
    };
  }
}

function bounded(text: string): string {
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS - 1)}…` : text;
}

function describe(err: unknown): string {
  return bounded(err instanceof Error ? `${err.name}: ${err.message}` : 'non-error value thrown');
}
