/**
 * The OCSF copy of one compacted source-day: each record mapped to OCSF (functions/core/ocsf) and
 * streamed into one Parquet object per class, in the Security Lake custom-source layout, and,
 * where a class has a Security Lake target, into the same key of the target's bucket at once
 * (the bytes are teed, so nothing is read back). Uploads become visible only when complete. The
 * compactor completes these before the day's record Parquet, whose metadata then says the OCSF
 * copy exists: a failure here leaves the day not current, so the next run builds it again.
 */
import type { AuditRecord } from '#core/archive/record.js';
import type { OcsfClassUid } from '#core/ocsf/classify.js';
import { customSourceName, ocsfKeyInSource, ocsfObjectKey } from '#core/ocsf/layout.js';
import { type OcsfEvent, toOcsf } from '#core/ocsf/map.js';
import { createOcsfParquetWriter } from '#core/ocsf/parquet-writer.js';
import type { ColumnarStorage, StreamingUpload } from './storage.js';

/** Content type of the OCSF objects. */
const PARQUET_CONTENT_TYPE = 'application/vnd.apache.parquet';

/** Where a class's OCSF objects are also delivered (a Security Lake custom source). */
export interface OcsfDeliveryTarget {
  classUid: number;
  /** Storage acting as the custom source's provider role, in the Security Lake bucket. */
  storage: ColumnarStorage;
  /** `ext/<custom source name>/` in that bucket. */
  prefix: string;
}

/** How the compactor writes OCSF copies. */
export interface OcsfOutput {
  /** Prefix of the copy in the archive bucket (`<DATA_PREFIX>-ocsf`). */
  prefix: string;
  region: string;
  accountId: string;
  targets: readonly OcsfDeliveryTarget[];
  rowGroupSize?: number | undefined;
}

/** One class being written: its uploads and its Parquet writer. */
interface ClassOutput {
  uploads: StreamingUpload[];
  writer: ReturnType<typeof createOcsfParquetWriter>;
  buffer: OcsfEvent[];
  key: string;
}

/** What the OCSF copy of a day came to. */
export interface OcsfDaySummary {
  /** Events per class uid. */
  events: Record<string, number>;
  objects: number;
  delivered: number;
}

/** Writes the OCSF copy of one day; add() in record order, then complete() or abort(). */
export class OcsfDayWriter {
  private readonly classes = new Map<number, ClassOutput>();
  private readonly events = new Map<number, number>();

  constructor(
    private readonly storage: ColumnarStorage,
    private readonly output: OcsfOutput,
    private readonly day: { sourceId: string; dt: string; fingerprint: string; metadataKey: string },
  ) {}

  /** Maps and writes records (already deduplicated and in order). */
  async add(records: readonly AuditRecord[]): Promise<void> {
    for (const record of records) {
      const event = toOcsf(record, {});
      const output = this.classOf(event.class_uid);
      output.buffer.push(event);
      this.events.set(event.class_uid, (this.events.get(event.class_uid) ?? 0) + 1);
    }
    for (const output of this.classes.values()) {
      if (output.buffer.length === 0) continue;
      const batch = output.buffer;
      output.buffer = [];
      await output.writer.write(batch);
    }
  }

  /** Closes every class's file and makes its objects visible. */
  async complete(): Promise<OcsfDaySummary> {
    let objects = 0;
    let delivered = 0;
    for (const output of this.classes.values()) {
      await output.writer.close();
      for (const [index, upload] of output.uploads.entries()) {
        await upload.complete();
        if (index === 0) objects += 1;
        else delivered += 1;
      }
    }
    return { events: Object.fromEntries(this.events), objects, delivered };
  }

  /** Drops every upload in progress (the previous objects stay as they were). */
  async abort(): Promise<void> {
    await Promise.allSettled([...this.classes.values()].flatMap((o) => o.uploads.map((u) => u.abort())));
  }

  private classOf(classUid: OcsfClassUid): ClassOutput {
    const existing = this.classes.get(classUid);
    if (existing) return existing;
    const { prefix, region, accountId } = this.output;
    const sourceName = customSourceName(classUid);
    const layout = { region, accountId, dt: this.day.dt, sourceId: this.day.sourceId };
    const key = ocsfObjectKey({ prefix, customSourceName: sourceName, ...layout });
    const metadata = { [this.day.metadataKey]: this.day.fingerprint };
    const uploads = [this.storage.upload(key, { contentType: PARQUET_CONTENT_TYPE, metadata })];
    for (const target of this.output.targets) {
      if (target.classUid !== classUid) continue;
      // The same relative key under the target's `ext/<name>/` prefix.
      const targetKey = `${target.prefix}${ocsfKeyInSource(layout)}`;
      uploads.push(target.storage.upload(targetKey, { contentType: PARQUET_CONTENT_TYPE, metadata }));
    }
    const writer = createOcsfParquetWriter(
      classUid,
      async (chunk) => {
        await Promise.all(uploads.map((u) => u.write(chunk)));
      },
      { rowGroupSize: this.output.rowGroupSize },
    );
    const output: ClassOutput = { uploads, writer, buffer: [], key };
    this.classes.set(classUid, output);
    return output;
  }
}

/** A Security Lake target as the compactor's environment gives it. */
export interface SecurityLakeTargetConfig {
  classUid: number;
  bucket: string;
  prefix: string;
  roleArn: string;
  externalId: string;
}

/** The OCSF output of a validated compactor environment; undefined when OCSF_OUTPUT is off. */
export function ocsfOutputOf(
  config: {
    OCSF_OUTPUT: boolean;
    OCSF_PREFIX?: string | undefined;
    OCSF_REGION: string;
    OCSF_ACCOUNT_ID: string;
    DATA_PREFIX: string;
    PARQUET_ROW_GROUP_SIZE: number;
    SECURITY_LAKE_TARGETS?: readonly SecurityLakeTargetConfig[] | undefined;
  },
  targetStorage: (target: SecurityLakeTargetConfig) => ColumnarStorage,
): OcsfOutput | undefined {
  if (!config.OCSF_OUTPUT) return undefined;
  return {
    prefix: config.OCSF_PREFIX ?? `${config.DATA_PREFIX}-ocsf`,
    region: config.OCSF_REGION,
    accountId: config.OCSF_ACCOUNT_ID,
    rowGroupSize: config.PARQUET_ROW_GROUP_SIZE,
    targets: (config.SECURITY_LAKE_TARGETS ?? []).map((target) => ({
      classUid: target.classUid,
      prefix: target.prefix,
      storage: targetStorage(target),
    })),
  };
}
