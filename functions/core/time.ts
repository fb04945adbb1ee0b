/** Time formatting shared by the client, the S3 layout and the engine. All UTC. */

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `2026-11-25T10:15:30+0000`: the format Mimecast documents for request dates (no colon, no `Z`). */
export function toMimecastDate(date: Date): string {
  return `${toIsoSeconds(date).slice(0, 19)}+0000`;
}

/** `2026-11-25T10:15:30Z`: second precision, UTC. */
export function toIsoSeconds(date: Date): string {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}T${pad(
    date.getUTCHours(),
  )}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}Z`;
}

/** `20261125T101530Z`: the compact form used in S3 object names. */
export function toCompactUtc(date: Date): string {
  return toIsoSeconds(date).replace(/[-:]/g, '');
}

/** `2026-11-25`: the UTC date, used as the `dt` partition. */
export function toUtcDate(date: Date): string {
  return toIsoSeconds(date).slice(0, 10);
}

/**
 * The zone is `Z` or an ISO 8601 offset: `±hh`, `±hhmm` or `±hh:mm` (Mimecast writes `+0000`, but
 * `+00` and `-05` are ISO 8601 too). Nothing else: no `+0`, `+000`, `+00:` or named zones.
 */
const MIMECAST_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}(?::?\d{2})?)$/;

/**
 * Parses Mimecast's `eventTime` (`2021-10-18T08:45:02+0000`, also accepting `Z`, `+00:00`, the
 * two-digit `+00` and other offsets up to ±23:59). Returns epoch ms, or `undefined` when unparseable.
 */
export function parseMimecastTime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  // Every collected event goes through here, and Mimecast always writes the one UTC shape.
  return parseUtcSeconds(value) ?? parseGeneral(value);
}

const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const HYPHEN = 0x2d;
const COLON = 0x3a;
const LETTER_T = 0x54;
const LETTER_Z = 0x5a;

/** The decimal number written at `value[from, to)`, or -1 when any character there is not an ASCII digit. */
function digitsAt(value: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i += 1) {
    const c = value.charCodeAt(i);
    if (c < DIGIT_0 || c > DIGIT_9) return -1;
    n = n * 10 + (c - DIGIT_0);
  }
  return n;
}

/**
 * The fast path: exactly `YYYY-MM-DDTHH:mm:ss+0000`, `…+00` or `…Z`. `undefined` for any other
 * text (the general parser then decides, so both paths accept and reject the same).
 */
function parseUtcSeconds(value: string): number | undefined {
  // `YYYY-MM-DDTHH:mm:ss` is 19 characters; the zone follows.
  const utcZone =
    value.length === 24
      ? value.endsWith('+0000')
      : value.length === 22
        ? value.endsWith('+00')
        : value.length === 20 && value.charCodeAt(19) === LETTER_Z;
  if (
    !utcZone ||
    value.charCodeAt(4) !== HYPHEN ||
    value.charCodeAt(7) !== HYPHEN ||
    value.charCodeAt(10) !== LETTER_T ||
    value.charCodeAt(13) !== COLON ||
    value.charCodeAt(16) !== COLON
  ) {
    return undefined;
  }
  const y = digitsAt(value, 0, 4);
  const mo = digitsAt(value, 5, 7);
  const d = digitsAt(value, 8, 10);
  const h = digitsAt(value, 11, 13);
  const mi = digitsAt(value, 14, 16);
  const s = digitsAt(value, 17, 19);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) return undefined;
  return fromFields(y, mo, d, h, mi, s, 0, 0);
}

/** Every shape parseMimecastTime accepts: optional fraction, `Z` or any `±hh[:]mm` offset, `T` or space, surrounding blanks. */
function parseGeneral(value: string): number | undefined {
  const m = MIMECAST_TIME.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  let offsetMin = 0;
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const hours = Number(digits.slice(0, 2));
    // `±hh` alone means whole hours; an offset past ±23:59 is not a time zone but garbage.
    const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (hours > 23 || minutes > 59) return undefined;
    offsetMin = sign * (hours * 60 + minutes);
  }
  const ms = frac ? Math.floor(Number(`0${frac}`) * 1000) : 0;
  return fromFields(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s), ms, offsetMin);
}

/** Epoch ms of validated fields; `undefined` for dates that Date.UTC would silently roll over (e.g. 2026-02-31). */
function fromFields(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  ms: number,
  offsetMin: number,
): number | undefined {
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (check.getUTCMonth() !== mo - 1 || h > 23 || mi > 59 || s > 60) return undefined;
  return Date.UTC(y, mo - 1, d, h, mi, s, ms) - offsetMin * 60_000;
}
