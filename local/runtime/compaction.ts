/**
 * npm start's compactor: the production compaction (functions/core/columnar) run in-process
 * after each collector run, over the stand-ins, with the collector's default closing time (a
 * day closes once settle time plus the largest rescan age has passed since its end).
 */
import { type CompactionSummary, compactorSettings, runCompaction } from '#core/columnar/compactor.js';
import { DynamoCompactionLeases } from '#core/columnar/lease.js';
import { ocsfOutputOf } from '#core/columnar/ocsf-day.js';
import { S3ColumnarStorage } from '#core/columnar/s3-columnar-storage.js';
import { compactorEnvSchema } from '#core/config/env.js';
import { DynamoCursorReader } from '#core/cursor/dynamo-cursor-reader.js';
import { systemClock } from '#core/ports.js';
import type { LocalEnvironment } from './environment.js';
import { formatBytes, plural } from './format.js';

/** A run's time: the collector's next run should not wait long for it. */
const BUDGET_MS = 5 * 60_000;

/** Compacts what is closed; failures are reported in the summary, never thrown for a day. */
export async function compactLocally(
  environment: LocalEnvironment,
  closeAfterSeconds: number,
): Promise<CompactionSummary> {
  const config = compactorEnvSchema.parse({
    ...environment.env,
    COMPACTION_SOURCE_IDS: environment.env.SOURCE_ID,
    COMPACTION_CLOSE_AFTER_SECONDS: String(closeAfterSeconds),
    SAFETY_MARGIN_MS: '5000',
  });
  const deadline = Date.now() + BUDGET_MS;
  return runCompaction(
    {
      storage: new S3ColumnarStorage(environment.s3, environment.standins.bucket),
      cursor: new DynamoCursorReader(environment.dynamodb, environment.standins.table),
      leases: new DynamoCompactionLeases(environment.dynamodb, environment.standins.table),
      clock: systemClock,
      log: { info: () => undefined, warn: () => undefined, error: () => undefined },
      metrics: { count: () => undefined },
      // The OCSF copy too, as a deployed stack writes it (no Security Lake delivery locally).
      ocsf: ocsfOutputOf({ ...config, OCSF_OUTPUT: true, SECURITY_LAKE_TARGETS: [] }, () => {
        throw new Error('no Security Lake targets locally');
      }),
    },
    // Local objects are never moved to a colder class.
    { ...compactorSettings(config), TAG_COMPACTED_NDJSON: false },
    { remainingMs: () => deadline - Date.now() },
  );
}

/** `compaction: 58 days to Parquet (993,761 records, 12.3 MiB) · 2 days not closed yet`, or undefined when nothing happened. */
export function formatCompaction(summary: CompactionSummary): string | undefined {
  const built = summary.compacted + summary.recompacted;
  const parts: string[] = [];
  if (built > 0) {
    parts.push(
      `${plural(built, 'day')} to Parquet (${summary.records.toLocaleString('en-US')} records, ${formatBytes(summary.bytes)})`,
    );
  }
  if (summary.failures.length > 0) {
    const first = summary.failures[0];
    parts.push(`${summary.failures.length} failed (first: ${first?.dt}: ${first?.error})`);
  }
  if (parts.length === 0) return undefined;
  return `compaction: ${parts.join(' · ')}${summary.open > 0 ? ` · ${plural(summary.open, 'day')} not closed yet` : ''}`;
}
