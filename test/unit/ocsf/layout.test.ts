/**
 * The Security Lake custom-source layout of the OCSF copy: custom source names within Security
 * Lake's limits, eventDay, and keys that depend only on their inputs and keep sources apart.
 */
import { describe, expect, it } from 'vitest';
import {
  assertCustomSourceName,
  CUSTOM_SOURCE_SUFFIXES,
  customSourceName,
  eventDay,
  MAX_CUSTOM_SOURCE_NAME,
  OCSF_CLASSES,
  type OcsfClassUid,
  type OcsfObjectParts,
  ocsfDayPath,
  ocsfDayPrefix,
  ocsfKeyInSource,
  ocsfObjectKey,
  ocsfSourcePrefix,
} from '#core/ocsf/index.js';

const CLASSES = Object.keys(OCSF_CLASSES).map(Number) as OcsfClassUid[];

const parts = (overrides: Partial<OcsfObjectParts> = {}): OcsfObjectParts => ({
  prefix: 'data-ocsf',
  customSourceName: 'mimecast-auth',
  region: 'eu-west-1',
  accountId: '123456789012',
  dt: '2026-03-01',
  sourceId: 'main',
  ...overrides,
});

describe('customSourceName', () => {
  it('names one custom source per class, distinct, within 20 letters, digits, "-" and "_"', () => {
    // Act
    const names = CLASSES.map((classUid) => customSourceName(classUid));

    // Assess
    expect(Object.fromEntries(CLASSES.map((classUid, i) => [classUid, names[i]]))).toEqual({
      0: 'mimecast-base',
      3001: 'mimecast-account',
      3002: 'mimecast-auth',
      3004: 'mimecast-entity',
      3006: 'mimecast-group',
      6003: 'mimecast-api',
    });
    expect(new Set(names).size).toBe(CLASSES.length);
    expect(Object.keys(CUSTOM_SOURCE_SUFFIXES).map(Number).sort()).toEqual([...CLASSES].sort());
    for (const name of names) {
      expect(name.length).toBeLessThanOrEqual(MAX_CUSTOM_SOURCE_NAME);
      expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
    }
    // The provider role Security Lake derives from the name fits IAM's 64 characters in every region.
    const longestRegion = 'ap-southeast-5';
    for (const name of names) {
      expect(`AmazonSecurityLake-Provider-${name}-${longestRegion}`.length).toBeLessThanOrEqual(64);
    }
  });

  it('takes another name prefix, refusing one that makes a name too long or has other characters', () => {
    // Act + Assess
    expect(customSourceName(3002, 'acme_mc')).toBe('acme_mc-auth');
    expect(customSourceName(3001, 'abcdefghijkl')).toBe('abcdefghijkl-account');
    expect(() => customSourceName(3001, 'abcdefghijklm')).toThrow(RangeError);
    expect(() => customSourceName(3002, 'mime.cast')).toThrow(RangeError);
    expect(() => customSourceName(3002, 'mime/cast')).toThrow(RangeError);
    expect(() => customSourceName(1234 as OcsfClassUid)).toThrow(/no custom source/);
    expect(() => assertCustomSourceName('')).toThrow(RangeError);
    expect(() => assertCustomSourceName('mimecast-authentication')).toThrow(/1 to 20/);
    expect(() => assertCustomSourceName('x'.repeat(20))).not.toThrow();
  });
});

describe('eventDay', () => {
  it('is the UTC date without dashes, for real calendar dates only', () => {
    // Act + Assess
    expect(eventDay('2026-03-01')).toBe('20260301');
    expect(eventDay('2028-02-29')).toBe('20280229');
    for (const bad of ['2026-02-30', '2026-13-01', '20260301', '2026-3-1', '', '2026-03-01T00:00:00Z']) {
      expect(() => eventDay(bad), bad).toThrow(RangeError);
    }
  });
});

describe('ocsfObjectKey', () => {
  it('lays one (source, day, class) object out as Security Lake partitions, the source id naming the file', () => {
    // Act
    const key = ocsfObjectKey(parts());

    // Assess
    expect(key).toBe(
      'data-ocsf/ext/mimecast-auth/region=eu-west-1/accountId=123456789012/eventDay=20260301/main-2026-03-01.parquet',
    );
    expect(key.startsWith(ocsfDayPrefix(parts()))).toBe(true);
    expect(key).toBe(`${ocsfSourcePrefix('data-ocsf', 'mimecast-auth')}${ocsfKeyInSource(parts())}`);
    expect(ocsfKeyInSource(parts())).toBe(`${ocsfDayPath(parts())}main-2026-03-01.parquet`);
  });

  it('with an empty prefix is the key inside a Security Lake bucket (the source location ext/<name>/)', () => {
    // Act + Assess
    expect(ocsfObjectKey(parts({ prefix: '' }))).toBe(
      'ext/mimecast-auth/region=eu-west-1/accountId=123456789012/eventDay=20260301/main-2026-03-01.parquet',
    );
    expect(ocsfSourcePrefix('', 'mimecast-api')).toBe('ext/mimecast-api/');
    expect(ocsfDayPrefix({ ...parts({ prefix: '' }), customSourceName: 'mimecast-api' })).toBe(
      'ext/mimecast-api/region=eu-west-1/accountId=123456789012/eventDay=20260301/',
    );
  });

  it('depends only on its inputs, and keeps sources, days, classes, regions and accounts apart', () => {
    // Arrange
    const variants: Partial<OcsfObjectParts>[] = [
      {},
      { sourceId: 'eu-tenant' },
      { dt: '2026-03-02' },
      { customSourceName: 'mimecast-api' },
      { region: 'us-east-1' },
      { accountId: '210987654321' },
      { prefix: 'other' },
    ];

    // Act
    const keys = variants.map((variant) => ocsfObjectKey(parts(variant)));

    // Assess
    expect(ocsfObjectKey(parts())).toBe(keys[0]);
    expect(new Set(keys).size).toBe(variants.length);
    // Two sources of one day share the day's folder and differ only by file name.
    expect(ocsfDayPrefix(parts({ sourceId: 'eu-tenant' }))).toBe(ocsfDayPrefix(parts()));
  });

  it('takes Security Lake account ids for records outside AWS (external, external_<id>)', () => {
    // Act + Assess
    expect(ocsfObjectKey(parts({ accountId: 'external' }))).toContain('/accountId=external/');
    expect(ocsfObjectKey(parts({ accountId: 'external_mc-42' }))).toContain('/accountId=external_mc-42/');
  });

  it('refuses parts that would change the layout: slashes, "=", bad ids, regions, names and days', () => {
    // Arrange
    const bad: Partial<OcsfObjectParts>[] = [
      { prefix: 'data-ocsf/' },
      { customSourceName: '' },
      { customSourceName: 'a/b' },
      { customSourceName: 'mimecast-authentication' },
      { region: 'eu-west' },
      { region: 'region=eu-west-1' },
      { accountId: '12345' },
      { accountId: 'external/x' },
      { accountId: 'external_' },
      { sourceId: '' },
      { sourceId: 'Main' },
      { sourceId: 'a/b' },
      { dt: '2026-02-30' },
    ];

    // Act + Assess
    for (const variant of bad) {
      expect(() => ocsfObjectKey(parts(variant)), JSON.stringify(variant)).toThrow(RangeError);
    }
  });
});
