/**
 * Fleet mode (issue 15, docs/mssp.md): the same resources for one source as for two thousand.
 * Sources are items of the source registry (in the cursor table), not resources:
 *
 * - ONE collector function runs one source per invocation (`{"sourceId":"…"}`). Its own role may
 *   only read registry items and assume the source-access role; every read and write of a
 *   source's data happens with that role's credentials, assumed with the session tag
 *   `mimecast-source=<id>`, whose statements are all scoped by `${aws:PrincipalTag/mimecast-source}`
 *   (attribute-based access control): a run can reach its own source's prefixes, cursor item and
 *   secret, and nothing of another source's, without a statement per source.
 * - A dispatcher on a 1-minute schedule reads the registry and invokes the collector for each
 *   source that is due; it may invoke that function and nothing else.
 * - A seed custom resource puts the sources declared in the configuration into the registry
 *   (functions/seed/handler.ts says what it never overwrites).
 *
 * AWS behaviour this relies on:
 * - Principal tags as policy variables in the Resource element and in condition values
 *   (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html, "Tags as
 *   policy variables"); session tags passed to AssumeRole become principal tags of the session
 *   and need sts:TagSession in the role's trust policy
 *   (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html, "Permissions required
 *   to add session tags").
 * - dynamodb:LeadingKeys with a policy variable for one partition key per principal
 *   (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html).
 * - secretsmanager:ResourceTag/<key> compared with the principal's tag
 *   (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecretsmanager.html,
 *   condition keys; https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples.html).
 * - Asynchronous invocation: retry attempts 0–2, events older than the maximum age are dropped, and
 *   an on-failure destination receives both
 *   (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configuring.html).
 */
import * as path from 'node:path';
import { ArnFormat, CustomResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { DispatcherEnvironment } from '#core/config/dispatcher-env.js';
import type { FleetCollectorEnvironment } from '#core/config/fleet-collector-env.js';
import { METRICS_NAMESPACE } from '#core/observability.js';
import { SOURCE_CONFIG_PREFIX, SOURCE_TAG_KEY } from '#core/registry/source-config.js';
import { SEEDED_SECRET_PREFIX } from '../../functions/seed/payload.js';
import type { AppConfig } from '../config.js';
import { seedPayloadOf } from '../limits.js';
import { acknowledgeFunctionBaseline, bucketFinding } from '../nag.js';
import {
  COLLECTOR_SERVICE_NAME,
  cursorKey,
  DISPATCHER_SERVICE_NAME,
  FUNCTIONS_DIR,
  malformedPrefix,
  SEED_SERVICE_NAME,
  sourcePrefix,
} from '../names.js';
import {
  COLLECTOR_MAX_EVENT_AGE,
  COLLECTOR_MEMORY_MB,
  COLLECTOR_RETRY_ATTEMPTS,
  COLLECTOR_TIMEOUT,
  DEAD_LETTER_RETENTION,
} from './collector.js';
import { grantForeignSecretKey, type StackKey } from './encryption.js';
import { ProjectFunction } from './project-function.js';

/** The policy variable every source-access statement is scoped by: the session's source id. */
export const SOURCE_TAG_VARIABLE = `\${aws:PrincipalTag/${SOURCE_TAG_KEY}}`;

/**
 * The dispatcher runs once a minute and lists the registry, which takes well under a second for
 * thousands of items; a run that overlaps the next is harmless (each dispatch is a conditional
 * write). It stops starting sources before its own timeout (its safety margin).
 */
export const DISPATCHER_TIMEOUT = Duration.seconds(60);
/** Listing and invoking is I/O-bound; 256 MB is plenty and cheap for 1 440 runs a day. */
export const DISPATCHER_MEMORY_MB = 256;

/** The seed creates secrets and items for up to MAX_FLEET_SOURCES sources, eight at a time. */
export const SEED_TIMEOUT = Duration.minutes(15);

/** Partition-key pattern of every registry item. */
const REGISTRY_KEYS = `${SOURCE_CONFIG_PREFIX}*`;

/**
 * A principal that may assume a role only with the `mimecast-source` session tag (and no other
 * tag): sts:AssumeRole and sts:TagSession in one trust statement, on the request tag's presence.
 */
export function sourceTaggedPrincipal(role: iam.IRole): iam.IPrincipal {
  return new iam.SessionTagsPrincipal(new iam.ArnPrincipal(role.roleArn)).withConditions({
    Null: { [`aws:RequestTag/${SOURCE_TAG_KEY}`]: 'false' },
    'ForAllValues:StringEquals': { 'aws:TagKeys': [SOURCE_TAG_KEY] },
  });
}

/** `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>` with `name` a pattern. */
function secretArnPattern(scope: Construct, name: string): string {
  return Stack.of(scope).formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: name,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/**
 * Lets `role` read the secret of the session's source only: any secret of this account and region
 * whose `mimecast-source` tag equals the session's tag. The tag is the boundary, so who may tag
 * secrets decides who reaches them (docs/mssp.md).
 */
export function grantTaggedSecretRead(
  role: iam.Role,
  stackKey: StackKey,
  foreignKeyArns: readonly string[],
): void {
  // DescribeSecret tells a secret created without a value (not configured yet) from a missing one.
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'ReadTheSessionSourcesSecretOnly',
      actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      resources: [secretArnPattern(role, '*')],
      conditions: {
        StringEquals: { [`secretsmanager:ResourceTag/${SOURCE_TAG_KEY}`]: SOURCE_TAG_VARIABLE },
      },
    }),
  );
  stackKey.grantVia(role, ['kms:Decrypt'], ['secretsmanager']);
  for (const keyArn of foreignKeyArns) grantForeignSecretKey(role, keyArn);
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${secretFinding()}]`,
    reason: `Attribute-based: GetSecretValue/DescribeSecret only on secrets whose ${SOURCE_TAG_KEY} tag equals the session's ${SOURCE_TAG_KEY} tag (secretsmanager:ResourceTag condition), so a session reaches one source's secret; secrets are created per source at run time, hence no fixed ARN.`,
  });
}

/** How cdk-nag names the secret ARN pattern in a finding. */
function secretFinding(name = '*'): string {
  return `arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${name}`;
}

/**
 * An on-failure destination whose permission is granted by hand (grantCollector): CDK's
 * SqsDestination would also give the role the queue's key without a kms:ViaService condition.
 */
function queueDestination(queue: sqs.IQueue): lambda.IDestination {
  return { bind: () => ({ destination: queue.queueArn }) };
}

/** Props of the fleet. */
export interface FleetProps {
  config: AppConfig;
  stackKey: StackKey;
  archiveBucket: s3.IBucket;
  cursorTable: dynamodb.ITable;
  logRetention: logs.RetentionDays;
}

/** The collector, its source-access role, the dispatcher and the registry seed. */
export class Fleet extends Construct {
  /** The one collector: a source per invocation. */
  readonly collector: ProjectFunction<FleetCollectorEnvironment>;
  /** Receives the invocation record of every collector run that failed or expired in Lambda's queue. */
  readonly failureQueue: sqs.Queue;
  /** Assumed by every run with its source's session tag; all its statements are scoped by that tag. */
  readonly sourceAccessRole: iam.Role;
  readonly dispatcher: ProjectFunction<DispatcherEnvironment>;
  readonly dispatchSchedule: events.Rule;
  readonly seedFunction: ProjectFunction<Record<string, never>>;
  readonly seed: CustomResource;

  constructor(scope: Construct, id: string, props: FleetProps) {
    super(scope, id);
    const { config, stackKey, archiveBucket, cursorTable } = props;

    this.failureQueue = new sqs.Queue(this, 'CollectorFailures', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: stackKey.key,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    Validations.of(this.failureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is itself the failure destination of the fleet collector's asynchronous invocations; a dead-letter queue for it would never receive anything.",
    });

    // Everything but the source-access role's ARN, which exists only once that role does (below).
    const collectorEnvironment: Omit<FleetCollectorEnvironment, 'SOURCE_ACCESS_ROLE_ARN'> = {
      SOURCE_REGISTRY: 'true',
      BUCKET_NAME: archiveBucket.bucketName,
      DATA_PREFIX: config.dataPrefix,
      CURSOR_TABLE_NAME: cursorTable.tableName,
      // Defaults: a source's registry item overrides them.
      LOOKBACK_DAYS: config.lookbackDays,
      SETTLE_SECONDS: config.settleSeconds,
      RESCAN_AFTER_SECONDS: config.rescanAfterSeconds.join(','),
    };
    // Named as ProjectFunction would name it; created first because the source-access role trusts it.
    const collectorRole = new iam.Role(this, 'CollectorRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Execution role of Collector: reads registry items and assumes the source-access role',
    });
    this.sourceAccessRole = new iam.Role(this, 'SourceAccessRole', {
      assumedBy: sourceTaggedPrincipal(collectorRole),
      description: `Fleet collector runs: the data of the one source named by the ${SOURCE_TAG_KEY} session tag (ABAC)`,
    });
    this.grantSourceAccess(props);

    this.collector = new ProjectFunction<FleetCollectorEnvironment>(this, 'Collector', {
      entry: path.join(FUNCTIONS_DIR, 'collector', 'handler.ts'),
      description: 'Copies Mimecast audit events to S3, one registry source per invocation (fleet mode)',
      environment: { ...collectorEnvironment, SOURCE_ACCESS_ROLE_ARN: this.sourceAccessRole.roleArn },
      serviceName: COLLECTOR_SERVICE_NAME,
      metricsNamespace: METRICS_NAMESPACE,
      memorySize: COLLECTOR_MEMORY_MB,
      timeout: COLLECTOR_TIMEOUT,
      logRetention: props.logRetention,
      role: collectorRole,
      // The fleet's total: runs of all sources at once. The per-source DynamoDB lease still keeps
      // two runs of one source from overlapping.
      reservedConcurrentExecutions:
        config.fleet.maxConcurrentRuns > 0 ? config.fleet.maxConcurrentRuns : undefined,
      // A failed run is not retried by Lambda: the dispatcher starts the source again in its next
      // slot, from its cursor. What failed (or waited too long for concurrency) is recorded.
      retryAttempts: COLLECTOR_RETRY_ATTEMPTS,
      maxEventAge: COLLECTOR_MAX_EVENT_AGE,
      onFailure: queueDestination(this.failureQueue),
    });
    this.grantCollector(props);
    acknowledgeFunctionBaseline(this.collector);

    this.dispatcher = new ProjectFunction<DispatcherEnvironment>(this, 'Dispatcher', {
      entry: path.join(FUNCTIONS_DIR, 'dispatcher', 'handler.ts'),
      description: 'Starts the fleet collector run of every registry source that is due (every minute)',
      environment: {
        CURSOR_TABLE_NAME: cursorTable.tableName,
        COLLECTOR_FUNCTION_NAME: this.collector.functionName,
        DISPATCH_CONCURRENCY: config.fleet.dispatchConcurrency,
      },
      serviceName: DISPATCHER_SERVICE_NAME,
      metricsNamespace: METRICS_NAMESPACE,
      memorySize: DISPATCHER_MEMORY_MB,
      timeout: DISPATCHER_TIMEOUT,
      logRetention: props.logRetention,
      // The next minute's run does the same work: nothing to retry.
      retryAttempts: 0,
      maxEventAge: Duration.minutes(1),
    });
    this.grantDispatcher(props);
    acknowledgeFunctionBaseline(this.dispatcher);
    this.dispatchSchedule = new events.Rule(this, 'DispatchSchedule', {
      description: 'Runs the Mimecast audit lake dispatcher (fleet mode)',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [
        new eventTargets.LambdaFunction(this.dispatcher, {
          retryAttempts: 0,
          maxEventAge: Duration.minutes(1),
        }),
      ],
    });

    this.seedFunction = new ProjectFunction<Record<string, never>>(this, 'Seed', {
      entry: path.join(FUNCTIONS_DIR, 'seed', 'handler.ts'),
      description: 'Puts the sources declared in the configuration into the source registry (fleet mode)',
      environment: {},
      serviceName: SEED_SERVICE_NAME,
      metricsNamespace: METRICS_NAMESPACE,
      memorySize: 256,
      timeout: SEED_TIMEOUT,
      logRetention: props.logRetention,
    });
    this.grantSeed(props);
    acknowledgeFunctionBaseline(this.seedFunction);
    const provider = new cr.Provider(this, 'SeedProvider', {
      onEventHandler: this.seedFunction,
      logGroup: new logs.LogGroup(this, 'SeedProviderLogs', { retention: props.logRetention }),
    });
    acknowledgeProviderFramework(provider, this.seedFunction);
    this.seed = new CustomResource(this, 'SourceSeed', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::SourceRegistrySeed',
      properties: {
        Payload: JSON.stringify(seedPayloadOf(config)),
        TableName: cursorTable.tableName,
        KmsKeyArn: stackKey.key.keyArn,
      },
    });
  }

  /** The source-access role: every statement scoped by the session's `mimecast-source` tag. */
  private grantSourceAccess(props: FleetProps): void {
    const { config, stackKey, archiveBucket, cursorTable } = props;
    const role = this.sourceAccessRole;
    const prefixes = [
      sourcePrefix(config.dataPrefix, SOURCE_TAG_VARIABLE),
      malformedPrefix(config.dataPrefix, SOURCE_TAG_VARIABLE),
    ];
    // As the per-source collector's (collector.ts): put new windows, read them back for rescans,
    // delete what an earlier attempt of a split window wrote.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SessionSourcePrefixesOnly',
        actions: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
        resources: prefixes.map((prefix) => archiveBucket.arnForObjects(`${prefix}/*`)),
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListSessionSourcePrefixesOnly',
        actions: ['s3:ListBucket'],
        resources: [archiveBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': prefixes.map((prefix) => `${prefix}/*`) } },
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SessionSourceCursorItemOnly',
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [cursorTable.tableArn],
        conditions: {
          'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [cursorKey(SOURCE_TAG_VARIABLE)] },
        },
      }),
    );
    const foreignKeys = [
      ...new Set(config.sources.flatMap((s) => (s.secretKmsKeyArn === undefined ? [] : [s.secretKmsKeyArn]))),
    ];
    grantTaggedSecretRead(role, stackKey, foreignKeys);
    stackKey.grantObjectReadWrite(role);
    stackKey.grantItemReadWrite(role);

    const bucket = bucketFinding(archiveBucket);
    for (const prefix of prefixes) {
      // cdk-nag writes the policy variable `${x}` as `<x>` in its finding ids.
      const finding = prefix.replace(/\$\{([^}]+)\}/g, '<$1>');
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[${bucket}/${finding}/*]`,
        reason: `Object keys are created at run time (one per day and window); the wildcard is confined to the prefix of the one source named by the session's ${SOURCE_TAG_KEY} tag (${prefix}/), so no session reaches another source's objects.`,
      });
    }
  }

  /** The collector's own role: registry items, the source-access role, its failure queue. Nothing of the data. */
  private grantCollector(props: FleetProps): void {
    const { stackKey, cursorTable } = props;
    const role = this.collector.executionRole;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'AssumeTheSourceAccessRoleWithTheSourceTag',
        actions: ['sts:AssumeRole', 'sts:TagSession'],
        resources: [this.sourceAccessRole.roleArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadRegistryItemsOnly',
        actions: ['dynamodb:GetItem'],
        resources: [cursorTable.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [REGISTRY_KEYS] } },
      }),
    );
    stackKey.grantVia(role, ['kms:Decrypt', 'kms:DescribeKey'], ['dynamodb']);
    // The on-failure destination: Lambda sends the invocation record as the function's role.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'RecordFailedInvocations',
        actions: ['sqs:SendMessage'],
        resources: [this.failureQueue.queueArn],
      }),
    );
    stackKey.grantVia(role, ['kms:GenerateDataKey', 'kms:Decrypt'], ['sqs']);
  }

  /** The dispatcher: list the registry, record dispatches, invoke the collector (only it). */
  private grantDispatcher(props: FleetProps): void {
    const { stackKey, cursorTable } = props;
    const role = this.dispatcher.executionRole;
    // Scan has no partition key to condition on (the registry filters the table's items by prefix).
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListTheSourceRegistry',
        actions: ['dynamodb:Scan'],
        resources: [cursorTable.tableArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'RecordDispatchesOnRegistryItems',
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [cursorTable.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [REGISTRY_KEYS] } },
      }),
    );
    stackKey.grantItemReadWrite(role);
    // The unqualified ARN only: the dispatcher invokes `$LATEST` by name (no version or alias).
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'StartCollectorRuns',
        actions: ['lambda:InvokeFunction'],
        resources: [this.collector.functionArn],
      }),
    );
  }

  /** The seed: registry items (create only) and the secrets it creates, under their prefix only. */
  private grantSeed(props: FleetProps): void {
    const { stackKey, cursorTable } = props;
    const role = this.seedFunction.executionRole;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadAndCreateRegistryItems',
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        resources: [cursorTable.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [REGISTRY_KEYS] } },
      }),
    );
    stackKey.grantItemReadWrite(role);
    const seeded = secretArnPattern(this, `${SEEDED_SECRET_PREFIX}*`);
    const onlyTheSourceTag = {
      Null: { [`aws:RequestTag/${SOURCE_TAG_KEY}`]: 'false' },
      'ForAllValues:StringEquals': { 'aws:TagKeys': [SOURCE_TAG_KEY] },
    };
    // CreateSecret with Tags also needs TagResource (both conditioned on the one tag key).
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'CreateAndTagSeededSecrets',
        actions: ['secretsmanager:CreateSecret', 'secretsmanager:TagResource'],
        resources: [seeded],
        conditions: onlyTheSourceTag,
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'FindExistingSeededSecrets',
        actions: ['secretsmanager:DescribeSecret'],
        resources: [seeded],
      }),
    );
    stackKey.grantVia(role, ['kms:GenerateDataKey', 'kms:Decrypt'], ['secretsmanager']);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${secretFinding(`${SEEDED_SECRET_PREFIX}*`)}]`,
      reason: `The seed creates one secret per declared source, named ${SEEDED_SECRET_PREFIX}<id> at deploy time; confined to that prefix, and CreateSecret/TagResource only with the ${SOURCE_TAG_KEY} tag and no other.`,
    });
  }
}

/** cdk-nag findings of the provider framework's own function, which CDK builds. */
function acknowledgeProviderFramework(provider: cr.Provider, handler: lambda.IFunction): void {
  const stack = Stack.of(provider);
  const handlerArn = `<${stack.getLogicalId(handler.node.defaultChild as lambda.CfnFunction)}.Arn>`;
  Validations.of(provider).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason:
      "The custom resource provider framework's own function (built by CDK) logs with the AWS-managed basic execution policy; it has no other permission than invoking the seed function.",
  });
  Validations.of(provider).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${handlerArn}:*]`,
    reason:
      'The provider framework invokes the seed function only; CDK grants the ":*" form so version-qualified ARNs work too. No other function is reachable.',
  });
  Validations.of(provider).acknowledge({
    id: 'AwsSolutions-L1',
    reason:
      "The provider framework's runtime is chosen by CDK (aws-cdk-lib/custom-resources) and moves with CDK upgrades; it runs only at deployment, to hand the seed request to the project's own function.",
  });
}
