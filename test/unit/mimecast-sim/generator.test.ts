import { describe, expect, it } from 'vitest';
import { BUCKET_MS, generateBucket } from '#local/mimecast-sim/generator.js';

const BUCKET = Math.floor(Date.UTC(2026, 6, 1, 10) / BUCKET_MS);
const settings = { seed: 42, eventsPerDay: 24 * 400, burstShare: 0.3 };

describe('generateBucket', () => {
  it('is a pure function of seed and bucket', () => {
    expect(generateBucket(settings, BUCKET)).toEqual(generateBucket(settings, BUCKET));
    const other = generateBucket({ ...settings, seed: 43 }, BUCKET).map((held) => held.event.id);
    expect(other).not.toEqual(generateBucket(settings, BUCKET).map((held) => held.event.id));
  });

  it('keeps events inside the bucket, sorted, with matching eventTime strings', () => {
    const events = generateBucket(settings, BUCKET);
    const start = BUCKET * BUCKET_MS;
    expect(events.length).toBeGreaterThan(250);
    expect(events.length).toBeLessThan(550);
    for (const [i, held] of events.entries()) {
      expect(held.timeMs).toBeGreaterThanOrEqual(start);
      expect(held.timeMs).toBeLessThan(start + BUCKET_MS);
      expect(held.timeMs % 1000).toBe(0);
      expect(Date.parse(String(held.event.eventTime).replace('+0000', 'Z'))).toBe(held.timeMs);
      if (i > 0) expect(held.timeMs).toBeGreaterThanOrEqual(events[i - 1]?.timeMs ?? 0);
    }
  });

  it('puts about burstShare of the events into seconds shared with others', () => {
    const events = generateBucket({ ...settings, burstShare: 0.5 }, BUCKET);
    const counts = new Map<number, number>();
    for (const held of events) counts.set(held.timeMs, (counts.get(held.timeMs) ?? 0) + 1);
    const shared = [...counts.values()].filter((n) => n > 1).reduce((sum, n) => sum + n, 0);
    expect(shared / events.length).toBeGreaterThan(0.45);
    expect(shared / events.length).toBeLessThan(0.6);
  });

  it('prints local times in the actor zone, with a summer abbreviation in July', () => {
    const texts = generateBucket(settings, BUCKET).map((held) => String(held.event.eventInfo));
    expect(texts.some((text) => / BST,?/.test(text))).toBe(true);
    expect(texts.some((text) => / EDT,?/.test(text))).toBe(true);
    expect(texts.some((text) => / GMT,?| EST,?/.test(text))).toBe(false);
  });

  it('makes the configured share late without changing the events themselves', () => {
    const onTime = generateBucket(settings, BUCKET);
    const late = generateBucket({ ...settings, lateEvents: { share: 0.25, delaySeconds: 90 } }, BUCKET);
    expect(late.map((held) => held.event)).toEqual(onTime.map((held) => held.event));
    const delayed = late.filter((held) => held.visibleAt === held.timeMs + 90_000).length;
    expect(delayed / late.length).toBeGreaterThan(0.15);
    expect(delayed / late.length).toBeLessThan(0.35);
    expect(
      late.every((held) => held.visibleAt === held.timeMs || held.visibleAt === held.timeMs + 90_000),
    ).toBe(true);
  });

  it('splits late events into several delay classes, one draw per event', () => {
    const onTime = generateBucket(settings, BUCKET);
    const classes = [
      { share: 0.25, delaySeconds: 90 },
      { share: 0.25, delaySeconds: 3600 },
    ];
    const late = generateBucket({ ...settings, lateEvents: classes }, BUCKET);
    const delays = late.map((held) => held.visibleAt - held.timeMs);
    const share = (ms: number) => delays.filter((d) => d === ms).length / delays.length;
    expect(late.map((held) => held.event)).toEqual(onTime.map((held) => held.event));
    expect(share(90_000)).toBeGreaterThan(0.15);
    expect(share(90_000)).toBeLessThan(0.35);
    expect(share(3_600_000)).toBeGreaterThan(0.15);
    expect(share(3_600_000)).toBeLessThan(0.35);
    expect(share(0) + share(90_000) + share(3_600_000)).toBe(1);
    // The first class is exactly the events a single { share: 0.25 } class makes late.
    const single = generateBucket({ ...settings, lateEvents: { share: 0.25, delaySeconds: 90 } }, BUCKET);
    expect(late.map((held) => held.visibleAt === held.timeMs + 90_000)).toEqual(
      single.map((held) => held.visibleAt === held.timeMs + 90_000),
    );
    expect(generateBucket({ ...settings, lateEvents: classes }, BUCKET)).toEqual(late);
  });

  it('generates nothing at zero density', () => {
    expect(generateBucket({ ...settings, eventsPerDay: 0 }, BUCKET)).toEqual([]);
  });
});
