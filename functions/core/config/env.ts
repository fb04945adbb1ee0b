/**
 * Environment schemas of the two functions. The CDK stack sets exactly these shapes
 * (`CollectorEnvironment`, `QueryEnvironment`), so a variable missing there is a compile
 * error, and each handler validates its environment once at start-up.
 */
// A namespace import lets esbuild tree-shake zod (`import { z }` pulls in all of it, ~360 KB).
import * as z from 'zod';
import { AWS_CLIENT_DEFAULTS } from '#core/aws-clients.js';
import { SOURCE_ID_PATTERN, SOURCE_ID_RULE } from '#core/source-id.js';

const positiveInt = (def: number, max: number) => z.coerce.number().int().positive().max(max).default(def);

/** Variables shared by the collector and the query function (a stable contract: names and meanings do not change). */
const sharedShape = {
  /** Secrets Manager ARN or name of the Mimecast credentials (JSON, see docs/deploy.md, Fill in the Mimecast credentials). */
  MIMECAST_SECRET_ID: z.string().min(1),
  SOURCE_ID: z.string().regex(SOURCE_ID_PATTERN, SOURCE_ID_RULE).default('default'),
  BUCKET_NAME: z.string().min(3),
  DATA_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9!_.*'()/-]*[^/]$/, 'an S3 key prefix without a trailing "/"')
    .default('mimecast/audit-events'),
  CURSOR_TABLE_NAME: z.string().min(3),
  /** Per-HTTP-request timeout towards Mimecast. */
  REQUEST_TIMEOUT_MS: positiveInt(20_000, 120_000),
  PAGE_SIZE: positiveInt(500, 500),
};

/** Timeouts and attempts of the S3, DynamoDB and Secrets Manager clients (defaults: see aws-clients.ts). */
export const awsClientShape = {
  /** Per attempt: until the socket is connected (DNS included). */
  AWS_CONNECT_TIMEOUT_MS: positiveInt(AWS_CLIENT_DEFAULTS.AWS_CONNECT_TIMEOUT_MS, 60_000),
  /** Per attempt: from sending the request to the response headers (the connect included). */
  AWS_REQUEST_TIMEOUT_MS: positiveInt(AWS_CLIENT_DEFAULTS.AWS_REQUEST_TIMEOUT_MS, 120_000),
  /** Per call, the first attempt included (the SDK's own AWS_MAX_ATTEMPTS, validated here). */
  AWS_MAX_ATTEMPTS: positiveInt(AWS_CLIENT_DEFAULTS.AWS_MAX_ATTEMPTS, 10),
};

/** The largest rescan age: a rescan must still fall inside Mimecast's 60 days (with a day to spare). */
export const MAX_RESCAN_AGE_SECONDS = 59 * 86_400;
/** At most this many rescan ages (each costs a search of every window). */
export const MAX_RESCAN_AGES = 5;

/** The problem with a list of rescan ages, or `undefined` when it is usable. */
export function rescanAgesProblem(ages: readonly number[]): string | undefined {
  if (ages.length > MAX_RESCAN_AGES) return `at most ${MAX_RESCAN_AGES} ages`;
  for (const age of ages) {
    if (!Number.isInteger(age) || age < 1 || age > MAX_RESCAN_AGE_SECONDS) {
      return `every age must be a whole number of seconds from 1 to ${MAX_RESCAN_AGE_SECONDS} (59 days)`;
    }
  }
  if (new Set(ages).size !== ages.length) return 'ages must be distinct';
  return undefined;
}

/**
 * RESCAN_AFTER_SECONDS: comma-separated ages (seconds after a window's end) at which committed
 * windows are searched again for late-indexed events; an empty value turns rescans off. Parsed
 * into distinct ascending numbers.
 */
const rescanAgesSchema = z
  .string()
  .default('3600,86400')
  .transform((raw, ctx) => {
    const text = raw.trim();
    if (text === '') return [] as number[];
    const parts = text.split(',').map((part) => part.trim());
    if (parts.some((part) => !/^\d+$/.test(part))) {
      ctx.addIssue({ code: 'custom', message: 'comma-separated whole numbers of seconds, e.g. 3600,86400' });
      return z.NEVER;
    }
    const ages = parts.map(Number);
    const problem = rescanAgesProblem(ages);
    if (problem !== undefined) {
      ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    }
    return ages.sort((a, b) => a - b);
  });

/** The collector's environment. */
export const collectorEnvSchema = z.object({
  ...sharedShape,
  /** First run backfills this many days (clamped to Mimecast's 60). */
  LOOKBACK_DAYS: positiveInt(60, 60),
  /** Never plan a window ending later than now − this, so late-arriving events are not missed. */
  SETTLE_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
  /** Upper bound of a window; windows shrink below it when events are dense. */
  MAX_WINDOW_SECONDS: positiveInt(21_600, 86_400),
  /** Memory bound: a window holding more events than this is split before it is written. */
  MAX_EVENTS_PER_WINDOW: positiveInt(50_000, 1_000_000),
  /** Stop starting new windows when less than this much Lambda time remains. */
  SAFETY_MARGIN_MS: positiveInt(30_000, 600_000),
  /** Ages (seconds after a window's end) at which committed windows are searched again. */
  RESCAN_AFTER_SECONDS: rescanAgesSchema,
  ...awsClientShape,
});
export type CollectorEnvironment = z.input<typeof collectorEnvSchema>;
export type CollectorConfig = z.output<typeof collectorEnvSchema>;

const sourceListSchema = z
  .array(z.object({ id: sharedShape.SOURCE_ID.unwrap(), secretId: z.string().min(1) }).strict())
  .min(1)
  .refine((list) => new Set(list.map((s) => s.id)).size === list.length, 'source ids must be unique');

const glueName = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, 'lower-case letters, digits and "_", starting with a letter');

/**
 * Archive queries (Athena). The defaults are the stack's default names, so the function works
 * with the contract's variables alone; the stack sets all of them.
 */
const archiveQueryShape = {
  ARCHIVE_WORKGROUP: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,128}$/, 'letters, digits, ".", "_" or "-"')
    .default('mimecast-audit-lake'),
  ARCHIVE_DATABASE: glueName.default('mimecast_audit_lake'),
  /** The table (or view) archive queries read. */
  ARCHIVE_TABLE: glueName.default('audit_events'),
  ARCHIVE_CATALOG: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,256}$/, 'letters, digits, "_" or "-"')
    .default('AwsDataCatalog'),
  /** Reuse a stored result of an identical query up to this age; 0 = off (Athena allows 7 days). */
  ARCHIVE_RESULT_REUSE_MINUTES: z.coerce.number().int().min(0).max(10_080).default(60),
  /** Days a started query stays readable by id (Athena keeps query history 45 days). */
  ARCHIVE_QUERY_RETENTION_DAYS: positiveInt(7, 45),
};

const booleanText = (def: boolean) =>
  z
    .enum(['true', 'false'], { error: 'must be "true" or "false"' })
    .default(def ? 'true' : 'false')
    .transform((value) => value === 'true');

/** The compactor's environment (one function for every source). */
/** Where the OCSF copy of a class is also delivered: a Security Lake custom source (docs/security-lake.md). */
const securityLakeTargetSchema = z
  .object({
    classUid: z.number().int().min(0),
    bucket: z.string().min(3).max(63),
    /** `ext/<custom source name>/`. */
    prefix: z.string().regex(/^ext\/[A-Za-z0-9_-]+\/$/, 'a prefix ext/<custom source name>/'),
    roleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'an IAM role ARN'),
    externalId: z.string().min(2).max(1224),
  })
  .strict();

/** SECURITY_LAKE_TARGETS: a JSON array of targets, at most one per class. */
const securityLakeTargetsSchema = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'SECURITY_LAKE_TARGETS must be a JSON array' });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .array(securityLakeTargetSchema)
      .refine(
        (targets) => new Set(targets.map((t) => t.classUid)).size === targets.length,
        'one target per class',
      ),
  );

export const compactorEnvSchema = z
  .object({
    BUCKET_NAME: sharedShape.BUCKET_NAME,
    DATA_PREFIX: sharedShape.DATA_PREFIX,
    CURSOR_TABLE_NAME: sharedShape.CURSOR_TABLE_NAME,
    /** The sources to compact, comma-separated (every configured source; fleet mode: none needed). */
    COMPACTION_SOURCE_IDS: z
      .string()
      .default('')
      .transform((raw) =>
        raw
          .split(',')
          .map((id) => id.trim())
          .filter((id) => id !== ''),
      )
      .pipe(
        z
          .array(sharedShape.SOURCE_ID.unwrap())
          .refine((ids) => new Set(ids).size === ids.length, 'source ids must be distinct'),
      ),
    /**
     * Fleet mode: also compact every source of the registry (in CURSOR_TABLE_NAME), and add each to
     * the `source` partition projection of the tables behind ARCHIVE_VIEW (`<view>_ndjson`, `<view>_parquet`).
     */
    COMPACTION_REGISTRY_SOURCES: booleanText(false),
    /** A day is closed this long after its end: the settle time plus the largest rescan age of any source. */
    COMPACTION_CLOSE_AFTER_SECONDS: z.coerce
      .number()
      .int()
      .min(0)
      .max(60 * 86_400)
      .default(86_400 + 300),
    /** Compacted days this young are checked for late changes on every run (covers the largest rescan age). */
    COMPACTION_RECHECK_DAYS: positiveInt(62, 400),
    /** Memory bound: a day with more records fails (and stays readable from its NDJSON). */
    COMPACTION_MAX_DAY_RECORDS: positiveInt(2_000_000, 20_000_000),
    /** Rows per Parquet row group (the writer's memory grows with it; see parquet-writer.ts). */
    PARQUET_ROW_GROUP_SIZE: positiveInt(25_000, 1_000_000),
    /** Tag the NDJSON objects of compacted days so a lifecycle rule may move them to a colder class. */
    TAG_COMPACTED_NDJSON: booleanText(false),
    /** The Glue database and the view the compactor rewrites as boundaries move. */
    ARCHIVE_DATABASE: glueName.default('mimecast_audit_lake'),
    ARCHIVE_VIEW: glueName.default('audit_events'),
    SAFETY_MARGIN_MS: positiveInt(60_000, 600_000),
    /** Also write the OCSF copy (Security Lake custom-source layout) of each compacted day. */
    OCSF_OUTPUT: booleanText(false),
    /** Its S3 prefix; default `<DATA_PREFIX>-ocsf`. */
    OCSF_PREFIX: z.string().min(1).max(200).optional(),
    /** The `region=` and `accountId=` of the layout (the stack's). */
    OCSF_REGION: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region')
      .default('us-east-1'),
    /** Security Lake also takes `external` or `external_<id>` for data of accounts outside AWS. */
    OCSF_ACCOUNT_ID: z
      .string()
      .regex(
        /^(?:\d{12}|external(?:_[A-Za-z0-9-]{1,64})?)$/,
        'a 12-digit account id, external or external_<id>',
      )
      .default('000000000000'),
    SECURITY_LAKE_TARGETS: securityLakeTargetsSchema.optional(),
    ...awsClientShape,
  })
  .refine((env) => env.COMPACTION_REGISTRY_SOURCES || env.COMPACTION_SOURCE_IDS.length > 0, {
    message: 'name at least one source id (or set COMPACTION_REGISTRY_SOURCES)',
    path: ['COMPACTION_SOURCE_IDS'],
  });
export type CompactorEnvironment = z.input<typeof compactorEnvSchema>;
export type CompactorConfig = z.output<typeof compactorEnvSchema>;

/** The query function's environment. */
export const queryEnvSchema = z.object({
  ...sharedShape,
  /** Several sources: JSON array of `{"id","secretId"}`; otherwise SOURCE_ID/MIMECAST_SECRET_ID is the one source. */
  SOURCES: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return undefined;
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'SOURCES must be a JSON array of {"id","secretId"}' });
        return z.NEVER;
      }
      const result = sourceListSchema.safeParse(parsed);
      if (!result.success) {
        ctx.addIssue({ code: 'custom', message: `SOURCES is invalid: ${z.prettifyError(result.error)}` });
        return z.NEVER;
      }
      return result.data;
    }),
  /** How long `get-categories` answers are cached. */
  CATEGORY_CACHE_SECONDS: positiveInt(3_600, 86_400),
  /** The handler's own deadline, well inside API Gateway's 30 s integration limit. */
  QUERY_DEADLINE_MS: positiveInt(25_000, 29_000),
  ...archiveQueryShape,
  ...awsClientShape,
});
export type QueryEnvironment = z.input<typeof queryEnvSchema>;
export type QueryConfig = z.output<typeof queryEnvSchema>;

/** A configured source (id + where its secret is). */
export interface SourceConfig {
  id: string;
  secretId: string;
}

/** The query function's sources: `SOURCES` if set, else the single SOURCE_ID/MIMECAST_SECRET_ID pair. */
export function querySources(config: QueryConfig): SourceConfig[] {
  return config.SOURCES ?? [{ id: config.SOURCE_ID, secretId: config.MIMECAST_SECRET_ID }];
}

/**
 * Parses an environment; on failure throws an Error that names each bad variable and why,
 * never echoing values (a secret ARN is not secret, but other variables might be).
 */
export function parseEnvironment<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined>,
): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new Error(`Invalid environment: ${problems.join('; ')}`);
}
