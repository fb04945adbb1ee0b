import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  allStatements,
  buildStack,
  collectorFunction,
  EXISTING_SECRET_ARN,
  environmentOf,
  flatten,
  queryFunction,
  resourcesOf,
  roleOfFunction,
  roleStatements,
  type Statement,
  single,
} from './helpers.js';

const FOREIGN_KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

let template: Template;
let bucketArn: string;
let tableArn: string;

beforeAll(() => {
  ({ template } = buildStack({
    sources: [{ id: 'eu' }, { id: 'us', secretArn: EXISTING_SECRET_ARN, secretKmsKeyArn: FOREIGN_KEY_ARN }],
  }));
  const [bucketId] = single(
    template,
    'AWS::S3::Bucket',
    (r) => r.Properties.VersioningConfiguration !== undefined,
  );
  bucketArn = `<${bucketId}.Arn>`;
  tableArn = `<${single(template, 'AWS::DynamoDB::Table')[0]}.Arn>`;
});

/** The statements of the role that collector `sourceId` runs as. */
function collectorStatements(sourceId: string): Statement[] {
  return roleStatements(template, roleOfFunction(collectorFunction(template, sourceId)[1]));
}

/** The statements allowing `action`. */
function allowing(statements: Statement[], action: string): Statement[] {
  return statements.filter((s) => s.Effect === 'Allow' && s.Action.includes(action));
}

/** The logical id of the secret (created) or the ARN (existing) a collector reads. */
function secretOf(sourceId: string): string {
  return flatten(environmentOf(collectorFunction(template, sourceId)[1]).MIMECAST_SECRET_ID);
}

describe('per-source fan-out', () => {
  it('creates one collector function per source, each with its own SOURCE_ID and secret', () => {
    const eu = environmentOf(collectorFunction(template, 'eu')[1]);
    const us = environmentOf(collectorFunction(template, 'us')[1]);

    expect(eu.SOURCE_ID).toBe('eu');
    expect(us.SOURCE_ID).toBe('us');
    expect(flatten(eu.MIMECAST_SECRET_ID)).toMatch(/^<Sourceeu.*Secret.*>$/);
    expect(us.MIMECAST_SECRET_ID).toBe(EXISTING_SECRET_ARN);
    // Only the source without an existing secret gets a created one.
    expect(Object.keys(resourcesOf(template, 'AWS::SecretsManager::Secret'))).toHaveLength(1);
  });

  it('schedules each collector on its own at the configured rate, with dead-lettering', () => {
    const schedules = Object.values(resourcesOf(template, 'AWS::Scheduler::Schedule'));
    const targets = schedules.map((s) => s.Properties.Target as Record<string, unknown>);

    expect(schedules).toHaveLength(2);
    expect(schedules.map((s) => s.Properties.ScheduleExpression)).toEqual([
      'rate(5 minutes)',
      'rate(5 minutes)',
    ]);
    expect(targets.map((t) => flatten(t.Arn)).sort()).toEqual(
      [
        `<${collectorFunction(template, 'eu')[0]}.Arn>`,
        `<${collectorFunction(template, 'us')[0]}.Arn>`,
      ].sort(),
    );
    for (const t of targets) expect(t.DeadLetterConfig).toBeDefined();
    expect(Object.keys(resourcesOf(template, 'AWS::SQS::Queue'))).toHaveLength(2);
  });

  it('gives the query function every source through SOURCES', () => {
    const env = environmentOf(queryFunction(template)[1]);
    const sources = flatten(env.SOURCES);

    expect(sources).toContain('"id":"eu"');
    expect(sources).toContain('"id":"us"');
    expect(sources).toContain(EXISTING_SECRET_ARN);
    expect(env.SOURCE_ID).toBe('eu');
  });

  it('lists the configured sources in the Athena source projection', () => {
    // The NDJSON and Parquet tables; the OCSF tables are partitioned by region, account and day.
    const tables = Object.values(resourcesOf(template, 'AWS::Glue::Table')).filter((t) => {
      const input = t.Properties.TableInput as { TableType: string; PartitionKeys?: Array<{ Name: string }> };
      return (
        input.TableType === 'EXTERNAL_TABLE' && (input.PartitionKeys ?? []).some((k) => k.Name === 'source')
      );
    });

    expect(tables).toHaveLength(2);
    for (const table of tables) {
      const parameters = (table.Properties.TableInput as { Parameters: Record<string, unknown> }).Parameters;
      expect(parameters['projection.source.values']).toBe('eu,us');
    }
  });
});

describe('collector IAM', () => {
  it.each(['eu', 'us'])(
    'lets collector %s put, read back and delete objects only under its own data and quarantine prefixes',
    (id) => {
      const objects = allowing(collectorStatements(id), 's3:PutObject');

      expect(objects.flatMap((s) => s.Action).sort()).toEqual([
        's3:DeleteObject',
        's3:GetObject',
        's3:PutObject',
      ]);
      expect(objects.flatMap((s) => s.Resource).sort()).toEqual(
        [
          `${bucketArn}/mimecast/audit-events/source=${id}/*`,
          `${bucketArn}/mimecast/audit-events-malformed/source=${id}/*`,
        ].sort(),
      );
    },
  );

  it.each(['eu', 'us'])('lets collector %s list only its own prefixes', (id) => {
    const lists = allowing(collectorStatements(id), 's3:ListBucket');

    expect(lists).toHaveLength(1);
    expect(lists[0]?.Action).toEqual(['s3:ListBucket']);
    expect(lists[0]?.Resource.map(flatten)).toEqual([flatten(bucketArn)]);
    expect(lists[0]?.Condition).toEqual({
      StringLike: {
        's3:prefix': [
          `mimecast/audit-events/source=${id}/*`,
          `mimecast/audit-events-malformed/source=${id}/*`,
        ],
      },
    });
  });

  it('gives the collector no other S3 permission at all', () => {
    const s3Actions = collectorStatements('eu').flatMap((s) => s.Action.filter((a) => a.startsWith('s3:')));

    expect(s3Actions.sort()).toEqual(['s3:DeleteObject', 's3:GetObject', 's3:ListBucket', 's3:PutObject']);
  });

  it.each(['eu', 'us'])('lets collector %s read and write only its own cursor item', (id) => {
    const dynamo = collectorStatements(id).filter((s) => s.Action.some((a) => a.startsWith('dynamodb:')));

    expect(dynamo).toHaveLength(1);
    expect(dynamo[0]?.Action.sort()).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    expect(dynamo[0]?.Resource).toEqual([tableArn]);
    expect(dynamo[0]?.Condition).toEqual({
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [`source#${id}`] },
    });
  });

  it.each(['eu', 'us'])('lets collector %s read only its own secret', (id) => {
    const reads = allowing(collectorStatements(id), 'secretsmanager:GetSecretValue');

    expect(reads.flatMap((s) => s.Resource)).toEqual([secretOf(id)]);
    expect(
      collectorStatements(id)
        .flatMap((s) => s.Action)
        .filter((a) => a.startsWith('secretsmanager:'))
        .sort(),
    ).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
  });

  it('lets a collector use the stack key only through S3, DynamoDB, Secrets Manager and SQS', () => {
    const kms = collectorStatements('eu').filter((s) => s.Action.some((a) => a.startsWith('kms:')));

    for (const s of kms) {
      const via = ((s.Condition?.StringEquals?.['kms:ViaService'] ?? []) as unknown[]).map(flatten);
      expect(
        via.every((v) => /^(s3|dynamodb|secretsmanager|sqs)\.<AWS::Region>\.amazonaws\.com$/.test(v)),
      ).toBe(true);
    }
    expect(kms.length).toBeGreaterThan(0);
  });

  it('lets the collector with a foreign-key secret decrypt with that key via Secrets Manager only', () => {
    const foreign = collectorStatements('us').filter((s) => s.Resource.includes(FOREIGN_KEY_ARN));

    expect(foreign).toEqual([
      expect.objectContaining({
        Action: ['kms:Decrypt'],
        Condition: { StringLike: { 'kms:ViaService': 'secretsmanager.*.amazonaws.com' } },
      }),
    ]);
    expect(collectorStatements('eu').some((s) => s.Resource.includes(FOREIGN_KEY_ARN))).toBe(false);
  });
});

describe('query function IAM', () => {
  let statements: Statement[];
  beforeAll(() => {
    statements = roleStatements(template, roleOfFunction(queryFunction(template)[1]));
  });

  it('writes only archive-query results and registry items; reads the archive data read-only', () => {
    const actions = statements.flatMap((s) => s.Action);
    const writes = statements.filter((s) =>
      s.Action.some((a) => /:(Put|Update|Delete|Create|Write|Batch)/.test(a)),
    );

    expect(actions.filter((a) => /:(Put|Update|Delete|Create|Write|Batch)/.test(a)).sort()).toEqual([
      'dynamodb:PutItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:PutObject',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    // S3 writes: only the Athena results prefix; DynamoDB writes: only registry items.
    const s3Writes = writes.filter((s) => s.Action.includes('s3:PutObject'));
    expect(s3Writes.flatMap((s) => s.Resource)).toEqual([
      expect.stringMatching(/ResultsBucket.*\/results\/\*$/),
    ]);
    const dynamoWrites = writes.filter((s) => s.Action.includes('dynamodb:PutItem'));
    expect(dynamoWrites.map((s) => s.Condition)).toEqual([
      { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['archive-query#*'] } },
    ]);
    // The archive itself: GetObject under the data prefix only, never a write or a delete.
    const archiveStatements = statements.filter((s) =>
      s.Resource.some((r) => r.includes('LakeArchiveBucket')),
    );
    expect(archiveStatements.flatMap((s) => s.Action).sort()).toEqual([
      's3:GetBucketLocation',
      's3:GetObject',
      's3:ListBucket',
    ]);
  });

  it("reads the cursor items of the configured sources only, and every source's secret", () => {
    const dynamo = statements.filter((s) => s.Action.some((a) => a.startsWith('dynamodb:')));
    const secrets = allowing(statements, 'secretsmanager:GetSecretValue');
    const cursorReads = dynamo.filter((s) => s.Condition && 'ForAllValues:StringEquals' in s.Condition);

    expect(cursorReads.flatMap((s) => s.Action)).toEqual(['dynamodb:GetItem']);
    expect(cursorReads[0]?.Condition).toEqual({
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['source#eu', 'source#us'] },
    });
    // Every DynamoDB statement is confined by leading keys: no item beyond cursors and the registry.
    expect(dynamo.every((s) => s.Condition !== undefined)).toBe(true);
    expect(secrets.flatMap((s) => s.Resource).sort()).toEqual([secretOf('eu'), secretOf('us')].sort());
  });

  it('uses the stack key only through DynamoDB, S3 and Secrets Manager', () => {
    const kmsStatements = statements.filter((s) => s.Action.some((a) => a.startsWith('kms:')));
    const kmsActions = kmsStatements.flatMap((s) => s.Action);

    expect(new Set(kmsActions)).toEqual(
      new Set(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']),
    );
    for (const s of kmsStatements) expect(JSON.stringify(s.Condition)).toContain('kms:ViaService');
  });

  it('runs Athena in its own workgroup only and reads only the archive table definition', () => {
    const athenaStatements = statements.filter((s) => s.Action.some((a) => a.startsWith('athena:')));
    const glueStatements = statements.filter((s) => s.Action.some((a) => a.startsWith('glue:')));

    expect(athenaStatements.flatMap((s) => s.Resource)).toEqual([
      expect.stringMatching(/:workgroup\/mimecast-audit-lake$/),
    ]);
    expect(glueStatements.flatMap((s) => s.Action).every((a) => a.startsWith('glue:Get'))).toBe(true);
    const glueResources = glueStatements.flatMap((s) => s.Resource);
    expect(glueResources).toHaveLength(5);
    expect(glueResources[0]).toMatch(/:catalog$/);
    expect(glueResources[1]).toMatch(/:database\/mimecast_audit_lake$/);
    // The view and the two tables it reads.
    expect(glueResources.slice(2).map((r) => r.replace(/^.*:table\//, ''))).toEqual([
      'mimecast_audit_lake/audit_events',
      'mimecast_audit_lake/audit_events_ndjson',
      'mimecast_audit_lake/audit_events_parquet',
    ]);
  });
});

describe('no wildcards where AWS allows narrower', () => {
  it('grants no Action "*" or service-wide wildcard to any role', () => {
    const wildcards = allStatements(template).flatMap((s) => s.Action.filter((a) => a.includes('*')));

    expect(wildcards).toEqual([]);
  });

  it('uses Resource "*" only for X-Ray, which has no resource-level permissions', () => {
    const starred = allStatements(template).filter((s) => s.Resource.includes('*'));

    expect(starred.length).toBeGreaterThan(0);
    for (const s of starred) expect(s.Action.every((a) => a.startsWith('xray:'))).toBe(true);
  });

  it('lets each schedule invoke only its own collector', () => {
    for (const schedule of Object.values(resourcesOf(template, 'AWS::Scheduler::Schedule'))) {
      const target = schedule.Properties.Target as { Arn: unknown; RoleArn: unknown };
      const role = /^<(.+)\.Arn>$/.exec(flatten(target.RoleArn))?.[1] ?? '';
      const invokes = allowing(roleStatements(template, role), 'lambda:InvokeFunction');

      expect(invokes.flatMap((s) => s.Resource)).toEqual([flatten(target.Arn), `${flatten(target.Arn)}:*`]);
    }
  });
});
