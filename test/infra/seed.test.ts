/**
 * The fleet-mode seed custom resource (functions/seed/handler.ts) against the DynamoDB and
 * Secrets Manager stand-ins, with the real SDK: it adds the declared sources that are missing,
 * never touches one that is there, creates (or adopts) the tagged empty secrets, and leaves
 * everything in place on Delete. The items it writes are what the registry reads.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoSourceRegistry } from '#core/registry/dynamo-registry.js';
import { SOURCE_TAG_KEY } from '#core/registry/source-config.js';
import { applyEnv, type StandinsWithClients, withStandins } from '#test/support/standins.js';
import { handler, SEED_PHYSICAL_ID, SeedError, seedSources } from '../../functions/seed/handler.js';
import { type SeedPayload, seededSecretName } from '../../functions/seed/payload.js';
import { DynamoSeedRegistry } from '../../functions/seed/registry-seeder.js';

const KEY_ARN = 'arn:aws:kms:eu-west-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const EXISTING = 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:operator/globex-AbCdEf';
const NOW = Date.parse('2026-03-01T10:00:00Z');
const DEFAULTS: SeedPayload['defaults'] = {
  scheduleMinutes: 5,
  lookbackDays: 30,
  settleSeconds: 300,
  rescanAfterSeconds: [3600, 86_400],
};

let local: StandinsWithClients;
let registry: DynamoSourceRegistry;

beforeAll(async () => {
  local = await withStandins();
  registry = new DynamoSourceRegistry(local.dynamodb, local.standins.table);
});

afterAll(async () => {
  await local?.close();
});

const depsAt = (now: number) => ({
  registry: new DynamoSeedRegistry(local.dynamodb, local.standins.table),
  secrets: local.secrets,
  kmsKeyArn: KEY_ARN,
  clock: { now: () => now },
});
const describeSecret = (id: string) => local.secrets.send(new DescribeSecretCommand({ SecretId: id }));

describe('seed: declared sources into the registry', () => {
  it('adds missing sources with their settings over the defaults, and an empty tagged secret each', async () => {
    // Act
    const summary = await seedSources(
      {
        defaults: DEFAULTS,
        sources: [
          { id: 'acme', scheduleMinutes: 15, settleSeconds: 600, rescanAfterSeconds: [] },
          { id: 'globex', secretArn: EXISTING },
        ],
      } satisfies SeedPayload,
      depsAt(NOW),
    );
    const acme = await registry.get('acme');
    const globex = await registry.get('globex');
    const secret = await describeSecret(seededSecretName('acme'));
    const value = await local.secrets
      .send(new GetSecretValueCommand({ SecretId: seededSecretName('acme') }))
      .catch((err: unknown) => err);

    // Assess
    expect(summary).toEqual({ added: 2, kept: 0, secretsCreated: 1 });
    expect(acme).toEqual({
      sourceId: 'acme',
      secretId: secret.ARN,
      enabled: true,
      scheduleMinutes: 15,
      lookbackDays: 30,
      settleSeconds: 600,
      rescanAfterSeconds: [],
      createdAt: '2026-03-01T10:00:00.000Z',
      updatedAt: '2026-03-01T10:00:00.000Z',
      version: 1,
    });
    expect(globex).toMatchObject({ secretId: EXISTING, scheduleMinutes: 5, settleSeconds: 300 });
    expect(secret.Tags).toEqual([{ Key: SOURCE_TAG_KEY, Value: 'acme' }]);
    expect(secret.KmsKeyId).toBe(KEY_ARN);
    expect(value).toBeInstanceOf(Error);
    // The operator's own secret is not touched (nor created under the seed's prefix).
    await expect(describeSecret(seededSecretName('globex'))).rejects.toThrow();
  });

  it('never overwrites a source that is there, nor creates a secret for it', async () => {
    // Prepare: the operator changed acme's schedule after the first seed.
    await registry.update('acme', { scheduleMinutes: 30 }, '2026-03-02T00:00:00.000Z');

    // Act
    const summary = await seedSources(
      { defaults: DEFAULTS, sources: [{ id: 'acme', scheduleMinutes: 1 }, { id: 'initech' }] },
      depsAt(NOW + 86_400_000),
    );

    // Assess
    expect(summary).toEqual({ added: 1, kept: 1, secretsCreated: 1 });
    expect(await registry.get('acme')).toMatchObject({ scheduleMinutes: 30, version: 2 });
    expect(await registry.get('initech')).toMatchObject({ scheduleMinutes: 5, version: 1 });
  });

  it('adopts an existing secret of its name (tagging it), and refuses one tagged for another source', async () => {
    // Prepare
    local.standins.createEmptySecret(seededSecretName('umbrella'));
    local.standins.createEmptySecret(seededSecretName('hooli'));
    const hooli = await describeSecret(seededSecretName('hooli'));
    await local.secrets.send(
      new TagResourceCommand({ SecretId: hooli.ARN, Tags: [{ Key: SOURCE_TAG_KEY, Value: 'piedpiper' }] }),
    );

    // Act
    const failure = await seedSources(
      { defaults: DEFAULTS, sources: [{ id: 'umbrella' }, { id: 'hooli' }, { id: 'vandelay' }] },
      depsAt(NOW),
    ).catch((err: unknown) => err);

    // Assess: the other sources are seeded; the refused one is named with the reason.
    expect(failure).toBeInstanceOf(SeedError);
    expect((failure as SeedError).failures.map((f) => f.sourceId)).toEqual(['hooli']);
    expect((failure as SeedError).message).toMatch(/hooli: .*tagged mimecast-source=piedpiper, not hooli/);
    expect(await registry.get('hooli')).toBeUndefined();
    expect(await registry.get('umbrella')).toMatchObject({
      secretId: (await describeSecret(seededSecretName('umbrella'))).ARN,
    });
    expect((await describeSecret(seededSecretName('umbrella'))).Tags).toEqual([
      { Key: SOURCE_TAG_KEY, Value: 'umbrella' },
    ]);
    expect(await registry.get('vandelay')).toBeDefined();
  });

  it('refuses a payload that is not a seed (and seeds nothing)', async () => {
    await expect(
      seedSources({ defaults: DEFAULTS, sources: [{ id: 'Bad Id' }] }, depsAt(NOW)),
    ).rejects.toThrow();
    await expect(
      seedSources({ defaults: DEFAULTS, sources: [{ id: 'dup' }, { id: 'dup' }] }, depsAt(NOW)),
    ).rejects.toThrow(/unique/);
    expect(await registry.get('dup')).toBeUndefined();
  });
});

describe('seed: the custom resource handler', () => {
  const event = (requestType: 'Create' | 'Update' | 'Delete', sources: SeedPayload['sources']) =>
    ({
      RequestType: requestType,
      ServiceToken: 'arn:aws:lambda:eu-west-1:000000000000:function:provider',
      ResponseURL: 'https://example.com/response',
      StackId: 'arn:aws:cloudformation:eu-west-1:000000000000:stack/Lake/1',
      RequestId: '1',
      LogicalResourceId: 'FleetSourceSeed',
      ResourceType: 'Custom::SourceRegistrySeed',
      PhysicalResourceId: SEED_PHYSICAL_ID,
      ResourceProperties: {
        ServiceToken: 'arn:aws:lambda:eu-west-1:000000000000:function:provider',
        Payload: JSON.stringify({ defaults: DEFAULTS, sources } satisfies SeedPayload),
        TableName: local.standins.table,
        KmsKeyArn: KEY_ARN,
      },
      OldResourceProperties: {},
    }) as unknown as CloudFormationCustomResourceEvent;

  it('seeds on Create and Update under one physical id, and keeps everything on Delete', async () => {
    const restore = applyEnv(local.standins.env);
    try {
      // Act
      const created = await handler(event('Create', [{ id: 'wayne' }]));
      const updated = await handler(event('Update', [{ id: 'wayne' }, { id: 'stark' }]));
      const deleted = await handler(event('Delete', [{ id: 'wayne' }, { id: 'stark' }]));

      // Assess
      expect(created).toEqual({
        PhysicalResourceId: SEED_PHYSICAL_ID,
        Data: { Added: 1, Kept: 0, SecretsCreated: 1 },
      });
      expect(updated).toEqual({
        PhysicalResourceId: SEED_PHYSICAL_ID,
        Data: { Added: 1, Kept: 1, SecretsCreated: 1 },
      });
      expect(deleted).toEqual({ PhysicalResourceId: SEED_PHYSICAL_ID });
      expect(await registry.get('wayne')).toBeDefined();
      expect(await registry.get('stark')).toBeDefined();
      await expect(describeSecret(seededSecretName('stark'))).resolves.toBeDefined();
    } finally {
      restore();
    }
  });
});
