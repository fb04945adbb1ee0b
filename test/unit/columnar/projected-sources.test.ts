/**
 * The partition projection's `source` enum is comma-separated text where white space counts: an id
 * that could split it or hide in it is refused before anything is written, and the same set of
 * sources is always the same text (no rewrite when nothing changed).
 */
import { describe, expect, it } from 'vitest';
import { parseSourceValues, withSources } from '#core/columnar/projected-sources.js';
import { compactorEnvSchema, parseEnvironment } from '#core/config/env.js';

describe('the source enum of the partition projection', () => {
  it('adds ids once, in order, whatever order they come in', () => {
    expect(withSources(['globex', 'acme'], ['initech', 'acme'])).toBe('acme,globex,initech');
    expect(withSources(parseSourceValues(withSources([], ['b', 'a'])), ['a'])).toBe('a,b');
  });

  it('reads an empty or missing enum as no source', () => {
    expect(parseSourceValues(undefined)).toEqual([]);
    expect(parseSourceValues('')).toEqual([]);
    expect(parseSourceValues('acme,globex')).toEqual(['acme', 'globex']);
  });

  it.each(['a,b', ' acme', 'acme ', 'Acme', '', '-acme', 'a'.repeat(64)])(
    'refuses %j, which would split or change the enum',
    (id) => {
      expect(() => withSources(['acme'], [id])).toThrow(RangeError);
    },
  );
});

describe("the compactor's environment", () => {
  const base = { BUCKET_NAME: 'archive', CURSOR_TABLE_NAME: 'cursors' };

  it('needs declared sources unless it reads them from the registry (fleet mode)', () => {
    expect(() => parseEnvironment(compactorEnvSchema, base)).toThrow(
      /COMPACTION_SOURCE_IDS: name at least one source id/,
    );
    const fleet = parseEnvironment(compactorEnvSchema, { ...base, COMPACTION_REGISTRY_SOURCES: 'true' });
    expect(fleet.COMPACTION_SOURCE_IDS).toEqual([]);
    expect(fleet.COMPACTION_REGISTRY_SOURCES).toBe(true);
    expect(
      parseEnvironment(compactorEnvSchema, { ...base, COMPACTION_SOURCE_IDS: 'acme, globex' })
        .COMPACTION_SOURCE_IDS,
    ).toEqual(['acme', 'globex']);
  });
});
