/**
 * The SQL template: no caller value ever appears in the SQL text (fast-check draws hostile
 * values: quotes, comment markers, semicolons, LIKE wildcards, backslashes, non-ASCII), every
 * value is an execution parameter in placeholder order, and the partition filters are always there.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ArchiveQueryRequest } from '#core/archive-query/request.js';
import { ARCHIVE_RESULT_COLUMNS, athenaLiteral, buildArchiveSql } from '#core/archive-query/sql.js';

const DAY = 86_400_000;
const T = Date.UTC(2026, 5, 1, 10, 0, 0);

const base: ArchiveQueryRequest = { start: T, end: T + DAY, sources: ['default'], limit: 100 };

/** Values built to break out of a string literal or an identifier, or to act as wildcards. */
const hostile = fc.oneof(
  fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }),
  fc.constantFrom(
    "' OR '1'='1",
    "x'); DROP TABLE audit_events; --",
    '%',
    '_',
    '\\',
    "\\'",
    '/* c */',
    '?',
    '"quoted"',
    'Zoë Ünïcödé',
    'a\nb',
  ),
);

const placeholderCount = (sql: string): number => (sql.match(/\?/g) ?? []).length;

describe('buildArchiveSql', () => {
  it('never writes a caller value into the SQL text, whatever it holds', () => {
    fc.assert(
      fc.property(
        fc.record({
          actor: fc.option(hostile, { nil: undefined }),
          ip: fc.option(hostile, { nil: undefined }),
          text: fc.option(hostile, { nil: undefined }),
          categories: fc.option(fc.array(hostile, { minLength: 1, maxLength: 4 }), { nil: undefined }),
          auditTypes: fc.option(fc.array(hostile, { minLength: 1, maxLength: 4 }), { nil: undefined }),
          sources: fc.array(fc.constantFrom('default', 'tenant-a', 'tenant_b'), {
            minLength: 1,
            maxLength: 3,
          }),
        }),
        (filters) => {
          const request: ArchiveQueryRequest = { ...base, ...filters };
          const sql = buildArchiveSql(request, 'audit_events');
          // The text is the template alone: the same whatever the values, given the same shape.
          const shape: ArchiveQueryRequest = {
            ...request,
            actor: request.actor === undefined ? undefined : 'x',
            ip: request.ip === undefined ? undefined : 'x',
            text: request.text === undefined ? undefined : 'x',
            categories: request.categories?.map(() => 'x'),
            auditTypes: request.auditTypes?.map(() => 'x'),
            sources: request.sources.map(() => 'x'),
          };
          expect(sql.text).toBe(buildArchiveSql(shape, 'audit_events').text);
          // Every placeholder has its parameter, in order, and the values are exactly the caller's.
          expect(placeholderCount(sql.text)).toBe(sql.parameters.length);
          const strings = sql.parameters.flatMap((p) => (p.kind === 'string' ? [p.value] : []));
          for (const value of [
            request.actor,
            request.ip,
            request.text,
            ...(request.categories ?? []),
            ...(request.auditTypes ?? []),
          ]) {
            if (value !== undefined) expect(strings).toContain(value);
          }
        },
      ),
    );
  });

  it('filters partitions on source and dt, so Athena reads only the asked days and sources', () => {
    const sql = buildArchiveSql({ ...base, sources: ['a', 'b'] }, 'audit_events');
    expect(sql.text).toContain('source IN (?, ?)');
    expect(sql.text).toContain('dt BETWEEN ? AND ?');
    expect(sql.parameters.slice(0, 4)).toEqual([
      { kind: 'string', value: 'a' },
      { kind: 'string', value: 'b' },
      { kind: 'string', value: '2026-06-01' },
      { kind: 'string', value: '2026-06-02' },
    ]);
  });

  it('keeps the range half-open on whole seconds: an end at midnight does not read the next day', () => {
    const sql = buildArchiveSql({ ...base, start: T + 1, end: Date.UTC(2026, 5, 2) }, 'audit_events');
    const values = sql.parameters.map((p) => p.value);
    // start 10:00:00.001 → first second that can hold an event is 10:00:01.
    expect(values).toContain('2026-06-01T10:00:01Z');
    expect(values).toContain('2026-06-02T00:00:00Z');
    expect(values.slice(1, 3)).toEqual(['2026-06-01', '2026-06-01']);
    expect(sql.text).toMatch(/event_time >= \?\n {2}AND event_time < \?/);
  });

  it('orders by event_time then id and passes the limit as a parameter', () => {
    const sql = buildArchiveSql({ ...base, limit: 42 }, 'audit_events');
    expect(sql.text).toMatch(/ORDER BY event_time, id\nLIMIT \?$/);
    expect(sql.parameters.at(-1)).toEqual({ kind: 'integer', value: 42 });
  });

  it('selects every record column, details as JSON text', () => {
    const sql = buildArchiveSql(base, 'audit_events');
    for (const column of ARCHIVE_RESULT_COLUMNS) expect(sql.text).toContain(column);
    expect(sql.text).toContain('json_format(CAST(details AS JSON)) AS details');
  });

  it('refuses a table name that is not a plain identifier and a query without sources', () => {
    expect(() => buildArchiveSql(base, 'audit_events; DROP')).toThrow(/identifier/);
    expect(() => buildArchiveSql({ ...base, sources: [] }, 'audit_events')).toThrow(/source/);
  });
});

describe('athenaLiteral', () => {
  it('quotes text by doubling single quotes and nothing else', () => {
    expect(athenaLiteral({ kind: 'string', value: "it's 100% a_b\\c" })).toBe("'it''s 100% a_b\\c'");
    expect(athenaLiteral({ kind: 'string', value: '' })).toBe("''");
    expect(athenaLiteral({ kind: 'integer', value: 500 })).toBe('500');
  });

  it('produces one well-formed literal for any text: no quote is left unpaired', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (value) => {
        const literal = athenaLiteral({ kind: 'string', value });
        expect(literal.startsWith("'") && literal.endsWith("'")).toBe(true);
        const inner = literal.slice(1, -1);
        // Inside, quotes only come in pairs, so the literal cannot end early.
        expect(inner.replaceAll("''", '')).not.toContain("'");
        expect(inner.replaceAll("''", "'")).toBe(value);
      }),
    );
  });

  it('refuses an integer that is not safe', () => {
    expect(() => athenaLiteral({ kind: 'integer', value: 1.5 })).toThrow();
  });
});
