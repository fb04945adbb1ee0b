import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { WindowBatch } from '#core/sync/batch.js';
import { encodeQuarantine, quarantineKey } from '#core/sync/quarantine.js';
import { rawEvent } from '#test/support/fakes.js';

const START = Date.UTC(2026, 10, 25, 10, 0, 0);
const END = Date.UTC(2026, 10, 25, 11, 0, 0);
const batchOptions = { startMs: START, endMs: END, source: 'default', collectedAt: '2026-11-25T12:00:00Z' };

describe('WindowBatch', () => {
  it('keeps events with start ≤ eventTime < end: the end second belongs to the next window', () => {
    // Prepare
    const batch = new WindowBatch(batchOptions);

    // Act
    batch.addPage([
      rawEvent('before', START - 1000),
      rawEvent('at-start', START),
      rawEvent('inside', START + 1_800_000),
      rawEvent('last-second', END - 1000),
      rawEvent('at-end', END),
    ]);

    // Assess
    expect(batch.records.map((r) => r.id)).toEqual(['at-start', 'inside', 'last-second']);
    expect(batch.outside).toBe(2);
  });

  it('keeps each id once across pages', () => {
    // Prepare
    const batch = new WindowBatch(batchOptions);

    // Act
    batch.addPage([rawEvent('a', START), rawEvent('b', START)]);
    batch.addPage([rawEvent('b', START), rawEvent('c', START + 1000)]);

    // Assess
    expect(batch.records.map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(batch.duplicates).toBe(1);
    expect(batch.pages).toBe(2);
  });

  it('normalises kept events into records of the contract', () => {
    // Prepare
    const batch = new WindowBatch(batchOptions);

    // Act
    batch.addPage([rawEvent('a', START + 15_000, { riskLevel: 'high' })]);

    // Assess
    expect(batch.records[0]).toMatchObject({
      id: 'a',
      event_time: '2026-11-25T10:00:15Z',
      actor: 'jane@example.com',
      extra: { riskLevel: 'high' },
      source: 'default',
      collected_at: '2026-11-25T12:00:00Z',
    });
  });

  it('sets malformed events aside once each, with their reason and id', () => {
    // Prepare
    const batch = new WindowBatch(batchOptions);
    const noId = { eventTime: '2026-11-25T10:00:00+0000', auditType: 'x' };

    // Act
    batch.addPage([noId, { id: 'bad-time', eventTime: 'yesterday' }, noId]);

    // Assess
    expect(batch.records).toEqual([]);
    expect(batch.malformed).toEqual([
      { reason: 'missing_id', id: undefined, raw: noId },
      { reason: 'bad_event_time', id: 'bad-time', raw: { id: 'bad-time', eventTime: 'yesterday' } },
    ]);
  });

  it('reports when more records are kept than the cap', () => {
    // Prepare
    const batch = new WindowBatch({ ...batchOptions, cap: 2 });

    // Act
    batch.addPage([rawEvent('a', START), rawEvent('b', START)]);
    const atCap = batch.overCap;
    batch.addPage([rawEvent('c', START)]);

    // Assess
    expect(atCap).toBe(false);
    expect(batch.overCap).toBe(true);
  });
});

describe('quarantine', () => {
  it('names one object per window beside, not inside, the table location', () => {
    // Act
    const key = quarantineKey('mimecast/audit-events', 'default', {
      start: new Date(START),
      end: new Date(END),
    });

    // Assess
    expect(key).toBe(
      'mimecast/audit-events-malformed/source=default/20261125T100000Z_20261125T110000Z.ndjson.gz',
    );
    expect(key.startsWith('mimecast/audit-events/')).toBe(false);
  });

  it('keeps the events verbatim as gzip NDJSON', () => {
    // Prepare
    const events = [{ eventTime: 'nope', weird: [1, 2] }, { id: 'x' }];

    // Act
    const text = gunzipSync(encodeQuarantine(events)).toString('utf8');

    // Assess
    expect(
      text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line)),
    ).toEqual(events);
  });
});
