/**
 * The S3 key layout (docs/athena.md, "The data in S3"):
 * `<prefix>/source=<id>/dt=<YYYY-MM-DD>/<start>_<end>.ndjson.gz`, `<start>`/`<end>` as
 * `YYYYMMDDTHHmmssZ`. Keys depend only on their inputs, so redoing a window overwrites exactly
 * the objects an interrupted attempt may have written: no duplicates, no orphans.
 */
import { toCompactUtc } from '#core/time.js';

/** The object name suffix; Athena decompresses by it (no `Content-Encoding` is set). */
export const OBJECT_SUFFIX = '.ndjson.gz';

const DT = /^\d{4}-\d{2}-\d{2}$/;
const COMPACT = /^\d{8}T\d{6}Z$/;

/** A half-open window as instants. */
export interface WindowDates {
  start: Date;
  end: Date;
}

/** The parts of an archive key. */
export interface ParsedObjectKey {
  prefix: string;
  sourceId: string;
  dt: string;
  /** `YYYYMMDDTHHmmssZ` */
  start: string;
  /** `YYYYMMDDTHHmmssZ` */
  end: string;
}

const joinPrefix = (prefix: string, rest: string): string => (prefix === '' ? rest : `${prefix}/${rest}`);

/** `<prefix>/source=<id>/`: every object of one source (ends with `/`). */
export function partitionPrefix(prefix: string, sourceId: string): string {
  return joinPrefix(prefix, `source=${sourceId}/`);
}

/** `<prefix>/source=<id>/dt=<YYYY-MM-DD>/`: every object of one source and UTC day. */
export function dayPrefix(prefix: string, sourceId: string, dt: string): string {
  assertDt(dt);
  return `${partitionPrefix(prefix, sourceId)}dt=${dt}/`;
}

/** The key of the object holding `window`'s events of UTC date `dt`. */
export function objectKey(prefix: string, sourceId: string, window: WindowDates, dt: string): string {
  if (!(window.start.getTime() < window.end.getTime())) {
    throw new RangeError(
      `window start must precede its end (${String(window.start)} .. ${String(window.end)})`,
    );
  }
  return `${dayPrefix(prefix, sourceId, dt)}${toCompactUtc(window.start)}_${toCompactUtc(window.end)}${OBJECT_SUFFIX}`;
}

/** Splits an archive key into its parts; `undefined` for any key that is not one. */
export function parseObjectKey(key: string): ParsedObjectKey | undefined {
  const parts = key.split('/');
  if (parts.length < 3) return undefined;
  const [file, dtPart, sourcePart] = parts.slice(-3).reverse();
  if (file === undefined || dtPart === undefined || sourcePart === undefined) return undefined;
  if (!sourcePart.startsWith('source=') || !dtPart.startsWith('dt=') || !file.endsWith(OBJECT_SUFFIX)) {
    return undefined;
  }
  const sourceId = sourcePart.slice('source='.length);
  const dt = dtPart.slice('dt='.length);
  const [start, end, ...rest] = file.slice(0, -OBJECT_SUFFIX.length).split('_');
  if (sourceId === '' || !DT.test(dt) || start === undefined || end === undefined || rest.length > 0) {
    return undefined;
  }
  if (!COMPACT.test(start) || !COMPACT.test(end)) return undefined;
  return { prefix: parts.slice(0, -3).join('/'), sourceId, dt, start, end };
}

function assertDt(dt: string): void {
  if (!DT.test(dt)) throw new RangeError(`dt must be YYYY-MM-DD, got ${JSON.stringify(dt)}`);
}

const DAY_MS = 86_400_000;

/** Every UTC date (`YYYY-MM-DD`) that the half-open `[startMs, endMs)` touches, oldest first. */
export function utcDatesOf(startMs: number, endMs: number): string[] {
  const dates: string[] = [];
  for (let day = Math.floor(startMs / DAY_MS) * DAY_MS; day < endMs; day += DAY_MS) {
    dates.push(new Date(day).toISOString().slice(0, 10));
  }
  return dates;
}

/** The keys a window's objects can have: one per UTC date it touches. */
export function windowObjectKeys(prefix: string, sourceId: string, window: WindowDates): string[] {
  return utcDatesOf(window.start.getTime(), window.end.getTime()).map((dt) =>
    objectKey(prefix, sourceId, window, dt),
  );
}
