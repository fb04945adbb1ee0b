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
 * Parses Mimecast's `eventTime` (`2021-10-18T08:45:02+0000`, also accepting `Z`, `+00:00`
 * and other offsets). Returns epoch ms, or `undefined` when unparseable.
 */
export function parseMimecastTime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/.exec(
    value.trim(),
  );
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  let offsetMin = 0;
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
  }
  const ms = frac ? Math.floor(Number(`0${frac}`) * 1000) : 0;
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  const check = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  // Reject dates that Date.UTC silently rolls over (e.g. 2026-02-31).
  if (check.getUTCMonth() !== Number(mo) - 1 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) {
    return undefined;
  }
  return utc - offsetMin * 60_000;
}
