/**
 * The one way this project builds a Lambda function: Node.js 22 on arm64, an esbuild ESM
 * bundle with source maps, JSON logs into a log group with retention, active tracing, a role
 * of its own with nothing but what is granted explicitly, and an environment typed by the
 * handler's zod schema so a missing variable is a compile error.
 */
import type { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** Variables every project function gets besides its schema's: runtime plumbing, not configuration. */
export const RUNTIME_ENVIRONMENT_KEYS = [
  'NODE_OPTIONS',
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_METRICS_NAMESPACE',
] as const;

/**
 * ESM bundles have no `require`; a few CommonJS dependencies still call it for Node built-ins,
 * so the bundle recreates it from `import.meta.url` before anything else runs.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __projectCreateRequire } from 'node:module'; const require = __projectCreateRequire(import.meta.url);";

/** Props of a ProjectFunction; `E` is the handler's environment type (`z.input` of its schema). */
export interface ProjectFunctionProps<E extends object> {
  /** Absolute path of the handler's TypeScript entry (exports `handler`). */
  entry: string;
  description: string;
  /** Exactly the handler's environment; values are stringified, undefined ones left out. */
  environment: E;
  /** Powertools service name: the `service` dimension of every metric and log line. */
  serviceName: string;
  /** CloudWatch namespace of the function's custom metrics. */
  metricsNamespace: string;
  memorySize: number;
  timeout: Duration;
  logRetention: logs.RetentionDays;
  reservedConcurrentExecutions?: number;
  /** Asynchronous invocation settings (scheduled functions). */
  retryAttempts?: number;
  maxEventAge?: Duration;
  onFailure?: lambda.IDestination;
  /**
   * The execution role, when it must exist before the function (another role's trust names it);
   * given only `lambda.amazonaws.com` trust and nothing else. Default: a role of its own.
   */
  role?: iam.Role;
}

/** Turns a typed environment into Lambda's string map (numbers → strings; undefined dropped). */
export function toLambdaEnvironment(env: object): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) continue;
    out[key] = typeof value === 'string' ? value : String(value);
  }
  return out;
}

/** A Lambda function built the project's way (see the module comment). */
export class ProjectFunction<E extends object> extends NodejsFunction {
  /** The function's log group (JSON lines, retention set). */
  readonly functionLogGroup: logs.LogGroup;
  /** The function's own execution role. */
  readonly executionRole: iam.Role;

  constructor(scope: Construct, id: string, props: ProjectFunctionProps<E>) {
    // Created beside the function (not inside it) because `this` does not exist before super().
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: props.logRetention });
    // An explicit role instead of the default one: the default attaches the AWS-managed
    // AWSLambdaBasicExecutionRole (logs:* on every log group); this one may write only its own.
    const role =
      props.role ??
      new iam.Role(scope, `${id}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `Execution role of ${id}`,
      });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );

    super(scope, id, {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      // Graviton: cheaper per GB-second and at least as fast for gzip/JSON work.
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      tracing: lambda.Tracing.ACTIVE,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      retryAttempts: props.retryAttempts,
      maxEventAge: props.maxEventAge,
      onFailure: props.onFailure,
      environment: {
        ...toLambdaEnvironment(props.environment),
        // Stack traces point into the TypeScript sources instead of the minified bundle.
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        // Only the mappings are needed for stack traces; leaving the sources out halves the map.
        sourcesContent: false,
        // Ship the SDK version the tests ran against instead of whatever the runtime bundles.
        bundleAwsSDK: true,
        // Bundle with the esbuild in node_modules; Docker is neither needed nor wanted.
        forceDockerBundling: false,
      },
    });
    this.functionLogGroup = logGroup;
    this.executionRole = role;
  }
}
