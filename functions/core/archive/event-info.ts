/**
 * Best-effort parsing of Mimecast's free-text `eventInfo` into `details`.
 *
 * `eventInfo` is mostly `Key: Value` pairs separated by `, `, but values may themselves contain
 * `, ` (subjects, display names) and the text is partly attacker-influenced (a sender can put
 * anything in a subject). So the parser never throws, treats a segment as a new key only when
 * its key looks like a label, and bounds both the work it does and the size of what it returns.
 *
 * It runs once per collected event, so it scans with indexOf instead of splitting, and caches
 * what each label text normalises to (the same few labels repeat on almost every event).
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
const SPACE = 0x20;
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

/**
 * Text before a colon → its detail key, or `''` when it is not a label. Bounded because the
 * text is attacker-influenced: when full it is simply emptied (real traffic refills it with the
 * handful of labels Mimecast uses within one event).
 */
const labelKeys = new Map<string, string>();
const LABEL_CACHE_SIZE = 512;
/** Longer texts are hardly ever labels (a label has at most 48 characters); not worth caching. */
const MAX_CACHED_LABEL_CHARS = 64;

/** The detail key of `raw` (the text between a segment's start and its first colon), or `''`. */
function labelKey(raw: string): string {
  const cached = labelKeys.get(raw);
  if (cached !== undefined) return cached;
  const label = raw.trim();
  const key = LABEL.test(label) ? normaliseDetailKey(label) : '';
  if (raw.length <= MAX_CACHED_LABEL_CHARS) {
    if (labelKeys.size >= LABEL_CACHE_SIZE) labelKeys.clear();
    labelKeys.set(raw, key);
  }
  return key;
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
  // A plain object keeps the key order of insertion (as the record's JSON needs). No key can
  // reach a prototype: assigning `constructor` or `toString` creates an own property, and the
  // only accessor on Object.prototype, `__proto__`, cannot be a key (normalisation strips
  // leading and trailing underscores). Existence is checked with Object.hasOwn for the same reason.
  const details: Record<string, string> = {};
  let keys = 0;
  let current: string | undefined;

  const parsed = text.length > MAX_EVENT_INFO_PARSE_CHARS ? text.slice(0, MAX_EVENT_INFO_PARSE_CHARS) : text;
  const length = parsed.length;
  // The first colon at or after the current segment's start (-1: none left). Remembered across
  // segments so a long run of segments without a colon is scanned once, not once per segment.
  let colon = parsed.indexOf(':');
  // Segments are the pieces between `, ` separators, as String.prototype.split would give them.
  for (let start = 0; start <= length; ) {
    const separator = parsed.indexOf(SEPARATOR, start);
    const end = separator === -1 ? length : separator;
    const next = separator === -1 ? length + 1 : separator + SEPARATOR.length;

    // `Key: value` or `Key:` at the very end of the segment, when the key looks like a label;
    // `12:30` (no space after the colon) is not a label.
    if (colon !== -1 && colon < start) colon = parsed.indexOf(':', start);
    if (colon > start && colon < end && (colon + 1 === end || parsed.charCodeAt(colon + 1) === SPACE)) {
      const key = labelKey(parsed.slice(start, colon));
      if (key !== '') {
        if (keys >= MAX_DETAIL_KEYS) break;
        let unique = key;
        for (let n = 2; Object.hasOwn(details, unique); n += 1) unique = `${key}_${n}`;
        details[unique] = clip(parsed.slice(colon + 1, end).trim());
        keys += 1;
        current = unique;
        start = next;
        continue;
      }
    }

    const piece = parsed.slice(start, end).trim();
    start = next;
    if (current === undefined) {
      if (piece === '') continue;
      current = SUMMARY_KEY;
      details[current] = clip(piece);
      keys += 1;
      continue;
    }
    const previous = details[current] ?? '';
    if (previous.length >= MAX_DETAIL_VALUE_CHARS) continue;
    details[current] = clip(previous === '' ? piece : `${previous}${SEPARATOR}${piece}`);
  }
  return details;
}
