/**
 * The API's operations (method + path template): one list shared by the router and the CDK
 * stack (which creates one IAM-authorised route per operation), so a route cannot exist in one
 * and not the other. `{name}` matches one non-empty path segment.
 */
export const QUERY_ROUTES = {
  events: '/v1/events',
  categories: '/v1/categories',
  status: '/v1/status',
  openapi: '/v1/openapi.json',
  archiveQueries: '/v1/archive/queries',
  archiveQuery: '/v1/archive/queries/{id}',
  archiveResults: '/v1/archive/queries/{id}/results',
  // The same archive routes under one source's path, so an IAM policy on the path (API Gateway's
  // IAM authorization sees the path, never the body) can limit a principal to one source.
  sourceArchiveQueries: '/v1/sources/{source}/archive/queries',
  sourceArchiveQuery: '/v1/sources/{source}/archive/queries/{id}',
  sourceArchiveResults: '/v1/sources/{source}/archive/queries/{id}/results',
} as const;

/** An HTTP method a route answers (HEAD and OPTIONS come with GET and every route). */
export type RouteMethod = 'GET' | 'POST' | 'DELETE';

/** One operation. */
export interface QueryOperation {
  method: RouteMethod;
  path: string;
}

/** Every operation of the API. */
export const QUERY_OPERATIONS: readonly QueryOperation[] = [
  { method: 'GET', path: QUERY_ROUTES.events },
  { method: 'GET', path: QUERY_ROUTES.categories },
  { method: 'GET', path: QUERY_ROUTES.status },
  { method: 'GET', path: QUERY_ROUTES.openapi },
  ...(
    [
      [QUERY_ROUTES.archiveQueries, QUERY_ROUTES.archiveQuery, QUERY_ROUTES.archiveResults],
      [QUERY_ROUTES.sourceArchiveQueries, QUERY_ROUTES.sourceArchiveQuery, QUERY_ROUTES.sourceArchiveResults],
    ] as const
  ).flatMap(([queries, query, results]): QueryOperation[] => [
    { method: 'POST', path: queries },
    { method: 'GET', path: query },
    { method: 'DELETE', path: query },
    { method: 'GET', path: results },
  ]),
];

/** Every path template, once each. */
export const QUERY_ROUTE_PATHS: readonly string[] = [...new Set(QUERY_OPERATIONS.map((o) => o.path))];

/** A compiled path template. */
export interface PathMatcher {
  template: string;
  /** The parameters of `path`, or undefined when it does not match. */
  match(path: string): Record<string, string> | undefined;
}

/** Compiles a template such as `/v1/archive/queries/{id}`. */
export function pathMatcher(template: string): PathMatcher {
  const parts = template.split('/');
  return {
    template,
    match(path) {
      const segments = path.split('/');
      if (segments.length !== parts.length) return undefined;
      const params: Record<string, string> = {};
      for (const [i, part] of parts.entries()) {
        const segment = segments[i] ?? '';
        if (part.startsWith('{') && part.endsWith('}')) {
          // Taken as sent, never percent-decoded: ids and source ids are plain [a-z0-9_-] text, and
          // the path an IAM policy allowed is then exactly the one that is served.
          if (segment === '') return undefined;
          params[part.slice(1, -1)] = segment;
        } else if (part !== segment) {
          return undefined;
        }
      }
      return params;
    },
  };
}
