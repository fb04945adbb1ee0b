/**
 * Serves the real query handler over plain HTTP on 127.0.0.1, as API Gateway would call it:
 * each request becomes an HTTP API payload-2.0 event (raw path and query string, repeated
 * query parameters joined with commas in `queryStringParameters`, lower-cased headers, a
 * request id) and the handler's result is written back. Each request is an invocation of its
 * own (see runtime/invocation.ts), so concurrent requests keep their own request ids in the
 * logs. Errors the adapter answers itself (a header or body too large, malformed HTTP, a
 * handler that throws) are RFC 9457 problem documents like the handler's. There is no
 * authentication, which is why it listens on the loopback interface only.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  maxHeaderSize,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { problemResponse, safeJson } from '#query/lib/http.js';
import { type ProblemSpec, ProblemType } from '#query/lib/problem.js';
import { readRequestBody } from './http-body.js';
import { enableConcurrentInvocations, runInvocation } from './runtime/invocation.js';

/** Anything callable like the Lambda handler (the middy handler, or the bare core in tests). */
export type LocalQueryHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyResultV2>;

/** Options of startLocalQueryApi. */
export interface LocalQueryApiOptions {
  handler: LocalQueryHandler;
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number | undefined;
  /** The Lambda timeout the context reports (API Gateway's integration limit by default). */
  timeoutMs?: number | undefined;
  /**
   * Rewrites the `detail` of the handler's problem documents (e.g. advice to update a Secrets
   * Manager secret, which locally is a file or environment variables).
   */
  problemDetail?: ((detail: string) => string) | undefined;
}

/** A running local API. */
export interface LocalQueryApi {
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

/** Bodies beyond this are refused before the handler (an archive query body is a few hundred bytes). */
const MAX_BODY_BYTES = 1_048_576;

// The API's own problem-type namespace, taken from a type it defines so the two cannot drift apart.
const TYPE_PREFIX = ProblemType.invalidRequest.slice(0, ProblemType.invalidRequest.lastIndexOf(':') + 1);

/** Problem types of the errors only the adapter (API Gateway's stand-in) answers. */
export const AdapterProblemType = {
  headersTooLarge: `${TYPE_PREFIX}request-header-fields-too-large`,
  bodyTooLarge: `${TYPE_PREFIX}payload-too-large`,
  requestTimeout: `${TYPE_PREFIX}request-timeout`,
} as const;

const bytes = new Intl.NumberFormat('en-US');

/** The 413 for a body over MAX_BODY_BYTES. */
function bodyTooLarge(): ProblemSpec {
  return {
    status: 413,
    type: AdapterProblemType.bodyTooLarge,
    title: 'Request body too large',
    detail: `The request body is larger than ${bytes.format(MAX_BODY_BYTES)} bytes, the most API Gateway passes on to the function.`,
  };
}

/** The problem for a request Node's HTTP parser refused before the handler saw it. */
function clientErrorProblem(code: string | undefined): ProblemSpec {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return {
      status: 431,
      type: AdapterProblemType.headersTooLarge,
      title: 'Request header fields too large',
      detail: `The request line and header fields are larger than ${bytes.format(maxHeaderSize)} bytes (${Math.round(maxHeaderSize / 1024)} KB), the most this local API accepts; send fewer or shorter headers.`,
    };
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return {
      status: 408,
      type: AdapterProblemType.requestTimeout,
      title: 'Request timeout',
      detail: 'The request was not complete in time.',
    };
  }
  return {
    status: 400,
    type: ProblemType.invalidRequest,
    title: 'Malformed request',
    detail: `The request is not valid HTTP/1.1${code ? ` (${code})` : ''}.`,
  };
}

/** The 500 for a handler that threw (API Gateway would answer 500 too). */
function handlerFailed(requestId: string): ProblemSpec {
  return {
    status: 500,
    type: ProblemType.internal,
    title: 'Internal error',
    detail: `The query handler failed on this request; npm start's output has the error under request id ${requestId}.`,
  };
}

/** The path of a request target (origin or absolute form), without query string: a problem's `instance`. */
function targetPath(target: string | undefined): string {
  const path = target?.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '').split(/[?#]/, 1)[0];
  return path?.startsWith('/') ? path : '/';
}

/** The target path in the request line at the start of `raw` (what the parser had read), if any. */
function rawRequestPath(raw: Buffer | undefined): string {
  const line = raw?.subarray(0, 8192).toString('latin1').split('\r\n', 1)[0] ?? '';
  return targetPath(/^[A-Z]+ (\S+)/.exec(line)?.[1]);
}

/** A complete HTTP/1.1 response for writing straight to a socket (the parser has given up on it). */
function rawResponse(status: number, headers: Record<string, string>, body: string): string {
  const length = Buffer.byteLength(body);
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  lines.push(`content-length: ${length}`, 'connection: close');
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** Headers as API Gateway passes them in payload 2.0: lower-case names, repeats joined with commas. */
function eventHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]?.toLowerCase();
    const value = req.rawHeaders[i + 1];
    if (name === undefined || value === undefined || name === 'cookie') continue;
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  return headers;
}

/** `queryStringParameters` the way API Gateway builds it: decoded, repeats joined with commas. */
function joinedParameters(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === '') return undefined;
  const joined: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    joined[name] = joined[name] === undefined ? value : `${joined[name]},${value}`;
  }
  return joined;
}

/** Builds the payload-2.0 event for one request. */
export function toPayloadV2Event(
  req: IncomingMessage,
  body: Buffer,
  apiRequestId: string,
  now: Date,
): APIGatewayProxyEventV2 {
  const target = req.url ?? '/';
  // Absolute-form targets (proxies) carry scheme and host; keep only path and query, undecoded.
  const pathAndQuery = /^[a-z][a-z0-9+.-]*:\/\//i.test(target)
    ? target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '')
    : target;
  const withoutFragment = pathAndQuery.split('#', 1)[0] ?? '';
  const queryAt = withoutFragment.indexOf('?');
  const rawPath = (queryAt === -1 ? withoutFragment : withoutFragment.slice(0, queryAt)) || '/';
  const rawQueryString = queryAt === -1 ? '' : withoutFragment.slice(queryAt + 1);
  const headers = eventHeaders(req);
  const method = (req.method ?? 'GET').toUpperCase();
  const cookies = req.headers.cookie?.split(/;\s*/).filter((c) => c !== '');
  const queryStringParameters = joinedParameters(rawQueryString);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    headers,
    ...(cookies && cookies.length > 0 ? { cookies } : {}),
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: (headers.host ?? '127').split('.')[0] ?? 'local',
      http: {
        method,
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: apiRequestId,
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0
      ? { body: body.toString('base64'), isBase64Encoded: true }
      : { isBase64Encoded: false }),
  };
}

/** A Lambda context for one invocation. */
function lambdaContext(requestId: string, timeoutMs: number): Context {
  const started = Date.now();
  const fail = () => {
    throw new Error('callback-style completion is not supported locally');
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'mimecast-audit-query-local',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:mimecast-audit-query-local',
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/mimecast-audit-query-local',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (Date.now() - started)),
    done: fail,
    fail,
    succeed: fail,
  };
}

function send(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: Buffer | string,
): void {
  res.writeHead(status, headers);
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** Sends a problem document answered by the adapter itself. */
function sendProblem(res: ServerResponse, spec: ProblemSpec, requestId: string, instance: string): void {
  const response = problemResponse(spec, requestId, instance);
  send(res, response.statusCode, response.headers, response.body ?? '');
}

/** A problem document's body with its detail rewritten; other bodies as they are. */
function rewriteDetail(body: string, rewrite: (detail: string) => string): string {
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch (err: unknown) {
    if (err instanceof SyntaxError) return body;
    throw err;
  }
  if (typeof document !== 'object' || document === null || !('detail' in document)) return body;
  const { detail } = document as { detail: unknown };
  if (typeof detail !== 'string') return body;
  return safeJson({ ...document, detail: rewrite(detail) });
}

/** Writes a handler result back like API Gateway (a bare string or object result is a 200 JSON body). */
function writeResult(
  res: ServerResponse,
  result: APIGatewayProxyResultV2,
  problemDetail?: (detail: string) => string,
): void {
  if (typeof result === 'string') {
    send(res, 200, { 'content-type': 'application/json' }, result);
    return;
  }
  if (typeof result !== 'object' || result === null || !('statusCode' in result)) {
    send(res, 200, { 'content-type': 'application/json' }, JSON.stringify(result));
    return;
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers ?? {}))
    headers[name.toLowerCase()] = String(value);
  if (result.cookies && result.cookies.length > 0) res.setHeader('set-cookie', result.cookies);
  let body: Buffer | string = result.isBase64Encoded
    ? Buffer.from(result.body ?? '', 'base64')
    : (result.body ?? '');
  if (
    problemDetail &&
    typeof body === 'string' &&
    headers['content-type']?.startsWith('application/problem+json')
  ) {
    body = rewriteDetail(body, problemDetail);
  }
  send(res, result.statusCode ?? 200, headers, body);
}

/** Starts the local API on 127.0.0.1 (never on other interfaces: there is no authentication). */
export async function startLocalQueryApi(options: LocalQueryApiOptions): Promise<LocalQueryApi> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  // Before the first request: from now on Powertools keeps each invocation's state apart.
  enableConcurrentInvocations();
  const server = createServer(async (req, res) => {
    // As in AWS, API Gateway's request id and the Lambda invocation's id are different values.
    const requestId = randomUUID();
    const apiRequestId = randomBytes(12).toString('base64url');
    try {
      const body = await readRequestBody(req, MAX_BODY_BYTES);
      if (body === 'too_large') {
        sendProblem(res, bodyTooLarge(), requestId, targetPath(req.url));
        return;
      }
      const event = toPayloadV2Event(req, body, apiRequestId, new Date());
      const result = await runInvocation(requestId, () =>
        options.handler(event, lambdaContext(requestId, timeoutMs)),
      );
      writeResult(res, result, options.problemDetail);
    } catch (err: unknown) {
      // What API Gateway answers when the integration fails; the error goes to the console only.
      console.error(`local query API: request ${requestId} failed:`, err);
      if (!res.headersSent) {
        sendProblem(res, handlerFailed(requestId), requestId, targetPath(req.url));
      } else res.destroy();
    }
  });
  // Node answers a request its parser refuses (e.g. headers over maxHeaderSize: 431) with a bare
  // status line before any handler runs; this listener answers with a problem document instead.
  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const requestId = randomUUID();
    const response = problemResponse(clientErrorProblem(err.code), requestId, rawRequestPath(err.rawPacket));
    socket.end(rawResponse(response.statusCode, response.headers, response.body ?? ''));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** Example curl commands for a running local API (searching the last hour). */
export function exampleCurlCommands(baseUrl: string, now: Date = new Date()): string[] {
  const end = `${now.toISOString().slice(0, 19)}Z`;
  const start = `${new Date(now.getTime() - 3_600_000).toISOString().slice(0, 19)}Z`;
  return [
    `curl -s '${baseUrl}/v1/status'`,
    `curl -s '${baseUrl}/v1/categories'`,
    `curl -s '${baseUrl}/v1/events?start=${start}&end=${end}&pageSize=50'`,
    `curl -s '${baseUrl}/v1/events?start=${start}&end=${end}&category=authentication_logs&query=failed'`,
    `curl -s '${baseUrl}/v1/openapi.json'`,
  ];
}

/** The CLI's default endpoint (cli/archive.ts): `--endpoint` is only needed for another port. */
const CLI_DEFAULT_ENDPOINT = 'http://127.0.0.1:8787';

/** Example archive queries (any age) with the analysts' CLI. */
export function exampleArchiveCommands(baseUrl: string): string[] {
  const endpoint = baseUrl === CLI_DEFAULT_ENDPOINT ? '' : ` --endpoint ${baseUrl}`;
  return [
    `npm run archive -- query --since 7d --category authentication_logs --text failed${endpoint}`,
    `npm run archive -- query --since 60d --actor <someone@example.com> --format csv${endpoint} > actor.csv`,
  ];
}

/** Prints the example commands (for `npm start`). */
export function printExampleCurlCommands(baseUrl: string, write: (line: string) => void = console.log): void {
  write(`Query API (no auth, loopback only): ${baseUrl}`);
  for (const command of exampleCurlCommands(baseUrl)) write(`  ${command}`);
  write('Archive queries (any age, DuckDB over the local archive):');
  for (const command of exampleArchiveCommands(baseUrl)) write(`  ${command}`);
}
