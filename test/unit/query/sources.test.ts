import { describe, expect, it } from 'vitest';
import { AuthenticationError, ConfigurationError } from '#core/mimecast/errors.js';
import type { MimecastClient, MimecastSecret } from '#core/mimecast/types.js';
import { SecretUnavailableError, SourceClients } from '../../../functions/query/lib/sources.js';

const source = { id: 'default', secretId: 'mimecast/default' };
const secretText = (clientId: string) =>
  JSON.stringify({ clientId, clientSecret: 's3cr3t', baseUrl: 'https://m.test' });

/** A secret store whose value can be rotated, and clients that accept only the current client id. */
function setup(initial = 'id-1') {
  let current = initial;
  let reads = 0;
  const built: string[] = [];
  const clients = new SourceClients(
    async () => {
      reads++;
      return secretText(current);
    },
    (secret: MimecastSecret) => {
      const clientId = secret.mode === 'oauth2' ? secret.clientId : '';
      built.push(clientId);
      return { clientId } as unknown as MimecastClient;
    },
  );
  const accepted = { id: initial };
  const search = (client: MimecastClient) => {
    const { clientId } = client as unknown as { clientId: string };
    return clientId === accepted.id
      ? Promise.resolve(`ok with ${clientId}`)
      : Promise.reject(new AuthenticationError('rejected', { status: 401 }));
  };
  return {
    clients,
    search,
    rotate: (id: string) => {
      current = id;
      accepted.id = id;
    },
    revoke: () => {
      accepted.id = 'nobody';
    },
    reads: () => reads,
    built,
  };
}

describe('SourceClients', () => {
  it('reads the secret once and reuses the client', async () => {
    const { clients, search, reads } = setup();
    await clients.withClient(source, search);
    await clients.withClient(source, search);
    expect(reads()).toBe(1);
  });

  it('picks up a rotated secret within the request that hits the rejection', async () => {
    // Prepare
    const { clients, search, rotate, built } = setup();
    await clients.withClient(source, search);
    rotate('id-2');
    // Act
    const result = await clients.withClient(source, search);
    // Assess
    expect(result).toBe('ok with id-2');
    expect(built).toEqual(['id-1', 'id-2']);
  });

  it('fails with the rejection when the secret did not change, and re-reads it next time', async () => {
    const { clients, search, revoke, reads } = setup();
    await clients.withClient(source, search);
    revoke();
    await expect(clients.withClient(source, search)).rejects.toBeInstanceOf(AuthenticationError);
    await expect(clients.withClient(source, search)).rejects.toBeInstanceOf(AuthenticationError);
    expect(reads()).toBe(3);
  });

  it('reports an unreadable secret by error name only, and a malformed one as a configuration error', async () => {
    const missing = new SourceClients(
      async () => {
        const error = new Error('Secrets Manager can’t find the specified secret.');
        error.name = 'ResourceNotFoundException';
        throw error;
      },
      () => ({}) as MimecastClient,
    );
    const malformed = new SourceClients(
      async () => '{"clientId": 5}',
      () => ({}) as MimecastClient,
    );
    const failure = await missing.withClient(source, async () => 'never').catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(SecretUnavailableError);
    expect(failure).toMatchObject({ errorName: 'ResourceNotFoundException', permanent: true });
    await expect(malformed.withClient(source, async () => 'never')).rejects.toBeInstanceOf(
      ConfigurationError,
    );
  });
});
