/**
 * What the stack hands the seed custom resource in fleet mode (issue 15): the sources declared in
 * the configuration, to be put into the source registry (and given an empty, tagged secret when
 * they name none). One JSON string property, because CloudFormation passes every custom resource
 * property to the provider as a string anyway, and one string keeps the request small.
 */
// A namespace import lets esbuild tree-shake zod (see functions/core/config/env.ts).
import * as z from 'zod';
import { sourceIdSchema } from '#core/registry/source-config.js';

/** Name of the secret the seed creates for a source that names none (as `npm run sources` does). */
export const seededSecretName = (sourceId: string): string => `mimecast-audit-lake/${sourceId}`;

/** The prefix of those names: the seed's IAM is confined to it. */
export const SEEDED_SECRET_PREFIX = 'mimecast-audit-lake/';

const scheduleMinutes = z.number().int().min(1).max(60);
const settleSeconds = z.number().int().min(0).max(86_400);
const rescanAfterSeconds = z
  .array(
    z
      .number()
      .int()
      .min(1)
      .max(59 * 86_400),
  )
  .max(5);

/** One declared source: only what it sets itself (the rest comes from `defaults`). */
export const seedSourceSchema = z
  .object({
    id: sourceIdSchema,
    /** An existing secret (complete ARN); absent: the seed creates `mimecast-audit-lake/<id>`. */
    secretArn: z.string().min(1).optional(),
    scheduleMinutes: scheduleMinutes.optional(),
    settleSeconds: settleSeconds.optional(),
    rescanAfterSeconds: rescanAfterSeconds.optional(),
  })
  .strict();

/** The whole seed: the stack's defaults and the declared sources. */
export const seedPayloadSchema = z
  .object({
    defaults: z
      .object({
        scheduleMinutes,
        lookbackDays: z.number().int().min(1).max(60),
        settleSeconds,
        rescanAfterSeconds,
      })
      .strict(),
    sources: z
      .array(seedSourceSchema)
      .refine((list) => new Set(list.map((s) => s.id)).size === list.length, 'source ids must be unique'),
  })
  .strict();

export type SeedSource = z.input<typeof seedSourceSchema>;
export type SeedPayload = z.input<typeof seedPayloadSchema>;

/** The custom resource's properties (besides ServiceToken), as the provider receives them. */
export const seedPropertiesSchema = z.object({
  /** JSON of a SeedPayload. */
  Payload: z.string().min(2),
  /** The cursor table, which holds the registry items. */
  TableName: z.string().min(3),
  /** The stack key: created secrets are encrypted with it. */
  KmsKeyArn: z.string().min(1),
});
export type SeedProperties = z.output<typeof seedPropertiesSchema>;
