/**
 * A loopback stand-in for Lambda's Invoke API (`POST /2015-03-31/functions/{name}/invocations`),
 * enough for the dispatcher's real LambdaClient: it records each invocation (function name,
 * invocation type, payload) and answers as Lambda does for an `Event` invocation, 202 with an
 * empty body, unless the test scripts another answer for a payload.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { closeServer, endpointOf, listenOnLoopback } from '#local/standins/net.js';

/** One invocation as the stand-in received it. */
export interface ReceivedInvocation {
  functionName: string;
  invocationType: string | undefined;
  payload: unknown;
}

/** An answer: status, optional error type (x-amzn-errortype) and body. */
export interface InvokeAnswer {
  status: number;
  errorType?: string;
  body?: string;
}

export interface LambdaStandin {
  endpoint: string;
  readonly received: ReceivedInvocation[];
  close(): Promise<void>;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the stand-in; `answer` may replace the 202 for a given invocation. */
export async function startLambdaStandin(
  answer: (invocation: ReceivedInvocation) => InvokeAnswer | undefined = () => undefined,
): Promise<LambdaStandin> {
  const received: ReceivedInvocation[] = [];
  const server: Server = createServer((request, response) => {
    void (async () => {
      const match = INVOKE_PATH.exec(new URL(request.url ?? '/', 'http://x').pathname);
      if (request.method !== 'POST' || !match) {
        response.writeHead(404, {
          'content-type': 'application/json',
          'x-amzn-errortype': 'UnknownOperationException',
        });
        response.end('{"message":"unknown operation"}');
        return;
      }
      const text = await bodyOf(request);
      const header = request.headers['x-amz-invocation-type'];
      const invocation: ReceivedInvocation = {
        functionName: decodeURIComponent(match[1] ?? ''),
        invocationType: typeof header === 'string' ? header : undefined,
        payload: text === '' ? undefined : (JSON.parse(text) as unknown),
      };
      received.push(invocation);
      const scripted = answer(invocation) ?? { status: 202 };
      response.writeHead(scripted.status, {
        'content-type': 'application/json',
        'x-amzn-requestid': `req-${received.length}`,
        ...(scripted.errorType ? { 'x-amzn-errortype': scripted.errorType } : {}),
      });
      response.end(scripted.body ?? '');
    })();
  });
  await listenOnLoopback(server);
  return { endpoint: endpointOf(server), received, close: () => closeServer(server) };
}
