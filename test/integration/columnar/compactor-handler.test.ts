/**
 * The compactor's Lambda handler in fleet mode, wired as the stack wires it
 * (COMPACTION_REGISTRY_SOURCES=true, no source ids in its environment), against the S3 and
 * DynamoDB stand-ins and moto's Glue: a scheduled run compacts the registry's sources, adds them
 * to Athena's partition projection and publishes the view with their boundaries; the archive
 * write of a source registered later adds that source at once.
 */
import type { Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseObjectKey } from '#core/archive/layout.js';
import type { CompactionSummary } from '#core/columnar/compactor.js';
import { DynamoSourceRegistry } from '#core/registry/dynamo-registry.js';
import { createLocalContext } from '#local/runtime/lambda-context.js';
import { captureOutput } from '#test/support/collector-handler.js';
import { type MotoGlue, startMotoGlue } from '#test/support/moto-glue.js';
import { listKeys, type StandinsWithClients } from '#test/support/standins.js';
import { type CollectorUnderTest, PREFIX, startAws, startCollector } from '../collector/harness.js';
import { createArchiveCatalog, DATABASE, glueTable, projectedSourcesOf, VIEW } from './glue-catalog.js';

let aws: StandinsWithClients;
let moto: MotoGlue;
let collectors: CollectorUnderTest[];
let registry: DynamoSourceRegistry;

const sourceIdOf = (c: CollectorUnderTest | undefined) => c?.settings.SOURCE_ID ?? '';

beforeAll(async () => {
  aws = await startAws();
  moto = await startMotoGlue(aws.standins.env.AWS_REGION);
  collectors = [];
  for (const seed of [5, 6, 7]) {
    const collector = await startCollector(aws, {
      sim: { eventsPerDay: 40, seed },
      settings: { LOOKBACK_DAYS: 3 },
    });
    await collector.runUntilCaughtUp();
    collectors.push(collector);
  }
  registry = new DynamoSourceRegistry(aws.dynamodb, aws.standins.table);
  // The first two are in the registry before the run; the third is added later.
  for (const collector of collectors.slice(0, 2)) {
    const sourceId = sourceIdOf(collector);
    await registry.add({ sourceId, secretId: `mimecast-audit-lake/${sourceId}` }, new Date().toISOString());
  }
  await createArchiveCatalog(moto.glue, PREFIX, ['declared']);
}, 120_000);

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

afterAll(async () => {
  for (const collector of collectors ?? []) await collector.close();
  await aws?.close();
  moto?.close();
});

/** The real handler module, loaded afresh with the fleet compactor's environment. */
async function loadCompactor() {
  const env: Record<string, string | undefined> = {
    ...aws.standins.env,
    AWS_ENDPOINT_URL_GLUE: moto.endpoint,
    DATA_PREFIX: PREFIX,
    COMPACTION_REGISTRY_SOURCES: 'true',
    COMPACTION_SOURCE_IDS: undefined,
    ARCHIVE_DATABASE: DATABASE,
    ARCHIVE_VIEW: VIEW,
    POWERTOOLS_METRICS_NAMESPACE: 'MimecastAuditLake',
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  vi.resetModules();
  const module = await import('../../../functions/compactor/handler.js');
  return async (event: unknown): Promise<CompactionSummary> => {
    const result = await module.compact(event, createLocalContext('compactor', 600_000).context as Context);
    if ('ignored' in result) throw new Error('the event was ignored');
    return result;
  };
}

/** The SQL of the view Glue holds. */
async function viewSql(): Promise<string> {
  const text = (await glueTable(moto.glue, VIEW)).ViewOriginalText ?? '';
  const encoded = /^\/\* Presto View: ([A-Za-z0-9+/=]+) \*\/$/.exec(text)?.[1] ?? '';
  return (JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as { originalSql: string }).originalSql;
}

describe('the fleet compactor handler', () => {
  it("compacts the registry's sources, lists them for Athena and publishes their boundaries", async () => {
    captureOutput();
    const compact = await loadCompactor();
    const [a, b] = collectors.map(sourceIdOf);

    const summary = await compact({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} });

    expect(summary.failures).toEqual([]);
    expect(summary.sourcesProjected).toEqual([a, b].sort());
    expect(summary.compacted).toBeGreaterThanOrEqual(4);
    expect(summary.viewPublished).toBe(true);
    expect(await projectedSourcesOf(moto.glue)).toEqual([
      [a, b, 'declared'].sort(),
      [a, b, 'declared'].sort(),
    ]);
    const sql = await viewSql();
    for (const id of [a, b])
      expect(sql).toContain(`p.source = '${id}' AND p.dt < '${summary.boundaries[id ?? '']}'`);
  });

  it('adds a source registered later on its first archive write', async () => {
    captureOutput();
    const compact = await loadCompactor();
    const c = sourceIdOf(collectors[2]);
    await registry.add({ sourceId: c, secretId: `mimecast-audit-lake/${c}` }, new Date().toISOString());
    const [key = ''] = await listKeys(aws.s3, aws.standins.bucket, `${PREFIX}/source=${c}/`);
    expect(parseObjectKey(key)?.sourceId).toBe(c);

    const summary = await compact({
      source: 'aws.s3',
      'detail-type': 'Object Created',
      detail: { bucket: { name: aws.standins.bucket }, object: { key } },
    });

    expect(summary.failures).toEqual([]);
    expect(summary.sourcesProjected).toEqual([c]);
    expect((await projectedSourcesOf(moto.glue))[0]).toContain(c);
  });
});
