/** What each kind of invocation asks the compactor to do. */
import { describe, expect, it } from 'vitest';
import { InvalidCompactionEvent, requestOf } from '../../../functions/compactor/events.js';

const PREFIX = 'mimecast/audit-events';

describe('requestOf', () => {
  it('runs everything on a scheduled event', () => {
    expect(requestOf({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} }, PREFIX)).toEqual(
      {},
    );
  });

  it('checks the one source-day an archive write touched', () => {
    const event = {
      source: 'aws.s3',
      'detail-type': 'Object Created',
      detail: {
        bucket: { name: 'archive' },
        object: { key: `${PREFIX}/source=emea/dt=2026-11-20/20261120T000000Z_20261120T060000Z.ndjson.gz` },
      },
    };
    expect(requestOf(event, PREFIX)).toEqual({ sources: ['emea'], from: '2026-11-20', to: '2026-11-20' });
  });

  it('ignores writes that are not archive objects of this prefix (quarantine, another prefix)', () => {
    const created = (key: string) => ({
      source: 'aws.s3',
      'detail-type': 'Object Created',
      detail: { object: { key } },
    });
    expect(
      requestOf(
        created(`${PREFIX}-malformed/source=emea/20261120T000000Z_20261120T060000Z.ndjson.gz`),
        PREFIX,
      ),
    ).toBe('ignore');
    expect(
      requestOf(
        created('other/source=emea/dt=2026-11-20/20261120T000000Z_20261120T060000Z.ndjson.gz'),
        PREFIX,
      ),
    ).toBe('ignore');
  });

  it('rebuilds a range on request, and refuses a malformed one naming the problem', () => {
    expect(
      requestOf({ rebuild: { from: '2026-01-01', to: '2026-01-31', sources: ['emea'] } }, PREFIX),
    ).toEqual({
      from: '2026-01-01',
      to: '2026-01-31',
      sources: ['emea'],
      force: true,
    });
    expect(() => requestOf({ rebuild: { from: '2026-02-01', to: '2026-01-01' } }, PREFIX)).toThrow(
      /from must not be after to/,
    );
    expect(() => requestOf({ rebuild: { from: 'yesterday', to: '2026-01-01' } }, PREFIX)).toThrow(
      InvalidCompactionEvent,
    );
    expect(() => requestOf({ rebuild: { from: '2026-01-01', to: '2026-01-02', extra: 1 } }, PREFIX)).toThrow(
      /invalid rebuild request/,
    );
  });
});
