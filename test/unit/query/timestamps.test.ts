import { describe, expect, it } from 'vitest';
import { formatTimestamp, parseTimestamp } from '../../../functions/query/lib/timestamps.js';

const ms = (text: string) => {
  const result = parseTimestamp(text);
  if (!result.ok) throw new Error(`rejected ${text}: ${result.message}`);
  return result.ms;
};

const message = (text: string) => {
  const result = parseTimestamp(text);
  if (result.ok) throw new Error(`accepted ${text}`);
  return result.message;
};

describe('parseTimestamp', () => {
  it('reads Z, colon and colon-less offsets as the same instant', () => {
    const expected = Date.UTC(2026, 0, 31, 8, 0, 0);
    expect(ms('2026-01-31T08:00:00Z')).toBe(expected);
    expect(ms('2026-01-31T09:30:00+01:30')).toBe(expected);
    expect(ms('2026-01-31T03:00:00-0500')).toBe(expected);
  });

  it('keeps milliseconds and truncates finer fractions', () => {
    expect(ms('2026-01-31T08:00:00.5Z')).toBe(Date.UTC(2026, 0, 31, 8, 0, 0, 500));
    expect(ms('2026-01-31T08:00:00.123456789Z')).toBe(Date.UTC(2026, 0, 31, 8, 0, 0, 123));
  });

  it('explains a date without a time', () => {
    expect(message('2026-01-31')).toContain('must include a time and a time zone');
  });

  it('explains a date-time without a zone', () => {
    expect(message('2026-01-31T08:00:00')).toContain('must end with Z or a UTC offset');
  });

  it('explains an offset whose "+" was decoded to a space', () => {
    expect(message('2026-01-31T08:00:00 01:00')).toContain('%2B');
  });

  it('rejects impossible calendar dates and times instead of rolling them over', () => {
    for (const text of [
      '2026-02-29T00:00:00Z',
      '2026-04-31T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-01-01T00:60:00Z',
      '2026-01-01T00:00:60Z',
    ]) {
      expect(message(text)).toBe('is not a real calendar date and time');
    }
    expect(ms('2028-02-29T00:00:00Z')).toBe(Date.UTC(2028, 1, 29));
  });

  it('rejects absurd years and offsets', () => {
    expect(message('0000-01-01T00:00:00Z')).toContain('year between');
    expect(message('9999-12-31T23:59:59Z')).toContain('year between');
    expect(message('2026-01-01T00:00:00+24:00')).toContain('offset');
  });

  it('rejects junk, lower-case designators and look-alike digits', () => {
    for (const text of [
      'yesterday',
      '',
      '2026-01-01t00:00:00z',
      '２０２６-01-01T00:00:00Z',
      '1767225600',
      "2026-01-01T00:00:00Z' OR 1=1 --",
    ]) {
      expect(message(text)).toContain('must be an ISO 8601 date-time');
    }
  });
});

describe('formatTimestamp', () => {
  it('writes whole seconds without a fraction and keeps milliseconds otherwise', () => {
    expect(formatTimestamp(Date.UTC(2026, 0, 31, 8))).toBe('2026-01-31T08:00:00Z');
    expect(formatTimestamp(Date.UTC(2026, 0, 31, 8, 0, 0, 250))).toBe('2026-01-31T08:00:00.250Z');
  });
});
