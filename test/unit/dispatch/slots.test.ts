import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dueSlotStart, isDue, slotOffsetMs, slotStart, sourceHash } from '#core/dispatch/slots.js';
import { sourceIdSchema } from '#core/registry/source-config.js';

const MINUTE = 60_000;
/** A Wednesday, mid-day UTC. */
const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

const sourceId = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,62}$/);
const schedule = fc.integer({ min: 1, max: 60 });

const source = (id: string, scheduleMinutes: number, lastDispatchedAt?: string) => ({
  sourceId: id,
  enabled: true,
  scheduleMinutes,
  ...(lastDispatchedAt === undefined ? {} : { lastDispatchedAt }),
});

describe('slotStart', () => {
  it('is the latest slot boundary at or before now, its offset a whole minute below the period', () => {
    fc.assert(
      fc.property(
        sourceId,
        schedule,
        fc.integer({ min: 0, max: 10 * 365 * 86_400_000 }),
        (id, minutes, dt) => {
          const now = T0 + dt;
          const start = slotStart(id, minutes, now);
          const offset = slotOffsetMs(id, minutes);
          expect(offset % MINUTE).toBe(0);
          expect(offset).toBeGreaterThanOrEqual(0);
          expect(offset).toBeLessThan(minutes * MINUTE);
          expect(start).toBeLessThanOrEqual(now);
          expect(now).toBeLessThan(start + minutes * MINUTE);
          expect((((start - offset) % (minutes * MINUTE)) + minutes * MINUTE) % (minutes * MINUTE)).toBe(0);
          // Every instant of the slot maps to the same start.
          expect(slotStart(id, minutes, start)).toBe(start);
          expect(slotStart(id, minutes, start + minutes * MINUTE - 1)).toBe(start);
          expect(slotStart(id, minutes, start - 1)).toBe(start - minutes * MINUTE);
        },
      ),
    );
  });

  it('is stable: the same id always gets the same hash and offset (a changed hash would reshuffle every slot)', () => {
    expect(sourceHash('acme')).toBe(sourceHash('acme'));
    expect(sourceHash('acme')).not.toBe(sourceHash('acmf'));
    // Pinned values (32-bit FNV-1a, then MurmurHash3's fmix32): a change to the hash fails here first.
    expect([sourceHash(''), sourceHash('acme'), sourceHash('tenant-001')]).toEqual([
      2_872_998_923, 2_019_603_394, 586_918_451,
    ]);
  });

  it('rejects a schedule that is not a positive whole number of minutes', () => {
    expect(() => slotStart('acme', 0, T0)).toThrow(RangeError);
    expect(() => slotStart('acme', 2.5, T0)).toThrow(RangeError);
  });
});

describe('isDue', () => {
  it('is due when never dispatched, and not after a dispatch in the current slot', () => {
    const start = slotStart('acme', 5, T0);
    expect(isDue(source('acme', 5), T0)).toBe(true);
    expect(dueSlotStart(source('acme', 5), T0)).toBe(start);
    expect(isDue(source('acme', 5, new Date(start).toISOString()), T0)).toBe(false);
    expect(isDue(source('acme', 5, new Date(start - 1).toISOString()), T0)).toBe(true);
  });

  it('is never due when disabled', () => {
    fc.assert(
      fc.property(sourceId, schedule, fc.integer({ min: 0, max: 86_400_000 }), (id, minutes, dt) => {
        expect(isDue({ ...source(id, minutes), enabled: false }, T0 + dt)).toBe(false);
      }),
    );
  });

  it('treats an unparseable lastDispatchedAt as never dispatched (a damaged item must not stop a source)', () => {
    expect(isDue(source('acme', 5, 'not a time'), T0)).toBe(true);
  });

  it('dispatches every enabled source exactly once per slot when the dispatcher ticks every minute with jitter', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ id: sourceId, minutes: schedule, enabled: fc.boolean() }), {
          selector: (s) => s.id,
          minLength: 1,
          maxLength: 20,
        }),
        // Each minute's tick fires anywhere in its minute (EventBridge's precision); some twice.
        fc.array(fc.record({ jitter: fc.integer({ min: 0, max: MINUTE - 1 }), twice: fc.boolean() }), {
          minLength: 150,
          maxLength: 150,
        }),
        fc.integer({ min: 0, max: 59 }),
        (sources, ticks, startMinute) => {
          const first = T0 + startMinute * MINUTE;
          const last = new Map<string, string | undefined>();
          const dispatches = new Map<string, number[]>();
          ticks.forEach(({ jitter, twice }, minute) => {
            const times = [first + minute * MINUTE + jitter];
            if (twice) times.push(first + minute * MINUTE + Math.min(MINUTE - 1, jitter + 7_000));
            for (const now of times) {
              for (const s of sources) {
                const config = { sourceId: s.id, enabled: s.enabled, scheduleMinutes: s.minutes };
                const slot = dueSlotStart({ ...config, lastDispatchedAt: last.get(s.id) }, now);
                if (slot === undefined) continue;
                // What markDispatched records: the tick's own time.
                last.set(s.id, new Date(now).toISOString());
                dispatches.set(s.id, [...(dispatches.get(s.id) ?? []), slot]);
              }
            }
          });
          const end = first + ticks.length * MINUTE;
          for (const s of sources) {
            const slots = dispatches.get(s.id) ?? [];
            if (!s.enabled) {
              expect(slots).toEqual([]);
              continue;
            }
            const period = s.minutes * MINUTE;
            // Every slot that lies wholly inside the ticked span, exactly once, in order.
            const expected: number[] = [];
            for (let t = slotStart(s.id, s.minutes, first); t + period <= end; t += period) {
              if (t >= first) expected.push(t);
            }
            const inside = slots.filter((t) => t >= first && t + period <= end);
            expect(inside).toEqual(expected);
            expect(new Set(slots).size, `${s.id}: no slot twice`).toBe(slots.length);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('never dispatches a slot twice when the schedule changes between ticks', () => {
    fc.assert(
      fc.property(sourceId, fc.array(schedule, { minLength: 2, maxLength: 6 }), (id, schedules) => {
        let lastDispatchedAt: string | undefined;
        let now = T0;
        for (const minutes of schedules) {
          const seen = new Set<number>();
          for (let m = 0; m < 2 * minutes; m += 1, now += MINUTE) {
            const slot = dueSlotStart({ ...source(id, minutes), lastDispatchedAt }, now);
            if (slot === undefined) continue;
            expect(seen.has(slot)).toBe(false);
            seen.add(slot);
            lastDispatchedAt = new Date(now).toISOString();
          }
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('slot offsets spread the fleet over the period', () => {
  /** Sources per minute of the period. */
  const perMinute = (ids: readonly string[], minutes: number): number[] => {
    const counts = Array.from({ length: minutes }, () => 0);
    for (const id of ids) {
      const minute = slotOffsetMs(id, minutes) / MINUTE;
      counts[minute] = (counts[minute] ?? 0) + 1;
    }
    return counts;
  };

  it('puts no minute above twice its share for 500 random ids (5, 10 and 15-minute schedules)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(sourceId, { minLength: 500, maxLength: 500 }),
        fc.constantFrom(5, 10, 15),
        (ids, minutes) => {
          const counts = perMinute(ids, minutes);
          expect(Math.max(...counts)).toBeLessThanOrEqual((2 * ids.length) / minutes);
          expect(Math.min(...counts)).toBeGreaterThan(0);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('spreads sequential ids (tenant-000 … tenant-499) as well as random ones', () => {
    const ids = Array.from({ length: 500 }, (_, i) => `tenant-${String(i).padStart(3, '0')}`);
    for (const id of ids) sourceIdSchema.parse(id);
    for (const minutes of [2, 3, 5, 10, 15, 30]) {
      expect(Math.max(...perMinute(ids, minutes)), `${minutes}-minute schedule`).toBeLessThanOrEqual(
        (2 * ids.length) / minutes,
      );
    }
    // An hourly schedule over 5,000 ids: ~83 a minute, none above twice that.
    const many = Array.from({ length: 5_000 }, (_, i) => `customer_${i}`);
    expect(Math.max(...perMinute(many, 60))).toBeLessThanOrEqual((2 * many.length) / 60);
  });
});
