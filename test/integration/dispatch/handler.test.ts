/**
 * The dispatcher Lambda entry point: its environment pointed at dynalite (the registry) and at a
 * Lambda Invoke stand-in, so the real DynamoDBClient and LambdaClient make real calls.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DispatchSummary } from '#core/dispatch/dispatcher.js';
import { slotStart } from '#core/dispatch/slots.js';
import { DynamoSourceRegistry } from '#core/registry/dynamo-registry.js';
import { createLocalContext } from '#local/runtime/lambda-context.js';
import { captureOutput, emfBlobs } from '#test/support/collector-handler.js';
import type { StandinsWithClients } from '#test/support/standins.js';
import { startAws } from '../collector/harness.js';
import { testSource } from './fleet.js';
import { type LambdaStandin, startLambdaStandin } from './lambda-standin.js';

const COLLECTOR = 'mimecast-audit-collector-fleet';

let aws: StandinsWithClients;
let lambda: LambdaStandin;
let registry: DynamoSourceRegistry;
/** Sources whose invocation the stand-in answers with something other than 202. */
const answers = new Map<string, { status: number; errorType?: string; body?: string }>();

beforeAll(async () => {
  aws = await startAws();
  registry = new DynamoSourceRegistry(aws.dynamodb, aws.standins.table);
  lambda = await startLambdaStandin((invocation) => {
    const sourceId = (invocation.payload as { sourceId?: string } | undefined)?.sourceId ?? '';
    return answers.get(sourceId);
  });
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});
afterAll(async () => {
  await lambda.close();
  await aws.close();
});

/** A fresh id whose hourly slot does not change in the 5 minutes after `nowMs`. */
function idWithNoSlotStartSoon(label: string, nowMs: number): string {
  for (;;) {
    const id = `handler-${label}-${randomUUID().slice(0, 8)}`;
    if (slotStart(id, 60, nowMs) === slotStart(id, 60, nowMs + 5 * 60_000)) return id;
  }
}

/** Sets the dispatcher's environment and loads a fresh copy of the handler (it reads the environment once). */
async function loadHandler(overrides: Record<string, string> = {}) {
  const env: Record<string, string> = {
    ...aws.standins.env,
    AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
    COLLECTOR_FUNCTION_NAME: COLLECTOR,
    POWERTOOLS_LOG_LEVEL: 'INFO',
    ...overrides,
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  vi.resetModules();
  return import('../../../functions/dispatcher/handler.js');
}

describe('dispatcher handler (the Lambda entry point)', () => {
  it('invokes the collector asynchronously once per due source, meters failures per source and logs one summary', async () => {
    // Prepare: five sources, one disabled; Lambda answers one invocation 200 (not accepted as an
    // event) and one with ResourceNotFoundException. The handler reads the system clock, so the
    // sources are hourly ones whose next slot is more than 5 minutes away: both ticks below
    // fall in one slot whenever the test runs.
    const before = Date.now();
    const ids = ['a', 'b', 'c', 'd'].map((label) => idWithNoSlotStartSoon(label, before));
    const [, , notAccepted, missing] = ids as [string, string, string, string];
    const off = idWithNoSlotStartSoon('off', before);
    const now = new Date(before).toISOString();
    for (const id of ids) await registry.add(testSource(id, { scheduleMinutes: 60 }), now);
    await registry.add(testSource(off, { enabled: false, scheduleMinutes: 60 }), now);
    answers.set(notAccepted, { status: 200, body: '{}' });
    answers.set(missing, {
      status: 404,
      errorType: 'ResourceNotFoundException',
      body: '{"Type":"User","message":"Function not found"}',
    });
    const module = await loadHandler({ DISPATCH_CONCURRENCY: '2' });
    const output = captureOutput();

    // Act
    const summary: DispatchSummary = await module.handler(
      { source: 'aws.events', 'detail-type': 'Scheduled Event' },
      createLocalContext('dispatcher', 60_000).context,
    );
    const again: DispatchSummary = await module.dispatch(
      {},
      createLocalContext('dispatcher', 60_000).context,
    );

    // Assess: the invocations Lambda saw.
    const seen = lambda.received.filter((r) => ids.includes((r.payload as { sourceId: string }).sourceId));
    expect(
      seen.map((r) => (r.payload as { sourceId: string }).sourceId).sort(),
      JSON.stringify(lambda.received),
    ).toEqual([...ids].sort());
    for (const invocation of seen) {
      expect(invocation).toMatchObject({ functionName: COLLECTOR, invocationType: 'Event' });
      expect(Object.keys(invocation.payload as object)).toEqual(['sourceId']);
    }
    expect(summary).toMatchObject({ sources: 5, disabled: 1, due: 4, dispatched: 2, failed: 2 });
    expect(summary.failures.map((f) => [f.sourceId, f.stage]).sort()).toEqual(
      [
        [notAccepted, 'invoke'],
        [missing, 'invoke'],
      ].sort(),
    );
    expect(summary.failures.find((f) => f.sourceId === notAccepted)?.error).toContain('not 202');
    expect(summary.failures.find((f) => f.sourceId === missing)?.error).toContain(
      'ResourceNotFoundException',
    );
    // The next tick (same slot) finds every source recorded: nothing is invoked twice.
    expect(again).toMatchObject({ due: 0, dispatched: 0 });
    expect(lambda.received).toHaveLength(4);
    const recordedAt = Date.parse((await registry.get(ids[0] ?? ''))?.lastDispatchedAt ?? '');
    expect(recordedAt).toBeGreaterThanOrEqual(before);
    expect(recordedAt).toBeLessThanOrEqual(Date.now());
    expect((await registry.get(off))?.lastDispatchedAt).toBeUndefined();

    // Logs: each failure with its source id, then one summary line per run.
    const lines = output.lines();
    const failures = lines.filter((l) => l.message === 'Dispatch failed');
    expect(failures.map((l) => l.sourceId).sort()).toEqual([notAccepted, missing].sort());
    const summaries = lines.filter((l) => l.message === 'Dispatch run summary');
    expect(summaries[0]).toMatchObject({ level: 'WARN', due: 4, dispatched: 2, failed: 2 });

    // Metrics: fleet totals without dimensions, DispatchFailures with Source alone.
    const blobs = emfBlobs(lines) as Array<{
      _aws: {
        CloudWatchMetrics: Array<{
          Namespace: string;
          Dimensions: string[][];
          Metrics: Array<{ Name: string }>;
        }>;
      };
      [key: string]: unknown;
    }>;
    const directives = blobs.flatMap((b) => b._aws.CloudWatchMetrics.map((d) => ({ blob: b, directive: d })));
    const named = (name: string) =>
      directives.filter((d) => d.directive.Metrics.some((m) => m.Name === name));
    expect(named('SourcesDue')[0]?.blob.SourcesDue).toBe(4);
    expect(named('SourcesDue')[0]?.directive).toMatchObject({ Namespace: 'MimecastAuditLake' });
    expect(named('SourcesDue')[0]?.directive.Dimensions.flat()).toEqual([]);
    expect(named('SourcesDispatched')[0]?.blob.SourcesDispatched).toBe(2);
    const perSource = named('DispatchFailures');
    expect(perSource.map((d) => d.blob.Source).sort()).toEqual([notAccepted, missing].sort());
    for (const d of perSource) expect(d.directive.Dimensions).toEqual([['Source']]);
  });

  it('refuses an invalid environment on every invocation, naming the variable', async () => {
    const module = await loadHandler({ DISPATCH_CONCURRENCY: '500' });
    captureOutput();
    await expect(module.dispatch({}, createLocalContext('dispatcher', 60_000).context)).rejects.toThrow(
      /DISPATCH_CONCURRENCY/,
    );
  });
});
