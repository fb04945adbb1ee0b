/**
 * The sources Athena can see. The archive tables use partition projection, whose `source` column
 * is an enum (`projection.source.values`): a source missing from it is invisible to every query,
 * whatever its objects in S3 hold. The stack writes the declared sources; in fleet mode sources are
 * added at run time (`npm run sources`), so the compactor adds each source it finds in the archive.
 * It only ever adds: a removed source's history stays queryable.
 *
 * Athena sets no limit on the enum's length, only on the table's metadata (about 1 MB gzip),
 * which thousands of source ids stay far below:
 * https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html
 */

import { SOURCE_ID_PATTERN } from '#core/source-id.js';

/** The table parameter holding the enum. */
export const SOURCE_VALUES_PARAMETER = 'projection.source.values';
/** The table parameter naming the projection type of `source` (the compactor leaves other types alone). */
export const SOURCE_TYPE_PARAMETER = 'projection.source.type';

/** The port: Glue in Lambda. */
export interface ProjectedSources {
  /**
   * The ids in `ids` the tables do not list. A recent reading may answer (so that every archive
   * write does not cost a catalog read) when it lists them all.
   */
  unlisted(ids: readonly string[]): Promise<string[]>;
  /**
   * Every id all the tables list. `fresh`: read the tables now; otherwise a recent reading may
   * answer. In fleet mode this outlives the registry: a removed source stays listed, so its days
   * are still compacted and read from Parquet.
   */
  listed(options: { fresh: boolean }): Promise<string[]>;
  /** Adds `ids` to every table's enum (a read and, when something is missing, an update). */
  add(ids: readonly string[]): Promise<void>;
}

/** The enum's values (comma-separated, white space is part of a value, so none is written). */
export function parseSourceValues(text: string | undefined): string[] {
  return (text ?? '').split(',').filter((value) => value !== '');
}

/** The enum with `ids` added, sorted so the same set is always the same text. */
export function withSources(current: readonly string[], ids: readonly string[]): string {
  for (const id of ids) {
    // A comma or white space would split or change the enum; source ids never hold one.
    if (!SOURCE_ID_PATTERN.test(id)) throw new RangeError(`not a source id: ${JSON.stringify(id)}`);
  }
  return [...new Set([...current, ...ids])].sort().join(',');
}
