import { describe, expect, it } from 'vitest';
import { parseHttpDate, SERVER_CLOCK_SAMPLES, ServerClockEstimator } from '#core/mimecast/server-clock.js';
import { createTestClock } from '#test/support/clock.js';

const T0 = Date.UTC(2026, 2, 10, 12, 0, 0);
const dateAt = (ms: number) => new Date(ms).toUTCString();

describe('parseHttpDate', () => {
  it('reads IMF-fixdate, the form servers send', () => {
    expect(parseHttpDate('Tue, 10 Mar 2026 12:00:00 GMT')).toBe(T0);
    expect(parseHttpDate('  Tue, 10 Mar 2026 12:00:00 GMT ')).toBe(T0);
  });

  it.each([
    [null],
    [undefined],
    [''],
    ['2026'],
    ['2026-03-10T12:00:00Z'],
    ['Tue, 10 Mar 2026 12:00:00 UTC'],
    ['Tue, 10 Foo 2026 12:00:00 GMT'],
  ])('ignores %j', (value) => {
    expect(parseHttpDate(value)).toBeUndefined();
  });
});

describe('ServerClockEstimator', () => {
  it('takes the median of the samples (the mean of the middle two for an even count)', () => {
    const clock = createTestClock(T0);
    const estimator = new ServerClockEstimator(clock);
    expect(estimator.offsetMs()).toBeUndefined();
    estimator.observe(dateAt(T0 + 10_000));
    estimator.observe(dateAt(T0 + 20_000));
    expect(estimator.offsetMs()).toBe(15_000);
    estimator.observe(dateAt(T0 + 900_000));
    expect(estimator.offsetMs()).toBe(20_000);
  });

  it(`forgets samples older than the last ${SERVER_CLOCK_SAMPLES}`, () => {
    const clock = createTestClock(T0);
    const estimator = new ServerClockEstimator(clock);
    for (let i = 0; i < SERVER_CLOCK_SAMPLES; i += 1) estimator.observe(dateAt(clock.now() - 5_000));
    for (let i = 0; i < SERVER_CLOCK_SAMPLES; i += 1) {
      clock.advance(1_000);
      estimator.observe(dateAt(clock.now() + 7_000));
    }
    expect(estimator.offsetMs()).toBe(7_000);
  });

  it('ignores samples it cannot parse', () => {
    const estimator = new ServerClockEstimator(createTestClock(T0));
    estimator.observe('soon');
    estimator.observe(null);
    expect(estimator.offsetMs()).toBeUndefined();
  });
});
