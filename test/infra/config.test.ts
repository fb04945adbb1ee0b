import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AppConfigInput, ConfigError, parseAppConfig } from '#lib/config.js';
import {
  buildStack,
  collectorFunction,
  DEFAULT_CONFIG,
  EXISTING_SECRET_ARN,
  environmentOf,
} from './helpers.js';

/** The problems a configuration is rejected with (fails the test if it is accepted). */
function problemsOf(overrides: Record<string, unknown>): string[] {
  try {
    parseAppConfig({ ...DEFAULT_CONFIG, ...overrides });
  } catch (err: unknown) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('configuration was accepted');
}

describe('configuration', () => {
  it('accepts the committed cdk.json configuration and fills in the defaults', () => {
    // Prepare / Act
    const config = parseAppConfig(DEFAULT_CONFIG);

    // Assess
    expect(config.sources).toEqual([{ id: 'default' }]);
    expect(config.scheduleMinutes).toBe(5);
    expect(config.lookbackDays).toBe(60);
    expect(config.dataPrefix).toBe('mimecast/audit-events');
    expect(config.retentionDays).toBeUndefined();
    expect(config.api.authMode).toBe('iam');
    expect(config.athena.bytesScannedCutoffPerQueryGB).toBe(10);
    expect(config.transitions).toEqual({});
  });

  it('accepts the JSON string that `cdk -c mimecastAuditLake=…` passes', () => {
    const config = parseAppConfig(
      JSON.stringify({ sources: [{ id: 'eu' }, { id: 'us', secretArn: EXISTING_SECRET_ARN }] }),
    );

    expect(config.sources.map((s) => s.id)).toEqual(['eu', 'us']);
    expect(config.sources[1]?.secretArn).toBe(EXISTING_SECRET_ARN);
  });

  it('explains a missing configuration', () => {
    expect(() => parseAppConfig(undefined)).toThrow(/set "mimecastAuditLake" in cdk.json/);
  });

  it.each([
    ['Upper-case', 'sources[0].id'],
    ['has/slash', 'sources[0].id'],
    ['', 'sources[0].id'],
    ['x'.repeat(64), 'sources[0].id'],
  ])('rejects the source id %j', (id, path) => {
    const problems = problemsOf({ sources: [{ id }] });

    expect(problems.some((p) => p.startsWith(`${path}:`))).toBe(true);
  });

  it('rejects duplicate source ids, naming the duplicate', () => {
    const problems = problemsOf({ sources: [{ id: 'eu' }, { id: 'us' }, { id: 'eu' }] });

    expect(problems).toContain('sources[2].id: duplicate source id "eu"');
  });

  it('rejects an empty source list', () => {
    expect(problemsOf({ sources: [] })).toContain('sources: configure at least one source');
  });

  it('rejects a secret ARN without the 6-character suffix and a stray secretKmsKeyArn', () => {
    const problems = problemsOf({
      sources: [
        { id: 'a', secretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:mimecast' },
        {
          id: 'b',
          secretKmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        },
      ],
    });

    expect(
      problems.some((p) => p.startsWith('sources[0].secretArn:') && p.includes('6-character suffix')),
    ).toBe(true);
    expect(problems.some((p) => p.startsWith('sources[1].secretKmsKeyArn:'))).toBe(true);
  });

  it('requires jwt settings in jwt mode, with an https issuer and an audience', () => {
    expect(problemsOf({ api: { authMode: 'jwt' } })).toContain(
      'api.jwt: authMode "jwt" needs jwt: { issuer, audience }',
    );

    const problems = problemsOf({
      api: { authMode: 'jwt', jwt: { issuer: 'http://idp.example.com', audience: [] } },
    });
    expect(problems.some((p) => p.startsWith('api.jwt.issuer:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('api.jwt.audience:'))).toBe(true);
  });

  it('rejects jwt settings in iam mode (they would be silently ignored)', () => {
    const problems = problemsOf({ api: { jwt: { issuer: 'https://idp.example.com', audience: ['x'] } } });

    expect(problems).toContain('api.jwt: jwt settings are only used with authMode "jwt"');
  });

  it('rejects transitions at or after the retention period', () => {
    const problems = problemsOf({ retentionDays: 90, transitions: { infrequentAccessAfterDays: 90 } });

    expect(
      problems.some(
        (p) => p.startsWith('transitions.infrequentAccessAfterDays:') && p.includes('retentionDays'),
      ),
    ).toBe(true);
  });

  it('rejects Glacier Instant Retrieval less than 30 days after Standard-IA, and IA before day 30', () => {
    expect(
      problemsOf({
        transitions: { infrequentAccessAfterDays: 30, glacierInstantRetrievalAfterDays: 45 },
      }).some((p) => p.startsWith('transitions.glacierInstantRetrievalAfterDays:')),
    ).toBe(true);
    expect(
      problemsOf({ transitions: { infrequentAccessAfterDays: 10 } }).some((p) =>
        p.startsWith('transitions.infrequentAccessAfterDays:'),
      ),
    ).toBe(true);
  });

  it.each<[string, Record<string, unknown>]>([
    ['lookbackDays', { lookbackDays: 61 }],
    ['scheduleMinutes', { scheduleMinutes: 0 }],
    ['alarmEmail', { alarmEmail: 'not-an-address' }],
    ['logRetentionDays', { logRetentionDays: 100 }],
    ['dataPrefix', { dataPrefix: 'mimecast/*' }],
    ['dataPrefix', { dataPrefix: 'mimecast/audit/' }],
    ['dataPrefix', { dataPrefix: '/mimecast' }],
    ['athena.projectionStartDate', { athena: { projectionStartDate: '2025-02-30' } }],
    ['athena.bytesScannedCutoffPerQueryGB', { athena: { bytesScannedCutoffPerQueryGB: 0.001 } }],
    ['freshnessThresholdMinutes', { scheduleMinutes: 30, freshnessThresholdMinutes: 60 }],
  ])('rejects an invalid %s', (path, overrides) => {
    const problems = problemsOf(overrides);

    expect(problems.some((p) => p.startsWith(`${path}:`))).toBe(true);
  });

  it('takes settle time and rescan ages for the stack, overridden per source, into each collector', () => {
    // Act
    const { template } = buildStack({
      settleSeconds: 600,
      rescanAfterSeconds: [1_800, 43_200],
      sources: [{ id: 'eu' }, { id: 'us', settleSeconds: 120, rescanAfterSeconds: [] }],
      freshnessThresholdMinutes: 60,
    });

    // Assess
    const eu = environmentOf(collectorFunction(template, 'eu')[1]);
    const us = environmentOf(collectorFunction(template, 'us')[1]);
    expect([eu.SETTLE_SECONDS, eu.RESCAN_AFTER_SECONDS]).toEqual(['600', '1800,43200']);
    expect([us.SETTLE_SECONDS, us.RESCAN_AFTER_SECONDS]).toEqual(['120', '']);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['an age above 59 days', { rescanAfterSeconds: [60 * 86_400] }, 'rescanAfterSeconds'],
    ['a fractional age', { rescanAfterSeconds: [1.5] }, 'rescanAfterSeconds'],
    ['repeated ages', { rescanAfterSeconds: [3_600, 3_600] }, 'rescanAfterSeconds'],
    ['six ages', { rescanAfterSeconds: [1, 2, 3, 4, 5, 6] }, 'rescanAfterSeconds'],
    ['a negative settle time', { settleSeconds: -1 }, 'settleSeconds'],
    [
      'a source settle time above a day',
      { sources: [{ id: 'eu', settleSeconds: 90_000 }] },
      'sources[0].settleSeconds',
    ],
  ])('rejects %s', (_label, overrides, path) => {
    const problems = problemsOf(overrides);
    expect(problems.some((p) => p.startsWith(`${path}:`))).toBe(true);
  });

  it('asks for a freshness threshold above the longest settle time', () => {
    const problems = problemsOf({
      sources: [{ id: 'eu', settleSeconds: 3_600 }],
      freshnessThresholdMinutes: 60,
    });
    expect(problems.some((p) => p.startsWith('freshnessThresholdMinutes:') && p.includes('70'))).toBe(true);
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      'noncurrent versions expiring before the object lock ends',
      { objectLock: { mode: 'COMPLIANCE', retentionDays: 365 }, noncurrentVersionRetentionDays: 30 },
      'noncurrentVersionRetentionDays',
    ],
    [
      'objects expiring before the object lock ends',
      {
        objectLock: { mode: 'GOVERNANCE', retentionDays: 400 },
        retentionDays: 365,
        noncurrentVersionRetentionDays: 400,
      },
      'retentionDays',
    ],
    ['an unknown lock mode', { objectLock: { mode: 'LEGAL', retentionDays: 30 } }, 'objectLock.mode'],
    [
      'e-mail subscribers for an existing topic',
      { alarmTopicArn: 'arn:aws:sns:eu-west-1:111122223333:t', alarmEmails: ['a@example.com'] },
      'alarmTopicArn',
    ],
    ['a malformed topic ARN', { alarmTopicArn: 'my-topic' }, 'alarmTopicArn'],
    ['reserved concurrency 0', { reservedConcurrency: 0 }, 'reservedConcurrency'],
  ])('rejects %s', (_label, overrides, path) => {
    const problems = problemsOf(overrides);
    expect(
      problems.some((p) => p.startsWith(`${path}:`)),
      problems.join('\n'),
    ).toBe(true);
  });

  it('accepts an object lock whose retention fits the lifecycle, and several alarm subscribers', () => {
    const config = parseAppConfig({
      ...DEFAULT_CONFIG,
      objectLock: { mode: 'COMPLIANCE', retentionDays: 365 },
      noncurrentVersionRetentionDays: 365,
      alarmEmails: ['soc@example.com', 'oncall@example.com'],
    });
    expect(config.objectLock).toEqual({ mode: 'COMPLIANCE', retentionDays: 365 });
    expect(config.alarmEmails).toHaveLength(2);
    expect(config.notConfiguredAlarmHours).toBe(24);
    expect(config.reservedConcurrency).toBeUndefined();
  });

  it('rejects unknown keys, so a typo is not silently ignored', () => {
    const problems = problemsOf({ scheduleMinute: 10 } as Partial<AppConfigInput>);

    expect(problems.some((p) => p.includes('scheduleMinute'))).toBe(true);
  });

  it('lists every problem at once, one per line', () => {
    // Prepare / Act
    let message = '';
    try {
      parseAppConfig({ sources: [{ id: 'BAD' }], lookbackDays: 90 });
    } catch (err: unknown) {
      message = err instanceof Error ? err.message : '';
    }

    // Assess
    expect(message).toMatch(/^Invalid mimecastAuditLake configuration:\n {2}- /);
    expect(message).toContain('\n  - sources[0].id:');
    expect(message).toContain('\n  - lookbackDays:');
  });

  it('makes bin/app.ts print the problems and exit non-zero before synthesizing anything', () => {
    // Prepare
    const outdir = mkdtempSync(join(tmpdir(), 'cdk-config-'));
    try {
      // Act: the CDK CLI hands context to the app through CDK_CONTEXT_JSON.
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
        cwd: new URL('../..', import.meta.url),
        env: {
          ...process.env,
          CDK_OUTDIR: outdir,
          CDK_CONTEXT_JSON: JSON.stringify({ mimecastAuditLake: { sources: [{ id: 'a' }, { id: 'a' }] } }),
        },
        encoding: 'utf8',
        timeout: 120_000,
      });

      // Assess
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('Invalid mimecastAuditLake configuration');
      expect(run.stderr).toContain('sources[1].id: duplicate source id "a"');
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
