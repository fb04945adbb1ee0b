/**
 * The Athena SQL we ship (the workgroup's saved queries and every ```sql block of the docs),
 * run in DuckDB over objects the real collector wrote — through the Glue table's column list and
 * hive partitions — and checked against the simulator's ground truth. Athena (Trino) and DuckDB
 * differ, so the SQL keeps to their common ground; this test is what keeps it there.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseEvent } from '#core/archive/normalise.js';
import type { AuditRecord } from '#core/archive/record.js';
import { toUtcDate } from '#core/time.js';
import { AUDIT_TABLE, EXAMPLE_QUERIES, SAVED_QUERIES } from '#lib/athena/queries.js';
import { duckDbColumns, mirrorS3ToDir } from '#test/support/archive.js';
import type { StandinsWithClients } from '#test/support/standins.js';
import {
  type CollectorUnderTest,
  cursorOf,
  DAY,
  PREFIX,
  startAws,
  startCollector,
  truthBetween,
} from './harness.js';

let aws: StandinsWithClients;
let collector: CollectorUnderTest;
let dir: string;
let instance: DuckDBInstance;
let db: DuckDBConnection;
/** What the archive must hold: the simulator's well-formed events from backfill start to the watermark. */
let truth: AuditRecord[];

beforeAll(async () => {
  // Prepare: the collector backfills 12 days on the real clock, because the queries use current_date.
  aws = await startAws();
  collector = await startCollector(aws, {
    startMs: Date.now(),
    sim: { eventsPerDay: 400, seed: 31 },
    settings: { LOOKBACK_DAYS: 12, PAGE_SIZE: 500 },
  });
  await collector.runUntilCaughtUp();
  const state = await cursorOf(collector);
  truth = truthBetween(
    collector,
    Date.parse(state.backfillFrom ?? ''),
    Date.parse(state.watermark ?? ''),
  ).flatMap((event) => {
    const result = normaliseEvent(event, { source: collector.settings.SOURCE_ID, collectedAt: '' });
    return result.ok ? [result.record] : [];
  });

  dir = await mkdtemp(join(tmpdir(), 'athena-sql-'));
  await mirrorS3ToDir(aws.s3, aws.standins.bucket, `${PREFIX}/source=${collector.settings.SOURCE_ID}/`, dir);
  instance = await DuckDBInstance.create(':memory:');
  db = await instance.connect();
  const glob = `${resolve(dir)}/${PREFIX}/*/*/*.ndjson.gz`;
  await db.run(
    `CREATE VIEW ${AUDIT_TABLE} AS SELECT * FROM read_ndjson('${glob}', hive_partitioning = true,
       hive_types = {'source': VARCHAR, 'dt': VARCHAR}, columns = ${duckDbColumns()})`,
  );
});

afterAll(async () => {
  db?.closeSync();
  instance?.closeSync();
  await collector?.close();
  await aws?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  const reader = await db.runAndReadAll(sql);
  return reader.getRowObjectsJson() as Record<string, unknown>[];
}

const savedSql = (key: string): string => {
  const query = SAVED_QUERIES.find((q) => q.key === key);
  if (!query) throw new Error(`no saved query ${key}`);
  return query.sql;
};

/** Records of the last `days` days by partition date, as `dt >= current_date - days` selects them. */
const lastDays = (days: number): AuditRecord[] => {
  const from = toUtcDate(new Date(Date.now() - days * DAY));
  return truth.filter((r) => r.event_time.slice(0, 10) >= from);
};

describe('saved Athena queries over the collector output', () => {
  it('the archive the queries read is complete', async () => {
    const [count] = await rows(`SELECT count(*) AS n, count(DISTINCT id) AS ids FROM ${AUDIT_TABLE}`);

    expect(truth.length).toBeGreaterThan(3000);
    expect(Number(count?.n)).toBe(truth.length);
    expect(Number(count?.ids)).toBe(truth.length);
  });

  it('failed logons returns every authentication failure of the last 7 days', async () => {
    const expected = lastDays(7).filter(
      (r) => r.category === 'authentication_logs' && (r.audit_type ?? '').toLowerCase().includes('fail'),
    );

    const result = await rows(savedSql('FailedLogons'));

    expect(expected.length).toBeGreaterThan(0);
    expect(result.length).toBe(Math.min(expected.length, 1000));
    expect(result.every((r) => String(r.audit_type).toLowerCase().includes('fail'))).toBe(true);
    // The IP comes out of the parsed eventInfo details.
    expect(result.some((r) => typeof r.ip === 'string' && /^\d+\.\d+\.\d+\.\d+$/.test(r.ip))).toBe(true);
  });

  it('admin and role changes count every account, role and policy event per actor', async () => {
    const categories = new Set(['user_account_and_role_logs', 'account_logs', 'policy_logs']);
    const expected = lastDays(30).filter((r) => categories.has(r.category ?? ''));

    const result = await rows(savedSql('AdminChangesByActor'));

    expect(result.reduce((sum, r) => sum + Number(r.events), 0)).toBe(expected.length);
  });

  it('exports and downloads finds each export or download event', async () => {
    const expected = lastDays(30).filter((r) => /export|download/.test((r.audit_type ?? '').toLowerCase()));

    const result = await rows(savedSql('ExportsAndDownloads'));

    expect(result.length).toBe(Math.min(expected.length, 1000));
  });

  it('events per category per day adds up to the archive', async () => {
    const result = await rows(savedSql('EventsPerCategoryPerDay'));

    expect(result.reduce((sum, r) => sum + Number(r.events), 0)).toBe(lastDays(30).length);
  });
});

/** The ```sql blocks of a markdown file, as a reader would copy them (trimmed, without the final `;`). */
async function sqlBlocks(path: string): Promise<string[]> {
  const markdown = await readFile(path, 'utf8');
  return [...markdown.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => (m[1] ?? '').trim().replace(/;$/, ''));
}

describe('documented Athena SQL (docs/athena.md)', () => {
  const shipped = [...SAVED_QUERIES, ...EXAMPLE_QUERIES].map((q) => q.sql.trim());

  it('every sql block of the README and docs/ is one of the shipped queries and runs over the collector output', async () => {
    // Prepare: every markdown file a reader may copy SQL from; the queries live in docs/athena.md.
    const docs = (await readdir('docs', { recursive: true }))
      .filter((f) => f.endsWith('.md'))
      .map((f) => join('docs', f));
    const blocks = (await Promise.all(['README.md', ...docs].map(sqlBlocks))).flat();

    // Assess
    expect(blocks.length).toBeGreaterThanOrEqual(SAVED_QUERIES.length);
    for (const sql of blocks) {
      expect(shipped, 'documented SQL must match lib/athena/queries.ts').toContain(sql);
      await expect(rows(sql)).resolves.toBeInstanceOf(Array);
    }
  });

  it('docs/athena.md shows every saved and example query under its own name', async () => {
    // An analyst reads the queries there; one added to lib/athena/queries.ts must be documented too.
    const markdown = await readFile('docs/athena.md', 'utf8');
    const blocks = await sqlBlocks('docs/athena.md');

    for (const query of [...SAVED_QUERIES, ...EXAMPLE_QUERIES]) {
      expect(blocks, `docs/athena.md shows ${query.key}`).toContain(query.sql.trim());
      const headings = markdown.split('\n').filter((line) => /^#+ /.test(line));
      expect(
        headings.map((h) => h.replace(/^#+ /, '')),
        `docs/athena.md has a heading for ${query.key}`,
      ).toContain(query.name);
    }
  });

  it('the per-source example counts every archived event of the last 14 days', async () => {
    const query = EXAMPLE_QUERIES.find((q) => q.key === 'EventsPerSourcePerDay');

    const result = await rows(query?.sql ?? '');

    expect(result.reduce((sum, r) => sum + Number(r.events), 0)).toBe(lastDays(14).length);
  });
});
