/** The outcome of one run, as the handler logs it in one line and `npm start` prints it. */

/** Why a run ended. Only `error` is a failure; the others end the invocation successfully. */
export type StopReason =
  /** Nothing settled is left to collect. */
  | 'caught_up'
  /** Not enough invocation time left for another window; the next run continues. */
  | 'time_budget'
  /** Mimecast's rate limit asked for a wait longer than the time left; the next run continues. */
  | 'throttled'
  /** Another live run holds the lease. */
  | 'lease_held'
  /** Someone else moved the cursor (lost lease or concurrent writer); this run stepped aside. */
  | 'conflict'
  /** The source's secret holds no credentials yet (no value, empty, or `{}`): nothing to do until it does. */
  | 'not_configured'
  /** The run failed; see the error. */
  | 'error';

/** One run's outcome. */
export interface RunSummary {
  /** Windows committed by this run. */
  windows: number;
  /** Records written by this run. */
  events: number;
  /** Archive objects written by this run (quarantine objects not included). */
  objects: number;
  /** `get-audit-events` pages fetched by this run. */
  pages: number;
  /** Malformed events quarantined by this run. */
  malformed: number;
  /** Copies of an already kept or archived id with different content, quarantined by this run (the first copy stays the record). */
  conflictingCopies: number;
  /** The watermark at the end of the run (every earlier event is in S3); null before the first commit. */
  watermark: string | null;
  /** now − watermark in whole seconds; null before the first commit. */
  lagSeconds: number | null;
  stopReason: StopReason;
  /** Share of the first backfill done, 0–100. */
  backfillPercent: number;
  /** Gap reports (ranges lost to Mimecast's 60-day limit) that added lost seconds in this run. */
  gapsRecorded: number;
  /** Seconds of history newly recorded as lost by this run (each second counted once, ever). */
  gapSeconds: number;
  /** Rescan searches completed by this run (RESCAN_AFTER_SECONDS). */
  rescans: number;
  /** Late-indexed events the rescans of this run found and merged. */
  lateEvents: number;
  /** The largest indexing delay among them (seconds they stayed invisible, at least); null when none. */
  lateMaxDelaySeconds: number | null;
  /**
   * Of them, those found only by the rescan at the largest age (the last one): events that late
   * suggest some arrive later still, beyond every rescan; consider a longer last age.
   */
  lateEventsAtLastRescan: number;
  /** Windows whose due rescan could not be made (out of Mimecast's history, or unreadable). */
  rescansSkipped: number;
  /** Pending windows this run replaced by smaller ones. */
  windowSplits: number;
  /** Seconds newly recorded as unreadable (Mimecast's paging failed however narrowly searched). */
  unreadableSeconds: number;
  /** Kind of the error when `stopReason` is `error`. */
  errorKind?: string | undefined;
}
