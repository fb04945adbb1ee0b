/**
 * Where the data lives: the archive bucket, the bucket receiving S3 server access logs, and
 * the cursor table. All three are retained when the stack is deleted: they hold the audit
 * history and the collector's position in it.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { EXPIRES_AT_ATTRIBUTE } from '#core/archive-query/registry.js';
import type { AppConfig } from '../config.js';

/** Settings the lake needs from the configuration. */
export type LakeSettings = Pick<
  AppConfig,
  | 'retentionDays'
  | 'transitions'
  | 'noncurrentVersionRetentionDays'
  | 'accessLogRetentionDays'
  | 'objectLock'
  | 'compaction'
  | 'dataPrefix'
>;

/** Private, TLS-only, owner-enforced: the baseline every bucket of the stack shares. */
export const SECURE_BUCKET_DEFAULTS = {
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  enforceSSL: true,
  minimumTLSVersion: 1.2,
  objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
  removalPolicy: RemovalPolicy.RETAIN,
} as const;

/** Lifecycle rules of the archive, derived from the configuration (exported for tests). */
export function archiveLifecycleRules(settings: LakeSettings): s3.LifecycleRule[] {
  const rules: s3.LifecycleRule[] = [];
  const transitions: s3.Transition[] = [];
  if (settings.transitions.infrequentAccessAfterDays !== undefined) {
    transitions.push({
      storageClass: s3.StorageClass.INFREQUENT_ACCESS,
      transitionAfter: Duration.days(settings.transitions.infrequentAccessAfterDays),
    });
  }
  if (settings.transitions.glacierInstantRetrievalAfterDays !== undefined) {
    transitions.push({
      storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
      transitionAfter: Duration.days(settings.transitions.glacierInstantRetrievalAfterDays),
    });
  }
  if (transitions.length > 0 || settings.retentionDays !== undefined) {
    rules.push({
      id: 'archive-retention-and-storage-class',
      transitions: transitions.length > 0 ? transitions : undefined,
      expiration: settings.retentionDays !== undefined ? Duration.days(settings.retentionDays) : undefined,
    });
  }
  // NDJSON of compacted days: the compactor tags each object once the day's Parquet copy exists,
  // and only tagged objects move, so the view never has to read a day from the colder class.
  const cold = settings.compaction.enabled ? settings.compaction.ndjsonTransition : undefined;
  if (cold !== undefined) {
    rules.push({
      id: 'compacted-ndjson-storage-class',
      prefix: `${settings.dataPrefix}/`,
      tagFilters: { compacted: 'true' },
      transitions: [
        {
          storageClass:
            cold.storageClass === 'STANDARD_IA'
              ? s3.StorageClass.INFREQUENT_ACCESS
              : s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
          transitionAfter: Duration.days(cold.afterDays),
        },
      ],
    });
  }
  // Versioning protects the history against an accidental overwrite or delete. But the collector
  // overwrites the same keys whenever it redoes a window, and expiry only adds delete markers, so
  // without this rule every superseded copy would be kept (and paid for) forever. Noncurrent
  // versions are kept long enough to notice and undo a mistake, then removed; delete markers
  // left without versions behind them are cleaned up, and so are abandoned multipart uploads.
  rules.push({
    id: 'superseded-versions-cleanup',
    noncurrentVersionExpiration: Duration.days(settings.noncurrentVersionRetentionDays),
    expiredObjectDeleteMarker: true,
    abortIncompleteMultipartUploadAfter: Duration.days(7),
  });
  return rules;
}

/**
 * S3 Object Lock with a default retention on the (already versioned) archive bucket. Set
 * through ObjectLockConfiguration only, whose change CloudFormation applies without replacing
 * the bucket ("Update requires: No interruption",
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-s3-bucket-objectlockconfiguration.html),
 * so it can be turned on for an existing deployment: S3 allows Object Lock on existing versioned
 * buckets (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-configure.html).
 * It cannot be turned off again. Every version the collector writes is then kept for the
 * retention: a redone window writes a new version and a split removes old keys with delete
 * markers, both allowed under either mode; the locked versions stay. Uploads to a bucket with a
 * default retention must carry a checksum, which the SDK adds by default (the collector does not
 * turn that off on Lambda; only the local stand-in needs it off).
 */
function applyObjectLock(bucket: s3.Bucket, lock: NonNullable<LakeSettings['objectLock']>): void {
  const cfn = bucket.node.defaultChild as s3.CfnBucket;
  cfn.objectLockConfiguration = {
    objectLockEnabled: 'Enabled',
    rule: { defaultRetention: { mode: lock.mode, days: lock.retentionDays } },
  };
}

/** Archive bucket, access-log bucket and cursor table. */
export class Lake extends Construct {
  /** gzip NDJSON archive: `<prefix>/source=<id>/dt=<day>/<window>.ndjson.gz`. */
  readonly archiveBucket: s3.Bucket;
  /** Receives S3 server access logs of the stack's other buckets. */
  readonly accessLogsBucket: s3.Bucket;
  /** Collector cursors and leases, one item per source (`pk = source#<id>`). */
  readonly cursorTable: dynamodb.Table;

  constructor(scope: Construct, id: string, props: { key: kms.IKey; settings: LakeSettings }) {
    super(scope, id);
    const { key, settings } = props;

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogsBucket', {
      ...SECURE_BUCKET_DEFAULTS,
      // S3 server access logging can only deliver to buckets encrypted with SSE-S3.
      encryption: s3.BucketEncryption.S3_MANAGED,
      lifecycleRules: [
        {
          id: 'access-log-expiry',
          expiration: Duration.days(settings.accessLogRetentionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This is the access-log destination bucket; logging it into itself would create a log record for every log delivery, without end.',
    });

    this.archiveBucket = new s3.Bucket(this, 'ArchiveBucket', {
      ...SECURE_BUCKET_DEFAULTS,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      // One data key per bucket instead of one KMS call per object: the collector writes many small objects.
      bucketKeyEnabled: true,
      versioned: true,
      lifecycleRules: archiveLifecycleRules(settings),
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'archive/',
    });

    if (settings.objectLock) applyObjectLock(this.archiveBucket, settings.objectLock);
    if (settings.compaction.enabled) {
      // Archive writes reach EventBridge, where the compactor picks up changes of closed days. Set
      // on the bucket resource itself: CloudFormation supports it natively
      // (NotificationConfiguration.EventBridgeConfiguration), with no custom resource.
      const cfn = this.archiveBucket.node.defaultChild as s3.CfnBucket;
      cfn.notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
    }

    this.cursorTable = new dynamodb.Table(this, 'CursorTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      // A handful of small reads and writes per run: on-demand costs cents and never throttles.
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: key,
      // Losing the cursor would make the collector backfill again (harmless but slow); keep it.
      deletionProtection: true,
      // Archive-query registry items (`archive-query#<id>`) carry an expiry; cursor items never do.
      timeToLiveAttribute: EXPIRES_AT_ATTRIBUTE,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
