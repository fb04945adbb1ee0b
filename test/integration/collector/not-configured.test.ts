/**
 * A first deployment: the stack creates each source's secret without a value, and the operator
 * fills it in later. Until then every scheduled run must end cleanly (`not_configured`): exit 0,
 * nothing written, no failure metric, only `NotConfigured` and how long it has lasted, which the
 * stack's one not-configured alarm watches. A present but malformed secret stays an error.
 * Through the real collector handler against the stand-ins (Secrets Manager included).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoCursorStore } from '#core/cursor/dynamo-cursor-store.js';
import { CollectorMetric } from '#core/observability.js';
import { type MimecastSimulator, startMimecastSimulator } from '#local/mimecast-sim/index.js';
import { captureOutput, emfBlobs, loadCollectorHandler } from '#test/support/collector-handler.js';
import type { StandinsWithClients } from '#test/support/standins.js';
import { describeSource } from '../../../functions/query/lib/status.js';
import { readArchive, startAws } from './harness.js';

let aws: StandinsWithClients;
let sim: MimecastSimulator;
let cursor: DynamoCursorStore;

beforeAll(async () => {
  aws = await startAws();
  cursor = new DynamoCursorStore(aws.dynamodb, aws.standins.table);
  sim = await startMimecastSimulator({ seed: 13, eventsPerDay: 200 });
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});
afterAll(async () => {
  await sim.close();
  await aws.close();
});

const FAILURE_METRICS = [
  CollectorMetric.RunFailures,
  CollectorMetric.RunFailuresByKind,
  CollectorMetric.SecretFailures,
  CollectorMetric.AuthFailures,
];

describe('collector: a source whose secret holds no credentials yet', () => {
  it.each<[string, (secretId: string) => void]>([
    ['no value at all (as the stack creates it)', (id) => aws.standins.createEmptySecret(id)],
    ['an empty string', (id) => aws.standins.putSecret(id, '')],
    ['an empty JSON object', (id) => aws.standins.putSecret(id, ' {} ')],
  ])(
    'ends cleanly as not_configured for %s: nothing written, no failure metric, NotConfigured emitted',
    async (_label, fill) => {
      // Prepare
      const { sourceId, secretId, invoke } = await loadCollectorHandler(aws, { label: 'empty' });
      fill(secretId);
      const output = captureOutput();

      // Act: two scheduled runs, as the first day would have them.
      const first = await invoke();
      const second = await invoke();

      // Assess
      expect(first.stopReason).toBe('not_configured');
      expect(second).toMatchObject({ stopReason: 'not_configured', windows: 0, events: 0 });
      expect((await readArchive(aws, sourceId)).objects).toEqual([]);
      const blobs = emfBlobs(output.lines());
      for (const name of FAILURE_METRICS)
        expect(
          blobs.some((b) => name in b),
          name,
        ).toBe(false);
      expect(blobs.filter((b) => CollectorMetric.NotConfigured in b)).toHaveLength(2);
      expect(
        blobs.every(
          (b) => !(CollectorMetric.NotConfigured in b) || CollectorMetric.NotConfiguredSeconds in b,
        ),
      ).toBe(true);
      const state = await cursor.get(sourceId);
      expect(state).toMatchObject({
        lastStop: { reason: 'not_configured' },
        lastError: undefined,
        watermark: undefined,
      });
      expect(state?.lease).toBeUndefined();
      expect(state?.notConfiguredSince).toBeDefined();
      expect(describeSource(sourceId, state, Date.now())).toMatchObject({
        state: 'not_configured',
        notConfiguredSince: state?.notConfiguredSince,
      });
      expect(
        output
          .lines()
          .some(
            (l) =>
              l.message === 'Collector run summary' &&
              l.stopReason === 'not_configured' &&
              l.level === 'INFO',
          ),
      ).toBe(true);
    },
  );

  it('reports how long the source has been unconfigured, and starts collecting once the secret is filled', async () => {
    // Prepare
    const { sourceId, secretId, invoke } = await loadCollectorHandler(aws, { label: 'fill' });
    aws.standins.createEmptySecret(secretId);
    const output = captureOutput();
    await invoke();
    const since = Date.parse((await cursor.get(sourceId))?.notConfiguredSince ?? '');

    // Act
    await invoke();
    aws.standins.putSecret(secretId, JSON.stringify(sim.secrets.oauth2));
    const configured = await invoke();

    // Assess: the seconds grow from the first unconfigured run; the filled secret is used at once.
    const seconds = emfBlobs(output.lines())
      .filter((b) => CollectorMetric.NotConfiguredSeconds in b)
      .map((b) => Number(b[CollectorMetric.NotConfiguredSeconds]));
    expect(seconds).toHaveLength(2);
    expect(seconds[1]).toBeGreaterThanOrEqual(seconds[0] ?? 0);
    expect(Number.isFinite(since)).toBe(true);
    expect(configured.stopReason).toBe('caught_up');
    expect(configured.events).toBeGreaterThan(0);
    const state = await cursor.get(sourceId);
    expect(state?.notConfiguredSince).toBeUndefined();
    expect(describeSource(sourceId, state, Date.now()).state).toBe('ok');
  });

  it('keeps a malformed (not empty) secret an alarmed configuration error, never echoing its values', async () => {
    // Prepare
    const { sourceId, secretId, invoke } = await loadCollectorHandler(aws, { label: 'malformed' });
    aws.standins.putSecret(secretId, JSON.stringify({ clientId: 'Do-Not-Print-77' }));
    const output = captureOutput();

    // Act
    const error = await invoke().catch((err: unknown) => err);

    // Assess
    expect(error).toMatchObject({ kind: 'configuration' });
    expect(output.text()).not.toContain('Do-Not-Print-77');
    const blobs = emfBlobs(output.lines());
    expect(blobs.some((b) => b[CollectorMetric.SecretFailures] === 1)).toBe(true);
    expect(blobs.some((b) => CollectorMetric.NotConfigured in b)).toBe(false);
    expect((await cursor.get(sourceId))?.lastError).toMatchObject({ kind: 'configuration' });
  });

  it('fails (credentials) when the secret does not exist at all, which no empty secret is', async () => {
    // Prepare: no secret created.
    const { sourceId, invoke } = await loadCollectorHandler(aws, { label: 'missing' });
    const output = captureOutput();

    // Act
    const error = await invoke().catch((err: unknown) => err);

    // Assess
    expect(error).toMatchObject({ kind: 'credentials' });
    expect(emfBlobs(output.lines()).some((b) => b[CollectorMetric.SecretFailures] === 1)).toBe(true);
    expect((await cursor.get(sourceId))?.lastError?.message).toMatch(/ResourceNotFoundException/);
  });
});
