import { describe, expect, it } from 'vitest';
import { DEFAULT_RETENTION_ERROR_CODE, resolveSettings } from '#local/mimecast-sim/settings.js';

describe('resolveSettings', () => {
  it('keeps every new behaviour off by default', () => {
    const settings = resolveSettings({});
    expect(settings).toMatchObject({
      clockOffsetMs: 0,
      retentionErrorCode: DEFAULT_RETENTION_ERROR_CODE,
      lateEvents: [],
      emptyLastPageWithNext: false,
      emptyTailWithNewTokens: false,
      stuckRanges: [],
    });
    expect(DEFAULT_RETENTION_ERROR_CODE).toBe('err_validation_date_outside_retention');
  });

  it('takes one late class or several, in order', () => {
    expect(resolveSettings({ lateEvents: { share: 0.1, delaySeconds: 60 } }).lateEvents).toEqual([
      { share: 0.1, delaySeconds: 60 },
    ]);
    const classes = [
      { share: 0.1, delaySeconds: 60 },
      { share: 0.2, delaySeconds: 600 },
      { share: 0.7, delaySeconds: 6000 },
    ];
    expect(resolveSettings({ lateEvents: classes }).lateEvents).toEqual(classes);
  });

  it.each([
    [
      'late shares adding up to more than 1',
      {
        lateEvents: [
          { share: 0.6, delaySeconds: 1 },
          { share: 0.5, delaySeconds: 2 },
        ],
      },
    ],
    ['a negative delay', { lateEvents: [{ share: 0.1, delaySeconds: -1 }] }],
    ['a stuck range that ends before it starts', { stuckRanges: [{ startMs: 10, endMs: 5 }] }],
    ['an empty stuck range', { stuckRanges: [{ startMs: 10, endMs: 10 }] }],
    ['a clock offset that is not finite', { clockOffsetMs: Number.POSITIVE_INFINITY }],
    ['an error code with spaces', { retentionErrorCode: 'date out of range' }],
  ])('refuses %s', (_name, options) => {
    expect(() => resolveSettings(options)).toThrow(RangeError);
  });
});
