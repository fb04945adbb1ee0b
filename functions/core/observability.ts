/**
 * Metric and dimension names, shared by the functions that emit them and the CDK stack that
 * alarms on them and draws them: one definition, so an alarm cannot watch a metric nobody emits.
 */

/** CloudWatch namespace of every custom metric (Powertools `POWERTOOLS_METRICS_NAMESPACE`). */
export const METRICS_NAMESPACE = 'MimecastAuditLake';

/** Dimension carrying the source id on every collector metric. */
export const SOURCE_DIMENSION = 'Source';

/** Collector metrics (all carry the `Source` dimension). */
export const CollectorMetric = {
  /** Events written to S3 (after filtering and deduplication). Count. */
  EventsWritten: 'EventsWritten',
  /** `get-audit-events` pages fetched. Count. */
  PagesFetched: 'PagesFetched',
  /** Windows committed (watermark advanced). Count. */
  WindowsCommitted: 'WindowsCommitted',
  /** now − watermark at the end of a run, in seconds: the data-freshness alarm watches it. */
  LagSeconds: 'LagSeconds',
  /** Waits taken because Mimecast answered 429. Count. */
  ThrottledWaits: 'ThrottledWaits',
  /** Runs that ended early because a 429 wait did not fit in the remaining time. Count. */
  ThrottledStops: 'ThrottledStops',
  /** Events without an id or with an unparseable eventTime (quarantined, not archived). Count. */
  MalformedEvents: 'MalformedEvents',
  /** Copies of an id with different content (the first stays the record; the others are quarantined). Count. */
  ConflictingCopies: 'ConflictingCopies',
  /** Seconds of history newly lost because they fell out of Mimecast's 60 days (each second once). */
  GapSeconds: 'GapSeconds',
  /** Seconds newly recorded as unreadable: Mimecast's paging failed on them however narrowly searched. */
  UnreadableSeconds: 'UnreadableSeconds',
  /** Late-indexed events found by rescans and merged into their windows. Count. */
  LateEvents: 'LateEvents',
  /** Late events found only by the rescan at the largest age: a sign that some arrive later still. Count. */
  LateEventsAtLastRescan: 'LateEventsAtLastRescan',
  /** The largest indexing delay among a run's late events (seconds, a lower bound). */
  LateEventMaxDelaySeconds: 'LateEventMaxDelaySeconds',
  /** Rescan searches completed. Count. */
  Rescans: 'Rescans',
  /** Windows whose due rescan could not be made (fell out of Mimecast's history, or unreadable). Count. */
  RescansSkipped: 'RescansSkipped',
  /** Pending windows split into smaller ones (too dense, too slow, interrupted, unreadable paging). Count. */
  WindowSplits: 'WindowSplits',
  /** Runs that found the source's secret holding no credentials yet (a clean stop). Count. */
  NotConfigured: 'NotConfigured',
  /** How long the source's secret has held no credentials, in seconds (one alarm watches every source's). */
  NotConfiguredSeconds: 'NotConfiguredSeconds',
  /** Runs that failed on the secret itself: unreadable, or present but malformed (needs a human). Count. */
  SecretFailures: 'SecretFailures',
  /** Authentication (401/403) failures: needs new credentials. Count. */
  AuthFailures: 'AuthFailures',
  /** API 1.0 binding expired (418): needs new keys. Count. */
  BindingExpired: 'BindingExpired',
  /** Any run that ended with an error, all kinds. Count. */
  RunFailures: 'RunFailures',
  /** The same failures with a `Kind` dimension as well (configuration, authentication, fatal, storage…). Count. */
  RunFailuresByKind: 'RunFailuresByKind',
} as const;

/** Dimension naming the kind of a failed run (on `RunFailuresByKind` only; alarms use `RunFailures`). */
export const KIND_DIMENSION = 'Kind';

/** Query API metrics (dimensions `Route` and `Status`). */
export const QueryMetric = {
  Requests: 'Requests',
  UpstreamLatency: 'UpstreamLatencyMs',
} as const;

/** Compactor metrics (all carry the `Source` dimension). */
export const CompactorMetric = {
  /** Closed days written to Parquet for the first time. Count. */
  DaysCompacted: 'DaysCompacted',
  /** Days rebuilt because their NDJSON changed after compaction (late merges), or on request. Count. */
  DaysRecompacted: 'DaysRecompacted',
  /** Records written to Parquet. Count. */
  RecordsCompacted: 'RecordsCompacted',
  /** Days whose compaction failed (the view keeps reading their NDJSON). Count. */
  CompactionFailures: 'CompactionFailures',
  /** Closed days still without a current Parquet copy at the end of a run (the lag). */
  UncompactedClosedDays: 'UncompactedClosedDays',
} as const;

/** A compactor metric name. */
export type CompactorMetricName = (typeof CompactorMetric)[keyof typeof CompactorMetric];

/** Dispatcher metrics (fleet mode): SourcesDue and SourcesDispatched per run, DispatchFailures with the `Source` dimension. */
export const DispatcherMetric = {
  /** Enabled sources whose slot had started and that were not dispatched in it yet. Count. */
  SourcesDue: 'SourcesDue',
  /** Sources whose collector run this dispatcher started (recorded, then invoked). Count. */
  SourcesDispatched: 'SourcesDispatched',
  /** Due sources whose dispatch failed (recording it or invoking the collector). Count, per source. */
  DispatchFailures: 'DispatchFailures',
} as const;

/** A dispatcher metric name. */
export type DispatcherMetricName = (typeof DispatcherMetric)[keyof typeof DispatcherMetric];
