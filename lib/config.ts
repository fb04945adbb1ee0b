/**
 * The deployment's configuration: read from the `mimecastAuditLake` key of the CDK context
 * (cdk.json, or `-c mimecastAuditLake='{…}'`), validated once, with errors that name each bad
 * field. The stack only ever sees the parsed, defaulted `AppConfig`.
 */

// A namespace import lets esbuild tree-shake zod (`import { z }` pulls in all of it, ~360 KB).
import * as z from 'zod';
import { MAX_DISPATCH_CONCURRENCY } from '#core/config/dispatcher-env.js';
import { collectorEnvSchema, rescanAgesProblem } from '#core/config/env.js';
import {
  OCSF_CLASS_LAYOUTS,
  OCSF_CLASS_UIDS,
  ocsfClassLayout,
  parseSecurityLakeLocation,
  SECURITY_LAKE_LOCATION,
  SECURITY_LAKE_SOURCE_NAME_MAX,
  securityLakeTargetsOf,
} from './constructs/security-lake.js';
import {
  compactorEnvironmentBytes,
  LAMBDA_ENVIRONMENT_LIMIT_BYTES,
  MAX_FLEET_SECRET_KEYS,
  MAX_FLEET_SOURCES,
  MAX_SOURCES,
  queryEnvironmentBytes,
  RESOURCES_PER_SOURCE,
  SEED_PROPERTIES_LIMIT_BYTES,
  seedPropertiesBytes,
} from './limits.js';

/** The context key under which cdk.json holds the configuration. */
export const CONFIG_CONTEXT_KEY = 'mimecastAuditLake';

/** Retention periods CloudWatch Logs accepts (any other number is rejected at deploy time). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Source ids follow the collector's SOURCE_ID rule exactly (they become S3 key parts and Athena enum values). */
const sourceIdSchema = collectorEnvSchema.shape.SOURCE_ID.unwrap();

/**
 * Key prefixes become IAM resource ARNs, so on top of the collector's DATA_PREFIX rule they
 * must not contain IAM wildcards (`*`, `?`), empty segments, or a leading/trailing slash.
 */
const dataPrefixSchema = collectorEnvSchema.shape.DATA_PREFIX.unwrap()
  .max(200)
  .regex(
    /^[A-Za-z0-9_.()!'-]+(\/[A-Za-z0-9_.()!'-]+)*$/,
    'segments of letters, digits and _.()!\'- separated by single "/" (no "*", no leading or trailing "/")',
  );

/** A complete Secrets Manager ARN (with the 6-character suffix Secrets Manager appends). */
const secretArnSchema = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/,
    'a complete Secrets Manager secret ARN, including the 6-character suffix (arn:aws:secretsmanager:<region>:<account>:secret:<name>-AbCdEf)',
  );

const kmsKeyArnSchema = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/,
    'a KMS key ARN (arn:aws:kms:…:key/<id>)',
  );

/** Seconds the collector waits before closing a window (Mimecast's usual indexing delay). */
const settleSecondsSchema = z.number().int().min(0).max(86_400);

/** Ages (seconds after a window's end) at which committed windows are searched again for late events. */
const rescanAgesSchema = z.array(z.number()).superRefine((ages, ctx) => {
  const problem = rescanAgesProblem(ages);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

const sourceSchema = z
  .object({
    id: sourceIdSchema,
    /** This source's settle time, overriding the stack's `settleSeconds`. */
    settleSeconds: settleSecondsSchema.optional(),
    /** This source's rescan ages, overriding the stack's `rescanAfterSeconds` (`[]` turns rescans off). */
    rescanAfterSeconds: rescanAgesSchema.optional(),
    /** Existing secret holding this source's Mimecast credentials; omitted → the stack creates an empty one. */
    secretArn: secretArnSchema.optional(),
    /** Only for an existing secret encrypted with a customer-managed key: that key, so the functions may decrypt it. */
    secretKmsKeyArn: kmsKeyArnSchema.optional(),
    /** Fleet mode only: minutes between this source's runs, overriding the stack's `scheduleMinutes` in its registry item. */
    scheduleMinutes: z.number().int().min(1).max(60).optional(),
  })
  .strict()
  .refine((s) => s.secretKmsKeyArn === undefined || s.secretArn !== undefined, {
    message: 'secretKmsKeyArn only applies to an existing secret (set secretArn too)',
    path: ['secretKmsKeyArn'],
  });

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')
  .refine(
    (d) =>
      !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d),
    {
      message: 'not a real calendar date',
    },
  );

const logRetentionSchema = z
  .number()
  .int()
  .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
    message: `one of the retention periods CloudWatch Logs accepts: ${LOG_RETENTION_DAYS.join(', ')}`,
  });

const jwtSchema = z
  .object({
    /** The identity provider's issuer URL (https). */
    issuer: z.url({ protocol: /^https$/, error: 'an https:// issuer URL' }),
    /** Accepted `aud` values (at least one). */
    audience: z.array(z.string().min(1)).min(1, 'at least one audience'),
  })
  .strict();

const apiSchema = z
  .object({
    /** `iam` (SigV4-signed requests; default) or `jwt` (bearer tokens from an OIDC provider). */
    authMode: z.enum(['iam', 'jwt']).default('iam'),
    jwt: jwtSchema.optional(),
    /** Stage-wide steady-state requests per second. The API shares Mimecast's rate limit with the collector. */
    throttleRateLimit: z.number().positive().max(10_000).default(5),
    /** Stage-wide burst. */
    throttleBurstLimit: z.number().int().positive().max(5_000).default(10),
  })
  .strict()
  .superRefine((api, ctx) => {
    if (api.authMode === 'jwt' && api.jwt === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['jwt'],
        message: 'authMode "jwt" needs jwt: { issuer, audience }',
      });
    }
    if (api.authMode === 'iam' && api.jwt !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['jwt'],
        message: 'jwt settings are only used with authMode "jwt"',
      });
    }
  });

const athenaSchema = z
  .object({
    /** Glue database name (unique per account and region: change it for a second deployment). */
    databaseName: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,63}$/, 'lower-case letters, digits and "_", starting with a letter')
      .default('mimecast_audit_lake'),
    tableName: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,63}$/, 'lower-case letters, digits and "_", starting with a letter')
      .default('audit_events'),
    /** Athena workgroup name (unique per account and region). */
    workGroupName: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,128}$/, 'letters, digits, ".", "_" or "-"')
      .default('mimecast-audit-lake'),
    /** Per-query scan limit in GB (10^9 bytes); Athena's minimum is 10 MB. */
    bytesScannedCutoffPerQueryGB: z.number().min(0.01).max(1_000_000).default(10),
    /** Days Athena query results are kept. */
    resultsRetentionDays: z.number().int().min(1).max(3650).default(30),
    /** First day of the `dt` partition projection (days before it are invisible to Athena). */
    projectionStartDate: isoDate.default('2025-01-01'),
  })
  .strict();

const transitionsSchema = z
  .object({
    /** Move objects to S3 Standard-IA after this many days (S3 requires at least 30). */
    infrequentAccessAfterDays: z.number().int().min(30).optional(),
    /** Move objects to S3 Glacier Instant Retrieval after this many days. */
    glacierInstantRetrievalAfterDays: z.number().int().min(1).optional(),
  })
  .strict()
  .refine(
    (t) =>
      t.infrequentAccessAfterDays === undefined ||
      t.glacierInstantRetrievalAfterDays === undefined ||
      t.glacierInstantRetrievalAfterDays >= t.infrequentAccessAfterDays + 30,
    {
      message:
        'glacierInstantRetrievalAfterDays must be at least 30 days after infrequentAccessAfterDays (S3 keeps objects in Standard-IA for 30 days)',
      path: ['glacierInstantRetrievalAfterDays'],
    },
  );

const compactionSchema = z
  .object({
    /** Build the Parquet copy of closed days (the view reads NDJSON for every day when off). */
    enabled: z.boolean().default(true),
    /** Minutes between scheduled compactor runs (archive writes also trigger it). */
    scheduleMinutes: z.number().int().min(5).max(1440).default(60),
    /**
     * Move the NDJSON objects of compacted days to a colder storage class this many days after
     * they were written. They are tagged when their Parquet copy exists, and only tagged objects
     * move, so no day is ever read from a colder class before its copy is there.
     */
    ndjsonTransition: z
      .object({
        afterDays: z.number().int().min(1).max(3650),
        storageClass: z.enum(['STANDARD_IA', 'GLACIER_IR']).default('GLACIER_IR'),
      })
      .strict()
      .refine((t) => t.storageClass !== 'STANDARD_IA' || t.afterDays >= 30, {
        message: 'S3 moves objects to STANDARD_IA only after at least 30 days',
        path: ['afterDays'],
      })
      .optional(),
  })
  .strict();

/** An OCSF class the compactor writes. */
const ocsfClassUidSchema = z.literal(OCSF_CLASS_UIDS, {
  error: `one of the OCSF classes the compactor writes: ${OCSF_CLASS_LAYOUTS.map((c) => `${c.classUid} (${c.className})`).join(', ')}`,
});

/**
 * The external id Security Lake puts in the provider roles' trust policies: STS's ExternalId
 * rule (2–1224 characters of letters, digits and `_+=,.@:/-`).
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
 */
const externalIdSchema = z
  .string()
  .min(2, 'at least 2 characters')
  .max(1224, 'at most 1224 characters')
  .regex(/^[\w+=,.@:/-]+$/, 'letters, digits and _+=,.@:/- only (STS ExternalId)');

/** An IAM role ARN (path allowed), as CreateCustomLogSource returns the provider role. */
const roleArnSchema = z
  .string()
  .max(2048)
  .regex(
    /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,576}$/,
    'an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
  );

/** One Security Lake custom source, as CreateCustomLogSource answered (docs/security-lake.md). */
const customSourceSchema = z
  .object({
    /** The OCSF class this custom source receives (one class per source, as Security Lake asks). */
    classUid: ocsfClassUidSchema,
    /** The name it was created under, when not the suggested one of its class. */
    sourceName: z
      .string()
      .regex(
        new RegExp(`^[A-Za-z0-9_-]{1,${SECURITY_LAKE_SOURCE_NAME_MAX}}$`),
        `1–${SECURITY_LAKE_SOURCE_NAME_MAX} letters, digits, "_" or "-" (CreateCustomLogSource takes at most ${SECURITY_LAKE_SOURCE_NAME_MAX} characters)`,
      )
      .optional(),
    /** `source.provider.roleArn` of the answer: the role the compactor assumes to write. */
    providerRoleArn: roleArnSchema,
    /** `source.provider.location` of the answer: `s3://<bucket>/ext/<source name>/`. */
    location: z
      .string()
      .regex(
        SECURITY_LAKE_LOCATION,
        'the S3 location CreateCustomLogSource returned: s3://<bucket>/ext/<source name>/',
      ),
  })
  .strict()
  .superRefine((source, ctx) => {
    const location = parseSecurityLakeLocation(source.location);
    if (location === undefined) return;
    const expected = source.sourceName ?? ocsfClassLayout(source.classUid).sourceName;
    if (location.sourceName !== expected) {
      ctx.addIssue({
        code: 'custom',
        path: ['location'],
        message: `is the location of custom source "${location.sourceName}", but class ${source.classUid}'s is "${expected}"${source.sourceName === undefined ? ' (set sourceName if you created it under another name)' : ''}`,
      });
    }
  });

const securityLakeSchema = z
  .object({
    /** The external id given to CreateCustomLogSource as providerIdentity.externalId (one for every source). */
    externalId: externalIdSchema,
    /** The custom sources created so far; empty until CreateCustomLogSource has run. */
    customSources: z
      .array(customSourceSchema)
      .max(OCSF_CLASS_UIDS.length)
      .default([])
      .superRefine((sources, ctx) => {
        const classes = new Set<number>();
        const locations = new Set<string>();
        sources.forEach((s, i) => {
          if (classes.has(s.classUid))
            ctx.addIssue({
              code: 'custom',
              path: [i, 'classUid'],
              message: `duplicate classUid ${s.classUid}: one custom source per class`,
            });
          classes.add(s.classUid);
          const where = parseSecurityLakeLocation(s.location);
          const key = where === undefined ? s.location : `${where.bucket}/${where.sourceName}`;
          if (locations.has(key))
            ctx.addIssue({
              code: 'custom',
              path: [i, 'location'],
              message: 'duplicate location: each class needs its own custom source',
            });
          locations.add(key);
        });
      }),
  })
  .strict();

const ocsfSchema = z
  .object({
    /**
     * Also write an OCSF 1.1.0 copy of each compacted day (one Parquet object per source, day and
     * class, in Security Lake's custom-source layout) and a Glue table per class. The compactor
     * writes it, so it needs `compaction.enabled`.
     */
    enabled: z.boolean().default(true),
    /** Deliver the OCSF copy to Amazon Security Lake custom sources as well (docs/security-lake.md). */
    securityLake: securityLakeSchema.optional(),
  })
  .strict();

/**
 * Fleet mode (issue 15, docs/mssp.md): one collector function for every source, started by a
 * dispatcher from the source registry (items of the cursor table), instead of one function,
 * schedule, secret and alarm set per source. The stack's resources stay the same however many
 * sources there are; `sources` only seeds the registry.
 */
const fleetSchema = z
  .object({
    /** Off by default: each source gets its own collector, as before. */
    enabled: z.boolean().default(false),
    /** Reserved concurrency of the one collector function (runs of all sources at once); 0 = no reservation. */
    maxConcurrentRuns: z.number().int().min(0).max(1000).default(20),
    /** At most this many collector invocations the dispatcher has in flight at once. */
    dispatchConcurrency: z.number().int().min(1).max(MAX_DISPATCH_CONCURRENCY).default(10),
    /** The fleet freshness alarm's threshold (minutes); default: the stack's `freshnessThresholdMinutes`. */
    freshnessThresholdMinutes: z.number().int().min(15).max(10_080).optional(),
  })
  .strict();

/** The whole configuration's fields; unknown keys are rejected so a typo cannot be silently ignored. */
const baseConfigShape = z
  .object({
    /** CloudFormation stack name. */
    stackName: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'letters, digits and "-", starting with a letter')
      .default('MimecastAuditLake'),
    /**
     * One or more Mimecast accounts; each gets its own collector function, schedule and secret
     * (at most MAX_SOURCES), or, in fleet mode, a registry item (at most MAX_FLEET_SOURCES).
     */
    sources: z
      .array(sourceSchema)
      .min(1, 'configure at least one source')
      .max(MAX_FLEET_SOURCES, `at most ${MAX_FLEET_SOURCES} sources, even in fleet mode`)
      .superRefine((sources, ctx) => {
        const seen = new Set<string>();
        sources.forEach((s, i) => {
          if (seen.has(s.id))
            ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate source id "${s.id}"` });
          seen.add(s.id);
        });
      }),
    /** Minutes between collector runs. */
    scheduleMinutes: z.number().int().min(1).max(60).default(5),
    /** Days the first run backfills (Mimecast keeps 60). */
    lookbackDays: z.number().int().min(1).max(60).default(60),
    /**
     * A window is closed only this long after its end: most events are searchable by then. Later
     * ones are found by the rescans (docs: the collector's guarantee). Per source: `sources[].settleSeconds`.
     */
    settleSeconds: settleSecondsSchema.default(300),
    /**
     * Ages (seconds after a window's end) at which each committed window is searched again for
     * events Mimecast indexed late; `[]` turns rescans off. Per source: `sources[].rescanAfterSeconds`.
     */
    rescanAfterSeconds: rescanAgesSchema.default([3_600, 86_400]),
    /** S3 key prefix of the archive (no trailing "/"). */
    dataPrefix: dataPrefixSchema.default('mimecast/audit-events'),
    /** Delete archived objects after this many days; omitted = keep forever. */
    retentionDays: z.number().int().min(1).optional(),
    /** Days an overwritten or deleted object version is kept before it is removed for good. */
    noncurrentVersionRetentionDays: z.number().int().min(1).max(3650).default(30),
    transitions: transitionsSchema.prefault({}),
    /** E-mail address subscribed to the alarm topic (needs a one-time confirmation); shorthand for one `alarmEmails` entry. */
    alarmEmail: z.email('a valid e-mail address').optional(),
    /** E-mail addresses subscribed to the alarm topic (each confirms once). */
    alarmEmails: z.array(z.email('a valid e-mail address')).max(20).default([]),
    /**
     * An existing SNS topic for the alarms instead of the one the stack creates (its policy and
     * key must let CloudWatch publish: see the deployment guide). No subscriptions are added to it.
     */
    alarmTopicArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, 'an SNS topic ARN')
      .optional(),
    /** The not-configured alarm fires once a source's secret has been empty this many hours. */
    notConfiguredAlarmHours: z.number().int().min(1).max(720).default(24),
    /**
     * Reserved concurrency of each collector (opt-in). Unset by default: Lambda keeps at least 100
     * of the account's concurrency unreserved, and new accounts may have a quota of only 10, so a
     * reservation can make the deployment fail; the DynamoDB lease already keeps runs of one
     * source from overlapping.
     */
    reservedConcurrency: z.number().int().min(1).max(1000).optional(),
    /**
     * S3 Object Lock (WORM) on the archive bucket: every object version is kept at least
     * `retentionDays` in `mode` (GOVERNANCE: users with s3:BypassGovernanceRetention can still
     * delete; COMPLIANCE: nobody, not even the root user, until the retention ends).
     */
    objectLock: z
      .object({
        mode: z.enum(['GOVERNANCE', 'COMPLIANCE']),
        retentionDays: z.number().int().min(1).max(36_500),
      })
      .strict()
      .optional(),
    /** Alarm when the newest archived event is older than this many minutes (or the collector stops reporting). */
    freshnessThresholdMinutes: z.number().int().min(15).max(10_080).default(60),
    /** Retention of the functions' logs and the API access logs. */
    logRetentionDays: logRetentionSchema.default(90),
    /** Days S3 server access logs are kept. */
    accessLogRetentionDays: z.number().int().min(1).max(3650).default(365),
    api: apiSchema.prefault({}),
    athena: athenaSchema.prefault({}),
    compaction: compactionSchema.prefault({}),
    ocsf: ocsfSchema.prefault({}),
    fleet: fleetSchema.prefault({}),
  })
  .strict();

/** The whole configuration, with the checks that span several fields. */
export const appConfigSchema = baseConfigShape.superRefine((config, ctx) => {
  const { retentionDays, transitions, objectLock } = config;
  if (config.fleet.enabled) fleetProblems(config, ctx);
  else perSourceProblems(config, ctx);
  const { securityLake } = config.ocsf;
  // Refinements run even when a field failed: size the environment only when every location parsed.
  const locationsParse =
    securityLake?.customSources.every((s) => parseSecurityLakeLocation(s.location) !== undefined) ?? false;
  if (securityLake !== undefined && !(config.ocsf.enabled && config.compaction.enabled)) {
    ctx.addIssue({
      code: 'custom',
      path: ['ocsf', 'securityLake'],
      message:
        'Security Lake receives the OCSF copy the compactor writes: it needs ocsf.enabled and compaction.enabled',
    });
  } else if (securityLake !== undefined && locationsParse) {
    const targets = JSON.stringify(securityLakeTargetsOf(securityLake));
    const bytes = compactorEnvironmentBytes(config, targets);
    if (bytes > LAMBDA_ENVIRONMENT_LIMIT_BYTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['ocsf', 'securityLake'],
        message: `the compactor lists every custom source (with the external id) in its environment, which may hold ${LAMBDA_ENVIRONMENT_LIMIT_BYTES} bytes; this configuration could need ${bytes}: use a shorter externalId, or fewer or shorter source ids (sources[].id)`,
      });
    }
  }
  if (objectLock !== undefined) {
    // A locked version cannot be removed before its retention ends: rules that try would only
    // pretend to delete (S3 keeps the version), so contradictions are refused up front.
    if (config.noncurrentVersionRetentionDays < objectLock.retentionDays) {
      ctx.addIssue({
        code: 'custom',
        path: ['noncurrentVersionRetentionDays'],
        message: `must be at least objectLock.retentionDays (${objectLock.retentionDays}): locked versions cannot expire before their lock ends`,
      });
    }
    if (retentionDays !== undefined && retentionDays < objectLock.retentionDays) {
      ctx.addIssue({
        code: 'custom',
        path: ['retentionDays'],
        message: `must be at least objectLock.retentionDays (${objectLock.retentionDays}): locked objects cannot be deleted before their lock ends`,
      });
    }
  }
  if (
    config.alarmTopicArn !== undefined &&
    (config.alarmEmail !== undefined || config.alarmEmails.length > 0)
  ) {
    ctx.addIssue({
      code: 'custom',
      path: ['alarmTopicArn'],
      message:
        'subscribe the e-mail addresses to your own topic: alarmEmail(s) only apply to the topic the stack creates',
    });
  }
  if (retentionDays !== undefined) {
    for (const key of ['infrequentAccessAfterDays', 'glacierInstantRetrievalAfterDays'] as const) {
      const days = transitions[key];
      if (days !== undefined && days >= retentionDays) {
        ctx.addIssue({
          code: 'custom',
          path: ['transitions', key],
          message: `transition after ${days} days is not before retentionDays (${retentionDays}): objects would expire first`,
        });
      }
    }
  }
  // Steady-state lag is about one schedule interval plus the collector's settle time; a
  // threshold below twice the interval plus the longest settle time would keep the freshness
  // alarm permanently firing.
  const settleMinutes = Math.ceil(
    Math.max(config.settleSeconds, ...config.sources.map((s) => s.settleSeconds ?? 0)) / 60,
  );
  // Per-source schedules exist in fleet mode only (refused otherwise).
  const schedule = Math.max(config.scheduleMinutes, ...config.sources.map((s) => s.scheduleMinutes ?? 0));
  const minimum = 2 * schedule + settleMinutes;
  if (config.freshnessThresholdMinutes < minimum) {
    ctx.addIssue({
      code: 'custom',
      path: ['freshnessThresholdMinutes'],
      message: `must be at least ${minimum} (2 × scheduleMinutes + the longest settle time in minutes) or the alarm fires during normal operation`,
    });
  }
});

/** The configuration as the refinements see it (defaults filled in). */
type ParsedConfig = z.output<typeof baseConfigShape>;
type RefinementContext = z.core.$RefinementCtx<ParsedConfig>;

/** One collector per source: the stack's resource budget and the query function's environment bound the sources. */
function perSourceProblems(config: ParsedConfig, ctx: RefinementContext): void {
  if (config.sources.length > MAX_SOURCES) {
    ctx.addIssue({
      code: 'custom',
      path: ['sources'],
      message: `at most ${MAX_SOURCES} sources: each adds ${RESOURCES_PER_SOURCE} CloudFormation resources (a stack holds 500); fleet mode (fleet.enabled, docs/mssp.md) holds up to ${MAX_FLEET_SOURCES}`,
    });
  }
  config.sources.forEach((s, i) => {
    if (s.scheduleMinutes !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['sources', i, 'scheduleMinutes'],
        message:
          'a schedule per source needs fleet mode (fleet.enabled); otherwise every source runs every scheduleMinutes',
      });
    }
  });
  const environmentBytes = queryEnvironmentBytes(config);
  if (environmentBytes > LAMBDA_ENVIRONMENT_LIMIT_BYTES) {
    ctx.addIssue({
      code: 'custom',
      path: ['sources'],
      message: `the query function lists every source in its environment, which may hold ${LAMBDA_ENVIRONMENT_LIMIT_BYTES} bytes; these sources could need ${environmentBytes}: use fewer sources or shorter ids`,
    });
  }
}

/**
 * Fleet mode: the compactor keeps Athena's view of the sources current, the sources seed the
 * registry through one custom resource (its request must stay small), and the per-source
 * collector options have fleet equivalents.
 */
function fleetProblems(config: ParsedConfig, ctx: RefinementContext): void {
  if (!config.compaction.enabled) {
    ctx.addIssue({
      code: 'custom',
      path: ['compaction', 'enabled'],
      message:
        "fleet mode needs the compactor: it adds the sources added with npm run sources to Athena's source partition projection, without which queries cannot see them",
    });
  }
  if (config.reservedConcurrency !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['reservedConcurrency'],
      message:
        "applies to the per-source collectors; in fleet mode set fleet.maxConcurrentRuns (the one collector's reservation)",
    });
  }
  const seedBytes = seedPropertiesBytes(config);
  if (seedBytes > SEED_PROPERTIES_LIMIT_BYTES) {
    ctx.addIssue({
      code: 'custom',
      path: ['sources'],
      message: `the sources seed the registry through one deployment request, which may carry ${SEED_PROPERTIES_LIMIT_BYTES} bytes; these need ${seedBytes}: declare fewer sources (add the others with npm run sources) or use shorter ids`,
    });
  }
  const keys = new Set(
    config.sources.flatMap((s) => (s.secretKmsKeyArn === undefined ? [] : [s.secretKmsKeyArn])),
  );
  if (keys.size > MAX_FLEET_SECRET_KEYS) {
    ctx.addIssue({
      code: 'custom',
      path: ['sources'],
      message: `at most ${MAX_FLEET_SECRET_KEYS} distinct secretKmsKeyArn values in fleet mode (each is a statement of the source-access role); ${keys.size} given`,
    });
  }
  const threshold = config.fleet.freshnessThresholdMinutes;
  if (threshold !== undefined) {
    const settleMinutes = Math.ceil(
      Math.max(config.settleSeconds, ...config.sources.map((s) => s.settleSeconds ?? 0)) / 60,
    );
    const minimum =
      2 * Math.max(config.scheduleMinutes, ...config.sources.map((s) => s.scheduleMinutes ?? 0)) +
      settleMinutes;
    if (threshold < minimum) {
      ctx.addIssue({
        code: 'custom',
        path: ['fleet', 'freshnessThresholdMinutes'],
        message: `must be at least ${minimum} (2 × the longest schedule + the longest settle time in minutes) or the alarm fires during normal operation`,
      });
    }
  }
}

/** Configuration as written in cdk.json (defaults optional). */
export type AppConfigInput = z.input<typeof appConfigSchema>;
/** Validated configuration with every default filled in. */
export type AppConfig = z.output<typeof appConfigSchema>;
/** One validated source. */
export type SourceSettings = AppConfig['sources'][number];

/** Every address to subscribe to the created alarm topic (`alarmEmail` and `alarmEmails`, each once). */
export function alarmEmailsOf(config: Pick<AppConfig, 'alarmEmail' | 'alarmEmails'>): string[] {
  return [
    ...new Set([...(config.alarmEmail === undefined ? [] : [config.alarmEmail]), ...config.alarmEmails]),
  ];
}

/** Thrown for an invalid configuration; `message` lists every problem, one per line. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid ${CONFIG_CONTEXT_KEY} configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function describePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${String(part)}`;
  return out || '(root)';
}

/**
 * Validates a raw configuration (an object, or the JSON string `-c key=…` gives) and fills in
 * defaults. Throws ConfigError naming every bad field.
 */
export function parseAppConfig(raw: unknown): AppConfig {
  let value = raw;
  if (value === undefined || value === null) {
    throw new ConfigError([
      `missing: set "${CONFIG_CONTEXT_KEY}" in cdk.json context (at least { "sources": [{ "id": "default" }] })`,
    ]);
  }
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw new ConfigError(['the context value is a string but not valid JSON']);
    }
  }
  const result = appConfigSchema.safeParse(value);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => `${describePath(issue.path)}: ${issue.message}`),
    );
  }
  return result.data;
}
