/**
 * The HTTPS endpoint: an API Gateway HTTP API whose every route requires authorization (IAM
 * SigV4 by default, JWT as an option) in front of the read-only query function.
 */
import * as path from 'node:path';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as athena from 'aws-cdk-lib/aws-athena';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { archiveQueryKey } from '#core/archive-query/registry.js';
import { parquetRoot } from '#core/columnar/layout.js';
import type { QueryEnvironment } from '#core/config/env.js';
import type { FleetQueryEnvironment } from '#core/config/fleet-query-env.js';
import { METRICS_NAMESPACE } from '#core/observability.js';
import { SOURCE_TAG_KEY } from '#core/registry/source-config.js';
import { QUERY_OPERATIONS, QUERY_ROUTE_PATHS } from '#query/lib/routes.js';
import type { AppConfig } from '../config.js';
import { acknowledgeFunctionBaseline } from '../nag.js';
import { cursorKey, FUNCTIONS_DIR, QUERY_SERVICE_NAME } from '../names.js';
import { archiveTableNames } from './athena.js';
import { grantForeignSecretKey, type StackKey } from './encryption.js';
import { grantTaggedSecretRead, sourceTaggedPrincipal } from './fleet.js';
import { ProjectFunction } from './project-function.js';

/** The API's routes (issue 5); each is authorized, and so is the catch-all below them. */
/** The handler's own route list, so the API and the handler cannot disagree on a path. */
export const API_ROUTES: readonly string[] = QUERY_ROUTE_PATHS;

/**
 * Lambda stops before API Gateway's 30-second integration limit, and the handler's own deadline
 * (QUERY_DEADLINE_MS, 25 s by default) stops before Lambda does, so callers get a clean 504.
 */
export const QUERY_TIMEOUT = Duration.seconds(29);

/**
 * The query function mostly waits on Mimecast; 512 MB gives enough CPU to normalise a
 * 500-event page quickly and keeps cold starts short.
 */
export const QUERY_MEMORY_MB = 512;

/** A source as the query function sees it. */
export interface QuerySource {
  id: string;
  secret: secretsmanager.ISecret;
  secretKmsKeyArn?: string | undefined;
}

/** Where archive queries run. */
export interface QueryArchiveProps {
  workGroup: athena.CfnWorkGroup;
  databaseName: string;
  tableName: string;
  resultsBucket: s3.IBucket;
  /** Days a started query stays readable by id. */
  retentionDays: number;
}

/** Fleet mode: the sources come from the registry; secrets are read through a tag-scoped role. */
export interface QueryFleetProps {
  /** Keys of existing secrets under customer-managed keys of their own (distinct). */
  secretKmsKeyArns: readonly string[];
}

/** Props of the QueryApi. */
export interface QueryApiProps {
  /** The configured sources (per-source mode; ignored in fleet mode). */
  sources: QuerySource[];
  /** Fleet mode (SOURCE_REGISTRY=true). */
  fleet?: QueryFleetProps | undefined;
  stackKey: StackKey;
  archiveBucket: s3.IBucket;
  cursorTable: dynamodb.ITable;
  dataPrefix: string;
  api: AppConfig['api'];
  logRetention: logs.RetentionDays;
  archive: QueryArchiveProps;
}

/** Access-log line: JSON, one per request, with the request id that also appears in the function's logs. */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  callerArn: '$context.identity.userArn',
  jwtSubject: '$context.authorizer.claims.sub',
  httpMethod: '$context.httpMethod',
  path: '$context.path',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatencyMs: '$context.responseLatency',
  integrationLatencyMs: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  error: '$context.error.message',
} as const;

/** HTTP API + query function. */
export class QueryApi extends Construct {
  readonly function: ProjectFunction<QueryEnvironment | FleetQueryEnvironment>;
  /**
   * Fleet mode: the read-only role live searches assume with the source's session tag; it may read
   * that source's secret and nothing else (the collector's source-access role may also write).
   */
  readonly secretReaderRole: iam.Role | undefined;
  readonly httpApi: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly accessLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: QueryApiProps) {
    super(scope, id);
    const archiveEnvironment = {
      BUCKET_NAME: props.archiveBucket.bucketName,
      DATA_PREFIX: props.dataPrefix,
      CURSOR_TABLE_NAME: props.cursorTable.tableName,
      ARCHIVE_WORKGROUP: props.archive.workGroup.name,
      ARCHIVE_DATABASE: props.archive.databaseName,
      ARCHIVE_TABLE: props.archive.tableName,
      ARCHIVE_QUERY_RETENTION_DAYS: String(props.archive.retentionDays),
    };
    // Fleet mode: created first, since the function's environment names it; it trusts the
    // function's role, which is created with the function below.
    const queryRole = props.fleet
      ? new iam.Role(this, 'FunctionRole', {
          assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
          description: 'Execution role of Function: the query API (fleet mode)',
        })
      : undefined;
    this.secretReaderRole =
      queryRole === undefined
        ? undefined
        : new iam.Role(this, 'SecretReaderRole', {
            assumedBy: sourceTaggedPrincipal(queryRole),
            description: `Query API live searches: the secret of the one source named by the ${SOURCE_TAG_KEY} session tag (read-only, ABAC)`,
          });
    let environment: QueryEnvironment | FleetQueryEnvironment;
    if (this.secretReaderRole) {
      environment = {
        ...archiveEnvironment,
        SOURCE_REGISTRY: 'true',
        SOURCE_ACCESS_ROLE_ARN: this.secretReaderRole.roleArn,
      } satisfies FleetQueryEnvironment;
    } else {
      const [first] = props.sources;
      if (first === undefined) throw new Error('QueryApi needs at least one source');
      environment = {
        ...archiveEnvironment,
        MIMECAST_SECRET_ID: first.secret.secretArn,
        SOURCE_ID: first.id,
        // The contract: SOURCES only with several sources; one source is the SOURCE_ID/secret pair.
        SOURCES:
          props.sources.length > 1
            ? Stack.of(this).toJsonString(
                props.sources.map((s) => ({ id: s.id, secretId: s.secret.secretArn })),
              )
            : undefined,
      } satisfies QueryEnvironment;
    }
    this.function = new ProjectFunction<QueryEnvironment | FleetQueryEnvironment>(this, 'Function', {
      entry: path.join(FUNCTIONS_DIR, 'query', 'handler.ts'),
      description: 'Mimecast audit lake query API (live search, archive queries, categories, status)',
      environment,
      serviceName: QUERY_SERVICE_NAME,
      metricsNamespace: METRICS_NAMESPACE,
      memorySize: QUERY_MEMORY_MB,
      timeout: QUERY_TIMEOUT,
      logRetention: props.logRetention,
      role: queryRole,
    });
    if (props.fleet && this.secretReaderRole)
      this.grantFleetReadOnly(props, props.fleet, this.secretReaderRole);
    else this.grantReadOnly(props);
    this.grantArchiveQueries(props);
    acknowledgeFunctionBaseline(this.function);

    const authorizer =
      props.api.authMode === 'jwt' && props.api.jwt
        ? new HttpJwtAuthorizer('JwtAuthorizer', props.api.jwt.issuer, {
            jwtAudience: props.api.jwt.audience,
          })
        : new HttpIamAuthorizer();

    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      description: 'Mimecast audit lake query API',
      // Every route, including any added later, requires the authorizer unless it says otherwise.
      defaultAuthorizer: authorizer,
      // The stage is created below with throttling and access logs.
      createDefaultStage: false,
      // The execute-api endpoint is how IAM-signed clients reach the API; there is no custom domain.
      disableExecuteApiEndpoint: false,
    });

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetention });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      // The API shares Mimecast's rate limit with the collector: keep callers from exhausting it.
      throttle: { rateLimit: props.api.throttleRateLimit, burstLimit: props.api.throttleBurstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogGroup),
        format: apigw.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    const integration = new HttpLambdaIntegration('QueryIntegration', this.function, {
      payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
      // One invoke permission for the API instead of one per route: every route reaches the same
      // function, and per-route permissions would cost a stack resource each.
      scopePermissionToRoute: false,
    });
    for (const routePath of API_ROUTES) {
      const methods = QUERY_OPERATIONS.filter((o) => o.path === routePath).map(
        (o) => apigwv2.HttpMethod[o.method],
      );
      this.httpApi.addRoutes({ path: routePath, methods, integration, authorizer });
    }
    // Everything else also reaches the handler (which answers 404/405 as problem documents), but
    // only after authorization: an anonymous caller gets API Gateway's 403 and learns nothing.
    this.httpApi.addRoutes({ path: '/{proxy+}', methods: [apigwv2.HttpMethod.ANY], integration, authorizer });
  }

  /**
   * Archive queries: Athena in this workgroup only; the Glue catalog, database and table it reads
   * (Athena checks them with the caller's permissions: "Configure access to databases and tables
   * in the AWS Glue Data Catalog", https://docs.aws.amazon.com/athena/latest/ug/fine-grained-access-to-glue-resources.html);
   * the archive's data objects (Athena reads S3 as the caller too) and the workgroup's results
   * prefix; the stack key through S3; the registry items `archive-query#*` of the cursor table.
   */
  private grantArchiveQueries(props: QueryApiProps): void {
    const role = this.function.executionRole;
    const { archive } = props;
    const stack = Stack.of(this);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'RunArchiveQueriesInTheWorkGroup',
        actions: [
          'athena:StartQueryExecution',
          'athena:GetQueryExecution',
          'athena:GetQueryResults',
          'athena:GetQueryRuntimeStatistics',
          'athena:StopQueryExecution',
        ],
        resources: [
          stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: archive.workGroup.name }),
        ],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadTheArchiveTableDefinition',
        actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions'],
        resources: [
          stack.formatArn({ service: 'glue', resource: 'catalog' }),
          stack.formatArn({ service: 'glue', resource: 'database', resourceName: archive.databaseName }),
          // The view and the two tables it reads.
          ...[archive.tableName, ...Object.values(archiveTableNames(archive.tableName))].map((table) =>
            stack.formatArn({
              service: 'glue',
              resource: 'table',
              resourceName: `${archive.databaseName}/${table}`,
            }),
          ),
        ],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'AthenaReadsTheArchiveData',
        actions: ['s3:GetObject'],
        resources: [
          props.archiveBucket.arnForObjects(`${props.dataPrefix}/*`),
          props.archiveBucket.arnForObjects(`${parquetRoot(props.dataPrefix)}/*`),
        ],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'AthenaListsTheArchiveData',
        actions: ['s3:ListBucket', 's3:GetBucketLocation'],
        resources: [props.archiveBucket.bucketArn],
        conditions: {
          StringLike: { 's3:prefix': [`${props.dataPrefix}/*`, `${parquetRoot(props.dataPrefix)}/*`] },
        },
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'AthenaWritesAndReadsQueryResults',
        actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        resources: [archive.resultsBucket.arnForObjects('results/*')],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'AthenaListsQueryResults',
        actions: ['s3:ListBucket', 's3:GetBucketLocation', 's3:ListBucketMultipartUploads'],
        resources: [archive.resultsBucket.bucketArn],
      }),
    );
    props.stackKey.grantObjectReadWrite(role);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'RecordWhoStartedWhichArchiveQuery',
        actions: ['dynamodb:PutItem', 'dynamodb:GetItem'],
        resources: [props.cursorTable.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [archiveQueryKey('*')] },
        },
      }),
    );
    props.stackKey.grantVia(role, ['kms:Encrypt', 'kms:GenerateDataKey'], ['dynamodb']);

    const logicalArn = (bucket: s3.IBucket) =>
      `Resource::<${stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket)}.Arn>`;
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[${logicalArn(props.archiveBucket)}/${parquetRoot(props.dataPrefix)}/*]`,
      reason:
        "Athena reads the Parquet copy with the caller's permissions, one object per source and closed day, created at run time: read-only (s3:GetObject), confined to the Parquet prefix.",
    });
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[${logicalArn(props.archiveBucket)}/${props.dataPrefix}/*]`,
      reason:
        "Athena reads the archive with the caller's permissions, object by object, and the objects are created at run time (one per source, day and window): read-only (s3:GetObject), confined to the archive's data prefix.",
    });
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[${logicalArn(archive.resultsBucket)}/results/*]`,
      reason:
        "Athena writes and reads each query's result objects with the caller's permissions under a name it chooses per execution; confined to the workgroup's results/ prefix of the results bucket.",
    });
  }

  /**
   * Fleet mode, read-only: the registry (listed with Scan, which has no key to condition on; the
   * function never reads an item of it by key), every source's cursor item (GET /v1/status), and
   * each source's secret only through the tag-scoped reader role.
   */
  private grantFleetReadOnly(props: QueryApiProps, fleet: QueryFleetProps, reader: iam.Role): void {
    const role = this.function.executionRole;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListTheSourceRegistry',
        actions: ['dynamodb:Scan'],
        resources: [props.cursorTable.tableArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadCursorItemsOfAnySource',
        actions: ['dynamodb:GetItem'],
        resources: [props.cursorTable.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [cursorKey('*')] } },
      }),
    );
    props.stackKey.grantVia(role, ['kms:Decrypt', 'kms:DescribeKey'], ['dynamodb']);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'AssumeTheSecretReaderRoleWithTheSourceTag',
        actions: ['sts:AssumeRole', 'sts:TagSession'],
        resources: [reader.roleArn],
      }),
    );
    grantTaggedSecretRead(reader, props.stackKey, fleet.secretKmsKeyArns);
  }

  /** Read-only: each source's cursor item, each source's secret, Decrypt through those services. */
  private grantReadOnly(props: QueryApiProps): void {
    const role = this.function.executionRole;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadCursorItemsOfConfiguredSources',
        actions: ['dynamodb:GetItem'],
        resources: [props.cursorTable.tableArn],
        conditions: {
          'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': props.sources.map((s) => cursorKey(s.id)) },
        },
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadSourceSecrets',
        // DescribeSecret tells a secret created without a value (not configured yet) from a missing one.
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: props.sources.map((s) => s.secret.secretArn),
      }),
    );
    props.stackKey.grantVia(role, ['kms:Decrypt', 'kms:DescribeKey'], ['dynamodb']);
    props.stackKey.grantVia(role, ['kms:Decrypt'], ['secretsmanager']);
    for (const s of props.sources) {
      if (s.secretKmsKeyArn) grantForeignSecretKey(role, s.secretKmsKeyArn);
    }
  }
}
