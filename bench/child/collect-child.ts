/**
 * Benchmark child: one collector run as the Lambda does it (runSync with the real Mimecast
 * client, S3ObjectStore over the S3 SDK and DynamoCursorStore over the DynamoDB SDK, clients
 * configured from AWS_ENDPOINT_URL_* like in Lambda). Two thin counting wrappers record the
 * searches made (for the fetch-only replay) and the bytes read and written.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '#core/archive/s3-object-store.js';
import { DynamoCursorStore } from '#core/cursor/dynamo-cursor-store.js';
import { createMimecastClient, parseMimecastSecret } from '#core/mimecast/index.js';
import type { AuditEventPage, MimecastClient } from '#core/mimecast/types.js';
import type { CursorStore, ObjectStore } from '#core/ports.js';
import { noMetrics, runSync, silentLogger } from '#core/sync/index.js';
import { RssSampler, readRequest, runChild, sharedClock, writeResult } from './io.js';
import type { RecordedQuery } from './protocol.js';

runChild(async () => {
  const request = readRequest('collect');
  const bucket = process.env.BUCKET_NAME;
  const table = process.env.CURSOR_TABLE_NAME;
  if (!bucket || !table) throw new Error('BUCKET_NAME and CURSOR_TABLE_NAME must be set');
  const sampler = new RssSampler(request.rssSampleMs);
  const clock = sharedClock(request.clock);

  const client = createMimecastClient(parseMimecastSecret(request.secretJson), {
    clock,
    pageSize: request.pageSize,
  });
  const counted = { pages: 0, events: 0, apiBytes: 0, storedBytes: 0, storedObjects: 0 };
  const phases = { fetchMs: 0, storeMs: 0, cursorMs: 0 };
  const queries: RecordedQuery[] = [];
  const countingClient: MimecastClient = {
    getAuditEventsPage: (query, token, options) => client.getAuditEventsPage(query, token, options),
    getCategories: (options) => client.getCategories(options),
    serverClockOffsetMs: () => client.serverClockOffsetMs(),
    auditEventPages: (query, options) => {
      queries.push({ start: query.start.toISOString(), end: query.end.toISOString() });
      return countPages(client.auditEventPages(query, options), counted, phases);
    },
  };
  const s3 = new S3ObjectStore(new S3Client({}), bucket);
  const objects: ObjectStore = {
    putObject: async (key, body, contentType) => {
      counted.storedBytes += body.byteLength;
      counted.storedObjects += 1;
      const started = performance.now();
      try {
        await s3.putObject(key, body, contentType);
      } finally {
        phases.storeMs += performance.now() - started;
      }
    },
    getObject: (key) => s3.getObject(key),
    listKeys: (prefix) => s3.listKeys(prefix),
    deleteObject: (key) => s3.deleteObject(key),
  };
  const cursor = timedCursor(new DynamoCursorStore(new DynamoDBClient({}), table), phases);

  const started = performance.now();
  const budgetEnd = Date.now() + request.budgetMs;
  const summary = await runSync(
    {
      client: countingClient,
      objects,
      cursor,
      clock,
      log: silentLogger,
      metrics: noMetrics,
      owner: `bench/${process.pid}`,
    },
    {
      SOURCE_ID: request.sourceId,
      DATA_PREFIX: 'mimecast/audit-events',
      LOOKBACK_DAYS: request.lookbackDays,
      SETTLE_SECONDS: 300,
      MAX_WINDOW_SECONDS: 21_600,
      MAX_EVENTS_PER_WINDOW: 50_000,
      SAFETY_MARGIN_MS: 30_000,
      PAGE_SIZE: request.pageSize,
      // A backfill: every window is older than any rescan age, so rescans cost nothing here.
      RESCAN_AFTER_SECONDS: [3600, 86_400],
    },
    { remainingMs: () => budgetEnd - Date.now() },
  );
  const runMs = performance.now() - started;
  writeResult({
    mode: 'collect',
    summary,
    runMs,
    queries,
    pages: counted.pages,
    apiEvents: counted.events,
    apiBytes: counted.apiBytes,
    storedBytes: counted.storedBytes,
    storedObjects: counted.storedObjects,
    phases: { ...phases, otherMs: runMs - phases.fetchMs - phases.storeMs - phases.cursorMs },
    memory: sampler.finish(),
  });
});

/** Passes pages through, counting them and the time spent waiting for each. */
async function* countPages(
  pages: AsyncIterable<AuditEventPage>,
  counted: { pages: number; events: number; apiBytes: number },
  phases: { fetchMs: number },
): AsyncGenerator<AuditEventPage> {
  const iterator = pages[Symbol.asyncIterator]();
  for (;;) {
    const started = performance.now();
    const next = await iterator.next();
    phases.fetchMs += performance.now() - started;
    if (next.done) return;
    const page = next.value;
    counted.pages += 1;
    counted.events += page.events.length;
    counted.apiBytes += page.responseBytes;
    yield page;
  }
}

/** The cursor store with the time of every call added to `phases.cursorMs`. */
function timedCursor(store: CursorStore, phases: { cursorMs: number }): CursorStore {
  const timed =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const started = performance.now();
      try {
        return await call(...args);
      } finally {
        phases.cursorMs += performance.now() - started;
      }
    };
  return {
    get: timed((id) => store.get(id)),
    acquireLease: timed((id, owner, now, expiresAt) => store.acquireLease(id, owner, now, expiresAt)),
    save: timed((state, owner, changes, at) => store.save(state, owner, changes, at)),
    recordError: timed((id, owner, error) => store.recordError(id, owner, error)),
    releaseLease: timed((id, owner, at, stopReason) => store.releaseLease(id, owner, at, stopReason)),
  };
}
