import { setTimeout as delay } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { enableConcurrentInvocations, runInvocation } from '#local/runtime/invocation.js';

const before = process.env.AWS_LAMBDA_MAX_CONCURRENCY;
afterAll(() => {
  if (before === undefined) delete process.env.AWS_LAMBDA_MAX_CONCURRENCY;
  vi.restoreAllMocks();
});

const context = (awsRequestId: string) =>
  ({
    awsRequestId,
    functionName: 'f',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:f',
    memoryLimitInMB: '128',
    getRemainingTimeInMillis: () => 1_000,
  }) as unknown as Context;

describe('concurrent invocations in one process', () => {
  it('keep their own Lambda request id in every log line, as in separate execution environments', async () => {
    // Prepare: a middy handler with the Powertools logger, like both real handlers.
    enableConcurrentInvocations();
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation(
      (chunk: string | Uint8Array) => lines.push(String(chunk)) > 0,
    );
    const logger = new Logger({ serviceName: 'test', logLevel: 'INFO' });
    const handler = middy(async (event: { waitMs: number; id: string }) => {
      await delay(event.waitMs);
      logger.info('request', { requestId: event.id });
    }).use(injectLambdaContext(logger));

    // Act: the first invocation logs after the second one started (and finished).
    await Promise.all([
      runInvocation('first', () => handler({ waitMs: 40, id: 'first' }, context('first'))),
      runInvocation('second', () => handler({ waitMs: 5, id: 'second' }, context('second'))),
    ]);

    // Assess
    const logged = lines.map(
      (line) => JSON.parse(line) as { requestId: string; function_request_id: string },
    );
    expect(logged).toHaveLength(2);
    for (const entry of logged) expect(entry.function_request_id).toBe(entry.requestId);
  });
});
