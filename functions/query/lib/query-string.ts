/**
 * Parses `rawQueryString` ourselves: API Gateway's `queryStringParameters` (payload 2.0) joins
 * repeated parameters with commas, which hides a repeat of a single-valued parameter and
 * corrupts values that contain commas. Decoding follows application/x-www-form-urlencoded
 * (what URLSearchParams, browsers and most HTTP libraries produce): `+` is a space.
 */
import { type FieldError, printable } from './problem.js';

/** Every decoded parameter name with all its decoded values, in the order given. */
export type QueryParams = Map<string, string[]>;

/** Longer query strings are refused with 414 before any parsing. */
export const MAX_QUERY_STRING_LENGTH = 8_192;

/** More parameters than any route needs (20 categories + 6 others) by a wide margin. */
export const MAX_PARAMETERS = 64;

/** Field name used for errors about the query string as a whole. */
export const QUERY_STRING_FIELD = '(query string)';

/** The parsed parameters, or field errors for parts that are not valid percent-encoded UTF-8. */
export type QueryStringResult = { ok: true; params: QueryParams } | { ok: false; errors: FieldError[] };

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    // URIError: a malformed escape (%ZZ, a truncated or overlong UTF-8 sequence, an encoded surrogate).
    return undefined;
  }
}

/** Splits and decodes a raw query string (without the leading `?`). Empty segments are ignored. */
export function parseQueryString(raw: string | undefined): QueryStringResult {
  const params: QueryParams = new Map();
  const errors: FieldError[] = [];
  if (raw === undefined || raw === '') return { ok: true, params };

  const segments = raw.split('&').filter((segment) => segment !== '');
  if (segments.length > MAX_PARAMETERS) {
    return {
      ok: false,
      errors: [{ field: QUERY_STRING_FIELD, message: `has more than ${MAX_PARAMETERS} parameters` }],
    };
  }
  for (const segment of segments) {
    const equals = segment.indexOf('=');
    const rawName = equals === -1 ? segment : segment.slice(0, equals);
    const rawValue = equals === -1 ? '' : segment.slice(equals + 1);
    const name = decode(rawName);
    if (name === undefined) {
      errors.push({
        field: QUERY_STRING_FIELD,
        message: 'contains a parameter name that is not valid percent-encoded UTF-8',
      });
      continue;
    }
    const value = decode(rawValue);
    if (value === undefined) {
      errors.push({ field: printable(name), message: 'is not valid percent-encoded UTF-8' });
      continue;
    }
    const values = params.get(name);
    if (values) values.push(value);
    else params.set(name, [value]);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, params };
}
