/**
 * Fleet mode (docs/mssp.md): the stack holds the same resources for 1, 50 and 500 sources, and
 * nothing per source; the source-access role confines every statement to the session's
 * `mimecast-source` tag; the collector's own role reaches no data; the dispatcher may invoke the
 * collector and nothing else; the seed carries every declared source; cdk-nag has nothing to say.
 * The default (per-source) configuration is unchanged. Synthesis times are printed, not asserted
 * (the benchmarks measure them: bench/scenarios/synth.ts).
 */
import { performance } from 'node:perf_hooks';
import { App, Validations } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CollectorMetric } from '#core/observability.js';
import { SOURCE_TAG_KEY } from '#core/registry/source-config.js';
import { type AppConfigInput, ConfigError, parseAppConfig } from '#lib/config.js';
import { SOURCE_TAG_VARIABLE } from '#lib/constructs/fleet.js';
import { FLEET_ALARM_KINDS } from '#lib/constructs/monitoring.js';
import {
  BASE_RESOURCES,
  FLEET_RESOURCES,
  MAX_FLEET_SOURCES,
  MAX_SOURCES,
  RESOURCES_PER_SOURCE,
} from '#lib/limits.js';
import { MimecastAuditLakeStack } from '#lib/stack.js';
import { seedPayloadSchema } from '../../functions/seed/payload.js';
import {
  type Built,
  buildStack,
  type CfnResourceJson,
  cdkContext,
  compactorFunction,
  DEFAULT_CONFIG,
  EXISTING_SECRET_ARN,
  environmentOf,
  flatten,
  fleetFunction,
  numberedSources,
  queryFunction,
  resourcesOf,
  roleOfFunction,
  roleStatements,
  type Statement,
  single,
} from './helpers.js';

const SIZES = [1, 50, 500] as const;
const built = new Map<number, Built>();
const synthMs = new Map<number, number>();

beforeAll(() => {
  for (const size of SIZES) {
    const started = performance.now();
    built.set(size, buildStack({ fleet: { enabled: true }, sources: numberedSources(size) }));
    synthMs.set(size, performance.now() - started);
  }
  // Informative only: the synth benchmark (bench/scenarios/synth.ts) is where time is judged.
  console.info(
    `fleet synth: ${SIZES.map((n) => `${n} sources ${Math.round(synthMs.get(n) ?? 0)} ms`).join(', ')}`,
  );
});

function fleetTemplate(size: (typeof SIZES)[number] = 500): Template {
  const stack = built.get(size);
  if (stack === undefined) throw new Error(`no stack of ${size} sources`);
  return stack.template;
}

const resourceCount = (t: Template): number => Object.keys(t.toJSON().Resources as object).length;

const typeCounts = (t: Template): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const r of Object.values(t.toJSON().Resources as Record<string, { Type: string }>))
    counts[r.Type] = (counts[r.Type] ?? 0) + 1;
  return counts;
};

/** The logical id of the role `name` (a construct path part) of the fleet. */
function fleetRole(t: Template, name: string): string {
  const ids = Object.keys(resourcesOf(t, 'AWS::IAM::Role')).filter((id) => id.startsWith(`Fleet${name}`));
  if (ids.length !== 1 || ids[0] === undefined)
    throw new Error(`expected one Fleet${name} role, found ${ids}`);
  return ids[0];
}

const conditionValues = (s: Statement, operator: string, key: string): string[] => {
  const value = s.Condition?.[operator]?.[key];
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]).map(flatten);
};

describe('fleet mode: the same resources for any number of sources', () => {
  it('synthesizes exactly the same resources for 1, 50 and 500 sources, at most 150', () => {
    const counts = SIZES.map((n) => resourceCount(fleetTemplate(n)));

    expect(new Set(counts).size).toBe(1);
    expect(counts[0]).toBe(FLEET_RESOURCES);
    expect(FLEET_RESOURCES).toBeLessThanOrEqual(150);
    expect(typeCounts(fleetTemplate(1))).toEqual(typeCounts(fleetTemplate(500)));
  });

  it('creates nothing per source: no schedules, no secrets, one collector function', () => {
    const t = fleetTemplate(500);
    const logicalIds = Object.keys(t.toJSON().Resources as object);

    expect(resourcesOf(t, 'AWS::Scheduler::Schedule')).toEqual({});
    expect(resourcesOf(t, 'AWS::SecretsManager::Secret')).toEqual({});
    expect(() => fleetFunction(t, 'collector')).not.toThrow();
    expect(
      Object.values(resourcesOf(t, 'AWS::Lambda::Function')).filter((f) =>
        String(f.Properties.Description).startsWith('Copies'),
      ),
    ).toHaveLength(1);
    // No resource is named after a source (s499 stands for any of them).
    expect(logicalIds.filter((id) => /Sources499|Source-s499/.test(id))).toEqual([]);
  });

  it('keeps the default configuration per source, with the resources the limits module counts', () => {
    const { template, config } = buildStack();

    expect(config.fleet.enabled).toBe(false);
    expect(resourceCount(template)).toBe(BASE_RESOURCES + RESOURCES_PER_SOURCE);
    expect(resourcesOf(template, 'AWS::Scheduler::Schedule')).not.toEqual({});
    expect(() => fleetFunction(template, 'dispatcher')).toThrow();
  });
});

describe('fleet mode: the source-access role (ABAC)', () => {
  it('scopes every S3 resource, the cursor key and the secrets by the session tag', () => {
    const t = fleetTemplate();
    const statements = roleStatements(t, fleetRole(t, 'SourceAccessRole'));
    const s3 = statements.filter((s) => s.Action.some((a) => a.startsWith('s3:')));
    const objects = s3.filter((s) => !s.Action.includes('s3:ListBucket'));
    const listing = s3.filter((s) => s.Action.includes('s3:ListBucket'));
    const dynamodb = statements.filter((s) => s.Action.some((a) => a.startsWith('dynamodb:')));
    const secrets = statements.filter((s) => s.Action.some((a) => a.startsWith('secretsmanager:')));

    expect(SOURCE_TAG_VARIABLE).toBe(`\${aws:PrincipalTag/${SOURCE_TAG_KEY}}`);
    expect(objects.length).toBeGreaterThan(0);
    for (const s of objects) {
      expect(s.Resource.length).toBeGreaterThan(0);
      for (const r of s.Resource) expect(r).toContain(`/source=${SOURCE_TAG_VARIABLE}/`);
    }
    expect(listing).toHaveLength(1);
    const prefixes = conditionValues(listing[0] as Statement, 'StringLike', 's3:prefix');
    expect(prefixes.length).toBe(2);
    for (const p of prefixes) expect(p).toContain(`/source=${SOURCE_TAG_VARIABLE}/`);

    expect(dynamodb).toHaveLength(1);
    expect(dynamodb[0]?.Action.sort()).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    expect(
      conditionValues(dynamodb[0] as Statement, 'ForAllValues:StringEquals', 'dynamodb:LeadingKeys'),
    ).toEqual([`source#${SOURCE_TAG_VARIABLE}`]);

    expect(secrets).toHaveLength(1);
    expect(secrets[0]?.Action.sort()).toEqual([
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    expect(
      conditionValues(
        secrets[0] as Statement,
        'StringEquals',
        `secretsmanager:ResourceTag/${SOURCE_TAG_KEY}`,
      ),
    ).toEqual([SOURCE_TAG_VARIABLE]);
    // Nothing else but the stack key through those services.
    const others = statements.filter((s) => !s3.includes(s) && !dynamodb.includes(s) && !secrets.includes(s));
    for (const s of others) expect(s.Action.every((a) => a.startsWith('kms:'))).toBe(true);
  });

  it('is assumable by the fleet collector only, only with the mimecast-source session tag', () => {
    const t = fleetTemplate();
    const role = resourcesOf(t, 'AWS::IAM::Role')[fleetRole(t, 'SourceAccessRole')] as CfnResourceJson;
    const trust = (role.Properties.AssumeRolePolicyDocument as { Statement: Array<Record<string, unknown>> })
      .Statement;
    const collectorRole = roleOfFunction(fleetFunction(t, 'collector')[1]);

    const [statement] = trust;
    if (statement === undefined) throw new Error('no trust statement');
    expect(trust).toHaveLength(1);
    expect([...(statement.Action as string[])].sort()).toEqual(['sts:AssumeRole', 'sts:TagSession']);
    expect(flatten((statement.Principal as { AWS: unknown }).AWS)).toBe(`<${collectorRole}.Arn>`);
    expect(statement.Condition).toEqual({
      Null: { [`aws:RequestTag/${SOURCE_TAG_KEY}`]: 'false' },
      'ForAllValues:StringEquals': { 'aws:TagKeys': [SOURCE_TAG_KEY] },
    });
  });

  it("gives the collector's own role no S3, Secrets Manager or DynamoDB write permission", () => {
    const t = fleetTemplate();
    const statements = roleStatements(t, roleOfFunction(fleetFunction(t, 'collector')[1]));
    const actions = statements.flatMap((s) => s.Action);
    const sts = statements.filter((s) => s.Action.some((a) => a.startsWith('sts:')));
    const dynamodb = statements.filter((s) => s.Action.some((a) => a.startsWith('dynamodb:')));

    expect(actions.filter((a) => a.startsWith('s3:') || a.startsWith('secretsmanager:'))).toEqual([]);
    expect(actions.filter((a) => a.startsWith('dynamodb:'))).toEqual(['dynamodb:GetItem']);
    expect(
      conditionValues(dynamodb[0] as Statement, 'ForAllValues:StringLike', 'dynamodb:LeadingKeys'),
    ).toEqual(['source-config#*']);
    expect(sts).toHaveLength(1);
    expect(sts[0]?.Resource).toEqual([`<${fleetRole(t, 'SourceAccessRole')}.Arn>`]);
  });

  it('lets the query API read secrets only through a read-only role scoped the same way', () => {
    const t = fleetTemplate();
    const [, fn] = queryFunction(t);
    const env = environmentOf(fn);
    const queryStatements = roleStatements(t, roleOfFunction(fn));
    const assumed = queryStatements.find((s) => s.Action.includes('sts:AssumeRole'));
    const reader = /^<(.+)\.Arn>$/.exec(assumed?.Resource[0] ?? '')?.[1] ?? '';
    const readerActions = roleStatements(t, reader)
      .flatMap((s) => s.Action)
      .filter((a) => !a.startsWith('kms:'));

    expect(env.SOURCE_REGISTRY).toBe('true');
    expect(flatten(env.SOURCE_ACCESS_ROLE_ARN)).toBe(`<${reader}.Arn>`);
    for (const absent of ['SOURCES', 'SOURCE_ID', 'MIMECAST_SECRET_ID']) expect(env[absent]).toBeUndefined();
    expect(queryStatements.flatMap((s) => s.Action).filter((a) => a.startsWith('secretsmanager:'))).toEqual(
      [],
    );
    expect(readerActions.sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
  });
});

describe('fleet mode: collector, dispatcher and seed', () => {
  it('runs one collector with the registry environment, a reservation, no retries and a failure queue', () => {
    const t = fleetTemplate();
    const [id, fn] = fleetFunction(t, 'collector');
    const env = environmentOf(fn);
    const [, invokeConfig] = single(
      t,
      'AWS::Lambda::EventInvokeConfig',
      (r) => flatten(r.Properties.FunctionName) === `<${id}>`,
    );

    expect(env.SOURCE_REGISTRY).toBe('true');
    expect(flatten(env.SOURCE_ACCESS_ROLE_ARN)).toBe(`<${fleetRole(t, 'SourceAccessRole')}.Arn>`);
    expect(env.SOURCE_ID).toBeUndefined();
    expect(env.MIMECAST_SECRET_ID).toBeUndefined();
    expect(fn.Properties.ReservedConcurrentExecutions).toBe(20);
    expect(invokeConfig.Properties.MaximumRetryAttempts).toBe(0);
    const destination = (invokeConfig.Properties.DestinationConfig as { OnFailure: { Destination: unknown } })
      .OnFailure.Destination;
    const [queueId, queue] = single(t, 'AWS::SQS::Queue');
    expect(flatten(destination)).toBe(`<${queueId}.Arn>`);
    expect(queue.Properties.KmsMasterKeyId).toBeDefined();

    const unreserved = buildStack({ fleet: { enabled: true, maxConcurrentRuns: 0 } }).template;
    expect(fleetFunction(unreserved, 'collector')[1].Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('lets the dispatcher invoke the collector and nothing else, every minute', () => {
    const t = fleetTemplate();
    const [collectorId] = fleetFunction(t, 'collector');
    const [dispatcherId, dispatcher] = fleetFunction(t, 'dispatcher');
    const statements = roleStatements(t, roleOfFunction(dispatcher));
    const lambda = statements.filter((s) => s.Action.some((a) => a.startsWith('lambda:')));
    const env = environmentOf(dispatcher);
    const [, rule] = single(
      t,
      'AWS::Events::Rule',
      (r) => r.Properties.ScheduleExpression === 'rate(1 minute)',
    );

    expect(lambda).toHaveLength(1);
    expect(lambda[0]?.Action).toEqual(['lambda:InvokeFunction']);
    expect(lambda[0]?.Resource).toEqual([`<${collectorId}.Arn>`]);
    expect(flatten(env.COLLECTOR_FUNCTION_NAME)).toBe(`<${collectorId}>`);
    expect(env.DISPATCH_CONCURRENCY).toBe('10');
    expect((rule.Properties.Targets as Array<{ Arn: unknown }>).map((x) => flatten(x.Arn))).toEqual([
      `<${dispatcherId}.Arn>`,
    ]);
  });

  it('seeds the registry with every declared source, in one custom resource', () => {
    const t = fleetTemplate(500);
    const [, seed] = single(t, 'Custom::SourceRegistrySeed');
    const payload = seedPayloadSchema.parse(JSON.parse(String(seed.Properties.Payload)));

    expect(payload.sources.map((s) => s.id)).toEqual(numberedSources(500).map((s) => s.id));
    expect(payload.defaults).toEqual({
      scheduleMinutes: 5,
      lookbackDays: 60,
      settleSeconds: 300,
      rescanAfterSeconds: [3600, 86_400],
    });
    expect(flatten(seed.Properties.TableName)).toMatch(/^<LakeCursorTable/);
    expect(flatten(seed.Properties.KmsKeyArn)).toMatch(/^<EncryptionKey.+\.Arn>$/);
  });

  it("passes a source's own settings and existing secret to the seed, and no more", () => {
    const { template } = buildStack({
      fleet: { enabled: true },
      sources: [
        { id: 'acme', scheduleMinutes: 15, settleSeconds: 600, rescanAfterSeconds: [] },
        { id: 'globex', secretArn: EXISTING_SECRET_ARN },
      ],
      freshnessThresholdMinutes: 60,
    });
    const [, seed] = single(template, 'Custom::SourceRegistrySeed');

    expect(JSON.parse(String(seed.Properties.Payload)).sources).toEqual([
      { id: 'acme', scheduleMinutes: 15, settleSeconds: 600, rescanAfterSeconds: [] },
      { id: 'globex', secretArn: EXISTING_SECRET_ARN },
    ]);
  });

  it('compacts the sources it finds in the archive, with cursor and lease keys named by pattern', () => {
    const t = fleetTemplate(50);
    const [, fn] = compactorFunction(t);
    const statements = roleStatements(t, roleOfFunction(fn));
    const leases = statements.find((s) => s.Sid === 'ReadCursorsTakeCompactorLeases');

    // Its environment does not grow with the sources: none is listed there.
    expect(environmentOf(fn).COMPACTION_REGISTRY_SOURCES).toBe('true');
    expect(environmentOf(fn).COMPACTION_SOURCE_IDS).toBeUndefined();
    expect(conditionValues(leases as Statement, 'ForAllValues:StringLike', 'dynamodb:LeadingKeys')).toEqual([
      'source#*',
      'compactor#*',
    ]);
  });

  it("lets the compactor rewrite exactly the two archive tables' projection, besides the view", () => {
    const t = fleetTemplate(1);
    const [, fn] = compactorFunction(t);
    const statements = roleStatements(t, roleOfFunction(fn));
    const projection = statements.find((s) => s.Sid === 'AddSourcesToTheArchiveTablesProjection');
    const list = (value: unknown) => (Array.isArray(value) ? value : [value]).map(flatten);
    const tables = list(projection?.Resource).filter((r) => r.includes(':table/'));

    expect(list(projection?.Action).sort()).toEqual(['glue:GetTable', 'glue:UpdateTable']);
    expect(tables.map((r) => r.slice(r.indexOf(':table/')))).toEqual([
      ':table/mimecast_audit_lake/audit_events_ndjson',
      ':table/mimecast_audit_lake/audit_events_parquet',
    ]);
    // Per-source mode declares its sources in the table: the compactor does not touch it.
    const perSource = buildStack().template;
    const [, perSourceFn] = compactorFunction(perSource);
    expect(roleStatements(perSource, roleOfFunction(perSourceFn)).map((s) => s.Sid)).not.toContain(
      'AddSourcesToTheArchiveTablesProjection',
    );
    expect(environmentOf(perSourceFn).COMPACTION_SOURCE_IDS).toBe('default');
  });
});

describe('fleet mode: alarms and dashboard over all sources', () => {
  const alarms = (t: Template) => Object.values(resourcesOf(t, 'AWS::CloudWatch::Alarm'));
  const expressions = (a: CfnResourceJson): string[] =>
    ((a.Properties.Metrics as Array<{ Expression?: string }> | undefined) ?? []).flatMap((m) =>
      m.Expression === undefined ? [] : [m.Expression],
    );

  it('has every fleet alarm once, the same set for 1 and 500 sources', () => {
    const names = (t: Template) =>
      alarms(t)
        .map((a) => String(a.Properties.AlarmName))
        .sort();

    for (const kind of FLEET_ALARM_KINDS)
      expect(names(fleetTemplate())).toContain(`MimecastAuditLake-${kind}`);
    expect(names(fleetTemplate(1))).toEqual(names(fleetTemplate(500)));
  });

  it('watches the sources with Metrics Insights queries grouped by Source, worst first', () => {
    const t = fleetTemplate();
    const insights = alarms(t)
      .flatMap(expressions)
      .filter((e) => e.startsWith('SELECT'));
    const freshness = alarms(t).find((a) => a.Properties.AlarmName === 'MimecastAuditLake-fleet-freshness');

    expect(insights.length).toBeGreaterThanOrEqual(10);
    for (const query of insights)
      expect(query).toMatch(/GROUP BY Source ORDER BY (MAX|SUM)\(\) DESC LIMIT \d+$/);
    expect(expressions(freshness as CfnResourceJson)).toEqual([
      `SELECT MAX(${CollectorMetric.LagSeconds}) FROM SCHEMA("MimecastAuditLake", Source) GROUP BY Source ORDER BY MAX() DESC LIMIT 100`,
    ]);
    // No alarm names a source.
    for (const a of alarms(t)) expect(JSON.stringify(a.Properties.Metrics ?? [])).not.toMatch(/"s\d+"/);
  });

  it('draws Metrics Insights widgets grouped by Source instead of one line per source', () => {
    const t = fleetTemplate();
    const [, dashboard] = single(t, 'AWS::CloudWatch::Dashboard');
    const body = flatten(dashboard.Properties.DashboardBody);

    expect(body).toContain('GROUP BY Source ORDER BY MAX() DESC LIMIT 20');
    expect(body).not.toMatch(/"Source","s\d+"/);
  });
});

describe('fleet mode: cdk-nag AWS Solutions checks', () => {
  function acknowledgements(root: IConstruct): Array<[string, string]> {
    return root.node
      .findAll()
      .flatMap((c) => c.node.metadata)
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>))
      .map(([id, reason]): [string, string] => [id.replace(/^annotation::/i, ''), reason]);
  }

  it.each([
    ['500 sources', { fleet: { enabled: true }, sources: numberedSources(500) }],
    [
      'existing secrets under a foreign key, e-mail, JWT',
      {
        fleet: { enabled: true, maxConcurrentRuns: 50 },
        sources: [
          { id: 'acme' },
          {
            id: 'globex',
            secretArn: EXISTING_SECRET_ARN,
            secretKmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
          },
        ],
        alarmEmails: ['soc@example.com'],
        api: { authMode: 'jwt', jwt: { issuer: 'https://idp.example.com/', audience: ['audit-api'] } },
      },
    ],
  ] as Array<[string, Partial<AppConfigInput>]>)(
    'reports no unacknowledged finding for %s',
    (_name, overrides) => {
      const { app } = buildStack(overrides);
      const report = new AwsSolutionsChecks(app).validateScope(app);

      expect(
        report.violations.map(
          (v) => `${v.ruleName} @ ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
        ),
      ).toEqual([]);
      for (const [id, reason] of acknowledgements(app)) {
        if (id.startsWith('AwsSolutions-IAM5')) expect(id).toMatch(/^AwsSolutions-IAM5\[Resource::.+\]$/);
        expect(reason.length).toBeGreaterThanOrEqual(60);
      }
    },
  );
});

describe('fleet mode: synthesized like `cdk synth`', () => {
  it('passes the cdk-nag plugin and CloudFormation validation with 50 sources', () => {
    // Prepare: the same wiring as bin/app.ts.
    const app = new App({ context: { ...cdkContext(), 'aws:cdk:bundling-stacks': [] } });
    const config = parseAppConfig({
      ...DEFAULT_CONFIG,
      fleet: { enabled: true },
      sources: numberedSources(50),
    });
    new MimecastAuditLakeStack(app, config.stackName, { config });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    // Act / Assess: synthesis throws on any plugin violation or CloudFormation validation error.
    const assembly = app.synth();
    expect(Object.keys(assembly.getStackByName(config.stackName).template.Resources)).toHaveLength(
      FLEET_RESOURCES,
    );
  });
});

describe('fleet mode: configuration', () => {
  const problems = (overrides: Partial<AppConfigInput>): string => {
    try {
      parseAppConfig({ ...DEFAULT_CONFIG, ...overrides });
    } catch (err: unknown) {
      if (err instanceof ConfigError) return err.problems.join('\n');
      throw err;
    }
    return '';
  };

  it('defaults to off, 20 concurrent runs and 10 dispatches in flight', () => {
    const config = parseAppConfig({ ...DEFAULT_CONFIG, fleet: { enabled: true } });

    expect(config.fleet).toEqual({ enabled: true, maxConcurrentRuns: 20, dispatchConcurrency: 10 });
    expect(parseAppConfig(DEFAULT_CONFIG).fleet.enabled).toBe(false);
  });

  it('holds up to MAX_FLEET_SOURCES sources, not one more', () => {
    const many = { fleet: { enabled: true } };

    expect(problems({ ...many, sources: numberedSources(MAX_FLEET_SOURCES) })).toBe('');
    expect(problems({ ...many, sources: numberedSources(MAX_FLEET_SOURCES + 1) })).toMatch(
      new RegExp(`at most ${MAX_FLEET_SOURCES} sources`),
    );
  });

  it('points the per-source limit at fleet mode', () => {
    expect(problems({ sources: numberedSources(MAX_SOURCES + 1) })).toMatch(/fleet mode \(fleet\.enabled/);
  });

  it('refuses what fleet mode cannot honour, naming the field', () => {
    expect(problems({ fleet: { enabled: true }, reservedConcurrency: 2 })).toMatch(
      /^reservedConcurrency: .*fleet\.maxConcurrentRuns/m,
    );
    expect(problems({ sources: [{ id: 'a', scheduleMinutes: 10 }] })).toMatch(
      /^sources\[0\]\.scheduleMinutes: .*fleet mode/m,
    );
    expect(problems({ fleet: { enabled: true, unknown: 1 } as never })).toMatch(/^fleet: /m);
    expect(problems({ fleet: { enabled: true, dispatchConcurrency: 0 } })).toMatch(
      /^fleet\.dispatchConcurrency/m,
    );
    // The compactor keeps Athena's list of sources: fleet mode cannot go without it.
    expect(problems({ fleet: { enabled: true }, compaction: { enabled: false } })).toMatch(
      /^compaction\.enabled: fleet mode needs the compactor/m,
    );
    // Its environment does not list the sources in fleet mode: long ids do not overflow it.
    const long = Array.from({ length: 200 }, (_, i) => ({ id: `${'tenant-'.repeat(6)}${i}` }));
    expect(problems({ fleet: { enabled: true }, sources: long })).toBe('');
  });

  it('checks the freshness threshold against the longest schedule of a source', () => {
    expect(
      problems({
        fleet: { enabled: true },
        sources: [{ id: 'a', scheduleMinutes: 60 }],
        freshnessThresholdMinutes: 60,
      }),
    ).toMatch(/^freshnessThresholdMinutes: must be at least 125/m);
    expect(
      problems({
        fleet: { enabled: true, freshnessThresholdMinutes: 30 },
        sources: [{ id: 'a', scheduleMinutes: 20 }],
        freshnessThresholdMinutes: 120,
      }),
    ).toMatch(/^fleet\.freshnessThresholdMinutes: must be at least 45/m);
  });
});
