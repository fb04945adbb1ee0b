import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HOUR,
  iso,
  publishedDocument,
  publishedSchema,
  type QueryApiUnderTest,
  startAws,
  startQueryApi,
  T0,
} from './harness.js';

const problem = publishedSchema(publishedDocument(), 'Problem');
const search = `/v1/events?start=${iso(T0 - 2 * HOUR)}&end=${iso(T0 - HOUR)}`;

let aws: Awaited<ReturnType<typeof startAws>>;

beforeAll(async () => {
  aws = await startAws();
});

afterAll(async () => {
  aws?.restoreEnv();
  await aws?.close();
});

/** Checks the common shape of an upstream problem and returns its detail. */
function expectProblem(answer: Awaited<ReturnType<QueryApiUnderTest['request']>>, status: number): string {
  expect(answer.status).toBe(status);
  expect(answer.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
  expect(problem.safeParse(answer.json).success).toBe(true);
  expect(answer.json?.requestId).toBe(answer.headers.get('x-request-id'));
  return String(answer.json?.detail);
}

describe('Mimecast failures (API 2.0)', () => {
  let q: QueryApiUnderTest;

  beforeAll(async () => {
    q = await startQueryApi(aws, { mode: 'oauth2', secretId: 'faults/oauth2', sim: { eventsPerDay: 500 } });
  });
  afterAll(async () => {
    await q?.close();
  });

  it('answers 429 with Retry-After in whole seconds when Mimecast throttles beyond the deadline', async () => {
    q.sim.scriptFaults({ fault: { type: 'rate_limit', resetMs: 45_500 } });
    const answer = await q.request(search);
    expect(expectProblem(answer, 429)).toContain('Retry after 46 seconds.');
    expect(answer.headers.get('retry-after')).toBe('46');
  });

  it('answers 502 naming the secret to fix when Mimecast keeps rejecting the token', async () => {
    q.sim.scriptFaults({ fault: { type: 'unauthorized' }, times: 2 });
    const answer = await q.request(search);
    const detail = expectProblem(answer, 502);
    expect(detail).toContain('rejected the credentials');
    expect(detail).toContain('faults/oauth2');
    expect(answer.text).not.toContain(q.sim.secrets.oauth2.clientSecret);
  });

  it('answers 502 when Mimecast reports a failure inside a 200', async () => {
    q.sim.scriptFaults({ fault: { type: 'fail', retryable: false, code: 'err_validation_blank' } });
    const detail = expectProblem(await q.request(search), 502);
    expect(detail).toContain('err_validation_blank');
  });

  it('logs each failure under the request id the caller got', async () => {
    q.sim.scriptFaults({ fault: { type: 'fail', retryable: false } });
    const answer = await q.request(search);
    const requestId = answer.headers.get('x-request-id');
    const lines = q.telemetry.lines.filter((line) => line.attributes.requestId === requestId);
    expect(lines.map((line) => line.message)).toEqual(['upstream failure', 'request failed']);
    expect(lines[1]?.attributes).toMatchObject({ status: 502, route: '/v1/events' });
  });

  it('recovers after each fault: the next search succeeds', async () => {
    const answer = await q.request(search);
    expect(answer.status).toBe(200);
  });
});

describe('Mimecast failures (API 1.0)', () => {
  let q: QueryApiUnderTest;

  beforeAll(async () => {
    q = await startQueryApi(aws, { mode: 'hmac', secretId: 'faults/hmac', sim: { eventsPerDay: 500 } });
  });
  afterAll(async () => {
    await q?.close();
  });

  it('answers 502 telling the operator to replace expired keys (418)', async () => {
    q.sim.scriptFaults({ fault: { type: 'binding_expired' } });
    const detail = expectProblem(await q.request(search), 502);
    expect(detail).toContain('have expired');
    expect(detail).toContain('faults/hmac');
  });

  it('answers 502 for a rejected signature (401)', async () => {
    q.sim.scriptFaults({ fault: { type: 'unauthorized' } });
    expect(expectProblem(await q.request(search), 502)).toContain('rejected the credentials');
    expect((await q.request(search)).status).toBe(200);
  });
});

describe('the deadline', () => {
  let q: QueryApiUnderTest;

  beforeAll(async () => {
    q = await startQueryApi(aws, { secretId: 'faults/deadline', env: { QUERY_DEADLINE_MS: '1000' } });
  });
  afterAll(async () => {
    await q?.close();
  });

  it('answers 504 when Mimecast is slower than QUERY_DEADLINE_MS', async () => {
    q.sim.scriptFaults({ fault: { type: 'slow', delayMs: 10_000 } });
    const detail = expectProblem(await q.request(search), 504);
    expect(detail).toContain('1000 ms');
  });
});

describe('credentials in Secrets Manager', () => {
  let q: QueryApiUnderTest;

  beforeAll(async () => {
    q = await startQueryApi(aws, { secretId: 'faults/rotating' });
  });
  afterAll(async () => {
    await q?.close();
  });

  it('re-reads the secret after a rejection, so a corrected secret works on the next request', async () => {
    // Prepare: wrong credentials first
    aws.standins.putSecret(
      'faults/rotating',
      JSON.stringify({ ...q.sim.secrets.oauth2, clientSecret: 'wrong-secret' }),
    );
    const rejected = await q.request(search);
    // Act: the operator fixes the secret
    aws.standins.putSecret('faults/rotating', JSON.stringify(q.sim.secrets.oauth2));
    const fixed = await q.request(search);
    // Assess
    expect(expectProblem(rejected, 502)).toContain('faults/rotating');
    expect(rejected.text).not.toContain('wrong-secret');
    expect(fixed.status).toBe(200);
  });

  it('names missing fields of a malformed secret without echoing any value', async () => {
    // Prepare: a fresh API whose secret is broken before its first request
    const broken = await startQueryApi(aws, { secretId: 'faults/malformed' });
    try {
      aws.standins.putSecret(
        'faults/malformed',
        JSON.stringify({ clientId: 'client-abc', clientSecret: '' }),
      );
      // Act
      const answer = await broken.request('/v1/categories');
      // Assess
      const detail = expectProblem(answer, 502);
      expect(detail).toContain('clientSecret');
      expect(detail).toContain('faults/malformed');
      expect(answer.text).not.toContain('client-abc');
    } finally {
      await broken.close();
    }
  });

  it('says which secret could not be read when it does not exist', async () => {
    const missing = await startQueryApi(aws, { env: { MIMECAST_SECRET_ID: 'faults/never-created' } });
    try {
      const detail = expectProblem(await missing.request('/v1/categories'), 502);
      expect(detail).toContain('faults/never-created');
      expect(detail).toContain('ResourceNotFoundException');
    } finally {
      await missing.close();
    }
  });

  it('answers 409 (not a 5xx) for a source whose secret holds no credentials yet, and works once it is filled', async () => {
    // Prepare: the secret exists without a value, as the stack creates it.
    aws.standins.createEmptySecret('faults/unfilled');
    const unfilled = await startQueryApi(aws, { env: { MIMECAST_SECRET_ID: 'faults/unfilled' } });
    try {
      // Act
      const before = await unfilled.request('/v1/categories');
      aws.standins.putSecret('faults/unfilled', JSON.stringify(unfilled.sim.secrets.oauth2));
      const after = await unfilled.request('/v1/categories');

      // Assess
      expect(before.json?.type).toBe('urn:mimecast-audit-lake:problem:source-not-configured');
      expect(expectProblem(before, 409)).toContain('faults/unfilled');
      expect(after.status).toBe(200);
    } finally {
      await unfilled.close();
    }
  });
});
