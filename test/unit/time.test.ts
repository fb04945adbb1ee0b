import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMimecastTime, toCompactUtc, toMimecastDate, toUtcDate } from '#core/time.js';

describe('time formatting', () => {
  it('formats request dates the way Mimecast documents them (+0000, no colon)', () => {
    // Prepare
    const date = new Date(Date.UTC(2026, 10, 25, 10, 15, 30, 999));
    // Act / Assess
    expect(toMimecastDate(date)).toBe('2026-11-25T10:15:30+0000');
    expect(toCompactUtc(date)).toBe('20261125T101530Z');
    expect(toUtcDate(date)).toBe('2026-11-25');
  });

  it('parses eventTime with numeric offsets, colons and Z into the same instant', () => {
    const expected = Date.UTC(2021, 9, 18, 8, 45, 2);
    expect(parseMimecastTime('2021-10-18T08:45:02+0000')).toBe(expected);
    expect(parseMimecastTime('2021-10-18T08:45:02Z')).toBe(expected);
    expect(parseMimecastTime('2021-10-18T10:45:02+02:00')).toBe(expected);
    expect(parseMimecastTime('2021-10-18T03:15:02-0530')).toBe(expected);
  });

  it('parses eventTime with a two-digit offset (ISO 8601 `±hh`), as Mimecast sometimes writes it', () => {
    const expected = Date.UTC(2026, 10, 25, 10, 15, 30);
    expect(parseMimecastTime('2026-11-25T10:15:30+00')).toBe(expected);
    expect(parseMimecastTime('2026-11-25T05:15:30-05')).toBe(expected);
    expect(parseMimecastTime('2026-11-25T15:45:30+0530')).toBe(expected);
    expect(parseMimecastTime('2026-11-25T15:45:30+05:30')).toBe(expected);
    expect(parseMimecastTime('2026-11-25T10:15:30.5+00')).toBe(expected + 500);
    expect(parseMimecastTime(' 2026-11-25T10:15:30+00 ')).toBe(expected);
  });

  it('rejects offsets that are not ISO 8601 or not a zone', () => {
    for (const bad of [
      '2026-11-25T10:15:30+0',
      '2026-11-25T10:15:30+000',
      '2026-11-25T10:15:30+00:',
      '2026-11-25T10:15:30+00:0',
      '2026-11-25T10:15:30+00000',
      '2026-11-25T10:15:30+2400',
      '2026-11-25T10:15:30+24',
      '2026-11-25T10:15:30-0060',
      '2026-11-25T10:15:30+00 00',
      '2026-11-25T10:15:30 +00',
      '2026-11-25T10:15:30+0x',
      '2026-11-25T10:15:30++00',
      '2026-11-25T10:15:30UTC',
      '2026-11-25T10:15:30',
      '2026-11-25T10:15+00',
    ]) {
      expect(parseMimecastTime(bad), bad).toBeUndefined();
    }
  });

  it('rejects values that are not timestamps instead of guessing', () => {
    for (const bad of [undefined, 42, '', 'yesterday', '2021-02-31T00:00:00Z', '2021-10-18T25:00:00Z']) {
      expect(parseMimecastTime(bad)).toBeUndefined();
    }
  });

  // Mimecast's exact shape (`YYYY-MM-DDTHH:mm:ss+0000`, or with `Z`) has a fast path; a leading
  // blank, `+00:00` or `.000` is only understood by the general parser. All must agree.
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const fields = fc.record({
    y: fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 1969, max: 2101 })),
    mo: fc.oneof(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 1, max: 12 })),
    d: fc.oneof(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 28, max: 31 })),
    h: fc.oneof(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 23 })),
    mi: fc.oneof(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 59 })),
    s: fc.oneof(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 58, max: 60 })),
  });
  const text = ({
    y,
    mo,
    d,
    h,
    mi,
    s,
  }: {
    y: number;
    mo: number;
    d: number;
    h: number;
    mi: number;
    s: number;
  }) => `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}`;

  it('reads Mimecast’s own shape exactly as every other accepted spelling of the same time (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom('+0000', 'Z'), fields, (zone, parts) => {
        const value = `${text(parts)}${zone}`;
        const parsed = parseMimecastTime(value);
        expect(parseMimecastTime(` ${value}`)).toBe(parsed);
        expect(parseMimecastTime(`${text(parts)}+00:00`)).toBe(parsed);
        expect(parseMimecastTime(`${text(parts)}.000-0000`)).toBe(parsed);
        expect(parseMimecastTime(`${text(parts)}+00`)).toBe(parsed);
        expect(parseMimecastTime(`${text(parts)}-00`)).toBe(parsed);
      }),
      { seed: 20261126, numRuns: 2_000 },
    );
  });

  it('accepts exactly the real calendar instants of Mimecast’s shape (property)', () => {
    fc.assert(
      fc.property(fields, ({ y, mo, d, h, mi, s }) => {
        // Two-digit years are Date.UTC's 19xx quirk, a separate matter.
        fc.pre(y >= 100);
        const parsed = parseMimecastTime(`${text({ y, mo, d, h, mi, s })}+0000`);
        // Independent check of the calendar: the day exists when the month's last day is not before it.
        const lastDay = new Date(Date.UTC(2000, mo, 0)).getUTCDate();
        const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
        const daysInMonth = mo === 2 ? (leap ? 29 : 28) : lastDay;
        const real =
          y >= 100 && mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth && h <= 23 && mi <= 59 && s <= 60;
        expect(parsed).toBe(real ? Date.UTC(y, mo - 1, d, h, mi, s) : undefined);
      }),
      { seed: 20261127, numRuns: 2_000 },
    );
  });

  it('reads any offset up to ±23:59, however it is spelled, as that many minutes (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, -1),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 59 }),
        (sign, h, m) => {
          const base = '2026-11-25T10:15:30';
          const expected = Date.UTC(2026, 10, 25, 10, 15, 30) - sign * (h * 60 + m) * 60_000;
          const s = sign > 0 ? '+' : '-';
          expect(parseMimecastTime(`${base}${s}${pad(h)}${pad(m)}`)).toBe(expected);
          expect(parseMimecastTime(`${base}${s}${pad(h)}:${pad(m)}`)).toBe(expected);
          if (m === 0) expect(parseMimecastTime(`${base}${s}${pad(h)}`)).toBe(expected);
        },
      ),
      { seed: 20261129, numRuns: 500 },
    );
  });

  it('reads near misses of Mimecast’s shape the same with and without surrounding blanks (property)', () => {
    const nearMiss = fc
      .tuple(fields, fc.nat({ max: 24 }), fc.constantFrom('x', ' ', '-', ':', 'T', '٣', '0', '+', 'Z', ''))
      .map(([parts, at, replacement]) => {
        const value = `${text(parts)}+0000`;
        return `${value.slice(0, at)}${replacement}${value.slice(at + 1)}`;
      });
    fc.assert(
      fc.property(nearMiss, (value) => {
        expect(parseMimecastTime(`\t${value} `)).toBe(parseMimecastTime(value.trim()));
      }),
      { seed: 20261128, numRuns: 2_000 },
    );
  });
});
