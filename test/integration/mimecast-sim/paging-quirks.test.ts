import { afterEach, describe, expect, it } from 'vitest';
import {
  type MimecastSimulator,
  type SimulatorOptions,
  startMimecastSimulator,
} from '#local/mimecast-sim/index.js';
import { createTestClock } from '#test/support/clock.js';
import { AUDIT_PATH, accessToken, auditBody, bearer, drain, failCodes, post } from './sim-http.js';

// Paging behaviours a collector must survive: empty pages with next (in the middle and at the
// end), endless chains of new tokens, and tokens that repeat for good in some time ranges.

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const HOUR = 3_600_000;
const START = NOW - 6 * HOUR;

describe('simulator paging quirks', () => {
  const running: MimecastSimulator[] = [];
  let sim: MimecastSimulator;
  let token: string;
  const start = async (options: SimulatorOptions = {}): Promise<void> => {
    sim = await startMimecastSimulator({
      clock: createTestClock(NOW),
      seed: 21,
      rateLimit: false,
      ...options,
    });
    running.push(sim);
    token = await accessToken(sim);
  };
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.close()));
  });

  /** One page of the search `[startMs, endMs]`; fails the test on an HTTP or fail[] error. */
  const page = async (pageToken?: string, pageSize = 50, startMs = START, endMs = NOW) => {
    const response = await post(
      sim,
      AUDIT_PATH,
      bearer(token),
      auditBody(startMs, endMs, { pageSize, pageToken }),
    );
    expect(response.status).toBe(200);
    expect(failCodes(response)).toEqual([]);
    return {
      ids: (response.body.data ?? []).map((event) => String(event.id)),
      next: response.body.meta?.pagination?.next,
    };
  };
  const truthIds = (startMs = START, endMs = NOW) =>
    sim
      .groundTruth(new Date(startMs), new Date(endMs + 1000))
      .map((event) => String(event.id))
      .sort();

  describe('the empty_page fault', () => {
    it('answers an empty page whose new token resumes exactly where the requested page starts', async () => {
      // Prepare
      await start();
      const first = await page();
      const unfaulted = await page(first.next);
      sim.scriptFaults({ fault: { type: 'empty_page' } });
      // Act
      const empty = await page(first.next);
      const resumed = await page(empty.next);
      // Assess
      expect(unfaulted.ids).toHaveLength(50);
      expect(empty.ids).toEqual([]);
      expect(empty.next).toEqual(expect.any(String));
      expect(empty.next).not.toBe(first.next);
      expect(resumed).toEqual(unfaulted); // same events, and the same token onwards
      expect(sim.requests().at(-2)).toMatchObject({ fault: 'empty_page', returned: 0 });
    });

    it('works on the first request of a search: following its token starts from the top', async () => {
      // Prepare
      await start();
      const fresh = await page();
      sim.scriptFaults({ fault: { type: 'empty_page' } });
      // Act
      const empty = await page();
      const resumed = await page(empty.next);
      // Assess
      expect(empty).toEqual({ ids: [], next: expect.any(String) });
      expect(resumed.ids).toEqual(fresh.ids);
    });

    it('gives `times` consecutive empty pages with distinct tokens, and nothing is lost', async () => {
      // Prepare
      await start();
      const first = await page();
      sim.scriptFaults({ fault: { type: 'empty_page' }, times: 3 });
      // Act: follow every token, empty or not, until next is absent
      const tokens: string[] = [];
      const seen = [...first.ids];
      let next = first.next;
      let emptyPages = 0;
      while (next !== undefined) {
        tokens.push(next);
        const current = await page(next);
        if (current.ids.length === 0) emptyPages += 1;
        seen.push(...current.ids);
        next = current.next;
      }
      // Assess
      expect(emptyPages).toBe(3);
      expect(new Set(tokens).size).toBe(tokens.length);
      expect(new Set(seen).size).toBe(seen.length);
      expect([...seen].sort()).toEqual(truthIds());
    });
  });

  describe('emptyLastPageWithNext (a terminal empty page)', () => {
    it('puts next on the last data page; following it gives data [] and the same token back, every time', async () => {
      // Prepare
      await start({ emptyLastPageWithNext: true });
      const { events, lastToken: last } = await drainUntilEmpty();
      // Act: the token of the last data page, followed twice
      const tail1 = await page(last);
      const tail2 = await page(last);
      // Assess
      expect([...events].sort()).toEqual(truthIds());
      expect(last).toEqual(expect.any(String));
      expect(tail1).toEqual({ ids: [], next: last });
      expect(tail2).toEqual({ ids: [], next: last });
    });

    it('does the same for a search that fits in one page', async () => {
      // Prepare
      await start({ emptyLastPageWithNext: true });
      // Act
      const only = await page(undefined, 500, NOW - HOUR);
      const tail = await page(only.next, 500, NOW - HOUR);
      // Assess
      expect([...only.ids].sort()).toEqual(truthIds(NOW - HOUR));
      expect(only.next).toEqual(expect.any(String));
      expect(tail).toEqual({ ids: [], next: only.next });
    });
  });

  describe('emptyTailWithNewTokens (an endless chain)', () => {
    it('answers every follow-up of the last page with data [] and yet another new token', async () => {
      // Prepare
      await start({ emptyTailWithNewTokens: true });
      const only = await page(undefined, 500, NOW - HOUR);
      // Act
      const tokens = [only.next];
      for (let i = 0; i < 5; i += 1) {
        const tail = await page(tokens.at(-1), 500, NOW - HOUR);
        expect(tail.ids).toEqual([]);
        tokens.push(tail.next);
      }
      // Assess
      expect(tokens.every((t) => typeof t === 'string')).toBe(true);
      expect(new Set(tokens).size).toBe(tokens.length);
    });
  });

  describe('stuckRanges', () => {
    const stuck = { startMs: NOW - 3 * HOUR, endMs: NOW - 2 * HOUR };

    it('repeats the sent token as next on every page of a multi-page search overlapping the range', async () => {
      // Prepare
      await start({ stuckRanges: [stuck] });
      // Act
      const first = await page();
      const second = await page(first.next);
      const again = await page(second.next);
      // Assess
      expect(first.ids).toHaveLength(50);
      expect(first.next).toEqual(expect.any(String));
      expect(second.ids).toHaveLength(50); // the data still comes
      expect(second.next).toBe(first.next);
      expect(again.next).toBe(first.next);
      expect(again.ids).toEqual(second.ids);
    });

    it('leaves a search that fits in one page alone, even on a request that carries a token', async () => {
      // Prepare: an empty first page hands out a token for the top of a one-page search
      await start({ stuckRanges: [stuck] });
      const narrow = [stuck.startMs + 10 * 60_000, stuck.startMs + 20 * 60_000] as const;
      sim.scriptFaults({ fault: { type: 'empty_page' } });
      const empty = await page(undefined, 500, ...narrow);
      // Act
      const one = await page(empty.next, 500, ...narrow);
      // Assess
      expect(empty.next).toEqual(expect.any(String));
      expect(one.ids.length).toBeGreaterThan(0);
      expect([...one.ids].sort()).toEqual(truthIds(...narrow));
      expect(one.next).toBeUndefined(); // not the token sent: this search is not stuck
    });

    it('leaves multi-page searches alone that only touch the range', async () => {
      // Prepare
      await start({ stuckRanges: [stuck] });
      // Act
      const before = await drain(sim, () => bearer(token), START, stuck.startMs, { pageSize: 20 });
      // Assess
      expect(before.pages).toBeGreaterThan(1);
      expect(before.events.map((e) => String(e.id)).sort()).toEqual(truthIds(START, stuck.startMs));
    });

    it('can be set and cleared at run time', async () => {
      // Prepare
      await start();
      sim.setStuckRanges([stuck]);
      const first = await page();
      // Act
      const stuckPage = await page(first.next);
      sim.setStuckRanges([]);
      const freed = await page(first.next);
      // Assess
      expect(stuckPage.next).toBe(first.next);
      expect(freed.next).toEqual(expect.any(String));
      expect(freed.next).not.toBe(first.next);
      expect(() => sim.setStuckRanges([{ startMs: NOW, endMs: NOW - 1 }])).toThrow(RangeError);
    });
  });

  /** Follows tokens until an empty page; returns the ids seen and the `next` of the last data page. */
  async function drainUntilEmpty(): Promise<{ events: string[]; lastToken: string | undefined }> {
    const events: string[] = [];
    let lastToken: string | undefined;
    let current = await page();
    for (let guard = 0; guard < 1000; guard += 1) {
      events.push(...current.ids);
      if (current.ids.length === 0) return { events, lastToken };
      lastToken = current.next;
      current = await page(current.next);
    }
    throw new Error('no terminal empty page within 1000 pages');
  }
});
