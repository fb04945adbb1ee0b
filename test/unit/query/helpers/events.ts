/** Builders for API Gateway payload-2.0 events and Lambda contexts in query API tests. */
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

/** An HTTP API payload-2.0 event, as API Gateway sends it for `method rawPath?rawQueryString`. */
export function apiEvent(
  method: string,
  rawPath: string,
  rawQueryString = '',
  overrides: { stage?: string; requestId?: string } = {},
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    headers: { host: 'api.example.com' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'test' },
      requestId: overrides.requestId ?? 'apigw-request-1',
      routeKey: '$default',
      stage: overrides.stage ?? '$default',
      time: '31/Jan/2026:08:00:00 +0000',
      timeEpoch: Date.UTC(2026, 0, 31, 8),
    },
    isBase64Encoded: false,
  };
}

/** The parts of a Lambda context the query API reads. */
export function lambdaContext(awsRequestId: string, remainingMs = 30_000): Context {
  return {
    awsRequestId,
    getRemainingTimeInMillis: () => remainingMs,
  } as Partial<Context> as Context;
}
