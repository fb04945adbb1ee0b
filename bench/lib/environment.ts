/**
 * The benchmark's outside world, run in the parent process: the Mimecast simulator and the AWS
 * stand-ins (s3rver, dynalite, Secrets Manager). The measured code runs in child processes
 * pointed at them through the standard AWS_ENDPOINT_URL_* variables.
 */

import type { MimecastSimulator, SimulatorOptions } from '#local/mimecast-sim/index.js';
import { startMimecastSimulator } from '#local/mimecast-sim/index.js';
import { type Standins, startStandins } from '#local/standins/index.js';
import type { SharedClock } from '../child/protocol.js';
import { EVENTS_PER_DAY, SEED, SIM_EPOCH_MS } from '../config.js';

/** A running simulator + stand-ins with the clock they share with the children. */
export interface BenchEnvironment {
  sim: MimecastSimulator;
  standins: Standins;
  clock: SharedClock;
  /** The simulator's OAuth 2.0 secret JSON (generated test credentials). */
  secretJson: string;
  close(): Promise<void>;
}

/** Starts the simulator (seeded, on the shared simulated clock) and the stand-ins. */
export async function startBenchEnvironment(
  options: Partial<SimulatorOptions> = {},
): Promise<BenchEnvironment> {
  const clock: SharedClock = { simEpochMs: SIM_EPOCH_MS, realStartMs: Date.now() };
  const offset = clock.simEpochMs - clock.realStartMs;
  const standins = await startStandins();
  let sim: MimecastSimulator;
  try {
    sim = await startMimecastSimulator({
      seed: SEED,
      eventsPerDay: EVENTS_PER_DAY,
      rateLimit: false,
      pageLatencyMs: 0,
      clock: { now: () => Date.now() + offset },
      ...options,
    });
  } catch (err: unknown) {
    await standins.close();
    throw err;
  }
  return {
    sim,
    standins,
    clock,
    secretJson: JSON.stringify(sim.secrets.oauth2),
    close: async () => {
      await Promise.allSettled([sim.close(), standins.close()]);
    },
  };
}

/** Current simulated time of an environment. */
export function simNow(clock: SharedClock): number {
  return Date.now() + clock.simEpochMs - clock.realStartMs;
}
