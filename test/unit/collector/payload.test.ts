import { describe, expect, it } from 'vitest';
import {
  assertPayloadIsFor,
  CollectorPayloadError,
  collectorModeOf,
  fleetSourceOf,
  meteredSourceOf,
  NO_SOURCE_DIMENSION,
} from '../../../functions/collector/payload.js';

const SCHEDULED = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };

describe('collector mode', () => {
  it.each<[string | undefined, 'single' | 'fleet']>([
    [undefined, 'single'],
    ['', 'single'],
    ['false', 'single'],
    ['true', 'fleet'],
    // Fleet, so the fleet schema reports the bad value instead of silently running one source.
    ['yes', 'fleet'],
  ])('SOURCE_REGISTRY=%s is %s', (flag, mode) => {
    expect(collectorModeOf({ SOURCE_REGISTRY: flag, SOURCE_ID: 'eu' })).toBe(mode);
  });
});

describe('a one-source collector and its payload', () => {
  it.each<[string, unknown]>([
    ['a scheduled event', SCHEDULED],
    ['no payload', undefined],
    ['null', null],
    ['a string', 'run'],
    ['an array', [{ sourceId: 'us' }]],
    ['its own source', { sourceId: 'eu' }],
    ['its own source beside other fields', { ...SCHEDULED, sourceId: 'eu' }],
  ])('accepts %s', (_label, event) => {
    expect(() => assertPayloadIsFor(event, 'eu')).not.toThrow();
  });

  it('refuses a payload naming another source, naming both', () => {
    // Act
    const refuse = () => assertPayloadIsFor({ sourceId: 'us' }, 'eu');

    // Assess
    expect(refuse).toThrow(CollectorPayloadError);
    expect(refuse).toThrow(/runs source "eu" only .*names sourceId "us"/);
  });

  it.each<[string, unknown]>([
    ['a number', 42],
    ['null', null],
    ['an empty string', ''],
    ['an object', { id: 'eu' }],
  ])('refuses a sourceId that is %s', (_label, sourceId) => {
    expect(() => assertPayloadIsFor({ sourceId }, 'eu')).toThrow(CollectorPayloadError);
  });

  it('cuts a long claimed source short in the message', () => {
    // Act
    const error = (() => {
      try {
        assertPayloadIsFor({ sourceId: 'x'.repeat(500) }, 'eu');
      } catch (err: unknown) {
        return err as Error;
      }
      throw new Error('no error');
    })();

    // Assess
    expect(error.message.length).toBeLessThan(250);
    expect(error.message).toContain('...');
  });
});

describe('a fleet collector and its payload', () => {
  it('takes the source id from the payload', () => {
    expect(fleetSourceOf({ sourceId: 'acme' })).toBe('acme');
    expect(fleetSourceOf({ sourceId: 'acme_2', slot: '2026-01-01T00:00:00.000Z' })).toBe('acme_2');
  });

  it.each<[string, unknown]>([
    ['a scheduled event', SCHEDULED],
    ['no payload', undefined],
    ['null', null],
    ['an array', [{ sourceId: 'acme' }]],
  ])('refuses %s, saying what payload it takes', (_label, event) => {
    expect(() => fleetSourceOf(event)).toThrow(/invoke it with \{"sourceId":"<id>"\}/);
  });

  it.each<[string, unknown]>([
    ['upper-case letters', 'Acme'],
    ['a path', '../acme'],
    ['a number', 7],
    ['64 characters', 'a'.repeat(64)],
    ['an empty string', ''],
  ])('refuses a source id with %s', (_label, sourceId) => {
    expect(() => fleetSourceOf({ sourceId })).toThrow(/is not a source id/);
  });

  it('meters an invocation under the named source, or a marker when there is none', () => {
    expect(meteredSourceOf({ sourceId: 'acme' })).toBe('acme');
    expect(meteredSourceOf({ sourceId: 'Not Valid' })).toBe(NO_SOURCE_DIMENSION);
    expect(meteredSourceOf(SCHEDULED)).toBe(NO_SOURCE_DIMENSION);
    // The marker can never be a real source's id.
    expect(() => fleetSourceOf({ sourceId: NO_SOURCE_DIMENSION })).toThrow(/is not a source id/);
  });
});
