/**
 * Local wall-clock times for `eventInfo` texts. Real events print times in the actor's zone
 * (`Time: 18:17:30 BST`) while `eventTime` is UTC; the simulator imitates that so parsers
 * downstream meet the same mix.
 */

/** A time zone as the generator uses it. */
export interface SimZone {
  id: string;
  locale: string;
}

/** The zones actors live in (the locale picks the abbreviation style, e.g. BST, CEST, EDT, AEST). */
export const SIM_ZONES: readonly SimZone[] = [
  { id: 'Europe/London', locale: 'en-GB' },
  { id: 'Europe/Berlin', locale: 'en-GB' },
  { id: 'America/New_York', locale: 'en-US' },
  { id: 'Australia/Sydney', locale: 'en-AU' },
  { id: 'UTC', locale: 'en-GB' },
];

/** A zone's offset and abbreviation at one instant. */
export interface ZoneOffset {
  offsetMs: number;
  abbreviation: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: SimZone): Intl.DateTimeFormat {
  let formatter = formatters.get(zone.id);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(zone.locale, {
      timeZone: zone.id,
      timeZoneName: 'short',
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone.id, formatter);
  }
  return formatter;
}

/**
 * The offset of `zone` at `atMs`. Intl is slowish, so the generator calls this once per zone
 * per hour bucket: every zone above changes offset only on whole UTC hours.
 */
export function zoneOffsetAt(zone: SimZone, atMs: number): ZoneOffset {
  const parts = formatterFor(zone).formatToParts(new Date(atMs));
  const value = (type: Intl.DateTimeFormatPartTypes): number =>
    Number(parts.find((part) => part.type === type)?.value ?? Number.NaN);
  const localAsUtc = Date.UTC(
    value('year'),
    value('month') - 1,
    value('day'),
    value('hour'),
    value('minute'),
    value('second'),
  );
  const abbreviation = parts.find((part) => part.type === 'timeZoneName')?.value ?? 'UTC';
  const offsetMs = Number.isNaN(localAsUtc) ? 0 : localAsUtc - Math.floor(atMs / 1000) * 1000;
  return { offsetMs, abbreviation };
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** `{ date: '2021-10-11', time: '18:17:30 BST' }` for an instant in a zone. */
export function formatLocal(atMs: number, zone: ZoneOffset): { date: string; time: string } {
  const local = new Date(atMs + zone.offsetMs);
  return {
    date: `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`,
    time: `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())} ${zone.abbreviation}`,
  };
}
