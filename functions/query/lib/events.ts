/**
 * `GET /v1/events`: one page of a live Mimecast search, normalised exactly like the archive and
 * filtered to `start ≤ event_time < end` like the collector.
 */

import type * as z from 'zod';
import { normaliseEvent } from '#core/archive/normalise.js';
import type { AuditRecord } from '#core/archive/record.js';
import type { SourceConfig } from '#core/config/env.js';
import { type CategoryCache, unknownCategories } from './categories.js';
import type { RouteContext } from './context.js';
import { decodePageToken, encodePageToken, type PageTokenBinding } from './page-token.js';
import type { RouteSchemas } from './params.js';
import { type FieldError, HttpProblem, invalidRequest } from './problem.js';
import type { EventsPage } from './response-schemas.js';
import { ceilSecond, floorSecond, formatTimestamp } from './timestamps.js';

/** Mimecast keeps this many days of audit history. */
export const MIMECAST_HISTORY_DAYS = 60;

/**
 * A start this close to the 60-day edge could fall out of Mimecast's history before the
 * request arrives (clock skew, paging); such ranges are refused here with a clear message
 * instead of failing upstream with an opaque validation error.
 */
export const HISTORY_EDGE_MARGIN_MS = 60_000;

const DAY_MS = 86_400_000;

/** Validated parameters of the route. */
export type EventsParams = z.output<RouteSchemas['events']>;

/**
 * Checks the range against each other and the clock: start < end, start not in the future,
 * start within Mimecast's history. A future end is not an error: the search stops at now.
 */
export function checkRange(startMs: number, endMs: number, nowMs: number): FieldError[] {
  const errors: FieldError[] = [];
  if (endMs <= startMs) errors.push({ field: 'end', message: 'must be later than start' });
  if (startMs >= nowMs) {
    errors.push({
      field: 'start',
      message: `must be in the past (now is ${formatTimestamp(floorSecond(nowMs))})`,
    });
  }
  const earliest = nowMs - MIMECAST_HISTORY_DAYS * DAY_MS + HISTORY_EDGE_MARGIN_MS;
  if (startMs < earliest) {
    errors.push({
      field: 'start',
      message:
        `is older than Mimecast's ${MIMECAST_HISTORY_DAYS}-day history (earliest accepted now: ` +
        `${formatTimestamp(ceilSecond(earliest))}). Older events are in the S3 archive: query them with Athena ` +
        '(see "Querying the archive" in docs/athena.md).',
    });
  }
  return errors;
}

/** Settings of the route. */
export interface EventsSettings {
  /** Page size when the caller gives none (PAGE_SIZE). */
  defaultPageSize: number;
  /** The categories cache shared with GET /v1/categories (unknown codes are refused before searching). */
  categories: CategoryCache;
}

/** Runs the route for validated parameters and the resolved source. */
export async function searchEvents(
  params: EventsParams,
  source: SourceConfig,
  settings: EventsSettings,
  ctx: RouteContext,
): Promise<EventsPage> {
  const now = ctx.clock.now();
  const rangeErrors = checkRange(params.start, params.end, now);
  if (rangeErrors.length > 0) throw new HttpProblem(invalidRequest(rangeErrors));
  if (params.category !== undefined && params.category.length > 0) {
    const unknown = await unknownCategories(params.category, source, settings.categories, ctx);
    if (unknown.length > 0) {
      throw new HttpProblem(
        invalidRequest([
          {
            field: 'category',
            message: `${unknown.map((c) => JSON.stringify(c)).join(', ')} ${unknown.length === 1 ? 'is not a category code' : 'are not category codes'} of source "${source.id}" (GET /v1/categories lists them)`,
          },
        ]),
      );
    }
  }

  const binding: PageTokenBinding = {
    source: source.id,
    start: params.start,
    end: params.end,
    query: params.query,
    categories: params.category ?? [],
    pageSize: params.pageSize ?? settings.defaultPageSize,
  };
  let upstreamToken: string | undefined;
  // Clamped to now in whole seconds, like every other instant this API reports.
  let effectiveEnd = Math.min(params.end, floorSecond(now));
  if (params.pageToken !== undefined) {
    const decoded = decodePageToken(params.pageToken, binding);
    if (!decoded.ok) {
      const message =
        decoded.reason === 'mismatch'
          ? 'belongs to a different search: send the same start, end, query, category, pageSize and source as the request that returned it'
          : 'is not a page token issued by this API';
      throw new HttpProblem(invalidRequest([{ field: 'pageToken', message }]));
    }
    upstreamToken = decoded.content.upstream;
    effectiveEnd = decoded.content.effectiveEnd;
  }

  // Mimecast takes whole seconds: widen to them and filter exactly below.
  const page = await ctx.upstream(source, (client, options) =>
    client.getAuditEventsPage(
      {
        start: new Date(floorSecond(params.start)),
        end: new Date(ceilSecond(effectiveEnd)),
        query: params.query,
        categories: params.category,
        pageSize: binding.pageSize,
      },
      upstreamToken,
      options,
    ),
  );

  const collectedAt = formatTimestamp(floorSecond(ctx.clock.now()));
  const events: AuditRecord[] = [];
  const seen = new Set<string>();
  const malformed: Array<{ reason: string; id?: string | undefined }> = [];
  for (const raw of page.events) {
    const result = normaliseEvent(raw, { source: source.id, collectedAt });
    if (!result.ok) {
      malformed.push({ reason: result.reason, id: result.id });
      continue;
    }
    if (result.eventTimeMs < params.start || result.eventTimeMs >= effectiveEnd) continue;
    if (seen.has(result.record.id)) continue;
    seen.add(result.record.id);
    events.push(result.record);
  }
  if (malformed.length > 0) {
    // Ids and reasons only: the events themselves may hold personal data.
    ctx.logger.warn('malformed events skipped', {
      requestId: ctx.requestId,
      source: source.id,
      count: malformed.length,
      samples: malformed.slice(0, 10),
    });
  }

  // An empty page or a token that repeats ends the search (docs/development.md, Mimecast API behaviour: some servers keep
  // sending `next` after the last page).
  const more =
    page.next !== undefined && page.next !== '' && page.events.length > 0 && page.next !== upstreamToken;
  return {
    events,
    nextPageToken:
      more && page.next !== undefined
        ? encodePageToken({ upstream: page.next, effectiveEnd }, binding)
        : null,
    source: source.id,
    range: { start: formatTimestamp(params.start), end: formatTimestamp(effectiveEnd) },
    malformedEvents: malformed.length,
  };
}
