/**
 * The CLI's HTTP client for the query API: JSON in and out, problem documents turned into
 * errors that say what the API said, network failures into errors that say where and why, and
 * every request SigV4-signed when the endpoint is the deployed API.
 */
import { createSigner, regionOfHost, type UnsignedRequest } from './signing.js';

/** How requests are authenticated. */
export type AuthMode = 'auto' | 'sigv4' | 'none';

/** A failed request: the API's problem document, or a transport failure. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly problem?: Record<string, unknown> | undefined,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** A problem document as a few readable lines: title, detail, and each field error. */
export function describeProblem(status: number, problem: Record<string, unknown>): string {
  const lines = [`${String(problem.title ?? 'Request failed')} (HTTP ${status})`];
  if (typeof problem.detail === 'string') lines.push(problem.detail);
  for (const error of (problem.errors ?? []) as Array<{ field?: unknown; message?: unknown }>) {
    lines.push(`  ${String(error.field)}: ${String(error.message)}`);
  }
  if (typeof problem.requestId === 'string') lines.push(`request id: ${problem.requestId}`);
  return lines.join('\n');
}

/** Node's fetch wraps the socket error in `cause`; say which host and what happened. */
function networkError(url: URL, err: unknown): ApiError {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  const reason = code ?? (err instanceof Error ? err.message : String(err));
  const hint = LOOPBACK.has(url.hostname) && code === 'ECONNREFUSED' ? ' Is `npm start` running?' : '';
  return new ApiError(`cannot reach ${url.host} (${reason}).${hint}`, undefined);
}

/** Options of the client. */
export interface ApiClientOptions {
  endpoint: string;
  auth: AuthMode;
  /** Region to sign for; default: from the execute-api host name, else AWS_REGION. */
  region?: string | undefined;
}

/** A JSON client for one endpoint. */
export class ApiClient {
  private readonly base: URL;
  private readonly sign: ((request: UnsignedRequest) => Promise<Record<string, string>>) | undefined;

  constructor(options: ApiClientOptions) {
    this.base = new URL(options.endpoint.endsWith('/') ? options.endpoint : `${options.endpoint}/`);
    const signing =
      options.auth === 'sigv4' || (options.auth === 'auto' && !LOOPBACK.has(this.base.hostname));
    if (signing) {
      const region = options.region ?? regionOfHost(this.base.hostname) ?? process.env.AWS_REGION;
      if (!region) {
        throw new ApiError(
          'cannot sign requests: give --region or set AWS_REGION (the endpoint does not name one)',
          undefined,
        );
      }
      this.sign = createSigner(region);
    }
  }

  /** Sends one request; resolves with the parsed body of a 2xx answer, rejects with ApiError. */
  async request(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const url = new URL(path.replace(/^\//, ''), this.base);
    const text = body === undefined ? undefined : JSON.stringify(body);
    let headers: Record<string, string> = { accept: 'application/json' };
    if (text !== undefined) headers['content-type'] = 'application/json';
    if (this.sign) headers = await this.sign({ method, url, headers, body: text });
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body: text });
    } catch (err: unknown) {
      throw networkError(url, err);
    }
    const raw = await response.text();
    let json: Record<string, unknown> = {};
    try {
      json = raw === '' ? {} : (JSON.parse(raw) as Record<string, unknown>);
    } catch {
      throw new ApiError(
        `${url.host} answered HTTP ${response.status} with a body that is not JSON`,
        response.status,
      );
    }
    if (!response.ok) {
      const message =
        response.status === 403 && json.message !== undefined
          ? `Forbidden (HTTP 403): ${String(json.message)} — check the credentials and that your IAM policy allows execute-api:Invoke on this route`
          : describeProblem(response.status, json);
      throw new ApiError(message, response.status, json);
    }
    return { status: response.status, json };
  }
}
