/**
 * Strict validation of `get-audit-events` bodies. Mimecast answers bad input with HTTP 200 and
 * a `fail[]`; the simulator does the same, refusing anything a real server is not known to
 * accept, so client bugs surface here instead of in production.
 *
 * Codes: `err_validation_null` and `err_validation_blank` are Mimecast's; the others are the
 * simulator's own (Mimecast's exact codes for these cases are unknown):
 * `err_validation_invalid_format`, `err_validation_out_of_range`, `err_validation_unknown_field`,
 * `err_validation_invalid_category`, `err_validation_date_outside_retention` (or the
 * `retentionErrorCode` option), `err_validation_invalid_page_token`.
 */
import { CATEGORY_CODES } from './catalog.js';
import { parseRequestDate } from './dates.js';

/** One error inside a fail[] item. */
export interface FailError {
  code: string;
  message: string;
  field?: string;
  retryable: boolean;
}

/** A valid request, normalised. */
export interface AuditEventsRequest {
  startMs: number;
  endMs: number;
  categories: string[];
  query: string | undefined;
  pageSize: number;
  pageToken: string | undefined;
  /** The request's data[0], echoed as `key` in fail[] items. */
  key: Record<string, unknown>;
}

/** Limits the validation needs from the simulator. */
export interface ValidationLimits {
  now: number;
  historyMs: number;
  maxPageSize: number;
  /** The code for a startDateTime older than the history. */
  retentionErrorCode: string;
}

/** Mimecast's documented example page size, used when the request names none. */
export const DEFAULT_PAGE_SIZE = 25;

const DATA_FIELDS = new Set(['startDateTime', 'endDateTime', 'query', 'categories']);
const PAGINATION_FIELDS = new Set(['pageSize', 'pageToken']);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const invalid = (code: string, field: string, message: string): FailError => ({
  code,
  field,
  message,
  retryable: false,
});

function unknownFields(
  object: Record<string, unknown>,
  allowed: ReadonlySet<string>,
  prefix: string,
): FailError[] {
  return Object.keys(object)
    .filter((name) => !allowed.has(name))
    .map((name) =>
      invalid('err_validation_unknown_field', `${prefix}${name}`, `Unknown field ${prefix}${name}`),
    );
}

function requiredDate(item: Record<string, unknown>, field: string, errors: FailError[]): number | undefined {
  const value = item[field];
  if (value === undefined || value === null) {
    errors.push(invalid('err_validation_null', field, `${field} is required`));
    return undefined;
  }
  if (typeof value !== 'string') {
    errors.push(invalid('err_validation_invalid_format', field, `${field} must be a string`));
    return undefined;
  }
  if (value.trim() === '') {
    errors.push(invalid('err_validation_blank', field, `${field} must not be blank`));
    return undefined;
  }
  const ms = parseRequestDate(value);
  if (ms === undefined) {
    errors.push(
      invalid('err_validation_invalid_format', field, `${field} must look like 2021-10-18T08:45:02+0000`),
    );
  }
  return ms;
}

function readPagination(body: Record<string, unknown>, limits: ValidationLimits, errors: FailError[]) {
  let pageSize = DEFAULT_PAGE_SIZE;
  let pageToken: string | undefined;
  const meta = body.meta;
  if (meta === undefined) return { pageSize, pageToken };
  if (!isObject(meta)) {
    errors.push(invalid('err_validation_invalid_format', 'meta', 'meta must be an object'));
    return { pageSize, pageToken };
  }
  errors.push(...unknownFields(meta, new Set(['pagination']), 'meta.'));
  const pagination = meta.pagination;
  if (pagination === undefined) return { pageSize, pageToken };
  if (!isObject(pagination)) {
    errors.push(
      invalid('err_validation_invalid_format', 'meta.pagination', 'meta.pagination must be an object'),
    );
    return { pageSize, pageToken };
  }
  errors.push(...unknownFields(pagination, PAGINATION_FIELDS, 'meta.pagination.'));
  const size = pagination.pageSize;
  if (size !== undefined) {
    if (typeof size !== 'number' || !Number.isInteger(size)) {
      errors.push(invalid('err_validation_invalid_format', 'pageSize', 'pageSize must be an integer'));
    } else if (size < 1 || size > limits.maxPageSize) {
      errors.push(
        invalid(
          'err_validation_out_of_range',
          'pageSize',
          `pageSize must be between 1 and ${limits.maxPageSize}`,
        ),
      );
    } else {
      pageSize = size;
    }
  }
  const token = pagination.pageToken;
  if (token !== undefined) {
    if (typeof token !== 'string') {
      errors.push(invalid('err_validation_invalid_format', 'pageToken', 'pageToken must be a string'));
    } else if (token.trim() === '') {
      errors.push(
        invalid('err_validation_blank', 'pageToken', 'pageToken must not be blank (omit it instead)'),
      );
    } else {
      pageToken = token;
    }
  }
  return { pageSize, pageToken };
}

function readCategories(item: Record<string, unknown>, errors: FailError[]): string[] {
  const value = item.categories;
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((code) => typeof code !== 'string')) {
    errors.push(
      invalid('err_validation_invalid_format', 'categories', 'categories must be an array of strings'),
    );
    return [];
  }
  const codes = value as string[];
  for (const code of codes) {
    if (!CATEGORY_CODES.has(code)) {
      errors.push(invalid('err_validation_invalid_category', 'categories', `Unknown category code ${code}`));
    }
  }
  return [...new Set(codes)].sort();
}

/** Validates a parsed body; returns the request or the errors to put in `fail[]`. */
export function validateAuditEventsBody(
  body: unknown,
  limits: ValidationLimits,
):
  | { ok: true; request: AuditEventsRequest }
  | { ok: false; errors: FailError[]; key: Record<string, unknown> } {
  const errors: FailError[] = [];
  if (!isObject(body)) {
    return {
      ok: false,
      errors: [invalid('err_validation_invalid_format', 'body', 'body must be an object')],
      key: {},
    };
  }
  errors.push(...unknownFields(body, new Set(['meta', 'data']), ''));
  const { pageSize, pageToken } = readPagination(body, limits, errors);
  const data = body.data;
  let item: Record<string, unknown> = {};
  if (data === undefined || data === null || (Array.isArray(data) && data.length === 0)) {
    errors.push(
      invalid('err_validation_null', 'data', 'data[0] with startDateTime and endDateTime is required'),
    );
  } else if (!Array.isArray(data)) {
    errors.push(invalid('err_validation_invalid_format', 'data', 'data must be an array'));
  } else if (data.length > 1) {
    errors.push(invalid('err_validation_out_of_range', 'data', 'data must hold exactly one search'));
  } else if (!isObject(data[0])) {
    errors.push(invalid('err_validation_invalid_format', 'data[0]', 'data[0] must be an object'));
  } else {
    item = data[0];
  }
  errors.push(...unknownFields(item, DATA_FIELDS, ''));
  const startMs =
    Array.isArray(data) && data.length === 1 ? requiredDate(item, 'startDateTime', errors) : undefined;
  const endMs =
    Array.isArray(data) && data.length === 1 ? requiredDate(item, 'endDateTime', errors) : undefined;
  if (startMs !== undefined && endMs !== undefined && startMs > endMs) {
    errors.push(
      invalid('err_validation_out_of_range', 'endDateTime', 'endDateTime must not be before startDateTime'),
    );
  }
  // Second granularity: a start computed as exactly "now − history" (truncated) is still accepted.
  const floorMs = Math.floor((limits.now - limits.historyMs) / 1000) * 1000;
  if (startMs !== undefined && startMs < floorMs) {
    errors.push(
      invalid(
        limits.retentionErrorCode,
        'startDateTime',
        `startDateTime is older than the ${Math.round(limits.historyMs / 86_400_000)} days of audit history kept`,
      ),
    );
  }
  const categories = readCategories(item, errors);
  const query = item.query;
  if (query !== undefined && typeof query !== 'string') {
    errors.push(invalid('err_validation_invalid_format', 'query', 'query must be a string'));
  }
  if (errors.length > 0 || startMs === undefined || endMs === undefined) {
    return { ok: false, errors, key: item };
  }
  return {
    ok: true,
    request: {
      startMs,
      endMs,
      categories,
      query: typeof query === 'string' && query !== '' ? query : undefined,
      pageSize,
      pageToken,
      key: item,
    },
  };
}
