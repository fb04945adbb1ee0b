/**
 * The Mimecast audit lake stack: wires the constructs together from a validated AppConfig.
 * Environment-agnostic (no account/region lookups), so `cdk synth` runs offline.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { type AppConfig, alarmEmailsOf } from './config.js';
import { AuditAthena } from './constructs/athena.js';
import { SourceCollector } from './constructs/collector.js';
import { Compactor } from './constructs/compactor.js';
import { StackKey } from './constructs/encryption.js';
import { Fleet } from './constructs/fleet.js';
import { Lake } from './constructs/lake.js';
import { Monitoring } from './constructs/monitoring.js';
import { QueryApi } from './constructs/query-api.js';
import { ocsfRoot, SecurityLakeCrawlerRole, securityLakeTargetsOf } from './constructs/security-lake.js';

/** Props of the stack: the validated configuration. */
export interface MimecastAuditLakeStackProps extends StackProps {
  config: AppConfig;
}

/** Everything `cdk deploy` creates. */
export class MimecastAuditLakeStack extends Stack {
  readonly stackKey: StackKey;
  readonly lake: Lake;
  /** One per source (none in fleet mode). */
  readonly collectors: SourceCollector[];
  /** Fleet mode: one collector, dispatcher and registry seed for every source. */
  readonly fleet: Fleet | undefined;
  readonly queryApi: QueryApi;
  readonly athena: AuditAthena;
  readonly compactor: Compactor | undefined;
  /** The Glue crawler role for Security Lake's custom sources (with `ocsf.securityLake` only). */
  readonly securityLake: SecurityLakeCrawlerRole | undefined;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: MimecastAuditLakeStackProps) {
    super(scope, id, {
      description:
        'Mimecast audit lake: audit events archived to S3, queryable with Athena and an authenticated API',
      ...props,
    });
    const { config } = props;
    const logRetention = config.logRetentionDays as logs.RetentionDays;

    this.stackKey = new StackKey(this, 'Encryption');
    this.lake = new Lake(this, 'Lake', { key: this.stackKey.key, settings: config });

    // Fleet mode: the sources seed the registry instead of getting constructs of their own.
    this.fleet = config.fleet.enabled
      ? new Fleet(this, 'Fleet', {
          config,
          stackKey: this.stackKey,
          archiveBucket: this.lake.archiveBucket,
          cursorTable: this.lake.cursorTable,
          logRetention,
        })
      : undefined;
    const perSource = config.fleet.enabled ? [] : config.sources;
    this.collectors = perSource.map(
      (source) =>
        new SourceCollector(this, `Source-${source.id}`, {
          source,
          stackKey: this.stackKey,
          archiveBucket: this.lake.archiveBucket,
          cursorTable: this.lake.cursorTable,
          dataPrefix: config.dataPrefix,
          lookbackDays: config.lookbackDays,
          settleSeconds: source.settleSeconds ?? config.settleSeconds,
          rescanAfterSeconds: source.rescanAfterSeconds ?? config.rescanAfterSeconds,
          scheduleMinutes: config.scheduleMinutes,
          logRetention,
          reservedConcurrency: config.reservedConcurrency,
        }),
    );

    // The compactor writes the OCSF copy, so it exists only with compaction on; the configuration
    // refuses Security Lake delivery otherwise.
    const ocsfPrefix =
      config.compaction.enabled && config.ocsf.enabled ? ocsfRoot(config.dataPrefix) : undefined;
    const securityLake = ocsfPrefix === undefined ? undefined : config.ocsf.securityLake;
    const securityLakeTargets = securityLake === undefined ? [] : securityLakeTargetsOf(securityLake);

    this.athena = new AuditAthena(this, 'Athena', {
      key: this.stackKey.key,
      archiveBucket: this.lake.archiveBucket,
      accessLogsBucket: this.lake.accessLogsBucket,
      dataPrefix: config.dataPrefix,
      sourceIds: config.sources.map((s) => s.id),
      settings: config.athena,
      ocsf: ocsfPrefix === undefined ? undefined : { prefix: ocsfPrefix },
    });

    this.queryApi = new QueryApi(this, 'QueryApi', {
      sources: this.collectors.map((c, i) => ({
        id: c.sourceId,
        secret: c.secret,
        secretKmsKeyArn: config.sources[i]?.secretKmsKeyArn,
      })),
      fleet: config.fleet.enabled
        ? {
            secretKmsKeyArns: [
              ...new Set(
                config.sources.flatMap((s) => (s.secretKmsKeyArn === undefined ? [] : [s.secretKmsKeyArn])),
              ),
            ],
          }
        : undefined,
      stackKey: this.stackKey,
      archiveBucket: this.lake.archiveBucket,
      cursorTable: this.lake.cursorTable,
      dataPrefix: config.dataPrefix,
      api: config.api,
      logRetention,
      archive: {
        workGroup: this.athena.workGroup,
        databaseName: config.athena.databaseName,
        tableName: config.athena.tableName,
        resultsBucket: this.athena.resultsBucket,
        // A query id outlives neither Athena's 45-day query history nor its stored results.
        retentionDays: Math.min(45, config.athena.resultsRetentionDays),
      },
    });

    // A day closes once no source can still add to it: the longest settle time plus rescan age.
    // In fleet mode of the declared sources and the defaults (operator-added sources: docs/mssp.md).
    const closeAfterSeconds = Math.max(
      ...(config.fleet.enabled ? [config.settleSeconds + Math.max(0, ...config.rescanAfterSeconds)] : []),
      ...config.sources.map(
        (s) =>
          (s.settleSeconds ?? config.settleSeconds) +
          Math.max(0, ...(s.rescanAfterSeconds ?? config.rescanAfterSeconds)),
      ),
    );
    this.compactor = config.compaction.enabled
      ? new Compactor(this, 'Compactor', {
          stackKey: this.stackKey,
          archiveBucket: this.lake.archiveBucket,
          cursorTable: this.lake.cursorTable,
          dataPrefix: config.dataPrefix,
          sourceIds: config.sources.map((s) => s.id),
          anySource: config.fleet.enabled,
          closeAfterSeconds,
          settings: config.compaction,
          athena: config.athena,
          logRetention,
          ocsf: ocsfPrefix === undefined ? undefined : { prefix: ocsfPrefix, securityLakeTargets },
        })
      : undefined;
    // Created before any custom source exists (CreateCustomLogSource needs its ARN), and kept in
    // step with them: the crawler reads exactly the custom sources configured.
    this.securityLake =
      securityLake === undefined
        ? undefined
        : new SecurityLakeCrawlerRole(this, 'SecurityLake', { targets: securityLakeTargets });

    this.monitoring = new Monitoring(this, 'Monitoring', {
      key: this.stackKey.key,
      alarmEmails: alarmEmailsOf(config),
      alarmTopicArn: config.alarmTopicArn,
      notConfiguredAlarmHours: config.notConfiguredAlarmHours,
      sources: this.collectors.map((c) => ({
        sourceId: c.sourceId,
        function: c.function,
        deadLetterQueue: c.deadLetterQueue,
      })),
      fleet: this.fleet
        ? {
            collectorFunction: this.fleet.collector,
            failureQueue: this.fleet.failureQueue,
            dispatcherFunction: this.fleet.dispatcher,
            freshnessThresholdMinutes:
              config.fleet.freshnessThresholdMinutes ?? config.freshnessThresholdMinutes,
          }
        : undefined,
      scheduleMinutes: config.scheduleMinutes,
      freshnessThresholdMinutes: config.freshnessThresholdMinutes,
      queryFunction: this.queryApi.function,
      httpApi: this.queryApi.httpApi,
      compactorFunction: this.compactor?.function,
      compactionScheduleMinutes: config.compaction.scheduleMinutes,
    });

    this.addOutputs(config);
  }

  private addOutputs(config: AppConfig): void {
    new CfnOutput(this, 'ApiUrl', {
      description: 'Query API base URL (requests must be SigV4-signed, or carry a JWT in jwt mode)',
      value: this.queryApi.stage.url,
    });
    new CfnOutput(this, 'ArchiveBucketName', { value: this.lake.archiveBucket.bucketName });
    new CfnOutput(this, 'CursorTableName', { value: this.lake.cursorTable.tableName });
    new CfnOutput(this, 'AthenaWorkGroup', { value: this.athena.workGroup.ref });
    new CfnOutput(this, 'GlueDatabase', { value: config.athena.databaseName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });
    if (this.compactor) {
      new CfnOutput(this, 'CompactorFunctionName', {
        description:
          'Builds the Parquet copy of closed days; invoke with {"rebuild":{"from":"YYYY-MM-DD","to":"YYYY-MM-DD"}} to rebuild a range',
        value: this.compactor.function.functionName,
      });
    }
    if (this.securityLake) {
      new CfnOutput(this, 'SecurityLakeCrawlerRoleArn', {
        description:
          'Pass as crawlerConfiguration.roleArn to securitylake create-custom-log-source (docs/security-lake.md)',
        value: this.securityLake.role.roleArn,
      });
    }
    if (this.fleet) {
      new CfnOutput(this, 'FleetCollectorFunctionName', {
        description: 'The one collector of fleet mode (a source per invocation: {"sourceId":"<id>"})',
        value: this.fleet.collector.functionName,
      });
      new CfnOutput(this, 'DispatcherFunctionName', { value: this.fleet.dispatcher.functionName });
      new CfnOutput(this, 'SourceAccessRoleArn', {
        description: 'Assumed by collector runs with the session tag mimecast-source=<id> (docs/mssp.md)',
        value: this.fleet.sourceAccessRole.roleArn,
      });
    }
    for (const c of this.collectors) {
      // Inside the source's construct: its path (hence logical id) is unique even for ids like a-b / ab.
      new CfnOutput(c, 'SecretArn', {
        description: c.secretCreated
          ? `Created empty: put the Mimecast credentials of source "${c.sourceId}" into it`
          : `Existing secret of source "${c.sourceId}"`,
        value: c.secret.secretArn,
      });
      new CfnOutput(c, 'CollectorFunctionName', { value: c.function.functionName });
    }
  }
}
