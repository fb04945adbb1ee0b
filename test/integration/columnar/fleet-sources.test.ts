/**
 * Fleet mode: a source added at run time (`npm run sources`: a registry item, never declared, so
 * neither in the compactor's environment nor in the tables the stack made) is compacted and
 * becomes visible to Athena. Two real collectors archive into the S3 and DynamoDB stand-ins; the
 * real compactor reads their sources from the registry and adds them to the `source` partition
 * projection of the archive tables in an independent Glue (moto's server), keeping the rest of
 * each table as it was; a deployment that rewrites the tables is repaired, a Glue or registry
 * failure is reported, and two runs adding sources at once lose neither's addition.
 */
import { GlueClient, type Table, type TableInput, UpdateTableCommand } from '@aws-sdk/client-glue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CompactionRequest, type CompactorDeps, runCompaction } from '#core/columnar/compactor.js';
import { GlueProjectedSources } from '#core/columnar/glue-projected-sources.js';
import { CATALOG_LEASE, DynamoCompactionLeases } from '#core/columnar/lease.js';
import type { ProjectedSources } from '#core/columnar/projected-sources.js';
import { S3ColumnarStorage } from '#core/columnar/s3-columnar-storage.js';
import { DynamoCursorReader } from '#core/cursor/dynamo-cursor-reader.js';
import { DynamoSourceRegistry } from '#core/registry/dynamo-registry.js';
import { DynamoSourceRegistryReader } from '#core/registry/dynamo-registry-reader.js';
import type { TestClock } from '#test/support/clock.js';
import { type MotoGlue, startMotoGlue } from '#test/support/moto-glue.js';
import type { StandinsWithClients } from '#test/support/standins.js';
import { type CollectorUnderTest, PREFIX, startAws, startCollector, T0 } from '../collector/harness.js';
import { createArchiveCatalog, DATABASE, glueTable, projectedSourcesOf, TABLES } from './glue-catalog.js';
import { compactorTestSettings } from './harness.js';

/** The one source the stack was deployed with. */
const DECLARED = 'declared';

let aws: StandinsWithClients;
let moto: MotoGlue;
let collectors: CollectorUnderTest[];
/** The sources added at run time, sorted. */
let added: string[];
let leases: DynamoCompactionLeases;
let catalog: GlueProjectedSources;
let clock: TestClock;
let registry: DynamoSourceRegistry;
const failures: Array<{ name: string; sourceId: string }> = [];

const settings = compactorTestSettings({ REGISTRY_SOURCES: true });

let DEFINITIONS: TableInput[];

const table = (name: string): Promise<Table> => glueTable(moto.glue, name);
const projected = (): Promise<string[][]> => projectedSourcesOf(moto.glue);

/** What a CloudFormation update of the tables does: the template's definitions again. */
async function redeployTables(): Promise<void> {
  for (const input of DEFINITIONS)
    await moto.glue.send(new UpdateTableCommand({ DatabaseName: DATABASE, TableInput: input }));
}

function deps(projectedSources: ProjectedSources | undefined = catalog): CompactorDeps {
  return {
    storage: new S3ColumnarStorage(aws.s3, aws.standins.bucket),
    cursor: new DynamoCursorReader(aws.dynamodb, aws.standins.table),
    leases,
    clock,
    registry: new DynamoSourceRegistryReader(aws.dynamodb, aws.standins.table),
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    metrics: {
      count: (name, value, sourceId) => {
        if (name === 'CompactionFailures' && value > 0) failures.push({ name, sourceId });
      },
    },
    projectedSources,
  };
}

const compact = (request: CompactionRequest = {}, projectedSources?: ProjectedSources) =>
  runCompaction(deps(projectedSources ?? catalog), settings, { remainingMs: () => 600_000 }, request);

beforeAll(async () => {
  [aws, moto] = await Promise.all([startAws(), startMotoGlue()]);
  collectors = [
    await startCollector(aws, { sim: { eventsPerDay: 60, seed: 3 }, settings: { LOOKBACK_DAYS: 4 } }),
    await startCollector(aws, { sim: { eventsPerDay: 60, seed: 4 }, settings: { LOOKBACK_DAYS: 4 } }),
  ];
  for (const collector of collectors) await collector.runUntilCaughtUp();
  added = collectors.map((c) => c.settings.SOURCE_ID).sort();
  clock = collectors[0]?.clock ?? (undefined as never);
  // As `npm run sources -- add` leaves them.
  registry = new DynamoSourceRegistry(aws.dynamodb, aws.standins.table);
  for (const sourceId of added)
    await registry.add({ sourceId, secretId: `mimecast-audit-lake/${sourceId}` }, new Date(T0).toISOString());
  leases = new DynamoCompactionLeases(aws.dynamodb, aws.standins.table);
  DEFINITIONS = await createArchiveCatalog(moto.glue, PREFIX, [DECLARED]);
  catalog = new GlueProjectedSources(moto.glue, DATABASE, [TABLES.ndjson, TABLES.parquet], clock);
}, 120_000);

afterAll(async () => {
  for (const collector of collectors ?? []) await collector.close();
  await aws?.close();
  moto?.close();
});

describe('fleet mode: sources added at run time', () => {
  it('compacts sources nobody declared and adds them to both tables, changing nothing else', async () => {
    const summary = await compact();

    expect(summary.failures).toEqual([]);
    // The added two, and the declared one (listed in the tables, nothing archived).
    expect(summary.sources).toBe(3);
    expect(summary.compacted).toBeGreaterThanOrEqual(4);
    expect(summary.sourcesProjected).toEqual(added);
    expect(await projected()).toEqual([[...added, DECLARED].sort(), [...added, DECLARED].sort()]);
    // Every other part of each table is as the stack made it.
    for (const input of DEFINITIONS) {
      const found = await table(input.Name ?? '');
      expect(found.PartitionKeys).toEqual(input.PartitionKeys);
      expect(found.StorageDescriptor?.SerdeInfo).toEqual(input.StorageDescriptor?.SerdeInfo);
      expect(found.StorageDescriptor?.Columns).toEqual(input.StorageDescriptor?.Columns);
      expect(found.StorageDescriptor?.Location).toBe(input.StorageDescriptor?.Location);
      expect(found.TableType).toBe('EXTERNAL_TABLE');
      expect({ ...found.Parameters, 'projection.source.values': '' }).toEqual({
        ...input.Parameters,
        'projection.source.values': '',
      });
    }
    // The view reads their closed days from Parquet: each has its boundary.
    expect([...(await leases.boundaries(added)).keys()].sort()).toEqual(added);
  });

  it('leaves the tables alone when every source is listed', async () => {
    const versions = await Promise.all(DEFINITIONS.map(async (d) => (await table(d.Name ?? '')).VersionId));

    const summary = await compact();

    expect(summary.sourcesProjected).toEqual([]);
    expect(await Promise.all(DEFINITIONS.map(async (d) => (await table(d.Name ?? '')).VersionId))).toEqual(
      versions,
    );
  });

  it('adds them back at the next scheduled run after a deployment rewrote the tables', async () => {
    await redeployTables();
    const [a = '', b = ''] = added;
    const day = new Date(T0).toISOString().slice(0, 10);

    // An archive write in a warm container trusts its recent reading (no catalog read per write)…
    const write = await compact({ sources: [a], from: day, to: day });
    expect(write.sourcesProjected).toEqual([]);
    // …and the schedule reads the catalog afresh.
    const scheduled = await compact();
    expect(scheduled.sourcesProjected).toEqual(added);
    expect(await projected()).toEqual([[...added, DECLARED].sort(), [...added, DECLARED].sort()]);

    // A cold container reads it on the first archive write, and adds that write's source only.
    await redeployTables();
    const cold = new GlueProjectedSources(moto.glue, DATABASE, [TABLES.ndjson, TABLES.parquet], clock);
    const coldWrite = await compact({ sources: [b], from: day, to: day }, cold);
    expect(coldWrite.sourcesProjected).toEqual([b]);
    expect(await projected()).toEqual([[b, DECLARED].sort(), [b, DECLARED].sort()]);
    await compact();
  });

  it('reports a catalog it cannot reach, and compacts anyway', async () => {
    failures.length = 0;
    const unreachable = new GlueClient({
      endpoint: 'http://127.0.0.1:9',
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    const broken = new GlueProjectedSources(unreachable, DATABASE, [TABLES.ndjson], clock);

    const summary = await compact({}, broken);
    unreachable.destroy();

    // Neither listing the tables' sources nor adding any worked; the registry's are compacted.
    expect(summary.failures.map((f) => [f.sourceId, f.dt])).toEqual([
      [CATALOG_LEASE, '(sources)'],
      [CATALOG_LEASE, '(catalog)'],
    ]);
    expect(failures).toEqual([
      { name: 'CompactionFailures', sourceId: CATALOG_LEASE },
      { name: 'CompactionFailures', sourceId: CATALOG_LEASE },
    ]);
    expect(summary.sources).toBe(2);
    expect(summary.current).toBeGreaterThanOrEqual(4);
  });

  it("does not lose a concurrent run's addition: a run finding the catalog lease held tries again later", async () => {
    await redeployTables();
    const [a = ''] = added;
    const day = new Date(T0).toISOString().slice(0, 10);
    const now = clock.now();
    expect(await leases.acquire(CATALOG_LEASE, 'another-run', now, now + 60_000)).toBe(true);

    // A container that has not read the catalog yet: it finds the source missing.
    const container = new GlueProjectedSources(moto.glue, DATABASE, [TABLES.ndjson, TABLES.parquet], clock);
    const blocked = await compact({ sources: [a], from: day, to: day }, container);
    expect(blocked.sourcesProjected).toEqual([]);
    expect(blocked.failures).toEqual([]);
    expect(await projected()).toEqual([[DECLARED], [DECLARED]]);

    await leases.release(CATALOG_LEASE, 'another-run');
    // Its reading still lacks the source, so the next archive write does not trust it.
    const next = await compact({ sources: [a], from: day, to: day }, container);
    expect(next.sourcesProjected).toEqual([a]);
    expect(await projected()).toEqual([[a, DECLARED].sort(), [a, DECLARED].sort()]);
  });

  it('reports a registry it cannot read, and still compacts the declared sources', async () => {
    failures.length = 0;
    const [a = ''] = added;
    const unreadable = { sourceIds: () => Promise.reject(new Error('registry down')) };

    const summary = await runCompaction(
      { ...deps(), registry: unreadable },
      { ...settings, SOURCE_IDS: [a] },
      { remainingMs: () => 600_000 },
    );

    expect(summary.failures.map((f) => [f.sourceId, f.dt, f.error])).toEqual([
      [CATALOG_LEASE, '(sources)', 'Error: registry down'],
    ]);
    expect(failures).toEqual([{ name: 'CompactionFailures', sourceId: CATALOG_LEASE }]);
    expect(Object.keys(summary.boundaries)).toContain(a);
  });

  it('keeps compacting an archive write of a source removed from the registry since', async () => {
    const [, b = ''] = added;
    await registry.remove(b);
    const day = new Date(T0 - 2 * 86_400_000).toISOString().slice(0, 10);

    const write = await compact({ sources: [b], from: day, to: day, force: true });
    const scheduled = await compact();

    expect(write.sources).toBe(1);
    expect(write.recompacted).toBe(1);
    // Its history stays queryable: Athena keeps listing it, so the schedule still compacts it and
    // the view still reads its closed days from Parquet.
    expect((await projected())[0]).toContain(b);
    expect(scheduled.failures).toEqual([]);
    expect(scheduled.boundaries[b]).toBeDefined();
    expect((await leases.boundaries([b])).get(b)).toBe(scheduled.boundaries[b]);
  });

  it('loses no addition when many containers add sources at once', async () => {
    const day = new Date(T0).toISOString().slice(0, 10);
    const tenants = Array.from({ length: 8 }, (_, i) => `tenant-${i}`);
    const before = (await projected())[0] ?? [];
    /** One archive write per tenant, each in a container of its own, all at once. */
    const round = (ids: readonly string[]) =>
      Promise.all(
        ids.map((id) =>
          compact(
            { sources: [id], from: day, to: day },
            new GlueProjectedSources(moto.glue, DATABASE, [TABLES.ndjson, TABLES.parquet], clock),
          ),
        ),
      );

    const reported = new Set<string>();
    let pending: readonly string[] = tenants;
    for (let attempt = 0; attempt < tenants.length && pending.length > 0; attempt += 1) {
      const summaries = await round(pending);
      expect(summaries.flatMap((x) => x.failures)).toEqual([]);
      for (const id of summaries.flatMap((x) => x.sourcesProjected)) reported.add(id);
      // Every addition a run reported is still there: none was overwritten by another's.
      const [ndjson = [], parquet = []] = await projected();
      for (const id of reported) {
        expect(ndjson).toContain(id);
        expect(parquet).toContain(id);
      }
      pending = pending.filter((id) => !ndjson.includes(id));
    }

    expect(pending).toEqual([]);
    expect(reported).toEqual(new Set(tenants));
    // Nothing that was listed before went missing either.
    expect((await projected())[0]).toEqual(expect.arrayContaining(before));
  });

  it('in per-source mode compacts only the declared sources and never touches the catalog', async () => {
    const [a = ''] = added;
    const before = await projected();

    const summary = await runCompaction(
      { ...deps(), projectedSources: undefined },
      { ...settings, SOURCE_IDS: [a], REGISTRY_SOURCES: false },
      { remainingMs: () => 600_000 },
      { sources: added },
    );

    expect(summary.sources).toBe(1);
    expect(summary.sourcesProjected).toEqual([]);
    expect(await projected()).toEqual(before);
  });
});
