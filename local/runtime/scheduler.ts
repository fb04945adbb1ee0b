/**
 * The local stand-in for the EventBridge schedule: invokes the collector handler with a fresh
 * Lambda-like context per run, either on an interval or (`--once`) back to back until caught up.
 * A stop request (Ctrl-C) makes the current run's remaining time zero, so it finishes the
 * window in hand and returns; no further run starts.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Context } from 'aws-lambda';
import type { RunSummary } from '#core/sync/index.js';
import { createLocalContext } from './lambda-context.js';

/** The collector handler as `npm start` calls it. */
export type CollectorHandler = (event: unknown, context: Context) => Promise<RunSummary>;

/** How to loop. */
export interface SchedulerOptions {
  handler: CollectorHandler;
  /** Run back to back until a run reports `caught_up`, then return. */
  once: boolean;
  intervalMs: number;
  /** Aborted when the user asks to stop. */
  signal: AbortSignal;
  /** Called before each run (e.g. to start showing its progress). */
  beforeRun?: (run: number) => Promise<void>;
  /** Called after each run (saves the cursor, prints progress). */
  afterRun: (outcome: RunOutcome) => Promise<void>;
  /** `--once` gives up after this many runs (a guard against a run that never catches up). */
  maxRuns?: number;
}

/** One invocation's result. */
export type RunOutcome =
  | { run: number; ok: true; summary: RunSummary; elapsedMs: number }
  | { run: number; ok: false; error: unknown; elapsedMs: number };

/** What the loop ended with. */
export interface SchedulerResult {
  runs: number;
  failures: number;
  caughtUp: boolean;
}

/** A minimal EventBridge scheduled event (the collector ignores its content). */
function scheduledEvent(): Record<string, unknown> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: new Date().toISOString(),
    region: 'local',
    resources: [],
    detail: {},
  };
}

/** Runs the schedule until stopped (or, with `once`, until caught up or a run fails). */
export async function runSchedule(options: SchedulerOptions): Promise<SchedulerResult> {
  const maxRuns = options.maxRuns ?? 1_000;
  let runs = 0;
  let failures = 0;
  while (!options.signal.aborted) {
    runs += 1;
    await options.beforeRun?.(runs);
    const local = createLocalContext('mimecast-audit-collector');
    const onStop = () => local.expire();
    options.signal.addEventListener('abort', onStop, { once: true });
    const started = Date.now();
    let outcome: RunOutcome;
    try {
      const summary = await options.handler(scheduledEvent(), local.context);
      outcome = { run: runs, ok: true, summary, elapsedMs: Date.now() - started };
    } catch (error: unknown) {
      failures += 1;
      outcome = { run: runs, ok: false, error, elapsedMs: Date.now() - started };
    } finally {
      options.signal.removeEventListener('abort', onStop);
    }
    await options.afterRun(outcome);

    if (options.once) {
      if (!outcome.ok) return { runs, failures, caughtUp: false };
      if (outcome.summary.stopReason === 'caught_up') return { runs, failures, caughtUp: true };
      if (runs >= maxRuns) return { runs, failures, caughtUp: false };
      continue;
    }
    try {
      await delay(options.intervalMs, undefined, { signal: options.signal });
    } catch {
      // Aborted: the loop condition ends it.
    }
  }
  return { runs, failures, caughtUp: false };
}
