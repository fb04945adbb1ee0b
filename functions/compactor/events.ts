/**
 * What invoked the compactor, as a compaction request: its schedule (every source), S3 telling
 * that an archive object was written (that source and day: a closed day that changed is rebuilt
 * at once), or an operator's rebuild (`{"rebuild": {"from": "2026-01-01", "to": "2026-01-31"}}`,
 * optionally with `"sources"`): every closed day in the range is rebuilt from its NDJSON.
 */
import * as z from 'zod';
import { parseObjectKey } from '#core/archive/layout.js';
import type { CompactionRequest } from '#core/columnar/compactor.js';
import { SOURCE_ID_PATTERN } from '#core/source-id.js';

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a day as YYYY-MM-DD');

const rebuildSchema = z
  .object({
    rebuild: z
      .object({
        from: day,
        to: day,
        sources: z.array(z.string().regex(SOURCE_ID_PATTERN)).min(1).optional(),
      })
      .strict()
      .refine((r) => r.from <= r.to, { message: 'from must not be after to', path: ['to'] }),
  })
  .strict();

const s3ObjectCreated = z.object({
  source: z.literal('aws.s3'),
  'detail-type': z.literal('Object Created'),
  detail: z.object({ object: z.object({ key: z.string() }) }),
});

/** An invocation payload that asks for something the compactor cannot do. */
export class InvalidCompactionEvent extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidCompactionEvent';
  }
}

/** The request for an invocation payload. */
export function requestOf(event: unknown, dataPrefix: string): CompactionRequest | 'ignore' {
  if (typeof event === 'object' && event !== null && 'rebuild' in event) {
    const parsed = rebuildSchema.safeParse(event);
    if (!parsed.success)
      throw new InvalidCompactionEvent(`invalid rebuild request: ${z.prettifyError(parsed.error)}`);
    const { from, to, sources } = parsed.data.rebuild;
    return { from, to, sources, force: true };
  }
  const created = s3ObjectCreated.safeParse(event);
  if (created.success) {
    // S3 sends the key URL-encoded in EventBridge events (spaces as `+`); archive keys have neither.
    const parsed = parseObjectKey(decodeURIComponent(created.data.detail.object.key.replace(/\+/g, ' ')));
    if (parsed === undefined || parsed.prefix !== dataPrefix) return 'ignore';
    return { sources: [parsed.sourceId], from: parsed.dt, to: parsed.dt };
  }
  // The schedule (EventBridge Scheduler or a rule): everything.
  return {};
}
