/**
 * A stand-in that hangs: a loopback HTTP proxy in front of a real stand-in (s3rver, dynalite,
 * the Secrets Manager stand-in). A request picked by the current predicate is read in full and
 * then never answered, its connection left open, as an AWS endpoint that took a call and went
 * silent; every other request is forwarded unchanged, headers included (s3rver checks the SigV4
 * signature, which covers the Host header the client sent). Real sockets end to end: the SDK
 * under test just sees a server that does not answer.
 */
import {
  Agent,
  createServer,
  request as forward,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { closeServer, endpointOf, listenOnLoopback } from '#local/standins/net.js';

/** What a predicate sees of a request (its body is not read before the decision). */
export interface ProxiedRequest {
  method: string;
  /** Path and query as sent. */
  url: string;
  /** The path, percent-decoded (S3 encodes `=` in keys as `%3D`). */
  pathname: string;
  /** `X-Amz-Target` of the JSON protocols (DynamoDB, Secrets Manager), e.g. `secretsmanager.GetSecretValue`. */
  target: string | undefined;
  headers: IncomingHttpHeaders;
}

/** Decides whether a request hangs. */
export type HangPredicate = (request: ProxiedRequest) => boolean;

/** A running proxy. */
export interface HangingProxy {
  /** `http://127.0.0.1:<port>`: use it as the service's AWS_ENDPOINT_URL_*. */
  endpoint: string;
  /** From now on, requests the predicate picks hang (replaces any earlier predicate). */
  hang(predicate: HangPredicate): void;
  /** From now on every request is forwarded; requests already hanging stay unanswered. */
  stopHanging(): void;
  /** Every request that was left hanging, in arrival order. */
  readonly hung: readonly ProxiedRequest[];
  /** How many requests were forwarded. */
  readonly forwarded: number;
  /** Stops the proxy and drops every connection, hanging ones included. */
  close(): Promise<void>;
}

function requestOf(method: string | undefined, url: string | undefined, headers: IncomingHttpHeaders) {
  const raw = url ?? '/';
  const path = raw.split('?')[0] ?? '/';
  let pathname: string;
  try {
    pathname = decodeURIComponent(path);
  } catch (err: unknown) {
    // A malformed escape is the client's problem; the predicate still gets the raw path.
    if (!(err instanceof URIError)) throw err;
    pathname = path;
  }
  const target = headers['x-amz-target'];
  return {
    method: method ?? 'GET',
    url: raw,
    pathname,
    target: typeof target === 'string' ? target : undefined,
    headers,
  } satisfies ProxiedRequest;
}

/** Starts a proxy on 127.0.0.1 that forwards to `target` (an `http://host:port` endpoint). */
export async function startHangingProxy(target: string): Promise<HangingProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const hung: ProxiedRequest[] = [];
  let forwarded = 0;
  let predicate: HangPredicate | undefined;

  const server = createServer((req, res) => {
    const request = requestOf(req.method, req.url, req.headers);
    if (predicate?.(request)) {
      hung.push(request);
      // Take the whole body so the client's upload completes and it waits for an answer that never comes.
      req.resume();
      return;
    }
    forwarded += 1;
    relay(req, res);
  });

  function relay(req: IncomingMessage, res: ServerResponse): void {
    const outgoing = forward(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        // Raw pairs: the exact names, values and order the client signed.
        headers: req.rawHeaders,
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.rawHeaders);
        answer.pipe(res);
      },
    );
    outgoing.on('error', (err: Error) => {
      // The stand-in dropped the connection: pass that on as the same kind of failure.
      if (res.headersSent) res.destroy(err);
      else res.writeHead(502, { 'content-type': 'text/plain' }).end('hanging proxy: upstream failed');
    });
    req.pipe(outgoing);
  }

  await listenOnLoopback(server);
  return {
    endpoint: endpointOf(server),
    hang: (next) => {
      predicate = next;
    },
    stopHanging: () => {
      predicate = undefined;
    },
    hung,
    get forwarded() {
      return forwarded;
    },
    close: async () => {
      await closeServer(server);
      agent.destroy();
    },
  };
}
