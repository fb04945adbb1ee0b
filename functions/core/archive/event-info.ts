/**
 * Best-effort parsing of Mimecast's free-text `eventInfo` into `details` (docs/fields.md).
 *
 * `eventInfo` is mostly `Key: Value` pairs separated by `, ` (sometimes by new lines, sometimes by
 * nothing but a space), but values may themselves contain `, ` (subjects, display names) and the
 * text is partly attacker-influenced (a sender can put anything in a subject). So:
 *
 * - `date`, `time`, `ip` and `application` come only from the *block*: the last run of Date / Time /
 *   IP / Application pairs (Mimecast appends it after every field it copies from a message, so
 *   anything an outsider wrote comes before it). Within the block the labels appear in Mimecast's
 *   order (Date, Time, IP, Application, then `Remote IP is …`), each at most once; scanning back
 *   from its end, the block stops at the first label that is out of order, repeated or any other
 *   label. The same labels anywhere else are not labels: they stay in the value (or summary) that
 *   contains them, verbatim.
 * - Every value is a verbatim slice of the text (trimmed), so a value that contains `, `, new
 *   lines or look-alike labels comes out exactly as written.
 * - The parser never throws, scans each character a bounded number of times (indexOf and
 *   char-code loops; the only regexes are anchored or run on one segment and cannot backtrack
 *   more than a constant per character), and bounds both its work and what it returns.
 *
 * It runs once per collected event, so pieces are kept in reused module-level arrays (parsing is
 * synchronous, never re-entered), and label texts' keys are cached.
 */
import { toIsoSeconds } from '#core/time.js';

/** At most this many characters of `eventInfo` are parsed (the record keeps the whole text). */
export const MAX_EVENT_INFO_PARSE_CHARS = 64 * 1024;
/** At most this many keys in `details`. */
export const MAX_DETAIL_KEYS = 64;
/** Values longer than this are truncated in `details`. */
export const MAX_DETAIL_VALUE_CHARS = 2_048;
/** At most this many distinct addresses in `email_addresses`. */
export const MAX_EMAIL_ADDRESSES = 20;
/**
 * Of a text longer than MAX_EVENT_INFO_PARSE_CHARS, the last this many characters are parsed
 * (after the first MAX_EVENT_INFO_PARSE_CHARS − this many), so a huge subject cannot push
 * Mimecast's trailing Date/Time/IP/Application block out of reach.
 */
export const EVENT_INFO_TAIL_CHARS = 4 * 1024;

/** The key under which leading free text (before the first `Key: Value` segment) is kept. */
export const SUMMARY_KEY = 'summary';
/** The key of the action phrase fused with the first label (`Viewed Message - Source: …`). */
export const ACTION_KEY = 'action';

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

/** The detail key of a label text (trimmed, LABEL-shaped), or `''` when it is not a label. */
function labelKey(raw: string): string {
  const label = raw.trim();
  const key = LABEL.test(label) ? normaliseDetailKey(label) : '';
  // `File:`, `Filename:` and `File Name:` all name the file.
  return key === 'file' || key === 'filename' ? 'file_name' : key;
}

/** What the text before a segment's first label colon means. */
interface LabelText {
  /** Its detail key, or `''` when it is not a label. */
  key: string;
  /** Its block rank (RANK_*), or 0. */
  rank: number;
  /** Where ` to file` starts (`Exported 3 messages to file`), or -1. */
  toFile: number;
  /** Where the label after the last ` - ` starts (`Viewed Message - Source`), or -1. */
  dash: number;
  /** That label's key and rank. */
  dashKey: string;
  dashRank: number;
}

/**
 * Text before a colon → what it means. Bounded because the text is attacker-influenced: when full
 * it is simply emptied (real traffic refills it with the handful of labels Mimecast uses within
 * one event).
 */
const labelTexts = new Map<string, LabelText>();
const LABEL_CACHE_SIZE = 512;
/** Longer texts are hardly ever labels (a label has at most 48 characters); not worth caching. */
const MAX_CACHED_LABEL_CHARS = 64;

function labelText(raw: string): LabelText {
  const cached = labelTexts.get(raw);
  if (cached !== undefined) return cached;
  const key = labelKey(raw);
  const dashAt = raw.lastIndexOf(' - ');
  const dashKey = dashAt > 0 ? labelKey(raw.slice(dashAt + 3)) : '';
  const info: LabelText = {
    key,
    rank: RESERVED_RANKS.get(key) ?? 0,
    toFile: toFileAt(raw),
    dash: dashKey === '' ? -1 : dashAt + 3,
    dashKey,
    dashRank: RESERVED_RANKS.get(dashKey) ?? 0,
  };
  if (raw.length <= MAX_CACHED_LABEL_CHARS) {
    if (labelTexts.size >= LABEL_CACHE_SIZE) labelTexts.clear();
    labelTexts.set(raw, info);
  }
  return info;
}

// The block's labels, ranked in the order Mimecast writes them.
const RANK_DATE = 1;
const RANK_TIME = 2;
const RANK_IP = 3;
const RANK_APPLICATION = 4;
/** `Remote IP is 198.51.100.3`, which follows `Application : API`. */
const RANK_REMOTE_IP = 5;
const RANK_KEYS = ['', 'date', 'time', 'ip', 'application', 'ip'] as const;
/** One bit per key, so `IP:` and `Remote IP is` cannot both be in a block. */
const RANK_BITS = [0, 1, 2, 4, 8, 4] as const;
const RESERVED_RANKS = new Map<string, number>([
  ['date', RANK_DATE],
  ['time', RANK_TIME],
  ['ip', RANK_IP],
  ['application', RANK_APPLICATION],
]);
/**
 * Keys the parser derives itself: a label that normalises to one of them gets a suffix
 * (`Event Created:` → `event_created_2`), so text cannot impersonate them.
 */
const DERIVED_KEYS = new Set(['event_created', 'email_addresses', 'file_extension', 'file_size_bytes']);

/**
 * The block's labels anywhere in a segment (word-aligned): `Date:`, `Time :`, `IP:`,
 * `Application:` (in any case, as labels are), or `Remote IP is` (Remote, remote or REMOTE, then
 * `IP is` as Mimecast writes it) before something that starts like an address. Run on one
 * segment at a time, and only on segments with two or more `: ` (or when the text has `P is` at
 * all): that is how a line without commas shows its labels.
 */
const MARKER =
  /(?<![^\s,])(?:([Dd][Aa][Tt][Ee]|[Tt][Ii][Mm][Ee]|[Ii][Pp]|[Aa][Pp][Pp][Ll][Ii][Cc][Aa][Tt][Ii][Oo][Nn])[ \t]*:(?=[\s,:]|$)|[Rr](?:emote|EMOTE)[ \t]+IP is[ \t]+(?=[0-9A-Fa-f:[]))/g;

/** Could `[from, to)` hold `Remote IP is`? (One indexOf of a rare needle: cheaper than any regex over the text.) */
function mayHaveRemoteIp(text: string, from: number, to: number): boolean {
  const is = text.indexOf('P is', from);
  return is !== -1 && is < to;
}

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const COMMA = 0x2c;
const COLON = 0x3a;
const HYPHEN = 0x2d;

const isBlank = (c: number): boolean => c === SPACE || c === TAB || c === LF || c === CR;

/** A comma separates when a blank, another comma or the end follows it (`1,024` and `a,b` stay whole). */
function commaSeparates(text: string, at: number, end: number): boolean {
  if (at + 1 >= end) return true;
  const next = text.charCodeAt(at + 1);
  return next === SPACE || next === TAB || next === COMMA || next === LF || next === CR;
}

const clip = (value: string): string =>
  value.length > MAX_DETAIL_VALUE_CHARS ? value.slice(0, MAX_DETAIL_VALUE_CHARS) : value;

// ---- Pieces -------------------------------------------------------------------------------
// A piece is a label (key !== '') with its value, or a run of text. Reused between calls.
const pieceKey: string[] = [];
const pieceRank: number[] = [];
/** Where the piece starts (its label, or its text). */
const pieceStart: number[] = [];
/** Where a label's value starts (after the colon or `is`). */
const pieceValue: number[] = [];
const pieceEnd: number[] = [];
/** Ordinal of the segment (`, `- or line-separated part) the piece is in. */
const pieceSegment: number[] = [];
let pieces = 0;
/** True until the first label piece: only the first label may have an action phrase (` - `) fused to it. */
let beforeFirstLabel = true;

function addPiece(
  key: string,
  rank: number,
  start: number,
  value: number,
  end: number,
  segment: number,
): void {
  pieceKey[pieces] = key;
  pieceRank[pieces] = rank;
  pieceStart[pieces] = start;
  pieceValue[pieces] = value;
  pieceEnd[pieces] = end;
  pieceSegment[pieces] = segment;
  pieces += 1;
  if (key !== '') beforeFirstLabel = false;
}

/** A text piece for `[start, end)`, unless it is blank as String.prototype.trim sees it (the verbatim slices keep blanks anyway). */
function addText(text: string, start: number, end: number, segment: number): void {
  for (let i = start; i < end; i += 1) {
    const c = text.charCodeAt(i);
    if (c === SPACE || (c >= TAB && c <= CR)) continue; // the ASCII blanks trim removes
    // Other Unicode blanks (no-break space, …) are rare: let trim decide.
    if (c < 0x80 || text.slice(i, end).trim() !== '') addPiece('', 0, start, start, end, segment);
    return;
  }
}

// The first colon at or after `colonFrom` (-1: none). Remembered so a long run of segments without
// a colon is scanned once, not once per segment.
let colonFrom = 0;
let colonAt = -1;
function colonAfter(text: string, at: number): number {
  if (at >= colonFrom && (colonAt === -1 || colonAt >= at)) return colonAt;
  colonFrom = at;
  colonAt = text.indexOf(':', at);
  return colonAt;
}

/** The first colon in `[from, end)` that ends a label (a blank or the segment's end follows it), or -1. */
function labelColon(text: string, from: number, end: number): number {
  for (let colon = colonAfter(text, from); colon !== -1 && colon < end; colon = colonAfter(text, colon + 1)) {
    if (colon + 1 === end) return colon;
    const next = text.charCodeAt(colon + 1);
    if (next === SPACE || next === TAB) return colon;
  }
  return -1;
}

/** ` to file` at the end of a label text (`Exported 3 messages to file:`), as the index where it starts, or -1. */
function toFileAt(raw: string): number {
  let end = raw.length;
  while (end > 0 && isBlank(raw.charCodeAt(end - 1))) end -= 1;
  if (end < 7 || !isWordAt(raw, end - 7, 'TO FILE')) return -1;
  return end === 7 || isBlank(raw.charCodeAt(end - 8)) ? end - 7 : -1;
}

/**
 * `[start, end)` of a segment, label first: `Label: value`, `Action phrase - Label: value`
 * (first label only), `… to file: name`, or text. `colon` is its first label colon (or -1).
 */
function addRegion(text: string, start: number, end: number, colon: number, segment: number): void {
  if (colon === -1) {
    addText(text, start, end, segment);
    return;
  }
  const info = labelText(text.slice(start, colon));
  if (info.toFile !== -1) {
    addText(text, start, start + info.toFile, segment);
    addPiece('file_name', 0, start + info.toFile, colon + 1, end, segment);
  } else if (beforeFirstLabel && info.dash !== -1) {
    addText(text, start, start + info.dash - 3, segment);
    addPiece(info.dashKey, info.dashRank, start + info.dash, colon + 1, end, segment);
  } else if (info.key === '') {
    addText(text, start, end, segment);
  } else {
    addPiece(info.key, info.rank, start, colon + 1, end, segment);
  }
}

/** Is `[from, …)` up to the next blank an IPv4 or IPv6 address (maybe bracketed), by its characters? */
function looksLikeIp(text: string, from: number, end: number): boolean {
  let separators = 0;
  let digits = 0;
  let i = from;
  for (; i < end; i += 1) {
    const c = text.charCodeAt(i);
    if (isBlank(c)) break;
    if (c === 0x2e || c === COLON) separators += 1;
    else if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)) digits += 1;
    else if (c !== 0x5b && c !== 0x5d) return false; // [ ]
  }
  return separators >= 2 && digits > 0 && i - from <= 47;
}

const markerStart: number[] = [];
const markerValue: number[] = [];
const markerRank: number[] = [];

/**
 * One segment `[start, end)`. A segment with two or more of the block's labels (a line without
 * commas) or with `Remote IP is` is split at them; any other is one region.
 */
function addSegment(text: string, start: number, end: number, segment: number, remoteHint: boolean): void {
  const colon = labelColon(text, start, end);
  const another = colon !== -1 && labelColon(text, colon + 1, end) !== -1;
  if (another || remoteHint) {
    const part = text.slice(start, end);
    let markers = 0;
    let remote = false;
    MARKER.lastIndex = 0;
    for (let m = MARKER.exec(part); m !== null; m = MARKER.exec(part)) {
      const value = m.index + m[0].length;
      const word = m[1];
      if (word === undefined) {
        if (!looksLikeIp(part, value, part.length)) continue;
        remote = true;
      }
      markerStart[markers] = start + m.index;
      markerValue[markers] = start + value;
      markerRank[markers] =
        word === undefined ? RANK_REMOTE_IP : (RESERVED_RANKS.get(word.toLowerCase()) ?? 0);
      markers += 1;
    }
    if (markers >= 2 || remote) {
      const first = markerStart[0] ?? start;
      addRegion(text, start, first, labelColon(text, start, first), segment);
      for (let i = 0; i < markers; i += 1) {
        const rank = markerRank[i] ?? 0;
        const next = i + 1 < markers ? (markerStart[i + 1] ?? end) : end;
        addPiece(
          RANK_KEYS[rank] ?? '',
          rank,
          markerStart[i] ?? start,
          markerValue[i] ?? start,
          next,
          segment,
        );
      }
      return;
    }
  }
  addRegion(text, start, end, colon, segment);
}

/** Splits `[start, end)` into segments at `, ` (a comma before a blank, a comma or the end) and line breaks. */
function addSegments(text: string, start: number, end: number, remoteHint: boolean, segment: number): number {
  let from = start;
  let comma = text.indexOf(',', from);
  let lf = text.indexOf('\n', from);
  let cr = text.indexOf('\r', from);
  let n = segment;
  for (;;) {
    while (comma !== -1 && comma < end && !commaSeparates(text, comma, end))
      comma = text.indexOf(',', comma + 1);
    let stop = end;
    if (comma !== -1 && comma < stop) stop = comma;
    if (lf !== -1 && lf < stop) stop = lf;
    if (cr !== -1 && cr < stop) stop = cr;
    addSegment(text, from, stop, n, remoteHint);
    n += 1;
    if (stop >= end) return n;
    from = stop + 1;
    if (comma !== -1 && comma < from) comma = text.indexOf(',', from);
    if (lf !== -1 && lf < from) lf = text.indexOf('\n', from);
    if (cr !== -1 && cr < from) cr = text.indexOf('\r', from);
  }
}

// ---- Values -------------------------------------------------------------------------------

/** A label's value: trimmed, a doubled colon (`IP: : 198.51.100.2`) read as one, clipped. */
function labelValue(text: string, from: number, to: number): string {
  let value = text.slice(from, to).trim();
  while (value.charCodeAt(0) === COLON && (value.length === 1 || isBlank(value.charCodeAt(1)))) {
    value = value.slice(1).trim();
  }
  return clip(value);
}

/** Free text (summary, action): trimmed, clipped; an action also loses a trailing ` -`. */
function freeText(text: string, from: number, to: number, dash = false): string {
  let end = to;
  while (end > from && (isBlank(text.charCodeAt(end - 1)) || (dash && text.charCodeAt(end - 1) === HYPHEN))) {
    end -= 1;
  }
  return clip(text.slice(from, end).trim());
}

// ---- Email addresses ----------------------------------------------------------------------

/** An ASCII letter or digit: 1 lower-case or digit, 2 upper-case, 0 neither. */
function alnum(c: number): number {
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39)) return 1;
  return c >= 0x41 && c <= 0x5a ? 2 : 0;
}
/** Other characters of an address's local part (a practical subset of RFC 5322: no quotes or `/`). */
const isLocalMark = (c: number): boolean =>
  c === 0x2e || c === 0x5f || c === 0x25 || c === 0x2b || c === HYPHEN;

/**
 * Is `text[from, to)` a domain: two or more dot-separated labels of 1–63 letters, digits and inner
 * hyphens, the last one 2–63 letters only?
 */
function isDomain(text: string, from: number, to: number): boolean {
  let labels = 0;
  let labelStart = from;
  let alphabetic = true;
  for (let i = from; i <= to; i += 1) {
    const c = i === to ? 0x2e : text.charCodeAt(i);
    if (c === 0x2e) {
      const size = i - labelStart;
      if (size < 1 || size > 63) return false;
      if (text.charCodeAt(labelStart) === HYPHEN || text.charCodeAt(i - 1) === HYPHEN) return false;
      labels += 1;
      if (i === to) return labels >= 2 && alphabetic && size >= 2;
      labelStart = i + 1;
      alphabetic = true;
    } else if (c === HYPHEN || (c >= 0x30 && c <= 0x39)) {
      alphabetic = false;
    }
  }
  return false;
}

/** The address around the `@` at `at`, within `[start, end)`, lower-cased; `undefined` when it is none. */
function addressAt(text: string, at: number, start: number, end: number): string | undefined {
  let upper = false;
  let left = at;
  while (left > start && at - left <= 64) {
    const c = text.charCodeAt(left - 1);
    const kind = alnum(c);
    if (kind === 0 && !isLocalMark(c)) break;
    if (kind === 2) upper = true;
    left -= 1;
  }
  let right = at + 1;
  while (right < end && right - at <= 254) {
    const c = text.charCodeAt(right);
    const kind = alnum(c);
    if (kind === 0 && c !== 0x2e && c !== HYPHEN) break;
    if (kind === 2) upper = true;
    right += 1;
  }
  // Longer than an address can be: not an address (rather than a piece of one).
  if (at - left > 64 || right - at > 254) return undefined;
  while (left < at && text.charCodeAt(left) === 0x2e) left += 1;
  // A sentence's full stop or a dash after the address is not part of it.
  while (right > at + 1 && (text.charCodeAt(right - 1) === 0x2e || text.charCodeAt(right - 1) === HYPHEN)) {
    right -= 1;
  }
  if (left === at || right === at + 1 || text.charCodeAt(at - 1) === 0x2e) return undefined;
  if (!isDomain(text, at + 1, right)) return undefined;
  const address = text.slice(left, right);
  return upper ? address.toLowerCase() : address;
}

/**
 * The distinct addresses of every piece but a Message-ID (`<id@host>` looks like an address),
 * in order, joined with `,` as far as they fit in a value. One pass over the `@`s, matched to the
 * pieces in order, so the work is linear however many pieces and `@`s there are.
 */
function emailAddresses(text: string, firstAt: number): string {
  const found: string[] = [];
  let joined = '';
  let piece = 0;
  for (let at = firstAt; at !== -1 && found.length < MAX_EMAIL_ADDRESSES; at = text.indexOf('@', at + 1)) {
    while (piece < pieces && (pieceEnd[piece] ?? 0) <= at) piece += 1;
    if (piece >= pieces) break;
    const start = pieceStart[piece] ?? 0;
    if (at < start || pieceKey[piece] === 'message_id') continue;
    const address = addressAt(text, at, start, pieceEnd[piece] ?? 0);
    if (address === undefined || found.includes(address)) continue;
    found.push(address);
    const next = joined === '' ? address : `${joined},${address}`;
    if (next.length > MAX_DETAIL_VALUE_CHARS) break;
    joined = next;
  }
  return joined;
}

// ---- Derived fields -----------------------------------------------------------------------

const EARLIEST_MS = Date.UTC(1970, 0, 1);
const LATEST_MS = Date.UTC(9999, 11, 31, 23, 59, 59);

/** The number written at `text[from, to)` in ASCII digits, or -1. */
function digitsAt(text: string, from: number, to: number): number {
  if (to > text.length) return -1;
  let n = 0;
  for (let i = from; i < to; i += 1) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + (c - 0x30);
  }
  return n;
}

/** `+0000`, `+00:00`, `+01`, `-0530` at `time[at…]` to the end, as minutes east of UTC; `undefined` when it is not exactly that. */
function offsetMinutes(time: string, at: number): number | undefined {
  const sign = time.charCodeAt(at);
  if (sign !== 0x2b && sign !== HYPHEN) return undefined;
  const hours = digitsAt(time, at + 1, at + 3);
  const rest = time.length - (at + 3);
  const minutes =
    rest === 0
      ? 0
      : rest === 2
        ? digitsAt(time, at + 3, at + 5)
        : rest === 3 && time.charCodeAt(at + 3) === COLON
          ? digitsAt(time, at + 4, at + 6)
          : -1;
  if (hours < 0 || minutes < 0 || hours > 23 || minutes > 59) return undefined;
  return (sign === HYPHEN ? -1 : 1) * (hours * 60 + minutes);
}

/**
 * `event_created` from the block's `YYYY-MM-DD` Date and `HH:mm:ss[.fff]` Time with a zone (`Z`,
 * `UTC`, `GMT`, an offset, or `UTC`/`GMT` then an offset), as ISO 8601 UTC; `undefined` when
 * either is another shape, the zone is missing or named otherwise (BST, CET: ambiguous), or the
 * calendar has no such instant. Never a guess.
 */
function eventCreated(date: string, time: string): string | undefined {
  if (date.length !== 10 || date.charCodeAt(4) !== HYPHEN || date.charCodeAt(7) !== HYPHEN) return undefined;
  if (time.length < 9 || time.charCodeAt(2) !== COLON || time.charCodeAt(5) !== COLON) return undefined;
  let at = 8;
  if (time.charCodeAt(at) === 0x2e) {
    const digits = at + 1;
    while (at + 1 < time.length && digitsAt(time, at + 1, at + 2) >= 0) at += 1;
    if (at + 1 === digits || at + 1 - digits > 9) return undefined;
    at += 1;
  }
  while (at < time.length && (time.charCodeAt(at) === SPACE || time.charCodeAt(at) === TAB)) at += 1;
  let offset: number | undefined;
  if (isWordAt(time, at, 'UTC') || isWordAt(time, at, 'GMT')) {
    offset = at + 3 === time.length ? 0 : offsetMinutes(time, at + 3);
  } else if ((time.charCodeAt(at) | 0x20) === 0x7a && at + 1 === time.length)
    offset = 0; // Z, z
  else offset = offsetMinutes(time, at);
  if (offset === undefined) return undefined;
  const y = digitsAt(date, 0, 4);
  const mo = digitsAt(date, 5, 7);
  const d = digitsAt(date, 8, 10);
  const h = digitsAt(time, 0, 2);
  const mi = digitsAt(time, 3, 5);
  const sec = digitsAt(time, 6, 8);
  // Before 1970 is no audit event (and Date.UTC would read 0070 as 1970).
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) {
    return undefined;
  }
  // A day Date.UTC would silently roll over (2026-02-30) does not exist.
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  if (d > (mo === 2 ? (leap ? 29 : 28) : (DAYS_IN_MONTH[mo] ?? 0))) return undefined;
  // In UTC already (and 1970 ≤ year ≤ 9999): the validated text is what toIsoSeconds would format.
  if (offset === 0) return `${date}T${time.slice(0, 8)}Z`;
  const ms = Date.UTC(y, mo - 1, d, h, mi, sec) - offset * 60_000;
  return ms < EARLIEST_MS || ms > LATEST_MS ? undefined : toIsoSeconds(new Date(ms));
}

const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** Is `word` (upper-case ASCII) at `text[at…]`, in any case? */
function isWordAt(text: string, at: number, word: string): boolean {
  for (let i = 0; i < word.length; i += 1) {
    const c = text.charCodeAt(at + i);
    const upper = word.charCodeAt(i);
    if (c !== upper && c !== (upper | 0x20)) return false;
  }
  return true;
}

/** `12.4 MB`, `1024`, `1,024 bytes`: a number and a unit (B/bytes, KB/KiB, MB/MiB, GB/GiB; 1024-based). */
const SIZE = /^(\d{1,3}(?:,\d{3})+|\d{1,15})(?:\.(\d{1,6}))?[ \t]*(bytes?|b|kb|kib|mb|mib|gb|gib)?$/i;

/** Bytes of a size text, rounded to a whole byte, or `undefined` when it is not a size. */
function sizeBytes(size: string): string | undefined {
  const m = SIZE.exec(size.trim());
  if (!m) return undefined;
  const whole = Number((m[1] ?? '').replaceAll(',', ''));
  const fraction = m[2] ?? '';
  const unit = (m[3] ?? 'b').toLowerCase();
  const multiplier = unit.startsWith('k')
    ? 1024
    : unit.startsWith('m')
      ? 1024 ** 2
      : unit.startsWith('g')
        ? 1024 ** 3
        : 1;
  // Bytes are whole: `1.5 bytes` is not a size.
  if (multiplier === 1 && fraction !== '') return undefined;
  const bytes = Math.round((whole + (fraction === '' ? 0 : Number(`0.${fraction}`))) * multiplier);
  return Number.isSafeInteger(bytes) ? String(bytes) : undefined;
}

/** `audit-2026-11.csv (12.4 MB)` → the name and the size, when the parentheses hold a size. */
function nameAndSize(value: string): [string, string] | undefined {
  if (!value.endsWith(')')) return undefined;
  const open = value.lastIndexOf('(');
  if (open <= 0) return undefined;
  const size = value.slice(open + 1, -1).trim();
  const name = value.slice(0, open).trim();
  if (name === '' || size.length > 40 || sizeBytes(size) === undefined) return undefined;
  return [name, size];
}

/** The extension of a file name, lower-case without the dot (`Report.CSV` → `csv`), or `undefined`. */
function extensionOf(name: string): string | undefined {
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || dot === name.length - 1 || name.length - dot > 11) return undefined;
  const ext = name.slice(dot + 1);
  return /^[\p{L}\p{N}]+$/u.test(ext) ? ext.toLowerCase() : undefined;
}

// ---- The parser ---------------------------------------------------------------------------

/**
 * Parses `eventInfo` into a string map (docs/fields.md): `Key: Value` pairs (keys normalised,
 * see normaliseDetailKey) separated by `, ` or line breaks, leading free text under `summary`,
 * an action phrase fused to the first label under `action`, `date`/`time`/`ip`/`application`
 * from Mimecast's trailing block only, a segment without a label continuing the previous value,
 * repeated keys suffixed `_2`, `_3`…, then the derived `file_*`, `event_created` and
 * `email_addresses`. Never throws; anything that is not a string yields `{}`.
 */
export function parseEventInfo(text: unknown): Record<string, string> {
  if (typeof text !== 'string' || isBlankText(text)) return {};
  try {
    return parse(text);
  } catch {
    // Defensive only: nothing here is known to throw, and a record without details beats none.
    return {};
  }
}

/** `text.trim() === ''` without building the trimmed copy. */
function isBlankText(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === SPACE || (c >= TAB && c <= CR)) continue;
    return c >= 0x80 && text.slice(i).trim() === '';
  }
  return true;
}

// The output, in order, before it becomes the object (each key is then stored once). Reused.
const outKeys: string[] = [];
const outValues: string[] = [];
let outs = 0;

function hasOut(key: string): boolean {
  for (let i = 0; i < outs; i += 1) if (outKeys[i] === key) return true;
  return false;
}
function setOut(key: string, value: string): void {
  for (let i = 0; i < outs; i += 1) {
    if (outKeys[i] === key) {
      outValues[i] = value;
      return;
    }
  }
  outKeys[outs] = key;
  outValues[outs] = value;
  outs += 1;
}

function parse(text: string): Record<string, string> {
  // Regions: all of the text, or its head and its tail (from the tail's first separator on).
  const length = text.length;
  let headEnd = length;
  let tailStart = length;
  if (length > MAX_EVENT_INFO_PARSE_CHARS) {
    headEnd = MAX_EVENT_INFO_PARSE_CHARS - EVENT_INFO_TAIL_CHARS;
    const window = length - EVENT_INFO_TAIL_CHARS;
    let boundary = -1;
    for (let i = window; i < length && boundary === -1; i += 1) {
      const c = text.charCodeAt(i);
      if ((c === COMMA && commaSeparates(text, i, length)) || c === LF || c === CR) boundary = i + 1;
    }
    for (let i = window; i < length && boundary === -1; i += 1) {
      if (isBlank(text.charCodeAt(i))) boundary = i + 1;
    }
    tailStart = boundary === -1 ? length : boundary;
  }

  // 1. Pieces.
  pieces = 0;
  beforeFirstLabel = true;
  colonFrom = 0;
  colonAt = text.indexOf(':');
  const remoteHint = mayHaveRemoteIp(text, 0, headEnd) || mayHaveRemoteIp(text, tailStart, length);
  const segments = addSegments(text, 0, headEnd, remoteHint, 0);
  if (tailStart < length) addSegments(text, tailStart, length, remoteHint, segments);

  // 2. The block: the last run of the block's labels, in Mimecast's order, each once.
  let blockFirst = -1;
  let blockLast = -1;
  let blockBits = 0;
  let lastRank = 0;
  for (let i = pieces - 1; i >= 0; i -= 1) {
    if (pieceKey[i] === '') continue;
    const rank = pieceRank[i] ?? 0;
    if (blockLast === -1) {
      if (rank === 0) continue;
      blockLast = i;
    } else if (rank === 0 || rank >= lastRank || (blockBits & (RANK_BITS[rank] ?? 0)) !== 0) {
      break;
    }
    blockFirst = i;
    lastRank = rank;
    blockBits |= RANK_BITS[rank] ?? 0;
  }
  const blockKeys =
    (blockBits & 1) + ((blockBits >> 1) & 1) + ((blockBits >> 2) & 1) + ((blockBits >> 3) & 1);

  let firstAt = text.indexOf('@');
  if (firstAt >= headEnd && firstAt < tailStart) firstAt = text.indexOf('@', tailStart);
  const mayHaveCreated = (blockBits & 3) === 3;

  // Room is kept for the block and the derived keys, so a text full of labels cannot crowd them out.
  const budget = MAX_DETAIL_KEYS - blockKeys - (firstAt !== -1 ? 1 : 0) - (mayHaveCreated ? 1 : 0);

  // 3. Keys and values, in the order of the text.
  outs = 0;
  let used = 0;
  let labelled = false;
  let leadFirst = -1;
  let leadLast = -1;
  /** The output index whose value is being read, or -1. */
  let owner = -1;
  // Where the keys the derived ones read from are (-1: absent).
  let dateAt = -1;
  let timeAt = -1;
  let fileNameAt = -1;
  let fileSizeAt = -1;
  let ownerValue = 0;
  let ownerEnd = 0;

  for (let i = 0; i < pieces; i += 1) {
    const key = pieceKey[i] ?? '';
    const rank = pieceRank[i] ?? 0;
    let accept = false;
    if (key !== '') {
      if (rank !== 0) accept = i >= blockFirst && i <= blockLast;
      else if (used >= budget) {
        // Out of room: this label and what follows it are dropped (until a block label).
        if (owner !== -1) outValues[owner] = labelValue(text, ownerValue, ownerEnd);
        owner = -1;
        labelled = true;
        continue;
      } else accept = true;
    }
    if (!accept) {
      if (owner !== -1) ownerEnd = pieceEnd[i] ?? ownerEnd;
      else if (!labelled) {
        if (leadFirst === -1) leadFirst = i;
        leadLast = i;
      }
      continue;
    }
    if (owner !== -1) outValues[owner] = labelValue(text, ownerValue, ownerEnd);
    owner = -1;
    if (!labelled) {
      labelled = true;
      if (leadFirst !== -1) {
        // Leading text in this label's own segment is its action phrase; before it, the summary.
        const segment = pieceSegment[i];
        let fused = leadLast + 1;
        while (fused > leadFirst && pieceSegment[fused - 1] === segment) fused -= 1;
        if (fused > leadFirst && used < budget) {
          const summary = freeText(text, pieceStart[leadFirst] ?? 0, pieceEnd[fused - 1] ?? 0);
          if (summary !== '') {
            setOut(SUMMARY_KEY, summary);
            used += 1;
          }
        }
        if (fused <= leadLast && used < budget) {
          const action = freeText(text, pieceStart[fused] ?? 0, pieceStart[i] ?? 0, true);
          if (action !== '') {
            setOut(ACTION_KEY, action);
            used += 1;
          }
        }
      }
    }
    let unique = rank !== 0 ? (RANK_KEYS[rank] ?? key) : key;
    if (rank === 0) {
      if (used >= budget) continue;
      if (DERIVED_KEYS.has(key) || hasOut(unique)) {
        let n = 2;
        do unique = `${key}_${n++}`;
        while (hasOut(unique));
      }
      used += 1;
    }
    owner = outs;
    if (rank === RANK_DATE) dateAt = outs;
    else if (rank === RANK_TIME) timeAt = outs;
    else if (unique === 'file_name') fileNameAt = outs;
    else if (unique === 'file_size') fileSizeAt = outs;
    outKeys[outs] = unique;
    outValues[outs] = '';
    outs += 1;
    ownerValue = pieceValue[i] ?? 0;
    ownerEnd = pieceEnd[i] ?? 0;
  }
  if (owner !== -1) outValues[owner] = labelValue(text, ownerValue, ownerEnd);
  if (!labelled && leadFirst !== -1) {
    setOut(SUMMARY_KEY, freeText(text, pieceStart[leadFirst] ?? 0, pieceEnd[leadLast] ?? 0));
  }

  // 4. Derived keys, after the parsed ones.
  const emails = firstAt === -1 ? '' : emailAddresses(text, firstAt);
  const created =
    dateAt !== -1 && timeAt !== -1
      ? eventCreated(outValues[dateAt] ?? '', outValues[timeAt] ?? '')
      : undefined;
  let room = MAX_DETAIL_KEYS - outs - (emails !== '' ? 1 : 0) - (created !== undefined ? 1 : 0);
  if (fileNameAt !== -1) {
    const fileName = outValues[fileNameAt] ?? '';
    const named = fileSizeAt !== -1 ? undefined : nameAndSize(fileName);
    if (named && room > 0) {
      outValues[fileNameAt] = named[0];
      fileSizeAt = outs;
      setOut('file_size', named[1]);
      room -= 1;
    }
    const extension = extensionOf(named ? named[0] : fileName);
    if (extension !== undefined && room > 0) {
      setOut('file_extension', extension);
      room -= 1;
    }
  }
  const fileSize = fileSizeAt === -1 ? undefined : outValues[fileSizeAt];
  if (fileSize !== undefined && room > 0) {
    const bytes = sizeBytes(fileSize);
    if (bytes !== undefined) setOut('file_size_bytes', bytes);
  }
  if (created !== undefined) setOut('event_created', created);
  if (emails !== '') setOut('email_addresses', emails);

  // A plain object keeps the key order of insertion (as the record's JSON needs). No key can
  // reach a prototype: assigning `constructor` or `toString` creates an own property, and the
  // only accessor on Object.prototype, `__proto__`, cannot be a key (normalisation strips
  // leading and trailing underscores; the parser's own keys are fixed words).
  const details: Record<string, string> = {};
  for (let i = 0; i < outs; i += 1) details[outKeys[i] ?? ''] = outValues[i] ?? '';
  return details;
}
