import { afterEach, describe, expect, it } from 'vitest';
import { FatalError, ProtocolError } from '#core/mimecast/errors.js';
import type { RawAuditEvent } from '#core/mimecast/types.js';
import { parseMimecastTime } from '#core/time.js';
import { type AuthMode, drain, HOUR, idsOf, mimecastFailure, type Rig, startRig, T0 } from './harness.js';

/** Keeps events of the half-open window, as the sync engine does (the server's end is inclusive). */
const within = (events: RawAuditEvent[], start: Date, end: Date) =>
  events.filter((e) => {
    const at = parseMimecastTime(e.eventTime);
    return at !== undefined && at >= start.getTime() && at < end.getTime();
  });

/** Events sorted by id, so content can be compared in linear time. */
const byId = (events: RawAuditEvent[]) =>
  [...events].sort((a, b) => String(a.id).localeCompare(String(b.id)));

describe.each<AuthMode>(['oauth2', 'hmac'])('Mimecast client paging over HTTP (%s)', (mode) => {
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.sim.close();
    rig = undefined;
  });

  it('returns every event of a busy day exactly once, across many pages', async () => {
    // Prepare
    rig = await startRig(mode, { sim: { eventsPerDay: 6_000, burstShare: 0.3 } });
    const start = new Date(T0 - 26 * HOUR);
    const end = new Date(T0 - 2 * HOUR);
    // Act
    const { events, pages } = await drain(rig.client, start, end, rig.deadline(), 250);
    // Assess
    const truth = rig.sim.groundTruth(start, end);
    expect(truth.length).toBeGreaterThan(3_000);
    expect(new Set(idsOf(events)).size).toBe(events.length); // no duplicates at all
    expect(byId(within(events, start, end))).toEqual(byId(truth)); // same ids, same content
    expect(pages).toBe(rig.requestsTo('get-audit-events').length);
    expect(pages).toBeGreaterThanOrEqual(Math.ceil(truth.length / 250));
    expect(rig.requestsTo('get-audit-events').every((r) => r.pageSize === 250)).toBe(true);
    expect(rig.sleeps).toEqual([]);
  });

  it('follows empty pages with next in the middle of a search, losing nothing', async () => {
    // Prepare: the third and fourth requests are answered with empty pages and new tokens
    rig = await startRig(mode);
    rig.sim.scriptFaults(
      { fault: { type: 'slow', delayMs: 0 }, times: 2 },
      { fault: { type: 'empty_page' }, times: 2 },
    );
    const start = new Date(T0 - 6 * HOUR);
    const end = new Date(T0);
    // Act
    const { events, pages } = await drain(rig.client, start, end, rig.deadline(), 25);
    // Assess
    const truth = rig.sim.groundTruth(start, end);
    expect(truth.length).toBeGreaterThan(75);
    expect(new Set(idsOf(events)).size).toBe(events.length);
    expect(idsOf(within(events, start, end))).toEqual(idsOf(truth));
    const requests = rig.requestsTo('get-audit-events');
    expect(requests.map((r) => r.fault).slice(2, 4)).toEqual(['empty_page', 'empty_page']);
    expect(requests.filter((r) => r.returned === 0)).toHaveLength(2);
    expect(pages).toBe(requests.length);
  });

  it('stops after one extra request at a terminal empty page that returns the token sent', async () => {
    // Prepare
    rig = await startRig(mode, { sim: { emptyLastPageWithNext: true } });
    const start = new Date(T0 - 6 * HOUR);
    const end = new Date(T0);
    // Act
    const { events, pages } = await drain(rig.client, start, end, rig.deadline(), 25);
    // Assess
    const truth = rig.sim.groundTruth(start, end);
    const dataPages = Math.ceil(rig.sim.groundTruth(start, new Date(T0 + 1000)).length / 25);
    expect(truth.length).toBeGreaterThan(50);
    expect(idsOf(within(events, start, end))).toEqual(idsOf(truth));
    const requests = rig.requestsTo('get-audit-events');
    expect(requests).toHaveLength(dataPages + 1);
    expect(pages).toBe(requests.length);
    expect(requests.at(-1)?.returned).toBe(0); // the empty page was read, and nothing after it
    expect(requests.at(-1)?.pageToken).toBeDefined();
  });

  it('fails with ProtocolError empty_pages on an endless chain of empty pages with new tokens', async () => {
    // Prepare
    rig = await startRig(mode, { sim: { emptyTailWithNewTokens: true } });
    const start = new Date(T0 - 2 * HOUR);
    const dataPages = Math.ceil(rig.sim.groundTruth(start, new Date(T0 + 1000)).length / 25);
    // Act
    const err = await mimecastFailure(drain(rig.client, start, new Date(T0), rig.deadline(), 25));
    // Assess: the default bound is 10 empty pages; the 11th is one too many
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err).toMatchObject({ kind: 'fatal', reason: 'empty_pages' });
    const requests = rig.requestsTo('get-audit-events');
    expect(requests).toHaveLength(dataPages + 11);
    expect(requests.slice(dataPages).every((r) => r.returned === 0)).toBe(true);
  });

  it('fails with ProtocolError repeated_token in a stuck range, and succeeds with a one-page search there', async () => {
    // Prepare
    const stuck = { startMs: T0 - 4 * HOUR, endMs: T0 - 3 * HOUR };
    rig = await startRig(mode, { sim: { stuckRanges: [stuck] } });
    const narrowStart = new Date(stuck.startMs + 5 * 60_000);
    const narrowEnd = new Date(stuck.startMs + 50 * 60_000);
    // Act
    const err = await mimecastFailure(
      drain(rig.client, new Date(T0 - 6 * HOUR), new Date(T0), rig.deadline(), 25),
    );
    const stuckRequests = rig.requestsTo('get-audit-events').length;
    const narrow = await drain(rig.client, narrowStart, narrowEnd, rig.deadline(), 500);
    // Assess
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err).toMatchObject({ kind: 'fatal', reason: 'repeated_token' });
    expect(stuckRequests).toBe(2); // the first page, then the page that repeats its token
    const truth = rig.sim.groundTruth(narrowStart, narrowEnd);
    expect(truth.length).toBeGreaterThan(0);
    expect(idsOf(within(narrow.events, narrowStart, narrowEnd))).toEqual(idsOf(truth));
    expect(narrow.pages).toBe(1);
  });

  it('fails with ProtocolError repeated_token when the server repeats a page token once', async () => {
    // Prepare: the first page is answered normally (a zero-delay "slow" fault only holds the
    // queue position); the second repeats its own token as `next`.
    rig = await startRig(mode);
    rig.sim.scriptFaults({ fault: { type: 'slow', delayMs: 0 } }, { fault: { type: 'repeat_token' } });
    const start = new Date(T0 - 6 * HOUR);
    // Act
    const err = await mimecastFailure(drain(rig.client, start, new Date(T0), rig.deadline(), 25));
    // Assess
    expect(err).toBeInstanceOf(FatalError);
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err).toMatchObject({ reason: 'repeated_token' });
    expect(err.message).toContain('page token repeated');
    const requests = rig.requestsTo('get-audit-events');
    expect(requests).toHaveLength(2);
    expect(requests[1]?.fault).toBe('repeat_token');
  });

  it('lists the audit categories', async () => {
    rig = await startRig(mode);
    const categories = await rig.client.getCategories({ deadline: rig.deadline() });
    expect(categories.map((c) => c.code)).toEqual(
      expect.arrayContaining(['account_logs', 'authentication_logs']),
    );
    expect(categories.every((c) => c.code.length > 0)).toBe(true);
    expect(rig.requestsTo('get-categories')).toHaveLength(1);
  });

  it('reports a search beyond the 60-day history as a FatalError, never as "no data"', async () => {
    rig = await startRig(mode);
    const err = await mimecastFailure(
      rig.client.getAuditEventsPage(
        { start: new Date(T0 - 61 * 24 * HOUR), end: new Date(T0 - 60 * 24 * HOUR + HOUR) },
        undefined,
        { deadline: rig.deadline() },
      ),
    );
    expect(err).toBeInstanceOf(FatalError);
    expect(err.code).toMatch(/^err_validation/);
    expect(err.attempts).toBe(1);
  });

  it('keeps every event exactly once through a storm of random transient faults', async () => {
    // Prepare
    rig = await startRig(mode, { client: { retry: { maxAttempts: 12 } } });
    rig.sim.setRandomFaults({
      probability: 0.35,
      seed: 1,
      faults: [
        { type: 'http_error', status: 503 },
        { type: 'malformed_json' },
        { type: 'drop_connection' },
        { type: 'fail', retryable: true },
        { type: 'rate_limit', resetMs: 700 },
      ],
    });
    const start = new Date(T0 - 12 * HOUR);
    const end = new Date(T0);
    // Act
    const { events } = await drain(rig.client, start, end, rig.deadline(), 10);
    // Assess
    const truth = rig.sim.groundTruth(start, end);
    expect(new Set(idsOf(events)).size).toBe(events.length);
    expect(idsOf(within(events, start, end))).toEqual(idsOf(truth));
    const faulted = rig.requestsTo('get-audit-events').filter((r) => r.fault !== undefined);
    expect(faulted.length).toBeGreaterThan(3);
    expect(rig.waits).toHaveLength(faulted.length);
    expect(rig.waits.filter((w) => w.kind === 'rate_limited').every((w) => w.waitMs === 700)).toBe(true);
  });
});
