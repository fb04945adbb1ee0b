/**
 * Reading the Mimecast credentials secret from Secrets Manager, shared by the collector and the
 * query function. Tells apart a secret that holds no credentials yet (the stack creates it with
 * no value; the operator may also leave it empty or `{}`), a secret that cannot be read (missing,
 * no permission, KMS), and one that holds something (parsed elsewhere). Messages carry the secret
 * id and the SDK error name, never the value.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { ConfigurationError } from './mimecast/errors.js';
import { isUnfilledSecretText, SecretNotConfiguredError } from './mimecast/secret.js';

/** A secret that could not be read (missing, no access, network). Names the secret id, never its value. */
export class SecretReadError extends Error {
  /** The SDK error name, e.g. `AccessDeniedException`. */
  readonly errorName: string;
  constructor(secretId: string, errorName: string, cause: unknown) {
    super(`Could not read the Mimecast secret ${secretId}: ${errorName}`, { cause });
    this.name = 'SecretReadError';
    this.errorName = errorName;
  }
}

const errorName = (err: unknown): string =>
  err instanceof Error && /^[A-Za-z][A-Za-z0-9]{0,63}$/.test(err.name) ? err.name : 'UnknownError';

/**
 * True when the secret exists but has no current version. GetSecretValue answers a secret created
 * without a value with ResourceNotFoundException, the same name as for a secret that does not
 * exist (its message says "…can't find the specified secret value for staging label: AWSCURRENT"),
 * so DescribeSecret settles it: it succeeds for the secret, and lists no version staged AWSCURRENT.
 */
async function existsWithoutValue(client: SecretsManagerClient, secretId: string): Promise<boolean> {
  try {
    const described = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
    const stages = Object.values(described.VersionIdsToStages ?? {}).flat();
    return !stages.includes('AWSCURRENT');
  } catch {
    // Missing too, or not allowed to look: the original ResourceNotFoundException stands.
    return false;
  }
}

/**
 * The secret's SecretString. Throws SecretNotConfiguredError when it holds no credentials yet,
 * SecretReadError when it cannot be read, ConfigurationError for a binary-only secret.
 */
export async function readSecretText(client: SecretsManagerClient, secretId: string): Promise<string> {
  let value: string | undefined;
  try {
    const answer = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    value = answer.SecretString;
  } catch (err: unknown) {
    const name = errorName(err);
    if (name === 'ResourceNotFoundException' && (await existsWithoutValue(client, secretId))) {
      throw new SecretNotConfiguredError(secretId);
    }
    throw new SecretReadError(secretId, name, err);
  }
  if (value === undefined) {
    throw new ConfigurationError(
      `Invalid Mimecast secret: ${secretId} has no SecretString (binary secrets are not supported)`,
    );
  }
  if (isUnfilledSecretText(value)) throw new SecretNotConfiguredError(secretId);
  return value;
}
