/**
 * The Parquet copy as readers see it: files from createParquetRecordWriter read back by DuckDB
 * (the local stand-in for Athena's Parquet reader) with the Glue types, every value, several
 * row groups with event_time statistics; bytes reaching the sink before close(); and memory
 * that stays bounded by one row group (measured in a child process with the GC exposed).
 */
import { spawn } from 'node:child_process';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '#core/archive/record.js';
import {
  createParquetRecordWriter,
  DEFAULT_ROW_GROUP_SIZE,
  PARQUET_COLUMNS,
} from '#core/columnar/parquet-writer.js';
import { scratchDuckDb } from '#test/support/duckdb.js';

const ROOT = new URL('../../..', import.meta.url).pathname;

const scratch = scratchDuckDb('parquet-writer');
const query = scratch.query;

const LONG_INFO = `Bulk export, IP: 198.51.100.9, Items: ${'x'.repeat(200_000)}`;

/** Record `i` of a varied set: nulls, empty details, unicode, quotes, a very long event_info. */
function record(i: number): AuditRecord {
  const second = String(i % 60).padStart(2, '0');
  const minute = String(Math.floor(i / 60) % 60).padStart(2, '0');
  const hour = String(Math.floor(i / 3600)).padStart(2, '0');
  const base: AuditRecord = {
    id: `eNo${i.toString(36).padStart(8, '0')}`,
    event_time: `2026-03-01T${hour}:${minute}:${second}Z`,
    category: `category_${i % 16}`,
    audit_type: `Audit Type ${i % 60}`,
    actor: `user${i % 500}@example.com`,
    event_info: `Logon, IP: 10.0.${i % 256}.${i % 7}, Application: Outlook`,
    details: { ip: `10.0.${i % 256}.${i % 7}`, application: 'Outlook' },
    extra: {},
    source: 'default',
    collected_at: '2026-03-01T12:00:00Z',
  };
  switch (i % 10) {
    case 1:
      return { ...base, category: null, audit_type: null, actor: null, event_info: null, details: {} };
    case 2:
      return {
        ...base,
        actor: 'zoë.åländ@exämple.com',
        event_info: 'Name: 山田 太郎 😀, Note: e\u0301 (combining), Quote: "a \\ b"',
        details: { name: '山田 太郎 😀', note: 'e\u0301 (combining)', quote: '"a \\ b"' },
      };
    case 3:
      return { ...base, extra: { eventSource: 'api', nested: { n: i, tags: ['a', 'b'] }, empty: null } };
    case 4:
      return {
        ...base,
        event_info: "Multi\nline, Tab:\tend, Single'quote, Comma, , Equals=Sign",
        details: { '': 'empty key', 'key with "quotes"': '' },
      };
    case 5:
      return i === 5 ? { ...base, event_info: LONG_INFO, details: { items: 'x'.repeat(200_000) } } : base;
    default:
      return base;
  }
}

const records = (from: number, count: number): AuditRecord[] =>
  Array.from({ length: count }, (_, k) => record(from + k));

/** Writes `batches` through a writer into a file; returns its path, close()'s result and the chunks. */
async function writeFileOf(name: string, batches: AuditRecord[][], rowGroupSize?: number) {
  const chunks: Uint8Array[] = [];
  const writer = createParquetRecordWriter(
    async (chunk) => {
      chunks.push(chunk);
    },
    rowGroupSize === undefined ? {} : { rowGroupSize },
  );
  for (const batch of batches) await writer.write(batch);
  const summary = await writer.close();
  const path = join(scratch.dir, name);
  await writeFile(path, Buffer.concat(chunks));
  return { path, summary, chunks };
}

describe('createParquetRecordWriter', () => {
  it('writes the Glue columns with the types DuckDB reads as VARCHAR and MAP(VARCHAR, VARCHAR)', async () => {
    // Arrange
    const { path } = await writeFileOf('types.parquet', [records(0, 20)]);

    // Act
    const described = await query(`DESCRIBE SELECT * FROM read_parquet('${path}')`);
    const schema = await query(
      `SELECT name, type, repetition_type, converted_type, logical_type FROM parquet_schema('${path}')`,
    );

    // Assess
    expect(described.map((row) => [row.column_name, row.column_type])).toEqual([
      ['id', 'VARCHAR'],
      ['event_time', 'VARCHAR'],
      ['category', 'VARCHAR'],
      ['audit_type', 'VARCHAR'],
      ['actor', 'VARCHAR'],
      ['event_info', 'VARCHAR'],
      ['details', 'MAP(VARCHAR, VARCHAR)'],
      ['extra', 'VARCHAR'],
      ['collected_at', 'VARCHAR'],
    ]);
    const element = (name: string) => schema.find((row) => row.name === name);
    for (const name of ['id', 'event_time']) {
      expect(element(name)).toMatchObject({
        type: 'BYTE_ARRAY',
        repetition_type: 'REQUIRED',
        converted_type: 'UTF8',
      });
    }
    for (const name of ['category', 'audit_type', 'actor', 'event_info', 'extra', 'collected_at', 'value']) {
      expect(element(name)).toMatchObject({
        type: 'BYTE_ARRAY',
        repetition_type: 'OPTIONAL',
        converted_type: 'UTF8',
      });
      expect(String(element(name)?.logical_type)).toMatch(/String/i);
    }
    // The standard three-level map, with the REQUIRED key that readers insist on.
    expect(element('details')).toMatchObject({ repetition_type: 'OPTIONAL', converted_type: 'MAP' });
    expect(String(element('details')?.logical_type)).toMatch(/Map/i);
    expect(element('key_value')).toMatchObject({ repetition_type: 'REPEATED' });
    expect(element('key')).toMatchObject({ repetition_type: 'REQUIRED', converted_type: 'UTF8' });
    expect(PARQUET_COLUMNS).toEqual([
      { name: 'id', type: 'string', required: true },
      { name: 'event_time', type: 'string', required: true },
      { name: 'category', type: 'string', required: false },
      { name: 'audit_type', type: 'string', required: false },
      { name: 'actor', type: 'string', required: false },
      { name: 'event_info', type: 'string', required: false },
      { name: 'details', type: 'map<string,string>', required: false },
      { name: 'extra', type: 'string', required: false },
      { name: 'collected_at', type: 'string', required: false },
    ]);
  });

  it('round-trips every value, nulls, empty maps, unicode, quotes and a 200 000-character event_info', async () => {
    // Arrange
    const written = records(0, 2_500);
    const { path, summary } = await writeFileOf(
      'values.parquet',
      [written.slice(0, 1_234), written.slice(1_234)],
      1_000,
    );

    // Act
    const rows = await query(
      `SELECT id, event_time, category, audit_type, actor, event_info,
              CAST(to_json(details) AS VARCHAR) AS details, extra, collected_at
       FROM read_parquet('${path}', file_row_number = true) ORDER BY file_row_number`,
    );

    // Assess
    expect(summary).toEqual({ rows: 2_500, bytes: (await stat(path)).size, rowGroups: 3 });
    expect(rows).toHaveLength(written.length);
    rows.forEach((row, i) => {
      const expected = written[i] as AuditRecord;
      expect({ ...row, details: JSON.parse(String(row.details)) }).toEqual({
        id: expected.id,
        event_time: expected.event_time,
        category: expected.category,
        audit_type: expected.audit_type,
        actor: expected.actor,
        event_info: expected.event_info,
        details: expected.details,
        // `extra` is the object's JSON text, as the NDJSON table types it.
        extra: JSON.stringify(expected.extra),
        collected_at: expected.collected_at,
      });
    });
    expect(rows[5]?.event_info).toBe(LONG_INFO);
    expect(rows[1]).toMatchObject({
      category: null,
      actor: null,
      event_info: null,
      details: '{}',
      extra: '{}',
    });
  });

  it('writes one row group per rowGroupSize rows, GZIP pages, dictionaries and event_time min/max per row group', async () => {
    // Arrange
    const written = records(0, 10_500);
    const { path, summary } = await writeFileOf('groups.parquet', [written], 4_000);

    // Act
    const metadata = await query(
      `SELECT row_group_id, row_group_num_rows, path_in_schema, compression, encodings,
              stats_min_value, stats_max_value, stats_null_count
       FROM parquet_metadata('${path}') ORDER BY row_group_id, column_id`,
    );
    const counted = await query(`SELECT count(*) AS n FROM read_parquet('${path}')`);

    // Assess
    expect(summary.rowGroups).toBe(3);
    expect(counted).toEqual([{ n: '10500' }]);
    const eventTime = metadata.filter((row) => row.path_in_schema === 'event_time');
    expect(
      eventTime.map((row) => [row.row_group_num_rows, row.stats_min_value, row.stats_max_value]),
    ).toEqual(
      [0, 4_000, 8_000].map((start) => {
        const group = written.slice(start, start + 4_000);
        return [String(group.length), group[0]?.event_time, group.at(-1)?.event_time];
      }),
    );
    expect(new Set(metadata.map((row) => row.compression))).toEqual(new Set(['GZIP']));
    const category = metadata.filter((row) => row.path_in_schema === 'category');
    expect(category.every((row) => String(row.encodings).includes('RLE_DICTIONARY'))).toBe(true);
    // 1 row in 10 has no actor: the null counts are in the statistics too.
    expect(metadata.find((row) => row.path_in_schema === 'actor')?.stats_null_count).toBe('400');
  });

  it('hands the sink each row group as it is written, before close(), and waits for the sink', async () => {
    // Arrange
    const chunks: Uint8Array[] = [];
    let release: () => void = () => undefined;
    let holding = false;
    const writer = createParquetRecordWriter(
      async (chunk) => {
        chunks.push(chunk);
        if (holding) await new Promise<void>((resolve) => (release = resolve));
      },
      { rowGroupSize: 1_000 },
    );

    // Act
    await writer.write(records(0, 999));
    const beforeFirstGroup = chunks.length;
    await writer.write(records(999, 1_100));
    const afterTwoGroups = chunks.length;
    holding = true;
    let settled = false;
    const third = writer.write(records(2_099, 1_000)).then(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const settledWhileSinkBusy = settled;
    holding = false;
    release();
    await third;
    const summary = await writer.close();

    // Assess
    expect(beforeFirstGroup).toBe(0);
    expect(afterTwoGroups).toBe(2);
    expect(settledWhileSinkBusy).toBe(false);
    expect(summary).toMatchObject({ rows: 3_099, rowGroups: 4 });
    const file = Buffer.concat(chunks);
    expect(file.byteLength).toBe(summary.bytes);
    expect(file.subarray(0, 4).toString()).toBe('PAR1');
    expect(file.subarray(-4).toString()).toBe('PAR1');
    // Each chunk but the last (the footer) is one row group, not the whole file at the end.
    expect(chunks.length).toBe(5);
    expect(Math.max(...chunks.map((chunk) => chunk.byteLength))).toBeLessThan(file.byteLength / 2);
  });

  it('writes a valid empty file, and refuses writes after close and after a failed sink', async () => {
    // Arrange
    const chunks: Uint8Array[] = [];
    const empty = createParquetRecordWriter(async (chunk) => {
      chunks.push(chunk);
    });
    const failing = createParquetRecordWriter(
      async () => {
        throw new Error('upload part failed');
      },
      { rowGroupSize: 10 },
    );

    // Act
    const summary = await empty.close();
    const path = join(scratch.dir, 'empty.parquet');
    await writeFile(path, Buffer.concat(chunks));
    const described = await query(`DESCRIBE SELECT * FROM read_parquet('${path}')`);
    const counted = await query(`SELECT count(*) AS n FROM read_parquet('${path}')`);

    // Assess
    expect(summary).toEqual({ rows: 0, bytes: (await stat(path)).size, rowGroups: 0 });
    expect(described).toHaveLength(PARQUET_COLUMNS.length);
    expect(counted).toEqual([{ n: '0' }]);
    await expect(empty.write(records(0, 1))).rejects.toThrow(/after close/);
    await expect(failing.write(records(0, 25))).rejects.toThrow('upload part failed');
    await expect(failing.write(records(25, 1))).rejects.toThrow('upload part failed');
    await expect(failing.close()).rejects.toThrow('upload part failed');
    expect(() => createParquetRecordWriter(async () => undefined, { rowGroupSize: 0 })).toThrow(RangeError);
    expect(DEFAULT_ROW_GROUP_SIZE).toBe(25_000);
  });
});

/**
 * The child: writes 300 000 records (about 135 MB of record JSON) in batches of 10 000 with
 * row groups of 25 000, discarding the bytes, and reports the heap + external memory left after
 * a full GC at each row group boundary. With MODE=retain it also keeps every batch it wrote, as a
 * writer that held on to rows would: that run must exceed the bound, so the check can fail.
 */
const MEMORY_CHILD = `
import { createParquetRecordWriter } from '#core/columnar/parquet-writer.js';
const TOTAL = 300_000, BATCH = 10_000, GROUP = 25_000;
const retained = [];
let dataBytes = 0, fileBytes = 0;
const writer = createParquetRecordWriter(async (chunk) => { fileBytes += chunk.byteLength; }, { rowGroupSize: GROUP });
const used = () => { gc(); const m = process.memoryUsage(); return m.heapUsed + m.external; };
const samples = [];
for (let start = 0; start < TOTAL; start += BATCH) {
  const batch = [];
  for (let i = start; i < start + BATCH; i += 1) {
    const r = {
      id: 'eNo' + (i * 2654435761 % 4294967296).toString(36) + i.toString(36),
      event_time: new Date(Date.UTC(2026, 2, 1) + i * 1000).toISOString().slice(0, 19) + 'Z',
      category: 'category_' + (i % 16), audit_type: 'Audit Type ' + (i % 60), actor: 'user' + (i % 500) + '@example.com',
      event_info: 'Logon Failed, IP: 10.' + (i % 251) + '.' + (i % 241) + '.' + (i % 239) + ', Application: Outlook, Reason: ' + 'invalid credentials '.repeat(1 + (i % 5)),
      details: { ip: '10.' + (i % 251) + '.' + (i % 241) + '.' + (i % 239), application: 'Outlook', reason: 'invalid credentials', seq: String(i) },
      extra: i % 20 === 0 ? { eventSource: 'api', n: i } : {},
      source: 'default', collected_at: '2026-03-05T00:00:00Z',
    };
    dataBytes += JSON.stringify(r).length + 1;
    batch.push(r);
  }
  await writer.write(batch);
  if (process.env.MODE === 'retain') retained.push(batch);
  // Sample just after each row group went out (the batch that crossed a multiple of GROUP).
  if ((start + BATCH) % GROUP < BATCH) samples.push(used());
}
const summary = await writer.close();
// From the second row group on: by then the writer's buffers have grown to their working size.
const baseline = samples[1];
process.stdout.write(JSON.stringify({ growth: Math.max(...samples.slice(1)) - baseline, dataBytes, fileBytes, rows: summary.rows, kept: retained.length }));
`;

/** Runs MEMORY_CHILD in a fresh Node with the GC exposed; resolves with its report. */
function runMemoryChild(mode: 'stream' | 'retain') {
  return new Promise<{ growth: number; dataBytes: number; fileBytes: number; rows: number }>(
    (resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', MEMORY_CHILD],
        { cwd: ROOT, env: { ...process.env, MODE: mode }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (data: Buffer) => {
        stdout += data.toString();
      });
      child.stderr.on('data', (data: Buffer) => {
        stderr += data.toString();
      });
      child.on('error', reject);
      child.on('close', (code) => {
        if (code === 0) resolve(JSON.parse(stdout));
        else reject(new Error(`memory child exited ${code}: ${stderr}`));
      });
    },
  );
}

describe('createParquetRecordWriter memory', () => {
  // Well below the ~135 MB of record JSON, well above one row group's buffers (measured growth: ~2.5 MB).
  const BOUND = 32 * 1024 * 1024;

  it('stays bounded by one row group while 300 000 records stream through', async () => {
    // Act
    const report = await runMemoryChild('stream');

    // Assess
    expect(report.rows).toBe(300_000);
    expect(report.dataBytes).toBeGreaterThan(4 * BOUND);
    expect(report.growth).toBeLessThan(BOUND);
  });

  it('would catch a writer that keeps its rows: the same probe exceeds the bound when rows are retained', async () => {
    // Act
    const report = await runMemoryChild('retain');

    // Assess
    expect(report.growth).toBeGreaterThan(BOUND);
  });
});
