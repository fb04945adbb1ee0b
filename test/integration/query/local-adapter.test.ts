import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { MimecastSimulator } from '#local/mimecast-sim/index.js';
import { startMimecastSimulator } from '#local/mimecast-sim/index.js';
import {
  exampleCurlCommands,
  type LocalQueryApi,
  printExampleCurlCommands,
  startLocalQueryApi,
} from '#local/query-adapter.js';
import { applyEnv } from '#test/support/standins.js';
import { publishedDocument, publishedSchema, startAws } from './harness.js';

const doc = publishedDocument();

describe('the local adapter', () => {
  let api: LocalQueryApi;
  const seen: APIGatewayProxyEventV2[] = [];

  beforeAll(async () => {
    api = await startLocalQueryApi({
      handler: async (event) => {
        seen.push(event);
        return {
          statusCode: 201,
          headers: { 'X-Echo': 'yes' },
          body: Buffer.from('{"ok":true}').toString('base64'),
          isBase64Encoded: true,
        };
      },
    });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('listens on the loopback interface only', () => {
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('turns a request into a payload-2.0 event the way API Gateway does, and writes the result back', async () => {
    // Act
    const response = await fetch(`${api.url}/v1/events?category=a&category=b%2Cc&q=x+y`, {
      headers: { 'X-Custom': 'One', 'User-Agent': 'adapter-test' },
    });
    // Assess
    expect(response.status).toBe(201);
    expect(response.headers.get('x-echo')).toBe('yes');
    expect(await response.json()).toEqual({ ok: true });
    const event = seen.at(-1);
    expect(event).toMatchObject({
      version: '2.0',
      rawPath: '/v1/events',
      rawQueryString: 'category=a&category=b%2Cc&q=x+y',
      queryStringParameters: { category: 'a,b,c', q: 'x y' },
      headers: { 'x-custom': 'One', 'user-agent': 'adapter-test' },
      requestContext: {
        http: { method: 'GET', path: '/v1/events', userAgent: 'adapter-test' },
        stage: '$default',
      },
    });
    expect(event?.requestContext.requestId).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });

  it('prints example curl commands for its URL', () => {
    const lines: string[] = [];
    printExampleCurlCommands(api.url, (line) => lines.push(line));
    expect(lines[0]).toContain(api.url);
    expect(lines.filter((line) => line.includes(`curl -s '${api.url}/v1/`))).toHaveLength(5);
  });
});

describe('end to end: the Lambda handler behind the local adapter', () => {
  let aws: Awaited<ReturnType<typeof startAws>>;
  let sim: MimecastSimulator;
  let api: LocalQueryApi;
  let restoreEnv: () => void;
  const output: string[] = [];

  beforeAll(async () => {
    aws = await startAws();
    // The production handler runs on the system clock, so the simulator does too.
    sim = await startMimecastSimulator({ seed: 5, eventsPerDay: 3000, rateLimit: false });
    aws.standins.putSecret('e2e/mimecast', JSON.stringify(sim.secrets.oauth2));
    restoreEnv = applyEnv({
      MIMECAST_SECRET_ID: 'e2e/mimecast',
      SOURCE_ID: 'e2e',
      BUCKET_NAME: aws.standins.bucket,
      CURSOR_TABLE_NAME: aws.standins.table,
      POWERTOOLS_SERVICE_NAME: 'query-e2e',
    });
    // Powertools writes structured logs and EMF metrics to stdout: keep a copy to inspect.
    const write = process.stdout.write.bind(process.stdout);
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      output.push(String(chunk));
      return write(chunk, ...(rest as []));
    });
    const { handler } = await import('../../../functions/query/handler.js');
    api = await startLocalQueryApi({ handler });
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    await api?.close();
    await sim?.close();
    restoreEnv?.();
    aws?.restoreEnv();
    await aws?.close();
  });

  it('searches the last hours with fetch and gets records, a request id and no-store', async () => {
    // Prepare
    const end = new Date();
    const start = new Date(end.getTime() - 3 * 3_600_000);
    // Act
    const response = await fetch(
      `${api.url}/v1/events?start=${start.toISOString()}&end=${end.toISOString()}&pageSize=100`,
    );
    const body = (await response.json()) as {
      events: Array<{ source: string }>;
      nextPageToken: string | null;
    };
    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(publishedSchema(doc, 'EventsPage').safeParse(body).success).toBe(true);
    expect(body.events.length).toBeGreaterThan(0);
    expect(body.events.every((event) => event.source === 'e2e')).toBe(true);
    const requestId = response.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    // The same id is in the structured logs, and the request was measured by route and status.
    const logged = output.filter((line) => line.includes(`"requestId":"${requestId}"`));
    expect(logged.some((line) => line.includes(`"function_request_id":"${requestId}"`))).toBe(true);
    const emf = output.filter((line) => line.includes('"_aws"') && line.includes('"Requests"'));
    expect(emf.some((line) => line.includes('"Route":"/v1/events"') && line.includes('"Status":"200"'))).toBe(
      true,
    );
  });

  it('answers the example commands it prints', async () => {
    for (const command of exampleCurlCommands(api.url)) {
      const url = /'([^']+)'/.exec(command)?.[1];
      if (url === undefined) throw new Error(`no URL in ${command}`);
      const response = await fetch(url);
      expect(response.status, command).toBe(200);
    }
  });

  it('answers problems over HTTP too: unknown path, wrong method, repeated parameter', async () => {
    const notFound = await fetch(`${api.url}/v1/unknown`);
    const wrongMethod = await fetch(`${api.url}/v1/status`, { method: 'POST', body: '{}' });
    const repeated = await fetch(`${api.url}/v1/categories?source=e2e&source=e2e`);
    expect([notFound.status, wrongMethod.status, repeated.status]).toEqual([404, 405, 400]);
    expect(wrongMethod.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    expect(repeated.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
  });

  it('serves the OpenAPI document', async () => {
    const response = await fetch(`${api.url}/v1/openapi.json`);
    const document = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toContain('/v1/events');
  });
});
