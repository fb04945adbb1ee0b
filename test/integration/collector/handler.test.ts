import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoCursorStore } from '#core/cursor/dynamo-cursor-store.js';
import type { MimecastSimulator } from '#local/mimecast-sim/index.js';
import { startMimecastSimulator } from '#local/mimecast-sim/index.js';
import { captureOutput, emfBlobs, loadCollectorHandler } from '#test/support/collector-handler.js';
import type { StandinsWithClients } from '#test/support/standins.js';
import { PREFIX, readArchive, startAws, wellFormedIds } from './harness.js';

let aws: StandinsWithClients;
let sim: MimecastSimulator;

beforeAll(async () => {
  aws = await startAws();
  // The real handler uses the system clock, so the simulator does too.
  sim = await startMimecastSimulator({ seed: 11, eventsPerDay: 200 });
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});
afterAll(async () => {
  await sim.close();
  await aws.close();
});

const loadHandler = (overrides: Record<string, string> = {}) =>
  loadCollectorHandler(aws, { label: 'handler', overrides });

describe('collector handler (the Lambda entry point)', () => {
  it('collects into S3, logs one summary line and emits metrics with only the Source dimension', async () => {
    // Prepare
    const { sourceId, secretId, invoke } = await loadHandler();
    aws.standins.putSecret(secretId, JSON.stringify(sim.secrets.oauth2));
    const output = captureOutput();

    // Act
    const summary = await invoke();

    // Assess
    expect(summary.stopReason).toBe('caught_up');
    const cursor = await new DynamoCursorStore(aws.dynamodb, aws.standins.table).get(sourceId);
    const truth = wellFormedIds(
      sim.groundTruth(new Date(cursor?.backfillFrom ?? ''), new Date(cursor?.watermark ?? '')),
    );
    const archive = await readArchive(aws, sourceId);
    expect(archive.ids.sort()).toEqual(truth.sort());

    const summaries = output.lines().filter((line) => line.message === 'Collector run summary');
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({
      level: 'INFO',
      stopReason: 'caught_up',
      windows: summary.windows,
      events: truth.length,
      watermark: cursor?.watermark,
    });
    const [emf] = emfBlobs(output.lines());
    expect(emf).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'MimecastAuditLake', Dimensions: [['Source']] }] },
      Source: sourceId,
      EventsWritten: truth.length,
      WindowsCommitted: summary.windows,
    });
    expect(emf).toHaveProperty('PagesFetched');
    expect(emf).toHaveProperty('LagSeconds');
  });

  it('fails with a clear configuration error for a malformed secret, never showing its values', async () => {
    // Prepare
    const { sourceId, secretId, invoke } = await loadHandler();
    const secretValue = 'sk-live-Do-Not-Print-4242';
    aws.standins.putSecret(
      secretId,
      JSON.stringify({ clientId: 'client-id-Do-Not-Print', clientSecret: 42, note: secretValue }),
    );
    const output = captureOutput();

    // Act
    const error = await invoke().catch((err: unknown) => err);

    // Assess
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(/Invalid Mimecast secret/);
    expect(message).toMatch(/clientSecret/);
    expect(message).not.toContain('Do-Not-Print');
    expect(output.text()).not.toContain('Do-Not-Print');
    expect(
      output
        .lines()
        .some((line) => line.message === 'Collector run summary' && line.errorKind === 'configuration'),
    ).toBe(true);
    const cursor = await new DynamoCursorStore(aws.dynamodb, aws.standins.table).get(sourceId);
    expect(cursor?.lastError).toMatchObject({ kind: 'configuration' });
    expect(cursor?.watermark).toBeUndefined();
    // The failure is metered under its kind too, in a metric set of its own.
    expect(emfBlobs(output.lines())).toContainEqual(
      expect.objectContaining({
        _aws: expect.objectContaining({
          CloudWatchMetrics: [expect.objectContaining({ Dimensions: [['Source', 'Kind']] })],
        }),
        Source: sourceId,
        Kind: 'configuration',
        RunFailuresByKind: 1,
      }),
    );
  });

  it('re-reads the secret after Mimecast rejects the cached credentials, and uses the rotated one', async () => {
    // Prepare: the container first caches a wrong secret.
    const { secretId, invoke } = await loadHandler();
    const wrong = { ...sim.secrets.oauth2, clientSecret: 'an-old-Rotated-Away-secret' };
    aws.standins.putSecret(secretId, JSON.stringify(wrong));
    const output = captureOutput();
    const rejected = await invoke().catch((err: unknown) => err);
    const linesBefore = output.lines().length;
    aws.standins.putSecret(secretId, JSON.stringify(sim.secrets.oauth2));

    // Act
    const summary = await invoke();

    // Assess
    expect(rejected).toMatchObject({ kind: 'authentication' });
    expect(summary.stopReason).toBe('caught_up');
    const later = output.lines().slice(linesBefore);
    expect(later.some((line) => String(line.message).includes('secret has changed'))).toBe(true);
    expect(emfBlobs(later).some((blob) => 'AuthFailures' in blob || 'RunFailures' in blob)).toBe(false);
    expect(output.text()).not.toContain(sim.secrets.oauth2.clientSecret);
    expect(output.text()).not.toContain('Rotated-Away');
  });

  it('reports an invalid environment by variable name', async () => {
    // Prepare
    const { invoke } = await loadHandler({ LOOKBACK_DAYS: '90', BUCKET_NAME: '' });
    captureOutput();

    // Act
    const error = await invoke().catch((err: unknown) => err);

    // Assess
    expect((error as Error).message).toMatch(/LOOKBACK_DAYS/);
    expect((error as Error).message).toMatch(/BUCKET_NAME/);
  });
});

describe('collector handler data', () => {
  it('writes under the configured prefix', async () => {
    // Prepare
    const { sourceId, secretId, invoke } = await loadHandler({ LOOKBACK_DAYS: '1' });
    aws.standins.putSecret(secretId, JSON.stringify(sim.secrets.hmac));
    captureOutput();

    // Act
    await invoke();

    // Assess: API 1.0 (HMAC) credentials work the same way.
    const archive = await readArchive(aws, sourceId);
    expect(archive.objects.length).toBeGreaterThan(0);
    expect(archive.objects.every((o) => o.key.startsWith(`${PREFIX}/source=${sourceId}/dt=`))).toBe(true);
  });
});
