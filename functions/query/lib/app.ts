/**
 * The query API's core: routing, validation, the per-request deadline, error mapping, logs and
 * metrics. The Lambda handler wraps it in middy/Powertools; tests build it with their own
 * dependencies. It holds no AWS client of its own: everything arrives through `QueryAppDeps`.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type * as z from 'zod';
import { type QueryConfig, querySources, type SourceConfig } from '#core/config/env.js';
import type { Clock, CursorStore } from '#core/ports.js';
import { CategoryCache, listCategories } from './categories.js';
import type { QueryLogger, RouteContext } from './context.js';
import { searchEvents } from './events.js';
import { emptyResponse, type HttpResponse, jsonResponse, problemResponse } from './http.js';
import { buildOpenApiDocument } from './openapi.js';
import { buildRouteSchemas, type ParamsSchema, validateParams } from './params.js';
import { HttpProblem, invalidRequest, type ProblemSpec, ProblemType, printable } from './problem.js';
import { MAX_QUERY_STRING_LENGTH, parseQueryString, QUERY_STRING_FIELD } from './query-string.js';
import { QUERY_ROUTES } from './routes.js';
import { type ClientFactory, type SecretReader, SourceClients } from './sources.js';
import { describeSource } from './status.js';
import { formatTimestamp } from './timestamps.js';
import { upstreamProblem } from './upstream-errors.js';

export type { QueryLogger } from './context.js';

/** What is measured per request (metrics `Requests` and `UpstreamLatencyMs`, dimensions Route/Status). */
export interface RequestRecord {
  /** The route path, or `unmatched`. */
  route: string;
  status: number;
  /** Time spent waiting for Mimecast, when it was called. */
  upstreamLatencyMs?: number | undefined;
}

/** Logging and metrics. */
export interface QueryTelemetry {
  logger: QueryLogger;
  recordRequest(record: RequestRecord): void;
}

/** Everything the core needs. */
export interface QueryAppDeps {
  config: QueryConfig;
  clock: Clock;
  cursorStore: Pick<CursorStore, 'get'>;
  readSecret: SecretReader;
  createClient: ClientFactory;
  telemetry: QueryTelemetry;
}

/** The core: an API Gateway payload-2.0 event in, a structured result out. Never throws. */
export type QueryApp = (event: APIGatewayProxyEventV2, context?: Partial<Context>) => Promise<HttpResponse>;

/** Methods a route answers; anything else gets 405 with this list. */
export const ALLOWED_METHODS = 'GET, HEAD, OPTIONS';

/** Time kept back from the Lambda's remaining time so the answer is sent before it is killed. */
const LAMBDA_SAFETY_MS = 1_000;

interface Route {
  path: string;
  schema: ParamsSchema;
  run(params: Record<string, unknown>, ctx: RouteContext): Promise<unknown>;
}

/** Binds a schema to its handler with the handler typed by the schema's output. */
function route<S extends ParamsSchema>(
  path: string,
  schema: S,
  run: (params: z.output<S>, ctx: RouteContext) => Promise<unknown>,
): Route {
  return { path, schema, run: (params, ctx) => run(params as z.output<S>, ctx) };
}

/** The path without a named stage's prefix (payload 2.0 keeps it in rawPath). */
function requestPath(event: APIGatewayProxyEventV2, known: (path: string) => boolean): string {
  const raw = event.rawPath || event.requestContext?.http?.path || '/';
  const stage = event.requestContext?.stage;
  if (known(raw) || stage === undefined || stage === '$default' || stage === '') return raw;
  const prefix = `/${stage}`;
  return raw.startsWith(`${prefix}/`) ? raw.slice(prefix.length) : raw;
}

/** The IAM principal that signed the request, when API Gateway says (logged: who searched the audit log). */
function callerArn(event: APIGatewayProxyEventV2): string | undefined {
  const context = event.requestContext as { authorizer?: { iam?: { userArn?: unknown } } } | undefined;
  const arn = context?.authorizer?.iam?.userArn;
  return typeof arn === 'string' ? arn : undefined;
}

const internalError = (): ProblemSpec => ({
  status: 500,
  type: ProblemType.internal,
  title: 'Internal error',
  detail: 'The request failed unexpectedly. Report the request id to the operator; details are in the logs.',
});

/** Builds the core for one container. */
export function createQueryApp(deps: QueryAppDeps): QueryApp {
  const { config, clock, telemetry } = deps;
  const { logger } = telemetry;
  const sources = querySources(config);
  const sourceIds = sources.map((s) => s.id) as [string, ...string[]];
  const schemas = buildRouteSchemas(sourceIds);
  const clients = new SourceClients(deps.readSecret, deps.createClient);
  const categoryCache = new CategoryCache(config.CATEGORY_CACHE_SECONDS * 1000, clock);
  let openApiDocument: unknown;

  const pickSource = (id: string | undefined): SourceConfig => {
    // The schema's enum already refused unknown ids; the first source is the documented default.
    const found = id === undefined ? sources[0] : sources.find((s) => s.id === id);
    if (found === undefined)
      throw new HttpProblem(invalidRequest([{ field: 'source', message: 'is not a configured source' }]));
    return found;
  };

  const routes = new Map<string, Route>(
    [
      route(QUERY_ROUTES.events, schemas.events, (params, ctx) =>
        searchEvents(
          params,
          pickSource(params.source),
          { defaultPageSize: config.PAGE_SIZE, categories: categoryCache },
          ctx,
        ),
      ),
      route(QUERY_ROUTES.categories, schemas.categories, (params, ctx) =>
        listCategories(pickSource(params.source), categoryCache, ctx),
      ),
      route(QUERY_ROUTES.status, schemas.status, async () => {
        let states: Awaited<ReturnType<typeof deps.cursorStore.get>>[];
        try {
          states = await Promise.all(sources.map((s) => deps.cursorStore.get(s.id)));
        } catch (err: unknown) {
          logger.error('cursor table unreadable', { error: err });
          throw new HttpProblem({
            status: 503,
            type: ProblemType.statusUnavailable,
            title: 'Status unavailable',
            detail:
              'The cursor table could not be read. Retry shortly; if it persists, check the function logs.',
            headers: { 'retry-after': '5' },
          });
        }
        const now = clock.now();
        return {
          generatedAt: formatTimestamp(now),
          sources: sources.map((s, i) => describeSource(s.id, states[i] ?? null, now)),
        };
      }),
      route(QUERY_ROUTES.openapi, schemas.openapi, async () => {
        openApiDocument ??= buildOpenApiDocument(schemas);
        return openApiDocument;
      }),
    ].map((r) => [r.path, r]),
  );

  return async (event, context) => {
    const started = performance.now();
    const requestId = context?.awsRequestId || event.requestContext?.requestId || randomUUID();
    const method = (event.requestContext?.http?.method ?? 'GET').toUpperCase();
    const path = requestPath(event, (p) => routes.has(p));
    const matched = routes.get(path);
    const rawQuery = event.rawQueryString ?? '';
    let upstreamMs: number | undefined;

    const respond = async (): Promise<HttpResponse> => {
      if (matched === undefined) {
        return problemResponse(
          {
            status: 404,
            type: ProblemType.notFound,
            title: 'Not found',
            detail: `No such resource. Routes: ${[...routes.keys()].join(', ')}.`,
          },
          requestId,
          path,
        );
      }
      if (method === 'OPTIONS') return emptyResponse(204, requestId, { allow: ALLOWED_METHODS });
      if (method !== 'GET' && method !== 'HEAD') {
        return problemResponse(
          {
            status: 405,
            type: ProblemType.methodNotAllowed,
            title: 'Method not allowed',
            detail: `${printable(method, 16)} is not allowed here; use GET.`,
            headers: { allow: ALLOWED_METHODS },
          },
          requestId,
          path,
        );
      }
      if (rawQuery.length > MAX_QUERY_STRING_LENGTH) {
        return problemResponse(
          {
            status: 414,
            type: ProblemType.uriTooLong,
            title: 'URI too long',
            detail: `The query string is longer than ${MAX_QUERY_STRING_LENGTH} characters.`,
          },
          requestId,
          path,
        );
      }
      const parsed = parseQueryString(rawQuery);
      if (!parsed.ok) return problemResponse(invalidRequest(parsed.errors), requestId, path);
      const validated = validateParams(matched.schema, parsed.params);
      if (!validated.ok) return problemResponse(invalidRequest(validated.errors), requestId, path);

      const remaining =
        typeof context?.getRemainingTimeInMillis === 'function'
          ? context.getRemainingTimeInMillis() - LAMBDA_SAFETY_MS
          : Number.POSITIVE_INFINITY;
      const deadlineMs = Math.max(1, Math.min(config.QUERY_DEADLINE_MS, remaining));
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(new Error('query deadline exceeded')), deadlineMs);
      const deadline = clock.now() + deadlineMs;
      const ctx: RouteContext = {
        requestId,
        clock,
        logger,
        upstream: async (source, call) => {
          const callStarted = performance.now();
          try {
            return await clients.withClient(source, (client) =>
              call(client, { deadline, signal: controller.signal }),
            );
          } catch (err: unknown) {
            const spec = upstreamProblem(err, {
              source,
              deadlineExceeded: controller.signal.aborted,
              deadlineMs,
            });
            if (spec === undefined) throw err;
            logger.warn('upstream failure', {
              requestId,
              source: source.id,
              status: spec.status,
              error: describeError(err),
            });
            throw new HttpProblem(spec);
          } finally {
            upstreamMs = (upstreamMs ?? 0) + (performance.now() - callStarted);
          }
        },
      };
      try {
        const body = await matched.run(validated.value as Record<string, unknown>, ctx);
        return jsonResponse(200, body, requestId);
      } catch (err: unknown) {
        if (err instanceof HttpProblem) return problemResponse(err.spec, requestId, path);
        throw err;
      } finally {
        clearTimeout(timer);
      }
    };

    let response: HttpResponse;
    try {
      response = await respond();
    } catch (err: unknown) {
      logger.error('unexpected failure', { requestId, error: err });
      response = problemResponse(internalError(), requestId, path);
    }
    if (method === 'HEAD') response = { ...response, body: '' };

    const status = response.statusCode;
    const routeName = matched?.path ?? 'unmatched';
    const attributes = {
      requestId,
      apiGatewayRequestId: event.requestContext?.requestId,
      caller: callerArn(event),
      method: printable(method, 16),
      route: routeName,
      path: printable(path, 128),
      parameters: queryParameterNames(rawQuery),
      status,
      durationMs: Math.round(performance.now() - started),
      ...(upstreamMs === undefined ? {} : { upstreamLatencyMs: Math.round(upstreamMs) }),
    };
    if (status >= 500) logger.error('request failed', attributes);
    else logger.info('request', attributes);
    telemetry.recordRequest({
      route: routeName,
      status,
      ...(upstreamMs === undefined ? {} : { upstreamLatencyMs: Math.round(upstreamMs) }),
    });
    return response;
  };
}

/** Parameter names only (values may be long or personal); bounded. */
function queryParameterNames(raw: string): string[] {
  if (raw === '') return [];
  const parsed = parseQueryString(raw.slice(0, MAX_QUERY_STRING_LENGTH));
  if (!parsed.ok) return [QUERY_STRING_FIELD];
  return [...parsed.params.keys()].slice(0, 16).map((name) => printable(name, 32));
}

/** The loggable parts of an upstream error (client messages are already scrubbed of secrets). */
function describeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err };
  const fields = err as Error & {
    kind?: unknown;
    status?: unknown;
    code?: unknown;
    attempts?: unknown;
    reason?: unknown;
  };
  return {
    name: err.name,
    message: err.message,
    kind: fields.kind,
    status: fields.status,
    code: fields.code,
    attempts: fields.attempts,
    reason: fields.reason,
  };
}
