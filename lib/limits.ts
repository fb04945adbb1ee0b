/**
 * What one stack can hold, so the configuration accepts only what synthesizes and deploys:
 * CloudFormation's 500 resources per stack and Lambda's 4 KB of environment variables per
 * function (the query function lists every source in SOURCES). The per-source and base counts
 * are checked against the synthesized template by test/infra/limits.test.ts.
 */
import type { AppConfigInput } from './config.js';

/** CloudFormation accepts 500 resources per stack; the stack stays under 450 for headroom. */
export const MAX_STACK_RESOURCES = 450;
/** Resources of the stack whatever the number of sources (lake, key, API, query function, stack alarms…). */
export const BASE_RESOURCES = 57;
/** Resources each source adds (secret, function, role, policy, log group, schedule, its role and policy, queue, alarms…). */
export const RESOURCES_PER_SOURCE = 19;
/** The most sources one stack holds within MAX_STACK_RESOURCES. */
export const MAX_SOURCES = Math.floor((MAX_STACK_RESOURCES - BASE_RESOURCES) / RESOURCES_PER_SOURCE);

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
