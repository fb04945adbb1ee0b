/**
 * Athena over the archive: a Glue table with partition projection (no crawler, no
 * MSCK REPAIR: new days and sources are queryable the moment they are written), a workgroup
 * that enforces encrypted results and a scan limit, and the saved investigation queries. With
 * OCSF output on, a projected table per OCSF class over the OCSF copy as well.
 */

import { Aws, Duration } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { RECORD_COLUMNS } from '#core/archive/record.js';
import { archiveTableNames, viewTableInput } from '#core/columnar/glue-view.js';
import { parquetRoot } from '#core/columnar/layout.js';
import type { OcsfClassUid } from '#core/ocsf/classify.js';
import { type OcsfField, ocsfFields } from '#core/ocsf/parquet-schema.js';
import { forTable, SAVED_QUERIES } from '../athena/queries.js';
import type { AppConfig } from '../config.js';
import { SECURE_BUCKET_DEFAULTS } from './lake.js';
import { OCSF_CLASS_LAYOUTS, type OcsfClassLayout } from './security-lake.js';

/** JSON SerDe reading the archive's gzip NDJSON (Athena decompresses by the `.gz` suffix). */
export const JSON_SERDE = 'org.openx.data.jsonserde.JsonSerDe';

/**
 * SerDe settings. `ignore.malformed.json` is FALSE: every line is written by the collector with
 * JSON.stringify, so an unparseable line means a corrupt object, and a query should fail loudly
 * rather than silently undercount (malformed Mimecast events are quarantined outside the table).
 * `case.insensitive` is FALSE: the record's keys are already the lower-case column names, and
 * leaving `extra` untouched keeps Mimecast's own field names (and cannot collide on case).
 */
export const SERDE_PARAMETERS = {
  'ignore.malformed.json': 'FALSE',
  'case.insensitive': 'FALSE',
  'dots.in.keys': 'FALSE',
} as const;

/** The Parquet copy's SerDe and formats (Hive's Parquet classes, which Athena reads). */
export const PARQUET_SERDE = 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe';
const PARQUET_INPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat';
const PARQUET_OUTPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat';

/** The tables behind the view (re-exported for the other constructs). */
export { archiveTableNames };

/** Partition projection table properties (exported for tests). */
export function projectionParameters(
  bucketName: string,
  dataPrefix: string,
  sourceIds: string[],
  startDate: string,
): Record<string, string> {
  return {
    'projection.enabled': 'true',
    'projection.source.type': 'enum',
    'projection.source.values': sourceIds.join(','),
    'projection.dt.type': 'date',
    'projection.dt.format': 'yyyy-MM-dd',
    'projection.dt.range': `${startDate},NOW`,
    'projection.dt.interval': '1',
    'projection.dt.interval.unit': 'DAYS',
    // Literal `${source}`/`${dt}`: Athena substitutes them, not CloudFormation (no Fn::Sub here).
    'storage.location.template': `s3://${bucketName}/${dataPrefix}/source=\${source}/dt=\${dt}/`,
  };
}

/** The partition columns of the OCSF tables: Security Lake's layout, lower-case as Athena wants names. */
export const OCSF_PARTITION_KEYS = [
  { name: 'region', type: 'string', comment: 'AWS Region the events were collected in (this stack)' },
  { name: 'accountid', type: 'string', comment: 'AWS account the events were collected in (this stack)' },
  { name: 'eventday', type: 'string', comment: 'UTC day of time, YYYYMMDD' },
] as const;

/** An OCSF Parquet field as a Hive type (INT32 → int, INT64 → bigint, groups → struct<…>). */
function hiveType(field: OcsfField): string {
  switch (field.type) {
    case 'int32':
      return 'int';
    case 'int64':
      return 'bigint';
    case 'string':
    case 'boolean':
      return field.type;
    case 'list<string>':
      return 'array<string>';
    case 'map<string,string>':
      return 'map<string,string>';
    case 'struct':
      return `struct<${field.fields.map((f) => `${f.name}:${hiveType(f)}`).join(',')}>`;
  }
}

/**
 * The columns of one class's OCSF table: exactly the columns of its Parquet files
 * (functions/core/ocsf/parquet-schema.ts), so the table and the files cannot drift apart.
 */
export function ocsfColumns(classUid: OcsfClassUid): Array<{ name: string; type: string }> {
  return ocsfFields(classUid).map((f) => ({ name: f.name, type: hiveType(f) }));
}

/**
 * Partition projection of one class's OCSF table: the region and account are this stack's, the
 * day a `yyyyMMdd` date from the projection start (the range is written in the same format).
 * https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html
 */
export function ocsfProjectionParameters(
  bucketName: string,
  ocsfPrefix: string,
  sourceName: string,
  startDate: string,
): Record<string, string> {
  return {
    'projection.enabled': 'true',
    'projection.region.type': 'enum',
    'projection.region.values': Aws.REGION,
    'projection.accountid.type': 'enum',
    'projection.accountid.values': Aws.ACCOUNT_ID,
    'projection.eventday.type': 'date',
    'projection.eventday.format': 'yyyyMMdd',
    'projection.eventday.range': `${startDate.replace(/-/g, '')},NOW`,
    'projection.eventday.interval': '1',
    'projection.eventday.interval.unit': 'DAYS',
    // Literal `${…}`: Athena substitutes them, not CloudFormation (no Fn::Sub here).
    'storage.location.template': `s3://${bucketName}/${ocsfPrefix}/ext/${sourceName}/region=\${region}/accountId=\${accountid}/eventDay=\${eventday}/`,
  };
}

/** The Glue table of one OCSF class. */
export const ocsfTableName = (tableName: string, layout: Pick<OcsfClassLayout, 'tableSuffix'>): string =>
  `${tableName}_ocsf_${layout.tableSuffix}`;

/** Props of the AuditAthena construct. */
export interface AuditAthenaProps {
  key: kms.IKey;
  archiveBucket: s3.IBucket;
  accessLogsBucket: s3.IBucket;
  dataPrefix: string;
  sourceIds: string[];
  settings: AppConfig['athena'];
  /** The OCSF copy's prefix in the archive bucket; undefined = OCSF output off (no tables). */
  ocsf?: { prefix: string } | undefined;
}

/** Glue database + projected table, results bucket, workgroup and saved queries. */
export class AuditAthena extends Construct {
  readonly resultsBucket: s3.Bucket;
  readonly database: glue.CfnDatabase;
  /** The view analysts query (`athena.tableName`): Parquet for closed days, NDJSON for the rest. */
  readonly table: glue.CfnTable;
  /** The gzip NDJSON archive (the system of record). */
  readonly ndjsonTable: glue.CfnTable;
  /** The Parquet copy of closed days. */
  readonly parquetTable: glue.CfnTable;
  /** One table per OCSF class over the OCSF copy (none when OCSF output is off). */
  readonly ocsfTables: glue.CfnTable[];
  readonly workGroup: athena.CfnWorkGroup;
  readonly namedQueries: athena.CfnNamedQuery[];

  constructor(scope: Construct, id: string, props: AuditAthenaProps) {
    super(scope, id);
    const { settings } = props;

    this.resultsBucket = new s3.Bucket(this, 'ResultsBucket', {
      ...SECURE_BUCKET_DEFAULTS,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.key,
      bucketKeyEnabled: true,
      // Results are copies of archive data: keep them only as long as someone may download them.
      lifecycleRules: [
        {
          id: 'query-results-expiry',
          expiration: Duration.days(settings.resultsRetentionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 'athena-results/',
    });

    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: {
        name: settings.databaseName,
        description: 'Mimecast audit events archived by the Mimecast audit lake',
      },
    });

    const names = archiveTableNames(settings.tableName);
    const partitionKeys = [
      { name: 'source', type: 'string', comment: 'Configured source id' },
      { name: 'dt', type: 'string', comment: 'UTC day of event_time, YYYY-MM-DD' },
    ];
    const columns = RECORD_COLUMNS.map((c) => ({ name: c.name, type: c.type }));
    const bucket = props.archiveBucket.bucketName;
    this.ndjsonTable = new glue.CfnTable(this, 'NdjsonTable', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: settings.databaseName,
      tableInput: {
        name: names.ndjson,
        description: 'The archive as written: gzip NDJSON, one row per event (query the view instead)',
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          EXTERNAL: 'TRUE',
          classification: 'json',
          compressionType: 'gzip',
          ...projectionParameters(bucket, props.dataPrefix, props.sourceIds, settings.projectionStartDate),
        },
        partitionKeys,
        storageDescriptor: {
          columns,
          location: `s3://${bucket}/${props.dataPrefix}/`,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          compressed: true,
          serdeInfo: { serializationLibrary: JSON_SERDE, parameters: { ...SERDE_PARAMETERS } },
        },
      },
    });
    this.parquetTable = new glue.CfnTable(this, 'ParquetTable', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: settings.databaseName,
      tableInput: {
        name: names.parquet,
        description: 'Parquet copy of closed days, one object per source and day (query the view instead)',
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          EXTERNAL: 'TRUE',
          classification: 'parquet',
          ...projectionParameters(
            bucket,
            parquetRoot(props.dataPrefix),
            props.sourceIds,
            settings.projectionStartDate,
          ),
        },
        partitionKeys,
        storageDescriptor: {
          columns,
          location: `s3://${bucket}/${parquetRoot(props.dataPrefix)}/`,
          inputFormat: PARQUET_INPUT_FORMAT,
          outputFormat: PARQUET_OUTPUT_FORMAT,
          serdeInfo: { serializationLibrary: PARQUET_SERDE },
        },
      },
    });
    // The view keeps the logical id and name the NDJSON table had before the Parquet copy
    // existed, so an existing deployment updates it in place and saved SQL keeps working.
    this.table = new glue.CfnTable(this, 'Table', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: settings.databaseName,
      // No day is in Parquet yet: the compactor moves each source's boundary as it compacts, and
      // CloudFormation rewrites the view only when this definition itself changes.
      tableInput: viewTableInput(
        { database: settings.databaseName, view: settings.tableName, ...names },
        new Map(),
      ),
    });
    this.ocsfTables =
      props.ocsf === undefined
        ? []
        : this.ocsfTablesOver(bucket, props.ocsf.prefix, settings.databaseName, settings);
    for (const table of [this.ndjsonTable, this.parquetTable, ...this.ocsfTables])
      table.addResourceDependency(this.database);
    this.table.addResourceDependency(this.ndjsonTable);
    this.table.addResourceDependency(this.parquetTable);

    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: settings.workGroupName,
      description: 'Queries over the Mimecast audit archive (encrypted results, per-query scan limit)',
      state: 'ENABLED',
      // Deleting the stack removes the workgroup with its saved queries; the data stays in S3.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        // Clients cannot override the result location, encryption or scan limit.
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: Math.round(settings.bytesScannedCutoffPerQueryGB * 1e9),
        // The saved SQL is written and tested for engine 3 (Trino); a major engine change should be deliberate.
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${this.resultsBucket.bucketName}/results/`,
          expectedBucketOwner: Aws.ACCOUNT_ID,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: props.key.keyArn },
        },
      },
    });

    this.namedQueries = SAVED_QUERIES.map((q) => {
      const named = new athena.CfnNamedQuery(this, q.key, {
        name: q.name,
        description: q.description,
        database: settings.databaseName,
        // Ref of the workgroup: creates the dependency, and the query lives in this workgroup.
        workGroup: this.workGroup.ref,
        queryString: forTable(q.sql, settings.tableName),
      });
      named.addResourceDependency(this.table);
      return named;
    });
  }

  /** The OCSF tables: Parquet, one per class, projected over the Security Lake custom-source layout. */
  private ocsfTablesOver(
    bucket: string,
    prefix: string,
    databaseName: string,
    settings: AppConfig['athena'],
  ): glue.CfnTable[] {
    return OCSF_CLASS_LAYOUTS.map((layout) => {
      const id = layout.tableSuffix.replace(/(^|_)([a-z])/g, (_m, _s, c: string) => c.toUpperCase());
      return new glue.CfnTable(this, `Ocsf${id}Table`, {
        catalogId: Aws.ACCOUNT_ID,
        databaseName,
        tableInput: {
          name: ocsfTableName(settings.tableName, layout),
          description: `OCSF 1.1.0 ${layout.className} (${layout.classUid}) events of compacted days, one Parquet object per source and day`,
          tableType: 'EXTERNAL_TABLE',
          parameters: {
            EXTERNAL: 'TRUE',
            classification: 'parquet',
            ...ocsfProjectionParameters(bucket, prefix, layout.sourceName, settings.projectionStartDate),
          },
          partitionKeys: OCSF_PARTITION_KEYS.map((k) => ({ ...k })),
          storageDescriptor: {
            columns: ocsfColumns(layout.classUid),
            location: `s3://${bucket}/${prefix}/ext/${layout.sourceName}/`,
            inputFormat: PARQUET_INPUT_FORMAT,
            outputFormat: PARQUET_OUTPUT_FORMAT,
            serdeInfo: { serializationLibrary: PARQUET_SERDE },
          },
        },
      });
    });
  }
}
