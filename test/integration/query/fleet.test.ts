/**
 * The query API in fleet mode (SOURCE_REGISTRY=true), end to end: the real core and its
 * production dependencies (buildFleetQueryApp, with the production credentials factory), the
 * source registry in dynalite, two Mimecast simulators (two tenants, each with its own
 * credentials), over real HTTP.
 *
 * AWS enforces the per-source isolation with ABAC; the stand-ins check no signature, so this file
 * puts two small loopback servers in their place, reached through the SDK's standard
 * AWS_ENDPOINT_URL_* variables:
 * - an STS AssumeRole that records what was asked (role, session name, session tags) and issues
 *   a fresh access key per session;
 * - a Secrets Manager front that reads the access key out of each request's SigV4 signature and,
 *   like the source-access role's policy, answers AccessDeniedException unless the key's session
 *   tag `mimecast-source` equals the secret's tag; allowed requests go on to the stand-in.
 * So a secret can only be read with the credentials of the source it belongs to.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { ArchiveExecution, ArchiveQueryEngine } from '#core/archive-query/engine.js';
import { parseEnvironment } from '#core/config/env.js';
import { type FleetQueryConfig, fleetQueryEnvSchema } from '#core/config/fleet-query-env.js';
import { DynamoCursorStore } from '#core/cursor/dynamo-cursor-store.js';
import { DynamoSourceRegistry } from '#core/registry/dynamo-registry.js';
import { readRequestBody } from '#local/http-body.js';
import { type MimecastSimulator, startMimecastSimulator } from '#local/mimecast-sim/index.js';
import { type LocalQueryApi, startLocalQueryApi } from '#local/query-adapter.js';
import { closeServer, endpointOf, listenOnLoopback } from '#local/standins/net.js';
import { createTestClock, type TestClock } from '#test/support/clock.js';
import { applyEnv } from '#test/support/standins.js';
import { buildFleetQueryApp } from '../../../functions/query/dependencies.js';
import { recordingTelemetry } from '../../unit/query/helpers/telemetry.js';
import { HOUR, iso, publishedDocument, publishedSchema, startAws, T0 } from './harness.js';

const ROLE_ARN = 'arn:aws:iam::000000000000:role/mimecast-source-access';
const secretName = (id: string) => `mimecast-audit-lake/${id}`;

/** What the STS stand-in was asked. */
interface AssumedSession {
  accessKeyId: string;
  roleArn: string | null;
  sessionName: string | null;
  tags: Record<string, string>;
}

/** AssumeRole over the Query protocol: records the request and hands out a session key. */
async function startSts(): Promise<{ endpoint: string; sessions: AssumedSession[]; close(): Promise<void> }> {
  const sessions: AssumedSession[] = [];
  const server: Server = createServer((req, res) => {
    readRequestBody(req, 64 * 1024)
      .then((body) => {
        const form = new URLSearchParams(body === 'too_large' ? '' : body.toString('utf8'));
        const tags: Record<string, string> = {};
        for (let i = 1; form.has(`Tags.member.${i}.Key`); i++) {
          tags[form.get(`Tags.member.${i}.Key`) ?? ''] = form.get(`Tags.member.${i}.Value`) ?? '';
        }
        const accessKeyId = `ASIA${randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase()}`;
        sessions.push({
          accessKeyId,
          roleArn: form.get('RoleArn'),
          sessionName: form.get('RoleSessionName'),
          tags,
        });
        const xml = [
          '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">',
          '<AssumeRoleResult><Credentials>',
          `<AccessKeyId>${accessKeyId}</AccessKeyId>`,
          '<SecretAccessKey>stand-in-secret</SecretAccessKey>',
          '<SessionToken>stand-in-token</SessionToken>',
          '<Expiration>2099-01-01T00:00:00Z</Expiration>',
          '</Credentials>',
          `<AssumedRoleUser><AssumedRoleId>AROA0000:${form.get('RoleSessionName')}</AssumedRoleId>`,
          `<Arn>arn:aws:sts::000000000000:assumed-role/mimecast-source-access/${form.get('RoleSessionName')}</Arn></AssumedRoleUser>`,
          '</AssumeRoleResult>',
          `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata>`,
          '</AssumeRoleResponse>',
        ].join('');
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(xml);
      })
      .catch(() => {
        res.writeHead(500);
        res.end();
      });
  });
  await listenOnLoopback(server);
  return { endpoint: endpointOf(server), sessions, close: () => closeServer(server) };
}

/** One Secrets Manager request as the ABAC front saw it. */
interface SecretRequest {
  operation: string;
  secretId: string;
  /** The session tag of the signing key; undefined for a key STS did not issue (the function's own). */
  sessionSource: string | undefined;
  allowed: boolean;
}

/** The ABAC front of the Secrets Manager stand-in (see the file comment). */
async function startSecretsFront(
  upstream: string,
  sessions: AssumedSession[],
  secretTags: Map<string, string>,
): Promise<{ endpoint: string; requests: SecretRequest[]; close(): Promise<void> }> {
  const requests: SecretRequest[] = [];
  const server: Server = createServer((req, res) => {
    readRequestBody(req, 1024 * 1024)
      .then(async (body) => {
        const text = body === 'too_large' ? '{}' : body.toString('utf8');
        const target = String(req.headers['x-amz-target'] ?? '');
        const operation = target.replace(/^secretsmanager\./, '');
        const secretId = String((JSON.parse(text || '{}') as { SecretId?: unknown }).SecretId ?? '');
        const keyId = /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
        const session = sessions.find((s) => s.accessKeyId === keyId);
        const sessionSource = session?.tags['mimecast-source'];
        const allowed = sessionSource !== undefined && secretTags.get(secretId) === sessionSource;
        requests.push({ operation, secretId, sessionSource, allowed });
        if (!allowed) {
          const denial = JSON.stringify({
            __type: 'AccessDeniedException',
            message:
              'not authorized to perform secretsmanager:GetSecretValue (no identity-based policy allows it)',
          });
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(denial);
          return;
        }
        const answer = await fetch(upstream, {
          method: 'POST',
          headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
          body: text,
        });
        res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(await answer.text());
      })
      .catch(() => {
        res.writeHead(500);
        res.end();
      });
  });
  await listenOnLoopback(server);
  return { endpoint: endpointOf(server), requests, close: () => closeServer(server) };
}

/** An archive engine that starts every query and leaves it queued (the archive is not what is tested here). */
function queuedEngine(): ArchiveQueryEngine & { started: number } {
  const engine = {
    started: 0,
    start: async () => {
      engine.started++;
      return `execution-${engine.started}`;
    },
    describe: async (): Promise<ArchiveExecution> => ({ state: 'queued' }),
    results: async () => ({ records: [] }),
    cancel: async () => undefined,
  };
  return engine;
}

let aws: Awaited<ReturnType<typeof startAws>>;
let sts: Awaited<ReturnType<typeof startSts>>;
let front: Awaited<ReturnType<typeof startSecretsFront>>;
let restoreEndpoints: () => void;
let clock: TestClock;
let sims: Record<'acme' | 'globex', MimecastSimulator>;
let registry: DynamoSourceRegistry;
let api: LocalQueryApi;
let telemetry: ReturnType<typeof recordingTelemetry>;
const secretTags = new Map<string, string>();
const doc = publishedDocument(['acme', 'globex']);

/** Stores a secret in the stand-in with its `mimecast-source` tag (as the operator command does). */
const putTaggedSecret = (name: string, tag: string, value: unknown) => {
  aws.standins.putSecret(name, JSON.stringify(value));
  secretTags.set(name, tag);
};

const request = async (pathAndQuery: string, init?: RequestInit) => {
  const response = await fetch(`${api.url}${pathAndQuery}`, init);
  const text = await response.text();
  return { status: response.status, json: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown> };
};

const lastHour = `start=${iso(T0 - HOUR)}&end=${iso(T0)}`;

/** The ids the simulator holds for the last hour, as the API should return them. */
const truthIds = (sim: MimecastSimulator) =>
  sim
    .groundTruth(new Date(T0 - HOUR), new Date(T0))
    .map((e) => String(e.id))
    .sort();

beforeAll(async () => {
  aws = await startAws();
  sts = await startSts();
  const upstream = aws.standins.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
  if (upstream === undefined) throw new Error('no Secrets Manager stand-in');
  front = await startSecretsFront(upstream, sts.sessions, secretTags);
  restoreEndpoints = applyEnv({
    AWS_ENDPOINT_URL_STS: sts.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: front.endpoint,
  });
  clock = createTestClock(T0);
  sims = {
    acme: await startMimecastSimulator({ clock, seed: 21, rateLimit: false, eventsPerDay: 2000 }),
    globex: await startMimecastSimulator({ clock, seed: 22, rateLimit: false, eventsPerDay: 2000 }),
  };
  putTaggedSecret(secretName('acme'), 'acme', sims.acme.secrets.oauth2);
  putTaggedSecret(secretName('globex'), 'globex', sims.globex.secrets.hmac);
  registry = new DynamoSourceRegistry(aws.dynamodb, aws.standins.table);
  await registry.add({ sourceId: 'acme', secretId: secretName('acme'), scheduleMinutes: 10 }, iso(T0));
  await registry.add({ sourceId: 'globex', secretId: secretName('globex') }, iso(T0));

  const config: FleetQueryConfig = parseEnvironment(fleetQueryEnvSchema, {
    SOURCE_REGISTRY: 'true',
    SOURCE_ACCESS_ROLE_ARN: ROLE_ARN,
    BUCKET_NAME: aws.standins.bucket,
    CURSOR_TABLE_NAME: aws.standins.table,
  });
  telemetry = recordingTelemetry();
  // The production credentials factory: the real fromTemporaryCredentials, against the STS stand-in.
  const app = buildFleetQueryApp(config, { clock, telemetry, archiveEngine: queuedEngine() });
  api = await startLocalQueryApi({ handler: app });
});

afterAll(async () => {
  await api?.close();
  await Promise.all(Object.values(sims ?? {}).map((sim) => sim.close()));
  restoreEndpoints?.();
  await front?.close();
  await sts?.close();
  aws?.restoreEnv();
  await aws?.close();
});

describe('the query API in fleet mode', () => {
  it("searches each registry source live with its own secret, read as that source's session", async () => {
    // Act
    const acme = await request(`/v1/events?${lastHour}&source=acme&pageSize=500`);
    const globex = await request(`/v1/events?${lastHour}&source=globex&pageSize=500`);
    // Assess: each source's own tenant answered (OAuth 2 for acme, HMAC for globex)
    expect(acme.status).toBe(200);
    expect(globex.status).toBe(200);
    expect(publishedSchema(doc, 'EventsPage').safeParse(acme.json).success).toBe(true);
    const ids = (body: Record<string, unknown>) =>
      (body.events as Array<{ id: string }>).map((e) => e.id).sort();
    expect(ids(acme.json)).toEqual(truthIds(sims.acme));
    expect(ids(globex.json)).toEqual(truthIds(sims.globex));
    expect(ids(acme.json).length).toBeGreaterThan(0);
    expect(acme.json.source).toBe('acme');
    // The source-access role, assumed once per source with its tag and a session named after it.
    expect(sts.sessions.map(({ accessKeyId: _key, ...session }) => session)).toEqual([
      {
        roleArn: ROLE_ARN,
        sessionName: 'query-acme',
        tags: { 'mimecast-source': 'acme' },
      },
      {
        roleArn: ROLE_ARN,
        sessionName: 'query-globex',
        tags: { 'mimecast-source': 'globex' },
      },
    ]);
    expect(front.requests).toEqual([
      { operation: 'GetSecretValue', secretId: secretName('acme'), sessionSource: 'acme', allowed: true },
      { operation: 'GetSecretValue', secretId: secretName('globex'), sessionSource: 'globex', allowed: true },
    ]);
  });

  it('refuses an unknown source exactly as a single-source deployment does', async () => {
    const live = await request(`/v1/events?${lastHour}&source=initech`);
    const scoped = await request('/v1/sources/initech/archive/queries', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ start: iso(T0 - HOUR), end: iso(T0) }),
    });
    expect(live.status).toBe(400);
    expect(live.json).toMatchObject({
      type: 'urn:mimecast-audit-lake:problem:invalid-request',
      errors: [{ field: 'source', message: 'is not a configured source; configured sources: acme, globex' }],
    });
    expect(scoped.status).toBe(404);
    expect(scoped.json).toMatchObject({
      type: 'urn:mimecast-audit-lake:problem:not-found',
      detail: 'No such source; configured sources: acme, globex.',
    });
  });

  it("cannot read another source's secret, even when the registry points at it", async () => {
    // Prepare: a registry item naming acme's secret for another source
    await registry.add({ sourceId: 'mallory', secretId: secretName('acme') }, iso(clock.now()));
    onTestFinished(async () => {
      await registry.remove('mallory');
    });
    clock.advance(60_000);
    const acmeRequests = sims.acme.requests().length;
    // Act
    const answer = await request(`/v1/events?${lastHour}&source=mallory`);
    // Assess
    expect(answer.status).toBe(502);
    expect(answer.json.type).toBe('urn:mimecast-audit-lake:problem:upstream-credentials');
    expect(String(answer.json.detail)).toContain('(AccessDeniedException)');
    expect(String(answer.json.detail)).toContain('tag mimecast-source=mallory');
    expect(front.requests.filter((r) => r.sessionSource === 'mallory')).toEqual([
      { operation: 'GetSecretValue', secretId: secretName('acme'), sessionSource: 'mallory', allowed: false },
    ]);
    expect(sims.acme.requests().length).toBe(acmeRequests);
  });

  it('sees a source added to the registry once the cache lifetime has passed (60 s), not before', async () => {
    // Prepare: make sure the cached list is fresh, then add a source
    clock.advance(60_000);
    await request('/v1/status');
    putTaggedSecret(secretName('initech'), 'initech', sims.globex.secrets.oauth2);
    await registry.add({ sourceId: 'initech', secretId: secretName('initech') }, iso(clock.now()));
    onTestFinished(async () => {
      await registry.remove('initech');
    });
    // Act
    const before = await request(`/v1/events?${lastHour}&source=initech`);
    clock.advance(59_999);
    const stillBefore = await request(`/v1/events?${lastHour}&source=initech`);
    clock.advance(1);
    const after = await request(`/v1/events?${lastHour}&source=initech`);
    // Assess
    expect(before.status).toBe(400);
    expect(stillBefore.status).toBe(400);
    expect(after.status).toBe(200);
    expect(after.json.source).toBe('initech');
    expect(sts.sessions.at(-1)?.tags).toEqual({ 'mimecast-source': 'initech' });
  });

  it('refuses live searches of a disabled source with a clear problem; its status and archive stay', async () => {
    // Prepare
    await registry.update('globex', { enabled: false }, iso(clock.now()));
    onTestFinished(async () => {
      await registry.update('globex', { enabled: true }, iso(clock.now()));
    });
    clock.advance(60_000);
    const globexRequests = sims.globex.requests().length;
    // Act
    const live = await request(`/v1/events?${lastHour}&source=globex`);
    const categories = await request('/v1/categories?source=globex');
    const archive = await request('/v1/sources/globex/archive/queries', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ start: iso(T0 - HOUR), end: iso(T0) }),
    });
    const status = await request('/v1/status');
    // Assess
    for (const refused of [live, categories]) {
      expect(refused.status).toBe(409);
      expect(refused.json).toMatchObject({
        type: 'urn:mimecast-audit-lake:problem:source-disabled',
        title: 'The source is disabled',
        instance: expect.stringMatching(/^\/v1\/(events|categories)$/),
      });
      expect(String(refused.json.detail)).toContain('Source "globex" is disabled in the source registry');
    }
    expect(sims.globex.requests().length).toBe(globexRequests);
    expect(archive.status).toBe(202);
    expect((archive.json.query as { sources: string[] }).sources).toEqual(['globex']);
    const globex = (status.json.sources as Array<Record<string, unknown>>).find((s) => s.source === 'globex');
    expect(globex).toMatchObject({ source: 'globex', enabled: false });
  });

  it('leaves out and logs a registry item it cannot read, serving every other source', async () => {
    // Prepare: an item edited by hand into something that is not a SourceConfig
    const key = { pk: { S: 'source-config#broken' } };
    await aws.dynamodb.send(
      new PutItemCommand({
        TableName: aws.standins.table,
        Item: { ...key, sourceId: { S: 'broken' }, scheduleMinutes: { N: '0' } },
      }),
    );
    onTestFinished(async () => {
      await aws.dynamodb.send(new DeleteItemCommand({ TableName: aws.standins.table, Key: key }));
    });
    clock.advance(60_000);
    // Act
    const status = await request('/v1/status');
    const live = await request(`/v1/events?${lastHour}&source=acme`);
    // Assess
    expect((status.json.sources as Array<{ source: string }>).map((s) => s.source)).toEqual([
      'acme',
      'globex',
    ]);
    expect(live.status).toBe(200);
    const warning = telemetry.lines.find((l) => l.message === 'unreadable source registry item left out');
    expect(warning?.attributes.key).toBe('source-config#broken');
    expect(String(warning?.attributes.reason)).toContain('secretId');
  });

  it("reports every registry source's cursor with its registry settings, in the published shape", async () => {
    // Prepare: a cursor for acme as the collector writes it
    const cursor = new DynamoCursorStore(aws.dynamodb, aws.standins.table);
    const owner = 'collector-run-1';
    const leased = await cursor.acquireLease(
      'acme',
      owner,
      new Date(clock.now()),
      new Date(clock.now() + 15 * 60_000),
    );
    if (leased === null) throw new Error('lease not granted');
    await cursor.save(leased, owner, { watermark: iso(T0 - HOUR), lastSuccessAt: iso(T0) }, iso(clock.now()));
    await cursor.releaseLease('acme', owner, iso(clock.now()));
    clock.advance(60_000); // past the cache lifetime: the registry as the earlier tests left it
    // Act
    const status = await request('/v1/status');
    // Assess
    expect(status.status).toBe(200);
    expect(publishedSchema(doc, 'Status').safeParse(status.json).success).toBe(true);
    const sources = status.json.sources as Array<Record<string, unknown>>;
    expect(sources.map((s) => [s.source, s.enabled, s.scheduleMinutes, s.state, s.watermark])).toEqual([
      ['acme', true, 10, 'ok', iso(T0 - HOUR)],
      ['globex', true, 5, 'never_run', null],
    ]);
  });
});

describe('the Lambda handler', () => {
  const fleetEnv = () => ({
    SOURCE_REGISTRY: 'true',
    SOURCE_ACCESS_ROLE_ARN: ROLE_ARN,
    BUCKET_NAME: aws.standins.bucket,
    CURSOR_TABLE_NAME: aws.standins.table,
  });

  /** The production handler behind the local adapter, its environment set for the test only. */
  const serveHandler = async (env: Record<string, string>) => {
    const restore = applyEnv(env);
    const { createQueryHandler } = await import('../../../functions/query/handler.js');
    const local = await startLocalQueryApi({ handler: createQueryHandler() });
    onTestFinished(async () => {
      await local.close();
      restore();
    });
    return async (path: string) => {
      const response = await fetch(`${local.url}${path}`);
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    };
  };

  it('runs in fleet mode when SOURCE_REGISTRY=true: the sources are those of the registry', async () => {
    const get = await serveHandler(fleetEnv());
    const status = await get('/v1/status');
    expect(status.status).toBe(200);
    expect(status.json.sources).toMatchObject([
      { source: 'acme', enabled: true, scheduleMinutes: 10 },
      { source: 'globex', enabled: true, scheduleMinutes: 5 },
    ]);
  });

  it('answers 500 misconfigured when fleet mode is also given a single-source variable', async () => {
    const get = await serveHandler({ ...fleetEnv(), MIMECAST_SECRET_ID: secretName('acme') });
    const status = await get('/v1/status');
    expect(status.status).toBe(500);
    expect(status.json.title).toBe('Misconfigured');
  });
});
