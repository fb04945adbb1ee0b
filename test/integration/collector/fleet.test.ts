/**
 * Fleet mode through the real collector handler: one function, SOURCE_REGISTRY=true, a payload
 * `{"sourceId":…}` per run, the source's settings and secret from its registry item, against the
 * stand-ins and the Mimecast simulator. The stand-ins have no STS, so the runs get the stand-in
 * credentials through the handler's `credentialsFor` hook instead of the assumed source-access
 * role (what the production provider asks STS for is checked in test/unit/collector); the
 * confinement itself is IAM's (docs/mssp.md), so here each run must touch its own source's
 * archive prefix, cursor item and secret only.
 */
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoCursorStore } from '#core/cursor/dynamo-cursor-store.js';
import { DynamoSourceRegistry } from '#core/registry/dynamo-registry.js';
import type { SourceConfigInput } from '#core/registry/source-config.js';
import type { RunSummary } from '#core/sync/index.js';
import type { MimecastSimulator } from '#local/mimecast-sim/index.js';
import { startMimecastSimulator } from '#local/mimecast-sim/index.js';
import { createLocalContext } from '#local/runtime/lambda-context.js';
import { STANDIN_CREDENTIALS } from '#local/standins/index.js';
import { captureOutput, emfBlobs, loadCollectorHandler } from '#test/support/collector-handler.js';
import { listKeys, type StandinsWithClients } from '#test/support/standins.js';
import type { CredentialsFor } from '../../../functions/collector/fleet.js';
import type { CollectorResult } from '../../../functions/collector/handler.js';
import { PREFIX, readArchive, startAws, wellFormedIds } from './harness.js';

const ROLE = 'arn:aws:iam::123456789012:role/mimecast-source-access';
const DAY_MS = 86_400_000;

let aws: StandinsWithClients;
let sim: MimecastSimulator;
let registry: DynamoSourceRegistry;
let cursors: DynamoCursorStore;

beforeAll(async () => {
  aws = await startAws();
  // The real handler uses the system clock, so the simulator does too.
  sim = await startMimecastSimulator({ seed: 17, eventsPerDay: 200 });
  registry = new DynamoSourceRegistry(aws.dynamodb, aws.standins.table);
  cursors = new DynamoCursorStore(aws.dynamodb, aws.standins.table);
  const now = new Date().toISOString();
  const sources: Array<[SourceConfigInput, string]> = [
    // Different lookbacks, secrets and API versions, so a run on the wrong item shows.
    [{ ...settings('acme'), lookbackDays: 2 }, JSON.stringify(sim.secrets.oauth2)],
    [{ ...settings('globex'), lookbackDays: 1 }, JSON.stringify(sim.secrets.hmac)],
    [{ ...settings('initech'), enabled: false }, JSON.stringify(sim.secrets.oauth2)],
  ];
  for (const [source, secret] of sources) {
    await registry.add(source, now);
    aws.standins.putSecret(source.secretId, secret);
  }
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});
afterAll(async () => {
  await sim.close();
  await aws.close();
});

/** A registry item with fast-test settings (rescans off). */
function settings(sourceId: string): SourceConfigInput & { secretId: string } {
  return {
    sourceId,
    secretId: `mimecast-audit-lake/${sourceId}`,
    settleSeconds: 60,
    rescanAfterSeconds: [],
  };
}

/** The stand-in credentials for every source, recording which sources asked and how often they were resolved. */
function standinCredentials() {
  const sources: string[] = [];
  const resolved = new Map<string, number>();
  const credentialsFor: CredentialsFor = (sourceId) => {
    sources.push(sourceId);
    return async () => {
      resolved.set(sourceId, (resolved.get(sourceId) ?? 0) + 1);
      return { ...STANDIN_CREDENTIALS };
    };
  };
  return { credentialsFor, sources, resolved };
}

/** Loads the real handler module afresh with a fleet environment (no SOURCE_ID, no secret). */
async function loadFleetHandler(credentialsFor: CredentialsFor, overrides: Record<string, string> = {}) {
  const env: Record<string, string | undefined> = {
    ...aws.standins.env,
    SOURCE_REGISTRY: 'true',
    SOURCE_ACCESS_ROLE_ARN: ROLE,
    DATA_PREFIX: PREFIX,
    POWERTOOLS_LOG_LEVEL: 'INFO',
    SOURCE_ID: undefined,
    MIMECAST_SECRET_ID: undefined,
    ...overrides,
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  vi.resetModules();
  const module = await import('../../../functions/collector/handler.js');
  const handler = module.collectorHandler(module.createCollector({ credentialsFor }));
  return (event: unknown): Promise<CollectorResult> =>
    handler(event, createLocalContext('collector', 120_000).context as Context);
}

/** Every key in the bucket. */
const allKeys = () => listKeys(aws.s3, aws.standins.bucket, '');

/** Every item of the cursor table (registry items and cursors), by key. */
async function tableItems(): Promise<Map<string, string>> {
  const { Items = [] } = await DynamoDBDocumentClient.from(aws.dynamodb).send(
    new ScanCommand({ TableName: aws.standins.table, ConsistentRead: true }),
  );
  return new Map(Items.map((item) => [String(item.pk), JSON.stringify(item)]));
}

function asSummary(result: CollectorResult): RunSummary {
  if ('skipped' in result) throw new Error(`expected a run, got ${JSON.stringify(result)}`);
  return result;
}

describe('a fleet collector (SOURCE_REGISTRY=true)', () => {
  it("runs the source its payload names: that source's settings, secret, archive prefix and cursor only", async () => {
    // Prepare
    const creds = standinCredentials();
    const invoke = await loadFleetHandler(creds.credentialsFor);
    const keysBefore = new Set(await allKeys());
    const itemsBefore = await tableItems();
    const output = captureOutput();
    const startedMs = Date.now();

    // Act
    const summary = asSummary(await invoke({ sourceId: 'acme' }));

    // Assess: everything acme's events.
    expect(summary.stopReason).toBe('caught_up');
    const cursor = await cursors.get('acme');
    // acme's item says 2 days (the environment's default would be 60).
    const backfillFromMs = Date.parse(cursor?.backfillFrom ?? '');
    expect(startedMs - backfillFromMs).toBeGreaterThan(2 * DAY_MS - 60_000);
    expect(startedMs - backfillFromMs).toBeLessThan(2 * DAY_MS + 60_000);
    const truth = wellFormedIds(
      sim.groundTruth(new Date(cursor?.backfillFrom ?? ''), new Date(cursor?.watermark ?? '')),
    );
    expect(truth.length).toBeGreaterThan(0);
    expect((await readArchive(aws, 'acme')).ids.sort()).toEqual(truth.sort());

    // Only acme's prefixes were written.
    const written = (await allKeys()).filter((key) => !keysBefore.has(key));
    expect(written.length).toBeGreaterThan(0);
    const own = [`${PREFIX}/source=acme/`, `${PREFIX}-malformed/source=acme/`];
    expect(written.filter((key) => !own.some((prefix) => key.startsWith(prefix)))).toEqual([]);

    // Only acme's cursor item changed; the registry items (globex's too) are untouched.
    const itemsAfter = await tableItems();
    const changed = [...itemsAfter].filter(([pk, item]) => itemsBefore.get(pk) !== item).map(([pk]) => pk);
    expect(changed).toEqual(['source#acme']);
    expect(await cursors.get('globex')).toBeNull();

    // The run's clients used the source's credentials (s3rver checks the signatures).
    expect(creds.sources).toEqual(['acme']);
    expect(creds.resolved.get('acme')).toBeGreaterThan(0);

    // Metrics and logs name the source.
    const blobs = emfBlobs(output.lines());
    expect(blobs[0]).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'MimecastAuditLake', Dimensions: [['Source']] }] },
      Source: 'acme',
      EventsWritten: truth.length,
    });
    expect(blobs.every((blob) => blob.Source === 'acme')).toBe(true);
    expect(output.lines().find((line) => line.message === 'Collector run summary')).toMatchObject({
      sourceId: 'acme',
      stopReason: 'caught_up',
    });
  });

  it("reuses a source's runtime on warm invocations and keeps each invocation's metrics to its source", async () => {
    // Prepare
    const creds = standinCredentials();
    const invoke = await loadFleetHandler(creds.credentialsFor);
    const output = captureOutput();
    sim.clearRequests();
    const acmeSecret = JSON.stringify(sim.secrets.oauth2);

    // Act: acme, globex, then acme again in the same container, with acme's secret now unusable:
    // only a kept Mimecast session (every run asks for its client) lets the third run succeed.
    const runs = [
      asSummary(await invoke({ sourceId: 'acme' })),
      asSummary(await invoke({ sourceId: 'globex' })),
    ];
    aws.standins.putSecret('mimecast-audit-lake/acme', 'not a secret');
    try {
      runs.push(asSummary(await invoke({ sourceId: 'acme' })));
    } finally {
      aws.standins.putSecret('mimecast-audit-lake/acme', acmeSecret);
    }

    // Assess
    expect(runs.map((r) => r.stopReason)).toEqual(['caught_up', 'caught_up', 'caught_up']);
    // One runtime per source: acme's credentials were not asked for again either.
    expect(creds.sources).toEqual(['acme', 'globex']);
    // globex ran with its own secret (API 1.0) and its item's 1 day, under its own prefix.
    expect(sim.requests().some((r) => r.authMode === 'hmac')).toBe(true);
    const globexCursor = await cursors.get('globex');
    expect(Date.now() - Date.parse(globexCursor?.backfillFrom ?? '')).toBeLessThan(DAY_MS + 120_000);
    expect((await readArchive(aws, 'globex')).objects.length).toBeGreaterThan(0);
    const sources = emfBlobs(output.lines()).map((blob) => blob.Source);
    expect(sources).toEqual(['acme', 'globex', 'acme']);
  });

  it('skips a disabled source cleanly: no run, no credentials, no failure metric', async () => {
    // Prepare
    const creds = standinCredentials();
    const invoke = await loadFleetHandler(creds.credentialsFor);
    const output = captureOutput();
    const keysBefore = await allKeys();

    // Act
    const result = await invoke({ sourceId: 'initech' });

    // Assess
    expect(result).toEqual({ skipped: 'disabled', sourceId: 'initech' });
    expect(creds.sources).toEqual([]);
    expect(await cursors.get('initech')).toBeNull();
    expect(await allKeys()).toEqual(keysBefore);
    expect(
      output
        .lines()
        .some((line) => line.message === 'Collector run skipped: the source is disabled in the registry'),
    ).toBe(true);
    expect(emfBlobs(output.lines()).some((blob) => 'RunFailures' in blob)).toBe(false);
  });

  it('fails clearly for a source that is not in the registry, metered under that source', async () => {
    // Prepare
    const creds = standinCredentials();
    const invoke = await loadFleetHandler(creds.credentialsFor);
    const output = captureOutput();

    // Act
    const error = await invoke({ sourceId: 'umbrella' }).catch((err: unknown) => err);

    // Assess
    expect((error as Error).message).toBe('source "umbrella" is not in the registry');
    expect(creds.sources).toEqual([]);
    expect(await cursors.get('umbrella')).toBeNull();
    expect(emfBlobs(output.lines())).toContainEqual(
      expect.objectContaining({ Source: 'umbrella', RunFailures: 1 }),
    );
    expect(output.lines()).toContainEqual(
      expect.objectContaining({ level: 'ERROR', error: 'source "umbrella" is not in the registry' }),
    );
  });

  it('refuses a payload that names no valid source, metered apart from every source', async () => {
    // Prepare
    const creds = standinCredentials();
    const invoke = await loadFleetHandler(creds.credentialsFor);
    const output = captureOutput();

    // Act
    const scheduled = await invoke({ source: 'aws.events', 'detail-type': 'Scheduled Event' }).catch(
      (err: unknown) => err,
    );
    const invalid = await invoke({ sourceId: '../acme' }).catch((err: unknown) => err);

    // Assess
    expect((scheduled as Error).message).toMatch(/invoke it with \{"sourceId":"<id>"\}/);
    expect((invalid as Error).message).toMatch(/"\.\.\/acme" is not a source id/);
    expect(creds.sources).toEqual([]);
    const failures = emfBlobs(output.lines()).filter((blob) => 'RunFailures' in blob);
    expect(failures.map((blob) => blob.Source)).toEqual(['(invalid payload)', '(invalid payload)']);
  });

  it('reports a fleet environment that also names one source, by variable', async () => {
    // Prepare
    const invoke = await loadFleetHandler(standinCredentials().credentialsFor, { SOURCE_ID: 'acme' });
    const output = captureOutput();

    // Act
    const error = await invoke({ sourceId: 'acme' }).catch((err: unknown) => err);

    // Assess
    expect((error as Error).message).toMatch(/Invalid environment: SOURCE_ID: must not be set/);
    expect(emfBlobs(output.lines())).toContainEqual(
      expect.objectContaining({ Source: 'acme', RunFailures: 1 }),
    );
  });
});

describe('a one-source collector (SOURCE_ID and MIMECAST_SECRET_ID in its environment)', () => {
  it('ignores a payload naming its own source and refuses one naming another', async () => {
    // Prepare: the support loader sets a one-source environment and imports the handler afresh.
    const { sourceId, secretId } = await loadCollectorHandler(aws, {
      label: 'single',
      overrides: { LOOKBACK_DAYS: '1' },
    });
    aws.standins.putSecret(secretId, JSON.stringify(sim.secrets.oauth2));
    const { handler } = await import('../../../functions/collector/handler.js');
    const context = () => createLocalContext('collector', 120_000).context;
    const output = captureOutput();

    // Act
    const refused = await handler({ sourceId: 'acme' }, context()).catch((err: unknown) => err);
    const afterRefusal = await cursors.get(sourceId);
    const own = await handler({ sourceId }, context());

    // Assess
    expect((refused as Error).message).toMatch(
      new RegExp(
        `runs source "${sourceId}" only .*names sourceId "acme": the invoker is wired to the wrong function`,
      ),
    );
    expect(afterRefusal).toBeNull();
    expect(emfBlobs(output.lines())[0]).toMatchObject({ Source: sourceId, RunFailures: 1 });
    expect(asSummary(own).stopReason).toBe('caught_up');
    expect((await readArchive(aws, sourceId)).objects.length).toBeGreaterThan(0);
  });
});
