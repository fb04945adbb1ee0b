/**
 * SQL of the Athena saved (named) queries and of the examples in docs/athena.md. Kept as plain
 * constants so the stack deploys exactly what tests run: the SQL sticks to what Athena's
 * engine (Trino) and DuckDB both understand — `try(map['key'])`, `lower`, `LIKE`, `count(*)`,
 * `CAST(current_date - INTERVAL 'n' DAY AS DATE)` — so it can be exercised offline against a
 * DuckDB view with the table's columns.
 *
 * Every query filters on the `dt` partition: with partition projection Athena then reads only
 * the days asked for, which keeps scans (and the per-query bytes-scanned cutoff) small.
 * `dt` is a `YYYY-MM-DD` string, so the lower bound is a date cast to a string.
 */

/** Unqualified table name the SQL uses (the saved queries run in the stack's Glue database). */
export const AUDIT_TABLE = 'audit_events';

/** `dt` lower bound `days` days back, as a `YYYY-MM-DD` string (valid in Athena and DuckDB). */
export function sinceDaysAgo(days: number): string {
  return `CAST(CAST(current_date - INTERVAL '${days}' DAY AS DATE) AS VARCHAR)`;
}

/** A saved query: what it answers and its SQL. */
export interface SavedQuery {
  /** Stable identifier (construct id, test name). */
  key: string;
  /** Name shown in the Athena console. */
  name: string;
  description: string;
  sql: string;
}

/** Writes the SQL for a table name other than `audit_events` (the stack's configured table name). */
export function forTable(sql: string, tableName: string): string {
  return sql.replaceAll(`FROM ${AUDIT_TABLE}`, `FROM ${tableName}`);
}

const FAILED_LOGONS = `SELECT event_time,
       source,
       actor,
       audit_type,
       try(details['ip']) AS ip,
       try(details['application']) AS application,
       event_info
FROM ${AUDIT_TABLE}
WHERE dt >= ${sinceDaysAgo(7)}
  AND category = 'authentication_logs'
  AND lower(audit_type) LIKE '%fail%'
ORDER BY event_time DESC
LIMIT 1000`;

const ADMIN_CHANGES_BY_ACTOR = `SELECT actor,
       category,
       audit_type,
       count(*) AS events,
       min(event_time) AS first_seen,
       max(event_time) AS last_seen
FROM ${AUDIT_TABLE}
WHERE dt >= ${sinceDaysAgo(30)}
  AND category IN ('user_account_and_role_logs', 'account_logs', 'policy_logs')
GROUP BY actor, category, audit_type
ORDER BY events DESC, actor
LIMIT 1000`;

const EXPORTS_AND_DOWNLOADS = `SELECT event_time,
       source,
       actor,
       category,
       audit_type,
       try(details['ip']) AS ip,
       event_info
FROM ${AUDIT_TABLE}
WHERE dt >= ${sinceDaysAgo(30)}
  AND (lower(audit_type) LIKE '%export%' OR lower(audit_type) LIKE '%download%')
ORDER BY event_time DESC
LIMIT 1000`;

const EVENTS_PER_CATEGORY_PER_DAY = `SELECT dt,
       category,
       count(*) AS events
FROM ${AUDIT_TABLE}
WHERE dt >= ${sinceDaysAgo(30)}
GROUP BY dt, category
ORDER BY dt DESC, events DESC, category`;

/** The saved queries the stack creates in the Athena workgroup. */
export const SAVED_QUERIES: readonly SavedQuery[] = [
  {
    key: 'FailedLogons',
    name: 'Failed logons (last 7 days)',
    description: 'Authentication failures with actor, IP and application, newest first.',
    sql: FAILED_LOGONS,
  },
  {
    key: 'AdminChangesByActor',
    name: 'Admin and role changes by actor (last 30 days)',
    description: 'Account, role and policy changes counted per actor and audit type.',
    sql: ADMIN_CHANGES_BY_ACTOR,
  },
  {
    key: 'ExportsAndDownloads',
    name: 'Exports and downloads (last 30 days)',
    description:
      'Every export or download event (archive exports, mailbox downloads, report exports), newest first.',
    sql: EXPORTS_AND_DOWNLOADS,
  },
  {
    key: 'EventsPerCategoryPerDay',
    name: 'Events per category per day (last 30 days)',
    description: 'Daily event counts per category: a quick view of volume and collection gaps.',
    sql: EVENTS_PER_CATEGORY_PER_DAY,
  },
];

/** Further examples of docs/athena.md (not saved in the workgroup); same dialect rules as above. */
export const EXAMPLE_QUERIES: readonly SavedQuery[] = [
  {
    key: 'ActivityOfOneActor',
    name: 'Everything one person did (last 90 days)',
    description: 'Replace the address; actors are stored as Mimecast reports them.',
    sql: `SELECT event_time, source, category, audit_type, event_info
FROM ${AUDIT_TABLE}
WHERE dt >= ${sinceDaysAgo(90)}
  AND lower(actor) = lower('jane@example.com')
ORDER BY event_time`,
  },
  {
    key: 'EventById',
    name: 'One event by id (last 30 days)',
    description:
      'Widen the dt range to the days the event can be in, no further: dt is the partition, so it bounds the scan.',
    sql: `SELECT *
FROM ${AUDIT_TABLE}
WHERE dt >= ${sinceDaysAgo(30)}
  AND id = 'replace-with-event-id'`,
  },
  {
    key: 'EventsPerSourcePerDay',
    name: 'Events per source per day (last 14 days)',
    description: 'Compare daily volumes between Mimecast accounts; a missing day stands out.',
    sql: `SELECT source, dt, count(*) AS events
FROM ${AUDIT_TABLE}
WHERE dt >= ${sinceDaysAgo(14)}
GROUP BY source, dt
ORDER BY source, dt`,
  },
];
