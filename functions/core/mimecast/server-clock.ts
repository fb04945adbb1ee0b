/**
 * How far Mimecast's clock is from ours, estimated from the `Date` header of its answers. The
 * 60-day history floor and "which events exist yet" are decided on Mimecast's clock, so a
 * collector whose own clock is off needs this to stay inside both.
 */
import type { Clock } from '../ports.js';
import type { FetchLike } from './http.js';

/** Samples kept: enough for a median to shrug off a few slow answers, few enough to follow a clock change. */
export const SERVER_CLOCK_SAMPLES = 15;

// IMF-fixdate (RFC 9110 §5.6.7), what current servers send. Date.parse alone would accept
// nearly anything ("2026", "1 2 3") and turn a junk header into a wrong offset.
const IMF_FIXDATE =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** Epoch ms of an HTTP `Date` header value, or `undefined` when it is absent or not an IMF-fixdate. */
export function parseHttpDate(value: string | null | undefined): number | undefined {
  const trimmed = value?.trim();
  if (!trimmed || !IMF_FIXDATE.test(trimmed)) return undefined;
  const ms = Date.parse(trimmed);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * A running estimate of `server clock − local clock`: the median of the last
 * SERVER_CLOCK_SAMPLES samples, each `Date − local receive time`. The header has one-second
 * resolution (truncated) and is stamped before the answer travels, so a sample reads low by up
 * to a second plus the one-way latency: callers that need the server's "now" keep a margin.
 */
export class ServerClockEstimator {
  private readonly samples: number[] = [];

  constructor(private readonly clock: Clock) {}

  /** Records one answer's `Date` header (ignored when unparseable), received now by the local clock. */
  observe(dateHeader: string | null | undefined): void {
    const serverMs = parseHttpDate(dateHeader);
    if (serverMs === undefined) return;
    this.samples.push(serverMs - this.clock.now());
    if (this.samples.length > SERVER_CLOCK_SAMPLES) this.samples.shift();
  }

  /** The current estimate in ms (positive: the server is ahead), or `undefined` before any sample. */
  offsetMs(): number | undefined {
    const sorted = [...this.samples].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    const upper = sorted[mid];
    if (upper === undefined) return undefined;
    if (sorted.length % 2 === 1) return upper;
    return ((sorted[mid - 1] ?? upper) + upper) / 2;
  }

  /** Wraps a fetch so that every answer (any endpoint, any status) feeds the estimate. */
  wrap(fetchFn: FetchLike): FetchLike {
    return async (input, init) => {
      const response = await fetchFn(input, init);
      // Headers have arrived: this is the receive time the sample is taken against.
      this.observe(response.headers.get('date'));
      return response;
    };
  }
}
