/**
 * The eventInfo corpus (test/fixtures/event-info/corpus.json): realistic Mimecast-style lines,
 * adversarial ones among them, each with the exact `details` it must give, keys in order. A
 * change in what the parser gives for any of them is a change of the record contract
 * (docs/fields.md), so update the corpus on purpose, never to make this pass.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseEventInfo } from '#core/archive/event-info.js';

interface CorpusCase {
  name: string;
  auditType: string;
  eventInfo: string;
  expected: Record<string, string>;
}

const corpus = JSON.parse(
  readFileSync(new URL('../../fixtures/event-info/corpus.json', import.meta.url), 'utf8'),
) as CorpusCase[];

describe('eventInfo corpus', () => {
  it('has enough distinct, well-formed cases', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(40);
    expect(new Set(corpus.map((c) => c.name)).size).toBe(corpus.length);
    for (const c of corpus) {
      expect(typeof c.auditType, c.name).toBe('string');
      expect(typeof c.eventInfo, c.name).toBe('string');
      expect(
        Object.values(c.expected).every((v) => typeof v === 'string'),
        c.name,
      ).toBe(true);
    }
  });

  it.each(corpus.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    // Act
    const details = parseEventInfo(c.eventInfo);

    // Assess: the same keys with the same values, in the same order, and nothing inherited.
    expect(details).toStrictEqual(c.expected);
    expect(Object.keys(details)).toEqual(Object.keys(c.expected));
    expect(Object.getPrototypeOf(details)).toBe(Object.prototype);
  });

  it('gives the same details when a case is parsed again (no state leaks between events)', () => {
    const first = corpus.map((c) => parseEventInfo(c.eventInfo));
    const again = [...corpus].reverse().map((c) => parseEventInfo(c.eventInfo));
    expect(again.reverse()).toStrictEqual(first);
  });
});
