/**
 * The OCSF Parquet copy as readers see it: events of every class toOcsf produces, from realistic
 * records, written by createOcsfParquetWriter and read back by DuckDB (the local stand-in for
 * Athena's Parquet reader). The read-back events equal the written ones (`unmapped` flattened as
 * the writer documents) and still validate against the pinned OCSF schema; several row groups
 * read back exactly as one; files in the Security Lake layout read as hive partitions.
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '#core/archive/record.js';
import {
  createOcsfParquetWriter,
  customSourceName,
  DEFAULT_OCSF_ROW_GROUP_SIZE,
  flattenUnmapped,
  OCSF_CLASSES,
  OCSF_VERSION,
  type OcsfClassUid,
  type OcsfEvent,
  ocsfFields,
  ocsfObjectKey,
  toOcsf,
} from '#core/ocsf/index.js';
import { scratchDuckDb, sqlString, withoutNulls } from '#test/support/duckdb.js';
import { loadFixtures, validateEvent } from '../../unit/ocsf/ocsf-validator.js';

const fixtures = loadFixtures(OCSF_VERSION);
const CLASSES = Object.keys(OCSF_CLASSES).map(Number) as OcsfClassUid[];
const LONG = 'x'.repeat(70_000);

/** Audit records as the collector archives them, chosen to reach every class and every optional attribute. */
const TEMPLATES: ReadonlyArray<Omit<AuditRecord, 'id' | 'event_time' | 'source' | 'collected_at'>> = [
  {
    category: 'authentication_logs',
    audit_type: 'User Logged On',
    actor: 'jane.doe@example.com',
    event_info:
      'Successful authentication for Jane Doe <jane.doe@example.com>, Date: 2026-03-01, Time: 09:15:02 GMT, IP: 203.0.113.7, Application: Administration Console, 2FA: TOTP',
    details: {
      summary: 'Successful authentication for Jane Doe <jane.doe@example.com>',
      date: '2026-03-01',
      time: '09:15:02 GMT',
      ip: '203.0.113.7',
      application: 'Administration Console',
      '2fa': 'TOTP',
    },
    extra: {},
  },
  {
    category: 'authentication_logs',
    audit_type: 'Logon Authentication Failed',
    actor: 'j.smith@example.com',
    event_info:
      'Failed authentication for j.smith@example.com, IP: 2001:db8::17, Application: Outlook, Reason: Invalid credentials, 2FA: None',
    details: {
      summary: 'Failed authentication for j.smith@example.com',
      ip: '2001:db8::17',
      application: 'Outlook',
      reason: 'Invalid credentials',
      '2fa': 'None',
    },
    extra: { eventSource: 'api' },
  },
  {
    category: 'mimecast_access_logs',
    audit_type: 'Mimecast Support Login',
    actor: 'support@mimecast.com',
    event_info: 'Mimecast support logged in to the account, Ticket: 01234567',
    details: { summary: 'Mimecast support logged in to the account', ticket: '01234567' },
    extra: {},
  },
  {
    category: 'authentication_logs',
    audit_type: 'Logon Requires Challenge',
    actor: 'ops@example.com',
    event_info: 'Logon challenge for ops@example.com, IP: 198.51.100.23, Challenge: SMS code',
    details: { summary: 'Logon challenge for ops@example.com', ip: '198.51.100.23', challenge: 'SMS code' },
    extra: {},
  },
  {
    category: 'authentication_logs',
    audit_type: 'User Logged Off',
    actor: null,
    event_info: 'User logged off, Email Addresses: kim@example.com',
    details: { summary: 'User logged off', email_addresses: 'kim@example.com' },
    extra: {},
  },
  {
    category: 'user_account_and_role_logs',
    audit_type: 'User Password Changed',
    actor: 'admin@example.com',
    event_info:
      'Password changed for Lee <lee@example.com>, IP: 192.0.2.44, Email Addresses: admin@example.com, lee@example.com',
    details: {
      summary: 'Password changed for Lee <lee@example.com>',
      ip: '192.0.2.44',
      email_addresses: 'admin@example.com, lee@example.com',
    },
    extra: {},
  },
  {
    category: 'user_account_and_role_logs',
    audit_type: 'User Role Changed',
    actor: 'admin@example.com',
    event_info: 'Role "Basic Administrator" assigned to sam@example.com, Email Addresses: sam@example.com',
    details: {
      summary: 'Role "Basic Administrator" assigned to sam@example.com',
      email_addresses: 'sam@example.com',
    },
    extra: {},
  },
  {
    category: 'account_logs',
    audit_type: 'Policy Modified',
    actor: 'admin@example.com',
    event_info:
      'Updated policy "Block executables – 山田 😀", Policy ID: pol-7781, Definition: Attachment Protection',
    details: {
      summary: 'Updated policy "Block executables – 山田 😀"',
      policy_id: 'pol-7781',
      definition: 'Attachment Protection',
    },
    extra: { tags: ['a', 'b'], nested: { n: 7, ok: true }, empty: {}, none: null },
  },
  {
    category: 'integrations_and_apis',
    audit_type: 'Connectors Management',
    actor: null,
    event_info: 'Connector created, Connector: SIEM export, Connector ID: c-19',
    details: { summary: 'Connector created', connector: 'SIEM export', connector_id: 'c-19' },
    extra: {},
  },
  {
    category: 'profile_group_logs',
    audit_type: 'Group Membership Changed',
    actor: 'admin@example.com',
    event_info: 'Added to group "Finance Team", Email Addresses: admin@example.com, pat@example.com',
    details: {
      summary: 'Added to group "Finance Team"',
      email_addresses: 'admin@example.com, pat@example.com',
    },
    extra: {},
  },
  {
    category: 'profile_group_logs',
    audit_type: 'Group Deleted',
    actor: null,
    event_info: 'Deleted group "Old Contractors"',
    details: { summary: 'Deleted group "Old Contractors"' },
    extra: {},
  },
  {
    category: 'integrations_and_apis',
    audit_type: 'API Access',
    actor: 'svc-siem@example.com',
    event_info: 'Get Audit Events, IP: 198.51.100.4, Application: SIEM Export',
    details: { action: 'Get Audit Events', ip: '198.51.100.4', application: 'SIEM Export' },
    extra: {},
  },
  {
    // Two IP labels: neither is trusted, so src_endpoint is `name: Unknown`.
    category: 'integrations_and_apis',
    audit_type: 'API Application Access Requested',
    actor: null,
    event_info: 'Token requested, IP: 10.0.0.1, IP: 10.0.0.2',
    details: { summary: 'Token requested', ip: '10.0.0.1', ip_2: '10.0.0.2' },
    extra: {},
  },
  {
    // Longer than OCSF's string limit: message cut, the whole text in unmapped, no raw_data.
    category: 'directory_sync_logs',
    audit_type: 'Completed Directory Sync',
    actor: 'system',
    event_info: `Directory sync finished, Note: "quoted" \\ back\nslash\ttab, Items: ${LONG}`,
    details: {
      summary: 'Directory sync finished',
      note: '"quoted" \\ back\nslash\ttab',
      '': 'empty key',
      items: LONG,
    },
    extra: { job: { id: 42, steps: [1, 2] }, flag: false },
  },
  { category: null, audit_type: null, actor: '', event_info: null, details: {}, extra: {} },
];

const DAY_START = Date.parse('2026-03-01T00:00:00Z');

/** Event `i`: a template as an archived record, one second after event i-1, mapped with or without optional context. */
function eventAt(i: number): OcsfEvent {
  const template = TEMPLATES[i % TEMPLATES.length] as (typeof TEMPLATES)[number];
  const time = new Date(DAY_START + i * 1000).toISOString().replace('.000Z', 'Z');
  const record: AuditRecord = {
    ...template,
    id: `eNo${i.toString(36).padStart(8, '0')}`,
    event_time: time,
    source: 'main',
    collected_at: '2026-03-02T00:05:00Z',
  };
  return toOcsf(record, { ...(i % 3 === 0 ? { productVersion: '2026.1' } : {}), rawData: i % 2 === 0 });
}

/** Events 0..count-1 of one class, in time order. */
const eventsOf = (classUid: OcsfClassUid, count: number): OcsfEvent[] =>
  Array.from({ length: count }, (_, i) => eventAt(i)).filter((event) => event.class_uid === classUid);

const scratch = scratchDuckDb('ocsf-parquet');
const query = scratch.query;

const quoted = sqlString;

/** Writes events through one writer into `path`; returns close()'s result. */
async function writeEvents(
  path: string,
  classUid: OcsfClassUid,
  batches: OcsfEvent[][],
  rowGroupSize?: number,
): Promise<{ rows: number; bytes: number; rowGroups: number }> {
  const chunks: Uint8Array[] = [];
  const writer = createOcsfParquetWriter(
    classUid,
    async (chunk) => {
      chunks.push(chunk);
    },
    { rowGroupSize },
  );
  for (const batch of batches) await writer.write(batch);
  const summary = await writer.close();
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, Buffer.concat(chunks));
  return summary;
}

/** The rows of a file as JSON events, in file order, nulls dropped. */
async function readEvents(path: string): Promise<Record<string, unknown>[]> {
  const rows = await query(
    `SELECT to_json(t)::VARCHAR AS j FROM read_parquet(${quoted(path)}, file_row_number = true) t ORDER BY file_row_number`,
  );
  return rows.map((row) => {
    const { file_row_number: _, ...event } = JSON.parse(String(row.j)) as Record<string, unknown>;
    return withoutNulls(event) as Record<string, unknown>;
  });
}

/** What an event reads back as: itself, with `unmapped` as the flat string map the file holds. */
const asStored = (event: OcsfEvent): Record<string, unknown> => ({
  ...(JSON.parse(JSON.stringify(event)) as Record<string, unknown>),
  unmapped: Object.fromEntries(flattenUnmapped(event.unmapped).map(({ key, value }) => [key, value])),
});

describe('createOcsfParquetWriter', () => {
  it('round-trips events of every class: struct fields equal the events and each read-back event is valid OCSF', async () => {
    // Arrange
    const events = CLASSES.map((classUid) => ({
      classUid,
      events: eventsOf(classUid, TEMPLATES.length * 4),
    }));

    for (const { classUid, events: written } of events) {
      // Act
      const path = join(scratch.dir, 'classes', `${classUid}.parquet`);
      const summary = await writeEvents(path, classUid, [written]);
      const read = await readEvents(path);

      // Assess
      expect(written.length, `class ${classUid}`).toBeGreaterThan(0);
      expect(summary).toEqual({ rows: written.length, bytes: (await stat(path)).size, rowGroups: 1 });
      expect(read).toHaveLength(written.length);
      read.forEach((event, i) => {
        expect(event, `class ${classUid}, row ${i}`).toEqual(asStored(written[i] as OcsfEvent));
        expect(validateEvent(event, fixtures), `class ${classUid}, row ${i}`).toEqual([]);
      });
    }
    // Every optional attribute the mapper has appears somewhere (so the round trip covered it).
    const all = events.flatMap((c) => c.events);
    for (const attribute of ['status_detail', 'is_mfa', 'policy', 'raw_data', 'message'] as const) {
      expect(
        all.some((event) => event[attribute] !== undefined),
        attribute,
      ).toBe(true);
    }
    expect(all.some((event) => event.metadata.profiles !== undefined)).toBe(true);
    expect(all.some((event) => event.metadata.product.version !== undefined)).toBe(true);
    expect(all.some((event) => event.api?.service !== undefined)).toBe(true);
    expect(all.some((event) => event.src_endpoint?.name !== undefined)).toBe(true);
  });

  it('writes the OCSF types: INT32 ids, INT64 type_uid and time, STRUCT objects, a LIST of profiles, MAP unmapped', async () => {
    // Arrange
    const path = join(scratch.dir, 'types', 'entity.parquet');
    await writeEvents(path, 3004, [eventsOf(3004, TEMPLATES.length)]);

    // Act
    const described = await query(`DESCRIBE SELECT * FROM read_parquet(${quoted(path)})`);
    const schema = await query(
      `SELECT name, type, repetition_type, converted_type FROM parquet_schema(${quoted(path)})`,
    );

    // Assess
    expect(described.map((row) => `${row.column_name} ${row.column_type}`)).toEqual([
      'class_uid INTEGER',
      'class_name VARCHAR',
      'category_uid INTEGER',
      'category_name VARCHAR',
      'activity_id INTEGER',
      'activity_name VARCHAR',
      'type_uid BIGINT',
      'type_name VARCHAR',
      'severity_id INTEGER',
      'severity VARCHAR',
      'status_id INTEGER',
      'status VARCHAR',
      'time BIGINT',
      'timezone_offset INTEGER',
      'message VARCHAR',
      'metadata STRUCT("version" VARCHAR, product STRUCT("name" VARCHAR, vendor_name VARCHAR, "version" VARCHAR), uid VARCHAR, original_time VARCHAR, logged_time BIGINT, profiles VARCHAR[])',
      'actor STRUCT("user" STRUCT(uid VARCHAR, "name" VARCHAR, email_addr VARCHAR))',
      'entity STRUCT("name" VARCHAR, uid VARCHAR, "type" VARCHAR)',
      'raw_data VARCHAR',
      'unmapped MAP(VARCHAR, VARCHAR)',
    ]);
    const element = (name: string) => schema.find((row) => row.name === name);
    // `time` is OCSF's number (epoch ms), as in Security Lake's own tables: no TIMESTAMP annotation.
    expect(element('time')).toMatchObject({
      type: 'INT64',
      repetition_type: 'REQUIRED',
      converted_type: null,
    });
    expect(element('profiles')).toMatchObject({ repetition_type: 'OPTIONAL', converted_type: 'LIST' });
    expect(element('element')).toMatchObject({ repetition_type: 'REQUIRED', converted_type: 'UTF8' });
    expect(element('unmapped')).toMatchObject({ repetition_type: 'REQUIRED', converted_type: 'MAP' });
    expect(element('key')).toMatchObject({ repetition_type: 'REQUIRED', converted_type: 'UTF8' });
  });

  it('gives each class exactly its own columns', async () => {
    for (const classUid of CLASSES) {
      // Arrange
      const path = join(scratch.dir, 'columns', `${classUid}.parquet`);
      await writeEvents(path, classUid, [eventsOf(classUid, TEMPLATES.length)]);

      // Act
      const described = await query(`DESCRIBE SELECT * FROM read_parquet(${quoted(path)})`);

      // Assess
      expect(described.map((row) => row.column_name)).toEqual(
        ocsfFields(classUid).map((field) => field.name),
      );
    }
    const names = (classUid: OcsfClassUid) => ocsfFields(classUid).map((field) => field.name);
    expect(names(0)).not.toContain('actor');
    expect(names(3002)).toEqual(
      expect.arrayContaining(['status_detail', 'is_mfa', 'service', 'src_endpoint']),
    );
    expect(names(3004)).not.toContain('src_endpoint');
    expect(names(6003)).toEqual(expect.arrayContaining(['api', 'actor', 'src_endpoint']));
  });

  it('flattens unmapped into dotted string keys that SQL can address', async () => {
    // Arrange
    const path = join(scratch.dir, 'unmapped', 'entity.parquet');
    const events = eventsOf(3004, TEMPLATES.length).filter((event) => event.unmapped.extra !== undefined);
    await writeEvents(path, 3004, [events]);

    // Act
    const rows = await query(
      `SELECT unmapped['audit_type'] AS audit_type, unmapped['details.definition'] AS definition,
              unmapped['extra.tags'] AS tags, unmapped['extra.nested'] AS nested, unmapped['extra.empty'] AS empty,
              unmapped['extra.none'] AS none, cardinality(unmapped) AS entries
       FROM read_parquet(${quoted(path)})`,
    );

    // Assess
    expect(rows).toEqual([
      {
        audit_type: 'Policy Modified',
        definition: 'Attachment Protection',
        tags: '["a","b"]',
        nested: '{"n":7,"ok":true}',
        empty: '{}',
        none: 'null',
        entries: '8',
      },
    ]);
    expect(flattenUnmapped({ a: 'text', n: 1, o: {}, p: { q: 'r', s: [1] }, u: undefined })).toEqual([
      { key: 'a', value: 'text' },
      { key: 'n', value: '1' },
      { key: 'o', value: '{}' },
      { key: 'p.q', value: 'r' },
      { key: 'p.s', value: '[1]' },
    ]);
    expect(() => flattenUnmapped({ 'a.b': 'x', a: { b: 'y' } })).toThrow(RangeError);
  });

  it('reads several streamed row groups back exactly as one row group, with time min/max per group', async () => {
    // Arrange
    const written = eventsOf(3002, 6_000);
    const batches = [written.slice(0, 333), written.slice(333, 1_500), written.slice(1_500)];
    const streamed = join(scratch.dir, 'groups', 'streamed.parquet');
    const single = join(scratch.dir, 'groups', 'single.parquet');

    // Act
    const streamedSummary = await writeEvents(streamed, 3002, batches, 300);
    const singleSummary = await writeEvents(single, 3002, [written]);
    const fromStreamed = await readEvents(streamed);
    const fromSingle = await readEvents(single);
    const stats = await query(
      `SELECT row_group_num_rows AS n, stats_min_value AS min, stats_max_value AS max, compression
       FROM parquet_metadata(${quoted(streamed)}) WHERE path_in_schema = 'time' ORDER BY row_group_id`,
    );
    const kv = await query(
      `SELECT decode(key) AS key, decode(value) AS value FROM parquet_kv_metadata(${quoted(streamed)})`,
    );

    // Assess
    expect(written.length).toBe(2_000);
    expect(streamedSummary.rowGroups).toBe(7);
    expect(singleSummary.rowGroups).toBe(1);
    expect(fromStreamed).toEqual(fromSingle);
    expect(fromStreamed).toEqual(written.map(asStored));
    expect(stats).toEqual(
      Array.from({ length: 7 }, (_, g) => {
        const group = written.slice(g * 300, g * 300 + 300);
        return {
          n: String(group.length),
          min: String(group[0]?.time),
          max: String(group.at(-1)?.time),
          compression: 'GZIP',
        };
      }),
    );
    expect(kv).toEqual([
      { key: 'ocsf.version', value: OCSF_VERSION },
      { key: 'ocsf.class_uid', value: '3002' },
    ]);
    expect(DEFAULT_OCSF_ROW_GROUP_SIZE).toBe(25_000);
  });

  it('refuses an event of another class or with an attribute its schema lacks, and then fails every call', async () => {
    // Arrange
    const auth = eventsOf(3002, TEMPLATES.length);
    const api = eventsOf(6003, TEMPLATES.length);
    const extended = { ...auth[0], device: { name: 'laptop' } } as unknown as OcsfEvent;
    const nested = { ...auth[0], user: { ...auth[0]?.user, type: 'User' } } as unknown as OcsfEvent;
    const sink = async () => undefined;
    const wrongClass = createOcsfParquetWriter(3002, sink);
    const unknownTop = createOcsfParquetWriter(3002, sink);
    const unknownNested = createOcsfParquetWriter(3002, sink);

    // Act + Assess
    await expect(wrongClass.write(api)).rejects.toThrow(/class 6003, this file holds class 3002/);
    await expect(wrongClass.write(auth)).rejects.toThrow(/class 6003/);
    await expect(wrongClass.close()).rejects.toThrow(/class 6003/);
    await expect(unknownTop.write([extended])).rejects.toThrow(/device has no column/);
    await expect(unknownNested.write([nested])).rejects.toThrow(/user\.type has no column/);
    expect(() => createOcsfParquetWriter(3002, sink, { rowGroupSize: 0 })).toThrow(RangeError);
  });

  it('writes a valid empty file with the class columns, and refuses writes after close', async () => {
    // Arrange
    const path = join(scratch.dir, 'empty', 'api.parquet');

    // Act
    const summary = await writeEvents(path, 6003, []);
    const counted = await query(`SELECT count(*) AS n FROM read_parquet(${quoted(path)})`);
    const described = await query(`DESCRIBE SELECT * FROM read_parquet(${quoted(path)})`);
    const writer = createOcsfParquetWriter(6003, async () => undefined);
    await writer.close();

    // Assess
    expect(summary).toEqual({ rows: 0, bytes: (await stat(path)).size, rowGroups: 0 });
    expect(counted).toEqual([{ n: '0' }]);
    expect(described.map((row) => row.column_name)).toEqual(ocsfFields(6003).map((field) => field.name));
    await expect(writer.write(eventsOf(6003, TEMPLATES.length))).rejects.toThrow(/after close/);
    await expect(writer.close()).rejects.toThrow(/twice/);
  });

  it('files in the Security Lake layout read as region / accountId / eventDay partitions, one file per source', async () => {
    // Arrange
    const prefix = join(scratch.dir, 'lake');
    const days = ['2026-03-01', '2026-03-02'];
    for (const dt of days) {
      for (const sourceId of ['main', 'eu-tenant']) {
        const key = ocsfObjectKey({
          prefix,
          customSourceName: customSourceName(3002),
          region: 'eu-west-1',
          accountId: '123456789012',
          dt,
          sourceId,
        });
        await writeEvents(key, 3002, [eventsOf(3002, TEMPLATES.length * (sourceId === 'main' ? 2 : 1))]);
      }
    }

    // Act
    const partitions = await query(
      `SELECT region, accountId, eventDay, count(*) AS n, count(DISTINCT filename) AS files
       FROM read_parquet(${quoted(`${prefix}/ext/mimecast-auth/*/*/*/*.parquet`)},
                         hive_partitioning = true, hive_types_autocast = false, filename = true)
       GROUP BY ALL ORDER BY eventDay`,
    );

    // Assess
    expect(partitions).toEqual([
      { region: 'eu-west-1', accountId: '123456789012', eventDay: '20260301', n: '15', files: '2' },
      { region: 'eu-west-1', accountId: '123456789012', eventDay: '20260302', n: '15', files: '2' },
    ]);
  });
});
