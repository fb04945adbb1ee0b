import { connect } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
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
      handler: async (event): Promise<APIGatewayProxyResultV2> => {
        seen.push(event);
        if (event.rawPath === '/throw') throw new Error('handler bug');
        if (event.rawPath === '/problem') {
          return {
            statusCode: 502,
            headers: { 'content-type': 'application/problem+json; charset=utf-8' },
            body: JSON.stringify({ type: 'urn:x', title: 't', status: 502, detail: 'Fix secret s1.' }),
          };
        }
        return {
          statusCode: 201,
          headers: { 'X-Echo': 'yes' },
          body: Buffer.from('{"ok":true}').toString('base64'),
          isBase64Encoded: true,
        };
      },
      problemDetail: (detail) => detail.replace('secret s1', 'the secret file ./x.json'),
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

  it('answers a header over 16 KB with a 431 problem document, not a bare status', async () => {
    // Act
    const response = await fetch(`${api.url}/v1/status?x=1`, { headers: { 'x-big': 'a'.repeat(20_000) } });
    const body = (await response.json()) as Record<string, unknown>;

    // Assess
    expect(response.status).toBe(431);
    expect(response.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(body).toEqual({
      type: 'urn:mimecast-audit-lake:problem:request-header-fields-too-large',
      title: 'Request header fields too large',
      status: 431,
      detail: expect.stringContaining('16,384 bytes (16 KB)'),
      instance: '/v1/status',
      requestId: response.headers.get('x-request-id'),
    });
    expect(body.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers a body over 1 MiB with a 413 problem document', async () => {
    const response = await fetch(`${api.url}/v1/events`, { method: 'POST', body: 'x'.repeat(1_100_000) });
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(body).toMatchObject({
      type: 'urn:mimecast-audit-lake:problem:payload-too-large',
      title: 'Request body too large',
      status: 413,
      instance: '/v1/events',
      requestId: response.headers.get('x-request-id'),
    });
  });

  it('answers malformed HTTP and a failing handler with problem documents too', async () => {
    // Act
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(api.url).port), '127.0.0.1', () => {
        socket.write('GET /v1/status HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
      });
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk.toString('utf8');
      });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    const failed = await fetch(`${api.url}/throw`);
    const failedBody = (await failed.json()) as Record<string, unknown>;

    // Assess
    expect(raw).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(raw).toContain('content-type: application/problem+json; charset=utf-8');
    const document = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
    expect(document).toMatchObject({ status: 400, type: 'urn:mimecast-audit-lake:problem:invalid-request' });
    expect(failed.status).toBe(500);
    expect(failed.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(failedBody).toMatchObject({
      type: 'urn:mimecast-audit-lake:problem:internal-error',
      status: 500,
      instance: '/throw',
      requestId: failed.headers.get('x-request-id'),
    });
  });

  it('lets the caller rewrite problem details (locally: what to edit instead of a secret)', async () => {
    const response = await fetch(`${api.url}/problem`);
    expect(((await response.json()) as { detail: string }).detail).toBe('Fix the secret file ./x.json.');
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

  it('keeps each concurrent request’s own request id in its log lines', async () => {
    // Prepare: slow pages so that the requests overlap inside the handler.
    sim.setPageLatency(150);
    const end = new Date();
    const start = new Date(end.getTime() - 3_600_000);
    try {
      // Act
      const responses = await Promise.all(
        Array.from({ length: 6 }, () =>
          fetch(`${api.url}/v1/events?start=${start.toISOString()}&end=${end.toISOString()}&pageSize=10`),
        ),
      );
      for (const response of responses) await response.arrayBuffer();

      // Assess: each request's "request" line carries its own id as Lambda's request id.
      for (const response of responses) {
        const requestId = response.headers.get('x-request-id');
        const line = output.find(
          (text) => text.includes('"message":"request"') && text.includes(`"requestId":"${requestId}"`),
        );
        expect(line, `log line of ${requestId}`).toBeDefined();
        expect(JSON.parse(line ?? '{}')).toMatchObject({ function_request_id: requestId });
      }
    } finally {
      sim.setPageLatency(0);
    }
  });

  it('serves the OpenAPI document', async () => {
    const response = await fetch(`${api.url}/v1/openapi.json`);
    const document = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toContain('/v1/events');
  });
});
