import { describe, expect, it } from 'vitest';
import { archiveQueryBodySchema } from '../../../functions/query/lib/archive-params.js';
import { buildOpenApiDocument } from '../../../functions/query/lib/openapi.js';
import { buildRouteSchemas, type ParamsSchema, validateParams } from '../../../functions/query/lib/params.js';
import { QUERY_OPERATIONS } from '../../../functions/query/lib/routes.js';
import { allRefs, type OpenApiDocument, publishedSchema } from './helpers/published-schemas.js';

const schemas = buildRouteSchemas(['default', 'emea']);
const doc = buildOpenApiDocument(
  schemas,
  archiveQueryBodySchema(['default', 'emea']),
) as unknown as OpenApiDocument;
const validators: Record<string, ParamsSchema> = {
  '/v1/events': schemas.events,
  '/v1/categories': schemas.categories,
  '/v1/status': schemas.status,
  '/v1/openapi.json': schemas.openapi,
};

interface DocParameter {
  name: string;
  required: boolean;
  explode?: boolean;
  schema: Record<string, unknown>;
}

/** One valid value for a documented parameter, from its published schema alone. */
function sampleValue(schema: Record<string, unknown>): string[] {
  if (Array.isArray(schema.examples) && typeof schema.examples[0] === 'string') return [schema.examples[0]];
  if (Array.isArray(schema.enum)) return [String(schema.enum[0])];
  if (schema.type === 'integer') return [String(schema.minimum ?? 1)];
  if (schema.type === 'array') return sampleValue(schema.items as Record<string, unknown>);
  return ['a'];
}

/** Values the document says are valid and invalid for a parameter (boundaries of what it states). */
function documentedCases(schema: Record<string, unknown>): { valid: string[][]; invalid: string[][] } {
  const valid: string[][] = [sampleValue(schema)];
  const invalid: string[][] = [];
  if (schema.type === 'integer') {
    const min = Number(schema.minimum);
    const max = Number(schema.maximum);
    valid.push([String(min)], [String(max)]);
    invalid.push([String(min - 1)], [String(max + 1)], ['1.5'], ['many']);
  }
  if (
    schema.type === 'string' &&
    typeof schema.maxLength === 'number' &&
    schema.pattern === undefined &&
    !schema.enum
  ) {
    valid.push(['a'.repeat(schema.maxLength)]);
    invalid.push(['a'.repeat(schema.maxLength + 1)]);
  }
  if (schema.type === 'string' && typeof schema.maxLength === 'number' && schema.pattern !== undefined) {
    invalid.push(['a'.repeat(schema.maxLength + 1)]);
  }
  if (schema.minLength === 1) invalid.push(['']);
  if (typeof schema.pattern === 'string') invalid.push(['<not matching "pattern">']);
  if (Array.isArray(schema.enum)) {
    for (const value of schema.enum) valid.push([String(value)]);
    invalid.push(['not-a-configured-source']);
  }
  if (schema.type === 'array') {
    const items = schema.items as Record<string, unknown>;
    const maxItems = Number(schema.maxItems);
    valid.push(Array.from({ length: maxItems }, (_, i) => `code_${i}`));
    invalid.push(Array.from({ length: maxItems + 1 }, (_, i) => `code_${i}`));
    if (typeof items.pattern === 'string') invalid.push(['UPPER CASE']);
  }
  return { valid, invalid };
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 with every operation the router serves, each signed with SigV4', () => {
    expect(doc.openapi).toBe('3.1.0');
    const published = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item as object).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(published.sort()).toEqual(QUERY_OPERATIONS.map((o) => `${o.method} ${o.path}`).sort());
    expect(doc.security).toEqual([{ sigv4: [] }]);
    expect(doc.components.securitySchemes.sigv4).toMatchObject({
      'x-amazon-apigateway-authtype': 'awsSigv4',
    });
  });

  it('only references schemas it defines', () => {
    const refs = allRefs(doc);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas[ref.replace('#/components/schemas/', '')]).toBeDefined();
    }
  });

  it('documents exactly the parameters each route accepts, with the same required flags', () => {
    for (const [path, validator] of Object.entries(validators)) {
      const parameters = (doc.paths[path]?.get.parameters ?? []) as unknown as DocParameter[];
      // A request with nothing: exactly the documented required parameters are reported missing.
      const empty = validateParams(validator, new Map());
      const missing = empty.ok
        ? []
        : empty.errors.filter((e) => e.message === 'is required').map((e) => e.field);
      expect(missing.sort()).toEqual(
        parameters
          .filter((p) => p.required)
          .map((p) => p.name)
          .sort(),
      );
      // Every documented name is accepted; an undocumented one is not.
      for (const parameter of parameters) {
        const result = validateParams(validator, new Map([[parameter.name, sampleValue(parameter.schema)]]));
        const unknown = result.ok
          ? []
          : result.errors.filter((e) => e.message.includes('is not a parameter'));
        expect(unknown, `${path} ${parameter.name}`).toEqual([]);
      }
      const stray = validateParams(validator, new Map([['undocumented', ['1']]]));
      expect(stray.ok).toBe(false);
    }
  });

  it('states constraints the validators enforce, value for value', () => {
    for (const [path, validator] of Object.entries(validators)) {
      const parameters = (doc.paths[path]?.get.parameters ?? []) as unknown as DocParameter[];
      const baseline = new Map(
        parameters.filter((p) => p.required).map((p) => [p.name, sampleValue(p.schema)]),
      );
      for (const parameter of parameters) {
        // Prepare
        const cases = documentedCases(parameter.schema);
        const fieldErrors = (values: string[]) => {
          const result = validateParams(validator, new Map([...baseline, [parameter.name, values]]));
          return result.ok ? [] : result.errors.filter((e) => e.field === parameter.name);
        };
        // Act / Assess
        for (const values of cases.valid)
          expect(fieldErrors(values), `${parameter.name}=${values}`).toEqual([]);
        for (const values of cases.invalid) {
          expect(fieldErrors(values).length, `${parameter.name}=${values}`).toBeGreaterThan(0);
        }
      }
    }
  });

  it('marks exactly the repeatable parameters as exploded arrays', () => {
    const parameters = (doc.paths['/v1/events']?.get.parameters ?? []) as unknown as DocParameter[];
    expect(parameters.filter((p) => p.explode).map((p) => p.name)).toEqual(['category']);
    const twice = validateParams(schemas.events, new Map([['query', ['a', 'b']]]));
    expect(twice.ok ? [] : twice.errors.map((e) => e.message)).toContain(
      'must be given at most once (got 2)',
    );
  });

  it('publishes response schemas that accept a real record page and reject a wrong one', () => {
    // Prepare
    const page = publishedSchema(doc, 'EventsPage');
    const body = {
      events: [
        {
          id: 'evt-1',
          event_time: '2026-01-31T08:00:00Z',
          category: 'authentication_logs',
          audit_type: 'User Logged On',
          actor: 'jane@example.com',
          event_info: 'IP: 203.0.113.7',
          details: { ip: '203.0.113.7' },
          extra: { anything: [1, { nested: true }] },
          source: 'default',
          collected_at: '2026-01-31T09:00:00Z',
        },
      ],
      nextPageToken: null,
      source: 'default',
      range: { start: '2026-01-31T00:00:00Z', end: '2026-01-31T12:00:00Z' },
      malformedEvents: 0,
    };
    // Act / Assess
    expect(page.safeParse(body).success).toBe(true);
    expect(page.safeParse({ ...body, nextPageToken: undefined }).success).toBe(false);
    expect(page.safeParse({ ...body, events: [{ ...body.events[0], id: 7 }] }).success).toBe(false);
  });
});
