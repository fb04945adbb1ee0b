/**
 * DuckDbArchive over an archive written by the product's own encoder (buildDailyObjects, the
 * collector's key layout): Athena SQL with bound parameters, Athena's value rendering, the empty
 * archive, partition pruning as bytes scanned, objects that appear between executions,
 * cancellation and the sandbox.
 */
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDailyObjects } from '#core/archive/encode.js';
import type { AuditRecord } from '#core/archive/record.js';
import { DuckDbArchive, formatDouble } from '#local/archive-engine/duckdb-archive.js';

const PREFIX = 'data';
const DAYS = ['2026-03-01', '2026-03-02', '2026-03-03'] as const;
const SOURCES = ['default', 'eu'] as const;

let dir: string;
let archive: DuckDbArchive;
/** Every object written: file path → size. */
const written = new Map<string, number>();

function record(
  source: string,
  id: string,
  eventTime: string,
  overrides: Partial<AuditRecord> = {},
): AuditRecord {
  return {
    id,
    event_time: eventTime,
    category: 'authentication_logs',
    audit_type: 'Logon Failed',
    actor: `user-${id}@example.com`,
    event_info: `Logon failed, IP: 10.0.0.${id.length}, Application: Outlook`,
    details: { ip: `10.0.0.${id.length}`, application: 'Outlook' },
    extra: { eventSource: 'api', nested: { n: 1 } },
    source,
    collected_at: '2026-03-04T00:00:00Z',
    ...overrides,
  };
}

/** Writes one window's objects as the collector would (same keys, same bytes), below `root`. */
async function writeWindow(
  root: string,
  sourceId: string,
  start: string,
  end: string,
  records: AuditRecord[],
  suffix = '',
): Promise<string[]> {
  const objects = await buildDailyObjects(records, {
    prefix: PREFIX,
    sourceId,
    window: { start: new Date(start), end: new Date(end) },
  });
  const paths: string[] = [];
  for (const object of objects) {
    const path = join(root, `${object.key}${suffix}`);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, object.body);
    written.set(path, object.body.byteLength);
    paths.push(path);
  }
  return paths;
}

const filesOfDay = (dt: string, source?: string): string[] =>
  [...written.keys()]
    .filter((path) => path.includes(`/dt=${dt}/`) && (!source || path.includes(`/source=${source}/`)))
    .sort();

const sizeOf = (paths: string[]): number => paths.reduce((sum, path) => sum + (written.get(path) ?? 0), 0);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'duckdb-archive-'));
  for (const source of SOURCES) {
    for (const [d, dt] of DAYS.entries()) {
      // Two windows a day, so a day has two objects per source.
      await writeWindow(dir, source, `${dt}T00:00:00Z`, `${dt}T12:00:00Z`, [
        record(source, `${source}-${d}-a`, `${dt}T01:00:00Z`),
        record(source, `${source}-${d}-b`, `${dt}T02:00:00Z`, {
          actor: 'Admin@Example.com',
          audit_type: 'Export',
        }),
      ]);
      await writeWindow(dir, source, `${dt}T12:00:00Z`, `${dt}T23:59:59Z`, [
        record(source, `${source}-${d}-c`, `${dt}T13:00:00Z`, { category: 'account_logs', details: {} }),
      ]);
    }
  }
  archive = await DuckDbArchive.create({
    tables: [{ name: 'audit_events', root: join(dir, PREFIX), suffix: '.ndjson.gz' }],
  });
});

afterAll(async () => {
  await archive?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('DuckDbArchive', () => {
  it('runs Athena SQL with positional parameters bound as values', async () => {
    // Act
    const result = await archive.execute(
      `SELECT id, actor, try(details['ip']) AS ip, json_format(CAST(details AS JSON)) AS details, source, dt
       FROM audit_events
       WHERE source IN (?) AND dt BETWEEN ? AND ? AND lower(actor) = lower(?)
       ORDER BY event_time, id
       LIMIT ?`,
      ['eu', '2026-03-02', '2026-03-03', 'admin@example.com', 10],
    );

    // Assess
    expect(result.columns).toEqual([
      { name: 'id', type: 'varchar' },
      { name: 'actor', type: 'varchar' },
      { name: 'ip', type: 'varchar' },
      { name: 'details', type: 'varchar' },
      { name: 'source', type: 'varchar' },
      { name: 'dt', type: 'varchar' },
    ]);
    expect(result.rows).toEqual([
      [
        'eu-1-b',
        'Admin@Example.com',
        '10.0.0.6',
        '{"ip":"10.0.0.6","application":"Outlook"}',
        'eu',
        '2026-03-02',
      ],
      [
        'eu-2-b',
        'Admin@Example.com',
        '10.0.0.6',
        '{"ip":"10.0.0.6","application":"Outlook"}',
        'eu',
        '2026-03-03',
      ],
    ]);
  });

  it("gives the Glue table's columns in its order, partition columns last, rendered as Athena renders them", async () => {
    // Act
    const result = await archive.execute('SELECT * FROM audit_events WHERE id = ?', ['default-0-a']);
    const empty = await archive.execute("SELECT try(details['ip']) AS ip FROM audit_events WHERE id = ?", [
      'default-0-c',
    ]);

    // Assess
    expect(result.columns.map((c) => `${c.name}:${c.type}`)).toEqual([
      'id:varchar',
      'event_time:varchar',
      'category:varchar',
      'audit_type:varchar',
      'actor:varchar',
      'event_info:varchar',
      'details:map',
      'extra:varchar',
      'collected_at:varchar',
      'source:varchar',
      'dt:varchar',
    ]);
    expect(result.rows).toEqual([
      [
        'default-0-a',
        '2026-03-01T01:00:00Z',
        'authentication_logs',
        'Logon Failed',
        'user-default-0-a@example.com',
        'Logon failed, IP: 10.0.0.11, Application: Outlook',
        '{ip=10.0.0.11, application=Outlook}',
        '{"eventSource":"api","nested":{"n":1}}',
        '2026-03-04T00:00:00Z',
        'default',
        '2026-03-01',
      ],
    ]);
    // A key the map lacks is NULL through try(), not an error, and NULL has no text.
    expect(empty.rows).toEqual([[null]]);
  });

  it('renders every type as GetQueryResults text with Athena type names', async () => {
    // Act
    const result = await archive.execute(
      `SELECT count(*) AS n, true AS yes, 1.5::DOUBLE AS d, 1e10::DOUBLE AS big, 12.50::DECIMAL(10, 2) AS money,
              DATE '2026-03-01' AS day, TIMESTAMP '2026-03-01 10:15:30.123456' AS at, ['a', 'b'] AS list,
              MAP {'k': 'v', 'k2': NULL} AS m, {'x': 1, 'y': 'z'} AS r, CAST(NULL AS VARCHAR) AS nothing,
              CAST('{"a":1}' AS JSON) AS j, 7::INTEGER AS i
       FROM audit_events WHERE dt = ?`,
      ['2026-03-01'],
    );

    // Assess
    expect(result.columns).toEqual([
      { name: 'n', type: 'bigint' },
      { name: 'yes', type: 'boolean' },
      { name: 'd', type: 'double' },
      { name: 'big', type: 'double' },
      { name: 'money', type: 'decimal', precision: 10, scale: 2 },
      { name: 'day', type: 'date' },
      { name: 'at', type: 'timestamp' },
      { name: 'list', type: 'array' },
      { name: 'm', type: 'map' },
      { name: 'r', type: 'row' },
      { name: 'nothing', type: 'varchar' },
      { name: 'j', type: 'json' },
      { name: 'i', type: 'integer' },
    ]);
    expect(result.rows).toEqual([
      [
        '6',
        'true',
        '1.5',
        '1.0E10',
        '12.50',
        '2026-03-01',
        '2026-03-01 10:15:30.123',
        '[a, b]',
        '{k=v, k2=null}',
        '{x=1, y=z}',
        null,
        '{"a":1}',
        '7',
      ],
    ]);
  });

  it('formats doubles as Trino does', () => {
    // Assess
    expect([2, 0.001, 0.0001, 1234567.5, 1e7, -0.5, 0, Number.NaN].map(formatDouble)).toEqual([
      '2.0',
      '0.001',
      '1.0E-4',
      '1234567.5',
      '1.0E7',
      '-0.5',
      '0.0',
      'NaN',
    ]);
  });

  it('opens only the partitions a query selects: bytesScanned is the size of exactly those objects', async () => {
    // Prepare
    const day = filesOfDay('2026-03-02');
    const oneSource = filesOfDay('2026-03-02', 'eu');

    // Act
    const byDay = await archive.execute('SELECT count(*) AS n FROM audit_events WHERE dt = ?', [
      '2026-03-02',
    ]);
    const bySourceAndDay = await archive.execute(
      'SELECT count(*) AS n FROM audit_events WHERE source = ? AND dt BETWEEN ? AND ?',
      ['eu', '2026-03-02', '2026-03-02'],
    );
    const all = await archive.execute('SELECT count(*) AS n FROM audit_events', []);

    // Assess
    expect(day).toHaveLength(4);
    expect(byDay).toMatchObject({ rows: [['6']], filesRead: day, bytesScanned: sizeOf(day) });
    expect(bySourceAndDay).toMatchObject({
      rows: [['3']],
      filesRead: oneSource,
      bytesScanned: sizeOf(oneSource),
    });
    expect(all.rows).toEqual([['18']]);
    expect(all.bytesScanned).toBe(sizeOf([...written.keys()]));
    expect(byDay.bytesScanned).toBeLessThan(all.bytesScanned);
  });

  it('keeps each concurrent execution’s accounting apart', async () => {
    // Act
    const [first, third] = await Promise.all([
      archive.execute('SELECT id FROM audit_events WHERE dt = ?', ['2026-03-01']),
      archive.execute('SELECT id FROM audit_events WHERE dt = ?', ['2026-03-03']),
    ]);

    // Assess
    expect(first.filesRead).toEqual(filesOfDay('2026-03-01'));
    expect(third.filesRead).toEqual(filesOfDay('2026-03-03'));
    expect(first.bytesScanned).toBe(sizeOf(filesOfDay('2026-03-01')));
  });

  it('sees objects written after it was created, on the next execution', async () => {
    // Prepare
    const count = "SELECT count(*) AS n FROM audit_events WHERE dt = '2026-03-04'";
    const before = await archive.execute(count, []);

    // Act
    await writeWindow(dir, 'default', '2026-03-04T00:00:00Z', '2026-03-04T01:00:00Z', [
      record('default', 'late-1', '2026-03-04T00:30:00Z'),
    ]);
    const after = await archive.execute(count, []);

    // Assess
    expect(before).toMatchObject({ rows: [['0']], bytesScanned: 0, filesRead: [] });
    expect(after).toMatchObject({ rows: [['1']], filesRead: filesOfDay('2026-03-04') });
  });

  it('answers an archive with no objects (or no directory yet) with no rows and the same columns', async () => {
    // Prepare
    const empty = await DuckDbArchive.create({
      tables: [{ name: 'audit_events', root: join(dir, 'not-written-yet'), suffix: '.ndjson.gz' }],
    });

    // Act
    const result = await empty.execute('SELECT * FROM audit_events WHERE dt = ?', ['2026-03-01']);
    await empty.close();

    // Assess
    expect(result.columns.map((c) => c.name)).toEqual([
      'id',
      'event_time',
      'category',
      'audit_type',
      'actor',
      'event_info',
      'details',
      'extra',
      'collected_at',
      'source',
      'dt',
    ]);
    expect(result).toMatchObject({ rows: [], bytesScanned: 0, filesRead: [] });
  });

  it('reads s3rver-named objects (gzip behind `._S3rver_object`), leaving out empty and unready files', async () => {
    // Prepare
    const root = join(dir, 's3rver');
    const [ready] = await writeWindow(
      root,
      'default',
      '2026-03-01T00:00:00Z',
      '2026-03-01T01:00:00Z',
      [record('default', 's3-1', '2026-03-01T00:10:00Z')],
      '._S3rver_object',
    );
    const [unready] = await writeWindow(
      root,
      'default',
      '2026-03-01T01:00:00Z',
      '2026-03-01T02:00:00Z',
      [record('default', 's3-2', '2026-03-01T01:10:00Z')],
      '._S3rver_object',
    );
    // An upload that has just begun: s3rver has created the file but written nothing yet.
    const emptyFile = join(
      root,
      PREFIX,
      'source=default/dt=2026-03-01/20260301T020000Z_20260301T030000Z.ndjson.gz._S3rver_object',
    );
    await writeFile(emptyFile, new Uint8Array());
    const s3rver = await DuckDbArchive.create({
      tables: [
        {
          name: 'audit_events',
          root: join(root, PREFIX),
          suffix: '.ndjson.gz._S3rver_object',
          ready: (path) => path !== unready,
        },
      ],
    });

    // Act
    const result = await s3rver.execute('SELECT id FROM audit_events', []);
    await s3rver.close();

    // Assess
    expect(result.rows).toEqual([['s3-1']]);
    expect(result.filesRead).toEqual([ready]);
    expect(result.bytesScanned).toBe((await stat(ready ?? '')).size);
  });

  it('fails loudly on a malformed line, as the table’s SerDe is configured to', async () => {
    // Prepare
    const root = join(dir, 'malformed');
    const path = join(
      root,
      PREFIX,
      'source=default/dt=2026-03-01/20260301T000000Z_20260301T010000Z.ndjson.gz',
    );
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, gzipSync('{"id":"ok","event_time":"2026-03-01T00:00:00Z"}\n{"id": broken\n'));
    const broken = await DuckDbArchive.create({
      tables: [{ name: 'audit_events', root: join(root, PREFIX), suffix: '.ndjson.gz' }],
    });

    // Act
    const failing = broken.execute('SELECT count(*) FROM audit_events', []);

    // Assess
    await expect(failing).rejects.toThrow(/malformed JSON/i);
    await broken.close();
  });

  it('rejects SQL errors, a parameter count mismatch and anything but SELECT', async () => {
    // Act
    const run = (sql: string, values: string[] = []) => archive.execute(sql, values);

    // Assess
    await expect(run('SELECT nope FROM audit_events')).rejects.toThrow(/nope/);
    await expect(
      run('SELECT id FROM audit_events WHERE dt = ? AND source = ?', ['2026-03-01']),
    ).rejects.toThrow('Incorrect number of parameters: expected 2 but found 1');
    await expect(run(`COPY (SELECT 1) TO '${join(dir, PREFIX, 'out.csv')}'`)).rejects.toThrow(
      'Only SELECT statements',
    );
    await expect(run('CREATE TABLE t AS SELECT 1')).rejects.toThrow('Only SELECT statements');
  });

  it('cannot read files outside the tables’ directories', async () => {
    // Act
    const read = (path: string) => archive.execute(`SELECT * FROM read_text('${path}')`, []);

    // Assess
    await expect(read(join(dir, 'malformed', '..'))).rejects.toThrow(/Permission Error/);
    await expect(read('/etc/passwd')).rejects.toThrow(/Permission Error/);
  });

  it('interrupts DuckDB when the signal aborts and rejects with an AbortError', async () => {
    // Prepare: a query that would run for minutes.
    const controller = new AbortController();
    const endless = 'SELECT count(*) FROM range(1000000000000) t(a) WHERE a % 7 = 3';

    // Act
    const running = expect(archive.execute(endless, [], { signal: controller.signal })).rejects.toMatchObject(
      {
        name: 'AbortError',
      },
    );
    // Whether the abort lands while DuckDB runs or before, the outcome must be the same.
    setTimeout(() => controller.abort(), 200);

    // Assess
    await running;
    await expect(archive.execute('SELECT 1', [], { signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('keeps databases apart: only the chosen database’s tables exist, qualified names resolve', async () => {
    // Prepare
    const twoDatabases = await DuckDbArchive.create({
      tables: [
        { name: 'audit_events', database: 'lake', root: join(dir, PREFIX), suffix: '.ndjson.gz' },
        { name: 'other_events', database: 'elsewhere', root: join(dir, PREFIX), suffix: '.ndjson.gz' },
      ],
    });

    // Act
    const unqualified = await twoDatabases.execute(
      'SELECT count(*) FROM audit_events WHERE dt = ?',
      ['2026-03-01'],
      {
        database: 'lake',
      },
    );
    const qualified = await twoDatabases.execute(
      'SELECT count(*) FROM lake.audit_events WHERE dt = ?',
      ['2026-03-01'],
      {
        database: 'lake',
      },
    );
    const otherDatabase = twoDatabases.execute('SELECT count(*) FROM other_events', [], { database: 'lake' });

    // Assess
    await expect(otherDatabase).rejects.toThrow(/other_events/);
    expect(unqualified.rows).toEqual([['6']]);
    expect(qualified.rows).toEqual([['6']]);
    await twoDatabases.close();
  });

  it('refuses executions once closed', async () => {
    // Prepare
    const closing = await DuckDbArchive.create({ tables: [] });
    await closing.close();

    // Act
    const after = closing.execute('SELECT 1', []);

    // Assess
    await expect(after).rejects.toThrow('DuckDbArchive is closed');
  });
});
