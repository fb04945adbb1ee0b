import type { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { FromTemporaryCredentialsOptions } from '@aws-sdk/credential-providers';
import { describe, expect, it } from 'vitest';
import {
  perSourceSecretsReader,
  querySessionName,
  type SourceCredentials,
  sourceAccessCredentials,
} from '../../../functions/query/dependencies.js';

const ROLE = 'arn:aws:iam::123456789012:role/mimecast-source-access';

describe('sourceAccessCredentials', () => {
  it('assumes the source-access role tagged mimecast-source=<id>, in a session named query-<id>', () => {
    // Prepare
    const built: FromTemporaryCredentialsOptions[] = [];
    const provider = (options: FromTemporaryCredentialsOptions): SourceCredentials => {
      built.push(options);
      return async () => ({ accessKeyId: 'AKID', secretAccessKey: 'x' });
    };
    const factory = sourceAccessCredentials(ROLE, { provider, clientConfig: { maxAttempts: 2 } });
    // Act
    factory('acme');
    factory('globex');
    // Assess
    expect(built).toEqual([
      {
        params: {
          RoleArn: ROLE,
          RoleSessionName: 'query-acme',
          Tags: [{ Key: 'mimecast-source', Value: 'acme' }],
        },
        clientConfig: { maxAttempts: 2 },
      },
      {
        params: {
          RoleArn: ROLE,
          RoleSessionName: 'query-globex',
          Tags: [{ Key: 'mimecast-source', Value: 'globex' }],
        },
        clientConfig: { maxAttempts: 2 },
      },
    ]);
  });

  it('uses the SDK provider by default, which defers STS to the first call', () => {
    expect(typeof sourceAccessCredentials(ROLE)('acme')).toBe('function');
  });

  it("keeps session names within STS's 64 characters, the tag carrying the whole id", () => {
    const id = `a${'b'.repeat(62)}`;
    expect(querySessionName(id)).toHaveLength(64);
    expect(querySessionName(id)).toBe(`query-${id}`.slice(0, 64));
    const built: FromTemporaryCredentialsOptions[] = [];
    sourceAccessCredentials(ROLE, {
      provider: (options) => {
        built.push(options);
        return async () => ({ accessKeyId: 'AKID', secretAccessKey: 'x' });
      },
    })(id);
    expect(built[0]?.params.Tags).toEqual([{ Key: 'mimecast-source', Value: id }]);
  });
});

describe('perSourceSecretsReader', () => {
  it('reads each secret with the client of the source that names it', async () => {
    // Prepare
    const sent: Array<{ client: string; secretId: string | undefined }> = [];
    const clientOf = (name: string) =>
      ({
        send: async (command: GetSecretValueCommand) => {
          sent.push({ client: name, secretId: command.input.SecretId });
          return { SecretString: `{"from":"${name}"}` };
        },
      }) as unknown as SecretsManagerClient;
    const asked: string[] = [];
    const read = perSourceSecretsReader((sourceId) => {
      asked.push(sourceId);
      return clientOf(`client-${sourceId}`);
    });
    // Act
    const text = await read('mimecast-audit-lake/globex', 'globex');
    // Assess
    expect(text).toBe('{"from":"client-globex"}');
    expect(asked).toEqual(['globex']);
    expect(sent).toEqual([{ client: 'client-globex', secretId: 'mimecast-audit-lake/globex' }]);
  });
});
