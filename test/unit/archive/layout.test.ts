import { describe, expect, it } from 'vitest';
import { dayPrefix, objectKey, parseObjectKey, partitionPrefix } from '#core/archive/layout.js';

const window = { start: new Date('2026-11-25T22:00:00Z'), end: new Date('2026-11-26T04:00:00Z') };

describe('archive key layout', () => {
  it('builds the contract key with compact UTC window bounds', () => {
    expect(objectKey('mimecast/audit-events', 'default', window, '2026-11-25')).toBe(
      'mimecast/audit-events/source=default/dt=2026-11-25/20261125T220000Z_20261126T040000Z.ndjson.gz',
    );
  });

  it('gives the same key for the same window every time, and a different key per date', () => {
    // Act
    const first = objectKey('p', 'eu', window, '2026-11-26');
    const again = objectKey(
      'p',
      'eu',
      { start: new Date(window.start), end: new Date(window.end) },
      '2026-11-26',
    );
    const otherDay = objectKey('p', 'eu', window, '2026-11-25');

    // Assess
    expect(again).toBe(first);
    expect(otherDay).not.toBe(first);
  });

  it('exposes the source and day prefixes that the keys start with', () => {
    const key = objectKey('p', 'eu', window, '2026-11-25');
    expect(partitionPrefix('p', 'eu')).toBe('p/source=eu/');
    expect(dayPrefix('p', 'eu', '2026-11-25')).toBe('p/source=eu/dt=2026-11-25/');
    expect(key.startsWith(dayPrefix('p', 'eu', '2026-11-25'))).toBe(true);
  });

  it('rejects a malformed date or an empty or reversed window rather than writing a wrong key', () => {
    expect(() => objectKey('p', 'eu', window, '2026-11-25T00')).toThrow(RangeError);
    expect(() => objectKey('p', 'eu', { start: window.end, end: window.start }, '2026-11-25')).toThrow(
      RangeError,
    );
    expect(() => objectKey('p', 'eu', { start: window.start, end: window.start }, '2026-11-25')).toThrow(
      RangeError,
    );
  });

  it('parses its own keys back into their parts', () => {
    const key = objectKey('mimecast/audit-events', 'default', window, '2026-11-26');
    expect(parseObjectKey(key)).toEqual({
      prefix: 'mimecast/audit-events',
      sourceId: 'default',
      dt: '2026-11-26',
      start: '20261125T220000Z',
      end: '20261126T040000Z',
    });
  });

  it('does not parse keys that are not archive objects', () => {
    for (const key of [
      'p/source=eu/dt=2026-11-25/20261125T220000Z_20261126T040000Z.ndjson',
      'p/source=eu/2026-11-25/20261125T220000Z_20261126T040000Z.ndjson.gz',
      'p/source=/dt=2026-11-25/20261125T220000Z_20261126T040000Z.ndjson.gz',
      'p/source=eu/dt=2026-11-25/latest.ndjson.gz',
      'dt=2026-11-25/20261125T220000Z_20261126T040000Z.ndjson.gz',
    ]) {
      expect(parseObjectKey(key)).toBeUndefined();
    }
  });
});
