/** Response building: JSON and problem bodies with the headers every answer carries. */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { type ProblemSpec, toProblemDocument } from './problem.js';

/** Name of the response header carrying the request id (also in problem bodies and logs). */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * Sent on every response: answers are per-caller and time-dependent (no-store), JSON must not
 * be sniffed into HTML, and nothing here is meant to be framed or to load resources.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
};

/**
 * JSON text with `<`, `>` and `&` escaped as \u sequences: still the same JSON, but no byte
 * sequence in it can be taken for markup if some client ignores the content type.
 */
export function safeJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A response as the handler returns it (headers always present). */
export type HttpResponse = APIGatewayProxyStructuredResultV2 & {
  statusCode: number;
  headers: Record<string, string>;
};

/** A JSON response. */
export function jsonResponse(
  statusCode: number,
  body: unknown,
  requestId: string,
  headers: Record<string, string> = {},
): HttpResponse {
  return {
    statusCode,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      ...SECURITY_HEADERS,
      ...headers,
      [REQUEST_ID_HEADER]: requestId,
    },
    body: safeJson(body),
  };
}

/** An `application/problem+json` response (RFC 9457). */
export function problemResponse(spec: ProblemSpec, requestId: string, instance: string): HttpResponse {
  return {
    statusCode: spec.status,
    headers: {
      'content-type': 'application/problem+json; charset=utf-8',
      ...SECURITY_HEADERS,
      ...(spec.headers ?? {}),
      [REQUEST_ID_HEADER]: requestId,
    },
    body: safeJson(toProblemDocument(spec, requestId, instance)),
  };
}

/** A response without a body (204, or HEAD). */
export function emptyResponse(
  statusCode: number,
  requestId: string,
  headers: Record<string, string> = {},
): HttpResponse {
  return {
    statusCode,
    headers: { ...SECURITY_HEADERS, ...headers, [REQUEST_ID_HEADER]: requestId },
    body: '',
  };
}
