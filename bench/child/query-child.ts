/**
 * Benchmark child: the query API's handler, invoked in-process with API Gateway payload-2.0
 * events (as Lambda invokes it), against the same client fetching the same page directly.
 * The two are interleaved so drift on the machine affects both alike.
 */
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { createMimecastClient, parseMimecastSecret } from '#core/mimecast/index.js';
import { handler } from '../../functions/query/handler.js';
import { readRequest, runChild, writeResult } from './io.js';

/** A payload-2.0 GET as API Gateway HTTP API sends it. */
function getEvent(path: string, rawQueryString: string, n: number): APIGatewayProxyEventV2 {
  const requestId = `bench-${n}`;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString,
    queryStringParameters: Object.fromEntries(new URLSearchParams(rawQueryString)),
    headers: { host: 'bench.local', 'user-agent': 'bench' },
    requestContext: {
      accountId: '000000000000',
      apiId: 'bench',
      domainName: 'bench.local',
      domainPrefix: 'bench',
      http: { method: 'GET', path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      requestId,
      routeKey: '$default',
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
    isBase64Encoded: false,
  };
}

/** A Lambda context with API Gateway's 30 s limit. */
function lambdaContext(n: number): Context {
  const deadline = Date.now() + 30_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'bench-query',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bench-query',
    memoryLimitInMB: '512',
    awsRequestId: `bench-request-${n}`,
    logGroupName: '/aws/lambda/bench-query',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => deadline - Date.now(),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

runChild(async () => {
  const request = readRequest('query');
  const client = createMimecastClient(parseMimecastSecret(request.secretJson), {
    pageSize: request.pageSize,
  });
  const query = { start: new Date(request.start), end: new Date(request.end), pageSize: request.pageSize };
  const rawQueryString = new URLSearchParams({
    start: request.start,
    end: request.end,
    pageSize: String(request.pageSize),
  }).toString();

  const handlerMs: number[] = [];
  const directMs: number[] = [];
  const handlerStatuses: Record<string, number> = {};
  let handlerEvents = 0;
  let directEvents = 0;
  const total = request.warmup + request.iterations;
  for (let n = 0; n < total; n += 1) {
    const measured = n >= request.warmup;

    let started = performance.now();
    const response = await handler(getEvent('/v1/events', rawQueryString, n), lambdaContext(n));
    const viaHandler = performance.now() - started;
    const status = String(response.statusCode);
    if (measured) {
      handlerMs.push(viaHandler);
      handlerStatuses[status] = (handlerStatuses[status] ?? 0) + 1;
      const body = JSON.parse(response.body ?? '{}') as { events?: unknown[] };
      handlerEvents = body.events?.length ?? 0;
    }

    started = performance.now();
    const page = await client.getAuditEventsPage(query, undefined, { deadline: Date.now() + 25_000 });
    const direct = performance.now() - started;
    if (measured) {
      directMs.push(direct);
      directEvents = page.events.length;
    }
  }
  writeResult({ mode: 'query', handlerMs, directMs, handlerEvents, directEvents, handlerStatuses });
});
