/**
 * The saved and example Athena queries, run in DuckDB against a table with the Glue table's
 * columns (RECORD_COLUMNS plus the `source`/`dt` partitions): the SQL must be valid there too
 * and return what each query promises.
 */

import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORD_COLUMNS } from '#core/archive/record.js';
import { AUDIT_TABLE, EXAMPLE_QUERIES, SAVED_QUERIES, type SavedQuery } from '#lib/athena/queries.js';

let instance: DuckDBInstance;
let db: DuckDBConnection;

const DUCK_TYPES: Record<string, string> = {
  string: 'VARCHAR',
  'map<string,string>': 'MAP(VARCHAR, VARCHAR)',
};

/** `dt` of `days` days ago, computed by DuckDB itself so it agrees with `current_date` in the queries. */
const day = (days: number) => `CAST(CAST(current_date - INTERVAL '${days}' DAY AS DATE) AS VARCHAR)`;

interface Row {
  id: string;
  daysAgo: number;
  category: string;
  auditType: string;
  actor: string;
  details?: Record<string, string>;
  source?: string;
}

const ROWS: Row[] = [
  {
    id: 'fail-today',
    daysAgo: 0,
    category: 'authentication_logs',
    auditType: 'Logon Authentication Failed',
    actor: 'mallory@example.com',
    details: { ip: '203.0.113.7', application: 'Administration Console' },
  },
  {
    id: 'fail-no-ip',
    daysAgo: 2,
    category: 'authentication_logs',
    auditType: 'Logon Authentication Failed',
    actor: 'eve@example.com',
  },
  {
    id: 'fail-old',
    daysAgo: 10,
    category: 'authentication_logs',
    auditType: 'Logon Authentication Failed',
    actor: 'old@example.com',
  },
  {
    id: 'logon-ok',
    daysAgo: 0,
    category: 'authentication_logs',
    auditType: 'User Logged On',
    actor: 'jane@example.com',
  },
  {
    id: 'role-1',
    daysAgo: 1,
    category: 'user_account_and_role_logs',
    auditType: 'Role Assigned',
    actor: 'admin@example.com',
  },
  {
    id: 'role-2',
    daysAgo: 3,
    category: 'user_account_and_role_logs',
    auditType: 'Role Assigned',
    actor: 'admin@example.com',
  },
  {
    id: 'policy-1',
    daysAgo: 5,
    category: 'policy_logs',
    auditType: 'Policy Changed',
    actor: 'ops@example.com',
    source: 'us',
  },
  {
    id: 'export-1',
    daysAgo: 4,
    category: 'archive_service_logs',
    auditType: 'Archive Mailbox Export Download',
    actor: 'jane@example.com',
    details: { ip: '198.51.100.4' },
  },
  {
    id: 'report-export',
    daysAgo: 6,
    category: 'reporting_logs',
    auditType: 'Report Export',
    actor: 'jane@example.com',
  },
  {
    id: 'search-1',
    daysAgo: 1,
    category: 'archive_service_logs',
    auditType: 'Search Action',
    actor: 'jane@example.com',
  },
  {
    id: 'ancient',
    daysAgo: 45,
    category: 'policy_logs',
    auditType: 'Policy Changed',
    actor: 'ops@example.com',
  },
];

function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function mapLiteral(details: Record<string, string> | undefined): string {
  const entries = Object.entries(details ?? {}).map(([k, v]) => `${sqlString(k)}: ${sqlString(v)}`);
  return `CAST(MAP {${entries.join(', ')}} AS MAP(VARCHAR, VARCHAR))`;
}

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  db = await instance.connect();
  const columns = [
    ...RECORD_COLUMNS.map((c) => `${c.name} ${DUCK_TYPES[c.type] ?? 'VARCHAR'}`),
    'source VARCHAR',
    'dt VARCHAR',
  ];
  await db.run(`CREATE TABLE ${AUDIT_TABLE} (${columns.join(', ')})`);
  for (const r of ROWS) {
    await db.run(
      `INSERT INTO ${AUDIT_TABLE} (id, event_time, category, audit_type, actor, event_info, details, extra, collected_at, source, dt)
       SELECT ${sqlString(r.id)}, ${day(r.daysAgo)} || 'T10:00:00Z', ${sqlString(r.category)}, ${sqlString(r.auditType)},
              ${sqlString(r.actor)}, ${sqlString(`${r.auditType} by ${r.actor}`)}, ${mapLiteral(r.details)}, '{}',
              ${day(0)} || 'T12:00:00Z', ${sqlString(r.source ?? 'eu')}, ${day(r.daysAgo)}`,
    );
  }
});

afterAll(() => {
  db.closeSync();
  instance.closeSync();
});

async function run(query: SavedQuery): Promise<Record<string, unknown>[]> {
  const reader = await db.runAndReadAll(query.sql);
  return reader.getRowObjectsJson() as Record<string, unknown>[];
}

function saved(key: string): SavedQuery {
  const query = SAVED_QUERIES.find((q) => q.key === key);
  if (!query) throw new Error(`no saved query ${key}`);
  return query;
}

describe('saved Athena queries (run in DuckDB)', () => {
  it('failed logons: the last 7 days of authentication failures, newest first, with the IP when known', async () => {
    const rows = await run(saved('FailedLogons'));

    expect(rows.map((r) => r.actor)).toEqual(['mallory@example.com', 'eve@example.com']);
    expect(rows[0]).toMatchObject({ ip: '203.0.113.7', application: 'Administration Console', source: 'eu' });
    expect(rows[1]?.ip).toBeNull();
  });

  it('admin and role changes: counted per actor and audit type over 30 days', async () => {
    const rows = await run(saved('AdminChangesByActor'));

    expect(rows.map((r) => [r.actor, r.audit_type, Number(r.events)])).toEqual([
      ['admin@example.com', 'Role Assigned', 2],
      ['ops@example.com', 'Policy Changed', 1],
    ]);
  });

  it('exports and downloads: every export or download event of the last 30 days', async () => {
    const rows = await run(saved('ExportsAndDownloads'));

    expect(rows.map((r) => r.audit_type)).toEqual(['Archive Mailbox Export Download', 'Report Export']);
    expect(rows[0]?.ip).toBe('198.51.100.4');
  });

  it('events per category per day: one row per day and category over 30 days', async () => {
    const rows = await run(saved('EventsPerCategoryPerDay'));
    const total = rows.reduce((sum, r) => sum + Number(r.events), 0);

    expect(total).toBe(ROWS.filter((r) => r.daysAgo <= 30).length);
    expect(rows.some((r) => r.category === 'authentication_logs' && Number(r.events) === 2)).toBe(true);
    expect(rows[0]?.dt).toBe(
      rows
        .map((r) => String(r.dt))
        .sort()
        .at(-1),
    );
  });

  it.each(EXAMPLE_QUERIES.map((q) => [q.key, q]))('docs/athena.md example %s runs', async (_key, query) => {
    await expect(run(query)).resolves.toBeInstanceOf(Array);
  });

  it('example: one actor over 90 days is returned oldest first', async () => {
    const rows = await run(EXAMPLE_QUERIES.find((q) => q.key === 'ActivityOfOneActor') as SavedQuery);

    expect(rows.map((r) => r.audit_type)).toEqual([
      'Report Export',
      'Archive Mailbox Export Download',
      'Search Action',
      'User Logged On',
    ]);
  });
});
