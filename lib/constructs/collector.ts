/**
 * One source's collector: its credentials secret, the scheduled function, the dead-letter
 * queue for failed invocations, the schedule, and IAM scoped to that source alone.
 */
import * as path from 'node:path';
import { Aws, Duration, RemovalPolicy, Stack, Tags, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { CollectorEnvironment } from '#core/config/env.js';
import { METRICS_NAMESPACE } from '#core/observability.js';
import { SOURCE_TAG_KEY } from '#core/registry/source-config.js';
import type { SourceSettings } from '../config.js';
import { acknowledgeFunctionBaseline, bucketFinding } from '../nag.js';
import { COLLECTOR_SERVICE_NAME, cursorKey, FUNCTIONS_DIR, malformedPrefix, sourcePrefix } from '../names.js';
import { grantForeignSecretKey, type StackKey } from './encryption.js';
import { ProjectFunction } from './project-function.js';

/**
 * Up to Lambda's 15-minute maximum: a 60-day backfill drains many windows, and a longer run
 * does more of it per lease and cold start. Steady-state runs finish in seconds; the collector
 * stops starting windows when less than its safety margin remains, so it never times out mid-window
 * (and if it did, the pending window is redone by the next run).
 */
export const COLLECTOR_TIMEOUT = Duration.minutes(15);

/**
 * Lambda gives CPU in proportion to memory; gzip and JSON parsing are CPU-bound, and a dense
 * window (up to MAX_EVENTS_PER_WINDOW events) is held in memory before it is written.
 * 1024 MB is comfortably above that peak and about the point where more memory stops paying off.
 */
export const COLLECTOR_MEMORY_MB = 1024;

/**
 * Failed runs are not retried by Lambda: the next scheduled run (minutes later) redoes the
 * pending window from the cursor anyway, and credential failures would only fail again. Each
 * failed run is metered (RunFailures) and alarmed from there; it is not also sent to the
 * dead-letter queue, which would only page twice for the same failure.
 */
export const COLLECTOR_RETRY_ATTEMPTS = 0;

/**
 * An invocation Lambda cannot start at once (the account's concurrency is exhausted) waits in
 * Lambda's queue; after this long it is dropped: the next tick's run does the same work, and a
 * collector that stops running altogether trips the freshness alarm.
 */
export const COLLECTOR_MAX_EVENT_AGE = Duration.hours(1);

/** How long failed invocations stay in the dead-letter queue for inspection (SQS maximum). */
export const DEAD_LETTER_RETENTION = Duration.days(14);

/** Props of a SourceCollector. */
export interface SourceCollectorProps {
  source: SourceSettings;
  stackKey: StackKey;
  archiveBucket: s3.IBucket;
  cursorTable: dynamodb.ITable;
  dataPrefix: string;
  lookbackDays: number;
  /** The source's settle time (its own, or the stack's default). */
  settleSeconds: number;
  /** The source's rescan ages (its own, or the stack's default); empty: no rescans. */
  rescanAfterSeconds: readonly number[];
  scheduleMinutes: number;
  logRetention: logs.RetentionDays;
  /** Opt-in reserved concurrency (none by default: see AppConfig.reservedConcurrency). */
  reservedConcurrency?: number | undefined;
}

/** Secret, function, dead-letter queue and schedule of one source. */
export class SourceCollector extends Construct {
  readonly sourceId: string;
  readonly secret: secretsmanager.ISecret;
  /** True when the stack created the (empty) secret and the operator must fill it in. */
  readonly secretCreated: boolean;
  readonly function: ProjectFunction<CollectorEnvironment>;
  readonly deadLetterQueue: sqs.Queue;
  readonly schedule: scheduler.Schedule;
  /** Role EventBridge Scheduler assumes to invoke the function and dead-letter failed deliveries. */
  readonly schedulerRole: iam.Role;

  constructor(scope: Construct, id: string, props: SourceCollectorProps) {
    super(scope, id);
    const { source, stackKey, archiveBucket, cursorTable, dataPrefix } = props;
    this.sourceId = source.id;

    this.secretCreated = source.secretArn === undefined;
    this.secret = source.secretArn
      ? secretsmanager.Secret.fromSecretCompleteArn(this, 'Secret', source.secretArn)
      : createEmptySecret(this, source.id, stackKey);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: stackKey.key,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter destination of the collector (Lambda on-failure destination and Scheduler DLQ); a dead-letter queue for it would never receive anything.',
    });

    const environment: CollectorEnvironment = {
      MIMECAST_SECRET_ID: this.secret.secretArn,
      SOURCE_ID: source.id,
      BUCKET_NAME: archiveBucket.bucketName,
      DATA_PREFIX: dataPrefix,
      CURSOR_TABLE_NAME: cursorTable.tableName,
      LOOKBACK_DAYS: props.lookbackDays,
      SETTLE_SECONDS: props.settleSeconds,
      RESCAN_AFTER_SECONDS: props.rescanAfterSeconds.join(','),
    };
    this.function = new ProjectFunction(this, 'Function', {
      entry: path.join(FUNCTIONS_DIR, 'collector', 'handler.ts'),
      description: `Copies Mimecast audit events of source "${source.id}" to S3`,
      environment,
      serviceName: COLLECTOR_SERVICE_NAME,
      metricsNamespace: METRICS_NAMESPACE,
      memorySize: COLLECTOR_MEMORY_MB,
      timeout: COLLECTOR_TIMEOUT,
      logRetention: props.logRetention,
      // No reservation unless asked for: the DynamoDB lease already keeps runs of one source
      // from overlapping (a second one ends with lease_held), and a reservation can make the
      // deployment fail on accounts with a small concurrency quota (docs/deploy.md, Prerequisites).
      reservedConcurrentExecutions: props.reservedConcurrency,
      retryAttempts: COLLECTOR_RETRY_ATTEMPTS,
      maxEventAge: COLLECTOR_MAX_EVENT_AGE,
    });
    this.grantCollectorAccess(props);
    acknowledgeFunctionBaseline(this.function);

    // The schedule's own role (instead of the shared one the target would create) so its
    // permissions and their acknowledgement stay with this source.
    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: `EventBridge Scheduler: invokes the collector of source "${source.id}"`,
    });
    // The dead-letter queue is KMS-encrypted: sending to it needs a data key, via SQS only.
    stackKey.grantVia(this.schedulerRole, ['kms:GenerateDataKey', 'kms:Decrypt'], ['sqs']);
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: `Runs the Mimecast audit collector of source "${source.id}"`,
      schedule: scheduler.ScheduleExpression.rate(Duration.minutes(props.scheduleMinutes)),
      target: new targets.LambdaInvoke(this.function, {
        role: this.schedulerRole,
        // Delivery failures (not function errors) are retried until the next tick would
        // supersede them, then land in the same alarmed dead-letter queue.
        retryAttempts: 3,
        maxEventAge: Duration.minutes(Math.max(1, props.scheduleMinutes)),
        deadLetterQueue: this.deadLetterQueue,
      }),
    });
    const fnArn = `<${Stack.of(this).getLogicalId(this.function.node.defaultChild as lambda.CfnFunction)}.Arn>`;
    Validations.of(this.schedulerRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${fnArn}:*]`,
      reason:
        'lambda:InvokeFunction on the collector function only; CDK grants the ":*" form so version/alias-qualified ARNs work too. No other function is reachable.',
    });
  }

  /** Least privilege: this source's S3 prefixes, its cursor item, its secret, the key via those services. */
  private grantCollectorAccess(props: SourceCollectorProps): void {
    const { source, archiveBucket, cursorTable, dataPrefix, stackKey } = props;
    const role = this.function.executionRole;
    const prefixes = [sourcePrefix(dataPrefix, source.id), malformedPrefix(dataPrefix, source.id)];
    // Put: new windows. Get: a rescan reads a window's objects back to merge late events into
    // them. Delete: a pending window that is split first removes what an earlier attempt wrote
    // under its keys (in the versioned bucket a delete marker; the version stays recoverable).
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'OwnSourcePrefixesOnly',
        actions: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
        resources: prefixes.map((prefix) => archiveBucket.arnForObjects(`${prefix}/*`)),
      }),
    );
    // Listing finds those objects; the condition confines it to this source's prefixes
    // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html, s3:prefix).
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListOwnSourcePrefixesOnly',
        actions: ['s3:ListBucket'],
        resources: [archiveBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': prefixes.map((prefix) => `${prefix}/*`) } },
      }),
    );
    // The cursor store reads its item (GetItem) and changes it with conditional UpdateItem only.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'OwnCursorItemOnly',
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [cursorTable.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [cursorKey(source.id)] } },
      }),
    );
    // DescribeSecret tells a secret created without a value (not configured yet) from a missing one.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadOwnSecretOnly',
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: [this.secret.secretArn],
      }),
    );
    // Writing SSE-KMS objects needs data keys, reading them back Decrypt; DynamoDB's customer-managed
    // key use for item reads and writes; reading the secret needs Decrypt only.
    stackKey.grantObjectReadWrite(role);
    stackKey.grantItemReadWrite(role);
    stackKey.grantVia(role, ['kms:Decrypt'], ['secretsmanager']);
    if (source.secretKmsKeyArn) grantForeignSecretKey(role, source.secretKmsKeyArn);

    const finding = bucketFinding(archiveBucket);
    for (const prefix of [sourcePrefix(dataPrefix, source.id), malformedPrefix(dataPrefix, source.id)]) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[${finding}/${prefix}/*]`,
        reason: `Object keys are created at run time (one per day and window); the wildcard is confined to source "${source.id}"'s own prefix ${prefix}/ (put, get, delete of its own window objects).`,
      });
    }
  }
}

/**
 * A secret with no value at all (neither SecretString nor GenerateSecretString): the operator
 * puts the Mimecast credentials in after deployment, and later deployments never overwrite them.
 *
 * Retained, and tagged `mimecast-source=<id>` like the secrets of fleet mode, so that switching
 * to fleet mode (which removes the per-source constructs) keeps the credentials: naming the
 * secret as the source's `secretArn` then lets the fleet's runs read it (docs/mssp.md). Neither
 * a deletion policy nor a tag replaces the secret on update.
 */
function createEmptySecret(scope: Construct, sourceId: string, stackKey: StackKey): secretsmanager.Secret {
  const secret = new secretsmanager.Secret(scope, 'Secret', {
    description: `Mimecast API credentials of source "${sourceId}" (JSON; API 2.0: {"clientId","clientSecret"}; API 1.0: {"baseUrl","appId","appKey","accessKey","secretKey"})`,
    encryptionKey: stackKey.key,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  Tags.of(secret).add(SOURCE_TAG_KEY, sourceId);
  // The L2 construct always generates a random value when none is given; a random string is
  // not valid credentials JSON, so it is removed and CloudFormation creates an empty secret.
  (secret.node.defaultChild as secretsmanager.CfnSecret).addPropertyDeletionOverride('GenerateSecretString');
  // Credentials are issued in the Mimecast console: there is no API to rotate them from AWS.
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      'Mimecast API credentials are issued and revoked in the Mimecast administration console; AWS has no API to rotate them, so a rotation Lambda cannot exist. Replace them with put-secret-value.',
  });
  return secret;
}
