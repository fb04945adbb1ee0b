/**
 * The production credentials of a fleet run: what the collector asks STS for. STS itself is not
 * imitated; the provider factory is replaced so the request it is built with can be examined.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { awsClientConfig } from '#core/aws-clients.js';
import { parseEnvironment } from '#core/config/env.js';
import { fleetCollectorEnvSchema } from '#core/config/fleet-collector-env.js';
import { SOURCE_TAG_KEY } from '#core/registry/source-config.js';
import {
  sourceAccessCredentials,
  sourceAccessCredentialsFor,
  sourceAccessParams,
} from '../../../functions/collector/fleet.js';

const built = vi.hoisted(() => ({ options: [] as unknown[] }));
vi.mock('@aws-sdk/credential-providers', () => ({
  fromTemporaryCredentials: (options: unknown) => {
    built.options.push(options);
    return async () => {
      throw new Error('not called in these tests');
    };
  },
}));

const ROLE = 'arn:aws:iam::123456789012:role/mimecast-source-access';

beforeEach(() => {
  built.options.length = 0;
});

describe('the AssumeRole request of a source', () => {
  it('assumes the source-access role with the session tag mimecast-source=<id>', () => {
    expect(sourceAccessParams(ROLE, 'acme')).toEqual({
      RoleArn: ROLE,
      RoleSessionName: 'collector-acme',
      Tags: [{ Key: 'mimecast-source', Value: 'acme' }],
    });
    expect(SOURCE_TAG_KEY).toBe('mimecast-source');
  });

  it('keeps the session name within IAM’s 64 characters while the tag keeps the whole id', () => {
    // Prepare: the longest source id (63 characters).
    const id = `a${'b'.repeat(62)}`;

    // Act
    const params = sourceAccessParams(ROLE, id);

    // Assess
    expect(params.RoleSessionName).toHaveLength(64);
    expect(params.RoleSessionName).toMatch(/^collector-ab+$/);
    expect(params.RoleSessionName).toMatch(/^[\w+=,.@-]{2,64}$/);
    expect(params.Tags).toEqual([{ Key: 'mimecast-source', Value: id }]);
  });

  it('builds the provider from those parameters and the AWS client limits', () => {
    // Prepare
    const limits = awsClientConfig({
      AWS_CONNECT_TIMEOUT_MS: 1_000,
      AWS_REQUEST_TIMEOUT_MS: 2_000,
      AWS_MAX_ATTEMPTS: 2,
    });

    // Act
    sourceAccessCredentials(ROLE, 'globex', limits);

    // Assess
    expect(built.options).toEqual([
      {
        params: {
          RoleArn: ROLE,
          RoleSessionName: 'collector-globex',
          Tags: [{ Key: 'mimecast-source', Value: 'globex' }],
        },
        clientConfig: limits,
      },
    ]);
    // No masterCredentials: the function's own credentials (the default chain) assume the role.
    expect(built.options[0]).not.toHaveProperty('masterCredentials');
  });

  it("gives every source of a fleet SOURCE_ACCESS_ROLE_ARN with that source's tag and the fleet's limits", () => {
    // Prepare
    const config = parseEnvironment(fleetCollectorEnvSchema, {
      SOURCE_REGISTRY: 'true',
      SOURCE_ACCESS_ROLE_ARN: ROLE,
      BUCKET_NAME: 'lake-bucket',
      CURSOR_TABLE_NAME: 'lake-cursor',
      AWS_MAX_ATTEMPTS: '2',
    });
    const credentialsFor = sourceAccessCredentialsFor(config);

    // Act
    credentialsFor('acme');
    credentialsFor('globex');

    // Assess
    expect(built.options).toEqual([
      { params: sourceAccessParams(ROLE, 'acme'), clientConfig: awsClientConfig(config) },
      { params: sourceAccessParams(ROLE, 'globex'), clientConfig: awsClientConfig(config) },
    ]);
    expect(awsClientConfig(config).maxAttempts).toBe(2);
  });
});
