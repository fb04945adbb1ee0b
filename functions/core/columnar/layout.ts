/**
 * Where the columnar copy lives (docs/athena.md, "The data in S3"): one Parquet object per source
 * and closed UTC day, `<DATA_PREFIX>-parquet/source=<id>/dt=<YYYY-MM-DD>/part-00000.parquet`. The
 * key depends only on the source and the day, so a rerun or a recompaction overwrites it, and a
 * day is either absent or whole: S3 makes an object visible only once its upload completes.
 */
import { dayPrefix } from '#core/archive/layout.js';

/** Suffix appended to DATA_PREFIX for the Parquet copy. */
export const PARQUET_PREFIX_SUFFIX = '-parquet';

/** Name of a day's one Parquet object. */
export const PARQUET_OBJECT_NAME = 'part-00000.parquet';

/** `<DATA_PREFIX>-parquet`: the root of the columnar copy (a sibling of the NDJSON prefix). */
export const parquetRoot = (dataPrefix: string): string => `${dataPrefix}${PARQUET_PREFIX_SUFFIX}`;

/** The key of one source-day's Parquet object. */
export function parquetDayKey(dataPrefix: string, sourceId: string, dt: string): string {
  return `${dayPrefix(parquetRoot(dataPrefix), sourceId, dt)}${PARQUET_OBJECT_NAME}`;
}

/** The S3 user-metadata key holding the fingerprint of the NDJSON objects a Parquet object was built from. */
export const SOURCE_FINGERPRINT_METADATA = 'ndjson-fingerprint';

/** Metadata of a day's record Parquet saying its OCSF copy was written with it. */
export const OCSF_COPY_METADATA = 'ocsf-copy';
