/**
 * The query API's core: routing, validation, the per-request deadline, error mapping, logs and
 * metrics. The Lambda handler wraps it in middy/Powertools; tests build it with their own
 * dependencies. It holds no AWS client of its own: everything arrives through `QueryAppDeps`.
 *
 * The sources come from a SourceCatalog: the environment's fixed list, or (fleet mode) the source
 * registry, re-read at most once a minute. Every request validates against the list of that
 * moment (the `source` enums, the archive body's `sources`, the OpenAPI document are rebuilt when
 * the list of ids changes). A disabled source answers archive queries and status, but its live
 * routes (`/v1/events`, `/v1/categories`, which call Mimecast) are refused with 409
 * `source-disabled`: disabling stops the use of its Mimecast credentials, not access to what was
 * collected.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type * as z from 'zod';
import type { ArchiveQueryEngine } from '#core/archive-query/engine.js';
import type { ArchiveQueryRegistry } from '#core/archive-query/registry.js';
import { type QueryConfig, querySources } from '#core/config/env.js';
import type { Clock, CursorStore } from '#core/ports.js';
import { archiveParamSchemas, archiveQueryBodySchema, MAX_ARCHIVE_BODY_BYTES } from './archive-params.js';
import { type ArchiveCall, ArchiveRoutes, type RouteResult } from './archive-routes.js';
import { CategoryCache, listCategories } from './categories.js';
import type { QueryLogger, RouteContext } from './context.js';
import { searchEvents } from './events.js';
import { emptyResponse, type HttpResponse, jsonResponse, problemResponse } from './http.js';
import { buildOpenApiDocument } from './openapi.js';
import {
  buildRouteSchemas,
  listSourceIds,
  type ParamsSchema,
  type RouteSchemas,
  validateParams,
} from './params.js';
import { HttpProblem, invalidRequest, type ProblemSpec, ProblemType, printable } from './problem.js';
import { MAX_QUERY_STRING_LENGTH, parseQueryString, QUERY_STRING_FIELD } from './query-string.js';
import { type PathMatcher, pathMatcher, QUERY_ROUTES, type RouteMethod } from './routes.js';
import {
  type CatalogSource,
  envSourceCatalog,
  type SourceCatalog,
  SourcesUnavailableError,
} from './source-catalog.js';
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

/** The archive query engine and the registry of who started which query. */
export interface ArchiveDeps {
  engine: ArchiveQueryEngine;
  registry: ArchiveQueryRegistry;
}

/** The settings the core reads besides the sources (both modes have them). */
export type QueryCoreConfig = Omit<QueryConfig, 'SOURCES' | 'SOURCE_ID' | 'MIMECAST_SECRET_ID'>;

/** Everything the core needs besides its configuration and sources. */
interface QueryAppBaseDeps {
  clock: Clock;
  cursorStore: Pick<CursorStore, 'get'>;
  readSecret: SecretReader;
  createClient: ClientFactory;
  telemetry: QueryTelemetry;
  /** Without it the archive routes answer 503 (a deployment or test without an engine). */
  archive?: ArchiveDeps | undefined;
  /** Added to the problem of a secret that may not be read (fleet mode: the tag it needs). */
  secretAccessNote?: ((sourceId: string) => string) | undefined;
}

/**
 * Everything the core needs: the environment's sources (`querySources(config)`) unless a
 * catalog is given (fleet mode: the registry).
 */
export type QueryAppDeps = QueryAppBaseDeps &
  ({ config: QueryConfig; catalog?: undefined } | { config: QueryCoreConfig; catalog: SourceCatalog });

/** The core: an API Gateway payload-2.0 event in, a structured result out. Never throws. */
export type QueryApp = (event: APIGatewayProxyEventV2, context?: Partial<Context>) => Promise<HttpResponse>;

/** Methods every GET route answers; a path's own list is sent with 405 and OPTIONS. */
export const ALLOWED_METHODS = 'GET, HEAD, OPTIONS';

/** Time kept back from the Lambda's remaining time so the answer is sent before it is killed. */
const LAMBDA_SAFETY_MS = 1_000;

/** What an operation gets besides its validated query parameters. */
interface OperationInput {
  pathParams: Record<string, string>;
  /** The request body (decoded from base64 when API Gateway encoded it); POST only. */
  body: string | undefined;
  contentType: string | undefined;
  owner: string;
}

/** The sources of the moment, with what is derived from their ids (rebuilt only when the ids change). */
interface SourceView {
  sources: readonly CatalogSource[];
  byId: ReadonlyMap<string, CatalogSource>;
  ids: readonly string[];
  /** Used when a live route names no source: the first enabled one (else the first); none if empty. */
  defaultSource: CatalogSource | undefined;
  schemas: RouteSchemas;
  /** Undefined without an archive engine. */
  archive: ArchiveRoutes | undefined;
  openApiDocument(): unknown;
}

interface Operation {
  method: RouteMethod;
  path: string;
  /** The query-string parameters it accepts (an empty strict object: none), for the current sources. */
  schema(view: SourceView): ParamsSchema;
  run(
    params: Record<string, unknown>,
    input: OperationInput,
    ctx: RouteContext,
    view: SourceView,
  ): Promise<RouteResult>;
}

/** Binds a schema to its handler with the handler typed by the schema's output. */
function operation<S extends ParamsSchema>(
  method: RouteMethod,
  path: string,
  schema: (view: SourceView) => S,
  run: (
    params: z.output<S>,
    input: OperationInput,
    ctx: RouteContext,
    view: SourceView,
  ) => Promise<RouteResult>,
): Operation {
  return {
    method,
    path,
    schema,
    run: (params, input, ctx, view) => run(params as z.output<S>, input, ctx, view),
  };
}

/** A GET whose answer is a 200 with the returned body. */
function getRoute<S extends ParamsSchema>(
  path: string,
  schema: (view: SourceView) => S,
  run: (params: z.output<S>, ctx: RouteContext, view: SourceView) => Promise<unknown>,
): Operation {
  return operation('GET', path, schema, async (params, _input, ctx, view) => ({
    status: 200,
    body: await run(params, ctx, view),
  }));
}

/** Cursor items read at once by GET /v1/status (a fleet may have hundreds of sources). */
const STATUS_READ_CONCURRENCY = 16;

/** `map` with at most `limit` calls in flight; results in input order. */
async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  map: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await map(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The path without a named stage's prefix (payload 2.0 keeps it in rawPath). */
function requestPath(event: APIGatewayProxyEventV2, known: (path: string) => boolean): string {
  const raw = event.rawPath || event.requestContext?.http?.path || '/';
  const stage = event.requestContext?.stage;
  if (known(raw) || stage === undefined || stage === '$default' || stage === '') return raw;
  const prefix = `/${stage}`;
  return raw.startsWith(`${prefix}/`) ? raw.slice(prefix.length) : raw;
}

interface AuthorizerContext {
  authorizer?: { iam?: { userArn?: unknown }; jwt?: { claims?: { iss?: unknown; sub?: unknown } } };
}

/** The IAM principal that signed the request, when API Gateway says (logged: who searched the audit log). */
function callerArn(event: APIGatewayProxyEventV2): string | undefined {
  const arn = (event.requestContext as AuthorizerContext | undefined)?.authorizer?.iam?.userArn;
  return typeof arn === 'string' ? arn : undefined;
}

/**
 * Who owns the archive queries a request starts: the IAM principal (an assumed role's session
 * ARN names the session), or the JWT's issuer and subject. Without an authorizer (only `npm
 * start`'s loopback API) every caller is the same local user.
 */
export function callerIdentity(event: APIGatewayProxyEventV2): string {
  const authorizer = (event.requestContext as AuthorizerContext | undefined)?.authorizer;
  const arn = authorizer?.iam?.userArn;
  if (typeof arn === 'string' && arn !== '') return `iam:${arn}`;
  const claims = authorizer?.jwt?.claims;
  if (typeof claims?.iss === 'string' && typeof claims.sub === 'string')
    return `jwt:${claims.iss}#${claims.sub}`;
  return 'local';
}

/** The request body as text: API Gateway base64-encodes bodies it does not take for text. */
function bodyText(event: APIGatewayProxyEventV2): string | undefined {
  if (event.body === undefined || event.body === null) return undefined;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

const headerValue = (event: APIGatewayProxyEventV2, name: string): string | undefined => {
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
};

/** The JSON body of a POST, or the problem with it (415, 413, 400). */
function parseJsonBody(input: OperationInput): unknown {
  const type = input.contentType?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new HttpProblem({
      status: 415,
      type: ProblemType.unsupportedMediaType,
      title: 'Unsupported media type',
      detail: 'Send the body as JSON with "Content-Type: application/json".',
    });
  }
  const text = input.body ?? '';
  if (Buffer.byteLength(text, 'utf8') > MAX_ARCHIVE_BODY_BYTES) {
    throw new HttpProblem({
      status: 413,
      type: ProblemType.payloadTooLarge,
      title: 'Request body too large',
      detail: `The body is larger than ${MAX_ARCHIVE_BODY_BYTES} bytes; an archive query needs far less.`,
    });
  }
  if (text.trim() === '') {
    throw new HttpProblem(
      invalidRequest([{ field: '(body)', message: 'is required: a JSON object with start and end' }]),
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpProblem(invalidRequest([{ field: '(body)', message: 'is not valid JSON' }]));
  }
}

/** Fleet mode: the registry could not be read, and no recent list of sources is at hand. */
const sourcesUnavailable = (): ProblemSpec => ({
  status: 503,
  type: ProblemType.sourcesUnavailable,
  title: 'Sources unavailable',
  detail: 'The source registry could not be read. Retry shortly; if it persists, check the function logs.',
  headers: { 'retry-after': '5' },
});

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
  const catalog = deps.catalog === undefined ? envSourceCatalog(querySources(deps.config)) : deps.catalog;
  const fleet = catalog.kind === 'registry';
  const clients = new SourceClients(deps.readSecret, deps.createClient);
  const categoryCache = new CategoryCache(config.CATEGORY_CACHE_SECONDS * 1000, clock);

  /** The view of `sources`: the last one again when its ids are the same (schemas are not rebuilt). */
  let lastView: SourceView | undefined;
  let lastKey: string | undefined;
  const viewOf = (sources: readonly CatalogSource[]): SourceView => {
    if (lastView !== undefined && lastView.sources === sources) return lastView;
    const ids = sources.map((s) => s.id);
    const defaultSource = sources.find((s) => s.enabled) ?? sources[0];
    const key = JSON.stringify([ids, defaultSource?.id]);
    const byId = new Map(sources.map((s) => [s.id, s]));
    if (lastView !== undefined && key === lastKey) {
      lastView = { ...lastView, sources, byId, defaultSource };
      return lastView;
    }
    const schemas = buildRouteSchemas(
      ids,
      fleet
        ? { id: defaultSource?.id, rule: 'the first enabled source, in id order' }
        : { id: defaultSource?.id, rule: 'the first configured source' },
    );
    const archive =
      deps.archive === undefined
        ? undefined
        : new ArchiveRoutes({
            ...deps.archive,
            table: config.ARCHIVE_TABLE,
            retentionDays: config.ARCHIVE_QUERY_RETENTION_DAYS,
            sources,
            clock,
            logger,
          });
    let document: unknown;
    lastKey = key;
    lastView = {
      sources,
      byId,
      ids,
      defaultSource,
      schemas,
      archive,
      openApiDocument: () => {
        document ??= buildOpenApiDocument(schemas, archiveQueryBodySchema(ids));
        return document;
      },
    };
    return lastView;
  };

  /** The source a live route (one that calls Mimecast) uses: it must exist and be enabled. */
  const liveSource = (view: SourceView, id: string | undefined): CatalogSource => {
    // The schema's enum already refused unknown ids; the default is documented in the parameter.
    const found = id === undefined ? view.defaultSource : view.byId.get(id);
    if (found === undefined && id === undefined) {
      throw new HttpProblem({
        status: 404,
        type: ProblemType.notFound,
        title: 'Not found',
        detail: 'No source is configured yet; add one to the source registry first.',
      });
    }
    if (found === undefined)
      throw new HttpProblem(invalidRequest([{ field: 'source', message: 'is not a configured source' }]));
    if (!found.enabled) {
      // The registry's state, not a failure: a 4xx, like a source whose secret is still empty.
      throw new HttpProblem({
        status: 409,
        type: ProblemType.sourceDisabled,
        title: 'The source is disabled',
        detail: `Source "${found.id}" is disabled in the source registry, so it is not searched live. Its archive stays queryable (POST /v1/archive/queries) and GET /v1/status still reports it; enable it in the registry (npm run sources) to search it live again.`,
      });
    }
    return found;
  };

  const archiveRoutes = (view: SourceView): ArchiveRoutes => {
    if (view.archive !== undefined) return view.archive;
    throw new HttpProblem({
      status: 503,
      type: ProblemType.archiveUnavailable,
      title: 'Archive queries unavailable',
      detail: 'This deployment has no archive query engine configured.',
    });
  };
  const archiveCall = (view: SourceView, input: OperationInput, ctx: RouteContext): ArchiveCall => {
    const scoped = input.pathParams.source;
    if (scoped !== undefined && !view.byId.has(scoped)) {
      throw new HttpProblem({
        status: 404,
        type: ProblemType.notFound,
        title: 'Not found',
        detail: `No such source; configured sources: ${listSourceIds(view.ids)}.`,
      });
    }
    return { owner: input.owner, requestId: ctx.requestId, scopedSource: scoped };
  };
  const archiveId = (input: OperationInput): string => input.pathParams.id ?? '';

  const operations: Operation[] = [
    getRoute(
      QUERY_ROUTES.events,
      (view) => view.schemas.events,
      (params, ctx, view) =>
        searchEvents(
          params,
          liveSource(view, params.source),
          { defaultPageSize: config.PAGE_SIZE, categories: categoryCache },
          ctx,
        ),
    ),
    getRoute(
      QUERY_ROUTES.categories,
      (view) => view.schemas.categories,
      (params, ctx, view) => listCategories(liveSource(view, params.source), categoryCache, ctx),
    ),
    getRoute(
      QUERY_ROUTES.status,
      (view) => view.schemas.status,
      async (_params, _ctx, view) => {
        const { sources } = view;
        let states: Awaited<ReturnType<typeof deps.cursorStore.get>>[];
        try {
          // The function's own credentials: reporting every source's cursor is this route's job.
          states = await mapBounded(sources, STATUS_READ_CONCURRENCY, (s) => deps.cursorStore.get(s.id));
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
          sources: sources.map((s, i) =>
            describeSource(
              s.id,
              states[i] ?? null,
              now,
              fleet ? { enabled: s.enabled, scheduleMinutes: s.scheduleMinutes } : undefined,
            ),
          ),
        };
      },
    ),
    getRoute(
      QUERY_ROUTES.openapi,
      (view) => view.schemas.openapi,
      async (_params, _ctx, view) => view.openApiDocument(),
    ),
    ...(
      [
        [QUERY_ROUTES.archiveQueries, QUERY_ROUTES.archiveQuery, QUERY_ROUTES.archiveResults],
        [
          QUERY_ROUTES.sourceArchiveQueries,
          QUERY_ROUTES.sourceArchiveQuery,
          QUERY_ROUTES.sourceArchiveResults,
        ],
      ] as const
    ).flatMap(([queries, query, results]) => [
      operation(
        'POST',
        queries,
        () => archiveParamSchemas.none,
        async (_params, input, ctx, view) => {
          const call = archiveCall(view, input, ctx);
          return archiveRoutes(view).start(call, parseJsonBody(input));
        },
      ),
      operation(
        'GET',
        query,
        () => archiveParamSchemas.none,
        async (_params, input, ctx, view) =>
          archiveRoutes(view).describe(archiveCall(view, input, ctx), archiveId(input)),
      ),
      operation(
        'DELETE',
        query,
        () => archiveParamSchemas.none,
        async (_params, input, ctx, view) =>
          archiveRoutes(view).cancel(archiveCall(view, input, ctx), archiveId(input)),
      ),
      operation(
        'GET',
        results,
        () => archiveParamSchemas.results,
        async (params, input, ctx, view) =>
          archiveRoutes(view).results(archiveCall(view, input, ctx), archiveId(input), params),
      ),
    ]),
  ];

  /** Path templates with their operations by method, literal templates first. */
  const paths = new Map<string, { matcher: PathMatcher; byMethod: Map<string, Operation> }>();
  for (const op of operations) {
    const entry = paths.get(op.path) ?? { matcher: pathMatcher(op.path), byMethod: new Map() };
    entry.byMethod.set(op.method, op);
    paths.set(op.path, entry);
  }
  const matchPath = (path: string) => {
    for (const entry of paths.values()) {
      const params = entry.matcher.match(path);
      if (params !== undefined) return { ...entry, params };
    }
    return undefined;
  };
  const allowedMethods = (byMethod: Map<string, Operation>): string =>
    [...byMethod.keys(), ...(byMethod.has('GET') ? ['HEAD'] : []), 'OPTIONS'].join(', ');

  return async (event, context) => {
    const started = performance.now();
    const requestId = context?.awsRequestId || event.requestContext?.requestId || randomUUID();
    const method = (event.requestContext?.http?.method ?? 'GET').toUpperCase();
    const path = requestPath(event, (p) => matchPath(p) !== undefined);
    const matched = matchPath(path);
    const rawQuery = event.rawQueryString ?? '';
    let upstreamMs: number | undefined;

    const respond = async (): Promise<HttpResponse> => {
      if (matched === undefined) {
        return problemResponse(
          {
            status: 404,
            type: ProblemType.notFound,
            title: 'Not found',
            detail: `No such resource. Routes: ${[...paths.keys()].join(', ')}.`,
          },
          requestId,
          path,
        );
      }
      const allow = allowedMethods(matched.byMethod);
      if (method === 'OPTIONS') return emptyResponse(204, requestId, { allow });
      const op = matched.byMethod.get(method === 'HEAD' ? 'GET' : method);
      if (op === undefined) {
        const usable = [...matched.byMethod.keys()].join(' or ');
        return problemResponse(
          {
            status: 405,
            type: ProblemType.methodNotAllowed,
            title: 'Method not allowed',
            detail: `${printable(method, 16)} is not allowed here; use ${usable}.`,
            headers: { allow },
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
      let view: SourceView;
      try {
        view = viewOf(await catalog.list());
      } catch (err: unknown) {
        if (!(err instanceof SourcesUnavailableError)) throw err;
        // The catalog told onReadError (logged) already.
        return problemResponse(sourcesUnavailable(), requestId, path);
      }
      const validated = validateParams(op.schema(view), parsed.params);
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
              secretAccessNote: deps.secretAccessNote?.(source.id),
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
        const input: OperationInput = {
          pathParams: matched.params,
          body: op.method === 'POST' ? bodyText(event) : undefined,
          contentType: headerValue(event, 'content-type'),
          owner: callerIdentity(event),
        };
        const result = await op.run(validated.value as Record<string, unknown>, input, ctx, view);
        return jsonResponse(result.status, result.body, requestId, result.headers);
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
    const routeName = matched?.matcher.template ?? 'unmatched';
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
