import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { collectorEnvSchema, queryEnvSchema } from '#core/config/env.js';
import { SOURCE_TAG_KEY } from '#core/registry/source-config.js';
import { COLLECTOR_MEMORY_MB, COLLECTOR_TIMEOUT } from '#lib/constructs/collector.js';
import { RUNTIME_ENVIRONMENT_KEYS } from '#lib/constructs/project-function.js';
import {
  type Built,
  buildStack,
  type CfnResourceJson,
  collectorFunction,
  environmentOf,
  flatten,
  queryFunction,
  resourcesOf,
  single,
} from './helpers.js';

let built: Built;
let template: Template;

beforeAll(() => {
  built = buildStack({
    retentionDays: 3650,
    transitions: { infrequentAccessAfterDays: 90, glacierInstantRetrievalAfterDays: 180 },
  });
  template = built.template;
});

function keyLogicalId(): string {
  return single(template, 'AWS::KMS::Key')[0];
}

function archiveBucket(): [string, CfnResourceJson] {
  return single(template, 'AWS::S3::Bucket', (r) => r.Properties.VersioningConfiguration !== undefined);
}

function accessLogsBucket(): [string, CfnResourceJson] {
  return single(template, 'AWS::S3::Bucket', (_r, id) => id.includes('AccessLogs'));
}

/** The bucket policy statements of a bucket. */
function bucketPolicy(bucketId: string): Array<Record<string, unknown>> {
  const [, policy] = single(
    template,
    'AWS::S3::BucketPolicy',
    (r) => flatten(r.Properties.Bucket) === `<${bucketId}>`,
  );
  return (policy.Properties.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement;
}

/** Asserts the policy denies every non-TLS request and TLS below 1.2 on the bucket and its objects. */
function expectTlsOnly(bucketId: string): void {
  const statements = bucketPolicy(bucketId);
  const insecure = statements.find(
    (s) =>
      s.Effect === 'Deny' &&
      (s.Condition as Record<string, Record<string, string>> | undefined)?.Bool?.['aws:SecureTransport'] ===
        'false',
  );
  expect(insecure?.Action).toBe('s3:*');
  expect(insecure?.Principal).toEqual({ AWS: '*' });
  expect(((insecure?.Resource ?? []) as unknown[]).map(flatten)).toEqual([
    `<${bucketId}.Arn>`,
    `<${bucketId}.Arn>/*`,
  ]);
  const oldTls = statements.find(
    (s) =>
      s.Effect === 'Deny' &&
      (s.Condition as Record<string, Record<string, unknown>> | undefined)?.NumericLessThan?.[
        's3:TlsVersion'
      ] === 1.2,
  );
  expect(oldTls).toBeDefined();
}

describe('encryption key', () => {
  it('is customer-managed, rotated and retained', () => {
    const [, key] = single(template, 'AWS::KMS::Key');

    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
  });

  it('conditions every service principal in the key policy on this account and on the calling resource', () => {
    const [, key] = single(template, 'AWS::KMS::Key');
    const statements = (key.Properties.KeyPolicy as { Statement: Array<Record<string, unknown>> }).Statement;
    const services = statements.filter(
      (s) => typeof s.Principal === 'object' && s.Principal !== null && 'Service' in (s.Principal as object),
    );

    expect(services.length).toBeGreaterThan(0);
    for (const statement of services) {
      const condition = (statement.Condition ?? {}) as Record<string, Record<string, unknown>>;
      const keys = Object.values(condition).flatMap((entries) => Object.keys(entries));
      expect(keys, JSON.stringify(statement.Principal)).toContain('aws:SourceAccount');
      expect(
        keys.includes('aws:SourceArn') || keys.some((k) => k.startsWith('kms:EncryptionContext')),
        JSON.stringify(statement.Principal),
      ).toBe(true);
    }
  });
});

describe('archive bucket', () => {
  it('has no Object Lock unless configured; when configured, a default retention in the given mode, set without replacing the bucket', () => {
    const [, plain] = archiveBucket();
    const { template: locked } = buildStack({
      objectLock: { mode: 'COMPLIANCE', retentionDays: 400 },
      noncurrentVersionRetentionDays: 400,
    });
    const [, bucket] = single(
      locked,
      'AWS::S3::Bucket',
      (r) => r.Properties.VersioningConfiguration !== undefined,
    );

    expect(plain.Properties.ObjectLockConfiguration).toBeUndefined();
    expect(bucket.Properties.ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 400 } },
    });
    // ObjectLockConfiguration changes apply without interruption; the top-level flag is not set
    // so that turning the lock on for an existing deployment keeps the bucket (and its history).
    expect(bucket.Properties.ObjectLockEnabled).toBeUndefined();
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
  });

  it('blocks all public access and enforces bucket-owner ownership', () => {
    const [, bucket] = archiveBucket();

    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.OwnershipControls).toEqual({
      Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }],
    });
  });

  it('is encrypted with the stack key and a bucket key', () => {
    const [, bucket] = archiveBucket();

    expect(bucket.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        {
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: {
            SSEAlgorithm: 'aws:kms',
            KMSMasterKeyID: { 'Fn::GetAtt': [keyLogicalId(), 'Arn'] },
          },
        },
      ],
    });
  });

  it('is versioned, retained, and logs access to the access-log bucket', () => {
    const [, bucket] = archiveBucket();
    const [logsId] = accessLogsBucket();

    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.UpdateReplacePolicy).toBe('Retain');
    expect(bucket.Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: logsId },
      LogFilePrefix: 'archive/',
    });
  });

  it('denies non-TLS and pre-TLS-1.2 requests', () => {
    expectTlsOnly(archiveBucket()[0]);
  });

  it('applies the configured retention and transitions, and expires superseded versions', () => {
    const rules = (
      archiveBucket()[1].Properties.LifecycleConfiguration as { Rules: Array<Record<string, unknown>> }
    ).Rules;

    expect(rules).toContainEqual(
      expect.objectContaining({
        Status: 'Enabled',
        ExpirationInDays: 3650,
        Transitions: [
          { StorageClass: 'STANDARD_IA', TransitionInDays: 90 },
          { StorageClass: 'GLACIER_IR', TransitionInDays: 180 },
        ],
      }),
    );
    expect(rules).toContainEqual(
      expect.objectContaining({
        Status: 'Enabled',
        NoncurrentVersionExpiration: { NoncurrentDays: 30 },
        ExpiredObjectDeleteMarker: true,
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
      }),
    );
  });

  it('keeps data forever when no retention is configured (only superseded versions expire)', () => {
    const { template: forever } = buildStack();
    const [, bucket] = single(
      forever,
      'AWS::S3::Bucket',
      (r) => r.Properties.VersioningConfiguration !== undefined,
    );
    const rules = (bucket.Properties.LifecycleConfiguration as { Rules: Array<Record<string, unknown>> })
      .Rules;

    expect(rules.some((r) => 'ExpirationInDays' in r)).toBe(false);
    expect(rules.some((r) => 'NoncurrentVersionExpiration' in r)).toBe(true);
  });
});

describe('access-log bucket', () => {
  it('is private, SSE-S3 encrypted, TLS-only and expires its logs', () => {
    const [id, bucket] = accessLogsBucket();

    expect(bucket.Properties.PublicAccessBlockConfiguration).toMatchObject({
      BlockPublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(bucket.Properties.LifecycleConfiguration).toMatchObject({
      Rules: [expect.objectContaining({ ExpirationInDays: 365 })],
    });
    expect(bucket.DeletionPolicy).toBe('Retain');
    expectTlsOnly(id);
  });

  it('accepts S3 log delivery through its bucket policy (not ACLs)', () => {
    const statements = bucketPolicy(accessLogsBucket()[0]);

    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Action: 's3:PutObject',
      }),
    );
  });
});

describe('cursor table', () => {
  it('has the contract key, on-demand billing, PITR, KMS encryption with the stack key, and is retained', () => {
    const [, table] = single(template, 'AWS::DynamoDB::Table');

    expect(table.Properties.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
    expect(table.Properties.AttributeDefinitions).toEqual([{ AttributeName: 'pk', AttributeType: 'S' }]);
    expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.Properties.SSESpecification).toEqual({
      SSEEnabled: true,
      SSEType: 'KMS',
      KMSMasterKeyId: { 'Fn::GetAtt': [keyLogicalId(), 'Arn'] },
    });
    expect(table.Properties.DeletionProtectionEnabled).toBe(true);
    expect(table.DeletionPolicy).toBe('Retain');
  });
});

describe('functions', () => {
  it.each(['collector', 'query'])(
    'the %s function runs Node.js 22 on arm64 with tracing and JSON logs',
    (which) => {
      const [, fn] = which === 'collector' ? collectorFunction(template, 'default') : queryFunction(template);

      expect(fn.Properties.Runtime).toBe('nodejs22.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
      expect(fn.Properties.Handler).toBe('index.handler');
      const logging = fn.Properties.LoggingConfig as Record<string, unknown>;
      expect(logging.LogFormat).toBe('JSON');
      const [logGroupId, logGroup] = single(
        template,
        'AWS::Logs::LogGroup',
        (_r, id) => flatten(logging.LogGroup) === `<${id}>`,
      );
      expect(logGroupId).toBeTruthy();
      expect(logGroup.Properties.RetentionInDays).toBe(90);
      expect(environmentOf(fn).NODE_OPTIONS).toBe('--enable-source-maps');
    },
  );

  it('reserves no concurrency by default (quota-safe on new accounts), only when asked; sets its timeout and memory', () => {
    const [, fn] = collectorFunction(template, 'default');
    const [, reserved] = collectorFunction(buildStack({ reservedConcurrency: 2 }).template, 'default');

    expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
    expect(reserved.Properties.ReservedConcurrentExecutions).toBe(2);
    expect(fn.Properties.Timeout).toBe(COLLECTOR_TIMEOUT.toSeconds());
    expect(fn.Properties.MemorySize).toBe(COLLECTOR_MEMORY_MB);
  });

  it("sets exactly the collector schema's variables (plus runtime plumbing), and they validate", () => {
    // Prepare
    const env = environmentOf(collectorFunction(template, 'default')[1]);
    const schemaKeys = Object.keys(collectorEnvSchema.shape);

    // Act: CloudFormation references become placeholder strings, as Lambda would resolve them.
    const resolved = Object.fromEntries(
      Object.entries(env).map(([k, v]) => [k, typeof v === 'string' ? v : `resolved-${flatten(v)}`]),
    );
    const parsed = collectorEnvSchema.safeParse(resolved);

    // Assess
    expect(Object.keys(env).sort()).toEqual(
      [
        ...RUNTIME_ENVIRONMENT_KEYS,
        'MIMECAST_SECRET_ID',
        'SOURCE_ID',
        'BUCKET_NAME',
        'DATA_PREFIX',
        'CURSOR_TABLE_NAME',
        'LOOKBACK_DAYS',
        'SETTLE_SECONDS',
        'RESCAN_AFTER_SECONDS',
      ].sort(),
    );
    expect(Object.keys(env).filter((k) => !schemaKeys.includes(k))).toEqual([...RUNTIME_ENVIRONMENT_KEYS]);
    expect(parsed.success).toBe(true);
    expect(env.SOURCE_ID).toBe('default');
    expect(env.DATA_PREFIX).toBe('mimecast/audit-events');
    expect(env.LOOKBACK_DAYS).toBe('60');
    expect(env.SETTLE_SECONDS).toBe('300');
    expect(env.RESCAN_AFTER_SECONDS).toBe('3600,86400');
    expect(env.POWERTOOLS_METRICS_NAMESPACE).toBe('MimecastAuditLake');
  });

  it("sets only the query schema's variables (plus runtime plumbing), and they validate", () => {
    const env = environmentOf(queryFunction(template)[1]);
    const schemaKeys = Object.keys(queryEnvSchema.shape);
    const resolved = Object.fromEntries(
      Object.entries(env).map(([k, v]) => [k, typeof v === 'string' ? v : `resolved-${flatten(v)}`]),
    );

    expect(
      Object.keys(env)
        .filter((k) => !schemaKeys.includes(k))
        .sort(),
    ).toEqual([...RUNTIME_ENVIRONMENT_KEYS].sort());
    expect(queryEnvSchema.safeParse(resolved).success).toBe(true);
    // One source: the SOURCE_ID/MIMECAST_SECRET_ID pair, no SOURCES list.
    expect(env.SOURCES).toBeUndefined();
  });

  it('does not retry failed collector invocations nor send them to the dead-letter queue (they are metered and alarmed)', () => {
    const [fnId] = collectorFunction(template, 'default');
    const [, config] = single(
      template,
      'AWS::Lambda::EventInvokeConfig',
      (r) => flatten(r.Properties.FunctionName) === `<${fnId}>`,
    );

    expect(config.Properties.MaximumRetryAttempts).toBe(0);
    expect(config.Properties.MaximumEventAgeInSeconds).toBe(3600);
    expect(config.Properties.DestinationConfig).toBeUndefined();
  });
});

describe('dead-letter queue, topic and secret', () => {
  it('encrypts the dead-letter queue with the stack key, keeps messages 14 days, and is TLS-only', () => {
    const [queueId, queue] = single(template, 'AWS::SQS::Queue');

    expect(queue.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyLogicalId(), 'Arn'] });
    expect(queue.Properties.MessageRetentionPeriod).toBe(14 * 86400);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('encrypts the alarm topic with the stack key and denies non-TLS publishing', () => {
    const [topicId, topic] = single(template, 'AWS::SNS::Topic');

    expect(topic.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyLogicalId(), 'Arn'] });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('creates an empty secret (no generated value) encrypted with the stack key', () => {
    const [, secret] = single(template, 'AWS::SecretsManager::Secret');

    expect(secret.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [keyLogicalId(), 'Arn'] });
    expect(secret.Properties).not.toHaveProperty('GenerateSecretString');
    expect(secret.Properties).not.toHaveProperty('SecretString');
  });

  it("tags the source's secret with its source, as fleet mode's secrets are", () => {
    const [, secret] = single(template, 'AWS::SecretsManager::Secret');

    expect(secret.Properties.Tags).toEqual(
      expect.arrayContaining([{ Key: SOURCE_TAG_KEY, Value: built.config.sources[0]?.id }]),
    );
  });

  it('retains every stateful resource when the stack is deleted (the credentials too)', () => {
    for (const type of [
      'AWS::S3::Bucket',
      'AWS::DynamoDB::Table',
      'AWS::KMS::Key',
      'AWS::SecretsManager::Secret',
    ]) {
      for (const [id, r] of Object.entries(resourcesOf(template, type))) {
        expect({ id, policy: r.DeletionPolicy }).toEqual({ id, policy: 'Retain' });
      }
    }
  });
});
