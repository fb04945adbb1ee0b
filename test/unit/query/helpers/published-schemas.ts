/**
 * Reads schemas back out of the published OpenAPI document (with `z.fromJSONSchema`), so tests
 * check real responses against what the document promises rather than against the code's own
 * zod schemas.
 */
// A namespace import lets esbuild tree-shake zod (`import { z }` pulls in all of it, ~360 KB).
import * as z from 'zod';

type Json = Record<string, unknown>;

/** The parts of the OpenAPI document the tests walk. */
export interface OpenApiDocument {
  openapi: string;
  paths: Record<
    string,
    { get: { parameters: Json[]; responses: Record<string, Json>; operationId: string } }
  >;
  components: { schemas: Record<string, Json>; securitySchemes: Record<string, Json> };
  security: unknown[];
}

/** Rewrites `#/components/schemas/X` references to `#/$defs/X` so a JSON Schema tool can follow them. */
function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      key === '$ref' && typeof inner === 'string'
        ? inner.replace('#/components/schemas/', '#/$defs/')
        : rewriteRefs(inner),
    ]),
  );
}

/** A zod schema equivalent to the document's component `name`. */
export function publishedSchema(doc: OpenApiDocument, name: string): z.ZodType {
  const component = doc.components.schemas[name];
  if (component === undefined) throw new Error(`the document has no component ${name}`);
  // The document's schemas are JSON Schema 2020-12 objects (z.toJSONSchema output): safe to hand back to zod.
  const schema = { ...(rewriteRefs(component) as Json), $defs: rewriteRefs(doc.components.schemas) };
  return z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
}

/** Every `$ref` string anywhere in the document. */
export function allRefs(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) allRefs(item, found);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string') found.push(inner);
      else allRefs(inner, found);
    }
  }
  return found;
}
