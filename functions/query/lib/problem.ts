/**
 * RFC 9457 problem documents: every error the API answers is one of these, served as
 * `application/problem+json`, with the request id so a caller's report can be matched to the logs.
 */

/** One invalid field (a query parameter name, or `(query string)` for the string as a whole). */
export interface FieldError {
  field: string;
  message: string;
}

/** The body of every error response. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** The request path that failed. */
  instance: string;
  requestId: string;
  errors?: FieldError[] | undefined;
}

const TYPE_PREFIX = 'urn:mimecast-audit-lake:problem:';

/**
 * Problem types: stable identifiers a client may switch on (listed in docs/api.md, Errors). URNs rather
 * than web addresses, because the product has no site of its own to host pages for them.
 */
export const ProblemType = {
  invalidRequest: `${TYPE_PREFIX}invalid-request`,
  notFound: `${TYPE_PREFIX}not-found`,
  methodNotAllowed: `${TYPE_PREFIX}method-not-allowed`,
  uriTooLong: `${TYPE_PREFIX}uri-too-long`,
  upstreamRateLimited: `${TYPE_PREFIX}upstream-rate-limited`,
  upstreamCredentials: `${TYPE_PREFIX}upstream-credentials`,
  sourceNotConfigured: `${TYPE_PREFIX}source-not-configured`,
  sourceDisabled: `${TYPE_PREFIX}source-disabled`,
  sourcesUnavailable: `${TYPE_PREFIX}sources-unavailable`,
  upstreamRefused: `${TYPE_PREFIX}upstream-refused`,
  upstreamUnavailable: `${TYPE_PREFIX}upstream-unavailable`,
  upstreamTimeout: `${TYPE_PREFIX}upstream-timeout`,
  statusUnavailable: `${TYPE_PREFIX}status-unavailable`,
  unsupportedMediaType: `${TYPE_PREFIX}unsupported-media-type`,
  payloadTooLarge: `${TYPE_PREFIX}payload-too-large`,
  archiveQueryNotFinished: `${TYPE_PREFIX}archive-query-not-finished`,
  archiveQueryCancelled: `${TYPE_PREFIX}archive-query-cancelled`,
  archiveQueryFailed: `${TYPE_PREFIX}archive-query-failed`,
  archiveThrottled: `${TYPE_PREFIX}archive-throttled`,
  archiveUnavailable: `${TYPE_PREFIX}archive-unavailable`,
  internal: `${TYPE_PREFIX}internal-error`,
} as const;

/** What a route or the router decides; the request id and instance are added when it is sent. */
export interface ProblemSpec {
  status: number;
  type: string;
  title: string;
  detail: string;
  errors?: FieldError[] | undefined;
  /** Extra response headers (e.g. `allow`, `retry-after`). */
  headers?: Record<string, string> | undefined;
}

/** Thrown by route code to answer with a problem; the app turns it into a response. */
export class HttpProblem extends Error {
  readonly spec: ProblemSpec;
  constructor(spec: ProblemSpec) {
    super(spec.detail);
    this.name = 'HttpProblem';
    this.spec = spec;
  }
}

/** A 400 for invalid query parameters. */
export function invalidRequest(errors: FieldError[], detail?: string): ProblemSpec {
  const fields = [...new Set(errors.map((e) => e.field))];
  return {
    status: 400,
    type: ProblemType.invalidRequest,
    title: 'Invalid request',
    detail:
      detail ??
      `The request has ${errors.length === 1 ? 'an invalid parameter' : 'invalid parameters'}: ${fields.join(', ')}. See "errors".`,
    errors,
  };
}

/**
 * Makes request-supplied text safe to echo in a message or field name: control and format
 * characters become U+FFFD and the text is cut to `max` code points. JSON encoding already
 * neutralises markup; this keeps logs and terminals readable and bounded.
 */
export function printable(text: string, max = 64): string {
  const cleaned = text.replace(/[\p{Cc}\p{Cf}\p{Cs}]/gu, '\uFFFD');
  const points = [...cleaned];
  return points.length > max ? `${points.slice(0, max).join('')}…` : cleaned;
}

/** Completes a spec into the document that is sent. */
export function toProblemDocument(spec: ProblemSpec, requestId: string, instance: string): ProblemDocument {
  return {
    type: spec.type,
    title: spec.title,
    status: spec.status,
    detail: spec.detail,
    instance: printable(instance, 256),
    requestId,
    ...(spec.errors === undefined ? {} : { errors: spec.errors }),
  };
}
