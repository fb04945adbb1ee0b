/**
 * The environment of a fleet collector (issue 15): one function for every source of the
 * registry. Each invocation's payload names the source (`{"sourceId":"acme"}`); its registry
 * item supplies the secret, lookback, settle and rescan settings over the defaults set here; its
 * AWS calls run as `SOURCE_ACCESS_ROLE_ARN` assumed with the session tag `mimecast-source=<id>`.
 * The variables are the single-source collector's (collectorEnvSchema) minus the source itself.
 */
import * as z from 'zod';
import { collectorEnvSchema } from './env.js';

/** SOURCE_ID and MIMECAST_SECRET_ID come from the registry: a fixed one here would be ambiguous. */
const perSource = (name: string) =>
  z
    .undefined({
      error: `must not be set when SOURCE_REGISTRY=true (each invocation's payload names its source; ${name} comes from the registry)`,
    })
    .optional();

/** The fleet collector's environment. */
export const fleetCollectorEnvSchema = collectorEnvSchema
  .omit({ SOURCE_ID: true, MIMECAST_SECRET_ID: true })
  .extend({
    /** Turns fleet mode on. */
    SOURCE_REGISTRY: z.literal('true', {
      error: 'must be "true" (every source of the registry) or "false" (one source)',
    }),
    /** The role every run assumes with its source's session tag (ABAC, see docs/mssp.md). */
    SOURCE_ACCESS_ROLE_ARN: z
      .string()
      .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'an IAM role ARN'),
    SOURCE_ID: perSource('SOURCE_ID'),
    MIMECAST_SECRET_ID: perSource('the secret'),
  });
export type FleetCollectorEnvironment = z.input<typeof fleetCollectorEnvSchema>;
export type FleetCollectorConfig = z.output<typeof fleetCollectorEnvSchema>;
