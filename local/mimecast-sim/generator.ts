/**
 * Deterministic, lazy event generation. Time is cut into one-hour buckets; a bucket's events
 * are a pure function of (seed, bucket index), so nothing is materialised up front, any bucket
 * can be regenerated identically, and as the clock moves new events simply appear.
 */
import type { RawAuditEvent } from '#core/mimecast/types.js';
import type { LateEventClass } from './api.js';
import { ACTORS, pickCategory, pickIp } from './catalog.js';
import { formatEventTime } from './dates.js';
import { formatLocal, SIM_ZONES, zoneOffsetAt } from './local-time.js';
import { createRandom, intBetween, mixSeed, pick, roundStochastic } from './prng.js';

/** Width of a generation bucket. Every zone in SIM_ZONES changes offset on whole hours only. */
export const BUCKET_MS = 3_600_000;

/** An event as the simulator holds it. */
export interface HeldEvent {
  /** Where the event sits in time (its eventTime; for malformed hand-added events see EventStore.add). */
  timeMs: number;
  /** Tie-breaker inside one bucket; unique per bucket, stable across regenerations. */
  seq: number;
  /** When searches start returning it (late arrivals: after eventTime). */
  visibleAt: number;
  /** Generated events exist only once the clock has reached them; hand-added ones always exist. */
  generated: boolean;
  event: RawAuditEvent;
}

/** What shapes the generated stream. */
export interface GeneratorSettings {
  seed: number;
  eventsPerDay: number;
  burstShare: number;
  /** One late class or several (shares add up to ≤ 1; validated by settings.ts). */
  lateEvents?: LateEventClass | readonly LateEventClass[] | undefined;
}

/**
 * The visibility delay (ms) for one uniform draw `u` in [0, 1): classes take consecutive slices
 * of [0, 1) in the order given, so a single class behaves exactly as `u < share`.
 */
function lateDelayMs(classes: readonly LateEventClass[], u: number): number {
  let upper = 0;
  for (const entry of classes) {
    upper += entry.share;
    if (entry.share > 0 && u < upper) return entry.delaySeconds * 1000;
  }
  return 0;
}

/** The bucket holding `ms`. */
export function bucketOf(ms: number): number {
  return Math.floor(ms / BUCKET_MS);
}

// Draws the second (0..3599) of every event in a bucket, with `burstShare` of them in groups
// that share one second, as real audit logs do (bulk admin actions, directory syncs).
function drawSeconds(random: () => number, count: number, burstShare: number): number[] {
  const seconds: number[] = [];
  let inBursts = Math.min(count, roundStochastic(random, count * burstShare));
  while (inBursts >= 2) {
    let size = Math.min(inBursts, intBetween(random, 2, 12));
    if (inBursts - size === 1) size += 1; // never leave a lone "burst" of one
    const second = intBetween(random, 0, 3599);
    for (let i = 0; i < size; i += 1) seconds.push(second);
    inBursts -= size;
  }
  while (seconds.length < count) seconds.push(intBetween(random, 0, 3599));
  return seconds.sort((a, b) => a - b);
}

/** Generates one bucket's events, oldest first. */
export function generateBucket(settings: GeneratorSettings, bucket: number): HeldEvent[] {
  const meanPerBucket = (settings.eventsPerDay * BUCKET_MS) / 86_400_000;
  if (meanPerBucket <= 0) return [];
  const random = createRandom(mixSeed(settings.seed, bucket, 1));
  // Hour-to-hour variation of ±25 % around the configured mean keeps the average exact.
  const count = roundStochastic(random, meanPerBucket * (0.75 + 0.5 * random()));
  if (count === 0) return [];
  const seconds = drawSeconds(random, count, settings.burstShare);
  const bucketStart = bucket * BUCKET_MS;
  const zones = SIM_ZONES.map((zone) => zoneOffsetAt(zone, bucketStart));
  // Lateness uses its own stream so switching `lateEvents` on does not change the events themselves.
  const lateRandom = createRandom(mixSeed(settings.seed, bucket, 2));
  const late = settings.lateEvents;
  const lateClasses: readonly LateEventClass[] =
    late === undefined ? [] : Array.isArray(late) ? late : [late as LateEventClass];
  const anyLate = lateClasses.some((entry) => entry.share > 0);
  const events: HeldEvent[] = [];
  for (let seq = 0; seq < seconds.length; seq += 1) {
    const timeMs = bucketStart + (seconds[seq] ?? 0) * 1000;
    const actor = pick(random, ACTORS);
    const zone = zones[actor.zone] ?? { offsetMs: 0, abbreviation: 'UTC' };
    const local = formatLocal(timeMs, zone);
    const category = pickCategory(random);
    const content = pick(
      random,
      category.templates,
    )({
      random,
      actor,
      other: pick(random, ACTORS),
      stamp: `Date: ${local.date}, Time: ${local.time}`,
      ip: pickIp(random),
    });
    // One draw per event whatever the classes: appending a class leaves the earlier ones unchanged.
    const delayMs = anyLate ? lateDelayMs(lateClasses, lateRandom()) : 0;
    events.push({
      timeMs,
      seq,
      visibleAt: timeMs + delayMs,
      generated: true,
      event: {
        id: eventId(settings.seed, bucket, seq, random),
        auditType: content.auditType,
        user: content.user,
        eventTime: formatEventTime(timeMs),
        eventInfo: content.eventInfo,
        category: category.code,
      },
    });
  }
  return events;
}

// Feistel rounds over (bucket, seq): a bijection whatever the round function, so ids are unique
// per seed without hashing every event (sha256 per event cost a tenth of the serving time).
function scramble(seedKey: number, left: number, right: number): [number, number] {
  let l = left >>> 0;
  let r = right >>> 0;
  for (let round = 0; round < 4; round += 1) {
    const f = mixSeed(seedKey, round, r);
    [l, r] = [r, (l ^ f) >>> 0];
  }
  return [l, r];
}

/** An opaque, base64url-looking id, unique per (seed, bucket, position) and stable across runs. */
export function eventId(seed: number, bucket: number, seq: number, random: () => number): string {
  const [a, b] = scramble(mixSeed(seed, 0x1d), bucket, seq);
  const bytes = Buffer.allocUnsafe(24);
  bytes.writeUInt32BE(a, 0);
  bytes.writeUInt32BE((random() * 0x1_0000_0000) >>> 0, 4);
  bytes.writeUInt32BE(b, 8);
  bytes.writeUInt32BE((random() * 0x1_0000_0000) >>> 0, 12);
  bytes.writeUInt32BE((random() * 0x1_0000_0000) >>> 0, 16);
  bytes.writeUInt32BE((random() * 0x1_0000_0000) >>> 0, 20);
  return `eNo${bytes.toString('base64url')}`;
}
