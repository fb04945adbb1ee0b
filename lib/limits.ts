/**
 * What one stack can hold, so the configuration accepts only what synthesizes and deploys:
 * CloudFormation's 500 resources per stack and Lambda's 4 KB of environment variables per
 * function (the query function lists every source in SOURCES). The per-source and base counts
 * are checked against the synthesized template by test/infra/limits.test.ts.
 */
import type { SeedPayload } from '../functions/seed/payload.js';
import type { AppConfig, AppConfigInput } from './config.js';

/** CloudFormation accepts 500 resources per stack; the stack stays under 450 for headroom. */
export const MAX_STACK_RESOURCES = 450;
/**
 * Resources of the stack whatever the number of sources (lake, key, API, query function, stack
 * alarms, the six OCSF tables…), in the default configuration; `ocsf.securityLake` adds one (the
 * crawler role, its policy inline), as other options do, within the headroom below 500.
 */
export const BASE_RESOURCES = 63;
/** Resources each source adds (secret, function, role, policy, log group, schedule, its role and policy, queue, alarms…). */
export const RESOURCES_PER_SOURCE = 19;
/** The most sources one stack holds within MAX_STACK_RESOURCES. */
export const MAX_SOURCES = Math.floor((MAX_STACK_RESOURCES - BASE_RESOURCES) / RESOURCES_PER_SOURCE);

/**
 * Fleet mode (docs/mssp.md): sources are registry items, not resources, so the stack has the same
 * resources for 1 source as for MAX_FLEET_SOURCES (FLEET_RESOURCES in the default configuration,
 * checked by test/infra/fleet.test.ts). The bound is the declared sources' seed request and the
 * collector fleet one dispatcher starts each minute, not CloudFormation.
 */
export const MAX_FLEET_SOURCES = 2000;
/** Resources of a fleet-mode stack in the default configuration, whatever the number of sources. */
export const FLEET_RESOURCES = 103;
/** Distinct `secretKmsKeyArn` values in fleet mode (one statement each on the source-access role). */
export const MAX_FLEET_SECRET_KEYS = 10;

/**
 * The seed custom resource's properties at most: an Update request carries them twice (new and
 * old properties), and CloudFormation invokes the provider asynchronously, whose payload Lambda
 * limits to 256 KB (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
 */
export const SEED_PROPERTIES_LIMIT_BYTES = 100_000;

/** The seed payload of `config`'s sources: what they set themselves over the stack's defaults. */
export function seedPayloadOf(
  config: Pick<
    AppConfig,
    'sources' | 'scheduleMinutes' | 'lookbackDays' | 'settleSeconds' | 'rescanAfterSeconds'
  >,
): SeedPayload {
  return {
    defaults: {
      scheduleMinutes: config.scheduleMinutes,
      lookbackDays: config.lookbackDays,
      settleSeconds: config.settleSeconds,
      rescanAfterSeconds: [...config.rescanAfterSeconds],
    },
    sources: config.sources.map((s) => ({
      id: s.id,
      ...(s.secretArn === undefined ? {} : { secretArn: s.secretArn }),
      ...(s.scheduleMinutes === undefined ? {} : { scheduleMinutes: s.scheduleMinutes }),
      ...(s.settleSeconds === undefined ? {} : { settleSeconds: s.settleSeconds }),
      ...(s.rescanAfterSeconds === undefined ? {} : { rescanAfterSeconds: [...s.rescanAfterSeconds] }),
    })),
  };
}

/** Bytes of the seed payload's JSON (the custom resource's `Payload` property). */
export function seedPropertiesBytes(config: Parameters<typeof seedPayloadOf>[0]): number {
  return Buffer.byteLength(JSON.stringify(seedPayloadOf(config)), 'utf8');
}

/** Lambda's limit on the total size of a function's environment variables (keys and values). */
export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;

/**
 * The longest ARN a secret the stack creates can have: `arn:<partition>:secretsmanager:<region>:
 * <account>:secret:<name>-<6>`, where CloudFormation names it `<logical id>-<12 random>` and the
 * logical id is `Source<id><Secret><8-hex hash>` (partition ≤ 10, region ≤ 14 characters).
 */
export function createdSecretArnLength(sourceId: string): number {
  const name = `Source${sourceId.replace(/[^A-Za-z0-9]/g, '')}Secret12345678-123456789012`;
  return `arn:aws-us-gov:secretsmanager:ap-southeast-4:123456789012:secret:${name}-AbCdEf`.length;
}

/** Longest values of the query function's other variables (generated names are at most this long). */
const OTHER_VARIABLES_BYTES =
  ['MIMECAST_SECRET_ID', 'SOURCE_ID', 'BUCKET_NAME', 'DATA_PREFIX', 'CURSOR_TABLE_NAME', 'SOURCES'].join('')
    .length +
  ['NODE_OPTIONS', 'POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_METRICS_NAMESPACE'].join('').length +
  // Archive queries (their names' lengths are added from the configuration).
  ['ARCHIVE_WORKGROUP', 'ARCHIVE_DATABASE', 'ARCHIVE_TABLE', 'ARCHIVE_QUERY_RETENTION_DAYS'].join('').length +
  2 +
  '--enable-source-maps'.length +
  'mimecast-audit-query'.length +
  'MimecastAuditLake'.length +
  // Bucket names are at most 63 characters, generated table names at most 255.
  63 +
  255;

/**
 * The largest the query function's environment can be for `config` once CloudFormation has
 * resolved every name: SOURCES holds `{"id","secretId"}` per source (only with several sources).
 */
export function queryEnvironmentBytes(
  config: Pick<AppConfigInput, 'sources' | 'dataPrefix' | 'athena'>,
): number {
  const archiveNames =
    (config.athena?.workGroupName ?? 'mimecast-audit-lake').length +
    (config.athena?.databaseName ?? 'mimecast_audit_lake').length +
    (config.athena?.tableName ?? 'audit_events').length;
  const arnOf = (s: { id: string; secretArn?: string | undefined }) =>
    s.secretArn?.length ?? createdSecretArnLength(s.id);
  const [first] = config.sources;
  if (first === undefined) return OTHER_VARIABLES_BYTES + archiveNames;
  const sources =
    config.sources.length > 1
      ? 2 + config.sources.reduce((n, s) => n + `{"id":"${s.id}","secretId":""},`.length + arnOf(s), 0)
      : 0;
  return (
    OTHER_VARIABLES_BYTES +
    archiveNames +
    arnOf(first) +
    first.id.length +
    (config.dataPrefix ?? 'mimecast/audit-events').length +
    sources
  );
}

/** Longest values of the compactor's variables that do not come from the configuration. */
const COMPACTOR_FIXED_BYTES =
  [
    'BUCKET_NAME',
    'DATA_PREFIX',
    'CURSOR_TABLE_NAME',
    'COMPACTION_SOURCE_IDS',
    'COMPACTION_REGISTRY_SOURCES',
    'COMPACTION_CLOSE_AFTER_SECONDS',
    'TAG_COMPACTED_NDJSON',
    'ARCHIVE_DATABASE',
    'ARCHIVE_VIEW',
    'OCSF_OUTPUT',
    'OCSF_PREFIX',
    'OCSF_REGION',
    'OCSF_ACCOUNT_ID',
    'SECURITY_LAKE_TARGETS',
    'NODE_OPTIONS',
    'POWERTOOLS_SERVICE_NAME',
    'POWERTOOLS_METRICS_NAMESPACE',
  ].join('').length +
  '--enable-source-maps'.length +
  'mimecast-audit-compactor'.length +
  'MimecastAuditLake'.length +
  // Bucket name (≤ 63), generated table name (≤ 255), close-after seconds (≤ 7 digits),
  // "false", "true" (twice), region (≤ 14), account id (12).
  63 +
  255 +
  7 +
  5 +
  4 +
  4 +
  14 +
  12;

/**
 * The largest the compactor's environment can be for `config` once CloudFormation has resolved
 * every name: every source id (fleet mode lists none: the compactor finds them in the archive),
 * and SECURITY_LAKE_TARGETS (`targetsJson`, known in full from the configuration) when Security
 * Lake delivery is on.
 */
export function compactorEnvironmentBytes(
  config: Pick<AppConfigInput, 'sources' | 'dataPrefix' | 'athena' | 'fleet'>,
  targetsJson: string | undefined,
): number {
  const dataPrefix = config.dataPrefix ?? 'mimecast/audit-events';
  return (
    COMPACTOR_FIXED_BYTES +
    (config.fleet?.enabled ? 0 : config.sources.map((s) => s.id).join(',').length) +
    dataPrefix.length +
    `${dataPrefix}-ocsf`.length +
    (config.athena?.databaseName ?? 'mimecast_audit_lake').length +
    (config.athena?.tableName ?? 'audit_events').length +
    (targetsJson?.length ?? 0)
  );
}
