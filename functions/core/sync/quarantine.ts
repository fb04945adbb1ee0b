/**
 * Where malformed events go: verbatim, gzip NDJSON, one object per window under
 * `<DATA_PREFIX>-malformed/source=<id>/<start>_<end>.ndjson.gz`. The key is deterministic (a
 * redone window overwrites it) and lies outside the Glue table's location, so Athena never
 * reads these lines as records, yet an operator can still find and inspect them.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { RawAuditEvent } from '#core/mimecast/types.js';
import { toCompactUtc } from '#core/time.js';

/** `<DATA_PREFIX>-malformed/source=<id>/`: every quarantine object of one source. */
export function quarantinePrefix(dataPrefix: string, sourceId: string): string {
  return `${dataPrefix}-malformed/source=${sourceId}/`;
}

/** The quarantine object of one window. */
export function quarantineKey(
  dataPrefix: string,
  sourceId: string,
  window: { start: Date; end: Date },
): string {
  return `${quarantinePrefix(dataPrefix, sourceId)}${toCompactUtc(window.start)}_${toCompactUtc(window.end)}.ndjson.gz`;
}

/** gzip NDJSON of the events exactly as Mimecast sent them. */
export function encodeQuarantine(events: readonly RawAuditEvent[]): Uint8Array {
  const text = events.map((event) => `${JSON.stringify(event)}\n`).join('');
  const body = gzipSync(Buffer.from(text, 'utf8'));
  return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
}

/**
 * The quarantine object of the conflicting copies rescans found for one committed window (kept
 * apart from the window's own quarantine object, which a redo of the window may overwrite).
 */
export function rescanQuarantineKey(
  dataPrefix: string,
  sourceId: string,
  window: { start: Date; end: Date },
): string {
  return `${quarantinePrefix(dataPrefix, sourceId)}${toCompactUtc(window.start)}_${toCompactUtc(window.end)}.rescan.ndjson.gz`;
}

/** gzip NDJSON of lines already serialised. */
export function encodeQuarantineLines(lines: readonly string[]): Uint8Array {
  const body = gzipSync(Buffer.from(lines.map((line) => `${line}\n`).join(''), 'utf8'));
  return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
}

/** The lines of a quarantine object. Throws when it is not gzip: rewriting it would lose what it held. */
export function decodeQuarantineLines(body: Uint8Array): string[] {
  return gunzipSync(body)
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '');
}
