/**
 * Best-effort parsing of Mimecast's free-text `eventInfo` into `details`.
 *
 * `eventInfo` is mostly `Key: Value` pairs separated by `, `, but values may themselves contain
 * `, ` (subjects, display names) and the text is partly attacker-influenced (a sender can put
 * anything in a subject). So the parser never throws, treats a segment as a new key only when
 * its key looks like a label, and bounds both the work it does and the size of what it returns.
 */

/** At most this many characters of `eventInfo` are parsed (the record keeps the whole text). */
export const MAX_EVENT_INFO_PARSE_CHARS = 64 * 1024;
/** At most this many keys in `details`. */
export const MAX_DETAIL_KEYS = 64;
/** Values longer than this are truncated in `details`. */
export const MAX_DETAIL_VALUE_CHARS = 2_048;

/** The key under which leading free text (before the first `Key: Value`) is kept. */
export const SUMMARY_KEY = 'summary';

const SEPARATOR = ', ';
/**
 * What a label looks like: starts with a letter or digit, at most 48 characters of letters,
 * digits, spaces and a little punctuation. `Time: 18:17:30` → label `Time`; a sentence that
 * happens to contain `: ` is unlikely to match and is treated as part of the previous value.
 */
const LABEL = /^[\p{L}\p{N}][\p{L}\p{N} _\-./()#&']{0,47}$/u;

/** Lower-cases a label and turns every run of non-alphanumerics into `_` (`2FA` → `2fa`, `Source IP` → `source_ip`). */
export function normaliseDetailKey(label: string): string {
  return label
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '_')
    .replace(/^_+|_+$/g, '');
}

/** Splits `Key: Value` (or a trailing `Key:`) when the key looks like a label; otherwise undefined. */
function splitLabelled(segment: string): { key: string; value: string } | undefined {
  const colon = segment.indexOf(':');
  if (colon <= 0) return undefined;
  const after = segment.slice(colon + 1);
  // `Key: value` or `Key:` at the very end; `12:30` (no space after the colon) is not a label.
  if (after.length > 0 && after[0] !== ' ') return undefined;
  const label = segment.slice(0, colon).trim();
  if (!LABEL.test(label)) return undefined;
  const key = normaliseDetailKey(label);
  if (key === '') return undefined;
  return { key, value: after.trim() };
}

const clip = (value: string): string =>
  value.length > MAX_DETAIL_VALUE_CHARS ? value.slice(0, MAX_DETAIL_VALUE_CHARS) : value;

/**
 * Parses `eventInfo` into a string map: `Key: Value` pairs separated by `, `, keys normalised
 * (see normaliseDetailKey), leading free text under `summary`, a segment without a label
 * appended to the previous value with `, `, repeated keys suffixed `_2`, `_3`…
 * Never throws; anything that is not a string yields `{}`.
 */
export function parseEventInfo(text: unknown): Record<string, string> {
  if (typeof text !== 'string' || text.trim() === '') return {};
  // A Map, then Object.fromEntries: own data properties only, so a key such as `__proto__` or
  // `constructor` can never reach a prototype (normalisation already strips the underscores).
  const details = new Map<string, string>();
  let current: string | undefined;

  const segments = text.slice(0, MAX_EVENT_INFO_PARSE_CHARS).split(SEPARATOR);
  for (const segment of segments) {
    const labelled = splitLabelled(segment);
    if (labelled) {
      if (details.size >= MAX_DETAIL_KEYS) break;
      let key = labelled.key;
      for (let n = 2; details.has(key); n += 1) key = `${labelled.key}_${n}`;
      details.set(key, clip(labelled.value));
      current = key;
      continue;
    }
    const piece = segment.trim();
    if (current === undefined) {
      if (piece === '') continue;
      current = SUMMARY_KEY;
      details.set(current, clip(piece));
      continue;
    }
    const previous = details.get(current) ?? '';
    if (previous.length >= MAX_DETAIL_VALUE_CHARS) continue;
    details.set(current, clip(previous === '' ? piece : `${previous}${SEPARATOR}${piece}`));
  }
  return Object.fromEntries(details);
}
