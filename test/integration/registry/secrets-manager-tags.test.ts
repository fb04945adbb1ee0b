/**
 * The Secrets Manager stand-in's tags and keys, with the real SDK: what `npm run sources` relies
 * on (CreateSecret with Tags and KmsKeyId, with or without a value; TagResource; DescribeSecret
 * answering both), behaving as the service does.
 */
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidParameterException,
  ResourceNotFoundException,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StandinsWithClients, withStandins } from '#test/support/standins.js';

let local: StandinsWithClients;

beforeAll(async () => {
  local = await withStandins();
});

afterAll(async () => {
  await local?.close();
});

const describeSecret = (id: string) => local.secrets.send(new DescribeSecretCommand({ SecretId: id }));

describe('Secrets Manager stand-in: tags and keys', () => {
  it('creates a tagged secret without a value, encrypted with the given key', async () => {
    // Act
    const created = await local.secrets.send(
      new CreateSecretCommand({
        Name: 'mimecast-audit-lake/acme',
        KmsKeyId: 'alias/stack',
        Tags: [{ Key: 'mimecast-source', Value: 'acme' }],
      }),
    );
    const described = await describeSecret('mimecast-audit-lake/acme');
    const value = await local.secrets
      .send(new GetSecretValueCommand({ SecretId: 'mimecast-audit-lake/acme' }))
      .catch((err: unknown) => err);

    // Assess
    expect(created.VersionId).toBeUndefined();
    expect(described).toMatchObject({
      ARN: created.ARN,
      KmsKeyId: 'alias/stack',
      Tags: [{ Key: 'mimecast-source', Value: 'acme' }],
      VersionIdsToStages: {},
    });
    expect(value).toBeInstanceOf(ResourceNotFoundException);
  });

  it('adds and overwrites tags with TagResource, by ARN, keeping the others', async () => {
    // Prepare
    const { ARN } = await local.secrets.send(
      new CreateSecretCommand({
        Name: 'existing',
        SecretString: '{}',
        Tags: [{ Key: 'team', Value: 'soc' }],
      }),
    );
    if (!ARN) throw new Error('no ARN');

    // Act
    await local.secrets.send(
      new TagResourceCommand({ SecretId: ARN, Tags: [{ Key: 'mimecast-source', Value: 'a' }] }),
    );
    await local.secrets.send(
      new TagResourceCommand({ SecretId: ARN, Tags: [{ Key: 'mimecast-source', Value: 'b' }] }),
    );

    // Assess
    const tags = (await describeSecret('existing')).Tags ?? [];
    expect(new Map(tags.map((t) => [t.Key, t.Value]))).toEqual(
      new Map([
        ['team', 'soc'],
        ['mimecast-source', 'b'],
      ]),
    );
    expect((await describeSecret('existing')).KmsKeyId).toBeUndefined();
  });

  it('answers TagResource on an unknown secret with ResourceNotFoundException, and bad tags with InvalidParameterException', async () => {
    // Act
    const unknown = await local.secrets
      .send(new TagResourceCommand({ SecretId: 'missing', Tags: [{ Key: 'k', Value: 'v' }] }))
      .catch((err: unknown) => err);
    const badTag = await local.secrets
      .send(new CreateSecretCommand({ Name: 'bad-tags', Tags: [{ Key: '', Value: 'v' }] }))
      .catch((err: unknown) => err);

    // Assess
    expect(unknown).toBeInstanceOf(ResourceNotFoundException);
    expect(badTag).toBeInstanceOf(InvalidParameterException);
    expect(await describeSecret('bad-tags').catch((err: unknown) => err)).toBeInstanceOf(
      ResourceNotFoundException,
    );
  });
});
