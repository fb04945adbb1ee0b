/**
 * Shared set-up for the client-over-HTTP tests: a Mimecast simulator and a client that share
 * one test clock. Retry waits are recorded and "taken" by advancing that clock, so tests are
 * fast and deterministic and can assert exactly which waits happened.
 */
import { createMimecastClient, type MimecastClientOptions } from '#core/mimecast/client.js';
import { isMimecastError, type MimecastError } from '#core/mimecast/errors.js';
import { parseMimecastSecret } from '#core/mimecast/secret.js';
import type { MimecastClient, RawAuditEvent, RetryWait } from '#core/mimecast/types.js';
import type { Sleep } from '#core/ports.js';
import type { MimecastSimulator, SimEndpoint, SimulatorOptions } from '#local/mimecast-sim/api.js';
import { startMimecastSimulator } from '#local/mimecast-sim/index.js';
import { createTestClock, type TestClock } from '#test/support/clock.js';

/** The simulator's and client's "now" at the start of every test. */
export const T0 = Date.UTC(2026, 2, 10, 12, 0, 0);
export const HOUR = 3_600_000;

export type AuthMode = 'oauth2' | 'hmac';

/** Everything a test needs. */
export interface Rig {
  sim: MimecastSimulator;
  client: MimecastClient;
  clock: TestClock;
  /** Waits passed to the client's sleep, in order. */
  sleeps: number[];
  /** What onWait reported, in order. */
  waits: RetryWait[];
  /** A deadline far enough away not to matter. */
  deadline: () => number;
  /** The simulator's records for one endpoint. */
  requestsTo: (endpoint: SimEndpoint) => ReturnType<MimecastSimulator['requests']>;
}

export interface RigOptions {
  sim?: Omit<SimulatorOptions, 'clock'>;
  client?: Omit<MimecastClientOptions, 'clock' | 'sleep' | 'onWait'>;
  /** A separate clock for the client (to simulate skew); default: the simulator's. */
  clientClock?: TestClock;
}

/** Starts a simulator and a client for `mode`. Call `rig.sim.close()` when done. */
export async function startRig(mode: AuthMode, options: RigOptions = {}): Promise<Rig> {
  const clock = createTestClock(T0);
  const clientClock = options.clientClock ?? clock;
  const sim = await startMimecastSimulator({
    seed: 7,
    eventsPerDay: 480,
    rateLimit: false,
    ...options.sim,
    clock,
  });
  const sleeps: number[] = [];
  const waits: RetryWait[] = [];
  // Taking a wait = advancing the shared clocks by it; nothing else is synchronised by this.
  const sleep: Sleep = async (ms) => {
    sleeps.push(ms);
    clock.advance(ms);
    if (clientClock !== clock) clientClock.advance(ms);
  };
  const secret = parseMimecastSecret(JSON.stringify(sim.secrets[mode]));
  const client = createMimecastClient(secret, {
    random: () => 0.5,
    requestTimeoutMs: 5_000,
    ...options.client,
    clock: clientClock,
    sleep,
    onWait: (wait) => waits.push(wait),
  });
  return {
    sim,
    client,
    clock,
    sleeps,
    waits,
    deadline: () => clientClock.now() + 10 * 60_000,
    requestsTo: (endpoint) => sim.requests().filter((r) => r.endpoint === endpoint),
  };
}

/** The error a promise rejects with; fails the test if it resolves or rejects with a non-Mimecast error. */
export async function mimecastFailure(promise: Promise<unknown>): Promise<MimecastError> {
  try {
    await promise;
  } catch (err: unknown) {
    if (isMimecastError(err)) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

/** Drains the page iterator, returning every event and the number of pages seen. */
export async function drain(
  client: MimecastClient,
  start: Date,
  end: Date,
  deadline: number,
  pageSize?: number,
): Promise<{ events: RawAuditEvent[]; pages: number }> {
  const events: RawAuditEvent[] = [];
  let pages = 0;
  for await (const page of client.auditEventPages({ start, end, pageSize }, { deadline })) {
    pages++;
    events.push(...page.events);
  }
  return { events, pages };
}

/** Sorted ids, for exactly-once comparisons (duplicates stay visible). */
export const idsOf = (events: readonly RawAuditEvent[]): string[] => events.map((e) => String(e.id)).sort();
