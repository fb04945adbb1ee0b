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
  /** The watermark at the end of the run (every earlier event is in S3); null before the first commit. */
  watermark: string | null;
  /** now − watermark in whole seconds; null before the first commit. */
  lagSeconds: number | null;
  stopReason: StopReason;
  /** Share of the first backfill done, 0–100. */
  backfillPercent: number;
  /** Gaps (ranges lost to Mimecast's 60-day limit) recorded by this run. */
  gapsRecorded: number;
  /** Kind of the error when `stopReason` is `error`. */
  errorKind?: string | undefined;
}
