/**
 * The response bodies as zod schemas: published in the OpenAPI document and used by the tests
 * to check real responses, so the description and the behaviour are checked against each other.
 */
// A namespace import lets esbuild tree-shake zod (`import { z }` pulls in all of it, ~360 KB).
import * as z from 'zod';
import type { AuditRecord } from '#core/archive/record.js';

const isoTime = (description?: string) =>
  z.string().meta(description === undefined ? { format: 'date-time' } : { format: 'date-time', description });

/** One archive record (docs/athena.md, "Record fields"). */
export const auditRecordSchema = z
  .object({
    id: z.string().meta({ description: "Mimecast's event id; unique." }),
    event_time: isoTime('When the event happened, UTC, second precision.'),
    category: z.string().nullable(),
    audit_type: z.string().nullable(),
    actor: z.string().nullable().meta({ description: "Mimecast's `user` field." }),
    event_info: z.string().nullable().meta({ description: "Mimecast's `eventInfo`, verbatim." }),
    details: z
      .record(z.string(), z.string())
      .meta({ description: 'Best-effort `Key: Value` pairs parsed from event_info (keys lower-cased).' }),
    extra: z
      .record(z.string(), z.unknown())
      .meta({ description: 'Every other field Mimecast sent, verbatim.' }),
    source: z.string(),
    collected_at: isoTime('When this API fetched the event from Mimecast.'),
  })
  .meta({ description: 'An audit event in the same normalised form as the S3 archive.' });

// Compile-time proof that the published record is exactly the archive's record type.
const recordTypeCheck: z.ZodType<AuditRecord> = auditRecordSchema;
void recordTypeCheck;

/** `GET /v1/events`. */
export const eventsPageSchema = z.object({
  events: z
    .array(auditRecordSchema)
    .meta({ description: "Events with start ≤ event_time < end, in Mimecast's order (newest first)." }),
  nextPageToken: z.string().nullable().meta({
    description:
      'Pass as pageToken (with the same other parameters) for the next page; null on the last page.',
  }),
  source: z.string(),
  range: z
    .object({
      start: isoTime('As requested.'),
      end: isoTime('As requested, or now when the requested end was in the future.'),
    })
    .meta({ description: 'The range actually searched.' }),
  malformedEvents: z.number().int().min(0).meta({
    description:
      'Events on this page Mimecast sent without an id or a readable eventTime; they are left out.',
  }),
});

/** `GET /v1/categories`. */
export const categoriesSchema = z.object({
  source: z.string(),
  categories: z.array(
    z.object({
      code: z.string().meta({ description: 'What the category parameter of /v1/events takes.' }),
      id: z.string().optional(),
      name: z.string().optional(),
    }),
  ),
});

const windowSchema = z.object({ start: isoTime('Inclusive.'), end: isoTime('Exclusive.') });
const rangeSchema = windowSchema.extend({
  recordedAt: isoTime('When it was last reported.'),
  reason: z.string(),
});
const rangeTotalsSchema = z.object({
  count: z.number().int().min(0).meta({ description: 'Reports that added seconds.' }),
  seconds: z.number().int().min(0).meta({ description: 'Seconds, each counted once.' }),
});

/** One source in `GET /v1/status`. */
export const sourceStatusSchema = z.object({
  source: z.string(),
  enabled: z.boolean().optional().meta({
    description:
      'Fleet mode only: whether the registry schedules the source. A disabled source keeps its archive and status; live searches of it are refused.',
  }),
  scheduleMinutes: z
    .number()
    .int()
    .min(1)
    .max(60)
    .optional()
    .meta({ description: 'Fleet mode only: minutes between collector runs, from the registry.' }),
  state: z.enum(['never_run', 'not_configured', 'ok', 'failing']).meta({
    description:
      "never_run: no cursor yet; not_configured: the last run found the source's secret holding no credentials yet (fill it in); failing: the last run ended with an error after the last success; ok otherwise.",
  }),
  notConfiguredSince: isoTime(
    'Since when the secret has held no credentials (while not_configured).',
  ).nullable(),
  running: z.boolean().meta({ description: 'A collector run holds the lease right now.' }),
  watermark: isoTime('Every event before it is in S3.').nullable(),
  lagSeconds: z.number().int().nullable().meta({ description: 'now − watermark.' }),
  pending: windowSchema.extend({ plannedAt: isoTime('When the window was planned.') }).nullable(),
  backfill: z
    .object({
      from: isoTime('Where the first backfill started.'),
      progressPercent: z
        .number()
        .min(0)
        .max(100)
        .meta({ description: 'watermark progress from `from` to now.' }),
    })
    .nullable(),
  lastRunAt: isoTime().nullable(),
  lastSuccessAt: isoTime().nullable(),
  lastError: z.object({ at: isoTime(), kind: z.string(), message: z.string() }).nullable(),
  gaps: z.array(rangeSchema).meta({
    description:
      'History that could not be collected (it fell out of Mimecast history), merged into disjoint ranges; the most recent 100.',
  }),
  gapTotals: rangeTotalsSchema.meta({ description: 'Every gap ever recorded, each lost second once.' }),
  unreadable: z.array(rangeSchema).meta({
    description:
      'History Mimecast would not page through however narrowly it was searched (merged, disjoint); the most recent 100.',
  }),
  unreadableTotals: rangeTotalsSchema,
  rescans: z
    .object({
      windowsAwaiting: z.number().int().min(0).meta({
        description: 'Committed windows still to be searched again for late-indexed events.',
      }),
      oldestAwaiting: isoTime('Start of the oldest of them.').nullable(),
      completed: z.number().int().min(0).meta({ description: 'Rescan searches made so far.' }),
      skipped: z.number().int().min(0).meta({
        description: "Windows whose due rescan could not be made (out of Mimecast's history, or unreadable).",
      }),
    })
    .meta({ description: 'Rescans for events Mimecast indexes late (RESCAN_AFTER_SECONDS).' }),
  lateEvents: z.object({
    total: z
      .number()
      .int()
      .min(0)
      .meta({ description: 'Events found by rescans that the first search missed.' }),
    maxDelaySeconds: z.number().int().min(0).nullable().meta({
      description: 'The largest indexing delay seen: how long (at least) such an event stayed invisible.',
    }),
    lastFoundAt: isoTime().nullable(),
  }),
  totals: z.object({
    eventsWritten: z.number().int().min(0),
    windowsCommitted: z.number().int().min(0),
    objectsWritten: z.number().int().min(0),
    malformedEvents: z.number().int().min(0),
    windowSplits: z.number().int().min(0),
  }),
  updatedAt: isoTime().nullable(),
});

/** `GET /v1/status`. */
export const statusSchema = z.object({
  generatedAt: isoTime('When this report was made.'),
  sources: z.array(sourceStatusSchema),
});

const archiveLinks = z.object({
  self: z.string().meta({ description: 'This query (GET for its state, DELETE to cancel).' }),
  results: z.string().meta({ description: 'Its results, once the state is succeeded.' }),
});

/** The request of an archive query as stored and shown (times as UTC). */
const archiveRequestSchema = z.object({
  start: isoTime(),
  end: isoTime(),
  sources: z.array(z.string()),
  categories: z.array(z.string()).optional(),
  auditTypes: z.array(z.string()).optional(),
  actor: z.string().optional(),
  ip: z.string().optional(),
  text: z.string().optional(),
  limit: z.number().int().min(1),
});

const archiveState = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);

/** `POST /v1/archive/queries` (202). */
export const archiveQueryStartedSchema = z.object({
  id: z
    .string()
    .meta({ description: 'Opaque id; only its owner can read it, for ARCHIVE_QUERY_RETENTION_DAYS days.' }),
  state: archiveState,
  submittedAt: isoTime(),
  query: archiveRequestSchema,
  links: archiveLinks,
});

/** `GET /v1/archive/queries/{id}` and `DELETE …`. */
export const archiveQuerySchema = z.object({
  id: z.string(),
  state: archiveState,
  submittedAt: isoTime(),
  completedAt: isoTime().optional(),
  query: archiveRequestSchema,
  statistics: z
    .object({
      bytesScanned: z
        .number()
        .int()
        .min(0)
        .optional()
        .meta({ description: 'Bytes Athena read (what it bills).' }),
      rows: z
        .number()
        .int()
        .min(0)
        .optional()
        .meta({ description: 'Records in the result (once succeeded).' }),
      queueMs: z.number().int().min(0).optional(),
      engineMs: z.number().int().min(0).optional(),
      totalMs: z.number().int().min(0).optional(),
      resultReused: z
        .boolean()
        .optional()
        .meta({ description: 'An identical earlier result was reused: nothing was scanned.' }),
    })
    .meta({ description: 'What the engine reports so far.' }),
  error: z
    .object({ category: z.enum(['user', 'system', 'unknown']), reason: z.string() })
    .optional()
    .meta({ description: "Why the query failed, in the engine's words." }),
  links: archiveLinks,
});

/** `GET /v1/archive/queries/{id}/results`. */
export const archiveResultsSchema = z.object({
  events: z
    .array(auditRecordSchema)
    .meta({ description: 'Records exactly as stored, ordered by event_time then id.' }),
  nextPageToken: z
    .string()
    .optional()
    .meta({ description: 'Pass as pageToken for the next page; absent on the last page.' }),
});

/** RFC 9457 problem document. */
export const problemSchema = z
  .object({
    type: z.string().meta({
      description: 'A URN identifying the kind of problem (listed in docs/api.md, Errors).',
    }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    requestId: z.string().meta({ description: 'Also in the x-request-id header and in the logs.' }),
    errors: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .meta({ description: 'Field-level validation errors.' }),
  })
  .meta({ description: 'An error, as application/problem+json (RFC 9457).' });

/** Types of the bodies, for route code. */
export type EventsPage = z.infer<typeof eventsPageSchema>;
export type CategoriesBody = z.infer<typeof categoriesSchema>;
export type SourceStatus = z.infer<typeof sourceStatusSchema>;
export type StatusBody = z.infer<typeof statusSchema>;
