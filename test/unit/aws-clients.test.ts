import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AWS_CLIENT_DEFAULTS, awsClientConfig, worstCaseCallMs } from '#core/aws-clients.js';
import { collectorEnvSchema, parseEnvironment, queryEnvSchema } from '#core/config/env.js';
import { createCollectorRuntime } from '../../functions/collector/runtime.js';

/** The variables without defaults, so each test sets only what it is about. */
const REQUIRED = {
  MIMECAST_SECRET_ID: 'mimecast/default',
  BUCKET_NAME: 'archive-bucket',
  CURSOR_TABLE_NAME: 'cursor-table',
};
/** The collector's SAFETY_MARGIN_MS default. */
const DEFAULT_SAFETY_MARGIN_MS = 30_000;

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('AWS client settings from the environment', () => {
  it('defaults to connect 2 s, request 3 s and 3 attempts in both functions', () => {
    // Act
    const collector = parseEnvironment(collectorEnvSchema, REQUIRED);
    const query = parseEnvironment(queryEnvSchema, REQUIRED);

    // Assess
    const expected = { AWS_CONNECT_TIMEOUT_MS: 2_000, AWS_REQUEST_TIMEOUT_MS: 3_000, AWS_MAX_ATTEMPTS: 3 };
    expect(AWS_CLIENT_DEFAULTS).toEqual(expected);
    expect(collector).toMatchObject(expected);
    expect(query).toMatchObject(expected);
  });

  it('turns the variables into handler timeouts that throw and a bounded number of attempts', () => {
    // Prepare
    const env = {
      ...REQUIRED,
      AWS_CONNECT_TIMEOUT_MS: '250',
      AWS_REQUEST_TIMEOUT_MS: '900',
      AWS_MAX_ATTEMPTS: '2',
    };

    // Act
    const fromCollector = awsClientConfig(parseEnvironment(collectorEnvSchema, env));
    const fromQuery = awsClientConfig(parseEnvironment(queryEnvSchema, env));

    // Assess
    const expected = {
      requestHandler: {
        connectionTimeout: 250,
        requestTimeout: 900,
        socketTimeout: 900,
        throwOnRequestTimeout: true,
      },
      maxAttempts: 2,
    };
    expect(fromCollector).toEqual(expected);
    expect(fromQuery).toEqual(expected);
  });

  it.each([
    ['AWS_CONNECT_TIMEOUT_MS', '0'],
    ['AWS_CONNECT_TIMEOUT_MS', '60001'],
    ['AWS_REQUEST_TIMEOUT_MS', '-1'],
    ['AWS_REQUEST_TIMEOUT_MS', '1.5'],
    ['AWS_REQUEST_TIMEOUT_MS', '120001'],
    ['AWS_MAX_ATTEMPTS', '0'],
    ['AWS_MAX_ATTEMPTS', '11'],
    ['AWS_MAX_ATTEMPTS', 'three'],
  ])('rejects %s=%s, naming the variable', (name, value) => {
    for (const schema of [collectorEnvSchema, queryEnvSchema]) {
      // Act
      const parse = () => parseEnvironment(schema, { ...REQUIRED, [name]: value });
      // Assess
      expect(parse).toThrow(new RegExp(`Invalid environment: ${name}:`));
    }
  });

  it('accepts the bounds themselves', () => {
    // Act
    const config = parseEnvironment(collectorEnvSchema, {
      ...REQUIRED,
      AWS_CONNECT_TIMEOUT_MS: '60000',
      AWS_REQUEST_TIMEOUT_MS: '1',
      AWS_MAX_ATTEMPTS: '10',
    });
    // Assess
    expect(config).toMatchObject({
      AWS_CONNECT_TIMEOUT_MS: 60_000,
      AWS_REQUEST_TIMEOUT_MS: 1,
      AWS_MAX_ATTEMPTS: 10,
    });
  });
});

describe('worst case of a hung call', () => {
  it('is the attempts times the request timeout plus the backoff between them', () => {
    expect(
      worstCaseCallMs({ AWS_CONNECT_TIMEOUT_MS: 250, AWS_REQUEST_TIMEOUT_MS: 500, AWS_MAX_ATTEMPTS: 1 }),
    ).toBe(500);
    expect(
      worstCaseCallMs({ AWS_CONNECT_TIMEOUT_MS: 250, AWS_REQUEST_TIMEOUT_MS: 500, AWS_MAX_ATTEMPTS: 2 }),
    ).toBe(1_100);
    // Backoffs 100 … 12 800 ms, then capped at the SDK's 20 s.
    expect(
      worstCaseCallMs({ AWS_CONNECT_TIMEOUT_MS: 1, AWS_REQUEST_TIMEOUT_MS: 1_000, AWS_MAX_ATTEMPTS: 10 }),
    ).toBe(10 * 1_000 + (100 + 200 + 400 + 800 + 1_600 + 3_200 + 6_400 + 12_800 + 20_000));
  });

  it('lets the defaults end three hung calls in a row inside the default safety margin', () => {
    // A failure on a hung DynamoDB is followed by recording the error and releasing the lease.
    expect(worstCaseCallMs(AWS_CLIENT_DEFAULTS)).toBe(9_300);
    expect(3 * worstCaseCallMs(AWS_CLIENT_DEFAULTS)).toBeLessThanOrEqual(DEFAULT_SAFETY_MARGIN_MS);
    // Even counting connect and request time as if they did not overlap, one call takes 15.3 s.
    const { AWS_CONNECT_TIMEOUT_MS, AWS_REQUEST_TIMEOUT_MS, AWS_MAX_ATTEMPTS } = AWS_CLIENT_DEFAULTS;
    const backoff = worstCaseCallMs(AWS_CLIENT_DEFAULTS) - AWS_MAX_ATTEMPTS * AWS_REQUEST_TIMEOUT_MS;
    expect(AWS_MAX_ATTEMPTS * (AWS_CONNECT_TIMEOUT_MS + AWS_REQUEST_TIMEOUT_MS) + backoff).toBeLessThan(
      DEFAULT_SAFETY_MARGIN_MS,
    );
  });

  it('makes the collector refuse limits that a hang could run past SAFETY_MARGIN_MS with', () => {
    // Act: 3 × (3 × 4 s + 0.3 s) = 36.9 s > 30 s.
    const tooLong = () => createCollectorRuntime({ ...REQUIRED, AWS_REQUEST_TIMEOUT_MS: '4000' });
    const withRoom = () =>
      createCollectorRuntime({ ...REQUIRED, AWS_REQUEST_TIMEOUT_MS: '4000', SAFETY_MARGIN_MS: '40000' });

    // Assess
    expect(tooLong).toThrow(
      /Invalid environment: AWS_MAX_ATTEMPTS × AWS_REQUEST_TIMEOUT_MS .*SAFETY_MARGIN_MS.*36900 ms/,
    );
    expect(withRoom).not.toThrow();
  });
});

describe('an SDK client built with the config', () => {
  it("uses the validated attempts, not the SDK's own reading of AWS_MAX_ATTEMPTS", async () => {
    // Prepare: the SDK reads this variable itself when maxAttempts is not given.
    vi.stubEnv('AWS_MAX_ATTEMPTS', '7');
    const client = new DynamoDBClient(awsClientConfig({ ...AWS_CLIENT_DEFAULTS, AWS_MAX_ATTEMPTS: 2 }));

    // Act
    const attempts = await client.config.maxAttempts();
    client.destroy();

    // Assess
    expect(attempts).toBe(2);
  });
});
