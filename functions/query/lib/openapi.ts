/**
 * The OpenAPI 3.1 document, generated from the zod schemas that validate requests
 * (`params.ts`) and describe responses (`response-schemas.ts`): it cannot drift from the code.
 */
// A namespace import lets esbuild tree-shake zod (`import { z }` pulls in all of it, ~360 KB).
import * as z from 'zod';
import { archiveParamSchemas } from './archive-params.js';
import { type ParamsSchema, parameterShapes, type RouteSchemas } from './params.js';
import {
  archiveQuerySchema,
  archiveQueryStartedSchema,
  archiveResultsSchema,
  auditRecordSchema,
  categoriesSchema,
  eventsPageSchema,
  problemSchema,
  statusSchema,
} from './response-schemas.js';
import { QUERY_ROUTES } from './routes.js';

/** The API's version, as published in `info.version`. */
export const API_VERSION = '1.0.0';

type JsonObject = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Component schemas, with references between them (records inside pages). */
function componentSchemas(): Record<string, JsonObject> {
  const registry = z.registry<{ id: string }>();
  registry.add(auditRecordSchema, { id: 'AuditRecord' });
  registry.add(eventsPageSchema, { id: 'EventsPage' });
  registry.add(categoriesSchema, { id: 'Categories' });
  registry.add(statusSchema, { id: 'Status' });
  registry.add(problemSchema, { id: 'Problem' });
  registry.add(archiveQueryStartedSchema, { id: 'ArchiveQueryStarted' });
  registry.add(archiveQuerySchema, { id: 'ArchiveQuery' });
  registry.add(archiveResultsSchema, { id: 'ArchiveResults' });
  const { schemas } = z.toJSONSchema(registry, { io: 'output', uri: (id) => `#/components/schemas/${id}` });
  return Object.fromEntries(
    Object.entries(schemas).map(([name, schema]) => {
      // Inside an OpenAPI document the dialect and location are implied.
      const { $schema: _dialect, $id: _id, ...rest } = schema as JsonObject;
      return [name, rest];
    }),
  );
}

/** OpenAPI parameter objects for a route's schema. */
export function openApiParameters(schema: ParamsSchema): JsonObject[] {
  return parameterShapes(schema).map((shape) => {
    const { description, ...jsonSchema } = shape.jsonSchema;
    return {
      name: shape.name,
      in: 'query',
      required: shape.required,
      ...(typeof description === 'string' ? { description } : {}),
      ...(shape.repeatable ? { style: 'form', explode: true } : {}),
      schema: jsonSchema,
    };
  });
}

const problem = (description: string, headers?: JsonObject) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/problem+json': { schema: ref('Problem') } },
});

const requestIdHeader = {
  'x-request-id': {
    description: 'The request id, also in problem bodies and in the logs.',
    schema: { type: 'string' },
  },
};

const retryAfter = {
  ...requestIdHeader,
  'retry-after': { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 1 } },
};

const commonErrors = {
  '400': problem('Invalid parameters (field-level detail in `errors`).', requestIdHeader),
  '405': problem('Method not allowed (see the Allow header).', {
    ...requestIdHeader,
    allow: { schema: { type: 'string' } },
  }),
  '414': problem('Query string too long.', requestIdHeader),
  '500': problem('Unexpected error; report the request id.', requestIdHeader),
};

const upstreamErrors = {
  '429': problem('Mimecast is throttling this source.', retryAfter),
  '502': problem(
    'Mimecast failed or rejected the credentials (the detail says what an operator must do).',
    requestIdHeader,
  ),
  '503': problem(
    'The credentials (or, in fleet mode, the source registry) could not be read right now.',
    retryAfter,
  ),
  '504': problem("Mimecast did not answer within this API's deadline.", requestIdHeader),
};

/** The source's own state stops a live search (4xx: nothing failed). */
const sourceStateErrors = {
  '404': problem('No source is configured yet (fleet mode, an empty registry).', requestIdHeader),
  '409': problem(
    'The source is disabled in the source registry (source-disabled), or its secret holds no credentials yet (source-not-configured).',
    requestIdHeader,
  ),
};

const ok = (description: string, schemaName: string) => ({
  description,
  headers: requestIdHeader,
  content: { 'application/json': { schema: ref(schemaName) } },
});

const archiveErrors = {
  '404': problem(
    'No such archive query of yours (or no such source on a /v1/sources/… route).',
    requestIdHeader,
  ),
  '429': problem('Athena is throttling, or too many queries are running.', retryAfter),
  '502': problem('The query engine failed.', requestIdHeader),
  '503': problem(
    'The query registry (or, in fleet mode, the source registry) could not be reached.',
    retryAfter,
  ),
};

const pathParameter = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
});

/** The archive operations under one base path (all sources, or one source's path). */
function archivePaths(base: string, scoped: boolean, body: z.ZodType): Record<string, JsonObject> {
  const sourceParameter = scoped
    ? [
        pathParameter(
          'source',
          'A configured source: the query reads it alone (an IAM policy can allow just this path).',
        ),
      ]
    : [];
  const idParameter = pathParameter('id', 'The id POST returned.');
  const suffix = scoped ? 'ForSource' : '';
  const requestBody = {
    required: true,
    content: { 'application/json': { schema: z.toJSONSchema(body, { io: 'input' }) } },
  };
  return {
    [base]: {
      post: {
        operationId: `startArchiveQuery${suffix}`,
        summary: 'Start an asynchronous query over the whole archive',
        description:
          'Validates the query and starts it on Athena; answers at once (202). Poll the returned id until its state is succeeded, then page through its results.',
        parameters: sourceParameter,
        requestBody,
        responses: {
          '202': {
            description: 'Started.',
            headers: { ...requestIdHeader, location: { schema: { type: 'string' } } },
            content: { 'application/json': { schema: ref('ArchiveQueryStarted') } },
          },
          ...commonErrors,
          '413': problem('Body too large.', requestIdHeader),
          '415': problem('The body is not sent as application/json.', requestIdHeader),
          ...archiveErrors,
        },
      },
    },
    [`${base}/{id}`]: {
      get: {
        operationId: `describeArchiveQuery${suffix}`,
        summary: "An archive query's state and statistics",
        parameters: [...sourceParameter, idParameter],
        responses: { '200': ok('The query.', 'ArchiveQuery'), ...commonErrors, ...archiveErrors },
      },
      delete: {
        operationId: `cancelArchiveQuery${suffix}`,
        summary: 'Cancel an archive query (a finished one is left as it is)',
        parameters: [...sourceParameter, idParameter],
        responses: {
          '200': ok('The query after cancelling.', 'ArchiveQuery'),
          ...commonErrors,
          ...archiveErrors,
        },
      },
    },
    [`${base}/{id}/results`]: {
      get: {
        operationId: `archiveQueryResults${suffix}`,
        summary: "One page of a succeeded archive query's records",
        parameters: [...sourceParameter, idParameter, ...openApiParameters(archiveParamSchemas.results)],
        responses: {
          '200': ok('A page of records, ordered by event_time then id.', 'ArchiveResults'),
          ...commonErrors,
          '409': problem('The query has not succeeded (still running, or cancelled).', retryAfter),
          '422': problem(
            'The query failed for a reason you can act on (e.g. the scan limit).',
            requestIdHeader,
          ),
          ...archiveErrors,
        },
      },
    },
  };
}

/** Builds the document for one deployment's route schemas and archive query body. */
export function buildOpenApiDocument(schemas: RouteSchemas, archiveBody: z.ZodType): JsonObject {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Mimecast audit events API',
      version: API_VERSION,
      description:
        "Live search of Mimecast audit events (last 60 days), asynchronous queries over the whole archive (any age, on Athena), Mimecast's audit categories, and the collector's status. Requests are signed with AWS SigV4 (IAM).",
    },
    // No `servers`: the default "/" resolves against wherever this document was fetched from.
    security: [{ sigv4: [] }],
    paths: {
      [QUERY_ROUTES.events]: {
        get: {
          operationId: 'searchEvents',
          summary: 'Search audit events live in Mimecast',
          description:
            'Returns one page of events with start ≤ event_time < end, normalised exactly like the archive. Follow nextPageToken (sending the same other parameters) until it is null.',
          parameters: openApiParameters(schemas.events),
          responses: {
            '200': ok('One page of events.', 'EventsPage'),
            ...commonErrors,
            ...sourceStateErrors,
            ...upstreamErrors,
          },
        },
      },
      [QUERY_ROUTES.categories]: {
        get: {
          operationId: 'listCategories',
          summary: "Mimecast's audit categories (cached)",
          parameters: openApiParameters(schemas.categories),
          responses: {
            '200': ok('The categories of the source.', 'Categories'),
            ...commonErrors,
            ...sourceStateErrors,
            ...upstreamErrors,
          },
        },
      },
      [QUERY_ROUTES.status]: {
        get: {
          operationId: 'collectorStatus',
          summary: "The collector's progress for every source",
          parameters: openApiParameters(schemas.status),
          responses: {
            '200': ok('One entry per configured source.', 'Status'),
            ...commonErrors,
            '503': problem(
              'The cursor table (or, in fleet mode, the source registry) could not be read.',
              requestIdHeader,
            ),
          },
        },
      },
      [QUERY_ROUTES.openapi]: {
        get: {
          operationId: 'openApiDocument',
          summary: 'This document',
          parameters: openApiParameters(schemas.openapi),
          responses: {
            '200': {
              description: 'OpenAPI 3.1 document.',
              headers: requestIdHeader,
              content: { 'application/json': {} },
            },
            ...commonErrors,
          },
        },
      },
      ...archivePaths(QUERY_ROUTES.archiveQueries, false, archiveBody),
      ...archivePaths('/v1/sources/{source}/archive/queries', true, archiveBody),
    },
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description: 'AWS Signature Version 4 (service execute-api), e.g. with awscurl.',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
      },
    },
  };
}
