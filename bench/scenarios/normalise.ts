/**
 * Benchmark 10: normalisation cost per event (issue 14), in this process. The simulator's events
 * of a few days at the benchmark density are (a) parsed from their JSON text (the baseline: what
 * receiving an event costs at least), (b) normalised into archive records (the collector's work per
 * event: fields, `eventInfo` parsing into `details`), and (c) normalised and mapped to OCSF (the
 * compactor's extra work for the OCSF copy). Best of 5 rounds each, in µs per event.
 */
import { performance } from 'node:perf_hooks';
import { normaliseEvent } from '#core/archive/normalise.js';
import type { RawAuditEvent } from '#core/mimecast/types.js';
import { toOcsf } from '#core/ocsf/map.js';
import { startMimecastSimulator } from '#local/mimecast-sim/index.js';
import { EVENTS_PER_DAY, NORMALISE, SEED, SIM_EPOCH_MS } from '../config.js';
import { notMeasured, type Row } from '../lib/report.js';
import { round } from '../lib/stats.js';
import type { ScenarioContext } from './context.js';

const DAY_MS = 86_400_000;
const CONTEXT = { source: 'bench', collectedAt: '2026-01-15T00:00:00Z' };

/** Best of `rounds` runs of `body` over `n` events, in µs per event. */
function bestMicros(n: number, rounds: number, body: () => number): { micros: number; check: number } {
  let best = Number.POSITIVE_INFINITY;
  let check = 0;
  for (let r = 0; r < rounds; r++) {
    const started = performance.now();
    check = body();
    best = Math.min(best, performance.now() - started);
  }
  return { micros: (best * 1000) / n, check };
}

/** Runs benchmark 10. */
export async function runNormalise(ctx: ScenarioContext): Promise<{ rows: Row[] }> {
  const name = 'Normalisation cost per event';
  const target = 'informative (collector throughput is #1)';
  try {
    const end = Math.floor(SIM_EPOCH_MS / DAY_MS) * DAY_MS;
    const sim = await startMimecastSimulator({
      seed: SEED,
      eventsPerDay: EVENTS_PER_DAY,
      rateLimit: false,
      clock: { now: () => end + DAY_MS },
      historyDays: NORMALISE.days + 2,
    });
    let texts: string[];
    try {
      texts = sim
        .groundTruth(new Date(end - NORMALISE.days * DAY_MS), new Date(end))
        .map((e) => JSON.stringify(e));
    } finally {
      await sim.close();
    }
    ctx.progress(`10: ${texts.length.toLocaleString('en-US')} events × ${NORMALISE.rounds} rounds`);
    const events = texts.map((t) => JSON.parse(t) as RawAuditEvent);
    const parse = bestMicros(texts.length, NORMALISE.rounds, () => {
      let n = 0;
      for (const text of texts) n += (JSON.parse(text) as RawAuditEvent).id === undefined ? 0 : 1;
      return n;
    });
    const normalise = bestMicros(events.length, NORMALISE.rounds, () => {
      let n = 0;
      for (const event of events) n += normaliseEvent(event, CONTEXT).ok ? 1 : 0;
      return n;
    });
    const withOcsf = bestMicros(events.length, NORMALISE.rounds, () => {
      let n = 0;
      for (const event of events) {
        const result = normaliseEvent(event, CONTEXT);
        if (result.ok) n += toOcsf(result.record, {}).class_uid >= 0 ? 1 : 0;
      }
      return n;
    });
    if (normalise.check !== withOcsf.check) throw new Error('OCSF mapping dropped events');
    const ocsfOnly = withOcsf.micros - normalise.micros;
    return {
      rows: [
        {
          id: '10',
          name,
          measured: `normalise ${round(normalise.micros, 2)} µs (${round(normalise.micros / parse.micros, 2)}× JSON.parse); with OCSF ${round(withOcsf.micros, 2)} µs (+${round(ocsfOnly, 2)} µs)`,
          baseline: `JSON.parse of the event ${round(parse.micros, 2)} µs`,
          target,
          verdict: 'info',
          note: `${events.length.toLocaleString('en-US')} simulator events, best of ${NORMALISE.rounds}`,
          figures: {
            events: events.length,
            parseMicros: round(parse.micros, 3),
            normaliseMicros: round(normalise.micros, 3),
            normaliseAndOcsfMicros: round(withOcsf.micros, 3),
          },
        },
      ],
    };
  } catch (err: unknown) {
    return { rows: [notMeasured('10', name, target, err)] };
  }
}
