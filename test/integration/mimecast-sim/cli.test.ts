import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CATEGORIES_PATH, hmacHeaders } from './sim-http.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function startCli(args: string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', 'tsx', 'local/mimecast-sim/cli.ts', ...args], { cwd: ROOT });
}

/** Resolves with everything printed once `marker` has appeared on stdout. */
function outputUntil(child: ChildProcessWithoutNullStreams, marker: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes(marker)) resolve(out);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.once('exit', (code) => reject(new Error(`CLI exited (${code}) before "${marker}": ${err}`)));
  });
}

describe('mimecast-sim CLI', () => {
  const children: ChildProcessWithoutNullStreams[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('prints its URL and working credentials for both auth modes, and stops on SIGINT', async () => {
    // Prepare
    const child = startCli(['--port', '0', '--seed', '5', '--rate-limit', 'off']);
    children.push(child);
    const output = await outputUntil(child, 'Ctrl-C');
    const secret = (label: string): Record<string, string> =>
      JSON.parse(/\{.*\}/.exec(output.split('\n').find((line) => line.includes(label)) ?? '')?.[0] ?? '{}');
    const oauth = secret('API 2.0');
    const hmac = secret('API 1.0');
    const baseUrl = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    // Act
    const tokenResponse = await fetch(`${baseUrl}/oauth/token`, {
      method: 'POST',
      body: new URLSearchParams({
        client_id: oauth.clientId ?? '',
        client_secret: oauth.clientSecret ?? '',
        grant_type: 'client_credentials',
      }),
    });
    const signed = await fetch(`${baseUrl}${CATEGORIES_PATH}`, {
      method: 'POST',
      headers: hmacHeaders(
        {
          baseUrl: hmac.baseUrl ?? '',
          appId: hmac.appId ?? '',
          appKey: hmac.appKey ?? '',
          accessKey: hmac.accessKey ?? '',
          secretKey: hmac.secretKey ?? '',
        },
        CATEGORIES_PATH,
        Date.now(),
      ),
      body: '{"data":[]}',
    });
    child.kill('SIGINT');
    const [exitCode] = await once(child, 'exit');
    // Assess
    expect(Object.keys(oauth).sort()).toEqual(['baseUrl', 'clientId', 'clientSecret']);
    expect(Object.keys(hmac).sort()).toEqual(['accessKey', 'appId', 'appKey', 'baseUrl', 'secretKey']);
    expect(oauth.baseUrl).toBe(baseUrl);
    expect(tokenResponse.status).toBe(200);
    expect(signed.status).toBe(200);
    expect(exitCode).toBe(0);
  });

  it('runs a Mimecast whose clock is off by --clock-offset-ms, and says so', async () => {
    // Prepare
    const child = startCli(['--port', '0', '--rate-limit', 'off', '--clock-offset-ms=-600000']);
    children.push(child);
    const output = await outputUntil(child, 'Ctrl-C');
    const baseUrl = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    // Act
    const sentAt = Date.now();
    const answer = await fetch(`${baseUrl}/oauth/token`, { method: 'POST' });
    const receivedAt = Date.now();
    child.kill('SIGINT');
    await once(child, 'exit');
    // Assess: the Date header is ten minutes behind this machine (1 s resolution)
    const date = Date.parse(answer.headers.get('date') ?? '');
    expect(date).toBeGreaterThanOrEqual(sentAt - 600_000 - 1000);
    expect(date).toBeLessThanOrEqual(receivedAt - 600_000);
    expect(output).toContain('clock offset -600000 ms');
  });

  it('refuses a bad flag with a clear message and exit code 2', async () => {
    const child = startCli(['--rate-limit', 'lots']);
    children.push(child);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const [exitCode] = await once(child, 'exit');
    expect(exitCode).toBe(2);
    expect(stderr).toContain('--rate-limit must be "capacity/refillPerSecond"');
  });
});
