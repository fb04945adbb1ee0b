/**
 * The query API under test: the real core with its production dependencies (real Mimecast
 * client over HTTP to the simulator, real SDK calls to the Secrets Manager and DynamoDB
 * stand-ins, reached through the standard AWS_* variables), served over HTTP by the local
 * adapter, on a test clock shared with the simulator.
 */
import { parseEnvironment, type QueryConfig, queryEnvSchema } from '#core/config/env.js';
import type { MimecastSimulator, SimulatorOptions } from '#local/mimecast-sim/index.js';
import { startMimecastSimulator } from '#local/mimecast-sim/index.js';
import { type LocalQueryApi, startLocalQueryApi } from '#local/query-adapter.js';
import { createTestClock, type TestClock } from '#test/support/clock.js';
import { applyEnv, type StandinsWithClients, withStandins } from '#test/support/standins.js';
import { buildQueryApp } from '../../../functions/query/dependencies.js';
import type { QueryApp } from '../../../functions/query/lib/app.js';
import { archiveQueryBodySchema } from '../../../functions/query/lib/archive-params.js';
import { buildOpenApiDocument } from '../../../functions/query/lib/openapi.js';
import { buildRouteSchemas } from '../../../functions/query/lib/params.js';
import { type OpenApiDocument, publishedSchema } from '../../unit/query/helpers/published-schemas.js';
import { recordingTelemetry } from '../../unit/query/helpers/telemetry.js';

/** Simulated "now": a Wednesday, mid-day UTC. */
export const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** `2026-11-25T12:00:00Z` */
export const iso = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;

/** One API under test. */
export interface QueryApiUnderTest {
  sim: MimecastSimulator;
  clock: TestClock;
  app: QueryApp;
  api: LocalQueryApi;
  config: QueryConfig;
  telemetry: ReturnType<typeof recordingTelemetry>;
  /** GET (or another method) over real HTTP; the body parsed when there is one. */
  request(
    pathAndQuery: string,
    init?: RequestInit,
  ): Promise<{ status: number; headers: Headers; text: string; json: Record<string, unknown> | undefined }>;
  close(): Promise<void>;
}

/** Options of one API under test. */
export interface QueryApiOptions {
  mode?: 'oauth2' | 'hmac';
  sim?: SimulatorOptions;
  env?: Record<string, string>;
  /** Secret id in the Secrets Manager stand-in (default: unique per mode). */
  secretId?: string;
  sourceId?: string;
}

/** Starts the AWS stand-ins and points process.env at them (restored by the returned close). */
export async function startAws(): Promise<StandinsWithClients & { restoreEnv(): void }> {
  const aws = await withStandins();
  const restoreEnv = applyEnv(aws.standins.env);
  return { ...aws, restoreEnv };
}

/** Starts a simulator, stores its secret, and serves the query API for it. */
export async function startQueryApi(
  aws: StandinsWithClients,
  options: QueryApiOptions = {},
): Promise<QueryApiUnderTest> {
  const mode = options.mode ?? 'oauth2';
  const clock = createTestClock(T0);
  // A frozen clock never refills a token bucket: rate limits are exercised with scripted faults.
  const sim = await startMimecastSimulator({ clock, seed: 11, rateLimit: false, ...options.sim });
  const secretId = options.secretId ?? `mimecast/${mode}`;
  aws.standins.putSecret(secretId, JSON.stringify(sim.secrets[mode]));
  const config = parseEnvironment(queryEnvSchema, {
    MIMECAST_SECRET_ID: secretId,
    SOURCE_ID: options.sourceId ?? 'default',
    BUCKET_NAME: aws.standins.bucket,
    CURSOR_TABLE_NAME: aws.standins.table,
    ...options.env,
  });
  const telemetry = recordingTelemetry();
  const app = buildQueryApp(config, { clock, telemetry });
  const api = await startLocalQueryApi({ handler: app });
  return {
    sim,
    clock,
    app,
    api,
    config,
    telemetry,
    async request(pathAndQuery, init) {
      const response = await fetch(`${api.url}${pathAndQuery}`, init);
      const text = await response.text();
      const json = text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>);
      return { status: response.status, headers: response.headers, text, json };
    },
    async close() {
      await api.close();
      await sim.close();
    },
  };
}

/** The published OpenAPI document of a single-source deployment, to check bodies against. */
export const publishedDocument = (sourceIds: [string, ...string[]] = ['default']): OpenApiDocument =>
  buildOpenApiDocument(
    buildRouteSchemas(sourceIds),
    archiveQueryBodySchema(sourceIds),
  ) as unknown as OpenApiDocument;

export { publishedSchema };
