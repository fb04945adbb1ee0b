/**
 * Timeouts and a bounded retry for the AWS SDK clients (S3, DynamoDB, Secrets Manager), so a
 * call that never answers fails with a TimeoutError while the invocation still has time to
 * record the error and release its lease, instead of running into Lambda's own timeout.
 * Only the HTTP handler and the attempts are set: region (AWS_REGION), endpoints
 * (AWS_ENDPOINT_URL_*) and credentials keep coming from the SDK's default chains.
 *
 * What the installed SDK does with these options (@smithy/node-http-handler 4.14.2,
 * dist-cjs/index.js: `setRequestTimeout`, `setConnectionTimeout`, `setSocketTimeout`; the
 * option docs in @smithy/types `NodeHttpHandlerOptions`; AWS SDK v3 developer guide,
 * "Configure maxSockets in Node.js", for the `requestHandler: { … }` shorthand):
 * - `requestTimeout` alone only logs "[WARN] a request has exceeded the configured … ms
 *   requestTimeout" and keeps waiting (since node-http-handler 4.4); with
 *   `throwOnRequestTimeout: true` it destroys the request and rejects with a TimeoutError.
 *   Its timer starts when the request is created, so it covers DNS, connect, upload and the
 *   wait for the response headers; it is cleared when the headers arrive.
 * - `connectionTimeout` ends an attempt whose socket has not connected in time.
 * - `socketTimeout` is an idle timeout that stays armed through the response body: it ends a
 *   response that stalls after its headers (DynamoDB and Secrets Manager otherwise default to
 *   300 s, S3 to none).
 * - A TimeoutError is a transient error for the standard retry strategy (@smithy/core 3.41
 *   retry `isTransientError`), retried after a jittered backoff of at most 50 ms × 2^retry.
 */
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import type { SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';

/** The environment variables that tune the AWS clients, as validated numbers. */
export interface AwsClientSettings {
  AWS_CONNECT_TIMEOUT_MS: number;
  AWS_REQUEST_TIMEOUT_MS: number;
  AWS_MAX_ATTEMPTS: number;
}

/**
 * Defaults for Lambda calling S3, DynamoDB and Secrets Manager in its own region, where a
 * connect takes milliseconds, a DynamoDB or Secrets Manager call tens of milliseconds and an
 * archive PUT (a few MB at most) well under a second:
 * - connect 2 s: room for one lost SYN (Linux retransmits it after 1 s) or a slow DNS answer;
 * - request 3 s: many times the slowest normal call, short enough that a hung attempt is
 *   given up while a fresh connection can still succeed;
 * - 3 attempts: the SDK's standard.
 * One call that hangs on every attempt then ends after 3 × 3 s + < 0.3 s backoff ≈ 9.3 s
 * (still 15.3 s if connect and request time are added up, as if they did not overlap). When
 * DynamoDB itself hangs, the engine's failure path is three such calls (the failing one, then
 * recording the error and releasing the lease), ≈ 27.9 s: all inside the 30 s SAFETY_MARGIN_MS
 * the engine keeps free at the end of an invocation. (connect 3 s, request 10 s would not fit:
 * one call alone could take 30.3 s.)
 */
export const AWS_CLIENT_DEFAULTS: Readonly<AwsClientSettings> = {
  AWS_CONNECT_TIMEOUT_MS: 2_000,
  AWS_REQUEST_TIMEOUT_MS: 3_000,
  AWS_MAX_ATTEMPTS: 3,
};

/**
 * Upper bound of the standard retry's backoff base for transient errors: 50 ms in the installed
 * @smithy/core (`Retry.delay()`), 100 ms in earlier releases; the larger keeps the bound safe.
 */
const BACKOFF_BASE_MS = 100;
/** The standard retry strategy never waits longer than this between attempts. */
const MAX_BACKOFF_MS = 20_000;

/** The options S3, DynamoDB and Secrets Manager clients are built with. */
export interface AwsClientConfig {
  requestHandler: {
    connectionTimeout: number;
    requestTimeout: number;
    socketTimeout: number;
    throwOnRequestTimeout: true;
  };
  maxAttempts: number;
}

/** Client options with connect/request/socket timeouts that throw, and at most AWS_MAX_ATTEMPTS attempts per call. */
export function awsClientConfig(settings: AwsClientSettings): AwsClientConfig {
  const config: AwsClientConfig = {
    requestHandler: {
      connectionTimeout: settings.AWS_CONNECT_TIMEOUT_MS,
      requestTimeout: settings.AWS_REQUEST_TIMEOUT_MS,
      // A response that goes silent after its headers is given as long as a whole request.
      socketTimeout: settings.AWS_REQUEST_TIMEOUT_MS,
      // Without it the request timeout only logs a warning (see the module comment).
      throwOnRequestTimeout: true,
    },
    maxAttempts: settings.AWS_MAX_ATTEMPTS,
  };
  // Every client takes this shape (a plain-object `requestHandler` goes to NodeHttpHandler's
  // constructor), checked here so core needs no @smithy import of its own.
  return config satisfies S3ClientConfig & DynamoDBClientConfig & SecretsManagerClientConfig;
}

/**
 * How long one SDK call can take when every attempt hangs before the response headers: each
 * attempt is cut at AWS_REQUEST_TIMEOUT_MS (which includes the connect), plus the backoff between.
 */
export function worstCaseCallMs(settings: AwsClientSettings): number {
  let backoff = 0;
  for (let retry = 0; retry < settings.AWS_MAX_ATTEMPTS - 1; retry += 1) {
    backoff += Math.min(BACKOFF_BASE_MS * 2 ** retry, MAX_BACKOFF_MS);
  }
  return settings.AWS_MAX_ATTEMPTS * settings.AWS_REQUEST_TIMEOUT_MS + backoff;
}
