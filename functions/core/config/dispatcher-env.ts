/**
 * The dispatcher's environment (fleet mode, issue 15). The CDK stack sets exactly this shape
 * (`DispatcherEnvironment`); the handler validates it once at start-up.
 */
// A namespace import lets esbuild tree-shake zod (see env.ts).
import * as z from 'zod';
import { awsClientShape } from './env.js';

/** The largest DISPATCH_CONCURRENCY: more Invoke calls in flight buy nothing (each takes tens of ms). */
export const MAX_DISPATCH_CONCURRENCY = 100;

export const dispatcherEnvSchema = z.object({
  /** The cursor table, which holds the registry items (`source-config#<id>`). */
  CURSOR_TABLE_NAME: z.string().min(3),
  /** The fleet collector function (name, ARN or partial ARN) that runs one source per invocation. */
  COLLECTOR_FUNCTION_NAME: z.string().min(1).max(256),
  /** At most this many sources being recorded and invoked at once. */
  DISPATCH_CONCURRENCY: z.coerce.number().int().positive().max(MAX_DISPATCH_CONCURRENCY).default(10),
  ...awsClientShape,
});
export type DispatcherEnvironment = z.input<typeof dispatcherEnvSchema>;
export type DispatcherConfig = z.output<typeof dispatcherEnvSchema>;
