/**
 * The query function's environment in fleet mode (issue 15): `SOURCE_REGISTRY=true`, and the
 * sources come from the registry in the cursor table instead of SOURCES or
 * SOURCE_ID/MIMECAST_SECRET_ID, which must then be absent (one source of truth). Every other
 * variable means what it means in `queryEnvSchema`. Live searches read a source's secret as the
 * source-access role (SOURCE_ACCESS_ROLE_ARN) with the session tag `mimecast-source=<id>`.
 */
// A namespace import lets esbuild tree-shake zod (`import { z }` pulls in all of it, ~360 KB).
import * as z from 'zod';
import { queryEnvSchema } from './env.js';

/** Absent (or empty): a single-source variable has no meaning when the registry holds the sources. */
const notInFleetMode = (name: string) =>
  z
    .string()
    .max(0, `must not be set when SOURCE_REGISTRY=true: the sources come from the registry (remove ${name})`)
    .optional();

/** The fleet query function's environment. */
export const fleetQueryEnvSchema = queryEnvSchema
  .omit({ SOURCES: true, SOURCE_ID: true, MIMECAST_SECRET_ID: true })
  .extend({
    SOURCE_REGISTRY: z.literal('true', { error: 'must be "true" (fleet mode) or "false"' }),
    /** The ABAC role whose statements are scoped by the `mimecast-source` session tag. */
    SOURCE_ACCESS_ROLE_ARN: z
      .string()
      .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'an IAM role ARN'),
    /** How long the registry's source list is kept in the container before it is read again. */
    SOURCE_CACHE_SECONDS: z.coerce.number().int().positive().max(3_600).default(60),
    SOURCES: notInFleetMode('SOURCES'),
    SOURCE_ID: notInFleetMode('SOURCE_ID'),
    MIMECAST_SECRET_ID: notInFleetMode('MIMECAST_SECRET_ID'),
  });
export type FleetQueryEnvironment = z.input<typeof fleetQueryEnvSchema>;
export type FleetQueryConfig = z.output<typeof fleetQueryEnvSchema>;

/**
 * True when the environment is to be read as fleet mode: SOURCE_REGISTRY set to anything but
 * `false` (or empty). `true` is fleet mode; any other value then fails fleetQueryEnvSchema with a
 * message naming SOURCE_REGISTRY, instead of silently meaning the single-source mode.
 */
export function isFleetQueryEnvironment(env: Record<string, string | undefined>): boolean {
  const value = env.SOURCE_REGISTRY;
  return value !== undefined && value !== '' && value !== 'false';
}
