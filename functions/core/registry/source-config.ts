/**
 * Sources as data (issue 15): the registry holds each source's id, secret, schedule, lookback,
 * settle and rescan settings and an enabled flag, as items of the cursor table beside the
 * cursors: `pk = source-config#<id>`. The dispatcher reads it to start runs, the collector to
 * configure one, the query API to know which sources exist, and `npm run sources` edits it.
 *
 * Item: sourceId S, secretId S, enabled BOOL, scheduleMinutes N, lookbackDays N,
 * settleSeconds N, rescanAfterSeconds L[N], createdAt S, updatedAt S, version N,
 * lastDispatchedAt S (written by the dispatcher only).
 */
import * as z from 'zod';
import { SOURCE_ID_PATTERN, SOURCE_ID_RULE } from '#core/source-id.js';

/** The partition key prefix of registry items (cursor items use `source#`). */
export const SOURCE_CONFIG_PREFIX = 'source-config#';

/** The partition key value of a source's registry item. */
export function sourceConfigKey(sourceId: string): string {
  return `${SOURCE_CONFIG_PREFIX}${sourceId}`;
}

/** The session tag (and secret tag) that confines a run to one source (ABAC). */
export const SOURCE_TAG_KEY = 'mimecast-source';

/** A source id: it becomes an S3 partition, a metric dimension, a key and a session tag value. */
export const sourceIdSchema = z.string().regex(SOURCE_ID_PATTERN, SOURCE_ID_RULE);

/** One source's settings, as stored (defaults are those of a single-source deployment). */
export const sourceConfigSchema = z
  .object({
    sourceId: sourceIdSchema,
    /** Secrets Manager ARN or name of the Mimecast credentials; tagged `mimecast-source=<id>`. */
    secretId: z.string().min(1).max(2048),
    enabled: z.boolean().default(true),
    scheduleMinutes: z.number().int().min(1).max(60).default(5),
    lookbackDays: z.number().int().min(1).max(60).default(60),
    settleSeconds: z.number().int().min(0).max(86_400).default(300),
    rescanAfterSeconds: z
      .array(
        z
          .number()
          .int()
          .min(1)
          .max(59 * 86_400),
      )
      .max(5)
      .default([3600, 86_400]),
    createdAt: z.string().optional(),
    updatedAt: z.string().optional(),
    version: z.number().int().min(0).optional(),
    lastDispatchedAt: z.string().optional(),
  })
  .strict();

export type SourceConfig = z.output<typeof sourceConfigSchema>;
export type SourceConfigInput = z.input<typeof sourceConfigSchema>;

/** What may change on an existing source. */
export type SourceConfigChanges = Partial<
  Pick<
    SourceConfig,
    'secretId' | 'enabled' | 'scheduleMinutes' | 'lookbackDays' | 'settleSeconds' | 'rescanAfterSeconds'
  >
>;

/** The registry port. */
export interface SourceRegistry {
  /** One source; undefined when there is none. */
  get(sourceId: string): Promise<SourceConfig | undefined>;
  /** Every source (enabled or not), in id order. */
  list(): Promise<SourceConfig[]>;
  /** Creates a source; fails (SourceExistsError) when it exists. */
  add(config: SourceConfigInput, nowIso: string): Promise<SourceConfig>;
  /** Changes a source; fails (SourceNotFoundError) when it does not exist. */
  update(sourceId: string, changes: SourceConfigChanges, nowIso: string): Promise<SourceConfig>;
  /** Removes a source's registry item (its cursor and archive stay). */
  remove(sourceId: string): Promise<boolean>;
  /**
   * Records a dispatch at `atIso` unless one was recorded at or after `slotStartIso` already
   * (a conditional write: of two overlapping dispatchers only one starts the run). True: recorded.
   */
  markDispatched(sourceId: string, atIso: string, slotStartIso: string): Promise<boolean>;
}

/** `add` of an id that exists. */
export class SourceExistsError extends Error {
  constructor(sourceId: string) {
    super(`source "${sourceId}" already exists`);
    this.name = 'SourceExistsError';
  }
}

/** `update` of an id that does not exist. */
export class SourceNotFoundError extends Error {
  constructor(sourceId: string) {
    super(`source "${sourceId}" does not exist`);
    this.name = 'SourceNotFoundError';
  }
}

/** A registry item that could not be used, and why (field names and rules, never values). */
export interface RegistryProblem {
  /** The item's partition key, e.g. `source-config#acme`. */
  key: string;
  reason: string;
}

/** `field: message; …` from zod issues: paths and rules only, no item values. */
function describeIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  return issues.map((issue) => `${issue.path.map(String).join('.') || 'item'}: ${issue.message}`).join('; ');
}

/** Parses a stored item (its `pk` aside) into a SourceConfig, or says why it cannot be used. */
export function parseRegistryItem(
  item: Record<string, unknown>,
): { ok: true; config: SourceConfig } | { ok: false; problem: RegistryProblem } {
  const { pk, ...fields } = item;
  const key = typeof pk === 'string' ? pk : '(no pk)';
  const parsed = sourceConfigSchema.safeParse(fields);
  if (!parsed.success) return { ok: false, problem: { key, reason: describeIssues(parsed.error.issues) } };
  if (key !== sourceConfigKey(parsed.data.sourceId)) {
    return { ok: false, problem: { key, reason: 'sourceId does not match the key' } };
  }
  return { ok: true, config: parsed.data };
}
