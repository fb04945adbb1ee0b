import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { RECORD_COLUMNS } from '#core/archive/record.js';
import { SAVED_QUERIES } from '#lib/athena/queries.js';
import { buildStack, flatten, resourcesOf, single } from './helpers.js';

let template: Template;
let archiveBucketId: string;
let keyArn: unknown;

beforeAll(() => {
  ({ template } = buildStack({
    sources: [{ id: 'eu' }, { id: 'us' }],
    athena: { projectionStartDate: '2024-06-01', bytesScannedCutoffPerQueryGB: 2.5, tableName: 'events' },
  }));
  archiveBucketId = single(
    template,
    'AWS::S3::Bucket',
    (r) => r.Properties.VersioningConfiguration !== undefined,
  )[0];
  keyArn = { 'Fn::GetAtt': [single(template, 'AWS::KMS::Key')[0], 'Arn'] };
});

interface TableInput {
  Name: string;
  TableType: string;
  Parameters: Record<string, unknown>;
  PartitionKeys: Array<{ Name: string; Type: string }>;
  StorageDescriptor: {
    Columns: Array<{ Name: string; Type: string }>;
    Location: unknown;
    InputFormat: string;
    OutputFormat: string;
    SerdeInfo: { SerializationLibrary: string; Parameters: Record<string, string> };
  };
}

function tableInput(name = 'events_ndjson'): TableInput {
  return single(template, 'AWS::Glue::Table', (r) => (r.Properties.TableInput as TableInput).Name === name)[1]
    .Properties.TableInput as TableInput;
}

/** The view's SQL and columns, decoded from its Presto view text. */
function viewDefinition(): {
  originalSql: string;
  catalog: string;
  schema: string;
  columns: { name: string; type: string }[];
} {
  const input = tableInput('events') as TableInput & { ViewOriginalText: string };
  const encoded = /^\/\* Presto View: ([A-Za-z0-9+/=]+) \*\/$/.exec(input.ViewOriginalText)?.[1] ?? '';
  return JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
}

function workGroupConfiguration(): Record<string, unknown> {
  return single(template, 'AWS::Athena::WorkGroup')[1].Properties.WorkGroupConfiguration as Record<
    string,
    unknown
  >;
}

describe('Glue tables and view', () => {
  it('partitions by source and dt, both projected', () => {
    const input = tableInput();

    expect(input.TableType).toBe('EXTERNAL_TABLE');
    expect(input.Name).toBe('events_ndjson');
    expect(input.PartitionKeys.map((k) => [k.Name, k.Type])).toEqual([
      ['source', 'string'],
      ['dt', 'string'],
    ]);
    expect(input.Parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.source.type': 'enum',
      'projection.source.values': 'eu,us',
      'projection.dt.type': 'date',
      'projection.dt.format': 'yyyy-MM-dd',
      'projection.dt.range': '2024-06-01,NOW',
      'projection.dt.interval': '1',
      'projection.dt.interval.unit': 'DAYS',
    });
  });

  it('maps each projected partition to the collector key layout', () => {
    const input = tableInput();

    expect(flatten(input.Parameters['storage.location.template'])).toBe(
      `s3://<${archiveBucketId}>/mimecast/audit-events/source=\${source}/dt=\${dt}/`,
    );
    expect(flatten(input.StorageDescriptor.Location)).toBe(
      `s3://<${archiveBucketId}>/mimecast/audit-events/`,
    );
  });

  it('has exactly the record columns, in order', () => {
    expect(tableInput().StorageDescriptor.Columns).toEqual(
      RECORD_COLUMNS.map((c) => ({ Name: c.name, Type: c.type })),
    );
  });

  it('reads gzip NDJSON with the OpenX JSON SerDe and fails loudly on a corrupt line', () => {
    const sd = tableInput().StorageDescriptor;

    expect(sd.SerdeInfo.SerializationLibrary).toBe('org.openx.data.jsonserde.JsonSerDe');
    expect(sd.SerdeInfo.Parameters['ignore.malformed.json']).toBe('FALSE');
    expect(sd.InputFormat).toBe('org.apache.hadoop.mapred.TextInputFormat');
    expect(sd.OutputFormat).toBe('org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat');
  });

  it('reads the Parquet copy with the same columns and projected partitions under its own prefix', () => {
    const input = tableInput('events_parquet');

    expect(input.StorageDescriptor.Columns).toEqual(
      RECORD_COLUMNS.map((c) => ({ Name: c.name, Type: c.type })),
    );
    expect(input.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(
      'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
    );
    expect(input.StorageDescriptor.InputFormat).toBe(
      'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
    );
    expect(flatten(input.Parameters['storage.location.template'])).toBe(
      `s3://<${archiveBucketId}>/mimecast/audit-events-parquet/source=\${source}/dt=\${dt}/`,
    );
    expect(input.Parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.source.values': 'eu,us',
    });
  });

  it('defines the view analysts query under the configured name, reading NDJSON only until days are compacted', () => {
    const input = tableInput('events') as TableInput & { ViewOriginalText: string };
    const view = viewDefinition();

    expect(input.TableType).toBe('VIRTUAL_VIEW');
    expect(input.Parameters).toEqual({ presto_view: 'true', comment: 'Presto View' });
    expect(view).toMatchObject({ catalog: 'awsdatacatalog', schema: 'mimecast_audit_lake' });
    expect(view.columns.map((c) => c.name)).toEqual([...RECORD_COLUMNS.map((c) => c.name), 'source', 'dt']);
    expect(view.columns.find((c) => c.name === 'details')?.type).toBe('map(varchar,varchar)');
    expect(view.originalSql).toContain('FROM events_parquet p\nWHERE 1 = 0');
    expect(view.originalSql).toContain('FROM events_ndjson n\nWHERE NOT (1 = 0)');
  });
});

describe('Athena workgroup', () => {
  it('enforces its configuration, the scan cutoff and metrics', () => {
    const config = workGroupConfiguration();

    expect(config.EnforceWorkGroupConfiguration).toBe(true);
    expect(config.BytesScannedCutoffPerQuery).toBe(2_500_000_000);
    expect(config.PublishCloudWatchMetricsEnabled).toBe(true);
    expect(config.EngineVersion).toEqual({ SelectedEngineVersion: 'Athena engine version 3' });
  });

  it('writes SSE-KMS encrypted results to the dedicated results bucket', () => {
    const result = workGroupConfiguration().ResultConfiguration as Record<string, unknown>;
    const [resultsId] = single(template, 'AWS::S3::Bucket', (_r, id) => id.includes('Results'));

    expect(result.EncryptionConfiguration).toEqual({ EncryptionOption: 'SSE_KMS', KmsKey: keyArn });
    expect(flatten(result.OutputLocation)).toBe(`s3://<${resultsId}>/results/`);
    expect(result.ExpectedBucketOwner).toEqual({ Ref: 'AWS::AccountId' });
  });

  it('keeps results in a private, KMS-encrypted, logged bucket that expires them', () => {
    const [, bucket] = single(template, 'AWS::S3::Bucket', (_r, id) => id.includes('Results'));

    expect(bucket.Properties.PublicAccessBlockConfiguration).toMatchObject({
      BlockPublicPolicy: true,
      BlockPublicAcls: true,
    });
    expect(bucket.Properties.BucketEncryption).toMatchObject({
      ServerSideEncryptionConfiguration: [
        { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn } },
      ],
    });
    expect(bucket.Properties.LifecycleConfiguration).toMatchObject({
      Rules: [expect.objectContaining({ ExpirationInDays: 30 })],
    });
    expect(bucket.Properties.LoggingConfiguration).toMatchObject({ LogFilePrefix: 'athena-results/' });
  });
});

describe('saved queries', () => {
  it('saves every query in the workgroup and database, against the configured table', () => {
    const named = Object.values(resourcesOf(template, 'AWS::Athena::NamedQuery'));
    const [workGroupId] = single(template, 'AWS::Athena::WorkGroup');

    expect(named.map((q) => q.Properties.Name).sort()).toEqual(SAVED_QUERIES.map((q) => q.name).sort());
    for (const q of named) {
      expect(q.Properties.WorkGroup).toEqual({ Ref: workGroupId });
      expect(q.Properties.Database).toBe('mimecast_audit_lake');
      expect(q.Properties.QueryString).toContain('FROM events');
      // Partition filter: a query without it would scan the whole archive.
      expect(q.Properties.QueryString).toMatch(/WHERE dt >= /);
    }
  });
});
