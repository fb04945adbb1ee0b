/**
 * What one run's steps share: the dependencies, the cursor state as last saved, the run's
 * counters, its view of the clocks, and the deadline bookkeeping. The window steps (new
 * history) and the rescan steps (late events in committed history) both work through it, so
 * every cursor write goes through one guarded `save`.
 */
import type { MimecastClient } from '#core/mimecast/types.js';
import type { Clock, CursorChanges, CursorState, CursorStore, ObjectStore } from '#core/ports.js';
import { toIsoSeconds } from '#core/time.js';
import { type DrainOutcome, drainSearch, type PageSink } from './drain.js';
import { type ClockView, effectiveFloor, horizonNow } from './plan.js';
import { WindowSearch } from './read-ahead.js';
import type { SyncSettings } from './settings.js';
import type { SyncLogger, SyncMetrics } from './telemetry.js';

/** Which kind of step was running, to name failures that are not Mimecast's. */
export type Phase = 'credentials' | 'cursor' | 'fetch' | 'storage';

/** The invocation's time budget (Lambda: `context.getRemainingTimeInMillis`). */
export interface SyncBudget {
  remainingMs(): number;
}

/** Everything the engine talks to. */
export interface SyncDeps {
  /**
   * The Mimecast client, or a function that provides it once the lease is held (the handler
   * reads the secret lazily, so a malformed or unreadable secret is recorded on the cursor).
   */
  client: MimecastClient | (() => Promise<MimecastClient>);
  objects: ObjectStore;
  cursor: CursorStore;
  clock: Clock;
  log: SyncLogger;
  metrics: SyncMetrics;
  /** Unique per invocation: the lease owner. */
  owner: string;
}

/** Counters of one run (the summary and the metrics are made from them). */
export interface RunStats {
  windows: number;
  events: number;
  objects: number;
  pages: number;
  malformed: number;
  /** Copies of an id with different content, quarantined (windows and rescans). */
  conflicts: number;
  /** Gap reports that added seconds, and the seconds they added. */
  gapReports: number;
  gapSeconds: number;
  unreadableSeconds: number;
  rescans: number;
  lateEvents: number;
  lateMaxDelaySeconds: number;
  /** Late events found by rescans at the largest age (the last chance). */
  lateAtLastRescan: number;
  rescansSkipped: number;
  splits: number;
}

/** A drain in progress, so an interrupted window can leave what it saw on the cursor. */
export interface DrainTracker {
  kind: 'window' | 'rescan';
  /** The pending window being drained (window drains only). */
  pending?: { start: string; end: string } | undefined;
  startedAt: number;
  pages: number;
  events: number;
  oldestMs: number | undefined;
}

/** A window never takes more than this share of the time left when it starts (unless it is one second long). */
export const WINDOW_TIME_SHARE = 0.5;

/** The shared state of one run. */
export class RunContext {
  phase: Phase = 'cursor';
  /** The client's deadline while fetching (for telling "out of time" from "out of attempts"). */
  deadline = Number.POSITIVE_INFINITY;
  /** Added to the history floor after Mimecast rejected a search at the floor as too old. */
  floorAdjustMs = 0;
  drain: DrainTracker | undefined;
  /** Pages read and the time they took in this run (sizes rescan batches to the time left). */
  private readonly paging = { pages: 0, ms: 0 };
  readonly stats: RunStats = {
    windows: 0,
    events: 0,
    objects: 0,
    pages: 0,
    malformed: 0,
    conflicts: 0,
    gapReports: 0,
    gapSeconds: 0,
    unreadableSeconds: 0,
    rescans: 0,
    lateEvents: 0,
    lateMaxDelaySeconds: 0,
    lateAtLastRescan: 0,
    rescansSkipped: 0,
    splits: 0,
  };

  constructor(
    readonly deps: SyncDeps,
    readonly settings: SyncSettings,
    readonly budget: SyncBudget,
    public state: CursorState,
    readonly client: MimecastClient,
  ) {}

  /** Our clock, now. */
  now(): number {
    return this.deps.clock.now();
  }

  /** Now as ISO seconds. */
  nowIso(): string {
    return toIsoSeconds(new Date(this.now()));
  }

  /** Mimecast's clock minus ours: the client's live estimate, else the one saved on the cursor, else 0. */
  clockOffsetMs(): number {
    const live = this.client.serverClockOffsetMs();
    if (live !== undefined && Number.isFinite(live)) return live;
    return this.state.clockOffsetMs ?? 0;
  }

  /** The clock view plans are made with. */
  clockView(): ClockView {
    return { offsetMs: this.clockOffsetMs(), floorAdjustMs: this.floorAdjustMs };
  }

  /** Now by the earlier of the two clocks, in whole epoch seconds (ages and search times). */
  conservativeNowSec(): number {
    return Math.floor(horizonNow(this.now(), this.clockView()) / 1000);
  }

  /** Mimecast's history floor now, in epoch seconds. */
  floorSec(): number {
    return Math.ceil(effectiveFloor(this.now(), this.clockView()) / 1000);
  }

  /** The client's deadline for the rest of this invocation. */
  fetchDeadline(): number {
    return this.now() + this.budget.remainingMs() - this.settings.SAFETY_MARGIN_MS;
  }

  /** The deadline of one window's share of the time left (it may use all of it when it cannot be split). */
  shareDeadline(splittable: boolean): number | undefined {
    if (!splittable) return undefined;
    const left = this.budget.remainingMs() - this.settings.SAFETY_MARGIN_MS;
    return this.now() + Math.max(0, left) * WINDOW_TIME_SHARE;
  }

  /** Notes a finished or stopped drain's pages and time. */
  notePaging(pages: number, ms: number): void {
    this.paging.pages += pages;
    this.paging.ms += Math.max(0, ms);
  }

  /** Average time of one page in this run so far; `undefined` before the first page. */
  msPerPage(): number | undefined {
    return this.paging.pages === 0 ? undefined : this.paging.ms / this.paging.pages;
  }

  /** Starts a search of `[startMs, endMs]` with the run's page size, up to the run's deadline. */
  search(startMs: number, endMs: number): WindowSearch {
    this.phase = 'fetch';
    this.deadline = this.fetchDeadline();
    return new WindowSearch(this.client, startMs, endMs, this.settings.PAGE_SIZE, this.deadline, this.now());
  }

  /**
   * Drains `search` into `sink` as the run's current drain: pages counted, time noted, and (when
   * `splittable`) stopped at its share of the time left. On a throw `drain` is left set, so the
   * engine can note on a pending window what the interrupted attempt saw; callers that handle the
   * error themselves clear it.
   */
  async drainInto(
    search: WindowSearch,
    sink: PageSink,
    what: { kind: DrainTracker['kind']; pending?: { start: string; end: string }; splittable: boolean },
  ): Promise<{ outcome: DrainOutcome; elapsedMs: number }> {
    this.phase = 'fetch';
    const tracker: DrainTracker = {
      kind: what.kind,
      pending: what.pending,
      startedAt: this.now(),
      pages: 0,
      events: 0,
      oldestMs: undefined,
    };
    this.drain = tracker;
    const outcome = await drainSearch(search, sink, {
      clock: this.deps.clock,
      shareDeadline: this.shareDeadline(what.splittable),
      tracker,
      onPage: () => {
        this.stats.pages += 1;
      },
      onEnd: (pages, ms) => this.notePaging(pages, ms),
    });
    this.drain = undefined;
    return { outcome, elapsedMs: this.now() - tracker.startedAt };
  }

  /** Guarded write of `changes`; the new state becomes the run's state. */
  async save(changes: CursorChanges): Promise<CursorState> {
    this.phase = 'cursor';
    this.state = await this.deps.cursor.save(this.state, this.deps.owner, changes, this.nowIso());
    return this.state;
  }
}
