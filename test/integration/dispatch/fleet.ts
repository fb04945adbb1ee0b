/**
 * A fleet under test: the real DynamoSourceRegistry on dynalite, secrets in the Secrets Manager
 * stand-in, and an in-process collector invoker that, for each invoked source id, does what the
 * fleet collector does with `{"sourceId"}`: reads the source's registry item, reads its secret,
 * builds a Mimecast client over HTTP to the simulator and runs the real sync engine with the
 * item's settings against the real cursor table and S3 stand-in.
 *
 * The invoke resolves when the run has finished (and throws when it failed): stricter than
 * Lambda's `Event` invocation, which answers 202 at once, so a dispatcher that keeps sources
 * apart here keeps them apart in Lambda too.
 */
import { randomUUID } from 'node:crypto';
import { S3ObjectStore } from '#core/archive/s3-object-store.js';
import { DynamoCursorStore } from '#core/cursor/dynamo-cursor-store.js';
import type { CollectorInvoker, DispatcherDeps, DispatchMetrics } from '#core/dispatch/dispatcher.js';
import { createMimecastClient } from '#core/mimecast/index.js';
import { parseMimecastSecret } from '#core/mimecast/secret.js';
import type { DispatcherMetricName } from '#core/observability.js';
import type { Sleep } from '#core/ports.js';
import type { DynamoSourceRegistry } from '#core/registry/dynamo-registry.js';
import type { SourceConfig, SourceConfigInput } from '#core/registry/source-config.js';
import { readSecretText } from '#core/secrets.js';
import { type RunSummary, runSync } from '#core/sync/index.js';
import type { TestClock } from '#test/support/clock.js';
import { RecordingLogger, RecordingMetrics } from '#test/support/fakes.js';
import type { StandinsWithClients } from '#test/support/standins.js';
import { ampleBudget, testSettings } from '../collector/harness.js';

/** What one invocation did. */
export type RunOutcome = { ok: true; summary: RunSummary } | { ok: false; error: unknown };

/** Per-source seams of the in-process collector. */
export interface CollectorHooks {
  /** How the source's Mimecast client takes its retry waits (default: a real, short timer). */
  sleepFor?(sourceId: string): Sleep | undefined;
  /** Throw instead of running (as Lambda rejecting the invocation would). */
  rejectInvoke?(sourceId: string): Error | undefined;
  /** Called when an invocation has finished, either way. */
  onFinished?(sourceId: string, outcome: RunOutcome): void;
}

/** The in-process stand-in for the collector function. */
export class InProcessCollector implements CollectorInvoker {
  /** Invocations per source id. */
  readonly invocations = new Map<string, number>();
  /** Each source's outcomes, in order. */
  readonly outcomes = new Map<string, RunOutcome[]>();
  private inFlight = 0;
  /** The most invocations that were running at once. */
  maxInFlight = 0;

  constructor(
    private readonly aws: StandinsWithClients,
    private readonly registry: DynamoSourceRegistry,
    private readonly clock: TestClock,
    private readonly hooks: CollectorHooks = {},
  ) {}

  async invoke(sourceId: string): Promise<void> {
    this.invocations.set(sourceId, (this.invocations.get(sourceId) ?? 0) + 1);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    let outcome: RunOutcome;
    try {
      outcome = { ok: true, summary: await this.run(sourceId) };
    } catch (error: unknown) {
      outcome = { ok: false, error };
    } finally {
      this.inFlight -= 1;
    }
    this.outcomes.set(sourceId, [...(this.outcomes.get(sourceId) ?? []), outcome]);
    this.hooks.onFinished?.(sourceId, outcome);
    if (!outcome.ok) throw outcome.error;
  }

  /** Invocations in total. */
  total(): number {
    return [...this.invocations.values()].reduce((sum, n) => sum + n, 0);
  }

  private async run(sourceId: string): Promise<RunSummary> {
    const rejected = this.hooks.rejectInvoke?.(sourceId);
    if (rejected) throw rejected;
    const config = await this.registry.get(sourceId);
    if (!config) throw new Error(`no registry item for ${sourceId}`);
    const secret = parseMimecastSecret(await readSecretText(this.aws.secrets, config.secretId));
    const client = createMimecastClient(secret, {
      clock: this.clock,
      requestTimeoutMs: 2_000,
      retry: { baseDelayMs: 5, maxDelayMs: 40, maxAttempts: 6 },
      sleep: this.hooks.sleepFor?.(sourceId),
    });
    return runSync(
      {
        client,
        objects: new S3ObjectStore(this.aws.s3, this.aws.standins.bucket),
        cursor: new DynamoCursorStore(this.aws.dynamodb, this.aws.standins.table),
        clock: this.clock,
        log: new RecordingLogger(),
        metrics: new RecordingMetrics(),
        owner: `dispatch-test-${randomUUID()}`,
      },
      settingsOf(config),
      ampleBudget,
    );
  }
}

/** The engine settings of a registry item (the item's fields over the test defaults). */
export function settingsOf(config: SourceConfig) {
  return testSettings(config.sourceId, {
    LOOKBACK_DAYS: config.lookbackDays,
    SETTLE_SECONDS: config.settleSeconds,
    RESCAN_AFTER_SECONDS: config.rescanAfterSeconds,
    // One window per day and one page per window: 60 runs stay well under a few seconds.
    MAX_WINDOW_SECONDS: 86_400,
    PAGE_SIZE: 500,
  });
}

/** A registry item for a test source: one day of backfill, no rescans. */
export const testSource = (
  sourceId: string,
  overrides: Partial<SourceConfigInput> = {},
): SourceConfigInput => ({
  sourceId,
  secretId: `mimecast-audit-lake/${sourceId}`,
  scheduleMinutes: 5,
  lookbackDays: 1,
  settleSeconds: 300,
  rescanAfterSeconds: [],
  ...overrides,
});

/** Records the dispatcher's metrics. */
export class RecordingDispatchMetrics implements DispatchMetrics {
  readonly values: Array<{ name: DispatcherMetricName; value: number; sourceId: string | undefined }> = [];
  count(name: DispatcherMetricName, value: number, sourceId?: string): void {
    this.values.push({ name, value, sourceId });
  }
}

/** Dispatcher deps over the real registry, with recording log and metrics. */
export function dispatcherDeps(
  registry: DispatcherDeps['registry'],
  invoker: CollectorInvoker,
  clock: TestClock,
): DispatcherDeps & { lines: RecordingLogger; recorded: RecordingDispatchMetrics } {
  const lines = new RecordingLogger();
  const recorded = new RecordingDispatchMetrics();
  return { registry, invoker, clock, log: lines, metrics: recorded, lines, recorded };
}

/** A promise with its resolve function outside (for gates and barriers). */
export function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
