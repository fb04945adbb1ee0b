/**
 * Honest limits: the largest configuration the schema accepts must synthesize within the stack's
 * resource budget, with a query-function environment inside Lambda's 4 KB; one more source is refused.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseAppConfig } from '#lib/config.js';
import {
  BASE_RESOURCES,
  LAMBDA_ENVIRONMENT_LIMIT_BYTES,
  MAX_SOURCES,
  MAX_STACK_RESOURCES,
  queryEnvironmentBytes,
  RESOURCES_PER_SOURCE,
} from '#lib/limits.js';
import { buildStack, DEFAULT_CONFIG, environmentOf, queryFunction } from './helpers.js';

const resourceCount = (sources: number): number =>
  Object.keys(
    buildStack({ sources: Array.from({ length: sources }, (_, i) => ({ id: `s${i}` })) }).template.toJSON()
      .Resources as object,
  ).length;

/** The longest ids that still fit the environment with MAX_SOURCES sources. */
function longestFittingIds(): Array<{ id: string }> {
  for (let length = 63; length > 1; length -= 1) {
    const sources = Array.from({ length: MAX_SOURCES }, (_, i) => ({
      id: `${i}`.padStart(length, 'x').toLowerCase(),
    }));
    if (queryEnvironmentBytes({ sources }) <= LAMBDA_ENVIRONMENT_LIMIT_BYTES) return sources;
  }
  throw new Error('no id length fits');
}

describe('stack limits', () => {
  it('counts the resources each source adds and the base exactly as the limits module says', () => {
    const one = resourceCount(1);
    const three = resourceCount(3);

    expect(one).toBe(BASE_RESOURCES + RESOURCES_PER_SOURCE);
    expect((three - one) / 2).toBe(RESOURCES_PER_SOURCE);
  });

  it('synthesizes the largest accepted configuration under 450 resources, with the query environment under 4 KB', () => {
    // Prepare: as many sources as accepted, with the longest ids that still pass validation.
    const sources = longestFittingIds();
    const config = parseAppConfig({ ...DEFAULT_CONFIG, sources });

    // Act
    const { template } = buildStack({ sources: config.sources });

    // Assess
    const resources = Object.keys(template.toJSON().Resources as object).length;
    expect(resources).toBeLessThan(MAX_STACK_RESOURCES);
    const env = environmentOf(queryFunction(template)[1]);
    expect(Object.keys(env)).toContain('SOURCES');
    expect(queryEnvironmentBytes(config)).toBeLessThanOrEqual(LAMBDA_ENVIRONMENT_LIMIT_BYTES);
  });

  it('refuses one source more than fits, and ids too long for the environment, saying why', () => {
    const tooMany = Array.from({ length: MAX_SOURCES + 1 }, (_, i) => ({ id: `s${i}` }));
    const tooLong = Array.from({ length: MAX_SOURCES }, (_, i) => ({ id: `${'x'.repeat(60)}${i}` }));
    const problems = (sources: Array<{ id: string }>) => {
      try {
        parseAppConfig({ ...DEFAULT_CONFIG, sources });
      } catch (err: unknown) {
        if (err instanceof ConfigError) return err.problems.join('\n');
      }
      return '';
    };

    expect(problems(tooMany)).toMatch(/at most \d+ sources/);
    expect(problems(tooLong)).toMatch(/4096 bytes/);
  });
});
