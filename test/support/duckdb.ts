/**
 * DuckDB for tests that read Parquet or NDJSON files back: SQL string literals, a scratch
 * directory with an in-memory database for the test file, and Parquet's nulls dropped.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll } from 'vitest';

/** `text` as a SQL string literal. */
export const sqlString = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/** A test file's scratch directory and in-memory DuckDB (made before its tests, removed after). */
export interface ScratchDuckDb {
  /** The directory (set once the file's tests start). */
  readonly dir: string;
  /** Rows of `sql` as plain JSON values. */
  query(sql: string): Promise<Record<string, unknown>[]>;
}

/** Registers the file's beforeAll/afterAll for a scratch directory named after `label`. */
export function scratchDuckDb(label: string): ScratchDuckDb {
  let dir = '';
  let db: DuckDBInstance | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `${label}-`));
    db = await DuckDBInstance.create(':memory:');
  });
  afterAll(async () => {
    db?.closeSync();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
    async query(sql) {
      if (db === undefined) throw new Error('scratchDuckDb: used outside the tests');
      const connection = await db.connect();
      try {
        return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
      } finally {
        connection.closeSync();
      }
    },
  };
}

/** Drops nulls (Parquet gives every absent optional field as null). */
export function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, withoutNulls(v)]),
  );
}
