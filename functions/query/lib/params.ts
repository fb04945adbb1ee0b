/**
 * The query parameters of every route, as zod schemas. They are the single definition used
 * both to validate requests (`validateParams`) and to describe them in the OpenAPI document
 * (`openapi.ts` converts them with `z.toJSONSchema`), so the two cannot drift apart.
 */
// A namespace import lets esbuild tree-shake zod (`import { z }` pulls in all of it, ~360 KB).
import * as z from 'zod';
import { type FieldError, printable } from './problem.js';
import type { QueryParams } from './query-string.js';
import { parseTimestamp, TIMESTAMP_EXAMPLE, TIMESTAMP_PATTERN } from './timestamps.js';

/** Largest page a caller may ask for (Mimecast's practical maximum). */
export const MAX_PAGE_SIZE = 500;
/** Most category codes one search may filter on. */
export const MAX_CATEGORIES = 20;
/** Longest free-text query, in Unicode code points (JSON Schema's `maxLength` unit). */
export const MAX_QUERY_LENGTH = 200;
/** Longest page token we ever issue is far below this. */
export const MAX_PAGE_TOKEN_LENGTH = 4_096;
/** Mimecast category codes as seen in the wild: `authentication_logs`, `policy_logs`… */
export const CATEGORY_CODE_PATTERN = '^[a-z0-9_]{1,64}$';

const required = (issue: { input: unknown }) =>
  issue.input === undefined ? 'is required' : 'must be a single text value';

const timestamp = (description: string) =>
  z
    .string({ error: required })
    .meta({ format: 'date-time', pattern: TIMESTAMP_PATTERN, description, examples: [TIMESTAMP_EXAMPLE] })
    .transform((value, ctx) => {
      const parsed = parseTimestamp(value);
      if (!parsed.ok) {
        ctx.addIssue({ code: 'custom', message: parsed.message });
        return z.NEVER;
      }
      return parsed.ms;
    });

// Control (Cc), format (Cf: bidi overrides, zero-width characters…) and lone surrogates (Cs).
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}]/u;

/**
 * Text of 1–`max` code points (JSON Schema's `maxLength` unit) with no control or invisible
 * formatting characters; `error` words the message for a value that is absent or not text.
 */
export function boundedText(
  max: number,
  description: string,
  error: (issue: { input: unknown }) => string = required,
) {
  return z
    .string({ error })
    .meta({ minLength: 1, maxLength: max, description })
    .superRefine((value, ctx) => {
      const length = [...value].length;
      if (length === 0)
        ctx.addIssue({ code: 'custom', message: 'must not be empty (omit it to match everything)' });
      else if (length > max) {
        ctx.addIssue({ code: 'custom', message: `must be at most ${max} characters (got ${length})` });
      }
      if (UNPRINTABLE.test(value)) {
        ctx.addIssue({
          code: 'custom',
          message: 'must not contain control or invisible formatting characters',
        });
      }
    });
}

const freeTextQuery = boundedText(
  MAX_QUERY_LENGTH,
  `Free-text search passed to Mimecast; at most ${MAX_QUERY_LENGTH} characters, no control or invisible formatting characters.`,
);

const categoryCode = z
  .string()
  .regex(
    new RegExp(CATEGORY_CODE_PATTERN),
    'must be a category code: 1–64 lower-case letters, digits or "_" (see /v1/categories)',
  );

// `category=a&category=b` is the documented form; `category=a,b` is accepted too because API
// Gateway itself presents repeats that way and some clients copy it.
const splitCategoryLists = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.flatMap((item) => (typeof item === 'string' ? item.split(',') : [item]))
    : value;

const categories = z.preprocess(
  splitCategoryLists,
  z
    .array(categoryCode)
    .min(1)
    .max(MAX_CATEGORIES, `must list at most ${MAX_CATEGORIES} category codes`)
    .meta({
      description: `Category codes to search (repeat the parameter for several; at most ${MAX_CATEGORIES}). None means all categories.`,
    })
    .transform((codes) => [...new Set(codes)]),
);

const pageSize = z.preprocess(
  (value) => (typeof value === 'string' && /^[0-9]{1,6}$/.test(value) ? Number(value) : value),
  z
    .number({ error: `must be a whole number from 1 to ${MAX_PAGE_SIZE}` })
    .int(`must be a whole number from 1 to ${MAX_PAGE_SIZE}`)
    .min(1, `must be a whole number from 1 to ${MAX_PAGE_SIZE}`)
    .max(MAX_PAGE_SIZE, `must be a whole number from 1 to ${MAX_PAGE_SIZE}`)
    .meta({
      description: `Events per upstream page (1–${MAX_PAGE_SIZE}). Default: the function's PAGE_SIZE setting (500 unless configured). Filtering to the exact range may return fewer.`,
    }),
);

const pageToken = z
  .string({ error: required })
  .min(1, 'must not be empty')
  .max(MAX_PAGE_TOKEN_LENGTH, 'is not a page token issued by this API')
  .regex(/^[A-Za-z0-9_-]+$/, 'is not a page token issued by this API')
  .meta({
    description:
      'The `nextPageToken` of the previous page. Send it with exactly the same other parameters as the request that returned it.',
  });

/** Most source ids an error message lists (a fleet may have hundreds). */
export const MAX_LISTED_SOURCES = 20;

/** The configured sources, for an error message: `a, b, c` (the first MAX_LISTED_SOURCES, then how many more). */
export function listSourceIds(sourceIds: readonly string[]): string {
  if (sourceIds.length === 0) return 'none';
  const shown = sourceIds.slice(0, MAX_LISTED_SOURCES).join(', ');
  const more = sourceIds.length - MAX_LISTED_SOURCES;
  return more > 0 ? `${shown} and ${more} more` : shown;
}

/** How the default source is chosen, for the parameter's description. */
export interface DefaultSource {
  /** The source used when the parameter is absent; undefined when there is none. */
  id: string | undefined;
  /** The rule, e.g. `the first configured source`. */
  rule: string;
}

const source = (sourceIds: readonly string[], defaultSource: DefaultSource) =>
  // An empty list (a fleet registry with no source yet) is an enum that accepts nothing.
  z
    .enum(sourceIds as [string, ...string[]], {
      error: `is not a configured source; configured sources: ${listSourceIds(sourceIds)}`,
    })
    .meta({
      description:
        defaultSource.id === undefined
          ? 'The Mimecast source to search. No source is configured yet.'
          : `The Mimecast source to search. Default: ${defaultSource.rule} (${defaultSource.id}).`,
    });

/**
 * The schemas of one deployment (the `source` enum lists its configured sources). The default
 * source is the first one unless `defaultSource` says otherwise (fleet mode: the first enabled).
 */
export function buildRouteSchemas(
  sourceIds: readonly string[],
  defaultSource: DefaultSource = { id: sourceIds[0], rule: 'the first configured source' },
) {
  return {
    events: z
      .object({
        start: timestamp('Start of the range, inclusive (`start ≤ event_time`). At most 60 days ago.'),
        end: timestamp(
          'End of the range, exclusive (`event_time < end`). Later than start; a future end is clamped to now.',
        ),
        query: freeTextQuery.optional(),
        category: categories.optional(),
        pageSize: pageSize.optional(),
        pageToken: pageToken.optional(),
        source: source(sourceIds, defaultSource).optional(),
      })
      .strict(),
    categories: z.object({ source: source(sourceIds, defaultSource).optional() }).strict(),
    status: z.object({}).strict(),
    openapi: z.object({}).strict(),
  };
}

/** The schemas of a deployment, by route name. */
export type RouteSchemas = ReturnType<typeof buildRouteSchemas>;

/** A parameter object schema (every route's is a strict `z.object`). */
export type ParamsSchema = z.ZodObject;

/** How a parameter is passed, derived from its schema (arrays are repeatable). */
export interface ParameterShape {
  name: string;
  required: boolean;
  repeatable: boolean;
  /** The JSON Schema of one parameter, as published. */
  jsonSchema: Record<string, unknown>;
}

const shapes = new WeakMap<ParamsSchema, ParameterShape[]>();

/** The parameters a schema accepts, from its JSON Schema (computed once per schema). */
export function parameterShapes(schema: ParamsSchema): ParameterShape[] {
  const known = shapes.get(schema);
  if (known) return known;
  const json = z.toJSONSchema(schema, { io: 'input' }) as {
    properties?: Record<string, Record<string, unknown>>;
    required?: string[];
  };
  const requiredNames = new Set(json.required ?? []);
  const result = Object.entries(json.properties ?? {}).map(([name, jsonSchema]) => ({
    name,
    required: requiredNames.has(name),
    repeatable: jsonSchema.type === 'array',
    jsonSchema,
  }));
  shapes.set(schema, result);
  return result;
}

/** Validated parameters, or every field error found. */
export type ValidationResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/**
 * Validates parsed query parameters against a route schema: unknown names and repeats of
 * single-valued parameters are reported first, then each value's own problems; one error per
 * distinct (field, message).
 */
export function validateParams<S extends ParamsSchema>(
  schema: S,
  params: QueryParams,
): ValidationResult<z.output<S>> {
  const accepted = parameterShapes(schema);
  const byName = new Map(accepted.map((shape) => [shape.name, shape]));
  const errors: FieldError[] = [];
  const input: Record<string, unknown> = {};
  const reported = new Set<string>();

  for (const [name, values] of params) {
    const shape = byName.get(name);
    if (!shape) {
      const list = accepted.map((s) => s.name).join(', ');
      errors.push({
        field: printable(name),
        message: `is not a parameter of this route (${list === '' ? 'it takes no parameters' : `accepted: ${list}`})`,
      });
      reported.add(name);
      continue;
    }
    if (!shape.repeatable && values.length > 1) {
      errors.push({ field: name, message: `must be given at most once (got ${values.length})` });
      reported.add(name);
    }
    input[name] = shape.repeatable ? values : values[0];
  }

  const result = schema.safeParse(input);
  if (result.success && errors.length === 0) return { ok: true, value: result.data as z.output<S> };
  if (!result.success) {
    const seen = new Set(errors.map((e) => `${e.field}\u0000${e.message}`));
    for (const issue of result.error.issues) {
      const [head, index] = issue.path;
      // Unknown keys were already reported by name; strict mode's summary adds nothing.
      if (issue.code === 'unrecognized_keys' || head === undefined) continue;
      const field = String(head);
      if (reported.has(field)) continue;
      const message = typeof index === 'number' ? `value ${index + 1}: ${issue.message}` : issue.message;
      const key = `${field}\u0000${message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      errors.push({ field, message });
    }
  }
  return { ok: false, errors };
}
