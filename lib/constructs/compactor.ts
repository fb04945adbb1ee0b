/**
 * The compactor: one function for every source, run on a schedule and whenever an archive
 * object is written (S3 → EventBridge), that builds the Parquet copy of closed days (and, when
 * OCSF output is on, their OCSF copy). Its IAM: read the NDJSON, write only under the Parquet
 * and OCSF prefixes, read cursors, take its own leases, and assume exactly the Security Lake
 * provider roles it delivers to.
 */
import * as path from 'node:path';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { archiveTableNames } from '#core/columnar/glue-view.js';
import { parquetRoot } from '#core/columnar/layout.js';
import { compactorKey, VIEW_LEASE } from '#core/columnar/lease.js';
import type { CompactorEnvironment } from '#core/config/env.js';
import { METRICS_NAMESPACE } from '#core/observability.js';
import type { AppConfig } from '../config.js';
import { acknowledgeFunctionBaseline, bucketFinding } from '../nag.js';
import { COMPACTOR_SERVICE_NAME, cursorKey, FUNCTIONS_DIR } from '../names.js';
import type { StackKey } from './encryption.js';
import { ProjectFunction } from './project-function.js';
import type { SecurityLakeTarget } from './security-lake.js';

/** Lambda's maximum: a run compacts days until its time is nearly up, then the next run continues. */
export const COMPACTOR_TIMEOUT = Duration.minutes(15);

/**
 * A day is held as decoded records one object at a time plus one row group and the ids seen
 * (about 100 bytes each); 2048 MB fits a day of COMPACTION_MAX_DAY_RECORDS (2 million) with room,
 * and gives two vCPUs' worth of CPU to the gzip, JSON and Parquet encoding.
 */
export const COMPACTOR_MEMORY_MB = 2048;

/** Props of the compactor. */
export interface CompactorProps {
  stackKey: StackKey;
  archiveBucket: s3.IBucket;
  cursorTable: dynamodb.ITable;
  dataPrefix: string;
  /** The sources it compacts (COMPACTION_SOURCE_IDS; fleet mode: those it finds as well). */
  sourceIds: readonly string[];
  /**
   * Fleet mode: it also compacts the sources added at run time (found in the archive) and adds
   * them to Athena's `source` partition projection; the cursor and lease items it may touch are
   * named by pattern (`source#*`, `compactor#*`) instead of one key per source, so its policy does
   * not grow with the sources.
   */
  anySource?: boolean | undefined;
  /** Settle time plus the largest rescan age of any source, in seconds. */
  closeAfterSeconds: number;
  settings: AppConfig['compaction'];
  /** The Glue database and view the compactor rewrites. */
  athena: Pick<AppConfig['athena'], 'databaseName' | 'tableName'>;
  logRetention: logs.RetentionDays;
  /** The OCSF copy: its prefix in the archive bucket and the Security Lake targets; undefined = off. */
  ocsf?: { prefix: string; securityLakeTargets: readonly SecurityLakeTarget[] } | undefined;
}

/** Function, schedule, S3 trigger and IAM of the compactor. */
export class Compactor extends Construct {
  readonly function: ProjectFunction<CompactorEnvironment>;

  constructor(scope: Construct, id: string, props: CompactorProps) {
    super(scope, id);
    const { settings, ocsf } = props;
    const stack = Stack.of(this);
    const environment: CompactorEnvironment = {
      BUCKET_NAME: props.archiveBucket.bucketName,
      DATA_PREFIX: props.dataPrefix,
      CURSOR_TABLE_NAME: props.cursorTable.tableName,
      // Fleet mode finds the sources in the archive: the environment does not grow with them.
      ...(props.anySource
        ? { COMPACTION_REGISTRY_SOURCES: 'true' }
        : { COMPACTION_SOURCE_IDS: props.sourceIds.join(',') }),
      COMPACTION_CLOSE_AFTER_SECONDS: String(props.closeAfterSeconds),
      TAG_COMPACTED_NDJSON: settings.ndjsonTransition === undefined ? 'false' : 'true',
      ARCHIVE_DATABASE: props.athena.databaseName,
      ARCHIVE_VIEW: props.athena.tableName,
      ...(ocsf === undefined
        ? {}
        : {
            OCSF_OUTPUT: 'true',
            OCSF_PREFIX: ocsf.prefix,
            // The `region=` and `accountId=` of the layout: where the data comes from, this stack.
            OCSF_REGION: stack.region,
            OCSF_ACCOUNT_ID: stack.account,
            ...(ocsf.securityLakeTargets.length === 0
              ? {}
              : { SECURITY_LAKE_TARGETS: JSON.stringify(ocsf.securityLakeTargets) }),
          }),
    };
    this.function = new ProjectFunction(this, 'Function', {
      entry: path.join(FUNCTIONS_DIR, 'compactor', 'handler.ts'),
      description: 'Mimecast audit lake compactor: Parquet copies of closed days',
      environment,
      serviceName: COMPACTOR_SERVICE_NAME,
      metricsNamespace: METRICS_NAMESPACE,
      memorySize: COMPACTOR_MEMORY_MB,
      timeout: COMPACTOR_TIMEOUT,
      logRetention: props.logRetention,
      // A failed run is metered and alarmed; the next schedule or S3 event does the work again.
      retryAttempts: 0,
      maxEventAge: Duration.hours(1),
    });
    this.grantCompaction(props);
    acknowledgeFunctionBaseline(this.function);

    new events.Rule(this, 'Schedule', {
      description: 'Runs the Mimecast audit lake compactor',
      schedule: events.Schedule.rate(Duration.minutes(settings.scheduleMinutes)),
      targets: [
        new eventTargets.LambdaFunction(this.function, { retryAttempts: 2, maxEventAge: Duration.hours(1) }),
      ],
    });
    // A closed day that changes (a late merge, a redone window) is rebuilt at once instead of at
    // the next scheduled run. Every archive write comes here; the compactor drops those of open days.
    new events.Rule(this, 'ArchiveWrites', {
      description: 'Archive objects written: the compactor rebuilds the day if it is closed',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [props.archiveBucket.bucketName] },
          object: { key: [{ prefix: `${props.dataPrefix}/` }] },
        },
      },
      targets: [
        new eventTargets.LambdaFunction(this.function, { retryAttempts: 2, maxEventAge: Duration.hours(1) }),
      ],
    });
  }

  private grantCompaction(props: CompactorProps): void {
    const role = this.function.executionRole;
    const { archiveBucket, dataPrefix, cursorTable, stackKey, ocsf } = props;
    const parquet = parquetRoot(dataPrefix);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadTheNdjsonArchive',
        actions: ['s3:GetObject'],
        resources: [archiveBucket.arnForObjects(`${dataPrefix}/*`)],
      }),
    );
    if (props.settings.ndjsonTransition !== undefined) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'TagCompactedNdjsonForTheColderStorageClass',
          actions: ['s3:PutObjectTagging'],
          resources: [archiveBucket.arnForObjects(`${dataPrefix}/*`)],
        }),
      );
    }
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteTheParquetCopy',
        // GetObject also answers HeadObject (the fingerprint check); the multipart actions are the upload's.
        actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        resources: [archiveBucket.arnForObjects(`${parquet}/*`)],
      }),
    );
    if (ocsf !== undefined) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'WriteTheOcsfCopy',
          // Written once per source, day and class and never read back; the multipart actions are the upload's.
          actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
          resources: [archiveBucket.arnForObjects(`${ocsf.prefix}/*`)],
        }),
      );
      const providerRoles = [...new Set(ocsf.securityLakeTargets.map((t) => t.roleArn))];
      if (providerRoles.length > 0) {
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            sid: 'AssumeTheSecurityLakeProviderRoles',
            // Writes to Security Lake's bucket go through these roles (Security Lake grants them
            // the custom sources' prefixes); this role has no right on that bucket itself. The
            // external id is enforced by the provider roles' trust policies.
            actions: ['sts:AssumeRole'],
            resources: providerRoles,
          }),
        );
      }
    }
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListTheArchiveAndTheParquetCopy',
        actions: ['s3:ListBucket'],
        resources: [archiveBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${dataPrefix}/*`, `${parquet}/*`] } },
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadCursorsTakeCompactorLeases',
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [cursorTable.tableArn],
        conditions: props.anySource
          ? // `compactor#*` covers the view lease (`compactor#~view`) too.
            { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [cursorKey('*'), compactorKey('*')] } }
          : {
              'ForAllValues:StringEquals': {
                'dynamodb:LeadingKeys': [
                  ...props.sourceIds.flatMap((id) => [cursorKey(id), compactorKey(id)]),
                  compactorKey(VIEW_LEASE),
                ],
              },
            },
      }),
    );
    const stack = Stack.of(this);
    const tableArn = (name: string) =>
      stack.formatArn({
        service: 'glue',
        resource: 'table',
        resourceName: `${props.athena.databaseName}/${name}`,
      });
    if (props.anySource) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ListTheSourceRegistry',
          // The sources added at run time. Scan has no partition key to condition on; the reader
          // keeps the `source-config#` items, which hold settings and secret ARNs, no secret.
          actions: ['dynamodb:Scan'],
          resources: [cursorTable.tableArn],
        }),
      );
      const tables = archiveTableNames(props.athena.tableName);
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'AddSourcesToTheArchiveTablesProjection',
          // Read the two tables behind the view and rewrite them with sources added to the
          // `source` enum (projected-sources.ts); Glue checks the catalog and database too.
          actions: ['glue:GetTable', 'glue:UpdateTable'],
          resources: [
            stack.formatArn({ service: 'glue', resource: 'catalog' }),
            stack.formatArn({
              service: 'glue',
              resource: 'database',
              resourceName: props.athena.databaseName,
            }),
            tableArn(tables.ndjson),
            tableArn(tables.parquet),
          ],
        }),
      );
    }
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'RewriteTheArchiveView',
        // Glue checks the catalog and the database as well as the table (view) it updates.
        actions: ['glue:UpdateTable'],
        resources: [
          stack.formatArn({ service: 'glue', resource: 'catalog' }),
          stack.formatArn({ service: 'glue', resource: 'database', resourceName: props.athena.databaseName }),
          tableArn(props.athena.tableName),
        ],
      }),
    );
    stackKey.grantObjectReadWrite(role);
    stackKey.grantItemReadWrite(role);

    const bucket = bucketFinding(archiveBucket);
    for (const prefix of [dataPrefix, parquet]) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[${bucket}/${prefix}/*]`,
        reason:
          prefix === dataPrefix
            ? 'The compactor reads every NDJSON object of every source (objects are created at run time, one per source, day and window); read-only (and tagging, when NDJSON transitions are on).'
            : 'The compactor writes one Parquet object per source and day under the Parquet prefix, created at run time; no other prefix is writable.',
      });
    }
    if (ocsf !== undefined) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[${bucket}/${ocsf.prefix}/*]`,
        reason:
          'The compactor writes one OCSF Parquet object per source, day and class under the OCSF prefix (keys made at run time in the Security Lake custom-source layout); write-only, no other prefix.',
      });
    }
  }
}
