/**
 * The query core with the registry as its source catalog (fleet mode), on fakes: which source a
 * request reaches, the refusal of disabled ones, status with the registry's facts, and what a
 * registry change does within and after the cache lifetime.
 */
import { describe, expect, it } from 'vitest';
import { parseEnvironment } from '#core/config/env.js';
import { fleetQueryEnvSchema } from '#core/config/fleet-query-env.js';
import type { MimecastClient, MimecastSecret } from '#core/mimecast/types.js';
import type { CursorState } from '#core/ports.js';
import { type SourceConfig, sourceConfigSchema } from '#core/registry/source-config.js';
import { createTestClock } from '#test/support/clock.js';
import { createQueryApp } from '../../../functions/query/lib/app.js';
import { archiveQueryBodySchema } from '../../../functions/query/lib/archive-params.js';
import { buildOpenApiDocument } from '../../../functions/query/lib/openapi.js';
import { buildRouteSchemas } from '../../../functions/query/lib/params.js';
import { RegistrySourceCatalog } from '../../../functions/query/lib/source-catalog.js';
import { apiEvent, lambdaContext } from './helpers/events.js';
import { type OpenApiDocument, publishedSchema } from './helpers/published-schemas.js';
import { recordingTelemetry } from './helpers/telemetry.js';

const NOW = Date.UTC(2026, 0, 31, 12);
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const range = `start=${iso(NOW - HOUR)}&end=${iso(NOW)}`;

const item = (sourceId: string, extra: Partial<SourceConfig> = {}): SourceConfig =>
  sourceConfigSchema.parse({ sourceId, secretId: `mimecast-audit-lake/${sourceId}`, ...extra });

const FLEET_ENV = {
  SOURCE_REGISTRY: 'true',
  SOURCE_ACCESS_ROLE_ARN: 'arn:aws:iam::123456789012:role/mimecast-source-access',
  BUCKET_NAME: 'archive-bucket',
  CURSOR_TABLE_NAME: 'cursor-table',
};

function fleetHarness(initial: SourceConfig[], states: Record<string, CursorState> = {}) {
  const clock = createTestClock(NOW);
  let items = initial;
  let listCalls = 0;
  let registryDown = false;
  const secretReads: Array<{ secretId: string; sourceId: string }> = [];
  const telemetry = recordingTelemetry();
  const config = parseEnvironment(fleetQueryEnvSchema, FLEET_ENV);
  const app = createQueryApp({
    config,
    clock,
    telemetry,
    catalog: new RegistrySourceCatalog(
      {
        list: async () => {
          listCalls++;
          if (registryDown) throw new Error('ServiceUnavailable');
          return items;
        },
      },
      clock,
      { ttlMs: config.SOURCE_CACHE_SECONDS * 1000 },
    ),
    cursorStore: { get: async (id) => states[id] ?? null },
    readSecret: async (secretId, sourceId) => {
      secretReads.push({ secretId, sourceId });
      return JSON.stringify({
        clientId: `client-of-${secretId}`,
        clientSecret: 'x',
        baseUrl: 'https://m.test',
      });
    },
    createClient: (secret: MimecastSecret) =>
      ({
        getAuditEventsPage: async () => ({ events: [], responseBytes: 2 }),
        auditEventPages: () => {
          throw new Error('unused');
        },
        getCategories: async () => [
          { code: 'authentication_logs', name: secret.mode === 'oauth2' ? secret.clientId : '' },
        ],
        serverClockOffsetMs: () => undefined,
      }) satisfies MimecastClient,
    secretAccessNote: (id) => `tagged ${id}`,
  });
  const call = async (path: string, query = '', method = 'GET') => {
    const response = await app(apiEvent(method, path, query), lambdaContext('req-1'));
    return { ...response, json: JSON.parse(response.body ?? '{}') as Record<string, unknown> };
  };
  return {
    call,
    clock,
    secretReads,
    telemetry,
    listCalls: () => listCalls,
    setItems: (next: SourceConfig[]) => {
      items = next;
    },
    setRegistryDown: (down: boolean) => {
      registryDown = down;
    },
  };
}

const doc = (ids: string[]) =>
  buildOpenApiDocument(buildRouteSchemas(ids), archiveQueryBodySchema(ids)) as unknown as OpenApiDocument;

describe('the query core in fleet mode', () => {
  it("searches the named source with that source's secret, read for that source", async () => {
    // Prepare
    const h = fleetHarness([item('acme'), item('globex')]);
    // Act
    const acme = await h.call('/v1/events', `${range}&source=acme`);
    const globex = await h.call('/v1/categories', 'source=globex');
    // Assess
    expect(acme.statusCode).toBe(200);
    expect(acme.json.source).toBe('acme');
    expect(globex.json).toEqual({
      source: 'globex',
      categories: [{ code: 'authentication_logs', name: 'client-of-mimecast-audit-lake/globex' }],
    });
    expect(h.secretReads).toEqual([
      { secretId: 'mimecast-audit-lake/acme', sourceId: 'acme' },
      { secretId: 'mimecast-audit-lake/globex', sourceId: 'globex' },
    ]);
  });

  it('refuses an unknown source with the same 400 as the environment mode', async () => {
    const h = fleetHarness([item('acme'), item('globex')]);
    const unknown = await h.call('/v1/events', `${range}&source=initech`);
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json.errors).toEqual([
      { field: 'source', message: 'is not a configured source; configured sources: acme, globex' },
    ]);
    const scoped = await h.call('/v1/sources/initech/archive/queries', '', 'POST');
    expect(scoped.statusCode).toBe(404);
    expect(scoped.json.detail).toBe('No such source; configured sources: acme, globex.');
  });

  it('refuses live searches of a disabled source with 409 source-disabled, without reading its secret', async () => {
    // Prepare
    const h = fleetHarness([item('acme', { enabled: false }), item('globex')]);
    // Act
    const events = await h.call('/v1/events', `${range}&source=acme`);
    const categories = await h.call('/v1/categories', 'source=acme');
    const byDefault = await h.call('/v1/events', range);
    // Assess
    for (const refused of [events, categories]) {
      expect(refused.statusCode).toBe(409);
      expect(refused.json).toMatchObject({
        type: 'urn:mimecast-audit-lake:problem:source-disabled',
        title: 'The source is disabled',
      });
      expect(String(refused.json.detail)).toContain('Source "acme" is disabled');
    }
    // The default is the first enabled source.
    expect(byDefault.json.source).toBe('globex');
    expect(h.secretReads.map((r) => r.sourceId)).toEqual(['globex']);
  });

  it("lists every registry source in status, with the registry's enabled and scheduleMinutes", async () => {
    // Prepare
    const h = fleetHarness([item('acme', { scheduleMinutes: 15 }), item('globex', { enabled: false })]);
    // Act
    const status = await h.call('/v1/status');
    // Assess
    expect(status.statusCode).toBe(200);
    const sources = status.json.sources as Array<Record<string, unknown>>;
    expect(sources.map((s) => [s.source, s.enabled, s.scheduleMinutes, s.state])).toEqual([
      ['acme', true, 15, 'never_run'],
      ['globex', false, 5, 'never_run'],
    ]);
    expect(publishedSchema(doc(['acme', 'globex']), 'Status').safeParse(status.json).success).toBe(true);
  });

  it('sees a source added to the registry once the cache lifetime has passed, not before', async () => {
    // Prepare
    const h = fleetHarness([item('acme')]);
    await h.call('/v1/status');
    h.setItems([item('acme'), item('globex')]);
    // Act
    const before = await h.call('/v1/events', `${range}&source=globex`);
    h.clock.advance(60_000);
    const after = await h.call('/v1/events', `${range}&source=globex`);
    const openapi = await h.call('/v1/openapi.json');
    // Assess
    expect(before.statusCode).toBe(400);
    expect(after.statusCode).toBe(200);
    expect(after.json.source).toBe('globex');
    const sourceParam = (
      (openapi.json as unknown as OpenApiDocument).paths['/v1/events']?.get.parameters ?? []
    ).find((p) => p.name === 'source') as { schema: { enum: string[] } } | undefined;
    expect(sourceParam?.schema.enum).toEqual(['acme', 'globex']);
    expect(h.listCalls()).toBe(2);
  });

  it('reads the new secret when the registry points a source at another secret', async () => {
    // Prepare
    const h = fleetHarness([item('acme')]);
    await h.call('/v1/events', `${range}&source=acme`);
    await h.call('/v1/events', `${range}&source=acme`);
    h.setItems([item('acme', { secretId: 'mimecast-audit-lake/acme-v2' })]);
    h.clock.advance(60_000);
    // Act
    const answer = await h.call('/v1/events', `${range}&source=acme`);
    // Assess: one read per secret, the client built from the first reused until then
    expect(answer.statusCode).toBe(200);
    expect(h.secretReads).toEqual([
      { secretId: 'mimecast-audit-lake/acme', sourceId: 'acme' },
      { secretId: 'mimecast-audit-lake/acme-v2', sourceId: 'acme' },
    ]);
  });

  it('answers 503 sources-unavailable when the registry cannot be read and no list is at hand', async () => {
    const h = fleetHarness([item('acme')]);
    h.setRegistryDown(true);
    const answer = await h.call('/v1/events', `${range}&source=acme`);
    expect(answer.statusCode).toBe(503);
    expect(answer.headers['retry-after']).toBe('5');
    expect(answer.json.type).toBe('urn:mimecast-audit-lake:problem:sources-unavailable');
  });

  it('with an empty registry: status lists nothing, a live search has no default source', async () => {
    const h = fleetHarness([]);
    const status = await h.call('/v1/status');
    const events = await h.call('/v1/events', range);
    const named = await h.call('/v1/events', `${range}&source=acme`);
    expect(status.json.sources).toEqual([]);
    expect(events.statusCode).toBe(404);
    expect(events.json.detail).toBe('No source is configured yet; add one to the source registry first.');
    expect(named.statusCode).toBe(400);
    expect(named.json.errors).toEqual([
      { field: 'source', message: 'is not a configured source; configured sources: none' },
    ]);
  });
});
