/**
 * The API's paths: one list shared by the router and the CDK stack (which creates one
 * IAM-authorised `GET` route per path), so a route cannot exist in one and not the other.
 */
export const QUERY_ROUTES = {
  events: '/v1/events',
  categories: '/v1/categories',
  status: '/v1/status',
  openapi: '/v1/openapi.json',
} as const;

/** Every path, for iteration (e.g. `for (const path of QUERY_ROUTE_PATHS) api.addRoutes(…)`). */
export const QUERY_ROUTE_PATHS: readonly string[] = Object.values(QUERY_ROUTES);
