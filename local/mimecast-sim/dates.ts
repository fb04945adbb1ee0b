/**
 * Date parsing and formatting written for the simulator alone (not shared with the client), so
 * a formatting bug in the client cannot be mirrored by the server that is meant to catch it.
 */

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `2021-10-18T08:45:02+0000`: how Mimecast writes `eventTime` (always UTC, one-second precision). */
export function formatEventTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(
    d.getUTCMinutes(),
  )}:${pad(d.getUTCSeconds())}+0000`;
}

function utcFromFields(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number | undefined {
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 2026-02-31 over into March; a strict server refuses instead.
  if (new Date(ms).getUTCDate() !== day) return undefined;
  return ms;
}

const REQUEST_DATE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})([+-])(\d{2})(\d{2})$/;

/**
 * Parses a request's `startDateTime`/`endDateTime`. Strict on purpose: exactly
 * `YYYY-MM-DDTHH:mm:ss±hhmm` (the documented shape; any numeric offset). `Z`, `+00:00`,
 * fractions and junk are refused, because real Mimecast is only known to accept this form.
 */
export function parseRequestDate(value: string): number | undefined {
  const m = REQUEST_DATE.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, sign, oh, om] = m;
  const base = utcFromFields(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s));
  if (base === undefined || Number(oh) > 14 || Number(om) > 59) return undefined;
  const offsetMs = (Number(oh) * 60 + Number(om)) * 60_000 * (sign === '-' ? -1 : 1);
  return base - offsetMs;
}

const LENIENT_EVENT_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;

/** Places a hand-added event in time: accepts the usual ISO variants; `undefined` for anything else. */
export function parseEventTime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = LENIENT_EVENT_TIME.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, zone = 'Z'] = m;
  const base = utcFromFields(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s));
  if (base === undefined) return undefined;
  if (zone === 'Z') return base;
  const digits = zone.slice(1).replace(':', '');
  const offsetMs = (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  return zone.startsWith('-') ? base + offsetMs : base - offsetMs;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MC_DATE =
  /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) UTC$/;

/**
 * Parses an `x-mc-date` header: `Tue, 24 Nov 2015 12:50:11 UTC`, exactly as Mimecast documents
 * it (a `GMT` suffix or a weekday that does not match the date are refused).
 */
export function parseMcDate(value: string): number | undefined {
  const m = MC_DATE.exec(value);
  if (!m) return undefined;
  const [, weekday, d, mon, y, h, mi, s] = m;
  const month = MONTHS.indexOf(mon ?? '') + 1;
  if (month === 0) return undefined;
  const ms = utcFromFields(Number(y), month, Number(d), Number(h), Number(mi), Number(s));
  if (ms === undefined || DAYS[new Date(ms).getUTCDay()] !== weekday) return undefined;
  return ms;
}
