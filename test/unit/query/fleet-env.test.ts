import { describe, expect, it } from 'vitest';
import { parseEnvironment, queryEnvSchema } from '#core/config/env.js';
import { fleetQueryEnvSchema, isFleetQueryEnvironment } from '#core/config/fleet-query-env.js';

const BASE = {
  SOURCE_REGISTRY: 'true',
  SOURCE_ACCESS_ROLE_ARN: 'arn:aws:iam::123456789012:role/mimecast-source-access',
  BUCKET_NAME: 'archive-bucket',
  CURSOR_TABLE_NAME: 'cursor-table',
};

describe('the fleet query environment', () => {
  it('takes the role and the cache lifetime, and the query settings with their usual defaults', () => {
    const config = parseEnvironment(fleetQueryEnvSchema, BASE);
    const single = parseEnvironment(queryEnvSchema, { ...BASE, MIMECAST_SECRET_ID: 's' });
    expect(config.SOURCE_ACCESS_ROLE_ARN).toBe(BASE.SOURCE_ACCESS_ROLE_ARN);
    expect(config.SOURCE_CACHE_SECONDS).toBe(60);
    expect(config.QUERY_DEADLINE_MS).toBe(single.QUERY_DEADLINE_MS);
    expect(config.ARCHIVE_WORKGROUP).toBe(single.ARCHIVE_WORKGROUP);
    expect(
      parseEnvironment(fleetQueryEnvSchema, { ...BASE, SOURCE_CACHE_SECONDS: '5' }).SOURCE_CACHE_SECONDS,
    ).toBe(5);
  });

  it('refuses the single-source variables, naming each, and a role that is not a role ARN', () => {
    expect(() =>
      parseEnvironment(fleetQueryEnvSchema, {
        ...BASE,
        SOURCES: '[{"id":"a","secretId":"s"}]',
        MIMECAST_SECRET_ID: 'mimecast/default',
        SOURCE_ID: 'default',
      }),
    ).toThrow(
      /SOURCES: must not be set when SOURCE_REGISTRY=true.*SOURCE_ID: must not be set.*MIMECAST_SECRET_ID: must not be set/,
    );
    expect(() =>
      parseEnvironment(fleetQueryEnvSchema, { ...BASE, SOURCE_ACCESS_ROLE_ARN: 'mimecast-source-access' }),
    ).toThrow('SOURCE_ACCESS_ROLE_ARN: an IAM role ARN');
    const { SOURCE_ACCESS_ROLE_ARN: _role, ...withoutRole } = BASE;
    expect(() => parseEnvironment(fleetQueryEnvSchema, withoutRole)).toThrow('SOURCE_ACCESS_ROLE_ARN');
    expect(() => parseEnvironment(fleetQueryEnvSchema, { ...BASE, SOURCE_CACHE_SECONDS: '0' })).toThrow(
      'SOURCE_CACHE_SECONDS',
    );
  });

  it('is chosen by SOURCE_REGISTRY: true is fleet mode, absent or false is not, anything else is refused', () => {
    expect(isFleetQueryEnvironment({ SOURCE_REGISTRY: 'true' })).toBe(true);
    expect(isFleetQueryEnvironment({})).toBe(false);
    expect(isFleetQueryEnvironment({ SOURCE_REGISTRY: 'false' })).toBe(false);
    expect(isFleetQueryEnvironment({ SOURCE_REGISTRY: '' })).toBe(false);
    // "yes" is read as fleet mode so that the fleet schema can say what is wrong with it.
    expect(isFleetQueryEnvironment({ SOURCE_REGISTRY: 'yes' })).toBe(true);
    expect(() => parseEnvironment(fleetQueryEnvSchema, { ...BASE, SOURCE_REGISTRY: 'yes' })).toThrow(
      'SOURCE_REGISTRY: must be "true" (fleet mode) or "false"',
    );
  });
});
