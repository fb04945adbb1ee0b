import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_DETAIL_KEYS,
  MAX_DETAIL_VALUE_CHARS,
  MAX_EVENT_INFO_PARSE_CHARS,
  normaliseDetailKey,
  parseEventInfo,
  SUMMARY_KEY,
} from '#core/archive/event-info.js';

/**
 * The parsing rules written as plainly as possible (split on `, `, a regex for labels, no
 * caching), as the model the real parser is checked against.
 */
function referenceParse(text: string): Record<string, string> {
  if (text.trim() === '') return {};
  const clip = (v: string) => v.slice(0, MAX_DETAIL_VALUE_CHARS);
  const details = new Map<string, string>();
  let current: string | undefined;
  for (const segment of text.slice(0, MAX_EVENT_INFO_PARSE_CHARS).split(', ')) {
    const m = /^([^:]+):( .*|)$/su.exec(segment);
    const label = m?.[1]?.trim() ?? '';
    const key = /^[\p{L}\p{N}][\p{L}\p{N} _\-./()#&']{0,47}$/u.test(label) ? normaliseDetailKey(label) : '';
    if (m && key !== '') {
      if (details.size >= MAX_DETAIL_KEYS) break;
      let unique = key;
      for (let n = 2; details.has(unique); n += 1) unique = `${key}_${n}`;
      details.set(unique, clip((m[2] ?? '').trim()));
      current = unique;
    } else if (current === undefined) {
      if (segment.trim() === '') continue;
      current = SUMMARY_KEY;
      details.set(current, clip(segment.trim()));
    } else {
      const previous = details.get(current) ?? '';
      if (previous.length >= MAX_DETAIL_VALUE_CHARS) continue;
      details.set(current, clip(previous === '' ? segment.trim() : `${previous}, ${segment.trim()}`));
    }
  }
  return Object.fromEntries(details);
}

describe('parseEventInfo', () => {
  it('splits the documented authentication sample into a summary and labelled fields', () => {
    // Prepare
    const text =
      'Successful authentication for Jane <jane@example.com>, Date: 2021-10-11, Time: 18:17:30 BST, IP: 203.0.113.7, Application: Administration Console, Method: Two Step Auth, 2FA: TOTP';

    // Act
    const details = parseEventInfo(text);

    // Assess
    expect(details).toEqual({
      summary: 'Successful authentication for Jane <jane@example.com>',
      date: '2021-10-11',
      time: '18:17:30 BST',
      ip: '203.0.113.7',
      application: 'Administration Console',
      method: 'Two Step Auth',
      '2fa': 'TOTP',
    });
  });

  it('keeps commas inside a value by appending unlabelled segments to the previous value', () => {
    // Prepare
    const text = 'Subject: Invoice, final, please pay, Source IP: 198.51.100.4, Reason: Bad password, locked';

    // Act
    const details = parseEventInfo(text);

    // Assess
    expect(details).toEqual({
      subject: 'Invoice, final, please pay',
      source_ip: '198.51.100.4',
      reason: 'Bad password, locked',
    });
  });

  it('does not mistake clock times or URLs inside a value for new labels', () => {
    // Prepare
    const text = 'Search Reason: audit, Time: 09:15:00, Link: https://example.com/a?b=c, extra';

    // Act
    const details = parseEventInfo(text);

    // Assess
    expect(details).toEqual({
      search_reason: 'audit',
      time: '09:15:00',
      link: 'https://example.com/a?b=c, extra',
    });
  });

  it('keeps a text without any label as the summary', () => {
    expect(parseEventInfo('Directory sync completed')).toEqual({ summary: 'Directory sync completed' });
  });

  it('suffixes repeated labels instead of overwriting them', () => {
    expect(parseEventInfo('IP: 192.0.2.1, IP: 192.0.2.2, IP: 192.0.2.3')).toEqual({
      ip: '192.0.2.1',
      ip_2: '192.0.2.2',
      ip_3: '192.0.2.3',
    });
  });

  it('accepts a trailing label with an empty value', () => {
    expect(parseEventInfo('Action: deleted, Comment:')).toEqual({ action: 'deleted', comment: '' });
  });

  it('returns an empty map for anything that is not non-blank text', () => {
    for (const value of [undefined, null, 42, {}, [], '', '   ']) {
      expect(parseEventInfo(value)).toEqual({});
    }
  });

  it('cannot pollute prototypes whatever the labels say', () => {
    // Prepare
    const text = '__proto__: polluted, constructor: x, prototype: y, hasOwnProperty: z';

    // Act
    const details = parseEventInfo(text);

    // Assess
    expect(Object.getPrototypeOf(details)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // `__proto__` does not look like a label (labels start with a letter or digit): it stays text.
    expect(Object.keys(details)).toEqual(['summary', 'constructor', 'prototype', 'hasownproperty']);
    expect(details.summary).toBe('__proto__: polluted');
    expect(details.constructor).toBe('x');
  });

  it('bounds the number of keys and the length of values for hostile input', () => {
    // Prepare
    const manyKeys = Array.from({ length: 500 }, (_, i) => `Key${i}: v${i}`).join(', ');
    const hugeValue = `Subject: ${'A'.repeat(5_000_000)}`;
    const endlessContinuation = `Subject: x${', y'.repeat(200_000)}`;

    // Act
    const fromManyKeys = parseEventInfo(manyKeys);
    const fromHugeValue = parseEventInfo(hugeValue);
    const fromContinuation = parseEventInfo(endlessContinuation);

    // Assess
    expect(Object.keys(fromManyKeys)).toHaveLength(MAX_DETAIL_KEYS);
    expect(fromManyKeys.key0).toBe('v0');
    expect(fromHugeValue.subject).toHaveLength(MAX_DETAIL_VALUE_CHARS);
    expect(fromContinuation.subject?.length).toBeLessThanOrEqual(MAX_DETAIL_VALUE_CHARS);
  });

  it('never throws and always returns bounded string values (property)', () => {
    const separatorHeavy = fc.array(
      fc.constantFrom(', ', ': ', ':', ',', ' ', 'a', 'Ü', '\u0000', '\n', '__proto__'),
      {
        maxLength: 200,
      },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 500 }),
          separatorHeavy.map((parts) => parts.join('')),
        ),
        (text) => {
          const details = parseEventInfo(text);
          const entries = Object.entries(details);
          expect(entries.length).toBeLessThanOrEqual(MAX_DETAIL_KEYS);
          for (const [key, value] of entries) {
            expect(key).toMatch(/^[\p{L}\p{N}]+(_[\p{L}\p{N}]+)*$/u);
            expect(typeof value).toBe('string');
            expect(value.length).toBeLessThanOrEqual(MAX_DETAIL_VALUE_CHARS);
          }
        },
      ),
      { seed: 20261125, numRuns: 500 },
    );
  });

  it('gives exactly what the plain split-and-match rules give, keys in the same order (property)', () => {
    const pieces = fc.constantFrom(
      ', ',
      ': ',
      ':',
      ',',
      ' ',
      '\t',
      '\u00a0',
      '\n',
      'a',
      'IP',
      'Source IP',
      '2FA',
      'İ',
      'ß',
      'Größe',
      '(x)',
      "'",
      '__proto__',
      'constructor',
      '7',
      'summary',
      'Summary',
      '12:30',
      'x'.repeat(47),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 200 }),
          fc.array(pieces, { maxLength: 150 }).map((parts) => parts.join('')),
        ),
        (text) => {
          const details = parseEventInfo(text);
          const expected = referenceParse(text);
          expect(details).toEqual(expected);
          expect(Object.keys(details)).toEqual(Object.keys(expected));
        },
      ),
      { seed: 20261126, numRuns: 2_000 },
    );
  });

  it('parses the same way however many distinct labels it has seen before', () => {
    // Prepare: more distinct labels than any cache would keep, then the first ones again.
    const texts = Array.from({ length: 3_000 }, (_, i) => `Event ${i}, Label ${i}: v, Note ${i % 7}: w`);

    // Act
    const first = texts.map((text) => parseEventInfo(text));
    const again = texts.map((text) => parseEventInfo(text));

    // Assess
    expect(first).toEqual(texts.map(referenceParse));
    expect(again).toEqual(first);
    expect(first[2_999]).toEqual({ summary: 'Event 2999', label_2999: 'v', note_3: 'w' });
  });
});

describe('normaliseDetailKey', () => {
  it('lower-cases labels and turns punctuation runs into single underscores', () => {
    expect(normaliseDetailKey(' Source IP ')).toBe('source_ip');
    expect(normaliseDetailKey('2FA')).toBe('2fa');
    expect(normaliseDetailKey('Sender (From)')).toBe('sender_from');
    expect(normaliseDetailKey('Größe')).toBe('größe');
  });
});
