/**
 * AWS calls that never answer, through the real collector handler and the real SDK: a hanging
 * proxy (real sockets) sits in front of one stand-in, the client timeouts come from the
 * collector's own AWS_* variables, and each run must end through the engine (error on the
 * cursor, lease released, summary logged) long before the invocation's budget, instead of
 * hanging until Lambda's timeout.
 */
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { cursorKey } from '#core/cursor/item.js';
import type { RunSummary } from '#core/sync/index.js';
import { parseMimecastTime } from '#core/time.js';
import { type MimecastSimulator, startMimecastSimulator } from '#local/mimecast-sim/index.js';
import { loadCollectorHandler } from '#test/support/collector-handler.js';
import { type HangingProxy, startHangingProxy } from '#test/support/hanging-proxy.js';
import { listKeys, type StandinsWithClients } from '#test/support/standins.js';
import { PREFIX, readArchive, startAws, wellFormedIds } from './harness.js';

const REQUEST_TIMEOUT_MS = 500;
const MAX_ATTEMPTS = 2;
/** Short client limits, so each hung call is given up within about a second. */
const SHORT_AWS_LIMITS = {
  AWS_CONNECT_TIMEOUT_MS: '250',
  AWS_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
  AWS_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
};
/** The invocation's budget (getRemainingTimeInMillis): what a hung call would otherwise use up. */
const BUDGET_MS = 120_000;
/** "Well before the budget": a hung run ends within this, or the test says it hung. */
const ENDS_WITHIN_MS = 15_000;

let aws: StandinsWithClients;
let documents: DynamoDBDocumentClient;
let sim: MimecastSimulator;
const proxies: HangingProxy[] = [];

beforeAll(async () => {
  aws = await startAws();
  documents = DynamoDBDocumentClient.from(aws.dynamodb);
  // The real handler uses the system clock, so the simulator does too.
  sim = await startMimecastSimulator({ seed: 29, eventsPerDay: 200 });
});
afterEach(async () => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  // Dropping the connections also ends any call still hanging if a test failed.
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});
afterAll(async () => {
  await sim.close();
  await aws.close();
});

/** A hanging proxy in front of the stand-in at `endpoint`, closed after the test. */
async function proxyFor(endpoint: string | undefined): Promise<HangingProxy> {
  if (endpoint === undefined) throw new Error('the stand-in has no endpoint');
  const proxy = await startHangingProxy(endpoint);
  proxies.push(proxy);
  return proxy;
}

/** The handler for a new source whose secret holds the simulator's credentials, with short AWS limits. */
async function loadHandler(overrides: Record<string, string>) {
  const loaded = await loadCollectorHandler(aws, {
    label: 'hung',
    overrides: { ...SHORT_AWS_LIMITS, ...overrides },
    budgetMs: BUDGET_MS,
  });
  aws.standins.putSecret(loaded.secretId, JSON.stringify(sim.secrets.oauth2));
  return loaded;
}

type Outcome = { summary: RunSummary; elapsedMs: number } | { error: unknown; elapsedMs: number };

/**
 * Runs one invocation; rejects if it is still running after ENDS_WITHIN_MS (without timeouts
 * that hold, the SDK would wait for the hung call forever).
 */
async function invokeTimed(invoke: () => Promise<RunSummary>): Promise<Outcome> {
  const started = performance.now();
  const run = invoke().then(
    (summary): Outcome => ({ summary, elapsedMs: performance.now() - started }),
    (error: unknown): Outcome => ({ error, elapsedMs: performance.now() - started }),
  );
  let watchdog: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    watchdog = setTimeout(
      () => reject(new Error(`the invocation was still running after ${ENDS_WITHIN_MS} ms`)),
      ENDS_WITHIN_MS,
    );
  });
  try {
    return await Promise.race([run, hung]);
  } finally {
    clearTimeout(watchdog);
  }
}

/** The failure of an outcome that must have failed. */
function failureOf(outcome: Outcome): unknown {
  if ('summary' in outcome)
    throw new Error(`expected the run to fail, it ended ${outcome.summary.stopReason}`);
  return outcome.error;
}

/** The summary of an outcome that must have succeeded. */
function summaryOf(outcome: Outcome): RunSummary {
  if ('error' in outcome) throw outcome.error;
  return outcome.summary;
}

/** `err`, its cause, the cause's cause, … */
function causeChain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = err; current !== undefined && chain.length < 10; ) {
    chain.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return chain;
}

/**
 * The SDK's own request-timeout error somewhere in the cause chain, after every allowed attempt:
 * the request timeout ended each attempt (not the socket idle timeout, which is set too).
 */
function expectRequestTimeoutCause(error: unknown): void {
  expect(causeChain(error)).toContainEqual(
    expect.objectContaining({
      name: 'TimeoutError',
      message: expect.stringContaining(`exceeded the configured ${REQUEST_TIMEOUT_MS} ms requestTimeout`),
      $metadata: expect.objectContaining({ attempts: MAX_ATTEMPTS }),
    }),
  );
}

/** The cursor item exactly as DynamoDB holds it (read directly, not through the proxy). */
async function cursorItem(sourceId: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await documents.send(
    new GetCommand({ TableName: aws.standins.table, Key: { pk: cursorKey(sourceId) }, ConsistentRead: true }),
  );
  return Item;
}

/** Captures what Powertools writes instead of printing it; returns the JSON log lines so far. */
function captureLogLines(): () => Array<Record<string, unknown>> {
  const chunks: string[] = [];
  const capture = ((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stdout.write;
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  return () =>
    chunks
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const summaryLines = (lines: Array<Record<string, unknown>>) =>
  lines.filter((line) => line.message === 'Collector run summary');

describe('collector handler when an AWS call never answers', () => {
  it('ends a run whose S3 PUTs hang as a storage failure, frees the lease, and the next run archives exactly once', async () => {
    // Prepare: every archive PUT of this source hangs; everything else reaches s3rver.
    const proxy = await proxyFor(aws.standins.env.AWS_ENDPOINT_URL_S3);
    const { sourceId, invoke } = await loadHandler({ AWS_ENDPOINT_URL_S3: proxy.endpoint });
    const sourcePath = `/${aws.standins.bucket}/${PREFIX}/source=${sourceId}/`;
    proxy.hang((request) => request.method === 'PUT' && request.pathname.startsWith(sourcePath));
    const logLines = captureLogLines();

    // Act
    const failed = await invokeTimed(invoke);

    // Assess: the engine ended the run, with the request timeout as the cause.
    const error = failureOf(failed);
    expect(error).toMatchObject({ name: 'SyncRunError', kind: 'storage' });
    expect((error as Error).message).toMatch(/TimeoutError/);
    expectRequestTimeoutCause(error);
    // Each attempt waited out its timeout, and no more attempts than allowed were made.
    expect(failed.elapsedMs).toBeGreaterThanOrEqual(MAX_ATTEMPTS * REQUEST_TIMEOUT_MS);
    const attemptsPerKey: Record<string, number> = {};
    for (const request of proxy.hung) {
      attemptsPerKey[request.pathname] = (attemptsPerKey[request.pathname] ?? 0) + 1;
    }
    expect(Object.keys(attemptsPerKey).length).toBeGreaterThan(0);
    expect(attemptsPerKey).toEqual(
      Object.fromEntries(Object.keys(attemptsPerKey).map((key) => [key, MAX_ATTEMPTS])),
    );

    const item = await cursorItem(sourceId);
    expect(item?.lastError).toMatchObject({ kind: 'storage' });
    expect(item?.lease).toBeUndefined();
    // Nothing with an event committed: the window waits as pending and S3 holds nothing of it. On
    // the real clock the backfill may begin with a short window that happens to be empty, which
    // commits without a PUT: the watermark may pass it, never the first event.
    const [firstEvent] = sim.groundTruth(new Date(String(item?.backfillFrom)), new Date());
    if (item?.watermark !== undefined) {
      expect(Date.parse(String(item.watermark))).toBeLessThanOrEqual(
        parseMimecastTime(firstEvent?.eventTime) ?? 0,
      );
    }
    expect(item?.pending).toBeDefined();
    expect(await listKeys(aws.s3, aws.standins.bucket, `${PREFIX}/source=${sourceId}/`)).toEqual([]);
    expect(summaryLines(logLines())).toEqual([
      expect.objectContaining({ level: 'ERROR', stopReason: 'error', errorKind: 'storage' }),
    ]);

    // Act: S3 answers again; the next scheduled run comes at once.
    proxy.stopHanging();
    const hungBefore = proxy.hung.length;
    const summary = summaryOf(await invokeTimed(invoke));

    // Assess: it took the lease (not lease_held), redid the window and caught up, exactly once.
    expect(summary.stopReason).toBe('caught_up');
    expect(summary.windows).toBeGreaterThan(0);
    expect(proxy.hung).toHaveLength(hungBefore);
    const after = await cursorItem(sourceId);
    expect(after?.lastError).toBeUndefined();
    expect(after?.lease).toBeUndefined();
    const truth = wellFormedIds(
      sim.groundTruth(new Date(String(after?.backfillFrom)), new Date(String(after?.watermark))),
    );
    const archive = await readArchive(aws, sourceId);
    expect(new Set(archive.ids).size, 'no id is archived twice').toBe(archive.ids.length);
    expect([...archive.ids].sort()).toEqual([...truth].sort());
  });

  it('ends a run whose DynamoDB calls hang after the lease was taken, though the lease then stays held', async () => {
    // Prepare: the first cursor call (the engine's lease acquisition) reaches dynalite; every
    // later one hangs, as if DynamoDB stopped answering mid-run.
    const proxy = await proxyFor(aws.standins.env.AWS_ENDPOINT_URL_DYNAMODB);
    const { sourceId, invoke } = await loadHandler({ AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint });
    let calls = 0;
    proxy.hang(() => {
      calls += 1;
      return calls > 1;
    });
    const logLines = captureLogLines();

    // Act
    const failed = await invokeTimed(invoke);

    // Assess: a clear cursor failure, and the summary is still logged.
    const error = failureOf(failed);
    expect(error).toMatchObject({ name: 'SyncRunError', kind: 'cursor' });
    expect((error as Error).message).toMatch(/TimeoutError/);
    expectRequestTimeoutCause(error);
    expect(failed.elapsedMs).toBeGreaterThanOrEqual(MAX_ATTEMPTS * REQUEST_TIMEOUT_MS);
    expect(summaryLines(logLines())).toEqual([
      expect.objectContaining({ level: 'ERROR', stopReason: 'error', errorKind: 'cursor' }),
    ]);
    expect(proxy.hung.length).toBeGreaterThanOrEqual(MAX_ATTEMPTS);
    expect(proxy.hung.every((request) => request.target === 'DynamoDB_20120810.UpdateItem')).toBe(true);

    // What is true when the cursor store itself hangs: the engine's recordError and releaseLease
    // go to the same silent DynamoDB, so they time out too (the engine logs and swallows that).
    // The item therefore still holds this run's lease, carries no lastError, and the pending
    // window was never saved. The lease ends on its own at expiresAt (the invocation's budget
    // plus the engine's grace period), which is what stops a second run from starting before.
    const item = await cursorItem(sourceId);
    expect(item?.lease).toMatchObject({ owner: expect.any(String), expiresAt: expect.any(String) });
    expect(
      Date.parse(String((item?.lease as { expiresAt?: unknown } | undefined)?.expiresAt)),
    ).toBeGreaterThan(Date.now());
    expect(item?.lastError).toBeUndefined();
    expect(item?.pending).toBeUndefined();

    // Act: DynamoDB answers again, and the next run comes at once.
    proxy.stopHanging();
    const next = summaryOf(await invokeTimed(invoke));

    // Assess: it steps aside until the stranded lease expires.
    expect(next.stopReason).toBe('lease_held');
  });

  it('ends a run whose Secrets Manager GetSecretValue hangs as a credentials failure and frees the lease', async () => {
    // Prepare
    const proxy = await proxyFor(aws.standins.env.AWS_ENDPOINT_URL_SECRETS_MANAGER);
    const { sourceId, invoke } = await loadHandler({ AWS_ENDPOINT_URL_SECRETS_MANAGER: proxy.endpoint });
    proxy.hang((request) => request.target === 'secretsmanager.GetSecretValue');
    const logLines = captureLogLines();

    // Act
    const failed = await invokeTimed(invoke);

    // Assess
    const error = failureOf(failed);
    expect(error).toMatchObject({ name: 'SyncRunError', kind: 'credentials' });
    expect((error as Error).message).toMatch(/Could not read the Mimecast secret .*TimeoutError/);
    expectRequestTimeoutCause(error);
    expect(failed.elapsedMs).toBeGreaterThanOrEqual(MAX_ATTEMPTS * REQUEST_TIMEOUT_MS);
    // One GetSecretValue call, cut off after its attempts.
    expect(proxy.hung).toHaveLength(MAX_ATTEMPTS);
    const item = await cursorItem(sourceId);
    expect(item?.lastError).toMatchObject({ kind: 'credentials' });
    expect(item?.lease).toBeUndefined();
    expect(item?.watermark).toBeUndefined();
    expect(summaryLines(logLines())).toEqual([
      expect.objectContaining({ level: 'ERROR', stopReason: 'error', errorKind: 'credentials' }),
    ]);
  });
});
