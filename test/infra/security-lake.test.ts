/**
 * The OCSF copy and its Amazon Security Lake delivery (docs/security-lake.md): what the compactor
 * is told and allowed, the Glue tables over the copy, the crawler role Security Lake runs its
 * crawlers as, and the configuration that drives them.
 */
import { readFileSync } from 'node:fs';
import type { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { ocsfFields } from '#core/ocsf/parquet-schema.js';
import { type AppConfigInput, ConfigError, parseAppConfig } from '#lib/config.js';
import { OCSF_CLASS_LAYOUTS } from '#lib/constructs/security-lake.js';
import {
  buildStack,
  type CfnResourceJson,
  compactorFunction,
  DEFAULT_CONFIG,
  environmentOf,
  flatten,
  resourcesOf,
  roleOfFunction,
  roleStatements,
  type Statement,
  single,
} from './helpers.js';

const AUTH_ROLE = 'arn:aws:iam::111122223333:role/AmazonSecurityLake-Provider-mimecast-auth-eu-west-1';
const API_ROLE = 'arn:aws:iam::111122223333:role/AmazonSecurityLake-Provider-mimecast-api-eu-west-1';
const LAKE_BUCKET = 'aws-security-data-lake-eu-west-1-q1w2e3r4t5';
const EXTERNAL_ID = 'mimecast-audit-lake-7f3a9c';

/** Two custom sources, as CreateCustomLogSource answered (one location without the trailing slash). */
const TWO_SOURCES: NonNullable<AppConfigInput['ocsf']> = {
  securityLake: {
    externalId: EXTERNAL_ID,
    customSources: [
      { classUid: 3002, providerRoleArn: AUTH_ROLE, location: `s3://${LAKE_BUCKET}/ext/mimecast-auth/` },
      { classUid: 6003, providerRoleArn: API_ROLE, location: `s3://${LAKE_BUCKET}/ext/mimecast-api` },
    ],
  },
};

const TABLE_NAMES = [
  'audit_events_ocsf_authentication',
  'audit_events_ocsf_account_change',
  'audit_events_ocsf_entity_management',
  'audit_events_ocsf_group_management',
  'audit_events_ocsf_api_activity',
  'audit_events_ocsf_base_event',
];

interface TableInput {
  Name: string;
  Parameters: Record<string, unknown>;
  PartitionKeys: Array<{ Name: string; Type: string }>;
  StorageDescriptor: {
    Columns: Array<{ Name: string; Type: string }>;
    Location: unknown;
    InputFormat: string;
    SerdeInfo: { SerializationLibrary: string };
  };
}

const tableInputs = (template: Template): TableInput[] =>
  Object.values(resourcesOf(template, 'AWS::Glue::Table')).map((t) => t.Properties.TableInput as TableInput);

const ocsfTables = (template: Template): TableInput[] =>
  tableInputs(template).filter((t) => t.Name.includes('_ocsf'));

const compactorStatements = (template: Template): Statement[] =>
  roleStatements(template, roleOfFunction(compactorFunction(template)[1]));

/** Roles only AWS Glue can assume. */
const glueRoles = (template: Template): Array<[string, CfnResourceJson]> =>
  Object.entries(resourcesOf(template, 'AWS::IAM::Role')).filter(([, r]) =>
    JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('glue.amazonaws.com'),
  );

const ocsfEnvironmentKeys = (template: Template): string[] =>
  Object.keys(environmentOf(compactorFunction(template)[1])).filter(
    (k) => k.startsWith('OCSF_') || k.startsWith('SECURITY_LAKE'),
  );

/** The problems a configuration is rejected with (fails the test if it is accepted). */
function problemsOf(ocsf: unknown, more: Record<string, unknown> = {}): string[] {
  try {
    parseAppConfig({ ...DEFAULT_CONFIG, ...more, ocsf });
  } catch (err: unknown) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('configuration was accepted');
}

/** A Security Lake configuration with one custom source (overrides merged into it). */
const oneSource = (source: Record<string, unknown>, externalId = EXTERNAL_ID) => ({
  securityLake: {
    externalId,
    customSources: [
      {
        classUid: 3002,
        providerRoleArn: AUTH_ROLE,
        location: `s3://${LAKE_BUCKET}/ext/mimecast-auth/`,
        ...source,
      },
    ],
  },
});

describe('OCSF output off', () => {
  it('gives the compactor no OCSF variable or grant, and creates no OCSF table or crawler role', () => {
    const { template } = buildStack({ ocsf: { enabled: false } });

    expect(ocsfEnvironmentKeys(template)).toEqual([]);
    expect(ocsfTables(template)).toEqual([]);
    expect(
      compactorStatements(template)
        .flatMap((s) => s.Resource)
        .some((r) => r.includes('-ocsf')),
    ).toBe(false);
    expect(glueRoles(template)).toEqual([]);
    expect(template.toJSON().Outputs).not.toHaveProperty('SecurityLakeCrawlerRoleArn');
  });

  it('is off without the compactor, which writes it (no tables for a copy nobody builds)', () => {
    const { template } = buildStack({ compaction: { enabled: false } });

    expect(ocsfTables(template)).toEqual([]);
    expect(glueRoles(template)).toEqual([]);
  });
});

describe('OCSF output on (the default), without Security Lake', () => {
  let template: Template;
  let archiveBucketId: string;
  beforeAll(() => {
    ({ template } = buildStack({}));
    archiveBucketId = single(
      template,
      'AWS::S3::Bucket',
      (r) => r.Properties.VersioningConfiguration !== undefined,
    )[0];
  });

  it("tells the compactor where to write, with the layout's region and account being the stack's", () => {
    const env = environmentOf(compactorFunction(template)[1]);

    expect(ocsfEnvironmentKeys(template).sort()).toEqual([
      'OCSF_ACCOUNT_ID',
      'OCSF_OUTPUT',
      'OCSF_PREFIX',
      'OCSF_REGION',
    ]);
    expect(env).toMatchObject({
      OCSF_OUTPUT: 'true',
      OCSF_PREFIX: 'mimecast/audit-events-ocsf',
      OCSF_REGION: { Ref: 'AWS::Region' },
      OCSF_ACCOUNT_ID: { Ref: 'AWS::AccountId' },
    });
  });

  it('lets the compactor write (only write) under the OCSF prefix, and assume no role', () => {
    const statements = compactorStatements(template);
    const ocsf = statements.filter((s) => s.Resource.some((r) => r.includes('-ocsf')));

    expect(ocsf).toHaveLength(1);
    expect(ocsf[0]?.Action.sort()).toEqual([
      's3:AbortMultipartUpload',
      's3:ListMultipartUploadParts',
      's3:PutObject',
    ]);
    expect(ocsf[0]?.Resource).toEqual([`<${archiveBucketId}.Arn>/mimecast/audit-events-ocsf/*`]);
    expect(statements.flatMap((s) => s.Action).filter((a) => a.startsWith('sts:'))).toEqual([]);
  });

  it('creates one Parquet table per OCSF class, projected over the custom-source layout', () => {
    const tables = ocsfTables(template);

    expect(tables.map((t) => t.Name)).toEqual(TABLE_NAMES);
    for (const [i, table] of tables.entries()) {
      const layout = OCSF_CLASS_LAYOUTS[i];
      const root = `s3://<${archiveBucketId}>/mimecast/audit-events-ocsf/ext/${layout?.sourceName}/`;
      expect(flatten(table.StorageDescriptor.Location)).toBe(root);
      expect(flatten(table.Parameters['storage.location.template'])).toBe(
        `${root}region=\${region}/accountId=\${accountid}/eventDay=\${eventday}/`,
      );
      expect(table.PartitionKeys.map((k) => [k.Name, k.Type])).toEqual([
        ['region', 'string'],
        ['accountid', 'string'],
        ['eventday', 'string'],
      ]);
      expect(table.Parameters).toMatchObject({
        classification: 'parquet',
        'projection.enabled': 'true',
        'projection.region.type': 'enum',
        'projection.region.values': { Ref: 'AWS::Region' },
        'projection.accountid.type': 'enum',
        'projection.accountid.values': { Ref: 'AWS::AccountId' },
        'projection.eventday.type': 'date',
        'projection.eventday.format': 'yyyyMMdd',
        'projection.eventday.range': '20250101,NOW',
        'projection.eventday.interval': '1',
        'projection.eventday.interval.unit': 'DAYS',
      });
      expect(table.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(
        'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
      );
      expect(table.StorageDescriptor.InputFormat).toBe(
        'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
      );
    }
  });

  it("gives each table OCSF's top-level attributes as Hive types, with the class's own objects", () => {
    const columns = (name: string) =>
      Object.fromEntries(
        (ocsfTables(template).find((t) => t.Name === name)?.StorageDescriptor.Columns ?? []).map((c) => [
          c.Name,
          c.Type,
        ]),
      );
    const authentication = columns('audit_events_ocsf_authentication');

    expect(authentication).toMatchObject({
      class_uid: 'int',
      type_uid: 'bigint',
      time: 'bigint',
      message: 'string',
      user: 'struct<uid:string,name:string,email_addr:string>',
      actor: 'struct<user:struct<uid:string,name:string,email_addr:string>>',
      src_endpoint: 'struct<ip:string>',
      service: 'struct<name:string>',
      is_mfa: 'boolean',
      unmapped: 'map<string,string>',
    });
    expect(authentication.metadata).toMatch(/^struct<version:string,product:struct<.*>,uid:string,/);
    expect(columns('audit_events_ocsf_api_activity').api).toBe(
      'struct<operation:string,service:struct<name:string>>',
    );
    expect(columns('audit_events_ocsf_entity_management').entity).toBe(
      'struct<name:string,uid:string,type:string>',
    );
    expect(columns('audit_events_ocsf_group_management').group).toBe('struct<name:string>');
    expect(columns('audit_events_ocsf_entity_management').metadata).toContain(',profiles:array<string>>');
    expect(Object.keys(columns('audit_events_ocsf_base_event'))).not.toContain('actor');
    // Exactly the columns of the class's Parquet files, by name and in order.
    for (const layout of OCSF_CLASS_LAYOUTS) {
      expect(Object.keys(columns(`audit_events_ocsf_${layout.tableSuffix}`))).toEqual(
        ocsfFields(layout.classUid).map((f) => f.name),
      );
    }
  });

  it('creates no crawler role and no Security Lake output', () => {
    expect(glueRoles(template)).toEqual([]);
    expect(template.toJSON().Outputs).not.toHaveProperty('SecurityLakeCrawlerRoleArn');
  });
});

describe('Security Lake before any custom source exists', () => {
  let template: Template;
  beforeAll(() => {
    ({ template } = buildStack({ ocsf: { securityLake: { externalId: EXTERNAL_ID } } }));
  });

  it('creates the crawler role first (CreateCustomLogSource needs it), reading only the ext/ prefixes of Security Lake buckets', () => {
    const [[, role] = ['', undefined]] = glueRoles(template);
    const policies = role?.Properties.Policies as Array<{ PolicyDocument: { Statement: Statement[] } }>;

    expect(glueRoles(template)).toHaveLength(1);
    expect(policies.flatMap((p) => p.PolicyDocument.Statement).map((s) => flatten(s.Resource))).toEqual([
      'arn:<AWS::Partition>:s3:::aws-security-data-lake-*/ext/*',
    ]);
    expect(template.toJSON().Outputs).toHaveProperty('SecurityLakeCrawlerRoleArn');
  });

  it('gives the compactor no target and no role to assume yet', () => {
    expect(ocsfEnvironmentKeys(template)).not.toContain('SECURITY_LAKE_TARGETS');
    expect(compactorStatements(template).flatMap((s) => s.Action)).not.toContain('sts:AssumeRole');
  });
});

describe('Security Lake with two custom sources', () => {
  let template: Template;
  let crawler: CfnResourceJson;
  let crawlerId: string;
  beforeAll(() => {
    ({ template } = buildStack({ ocsf: TWO_SOURCES }));
    const roles = glueRoles(template);
    expect(roles).toHaveLength(1);
    [crawlerId, crawler] = roles[0] as [string, CfnResourceJson];
  });

  it('lets only AWS Glue assume the crawler role, with AWSGlueServiceRole and read access to exactly the two sources', () => {
    const trust = crawler.Properties.AssumeRolePolicyDocument as {
      Statement: Array<Record<string, unknown>>;
    };
    const inline = crawler.Properties.Policies as Array<{ PolicyDocument: { Statement: Statement[] } }>;
    const statements = inline.flatMap((p) => p.PolicyDocument.Statement);

    expect(trust.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'glue.amazonaws.com' } },
    ]);
    expect((crawler.Properties.ManagedPolicyArns as unknown[]).map(flatten)).toEqual([
      'arn:<AWS::Partition>:iam::aws:policy/service-role/AWSGlueServiceRole',
    ]);
    expect(statements.map((s) => s.Action)).toEqual(['s3:GetObject']);
    expect(([] as unknown[]).concat(statements[0]?.Resource).map(flatten).sort()).toEqual([
      `arn:<AWS::Partition>:s3:::${LAKE_BUCKET}/ext/mimecast-api/*`,
      `arn:<AWS::Partition>:s3:::${LAKE_BUCKET}/ext/mimecast-auth/*`,
    ]);
    // Its policy is inline: no separate policy resource is attached to it.
    expect(roleStatements(template, crawlerId)).toEqual([]);
  });

  it('outputs the crawler role ARN for CreateCustomLogSource', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;

    expect(flatten(outputs.SecurityLakeCrawlerRoleArn?.Value)).toBe(`<${crawlerId}.Arn>`);
  });

  it('lets the compactor assume exactly the two provider roles, and touch nothing of the Security Lake bucket itself', () => {
    const statements = compactorStatements(template);
    const assume = statements.filter((s) => s.Action.includes('sts:AssumeRole'));

    expect(assume).toHaveLength(1);
    expect(assume[0]?.Action).toEqual(['sts:AssumeRole']);
    expect(assume[0]?.Resource.sort()).toEqual([API_ROLE, AUTH_ROLE].sort());
    expect(statements.flatMap((s) => s.Resource).some((r) => r.includes('aws-security-data-lake'))).toBe(
      false,
    );
  });

  it('hands the compactor one target per custom source, with its bucket, prefix, role and the external id', () => {
    const env = environmentOf(compactorFunction(template)[1]);

    expect(JSON.parse(String(env.SECURITY_LAKE_TARGETS))).toEqual([
      {
        classUid: 3002,
        bucket: LAKE_BUCKET,
        prefix: 'ext/mimecast-auth/',
        roleArn: AUTH_ROLE,
        externalId: EXTERNAL_ID,
      },
      {
        classUid: 6003,
        bucket: LAKE_BUCKET,
        prefix: 'ext/mimecast-api/',
        roleArn: API_ROLE,
        externalId: EXTERNAL_ID,
      },
    ]);
    expect(env.OCSF_OUTPUT).toBe('true');
  });

  it.each([
    ['no custom source yet', { securityLake: { externalId: EXTERNAL_ID } }],
    ['two custom sources', TWO_SOURCES],
  ])('reports no unacknowledged cdk-nag finding with %s', (_name, ocsf) => {
    const { app } = buildStack({ ocsf });

    const report = new AwsSolutionsChecks(app).validateScope(app);

    expect(
      report.violations.map(
        (v) => `${v.ruleName} @ ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      ),
    ).toEqual([]);
  });
});

describe('ocsf configuration', () => {
  it('defaults to OCSF output on, without Security Lake', () => {
    const config = parseAppConfig(DEFAULT_CONFIG);

    expect(config.ocsf).toEqual({ enabled: true });
  });

  it('accepts a custom source created under its own name when sourceName says so', () => {
    const config = parseAppConfig({
      ...DEFAULT_CONFIG,
      ocsf: oneSource({ sourceName: 'mc_logons', location: `s3://${LAKE_BUCKET}/ext/mc_logons/` }),
    });

    expect(config.ocsf.securityLake?.customSources[0]?.sourceName).toBe('mc_logons');
  });

  it.each([
    [
      'a bad provider role ARN',
      { providerRoleArn: 'arn:aws:iam::111122223333:user/someone' },
      'providerRoleArn',
    ],
    [
      'a provider role ARN without an account',
      { providerRoleArn: 'arn:aws:iam:::role/x' },
      'providerRoleArn',
    ],
    ['a location that is not S3', { location: 'https://example.com/ext/mimecast-auth/' }, 'location'],
    ['a location outside ext/', { location: `s3://${LAKE_BUCKET}/mimecast-auth/` }, 'location'],
    [
      'a location with a key below the source',
      { location: `s3://${LAKE_BUCKET}/ext/mimecast-auth/x/` },
      'location',
    ],
    ["another class's location", { location: `s3://${LAKE_BUCKET}/ext/mimecast-api/` }, 'location'],
    ['a class the compactor does not write', { classUid: 4001 }, 'classUid'],
    ['a source name over 20 characters', { sourceName: 'mimecast-authentication' }, 'sourceName'],
    ['an unknown key', { eventClass: 'AUTHENTICATION' }, ''],
  ])('rejects %s, naming the field', (_name, source, field) => {
    const problems = problemsOf(oneSource(source));

    expect(problems.join('\n')).toMatch(
      new RegExp(`^ocsf\\.securityLake\\.customSources\\[0\\]\\.?${field}`, 'm'),
    );
  });

  it('rejects a second custom source for the same class, and two classes in one source', () => {
    const problems = problemsOf({
      securityLake: {
        externalId: EXTERNAL_ID,
        customSources: [
          { classUid: 3002, providerRoleArn: AUTH_ROLE, location: `s3://${LAKE_BUCKET}/ext/mimecast-auth/` },
          {
            classUid: 3002,
            sourceName: 'mimecast-auth',
            providerRoleArn: API_ROLE,
            location: `s3://${LAKE_BUCKET}/ext/mimecast-auth`,
          },
        ],
      },
    });

    expect(problems).toEqual([
      expect.stringMatching(/^ocsf\.securityLake\.customSources\[1\]\.classUid: duplicate classUid 3002/),
      expect.stringMatching(/^ocsf\.securityLake\.customSources\[1\]\.location: duplicate location/),
    ]);
  });

  it.each([
    ['too short', 'x'],
    ['with a space', 'my external id'],
    ['too long', 'x'.repeat(1225)],
  ])('rejects an external id %s', (_name, externalId) => {
    expect(problemsOf({ securityLake: { externalId } }).join('\n')).toMatch(
      /^ocsf\.securityLake\.externalId: /m,
    );
  });

  it('refuses Security Lake without the OCSF copy it would receive', () => {
    expect(problemsOf({ enabled: false, securityLake: { externalId: EXTERNAL_ID } })).toEqual([
      expect.stringMatching(/^ocsf\.securityLake: .*needs ocsf\.enabled and compaction\.enabled/),
    ]);
    expect(
      problemsOf({ securityLake: { externalId: EXTERNAL_ID } }, { compaction: { enabled: false } }),
    ).toEqual([expect.stringMatching(/^ocsf\.securityLake: .*needs ocsf\.enabled and compaction\.enabled/)]);
  });

  it("refuses targets that would not fit in the compactor's 4 KB environment", () => {
    const sources = OCSF_CLASS_LAYOUTS.map((c) => ({
      classUid: c.classUid,
      providerRoleArn: `arn:aws:iam::111122223333:role/AmazonSecurityLake-Provider-${c.sourceName}-eu-west-1`,
      location: `s3://${LAKE_BUCKET}/ext/${c.sourceName}/`,
    }));
    const fits = { securityLake: { externalId: EXTERNAL_ID, customSources: sources } };
    const tooLong = { securityLake: { externalId: 'x'.repeat(600), customSources: sources } };

    expect(() => parseAppConfig({ ...DEFAULT_CONFIG, ocsf: fits })).not.toThrow();
    expect(problemsOf(tooLong)).toEqual([expect.stringMatching(/^ocsf\.securityLake: .*4096 bytes/)]);
  });
});

describe('docs/security-lake.md', () => {
  it('lists every class with its custom source, its --event-classes value and its table, as the code has them', () => {
    const doc = readFileSync(new URL('../../docs/security-lake.md', import.meta.url), 'utf8');
    const rows = doc
      .split('\n')
      .filter((line) => /^\| [A-Z][A-Za-z ]+ +\| `\d+` /.test(line))
      .map((line) =>
        line
          .split('|')
          .slice(1, -1)
          .map((cell) => cell.trim()),
      );

    expect(rows).toEqual(
      OCSF_CLASS_LAYOUTS.map((c) => [
        c.className,
        `\`${c.classUid}\``,
        `\`${c.sourceName}\``,
        c.eventClass === undefined ? '(leave out)' : `\`${c.eventClass}\``,
        `\`<tableName>_ocsf_${c.tableSuffix}\``,
      ]),
    );
  });
});
