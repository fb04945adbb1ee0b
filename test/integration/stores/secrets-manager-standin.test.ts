import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyEnv, type StandinsWithClients, withStandins } from '#test/support/standins.js';

const SECRET_ID = 'mimecast/default';
const SECRET_VALUE = JSON.stringify({ clientId: 'client-1', clientSecret: 'not-a-real-secret' });

let local: StandinsWithClients;

beforeAll(async () => {
  local = await withStandins({ secrets: { [SECRET_ID]: SECRET_VALUE } });
});

afterAll(async () => {
  await local?.close();
});

const get = (id: string) => local.secrets.send(new GetSecretValueCommand({ SecretId: id }));

describe('Secrets Manager stand-in with the real SDK', () => {
  it('answers GetSecretValue by name with the current version', async () => {
    // Act
    const secret = await get(SECRET_ID);

    // Assess
    expect(secret).toMatchObject({
      Name: SECRET_ID,
      SecretString: SECRET_VALUE,
      VersionStages: ['AWSCURRENT'],
    });
    expect(secret.ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:\d{12}:secret:mimecast\/default-[0-9a-f]{6}$/,
    );
    expect(secret.VersionId).toEqual(expect.any(String));
    expect(secret.CreatedDate).toBeInstanceOf(Date);
  });

  it('finds the secret by its full ARN and by a partial ARN ending in the name', async () => {
    // Prepare
    const { ARN } = await get(SECRET_ID);
    if (!ARN) throw new Error('no ARN returned');
    const partialArn = ARN.slice(0, -'-xxxxxx'.length);

    // Act
    const byArn = await get(ARN);
    const byPartialArn = await get(partialArn);

    // Assess
    expect(byArn.SecretString).toBe(SECRET_VALUE);
    expect(byPartialArn.SecretString).toBe(SECRET_VALUE);
  });

  it('answers an unknown secret with ResourceNotFoundException', async () => {
    // Act
    const failure = await get('mimecast/missing').catch((err: unknown) => err);

    // Assess
    expect(failure).toBeInstanceOf(ResourceNotFoundException);
    expect(failure).toMatchObject({ $metadata: { httpStatusCode: 400 } });
  });

  it('serves a rotated value as a new version, whether rotated in-process or through PutSecretValue', async () => {
    // Prepare
    const before = await get(SECRET_ID);

    // Act
    local.standins.putSecret(SECRET_ID, '{"rotated":1}');
    const afterPut = await get(SECRET_ID);
    await local.secrets.send(
      new PutSecretValueCommand({ SecretId: SECRET_ID, SecretString: '{"rotated":2}' }),
    );
    const afterApi = await get(SECRET_ID);

    // Assess
    expect(afterPut.SecretString).toBe('{"rotated":1}');
    expect(afterApi.SecretString).toBe('{"rotated":2}');
    expect(new Set([before.VersionId, afterPut.VersionId, afterApi.VersionId]).size).toBe(3);
    expect(afterApi.ARN).toBe(before.ARN);
  });

  it('creates secrets through CreateSecret and refuses to create one twice', async () => {
    // Act
    const created = await local.secrets.send(
      new CreateSecretCommand({ Name: 'created', SecretString: 'v1' }),
    );
    const again = await local.secrets
      .send(new CreateSecretCommand({ Name: 'created', SecretString: 'v2' }))
      .catch((err: unknown) => err);

    // Assess
    expect(created.Name).toBe('created');
    expect((await get('created')).SecretString).toBe('v1');
    expect(again).toBeInstanceOf(ResourceExistsException);
  });

  it('is reachable through AWS_ENDPOINT_URL_SECRETS_MANAGER alone', async () => {
    // Prepare
    const restore = applyEnv(local.standins.env);
    const client = new SecretsManagerClient({});
    try {
      // Act
      const secret = await client.send(new GetSecretValueCommand({ SecretId: SECRET_ID }));

      // Assess
      expect(secret.Name).toBe(SECRET_ID);
    } finally {
      client.destroy();
      restore();
    }
  });
});
