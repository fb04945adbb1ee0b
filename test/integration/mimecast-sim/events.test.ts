import { afterEach, describe, expect, it } from 'vitest';
import {
  type MimecastSimulator,
  type SimulatorOptions,
  startMimecastSimulator,
} from '#local/mimecast-sim/index.js';
import { createTestClock } from '#test/support/clock.js';
import { AUDIT_PATH, accessToken, auditBody, bearer, drain, failCodes, post } from './sim-http.js';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const KNOWN_CATEGORIES = [
  'account_logs',
  'authentication_logs',
  'archive_service_logs',
  'case_review_logs',
  'integrations_and_apis',
  'mimecast_access_logs',
  'profile_group_logs',
  'reporting_logs',
  'user_account_and_role_logs',
  'policy_logs',
  'journaling_logs',
  'awareness_training_logs',
  'continuity_services_logs',
];

describe('simulated events', () => {
  const running: MimecastSimulator[] = [];
  const start = async (options: SimulatorOptions): Promise<MimecastSimulator> => {
    const sim = await startMimecastSimulator({ rateLimit: false, ...options });
    running.push(sim);
    return sim;
  };
  afterEach(async () => {
    await Promise.all(running.splice(0).map((sim) => sim.close()));
  });

  it('are the same for the same seed and different for another seed', async () => {
    // Prepare
    const clock = createTestClock(NOW);
    const [a, b, c] = await Promise.all([
      start({ clock, seed: 3 }),
      start({ clock, seed: 3 }),
      start({ clock, seed: 4 }),
    ]);
    const range = [new Date(NOW - 3 * DAY), new Date(NOW)] as const;
    // Act
    const [ta, tb, tc] = [a, b, c].map((sim) => sim?.groundTruth(...range) ?? []);
    // Assess
    expect(ta?.length).toBeGreaterThan(0);
    expect(tb).toEqual(ta);
    expect(tc?.map((event) => event.id)).not.toEqual(ta?.map((event) => event.id));
  });

  it('come at roughly the configured density, with many events sharing a second', async () => {
    // Prepare
    const sim = await start({ clock: createTestClock(NOW), seed: 5, eventsPerDay: 2400, burstShare: 0.3 });
    // Act
    const events = sim.groundTruth(new Date(NOW - 20 * DAY), new Date(NOW));
    // Assess
    const perDay = events.length / 20;
    expect(perDay).toBeGreaterThan(2400 * 0.9);
    expect(perDay).toBeLessThan(2400 * 1.1);
    const perSecond = new Map<unknown, number>();
    for (const event of events) perSecond.set(event.eventTime, (perSecond.get(event.eventTime) ?? 0) + 1);
    const inSharedSeconds = [...perSecond.values()].filter((n) => n > 1).reduce((sum, n) => sum + n, 0);
    expect(inSharedSeconds / events.length).toBeGreaterThan(0.25);
    expect(Math.max(...perSecond.values())).toBeGreaterThanOrEqual(5);
  });

  it('look like Mimecast audit events', async () => {
    // Prepare
    const sim = await start({ clock: createTestClock(NOW), seed: 9, eventsPerDay: 3000 });
    // Act
    const events = sim.groundTruth(new Date(NOW - 2 * DAY), new Date(NOW));
    // Assess
    expect(new Set(events.map((event) => event.id)).size).toBe(events.length);
    for (const event of events) {
      expect(Object.keys(event).sort()).toEqual([
        'auditType',
        'category',
        'eventInfo',
        'eventTime',
        'id',
        'user',
      ]);
      expect(event.id).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      expect(event.eventTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0000$/);
      expect(KNOWN_CATEGORIES).toContain(event.category);
      expect(event.user === '' || /^[a-z.]+@example\.(com|org)$/.test(String(event.user))).toBe(true);
      expect(String(event.eventInfo)).toMatch(/Date: \d{4}-\d{2}-\d{2}, Time: \d{2}:\d{2}:\d{2} [A-Z]{3,4}/);
    }
    const types = new Set(events.map((event) => event.auditType));
    expect(types).toContain('User Logged On');
    expect(types).toContain('Logon Authentication Failed');
    expect(events.some((event) => event.user === '')).toBe(true);
    expect(new Set(events.map((event) => event.category)).size).toBeGreaterThanOrEqual(10);
  });

  it('appear as the clock moves on, and only once it has reached them', async () => {
    // Prepare
    const clock = createTestClock(NOW);
    const sim = await start({ clock, seed: 2, eventsPerDay: 5000 });
    const next = [new Date(NOW + 1000), new Date(NOW + HOUR)] as const;
    // Act
    const before = sim.groundTruth(...next);
    clock.advance(HOUR);
    const after = sim.groundTruth(...next);
    // Assess
    expect(before).toEqual([]);
    expect(after.length).toBeGreaterThan(100);
  });

  it('arrive late when configured: invisible to searches until their delay has passed', async () => {
    // Prepare: half the events become visible only 10 minutes after their eventTime
    const clock = createTestClock(NOW);
    const sim = await start({
      clock,
      seed: 8,
      eventsPerDay: 24_000,
      lateEvents: { share: 0.5, delaySeconds: 600 },
    });
    const token = await accessToken(sim);
    const window = [NOW - 5 * 60_000, NOW - 1000] as const;
    // Act
    const early = await drain(sim, () => bearer(token), ...window);
    clock.advance(10 * 60_000);
    const later = await drain(sim, () => bearer(token), ...window);
    // Assess
    const truth = sim.groundTruth(new Date(window[0]), new Date(window[1] + 1000));
    expect(truth.length).toBeGreaterThan(40);
    expect(early.events.length).toBeLessThan(truth.length * 0.75);
    expect(early.events.length).toBeGreaterThan(0);
    expect(later.events.map((event) => event.id).sort()).toEqual(truth.map((event) => event.id).sort());
  });

  it('arrive late in several delay classes, the same ones for the same seed', async () => {
    // Prepare: 30 % indexed 20 min late, 20 % an hour late; the window is 25-30 min old
    const lateEvents = [
      { share: 0.3, delaySeconds: 20 * 60 },
      { share: 0.2, delaySeconds: 3600 },
    ];
    const clock = createTestClock(NOW);
    const [sim, twin] = await Promise.all([
      start({ clock, seed: 8, eventsPerDay: 24_000, lateEvents }),
      start({ clock, seed: 8, eventsPerDay: 24_000, lateEvents }),
    ]);
    const token = await accessToken(sim);
    const twinToken = await accessToken(twin);
    const window = [NOW - 30 * 60_000, NOW - 25 * 60_000] as const;
    const idsOf = (events: Record<string, unknown>[]) => events.map((event) => String(event.id)).sort();
    // Act
    const now = await drain(sim, () => bearer(token), ...window);
    const twinNow = await drain(twin, () => bearer(twinToken), ...window);
    clock.advance(40 * 60_000);
    const laterToken = await accessToken(sim); // the first one has expired by now
    const later = await drain(sim, () => bearer(laterToken), ...window);
    // Assess: only the hour-late class is missing at first, and nothing at all 40 minutes on
    const truth = sim.groundTruth(new Date(window[0]), new Date(window[1] + 1000));
    expect(truth.length).toBeGreaterThan(60);
    expect(now.events.length / truth.length).toBeGreaterThan(0.65);
    expect(now.events.length / truth.length).toBeLessThan(0.92);
    expect(idsOf(twinNow.events)).toEqual(idsOf(now.events));
    expect(idsOf(later.events)).toEqual(idsOf(truth as Record<string, unknown>[]));
  });

  it('include hand-added events as given, even malformed ones, visible from visibleAt', async () => {
    // Prepare
    const clock = createTestClock(NOW);
    const sim = await start({ clock, seed: 1, eventsPerDay: 0 });
    const token = await accessToken(sim);
    sim.addEvents([{ id: 'no-time', category: 'policy_logs', weird: [1, 2] }], new Date(NOW - 60_000));
    sim.addEvents([{ id: 'late-one', eventTime: '2026-11-25T11:59:00+0000' }], new Date(NOW + 60_000));
    // Act
    const now = await drain(sim, () => bearer(token), NOW - HOUR, NOW);
    clock.advance(60_000);
    const later = await drain(sim, () => bearer(token), NOW - HOUR, NOW);
    // Assess
    expect(now.events).toEqual([{ id: 'no-time', category: 'policy_logs', weird: [1, 2] }]);
    expect(later.events.map((event) => event.id)).toEqual(['late-one', 'no-time']);
    expect(sim.groundTruth(new Date(NOW - HOUR), new Date(NOW)).map((event) => event.id)).toEqual([
      'no-time',
      'late-one',
    ]);
  });

  it('leave the searchable history after 60 days but stay in the ground truth', async () => {
    // Prepare
    const clock = createTestClock(NOW);
    const sim = await start({ clock, seed: 6 });
    const token = await accessToken(sim);
    const oldDay = [NOW - 59 * DAY, NOW - 58 * DAY] as const;
    const before = await drain(sim, () => bearer(token), ...oldDay);
    // Act
    clock.advance(2 * DAY);
    const after = await post(sim, AUDIT_PATH, bearer(await accessToken(sim)), auditBody(...oldDay));
    // Assess
    expect(before.events.length).toBeGreaterThan(0);
    expect(failCodes(after)).toEqual(['err_validation_date_outside_retention']);
    const truth = sim.groundTruth(new Date(oldDay[0]), new Date(oldDay[1] + 1000));
    expect(truth.map((event) => event.id).sort()).toEqual(before.events.map((event) => event.id).sort());
  });
});
