/**
 * What an archive query accepts: the JSON body of `POST /v1/archive/queries` and the query
 * parameters of the results route, as zod schemas shared by validation and the OpenAPI document.
 * Every rejection names its field; nothing a caller sends is echoed beyond a short printable cut.
 */
import * as z from 'zod';
import {
  DEFAULT_ARCHIVE_LIMIT,
  MAX_ARCHIVE_LIMIT,
  MAX_FILTER_LENGTH,
  MAX_FILTER_VALUES,
} from '#core/archive-query/request.js';
import { boundedText, CATEGORY_CODE_PATTERN, listSourceIds, MAX_PAGE_TOKEN_LENGTH } from './params.js';
import { type FieldError, printable } from './problem.js';
import { parseTimestamp, TIMESTAMP_EXAMPLE, TIMESTAMP_PATTERN } from './timestamps.js';

/** Largest results page (Athena's GetQueryResults returns at most 1,000 rows per call). */
export const MAX_ARCHIVE_PAGE_SIZE = 1_000;
/** Results page size when the caller gives none. */
export const DEFAULT_ARCHIVE_PAGE_SIZE = 500;
/** Largest request body accepted, in bytes (a full request is well under 20 KB). */
export const MAX_ARCHIVE_BODY_BYTES = 65_536;

const mustBeText = (issue: { input: unknown }) =>
  issue.input === undefined ? 'is required' : 'must be text';

const timestamp = (description: string) =>
  z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? 'is required'
          : `must be text: an ISO 8601 date-time with a time zone, e.g. ${TIMESTAMP_EXAMPLE}`,
    })
    .meta({ format: 'date-time', pattern: TIMESTAMP_PATTERN, description, examples: [TIMESTAMP_EXAMPLE] })
    .transform((value, ctx) => {
      const parsed = parseTimestamp(value);
      if (!parsed.ok) {
        ctx.addIssue({ code: 'custom', message: parsed.message });
        return z.NEVER;
      }
      return parsed.ms;
    });

/** A filter value: 1–MAX_FILTER_LENGTH printable characters, compared exactly as given. */
const filterText = (description: string) => boundedText(MAX_FILTER_LENGTH, description, mustBeText);

const list = <T extends z.ZodType>(item: T, description: string) =>
  z
    .array(item, { error: (issue) => (issue.input === undefined ? 'is required' : 'must be an array') })
    .min(1, 'must hold at least one value (omit it to match everything)')
    .max(MAX_FILTER_VALUES, `must hold at most ${MAX_FILTER_VALUES} values`)
    .meta({ description })
    .transform((values) => [...new Set(values)] as z.output<T>[]);

const categoryCode = z
  .string({ error: mustBeText })
  .regex(
    new RegExp(CATEGORY_CODE_PATTERN),
    'must be a category code: 1–64 lower-case letters, digits or "_"',
  );

/** The body of POST /v1/archive/queries for a deployment's sources. */
export function archiveQueryBodySchema(sourceIds: readonly string[]) {
  return z
    .object({
      start: timestamp('Start of the range, inclusive (`start ≤ event_time`). Any age.'),
      end: timestamp('End of the range, exclusive (`event_time < end`). Later than start.'),
      sources: list(
        // An empty list (a fleet registry with no source yet) is an enum that accepts nothing.
        z.enum(sourceIds as [string, ...string[]], {
          error: `must be a configured source (${listSourceIds(sourceIds)})`,
        }),
        'Sources to search. Default: every configured source (on /v1/sources/{source}/…: that source).',
      ).optional(),
      categories: list(categoryCode, 'Category codes (exact). Default: every category.').optional(),
      auditTypes: list(
        filterText('An audit type, exactly as stored (e.g. "Logon Authentication Failed").'),
        'Audit types (exact). Default: every type.',
      ).optional(),
      actor: filterText('The actor (Mimecast `user`): an exact match, ignoring case.').optional(),
      ip: filterText('The client IP address in `details.ip`: an exact match.').optional(),
      text: filterText(
        'Text that `event_info` contains, ignoring case; `%`, `_`, quotes and `\\` match themselves.',
      ).optional(),
      limit: z
        .number({ error: `must be a whole number from 1 to ${MAX_ARCHIVE_LIMIT}` })
        .int(`must be a whole number from 1 to ${MAX_ARCHIVE_LIMIT}`)
        .min(1, `must be a whole number from 1 to ${MAX_ARCHIVE_LIMIT}`)
        .max(MAX_ARCHIVE_LIMIT, `must be at most ${MAX_ARCHIVE_LIMIT}`)
        .meta({
          description: `Most records returned (1–${MAX_ARCHIVE_LIMIT}; default ${DEFAULT_ARCHIVE_LIMIT}).`,
        })
        .optional(),
    })
    .strict()
    .superRefine((body, ctx) => {
      if (body.start >= body.end)
        ctx.addIssue({ code: 'custom', path: ['end'], message: 'must be later than start' });
    });
}

/** The body schema's output. */
export type ArchiveQueryBody = z.output<ReturnType<typeof archiveQueryBodySchema>>;

const pageSize = z.preprocess(
  (value) => (typeof value === 'string' && /^[0-9]{1,7}$/.test(value) ? Number(value) : value),
  z
    .number({ error: `must be a whole number from 1 to ${MAX_ARCHIVE_PAGE_SIZE}` })
    .int(`must be a whole number from 1 to ${MAX_ARCHIVE_PAGE_SIZE}`)
    .min(1, `must be a whole number from 1 to ${MAX_ARCHIVE_PAGE_SIZE}`)
    .max(MAX_ARCHIVE_PAGE_SIZE, `must be a whole number from 1 to ${MAX_ARCHIVE_PAGE_SIZE}`)
    .meta({
      description: `Records per page (1–${MAX_ARCHIVE_PAGE_SIZE}; default ${DEFAULT_ARCHIVE_PAGE_SIZE}).`,
    }),
);

/** Query parameters of the archive routes. */
export const archiveParamSchemas = {
  results: z
    .object({
      pageSize: pageSize.optional(),
      pageToken: z
        .string({ error: 'must be a single text value' })
        .min(1, 'must not be empty')
        .max(MAX_PAGE_TOKEN_LENGTH, 'is not a page token issued by this API')
        .regex(/^[A-Za-z0-9_-]+$/, 'is not a page token issued by this API')
        .meta({ description: 'The `nextPageToken` of the previous page of the same query.' })
        .optional(),
    })
    .strict(),
  none: z.object({}).strict(),
};

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A validated body, or every field error found. */
export type BodyValidation<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/**
 * Validates a parsed JSON body: unknown fields are named one by one with the accepted list,
 * then each field's own problems (array items as "value N: …").
 */
export function validateBody<S extends z.ZodObject | z.ZodPipe | z.ZodType>(
  schema: S,
  accepted: readonly string[],
  body: unknown,
): BodyValidation<z.output<S>> {
  if (!isPlainObject(body)) {
    return { ok: false, errors: [{ field: '(body)', message: 'must be a JSON object' }] };
  }
  const errors: FieldError[] = [];
  const known = new Set(accepted);
  for (const name of Object.keys(body)) {
    if (!known.has(name)) {
      errors.push({
        field: printable(name, 64),
        message: `is not a field of this request (accepted: ${accepted.join(', ')})`,
      });
    }
  }
  const result = schema.safeParse(body);
  if (result.success && errors.length === 0) return { ok: true, value: result.data as z.output<S> };
  if (!result.success) {
    const seen = new Set<string>();
    for (const issue of result.error.issues) {
      if (issue.code === 'unrecognized_keys') continue;
      const [head, index] = issue.path;
      if (head === undefined) continue;
      const message = typeof index === 'number' ? `value ${index + 1}: ${issue.message}` : issue.message;
      const key = `${String(head)}\u0000${message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      errors.push({ field: String(head), message });
    }
  }
  return { ok: false, errors };
}
