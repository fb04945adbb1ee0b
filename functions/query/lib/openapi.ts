/**
 * The OpenAPI 3.1 document, generated from the zod schemas that validate requests
 * (`params.ts`) and describe responses (`response-schemas.ts`): it cannot drift from the code.
 */
// A namespace import lets esbuild tree-shake zod (`import { z }` pulls in all of it, ~360 KB).
import * as z from 'zod';
import { type ParamsSchema, parameterShapes, type RouteSchemas } from './params.js';
import {
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
  '503': problem('The credentials could not be read right now.', retryAfter),
  '504': problem("Mimecast did not answer within this API's deadline.", requestIdHeader),
};

const ok = (description: string, schemaName: string) => ({
  description,
  headers: requestIdHeader,
  content: { 'application/json': { schema: ref(schemaName) } },
});

/** Builds the document for one deployment's route schemas. */
export function buildOpenApiDocument(schemas: RouteSchemas): JsonObject {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Mimecast audit events API',
      version: API_VERSION,
      description:
        "Live search of Mimecast audit events (last 60 days; older events are in the S3 archive, queryable with Athena), Mimecast's audit categories, and the collector's status. Requests are signed with AWS SigV4 (IAM).",
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
          responses: { '200': ok('One page of events.', 'EventsPage'), ...commonErrors, ...upstreamErrors },
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
            '503': problem('The cursor table could not be read.', requestIdHeader),
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
