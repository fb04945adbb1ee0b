/**
 * Request timestamps: ISO 8601 / RFC 3339 date-times with a time zone. Every rejection says
 * what is wrong in words a caller can act on (date-only, no zone, a `+` eaten by URL decoding…).
 */

/** The accepted shape (also published in the OpenAPI document). Offsets may omit the colon, as Mimecast writes them. */
export const TIMESTAMP_PATTERN =
  '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.\\d{1,9})?(?:Z|[+-]\\d{2}:?\\d{2})$';

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/;

/** Audit events are recent; a year outside this range is a typo or a probe, not a query. */
export const EARLIEST_YEAR = 2000;
export const LATEST_YEAR = 2099;

/** An example used in messages and in the OpenAPI document. */
export const TIMESTAMP_EXAMPLE = '2026-01-31T08:00:00Z';

/** Epoch milliseconds, or a message saying why the text is not an acceptable timestamp. */
export type TimestampResult = { ok: true; ms: number } | { ok: false; message: string };

function explainShape(value: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    return `must include a time and a time zone, e.g. ${TIMESTAMP_EXAMPLE} (a date alone is ambiguous)`;
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?$/.test(value)) {
    return 'must end with Z or a UTC offset such as +01:00';
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)? \d{2}:?\d{2}$/.test(value)) {
    return 'has a space where its UTC offset sign should be: "+" means a space in a query string, so send it as %2B';
  }
  return `must be an ISO 8601 date-time with a time zone, e.g. ${TIMESTAMP_EXAMPLE}`;
}

/** Parses a request timestamp to epoch ms (fractions beyond milliseconds are truncated). */
export function parseTimestamp(value: string): TimestampResult {
  const match = TIMESTAMP.exec(value);
  if (!match) return { ok: false, message: explainShape(value) };
  const [, y, mo, d, h, mi, s, fraction, zone] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (year < EARLIEST_YEAR || year > LATEST_YEAR) {
    return { ok: false, message: `must have a year between ${EARLIEST_YEAR} and ${LATEST_YEAR}` };
  }
  // Date.UTC silently rolls 2026-02-31 over to March; compare the parts back instead.
  const midnight = new Date(Date.UTC(year, month - 1, day));
  const realDate =
    month >= 1 && month <= 12 && midnight.getUTCMonth() === month - 1 && midnight.getUTCDate() === day;
  if (!realDate || hour > 23 || minute > 59 || second > 59) {
    return { ok: false, message: 'is not a real calendar date and time' };
  }
  let offsetMinutes = 0;
  if (zone !== undefined && zone !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const offsetHours = Number(digits.slice(0, 2));
    const offsetMins = Number(digits.slice(2, 4));
    if (offsetHours > 23 || offsetMins > 59) return { ok: false, message: 'has an impossible UTC offset' };
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const millis = fraction === undefined ? 0 : Number(fraction.padEnd(3, '0').slice(0, 3));
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
  return { ok: true, ms };
}

/** ISO 8601 UTC with `Z`; milliseconds only when there are any. */
export function formatTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, 19)}Z` : iso;
}

/** Rounds down to a whole second. */
export const floorSecond = (ms: number): number => Math.floor(ms / 1000) * 1000;

/** Rounds up to a whole second. */
export const ceilSecond = (ms: number): number => Math.ceil(ms / 1000) * 1000;
