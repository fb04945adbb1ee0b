import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MimecastSimulator, startMimecastSimulator } from '#local/mimecast-sim/index.js';
import { cleanEnv, startProcess } from './start-process.js';

let dir: string;
let sim: MimecastSimulator;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'npm-start-errors-'));
  sim = await startMimecastSimulator({ seed: 4, eventsPerDay: 50 });
});
afterAll(async () => {
  await sim?.close();
  await rm(dir, { recursive: true, force: true });
});

/** `npm start -- --once` with `args` and extra environment variables, run to its end. */
async function once(args: string[], env: Record<string, string> = {}) {
  const run = startProcess(
    ['--once', '--data-dir', join(dir, 'data'), '--lookback-days', '1', ...args],
    cleanEnv(env),
  );
  const code = await run.exited;
  await run.closed;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

describe('npm start refuses unusable credentials up front, naming the cause', () => {
  it('does not fall back to the simulator for MIMECAST_BASE_URL alone or a misspelled variable', async () => {
    // Act
    const alone = await once([], { MIMECAST_BASE_URL: 'https://eu-api.mimecast.com' });
    const typo = await once([], { MIMECAST_CLIENTID: 'my-id', MIMECAST_CLIENT_SECRET: 'my-secret-value' });

    // Assess
    for (const result of [alone, typo]) {
      expect(result.code).toBe(1);
      expect(result.stdout).not.toContain('Mimecast simulator');
      expect(result.stderr).toContain(
        'npm start: The MIMECAST_* environment variables do not make a usable set of Mimecast credentials',
      );
      expect(result.stderr).toContain('API 1.0: MIMECAST_BASE_URL, MIMECAST_APP_ID');
    }
    expect(alone.stderr).toContain('MIMECAST_BASE_URL alone is not enough');
    expect(typo.stderr).toContain('unknown: MIMECAST_CLIENTID (did you mean MIMECAST_CLIENT_ID?)');
    expect(typo.stderr).not.toContain('my-secret-value');
  });

  it('refuses a secret file together with variables, and names a missing secret file', async () => {
    // Prepare
    const file = join(dir, 'secret.json');
    await writeFile(file, JSON.stringify(sim.secrets.oauth2));

    // Act
    const both = await once(['--secret-file', file], {
      MIMECAST_CLIENT_ID: 'id',
      MIMECAST_CLIENT_SECRET: 'x',
    });
    const missing = await once(['--secret-file', './no-such-secret.json']);

    // Assess
    expect(both.code).toBe(1);
    expect(both.stderr).toContain(
      `npm start: Mimecast credentials are given twice: by --secret-file ${file} and by the environment (MIMECAST_CLIENT_ID, MIMECAST_CLIENT_SECRET)`,
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('npm start: secret file ./no-such-secret.json does not exist');
    expect(missing.stderr).not.toContain('ENOENT');
  });
});

describe('a failed run says what to do locally', () => {
  it('tells the user to correct the secret file when Mimecast rejects the credentials', async () => {
    // Prepare
    const file = join(dir, 'wrong.json');
    await writeFile(file, JSON.stringify({ ...sim.secrets.oauth2, clientSecret: 'not-the-secret' }));

    // Act
    const result = await once(['--secret-file', file]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /run 1 failed: Collector run failed \(authentication\): .*credentials rejected/,
    );
    expect(result.stdout).toContain(
      `Locally the credentials come from the secret file ${file}: correct them there and restart npm start.`,
    );
    expect(result.stdout).not.toContain('Secrets Manager');
    expect(result.stdout).not.toContain('not-the-secret');
  });

  it('names host, port and reason when Mimecast cannot be reached', async () => {
    // Prepare: the simulator's address, but a port nothing listens on (it is closed after use).
    const { createServer } = await import('node:net');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const file = join(dir, 'unreachable.json');
    await writeFile(file, JSON.stringify({ ...sim.secrets.oauth2, baseUrl: `http://127.0.0.1:${port}` }));

    // Act
    const result = await once(['--secret-file', file]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`cannot connect to 127.0.0.1:${port} (ECONNREFUSED: connection refused)`);
  });
});
