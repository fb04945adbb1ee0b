import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProcess } from './start-process.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'npm-start-logs-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `npm start` on a schedule with the query API; resolves once the first run is reported. */
async function running(name: string, extra: string[]) {
  const run = startProcess([
    '--data-dir',
    join(dir, name),
    '--interval',
    '3600',
    '--lookback-days',
    '1',
    '--events-per-day',
    '200',
    '--api-port',
    '0',
    ...extra,
  ]);
  const output = await run.waitFor(/run 1: /);
  const api = /Query API[^:]*: (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
  if (api === undefined) throw new Error(`no query API URL in:\n${output}`);
  return { run, api };
}

/** Six requests at once, so that they overlap inside the query handler. */
async function concurrentRequests(api: string): Promise<string[]> {
  const end = new Date();
  const start = new Date(end.getTime() - 6 * 3_600_000);
  const responses = await Promise.all(
    Array.from({ length: 6 }, () =>
      fetch(`${api}/v1/events?start=${start.toISOString()}&end=${end.toISOString()}`),
    ),
  );
  for (const response of responses) await response.arrayBuffer();
  return responses.map((response) => response.headers.get('x-request-id') ?? 'none');
}

interface Entry {
  message: string;
  service: string;
  requestId?: string;
  function_request_id?: string;
}

describe('the handlers’ JSON log lines', () => {
  it('never reach the terminal without --verbose', async () => {
    const { run, api } = await running('quiet', []);
    try {
      await concurrentRequests(api);
      await fetch(`${api}/v1/unknown`);
      run.interrupt();
      await run.closed;
      for (const output of [run.stdout(), run.stderr()]) expect(output).not.toMatch(/^\{"level":/m);
      expect(run.stdout()).toMatch(/run 1: caught_up/);
    } finally {
      run.kill();
    }
  });

  it('are shown with --verbose, the query API’s under its own service name and request ids', async () => {
    const { run, api } = await running('verbose', ['--verbose']);
    try {
      // Act
      const ids = await concurrentRequests(api);
      run.interrupt();
      await run.closed;
      const entries = run
        .stdout()
        .split('\n')
        .filter((line) => line.startsWith('{"level":'))
        .map((line) => JSON.parse(line) as Entry);

      // Assess
      expect(
        entries.some((e) => e.service === 'mimecast-audit-collector' && e.message === 'Window committed'),
      ).toBe(true);
      for (const id of ids) {
        const request = entries.find((e) => e.message === 'request' && e.requestId === id);
        expect(request, `log line of request ${id}`).toMatchObject({
          service: 'mimecast-audit-query',
          function_request_id: id,
        });
      }
    } finally {
      run.kill();
    }
  });
});
